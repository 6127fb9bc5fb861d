// SqliteStore on a real file: pragmas, durability across reopen, two desks on one file.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

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

TEST_F(SqliteStoreFileTest, UnopenablePathIsAnIoError) {
  std::string message;
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(dir_.file("missing-dir/desk.db")); }, &message),
            StorageError::Code::io);
  EXPECT_NE(message.find("missing-dir/desk.db"), std::string::npos) << message;
}

}  // namespace
}  // namespace desk::storage
