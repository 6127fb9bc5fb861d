// SqliteStore: submissions, escalations, idempotency, optimistic concurrency and all-or-nothing writes.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "storage/migrations.hpp"
#include "store_fixtures.hpp"

namespace desk::storage {
namespace {

using namespace testing;
using core::DeadlineKind;
using core::EscalationState;

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> store_ = SqliteStore::open(":memory:");
};

TEST_F(SqliteStoreTest, RoundTripsEscalatedSubmissionWithHitsAndDeadlines) {
  const NewSubmission in = escalated_submission();
  const SubmissionIds ids = store_->add_submission(in);
  EXPECT_EQ(ids.submission_id, "SUB-000001");
  EXPECT_EQ(ids.escalation_id, "ESC-000001");
  EXPECT_FALSE(ids.replayed);

  const auto e = store_->escalation(ids.escalation_id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->submission_id, "SUB-000001");
  EXPECT_EQ(e->workflow, "community_replies");
  EXPECT_EQ(e->policy_digest, in.escalation->policy_digest);
  EXPECT_EQ(e->state, EscalationState::open);
  EXPECT_EQ(e->owner_person, "lee");
  EXPECT_EQ(e->opened_at, kT0);
  EXPECT_EQ(e->version, 0);
  ASSERT_EQ(e->deadlines.size(), 3u);
  EXPECT_EQ(e->deadlines[0].kind, DeadlineKind::backup_ping);
  EXPECT_EQ(e->deadline(DeadlineKind::decision)->due, kT0 + 30min);
  EXPECT_FALSE(e->deadline(DeadlineKind::triage)->fired_at);
  ASSERT_EQ(e->hits.size(), 4u);
  EXPECT_EQ(e->hits[0].kind, core::TriggerKind::low_confidence);
  EXPECT_DOUBLE_EQ(*e->hits[0].threshold, 0.80);
  EXPECT_DOUBLE_EQ(*e->hits[0].value, 0.62);
  EXPECT_EQ(e->hits[1].matched, "Prices");
  EXPECT_EQ(*e->hits[1].begin, 44u);
  EXPECT_EQ(*e->hits[1].end, 50u);
  EXPECT_EQ(e->hits[2].route, "legal_oncall");
  EXPECT_EQ(*e->hits[3].citation_date, std::chrono::year{2022} / 6 / 1);
  EXPECT_EQ(*e->hits[3].oldest_allowed, std::chrono::year{2023} / 6 / 1);
  EXPECT_FALSE(e->hits[3].begin);

  const auto s = store_->submission(ids.submission_id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->verdict, core::Verdict::escalated);
  EXPECT_EQ(s->escalation_id, "ESC-000001");
  EXPECT_EQ(s->submission.output, in.submission.output);  // UTF-8 (€) kept byte for byte
  EXPECT_EQ(s->submission.metadata_json, in.submission.metadata_json);
  EXPECT_DOUBLE_EQ(s->submission.confidence, 0.62);
  ASSERT_EQ(s->submission.citations.size(), 2u);
  EXPECT_EQ(*s->submission.citations[0].published_at, std::chrono::year{2022} / 6 / 1);
  EXPECT_FALSE(s->submission.citations[1].published_at);
  EXPECT_EQ(s->submission.submitted_at, kT0);
  EXPECT_EQ(s->hits.size(), 4u);
}

TEST_F(SqliteStoreTest, StoresApprovedSubmissionWithoutEscalation) {
  const SubmissionIds ids = store_->add_submission(approved_submission());
  EXPECT_EQ(ids.submission_id, "SUB-000001");
  EXPECT_TRUE(ids.escalation_id.empty());
  const auto s = store_->submission(ids.submission_id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->verdict, core::Verdict::approved);
  EXPECT_TRUE(s->escalation_id.empty());
  EXPECT_TRUE(s->hits.empty());
  EXPECT_TRUE(store_->escalations(std::nullopt).empty());
  EXPECT_FALSE(store_->submission("SUB-999999"));
  EXPECT_FALSE(store_->escalation("ESC-000001"));
}

TEST_F(SqliteStoreTest, NumbersSubmissionsAndEscalationsSeparately) {
  store_->add_submission(approved_submission());
  const SubmissionIds second = store_->add_submission(escalated_submission());
  EXPECT_EQ(second.submission_id, "SUB-000002");
  EXPECT_EQ(second.escalation_id, "ESC-000001");
}

TEST_F(SqliteStoreTest, RefusesVerdictThatDisagreesWithEscalation) {
  NewSubmission s = escalated_submission();
  s.verdict = core::Verdict::approved;
  EXPECT_EQ(storage_error_code([&] { store_->add_submission(s); }), StorageError::Code::constraint);
  NewSubmission t = approved_submission();
  t.verdict = core::Verdict::escalated;
  EXPECT_EQ(storage_error_code([&] { store_->add_submission(t); }), StorageError::Code::constraint);
}

TEST_F(SqliteStoreTest, IdempotencyKeyReplaysFirstIdsAndChangesNothing) {
  const SubmissionIds first = store_->add_submission(escalated_submission("key-1"));
  store_->set_submission_response(first.submission_id, R"({"verdict":"escalated"})");
  const auto trail_before = store_->audit_trail("");

  NewSubmission retry = escalated_submission("key-1");
  retry.submission.output = "a different body must not matter";
  const SubmissionIds again = store_->add_submission(retry);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.submission_id, first.submission_id);
  EXPECT_EQ(again.escalation_id, first.escalation_id);
  EXPECT_EQ(store_->escalations(std::nullopt).size(), 1u);
  EXPECT_EQ(store_->audit_trail("").size(), trail_before.size());

  const auto found = store_->find_by_idempotency_key(retry.idempotency_scope, "key-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->submission_id, first.submission_id);
  EXPECT_EQ(store_->submission(first.submission_id)->response_json, R"({"verdict":"escalated"})");
  EXPECT_EQ(store_->submission(first.submission_id)->idempotency_key, "key-1");
  EXPECT_EQ(store_->add_submission(escalated_submission("key-2")).submission_id, "SUB-000002");
}

TEST_F(SqliteStoreTest, RekeyingScopesMovesEachTokensSubmissionsOnceAndKeepsTheirKeys) {
  const SubmissionIds first = store_->add_submission(escalated_submission("key-1"));
  NewSubmission other = escalated_submission("key-1");
  other.idempotency_scope = sha256_hex("agent token 2");
  store_->add_submission(other);
  NewSubmission removed = escalated_submission("key-9");
  removed.idempotency_scope = sha256_hex("a token no longer configured");
  const SubmissionIds kept = store_->add_submission(removed);

  const std::vector<std::pair<std::string, std::string>> renames = {{sha256_hex("agent token 1"), "keyed-1"},
                                                                    {sha256_hex("agent token 2"), "keyed-2"}};
  EXPECT_EQ(store_->rekey_idempotency_scopes(renames), 2u);
  EXPECT_EQ(store_->rekey_idempotency_scopes(renames), 0u);  // a second start changes nothing
  EXPECT_EQ(store_->rekey_idempotency_scopes({}), 0u);
  EXPECT_EQ(store_->submission_scope(first.submission_id), "keyed-1");
  EXPECT_EQ(store_->submission_scope(kept.submission_id), sha256_hex("a token no longer configured"));
  // The same Idempotency-Key under the keyed scope is still the first submission, not a new one.
  const auto found = store_->find_by_idempotency_key("keyed-1", "key-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->submission_id, first.submission_id);
  EXPECT_FALSE(store_->find_by_idempotency_key(sha256_hex("agent token 1"), "key-1"));
  NewSubmission retry = escalated_submission("key-1");
  retry.idempotency_scope = "keyed-1";
  EXPECT_TRUE(store_->add_submission(retry).replayed);
}

TEST_F(SqliteStoreTest, MetricTotalsCountTheRecordedWorkAndLeaveDrillsOut) {
  const auto opened_as = [](NewSubmission s, const std::string& role, const std::string& key) {
    s.idempotency_key = key;
    s.audit = {{"escalation.opened", "", "desk", kT0, {{"owner_role", role}, {"owner", "lee"}}}};
    return s;
  };
  // Legal's, breached at triage after the backup ping, then triaged 7 minutes in and accepted.
  const SubmissionIds legal = store_->add_submission(opened_as(escalated_submission(), "legal_oncall", "a"));
  auto e = *store_->escalation(legal.escalation_id);
  e.deadlines[0].fired_at = kT0 + 3min;
  e.deadlines[1].fired_at = kT0 + 5min;
  e.state = EscalationState::triaged;
  e.triaged_at = kT0 + 7min;
  e.triaged_by = "lee";
  ASSERT_TRUE(store_->update_escalation(e, {}));
  e = *store_->escalation(legal.escalation_id);
  e.state = EscalationState::accepted;
  e.decision = core::Decision{core::Macro::accept, "lee", kT0 + 9min, "Checked with the pricing page."};
  ASSERT_TRUE(store_->update_escalation(e, {}));
  // The duty lead's, re-owned since (today's owner is legal), decided without a triage 2 minutes in.
  NewSubmission second = opened_as(escalated_submission(), "duty_lead", "b");
  second.hits.resize(1);
  const SubmissionIds duty = store_->add_submission(second);
  e = *store_->escalation(duty.escalation_id);
  e.state = EscalationState::rejected;
  e.decision = core::Decision{core::Macro::reject, "lee", kT0 + 2min, "Not on brand."};
  ASSERT_TRUE(store_->update_escalation(e, {}));
  // One still open, one approved draft, and a fire drill that counts nowhere.
  store_->add_submission(opened_as(escalated_submission(), "legal_oncall", "c"));
  store_->add_submission(approved_submission());
  NewSubmission drill = opened_as(escalated_submission(), "legal_oncall", "d");
  drill.escalation->drill = true;
  drill.escalation->deadlines[0].fired_at = kT0 + 3min;
  const SubmissionIds drilled = store_->add_submission(drill);
  e = *store_->escalation(drilled.escalation_id);
  e.state = EscalationState::triaged;
  e.triaged_at = kT0 + 1min;
  ASSERT_TRUE(store_->update_escalation(e, {}));

  const core::MetricTotals t = store_->metric_totals();
  EXPECT_EQ(t.submissions, (std::map<std::string, double>{{"approved", 1}, {"escalated", 3}}));
  EXPECT_EQ(t.escalations_opened, (std::map<std::string, double>{{"duty_lead", 1}, {"legal_oncall", 2}}));
  EXPECT_EQ(t.escalations, (std::map<std::string, double>{{"accepted", 1}, {"open", 1}, {"rejected", 1}}));
  EXPECT_EQ(t.pings, 1);
  EXPECT_EQ(t.breaches, (std::map<std::string, double>{{"triage", 1}}));
  // Four hits each on the two full submissions, the first hit only on the second.
  const auto hits = sample_hits();
  std::map<std::string, double> expected_hits;
  for (const auto& h : hits) expected_hits[h.rule_id] += 2;
  expected_hits[hits[0].rule_id] += 1;
  EXPECT_EQ(t.hits, expected_hits);
  EXPECT_EQ(t.times_to_respond, (std::vector<double>{420, 120}));
}

TEST_F(SqliteStoreTest, ReplayableSubmissionsLeaveOutErasedDrillsManualAndOlderOnes) {
  const auto add = [&](const std::string& key, auto&& change) {
    NewSubmission s = escalated_submission(key);
    change(s);
    return store_->add_submission(s).submission_id;
  };
  const std::string agents = add("a", [](NewSubmission&) {});
  const std::string approved = store_->add_submission(approved_submission()).submission_id;
  add("drill", [](NewSubmission& s) { s.escalation->drill = true; });
  add("manual", [](NewSubmission& s) { s.escalation->manual = true; });
  add("older", [](NewSubmission& s) { s.submission.submitted_at = kT0 - std::chrono::hours(24 * 40); });
  const std::string erased = add("erased", [](NewSubmission&) {});
  store_->erase_submission(erased, "cli:dpo", "ticket 7", kT0 + 1h, {});
  EXPECT_EQ(store_->replayable_submissions(kT0 - std::chrono::hours(24 * 30)),
            (std::vector<std::string>{agents, approved}));
  EXPECT_EQ(store_->replayable_submissions(kT0 - std::chrono::hours(24 * 60)).size(), 3u);
  EXPECT_TRUE(store_->replayable_submissions(kT0 + 1h).empty());
}

TEST_F(SqliteStoreTest, IdempotencyKeysAreScopedPerAgentToken) {
  store_->add_submission(escalated_submission("same-key"));
  NewSubmission other = escalated_submission("same-key");
  other.idempotency_scope = sha256_hex("agent token 2");
  const SubmissionIds ids = store_->add_submission(other);
  EXPECT_FALSE(ids.replayed);
  EXPECT_EQ(ids.submission_id, "SUB-000002");
  EXPECT_FALSE(store_->find_by_idempotency_key(other.idempotency_scope, "other-key"));
  EXPECT_FALSE(store_->find_by_idempotency_key(other.idempotency_scope, ""));
}

TEST_F(SqliteStoreTest, SubmissionsWithoutKeyAreNeverReplays) {
  EXPECT_FALSE(store_->add_submission(approved_submission()).replayed);
  EXPECT_FALSE(store_->add_submission(approved_submission()).replayed);
  EXPECT_EQ(store_->add_submission(approved_submission()).submission_id, "SUB-000003");
}

TEST_F(SqliteStoreTest, ResponseForUnknownSubmissionIsNotFound) {
  EXPECT_EQ(storage_error_code([&] { store_->set_submission_response("SUB-000404", "{}"); }),
            StorageError::Code::not_found);
}

TEST_F(SqliteStoreTest, UpdateWritesDecisionAndBumpsVersion) {
  const auto ids = store_->add_submission(escalated_submission());
  core::Escalation e = *store_->escalation(ids.escalation_id);
  e.state = EscalationState::accepted;
  e.triaged_at = kT0 + 2min;
  e.triaged_by = "lee";
  e.decision = core::Decision{core::Macro::accept, "lee", kT0 + 4min, "Claim checked against the licence"};
  e.deadline(DeadlineKind::backup_ping)->fired_at = kT0 + 3min;
  ASSERT_TRUE(store_->update_escalation(e, {{"decision.accepted", "", "lee", kT0 + 4min, {}}}));

  const auto stored = store_->escalation(ids.escalation_id);
  EXPECT_EQ(stored->state, EscalationState::accepted);
  EXPECT_EQ(stored->version, 1);
  EXPECT_EQ(*stored->triaged_at, kT0 + 2min);
  ASSERT_TRUE(stored->decision);
  EXPECT_EQ(stored->decision->macro, core::Macro::accept);
  EXPECT_EQ(stored->decision->rationale, "Claim checked against the licence");
  EXPECT_EQ(*stored->deadline(DeadlineKind::backup_ping)->fired_at, kT0 + 3min);
  EXPECT_FALSE(stored->deadline(DeadlineKind::decision)->fired_at);
  const auto trail = store_->audit_trail(ids.escalation_id);
  ASSERT_EQ(trail.size(), 2u);
  EXPECT_EQ(trail[1].event.kind, "decision.accepted");
  EXPECT_EQ(trail[1].event.escalation_id, ids.escalation_id);  // filled in by the store
}

TEST_F(SqliteStoreTest, TwoUpdatesFromTheSameVersionExactlyOneWins) {
  const auto ids = store_->add_submission(escalated_submission());
  core::Escalation accept = *store_->escalation(ids.escalation_id);
  core::Escalation reject = accept;
  accept.state = EscalationState::accepted;
  accept.decision = core::Decision{core::Macro::accept, "lee", kT0 + 4min, "fine as written"};
  reject.state = EscalationState::rejected;
  reject.decision = core::Decision{core::Macro::reject, "dana", kT0 + 4min, "too risky to publish"};

  EXPECT_TRUE(store_->update_escalation(accept, {{"decision.accepted", "", "lee", kT0 + 4min, {}}}));
  EXPECT_FALSE(store_->update_escalation(reject, {{"decision.rejected", "", "dana", kT0 + 4min, {}}}));

  const auto stored = store_->escalation(ids.escalation_id);
  EXPECT_EQ(stored->state, EscalationState::accepted);
  EXPECT_EQ(stored->decision->by, "lee");
  EXPECT_EQ(stored->version, 1);
  for (const auto& row : store_->audit_trail(ids.escalation_id)) EXPECT_NE(row.event.kind, "decision.rejected");
}

TEST_F(SqliteStoreTest, UpdateOfUnknownEscalationIsNotFound) {
  core::Escalation ghost = sample_escalation();
  ghost.id = "ESC-000404";
  EXPECT_EQ(storage_error_code([&] { store_->update_escalation(ghost, {}); }), StorageError::Code::not_found);
}

TEST_F(SqliteStoreTest, ReowningShowsOnlyTheNewGenerationsDeadlines) {
  const auto ids = store_->add_submission(escalated_submission());
  core::Escalation e = *store_->escalation(ids.escalation_id);
  e.deadline(DeadlineKind::backup_ping)->fired_at = kT0 + 3min;
  ASSERT_TRUE(store_->update_escalation(e, {}));
  e = *store_->escalation(ids.escalation_id);
  e.generation = 1;
  e.owner_role = "sales";
  e.owned_since = kT0 + 10min;
  e.deadlines = {{DeadlineKind::triage, kT0 + 15min, std::nullopt}};
  ASSERT_TRUE(store_->update_escalation(e, {}));

  const auto stored = store_->escalation(ids.escalation_id);
  EXPECT_EQ(stored->generation, 1);
  ASSERT_EQ(stored->deadlines.size(), 1u);
  EXPECT_EQ(stored->deadlines[0].due, kT0 + 15min);
  EXPECT_FALSE(stored->deadlines[0].fired_at);
}

TEST_F(SqliteStoreTest, FailedUpdateLeavesEscalationAsItWas) {
  const auto ids = store_->add_submission(escalated_submission());
  core::Escalation e = *store_->escalation(ids.escalation_id);
  e.state = EscalationState::triaged;
  e.deadlines.push_back({DeadlineKind::triage, kT0 + 9min, std::nullopt});  // a second triage: refused
  EXPECT_EQ(storage_error_code([&] {
              store_->update_escalation(e, {{"escalation.triaged", "", "lee", kT0, {}}});
            }),
            StorageError::Code::constraint);
  const auto stored = store_->escalation(ids.escalation_id);
  EXPECT_EQ(stored->state, EscalationState::open);
  EXPECT_EQ(stored->version, 0);
  EXPECT_EQ(stored->deadlines.size(), 3u);
  EXPECT_EQ(store_->audit_trail("").size(), 1u);
}

TEST_F(SqliteStoreTest, FailureMidwayThroughASubmissionLeavesNothingBehind) {
  NewSubmission s = escalated_submission("key-1");
  // Everything up to the escalation's deadlines is written before this duplicate fails.
  s.escalation->deadlines.push_back({DeadlineKind::decision, kT0 + 40min, std::nullopt});
  std::string message;
  EXPECT_EQ(storage_error_code([&] { store_->add_submission(s); }, &message), StorageError::Code::constraint);
  EXPECT_NE(message.find("adding a submission"), std::string::npos) << message;
  EXPECT_FALSE(store_->submission("SUB-000001"));
  EXPECT_FALSE(store_->escalation("ESC-000001"));
  EXPECT_FALSE(store_->find_by_idempotency_key(s.idempotency_scope, "key-1"));
  EXPECT_TRUE(store_->audit_trail("").empty());
  const SubmissionIds ok = store_->add_submission(escalated_submission("key-1"));
  EXPECT_EQ(ok.submission_id, "SUB-000001");  // the counters rolled back too
  EXPECT_EQ(ok.escalation_id, "ESC-000001");
  EXPECT_FALSE(ok.replayed);
}

TEST_F(SqliteStoreTest, OutOfRangeValuesAreConstraintErrors) {
  NewSubmission s = approved_submission();
  s.submission.confidence = 1.5;
  EXPECT_EQ(storage_error_code([&] { store_->add_submission(s); }), StorageError::Code::constraint);
  NewSubmission hit = escalated_submission();
  hit.hits[1].end = 10;  // before its begin (44)
  EXPECT_EQ(storage_error_code([&] { store_->add_submission(hit); }), StorageError::Code::constraint);
  NewSubmission date = escalated_submission();
  date.hits[3].citation_date = std::chrono::year{2023} / 2 / 30;
  EXPECT_EQ(storage_error_code([&] { store_->add_submission(date); }), StorageError::Code::constraint);
  EXPECT_TRUE(store_->audit_trail("").empty());
}

TEST_F(SqliteStoreTest, DecidedStateWithoutDecisionIsRefused) {
  const auto ids = store_->add_submission(escalated_submission());
  core::Escalation e = *store_->escalation(ids.escalation_id);
  e.state = EscalationState::rejected;
  EXPECT_EQ(storage_error_code([&] { store_->update_escalation(e, {}); }), StorageError::Code::constraint);
}

TEST_F(SqliteStoreTest, ListsEscalationsNewestFirstByStateWithLimit) {
  for (int i = 0; i < 3; ++i) store_->add_submission(escalated_submission());
  core::Escalation second = *store_->escalation("ESC-000002");
  second.state = EscalationState::triaged;
  ASSERT_TRUE(store_->update_escalation(second, {}));

  const auto all = store_->escalations(std::nullopt);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, "ESC-000003");
  EXPECT_EQ(all[0].hits.size(), 4u);
  const auto open = store_->escalations(EscalationState::open);
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[1].id, "ESC-000001");
  EXPECT_EQ(store_->escalations(std::nullopt, 1).size(), 1u);
  EXPECT_TRUE(store_->escalations(EscalationState::accepted).empty());
}

TEST_F(SqliteStoreTest, UndecidedEscalationsAreOpenAndTriagedOldestFirst) {
  for (int i = 0; i < 3; ++i) {
    NewSubmission s = escalated_submission();
    s.escalation->opened_at = kT0 + std::chrono::minutes(10 * (3 - i));  // ESC-000003 opened first
    store_->add_submission(s);
  }
  core::Escalation decided = *store_->escalation("ESC-000001");
  decided.state = EscalationState::rejected;
  decided.decision = core::Decision{core::Macro::reject, "lee", kT0 + 1h, "not on brand"};
  ASSERT_TRUE(store_->update_escalation(decided, {}));
  core::Escalation triaged = *store_->escalation("ESC-000002");
  triaged.state = EscalationState::triaged;
  ASSERT_TRUE(store_->update_escalation(triaged, {}));

  const auto undecided = store_->undecided_escalations();
  ASSERT_EQ(undecided.size(), 2u);
  EXPECT_EQ(undecided[0].id, "ESC-000003");
  EXPECT_EQ(undecided[1].id, "ESC-000002");
  EXPECT_EQ(undecided[1].deadlines.size(), 3u);
}

TEST_F(SqliteStoreTest, KeepsTheCountOfEveryHitAndReadsWithoutHitsWhenAsked) {
  NewSubmission s = escalated_submission();
  s.escalation->hits = s.hits;
  s.escalation->hits_total = 37000;
  const auto ids = store_->add_submission(s);
  EXPECT_EQ(store_->submission(ids.submission_id)->hits_total, 37000u);
  const auto full = store_->escalation(ids.escalation_id);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->hits.size(), s.hits.size());
  EXPECT_EQ(full->hits_total, 37000u);
  const auto bare = store_->escalation(ids.escalation_id, Hits::skip);
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->hits.empty());
  EXPECT_EQ(bare->hit_count(), 37000u);
  EXPECT_TRUE(store_->undecided_escalations(Hits::skip).at(0).hits.empty());
  EXPECT_TRUE(store_->escalations(std::nullopt, 10, Hits::skip).at(0).hits.empty());
  EXPECT_EQ(store_->undecided_escalations().at(0).hits.size(), s.hits.size());
  // Without a count from the caller, the hits given are the count.
  const auto plain = store_->add_submission(escalated_submission());
  EXPECT_EQ(store_->escalation(plain.escalation_id)->hits_total, escalated_submission().hits.size());
}

TEST_F(SqliteStoreTest, InMemoryDatabaseReportsItsSettings) {
  const ConnectionSettings s = store_->settings();
  EXPECT_EQ(s.journal_mode, "memory");
  EXPECT_TRUE(s.foreign_keys);
  EXPECT_EQ(s.schema_version, latest_schema_version());
}

}  // namespace
}  // namespace desk::storage
