// Erasure on request: after erase_submission no trace of the personal text is left in any table nor
// in the database file's bytes (secure_delete, the log checkpointed), the keyed chain still verifies,
// rationales live beside the chain (digests in it), and the escalation's message update is enqueued.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "storage/audit_chain.hpp"
#include "store_fixtures.hpp"

namespace desk::storage {
namespace erasure_test {

using namespace testing;

const std::string kKey = "erasure-test-audit-key-0123456789abcdef";
const std::string kRationale = "Checked with Jo Bloggs (jo.bloggs@example.com): fine to publish";
// Pieces of the personal text the submission, its answer and its decision put in the store.
const std::vector<std::string> kPersonal = {"7946 0958",
                                            "**58",
                                            "jo.bloggs@example.com",
                                            "Jo Bloggs",
                                            "launch-week",
                                            "announcing our launch",
                                            "licence claim",
                                            "contains a phone number"};

/// Every value of every table, as text: where a trace could hide.
std::string every_value(SQLite::Database& db) {
  std::string all;
  SQLite::Statement tables(db, "SELECT name FROM sqlite_schema WHERE type = 'table'");
  while (tables.executeStep()) {
    SQLite::Statement rows(db, "SELECT * FROM \"" + tables.getColumn(0).getString() + "\"");
    while (rows.executeStep())
      for (int i = 0; i < rows.getColumnCount(); ++i) all += rows.getColumn(i).getString() + "\x1f";
  }
  return all;
}

class ErasureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = SqliteStore::open(path_, StoreOptions{kKey});
    ids_ = store_->add_submission(escalated_submission());
    store_->set_submission_response(
        ids_.submission_id, R"({"hits":[{"matched":"+44 ** **** **58","explanation":"contains a phone number"}]})");
    auto e = *store_->escalation(ids_.escalation_id);
    e.state = core::EscalationState::accepted;
    e.decision = core::Decision{core::Macro::accept, "lee", kT0 + 5min, kRationale};
    OutboxMessage reply;
    reply.surface = "slack";
    reply.kind = "thread_reply";
    reply.payload_json = R"({"reply":"decision","actor":"lee","rationale":")" + kRationale + R"("})";
    reply.created_at = reply.next_attempt_at = kT0 + 5min;
    ASSERT_TRUE(store_->update_escalation(
        e, {{"decision.accepted", e.id, "lee", kT0 + 5min, {{"rationale", kRationale}, {"capacity", "owner"}}}},
        {reply}));
    store_->record_message({ids_.escalation_id, "slack", "C0DESK", "1700000000.000100", ""});
    PostMortem pm;
    pm.escalation_id = ids_.escalation_id;
    pm.author = "lee";
    pm.at = kT0 + 6min;
    pm.what_triggered = "A reply quoted Jo Bloggs's number";
    pm.what_fixed = "Removed the number";
    pm.what_to_automate = "Mask phone numbers before drafting";
    store_->add_postmortem(pm);
  }

  OutboxMessage update_row() const {
    OutboxMessage m;
    m.surface = "slack";
    m.kind = "update_escalation";
    m.payload_json = "{}";
    m.created_at = m.next_attempt_at = kT0 + 24h;
    return m;
  }

  TempDir dir_;
  std::string path_ = dir_.file("desk.db");
  std::unique_ptr<SqliteStore> store_;
  SubmissionIds ids_;
};

TEST_F(ErasureTest, RationalesStayBesideTheChainWhichHoldsTheirDigests) {
  const auto trail = store_->audit_trail(ids_.escalation_id);
  const auto decided =
      std::find_if(trail.begin(), trail.end(), [](const AuditRow& r) { return r.event.kind == "decision.accepted"; });
  ASSERT_NE(decided, trail.end());
  const AuditRow& decision = *decided;
  EXPECT_EQ(decision.stored_fields.find("Jo Bloggs"), std::string::npos) << decision.stored_fields;
  EXPECT_NE(decision.stored_fields.find(note_digest(kKey, "rationale", kRationale)), std::string::npos);
  ASSERT_EQ(decision.notes.size(), 1u);
  EXPECT_EQ(decision.notes[0].second, kRationale);
  // Shown with the event, as before.
  bool shown = false;
  for (const auto& [k, v] : decision.event.fields) shown |= k == "rationale" && v == kRationale;
  EXPECT_TRUE(shown);
  EXPECT_TRUE(store_->verify_audit().ok);

  // The note is checked against its digest.
  {
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE);
    raw.exec("UPDATE audit_notes SET text = 'Checked nothing'");
  }
  const auto v = store_->verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, decision.seq);
  EXPECT_NE(v.problem.find("the rationale kept beside row"), std::string::npos) << v.problem;
}

TEST_F(ErasureTest, LeavesNoTraceInAnyTableNorInTheFileAndTheChainStillVerifies) {
  EXPECT_TRUE(store_->settings().secure_delete);
  {
    SQLite::Database raw(path_, SQLite::OPEN_READONLY);
    const std::string before = every_value(raw);
    for (const auto& text : kPersonal) ASSERT_NE(before.find(text), std::string::npos) << text;
  }
  const Erasure e = store_->erase_submission(ids_.submission_id, "cli:dpo", "ticket DPO-7", kT0 + 24h, {update_row()});
  EXPECT_FALSE(e.already_erased);
  EXPECT_EQ(e.escalation_id, ids_.escalation_id);
  EXPECT_EQ(e.hits, 4);
  EXPECT_EQ(e.notes, 1);
  EXPECT_EQ(e.outbox_rows, 1);
  EXPECT_EQ(e.postmortems, 1);
  EXPECT_TRUE(e.rationale);
  const auto postmortems = store_->postmortems(ids_.escalation_id);
  ASSERT_EQ(postmortems.size(), 1u);
  EXPECT_EQ(postmortems[0].what_to_automate, "(erased on request)");
  EXPECT_EQ(postmortems[0].author, "lee");  // who filed it stays, as who decided does

  {
    SQLite::Database raw(path_, SQLite::OPEN_READONLY);
    const std::string after = every_value(raw);
    for (const auto& text : kPersonal) EXPECT_EQ(after.find(text), std::string::npos) << text;
  }
  std::string bytes = read_bytes(path_);
  if (std::filesystem::exists(path_ + "-wal")) bytes += read_bytes(path_ + "-wal");
  for (const auto& text : kPersonal) EXPECT_EQ(bytes.find(text), std::string::npos) << "in the file: " << text;

  const auto v = store_->verify_audit();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_TRUE(v.keyed);

  // The erasure is audited: who, when, what; the reason beside the chain, not in it.
  const AuditRow erased = store_->audit_trail(ids_.escalation_id).back();
  EXPECT_EQ(erased.event.kind, "submission.erased");
  EXPECT_EQ(erased.event.actor, "cli:dpo");
  EXPECT_EQ(erased.event.at, kT0 + 24h);
  EXPECT_NE(erased.stored_fields.find(R"("hits":"4")"), std::string::npos) << erased.stored_fields;
  EXPECT_NE(erased.stored_fields.find(ids_.submission_id), std::string::npos);
  EXPECT_EQ(erased.stored_fields.find("DPO-7"), std::string::npos) << erased.stored_fields;

  // The decision stays a decision; its message is redrawn on Slack.
  const auto esc = store_->escalation(ids_.escalation_id);
  EXPECT_EQ(esc->decision->rationale, "(erased on request)");
  EXPECT_EQ(esc->state, core::EscalationState::accepted);
  const auto slack = store_->outbox_history("slack", 0);
  ASSERT_FALSE(slack.empty());
  EXPECT_EQ(slack.back().kind, "update_escalation");
  EXPECT_EQ(slack.back().escalation_id, ids_.escalation_id);
  EXPECT_EQ(slack.back().state, OutboxMessage::State::pending);
  EXPECT_EQ(store_->submission(ids_.submission_id)->response_json, "");

  // Again: nothing more to do, nothing enqueued or audited.
  const auto rows = store_->audit_trail("").size();
  EXPECT_TRUE(
      store_->erase_submission(ids_.submission_id, "cli:dpo", "again", kT0 + 25h, {update_row()}).already_erased);
  EXPECT_EQ(store_->audit_trail("").size(), rows);
}

TEST_F(ErasureTest, AnUnknownSubmissionIsAnErrorThatChangesNothing) {
  std::string before;
  {
    SQLite::Database raw(path_, SQLite::OPEN_READONLY);
    before = every_value(raw);
  }
  std::string message;
  EXPECT_EQ(storage_error_code(
                [&] { store_->erase_submission("SUB-000404", "cli:dpo", "ticket DPO-8", kT0 + 24h, {update_row()}); },
                &message),
            StorageError::Code::not_found);
  EXPECT_NE(message.find("no submission SUB-000404"), std::string::npos) << message;
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(every_value(raw), before);
}

TEST(Erasure, AnApprovedSubmissionIsErasedToo) {
  auto store = SqliteStore::open(":memory:");
  const auto ids = store->add_submission(approved_submission());
  const Erasure e = store->erase_submission(ids.submission_id, "cli:dpo", "ticket DPO-9", kT0 + 1h, {});
  EXPECT_TRUE(e.escalation_id.empty());
  EXPECT_TRUE(store->submission(ids.submission_id)->submission.prompt.empty());
  EXPECT_TRUE(store->verify_audit().ok);
}

}  // namespace erasure_test
}  // namespace desk::storage
