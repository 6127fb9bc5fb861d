// SqliteStore on a real file: pragmas, durability across reopen, two desks on one file.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "storage/migrations.hpp"
#include "store_fixtures.hpp"

namespace desk::storage {
namespace {

using namespace testing;
using core::DeadlineKind;
using core::EscalationState;

class SqliteStoreFileTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("desk.db");
};

TEST_F(SqliteStoreFileTest, WalBusyTimeoutForeignKeysAndFullSyncAreInEffect) {
  auto store = SqliteStore::open(path_);
  const ConnectionSettings s = store->settings();
  EXPECT_EQ(s.journal_mode, "wal");
  EXPECT_EQ(s.busy_timeout_ms, 5000);
  EXPECT_TRUE(s.foreign_keys);
  EXPECT_EQ(s.synchronous, 2);
  EXPECT_EQ(s.schema_version, latest_schema_version());
  store->add_submission(approved_submission());
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("PRAGMA journal_mode").getString(), "wal");  // persistent in the file
  EXPECT_EQ(raw.execAndGet("PRAGMA application_id").getInt(), kApplicationId);
}

TEST_F(SqliteStoreFileTest, FiredDeadlineMarkSurvivesCloseAndReopen) {
  std::string id;
  {
    auto store = SqliteStore::open(path_);
    id = store->add_submission(escalated_submission()).escalation_id;
    core::Escalation e = *store->escalation(id);
    e.deadline(DeadlineKind::backup_ping)->fired_at = kT0 + 3min + 40s;
    e.backup_pinged_at = kT0 + 3min + 40s;
    e.backup_person = "bob";
    ASSERT_TRUE(store->update_escalation(e, {{"sla.backup_pinged", "", "desk", kT0 + 3min + 40s, {}}}));
  }
  auto reopened = SqliteStore::open(path_);
  const auto undecided = reopened->undecided_escalations();
  ASSERT_EQ(undecided.size(), 1u);
  const core::Escalation& e = undecided[0];
  EXPECT_EQ(*e.deadline(DeadlineKind::backup_ping)->fired_at, kT0 + 3min + 40s);
  EXPECT_FALSE(e.deadline(DeadlineKind::triage)->fired_at);
  EXPECT_EQ(e.backup_person, "bob");
  EXPECT_EQ(e.version, 1);
  EXPECT_TRUE(reopened->verify_audit().ok);
  EXPECT_EQ(reopened->add_submission(approved_submission()).submission_id, "SUB-000002");
}

TEST_F(SqliteStoreFileTest, TwoDesksOnOneFileRaceAndExactlyOneDecides) {
  auto first = SqliteStore::open(path_);
  auto second = SqliteStore::open(path_);
  const std::string id = first->add_submission(escalated_submission()).escalation_id;
  core::Escalation mine = *first->escalation(id);
  core::Escalation theirs = *second->escalation(id);  // the other desk sees the committed escalation
  mine.state = EscalationState::accepted;
  mine.decision = core::Decision{core::Macro::accept, "lee", kT0 + 5min, "checked"};
  theirs.state = EscalationState::rejected;
  theirs.decision = core::Decision{core::Macro::reject, "dana", kT0 + 5min, "not checked"};
  EXPECT_TRUE(second->update_escalation(theirs, {}));
  EXPECT_FALSE(first->update_escalation(mine, {}));
  EXPECT_EQ(first->escalation(id)->state, EscalationState::rejected);
}

TEST_F(SqliteStoreFileTest, ReadsNeverWaitForAWriteInProgress) {
  auto store = SqliteStore::open(path_);
  const std::string id = store->add_submission(escalated_submission()).escalation_id;
  // Another connection holds the file's write lock, so the store's next write waits (its busy
  // timeout) while holding the store's own lock. Reads must go on meanwhile, from the last commit.
  SQLite::Database other(path_, SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  other.exec("UPDATE escalations SET owner_role = 'duty_lead' WHERE id = '" + id + "'");
  std::atomic<bool> write_done = false;
  std::string write_error;
  std::thread writer([&] {
    try {
      store->record_message({id, "slack", "C1", "1.1", ""});
    } catch (const std::exception& e) { write_error = e.what(); }
    write_done = true;
  });
  std::this_thread::sleep_for(50ms);  // the writer is waiting by now (if not, the reads below prove less)
  const auto e = store->escalation(id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->owner_role, "legal_oncall") << "what the other connection has not committed is not seen";
  EXPECT_FALSE(store->message(id, "slack")) << "nor the write still waiting";
  EXPECT_EQ(store->undecided_escalations().size(), 1u);
  EXPECT_TRUE(store->overrides_active_after(kT0).empty());
  EXPECT_TRUE(store->evidence(id));
  EXPECT_FALSE(write_done) << "the reads did not wait for the writer (its 5 s busy timeout)";
  other.exec("ROLLBACK");
  writer.join();
  EXPECT_EQ(write_error, "");
  // And every commit is seen at once: the read connection never lags the writer.
  ASSERT_TRUE(store->message(id, "slack"));
  EXPECT_EQ(store->message(id, "slack")->message_id, "1.1");
  core::Escalation changed = *e;
  changed.owner_role = "backup";
  ASSERT_TRUE(store->update_escalation(changed, {}));
  EXPECT_EQ(store->escalation(id)->owner_role, "backup");
  EXPECT_EQ(store->escalation(id)->version, e->version + 1);
}

TEST_F(SqliteStoreFileTest, UnopenablePathIsAnIoError) {
  std::string message;
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(dir_.file("missing-dir/desk.db")); }, &message),
            StorageError::Code::io);
  EXPECT_NE(message.find("missing-dir/desk.db"), std::string::npos) << message;
}

}  // namespace
}  // namespace desk::storage
