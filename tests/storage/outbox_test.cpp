// The transactional outbox: rows exist exactly when the change that caused them committed, go out in
// order per ordering key, survive a crash as "in doubt", and settle as sent or failed for good.
#include <gtest/gtest.h>

#include "store_fixtures.hpp"

namespace desk::storage {
namespace {

using namespace testing;
using State = OutboxMessage::State;

OutboxMessage message(std::string kind, std::string ordering_key, core::TimePoint next_attempt_at = kT0,
                      std::string payload_json = R"({"text":"hello"})") {
  OutboxMessage m;
  m.surface = "slack";
  m.kind = std::move(kind);
  m.ordering_key = std::move(ordering_key);
  m.payload_json = std::move(payload_json);
  m.created_at = kT0;
  m.next_attempt_at = next_attempt_at;
  return m;
}

std::vector<std::int64_t> ids_of(const std::vector<OutboxMessage>& rows) {
  std::vector<std::int64_t> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  return ids;
}

class OutboxTest : public ::testing::Test {
 protected:
  /// Three rows enqueued in this order: A1 and A2 share a key, B1 has its own.
  void enqueue_a1_a2_b1() {
    a1_ = store_->enqueue({message("slack.dm", "slack:A")}, {});
    a2_ = store_->enqueue({message("slack.dm", "slack:A")}, {});
    b1_ = store_->enqueue({message("slack.dm", "slack:B")}, {});
  }
  std::vector<std::int64_t> due(core::TimePoint now) { return ids_of(store_->outbox_due(now, 100)); }

  std::unique_ptr<SqliteStore> store_ = SqliteStore::open(":memory:");
  std::int64_t a1_ = 0, a2_ = 0, b1_ = 0;
};

TEST_F(OutboxTest, RowsCommittedWithASubmissionCarryTheNewEscalationId) {
  NewSubmission s = escalated_submission();
  s.outbox = {message("slack.post_escalation", "slack:C123"), message("callback.decision", "callback:x")};
  const auto ids = store_->add_submission(s);
  const auto rows = store_->outbox_due(kT0, 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].kind, "slack.post_escalation");
  EXPECT_EQ(rows[0].escalation_id, ids.escalation_id);
  EXPECT_EQ(rows[1].escalation_id, ids.escalation_id);
  EXPECT_EQ(rows[0].payload_json, R"({"text":"hello"})");
  EXPECT_EQ(rows[0].state, State::pending);
  EXPECT_EQ(rows[0].attempts, 0);
  EXPECT_EQ(rows[0].created_at, kT0);
  EXPECT_FALSE(rows[0].last_attempt_at);
  EXPECT_LT(rows[0].id, rows[1].id);
}

TEST_F(OutboxTest, ApprovedSubmissionRowsBelongToNoEscalation) {
  NewSubmission s = approved_submission();
  s.outbox = {message("callback.decision", "callback:SUB-000001")};
  store_->add_submission(s);
  const auto rows = store_->outbox_due(kT0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].escalation_id, "");
}

TEST_F(OutboxTest, IdempotentReplayEnqueuesNothing) {
  NewSubmission s = escalated_submission("retry-me");
  s.outbox = {message("slack.post_escalation", "slack:C123")};
  store_->add_submission(s);
  EXPECT_TRUE(store_->add_submission(s).replayed);
  EXPECT_EQ(store_->outbox_stats().pending, 1);
}

TEST_F(OutboxTest, ABadRowRollsBackTheWholeSubmission) {
  NewSubmission s = escalated_submission();
  s.outbox = {message("slack.post_escalation", "slack:C123"), message("slack.dm", "slack:D1", kT0, "not json")};
  std::string error;
  EXPECT_EQ(storage_error_code([&] { store_->add_submission(s); }, &error), StorageError::Code::constraint);
  EXPECT_EQ(error.find("not json"), std::string::npos) << "errors never quote payloads: " << error;
  EXPECT_FALSE(store_->submission("SUB-000001"));
  EXPECT_FALSE(store_->escalation("ESC-000001"));
  EXPECT_EQ(store_->outbox_stats().pending, 0);
}

TEST_F(OutboxTest, RowsCommittedWithAnEscalationUpdate) {
  auto e = *store_->escalation(store_->add_submission(escalated_submission()).escalation_id);
  e.triaged_at = kT0 + 1min;
  e.triaged_by = "lee";
  e.state = core::EscalationState::triaged;
  ASSERT_TRUE(store_->update_escalation(e, {{"escalation.triaged", "", "lee", kT0 + 1min, {}}},
                                        {message("slack.update_escalation", "slack:C123", kT0 + 1min)}));
  const auto rows = store_->outbox_due(kT0 + 1min, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, "slack.update_escalation");
  EXPECT_EQ(rows[0].escalation_id, e.id);
  EXPECT_EQ(rows[0].next_attempt_at, kT0 + 1min);
}

TEST_F(OutboxTest, AFailedVersionCheckWritesNoOutboxRow) {
  const auto e = *store_->escalation(store_->add_submission(escalated_submission()).escalation_id);
  ASSERT_TRUE(store_->update_escalation(e, {}, {message("slack.update_escalation", "slack:C123")}));
  const auto trail = store_->audit_trail("").size();
  EXPECT_FALSE(store_->update_escalation(e, {{"escalation.triaged", "", "lee", kT0, {}}},
                                         {message("slack.update_escalation", "slack:C123")}));
  EXPECT_EQ(store_->outbox_stats().pending, 1);
  EXPECT_EQ(store_->audit_trail("").size(), trail);
}

TEST_F(OutboxTest, TwoArgumentUpdateThroughTheInterfaceEnqueuesNothing) {
  Store& store = *store_;
  const auto e = *store.escalation(store.add_submission(escalated_submission()).escalation_id);
  EXPECT_TRUE(store.update_escalation(e, {{"escalation.triaged", "", "lee", kT0, {}}}));
  EXPECT_EQ(store.escalation(e.id)->version, 1);
  EXPECT_EQ(store.outbox_stats().pending, 0);
}

TEST_F(OutboxTest, EnqueueReturnsTheLastIdAndAppendsItsAudit) {
  EXPECT_EQ(store_->enqueue({}, {}), 0);
  const std::int64_t last = store_->enqueue({message("slack.dm", "slack:D1"), message("slack.dm", "slack:D2")},
                                            {{"rota.reminder_sent", "", "desk", kT0, {}}});
  const auto rows = store_->outbox_due(kT0, 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].id, last);
  EXPECT_EQ(store_->audit_trail("").back().event.kind, "rota.reminder_sent");
  EXPECT_TRUE(store_->verify_audit().ok);
}

TEST_F(OutboxTest, NewRowsStartPendingWhateverTheCallerFilledIn) {
  OutboxMessage m = message("slack.dm", "slack:D1");
  m.id = 99;
  m.state = State::sent;
  m.attempts = 4;
  m.last_error = "old";
  const std::int64_t id = store_->enqueue({m}, {});
  const auto row = store_->outbox_message(id);
  ASSERT_TRUE(row);
  EXPECT_NE(id, 99);
  EXPECT_EQ(row->state, State::pending);
  EXPECT_EQ(row->attempts, 0);
  EXPECT_EQ(row->last_error, "");
  EXPECT_FALSE(store_->outbox_message(id + 1));
}

TEST_F(OutboxTest, RefusesRowsItCouldNotSendAndWritesNothing) {
  const auto refused = [&](OutboxMessage m) {
    const std::vector<core::AuditEvent> audit{{"x", "", "desk", kT0, {}}};
    return storage_error_code([&] { store_->enqueue({message("slack.dm", "slack:ok"), m}, audit); });
  };
  EXPECT_EQ(refused(message("", "slack:D1")), StorageError::Code::constraint);
  EXPECT_EQ(refused(message("slack.dm", "")), StorageError::Code::constraint);
  EXPECT_EQ(refused(message("slack.dm", "slack:D1", kT0, "")), StorageError::Code::constraint);
  EXPECT_EQ(refused(message("slack.dm", "slack:D1", kT0, "[1, 2]")), StorageError::Code::constraint);
  OutboxMessage ghost = message("slack.thread_reply", "slack:C1");
  ghost.escalation_id = "ESC-000404";  // no such escalation
  EXPECT_EQ(refused(ghost), StorageError::Code::constraint);
  EXPECT_EQ(store_->outbox_stats().pending, 0);
  EXPECT_TRUE(store_->audit_trail("").empty());
}

TEST_F(OutboxTest, ARetryParkedFirstRowBlocksItsKeyButNotOthers) {
  enqueue_a1_a2_b1();
  EXPECT_EQ(due(kT0), (std::vector{a1_, b1_}));
  store_->outbox_mark_sending(a1_, kT0);
  store_->outbox_retry(a1_, kT0 + 60s, "429 ratelimited");
  EXPECT_EQ(due(kT0), (std::vector{b1_}));
  // The longest due goes first: b1 has waited since kT0, a1 only since its retry time.
  EXPECT_EQ(due(kT0 + 60s), (std::vector{b1_, a1_}));
}

TEST_F(OutboxTest, ASendingRowBlocksItsKeyUntilSent) {
  enqueue_a1_a2_b1();
  store_->outbox_mark_sending(a1_, kT0);
  EXPECT_EQ(due(kT0), (std::vector{b1_}));
  store_->outbox_mark_sent(a1_, R"({"channel":"C1","ts":"1.2"})", kT0 + 1s);
  EXPECT_EQ(due(kT0), (std::vector{a2_, b1_}));
}

TEST_F(OutboxTest, DueRespectsTheLimitAndIdOrder) {
  for (int i = 0; i < 5; ++i) store_->enqueue({message("slack.dm", "slack:D" + std::to_string(i))}, {});
  EXPECT_EQ(store_->outbox_due(kT0, 2).size(), 2u);
  EXPECT_EQ(due(kT0), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(store_->outbox_due(kT0, 0).size(), 5u);
  EXPECT_TRUE(store_->outbox_due(kT0 - 1s, 0).empty());
}

TEST_F(OutboxTest, AClaimMarksWhatIsDueSendingInOneGo) {
  enqueue_a1_a2_b1();
  const auto c1 = store_->enqueue({message("slack.dm", "slack:C", kT0 + 60s)}, {});
  const auto claimed = store_->outbox_claim(kT0 + 5s, 10, std::nullopt);
  // A2 waits behind A1 and C1 is not due yet: only the heads that are due, as outbox_due says.
  ASSERT_EQ(ids_of(claimed), (std::vector{a1_, b1_}));
  for (const auto& row : claimed) {
    EXPECT_EQ(row.state, State::sending);
    EXPECT_EQ(row.attempts, 1);
    EXPECT_EQ(row.last_attempt_at, kT0 + 5s);
    const auto stored = *store_->outbox_message(row.id);
    EXPECT_EQ(stored.state, State::sending) << "committed, so a crash leaves it in doubt";
    EXPECT_EQ(stored.attempts, 1);
  }
  EXPECT_EQ(ids_of(store_->outbox_in_doubt()), (std::vector{a1_, b1_}));
  EXPECT_TRUE(store_->outbox_claim(kT0 + 5s, 10, std::nullopt).empty()) << "nothing is claimed twice";
  EXPECT_EQ(ids_of(store_->outbox_claim(kT0 + 60s, 1, std::nullopt)), (std::vector{c1})) << "the limit holds";
  EXPECT_TRUE(store_->outbox_claim(kT0 + 60s, 10, std::vector<std::string>{"teams"}).empty());
}

TEST_F(OutboxTest, SettlingWritesEveryOutcomeAndLeavesOnlyTheRowsThatCannotBeSettled) {
  enqueue_a1_a2_b1();
  const auto c1 = store_->enqueue({message("slack.dm", "slack:C")}, {});
  const auto d1 = store_->enqueue({message("slack.dm", "slack:D")}, {});
  ASSERT_EQ(store_->outbox_claim(kT0, 10, std::nullopt).size(), 4u);  // a1, b1, c1, d1
  const auto escalation = store_->add_submission(escalated_submission()).escalation_id;
  using Outcome = OutboxSettlement::Outcome;
  OutboxSettlement posted{a1_, Outcome::sent, R"({"ts":"1.2"})", kT0 + 1s, "", {}};
  posted.message = MessageRef{escalation, "slack", "C1", "1.2", ""};
  const OutboxSettlement later{b1_, Outcome::retry, "{}", kT0 + 30s, "429 ratelimited", {}};
  const OutboxSettlement refused{c1, Outcome::fail, "{}", kT0 + 1s, "channel_not_found", {}};
  const OutboxSettlement unknown{404, Outcome::sent, "{}", kT0 + 1s, "", {}};
  const OutboxSettlement not_json{d1, Outcome::sent, "not json", kT0 + 1s, "", {}};
  OutboxSettlement twice = posted;  // a1 again, in the same batch: no longer sending
  twice.message = MessageRef{escalation, "slack", "C9", "9.9", ""};
  const auto problems = store_->outbox_settle({posted, later, refused, unknown, not_json, twice});
  ASSERT_EQ(problems.size(), 6u);
  EXPECT_EQ(problems[0], "");
  EXPECT_EQ(problems[1], "");
  EXPECT_EQ(problems[2], "");
  EXPECT_NE(problems[3].find("no outbox message 404"), std::string::npos) << problems[3];
  EXPECT_FALSE(problems[4].empty()) << "a result that is not JSON is refused, for that row only";
  EXPECT_NE(problems[5].find("is sent"), std::string::npos) << problems[5];

  EXPECT_EQ(store_->outbox_message(a1_)->state, State::sent);
  EXPECT_EQ(store_->outbox_message(a1_)->result_json, R"({"ts":"1.2"})");
  EXPECT_EQ(store_->outbox_message(a1_)->sent_at, kT0 + 1s);
  const auto post = store_->message(escalation, "slack");
  ASSERT_TRUE(post) << "the reference is recorded with the row";
  EXPECT_EQ(post->message_id, "1.2") << "not the one of the settlement that was refused";
  EXPECT_EQ(store_->outbox_message(b1_)->state, State::pending);
  EXPECT_EQ(store_->outbox_message(b1_)->next_attempt_at, kT0 + 30s);
  EXPECT_EQ(store_->outbox_message(b1_)->last_error, "429 ratelimited");
  EXPECT_EQ(store_->outbox_message(c1)->state, State::failed);
  EXPECT_EQ(store_->outbox_message(d1)->state, State::sending) << "left in doubt, to be looked up";
  EXPECT_EQ(store_->outbox_message(a2_)->state, State::pending);
  EXPECT_TRUE(store_->outbox_claim(kT0, 0, std::nullopt).size() >= 1u);
  EXPECT_EQ(store_->outbox_message(a2_)->state, State::sending) << "A2 is its key's head now";
  EXPECT_TRUE(store_->outbox_settle({}).empty());
}

TEST_F(OutboxTest, SentRowsAreNotDueAndKeepWhatTheSendReturned) {
  const auto id = store_->enqueue({message("slack.post_escalation", "slack:C1")}, {});
  store_->outbox_mark_sending(id, kT0 + 1s);
  store_->outbox_mark_sent(id, R"({"channel":"C1","ts":"1717236001.000100"})", kT0 + 2s);
  EXPECT_TRUE(store_->outbox_due(kT0 + 1h, 10).empty());
  EXPECT_TRUE(store_->outbox_in_doubt().empty());
  const auto row = *store_->outbox_message(id);
  EXPECT_EQ(row.state, State::sent);
  EXPECT_EQ(row.result_json, R"({"channel":"C1","ts":"1717236001.000100"})");
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(*row.last_attempt_at, kT0 + 1s);
  EXPECT_EQ(*row.sent_at, kT0 + 2s);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_mark_sent(id, "{}", kT0); }), StorageError::Code::conflict);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_mark_sending(id, kT0); }), StorageError::Code::conflict);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_retry(id, kT0, "x"); }), StorageError::Code::conflict);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_fail(id, "x"); }), StorageError::Code::conflict);
}

TEST_F(OutboxTest, OnlyASendingRowCanBeMarkedSent) {
  const auto id = store_->enqueue({message("slack.dm", "slack:D1")}, {});
  std::string error;
  EXPECT_EQ(storage_error_code([&] { store_->outbox_mark_sent(id, "{}", kT0); }, &error), StorageError::Code::conflict);
  EXPECT_EQ(error, "outbox message 1 is pending: it cannot be marked sent (only a sending one can)");
  store_->outbox_mark_sending(id, kT0);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_mark_sent(id, "not json", kT0); }), StorageError::Code::constraint);
  EXPECT_EQ(store_->outbox_message(id)->state, State::sending);
}

TEST_F(OutboxTest, UnknownIdsAreNotFound) {
  EXPECT_EQ(storage_error_code([&] { store_->outbox_mark_sending(7, kT0); }), StorageError::Code::not_found);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_mark_sent(7, "{}", kT0); }), StorageError::Code::not_found);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_retry(7, kT0, ""); }), StorageError::Code::not_found);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_fail(7, ""); }), StorageError::Code::not_found);
}

TEST_F(OutboxTest, RetryMovesNextAttemptAndKeepsTheError) {
  const auto id = store_->enqueue({message("slack.update_escalation", "slack:C1")}, {});
  store_->outbox_mark_sending(id, kT0);
  store_->outbox_retry(id, kT0 + 30s, "429 ratelimited, Retry-After 30");
  EXPECT_TRUE(store_->outbox_due(kT0 + 29s, 10).empty());
  const auto rows = store_->outbox_due(kT0 + 30s, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].next_attempt_at, kT0 + 30s);
  EXPECT_EQ(rows[0].last_error, "429 ratelimited, Retry-After 30");
  EXPECT_EQ(rows[0].attempts, 1);
  // A pending row may be parked too (a 429 on its channel), and a second attempt counts.
  store_->outbox_retry(id, kT0 + 90s, "channel rate limited");
  EXPECT_EQ(*store_->outbox_next_attempt(), kT0 + 90s);
  store_->outbox_mark_sending(id, kT0 + 90s);
  EXPECT_EQ(store_->outbox_message(id)->attempts, 2);
}

TEST_F(OutboxTest, LongErrorsAreCutAtACharacterBoundary) {
  const auto id = store_->enqueue({message("slack.dm", "slack:D1")}, {});
  const std::string error = std::string(1999, 'x') + "€€€";  // the cut at 2000 bytes falls inside a €
  store_->outbox_retry(id, kT0, error);
  EXPECT_EQ(store_->outbox_message(id)->last_error, std::string(1999, 'x') + " [truncated]");
  store_->outbox_fail(id, "short");
  EXPECT_EQ(store_->outbox_message(id)->last_error, "short");
}

TEST_F(OutboxTest, FailedIsFinalAndStopsBlockingItsKey) {
  enqueue_a1_a2_b1();
  store_->outbox_mark_sending(a1_, kT0);
  store_->outbox_fail(a1_, "channel_not_found");
  EXPECT_EQ(due(kT0 + 1h), (std::vector{a2_, b1_}));
  const auto row = *store_->outbox_message(a1_);
  EXPECT_EQ(row.state, State::failed);
  EXPECT_EQ(row.last_error, "channel_not_found");
  EXPECT_EQ(storage_error_code([&] { store_->outbox_mark_sending(a1_, kT0); }), StorageError::Code::conflict);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_retry(a1_, kT0, "again"); }), StorageError::Code::conflict);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_mark_sent(a1_, "{}", kT0); }), StorageError::Code::conflict);
  EXPECT_EQ(storage_error_code([&] { store_->outbox_fail(a1_, "again"); }), StorageError::Code::conflict);
  EXPECT_EQ(store_->outbox_message(a1_)->last_error, "channel_not_found");
}

TEST_F(OutboxTest, NextAttemptIsTheEarliestSendableRow) {
  EXPECT_FALSE(store_->outbox_next_attempt());
  store_->enqueue({message("slack.dm", "slack:A", kT0 + 100s), message("slack.dm", "slack:A", kT0 + 5s),
                   message("slack.dm", "slack:B", kT0 + 40s)},
                  {});
  // A2 (+5 s) waits behind A1 (+100 s): a timer set to +5 s would find nothing due, again and again.
  EXPECT_EQ(*store_->outbox_next_attempt(), kT0 + 40s);
  EXPECT_FALSE(store_->outbox_due(*store_->outbox_next_attempt(), 10).empty());
  store_->outbox_mark_sending(3, kT0 + 40s);
  EXPECT_EQ(*store_->outbox_next_attempt(), kT0 + 100s);
  store_->outbox_mark_sending(1, kT0 + 100s);
  EXPECT_FALSE(store_->outbox_next_attempt()) << "sending rows are settled by the sender, not a timer";
  store_->outbox_mark_sent(1, "{}", kT0 + 101s);
  EXPECT_EQ(*store_->outbox_next_attempt(), kT0 + 5s);
}

TEST_F(OutboxTest, StatsCountEachState) {
  OutboxMessage old = message("slack.dm", "slack:A");
  old.created_at = kT0 - 10min;
  store_->enqueue({old, message("slack.dm", "slack:B"), message("slack.dm", "slack:C"), message("slack.dm", "slack:D"),
                   message("slack.dm", "slack:E")},
                  {});
  store_->outbox_mark_sending(2, kT0);
  store_->outbox_mark_sending(3, kT0);
  store_->outbox_mark_sent(3, "{}", kT0);
  store_->outbox_fail(4, "invalid_blocks");
  const OutboxStats stats = store_->outbox_stats();
  EXPECT_EQ(stats.pending, 2);
  EXPECT_EQ(stats.sending, 1);
  EXPECT_EQ(stats.sent, 1);
  EXPECT_EQ(stats.failed, 1);
  EXPECT_EQ(*stats.oldest_pending_created_at, kT0 - 10min);
  EXPECT_FALSE(SqliteStore::open(":memory:")->outbox_stats().oldest_pending_created_at);
}

TEST_F(OutboxTest, MessageReferenceRoundTripPerSurface) {
  const auto id = store_->add_submission(escalated_submission()).escalation_id;
  EXPECT_FALSE(store_->message(id, "slack"));
  store_->record_message({id, "slack", "C123", "1717236001.000100", ""});
  auto post = store_->message(id, "slack");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->escalation_id, id);
  EXPECT_EQ(post->surface, "slack");
  EXPECT_EQ(post->channel, "C123");
  EXPECT_EQ(post->message_id, "1717236001.000100");
  EXPECT_EQ(post->permalink, "");
  // Recording the same message again (an in-doubt row resolved after a crash) is harmless.
  store_->record_message(
      {id, "slack", "C123", "1717236001.000100", "https://x.slack.com/archives/C123/p1717236001000100"});
  store_->record_message({id, "slack", "C123", "1717236001.000100", ""});
  EXPECT_EQ(store_->message(id, "slack")->permalink, "https://x.slack.com/archives/C123/p1717236001000100");
  // A reposted message moves; the old permalink pointed at the old post.
  store_->record_message({id, "slack", "C123", "1717239999.000200", ""});
  EXPECT_EQ(store_->message(id, "slack")->message_id, "1717239999.000200");
  EXPECT_EQ(store_->message(id, "slack")->permalink, "");
  // The same escalation lives in Teams too, with its own reference.
  store_->record_message({id, "teams", "19:desk@thread.tacv2", "1717239999123", ""});
  EXPECT_EQ(store_->message(id, "slack")->message_id, "1717239999.000200");
  const auto all = store_->messages(id);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].surface, "slack");
  EXPECT_EQ(all[1].surface, "teams");
  EXPECT_EQ(all[1].channel, "19:desk@thread.tacv2");
}

TEST_F(OutboxTest, MessageReferenceNeedsAKnownEscalationAndAWholeAddress) {
  const auto id = store_->add_submission(escalated_submission()).escalation_id;
  EXPECT_EQ(storage_error_code([&] {
              store_->record_message({"ESC-000404", "slack", "C1", "1.2", ""});
            }),
            StorageError::Code::constraint);
  EXPECT_EQ(storage_error_code([&] {
              store_->record_message({id, "slack", "", "1.2", ""});
            }),
            StorageError::Code::constraint);
  EXPECT_EQ(storage_error_code([&] {
              store_->record_message({id, "slack", "C1", "", ""});
            }),
            StorageError::Code::constraint);
  EXPECT_EQ(storage_error_code([&] {
              store_->record_message({id, "", "C1", "1.2", ""});
            }),
            StorageError::Code::constraint);
  EXPECT_FALSE(store_->message(id, "slack"));
  EXPECT_TRUE(store_->messages(id).empty());
}

TEST_F(OutboxTest, DueRowsAndTheNextAttemptCanBeLimitedToReadySurfaces) {
  enqueue_a1_a2_b1();
  OutboxMessage teams = message("post_escalation", "teams:A", kT0 + 5s);
  teams.surface = "teams";
  const auto t = store_->enqueue({teams}, {});
  EXPECT_EQ(ids_of(store_->outbox_due(kT0 + 1h, 10, std::vector<std::string>{"teams"})), (std::vector{t}));
  EXPECT_EQ(ids_of(store_->outbox_due(kT0 + 1h, 10, std::vector<std::string>{"slack"})), (std::vector{a1_, b1_}));
  EXPECT_TRUE(store_->outbox_due(kT0 + 1h, 10, std::vector<std::string>{}).empty()) << "no surface ready: nothing";
  EXPECT_EQ(store_->outbox_due(kT0 + 1h, 10).size(), 3u) << "no filter: every surface";
  EXPECT_EQ(*store_->outbox_next_attempt(std::vector<std::string>{"teams"}), kT0 + 5s);
  EXPECT_FALSE(store_->outbox_next_attempt(std::vector<std::string>{"console"}));
  EXPECT_EQ(ids_of(store_->outbox_due(kT0 + 1h, 10, std::vector<std::string>{"we\"ird", "teams"})), (std::vector{t}))
      << "names are passed as data, never as SQL or broken JSON";
}

TEST_F(OutboxTest, AnEmptyOrderingKeyOrdersTheRowWithItsEscalationOnItsSurface) {
  NewSubmission s = escalated_submission();
  OutboxMessage post = message("post_escalation", "");
  OutboxMessage teams_post = message("post_escalation", "");
  teams_post.surface = "teams";
  s.outbox = {post, teams_post};
  const auto id = store_->add_submission(s).escalation_id;
  const auto due = store_->outbox_due(kT0 + 1h, 10, std::vector<std::string>{"slack", "teams"});
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].ordering_key, "slack:" + id);
  EXPECT_EQ(due[1].ordering_key, "teams:" + id);
  EXPECT_EQ(due[0].escalation_id, id);
}

class OutboxFileTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("desk.db");
};

TEST_F(OutboxFileTest, ARowSendingAtACrashIsInDoubtAfterTheRestart) {
  std::int64_t in_flight = 0, queued = 0;
  {
    auto store = SqliteStore::open(path_);
    NewSubmission s = escalated_submission();
    s.outbox = {message("slack.post_escalation", "slack:C123"), message("slack.thread_reply", "slack:C123")};
    store->add_submission(s);
    in_flight = store->outbox_due(kT0, 10).at(0).id;
    store->outbox_mark_sending(in_flight, kT0 + 1s);
    queued = in_flight + 1;
  }  // the process dies here, mid-send: the outcome of the post is unknown
  auto store = SqliteStore::open(path_);
  const auto doubt = store->outbox_in_doubt();
  ASSERT_EQ(doubt.size(), 1u);
  EXPECT_EQ(doubt[0].id, in_flight);
  EXPECT_EQ(doubt[0].escalation_id, "ESC-000001");
  EXPECT_EQ(doubt[0].attempts, 1);
  EXPECT_EQ(*doubt[0].last_attempt_at, kT0 + 1s);
  EXPECT_TRUE(store->outbox_due(kT0 + 1h, 10).empty()) << "neither resent blindly nor overtaken by its thread reply";
  // The lookup found nothing in the channel: send again, counting the attempt.
  store->outbox_mark_sending(in_flight, kT0 + 2min);
  EXPECT_EQ(store->outbox_message(in_flight)->attempts, 2);
  store->record_message({"ESC-000001", "slack", "C123", "1717236120.000100", ""});
  store->outbox_mark_sent(in_flight, R"({"channel":"C123","ts":"1717236120.000100"})", kT0 + 2min);
  EXPECT_TRUE(store->outbox_in_doubt().empty());
  EXPECT_EQ(ids_of(store->outbox_due(kT0 + 2min, 10)), (std::vector{queued}));
}

TEST_F(OutboxFileTest, ASecondDeskOnTheSameFileSeesCommittedRows) {
  auto writer = SqliteStore::open(path_);
  auto reader = SqliteStore::open(path_);
  const auto id = writer->enqueue({message("slack.dm", "slack:D1")}, {});
  EXPECT_EQ(ids_of(reader->outbox_due(kT0, 10)), (std::vector{id}));
  reader->outbox_mark_sending(id, kT0);
  writer->outbox_mark_sent(id, "{}", kT0);
  EXPECT_EQ(reader->outbox_message(id)->state, State::sent);
}

}  // namespace
}  // namespace desk::storage
