// Schema migrations and what open() refuses: newer schemas, other applications' files, damaged files.
#include "storage/migrations.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "storage/audit_chain.hpp"
#include "store_fixtures.hpp"

namespace desk::storage {
namespace {

using namespace testing;

class MigrationsTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("desk.db");
};

int user_version(const std::string& path) {
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  return raw.execAndGet("PRAGMA user_version").getInt();
}

/// What a v1 desk wrote: one open escalation with a fired reminder, and its audit row.
void write_v1_rows(SQLite::Database& db) {
  db.exec("UPDATE id_sequences SET last = 1");
  db.exec(
      "INSERT INTO submissions (id, received_at, workflow, channel, agent, confidence, citations_json, "
      "callback_url, verdict, idempotency_scope, idempotency_key) VALUES ('SUB-000001', 1717236000, "
      "'paid_ads', 'email', 'ads-agent', 0.5, '[]', '', 'escalated', 'scope', 'k1')");
  core::Submission text;
  text.channel = "email";
  text.prompt = "p";
  text.output = "Guaranteed returns!";
  text.metadata_json = "{}";
  const std::string digest = evidence_digest(text);  // what the chain below vouches for
  db.exec(
      "INSERT INTO evidence (submission_id, prompt, output, metadata_json, permalink, suggested_fix, digest) "
      "VALUES ('SUB-000001', 'p', 'Guaranteed returns!', '{}', '', '', '" +
      digest + "')");
  db.exec(
      "INSERT INTO trigger_hits (submission_id, ordinal, kind, rule_id, category, route, explanation, "
      "matched, citation_url) VALUES ('SUB-000001', 0, 'lexicon', 'lexicon/guarantees/guaranteed', "
      "'guarantees', 'legal_oncall', 'a guarantee', 'Guaranteed', '')");
  db.exec(
      "INSERT INTO escalations (id, submission_id, workflow, channel, agent, manual, drill, policy_digest, "
      "state, owner_role, owner_person, opened_at, owned_since, generation, backup_person, director_person, "
      "triaged_by, version) VALUES ('ESC-000001', 'SUB-000001', 'paid_ads', 'email', 'ads-agent', 0, 0, '', "
      "'open', 'legal_oncall', 'lee', 1717236000, 1717236000, 0, '', '', '', 0)");
  db.exec(
      "INSERT INTO deadlines VALUES ('ESC-000001', 0, 'backup_ping', 1717236180, 1717236185), "
      "('ESC-000001', 0, 'decision', 1717237800, NULL)");
  const core::AuditEvent opened{
      "escalation.opened", "ESC-000001", "desk", kT0, {{"evidence_digest", digest}, {"submission_id", "SUB-000001"}}};
  const std::string fields = canonical_fields(opened);
  const std::string hash = row_hash(kGenesisHash, 1, opened, fields);
  SQLite::Statement audit(db, "INSERT INTO audit VALUES (1, ?, 'escalation.opened', 'ESC-000001', 'desk', ?, ?, ?)");
  audit.bind(1, static_cast<std::int64_t>(kT0.time_since_epoch().count()));
  audit.bind(2, fields);
  audit.bind(3, std::string(kGenesisHash));
  audit.bind(4, hash);
  audit.exec();
}

TEST(Migrations, StepsAreNumberedOneByOne) {
  const auto steps = migrations();
  ASSERT_GE(steps.size(), 2u);
  for (std::size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(steps[i].version, static_cast<int>(i) + 1);
  EXPECT_EQ(latest_schema_version(), steps.back().version);
}

TEST_F(MigrationsTest, EmptyFileBecomesALatestSchemaDatabase) {
  write_bytes(path_, "");
  SqliteStore::open(path_)->add_submission(approved_submission());
  EXPECT_EQ(user_version(path_), latest_schema_version());
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("PRAGMA application_id").getInt(), kApplicationId);
  EXPECT_TRUE(raw.tableExists("drills"));
  EXPECT_TRUE(raw.tableExists("outbox"));
  EXPECT_TRUE(raw.tableExists("surface_messages"));
  EXPECT_FALSE(raw.tableExists("slack_messages")) << "folded into surface_messages by step 4";
}

TEST_F(MigrationsTest, ReopeningALatestDatabaseRunsNothingAgain) {
  SqliteStore::open(path_)->add_submission(approved_submission());
  auto store = SqliteStore::open(path_);
  EXPECT_TRUE(store->submission("SUB-000001"));
  EXPECT_EQ(store->settings().schema_version, latest_schema_version());
}

TEST_F(MigrationsTest, Step18KeepsTheProcessedIdsInTheOrderTheyWereRecorded) {
  {
    SQLite::Database v17(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(v17, 17);
    v17.exec(
        "INSERT INTO processed_ids (id, at) VALUES ('envelope:late', 1717236100), ('envelope:early', 1717236000), "
        "('event:Ev1', 1717236050)");
  }
  auto store = SqliteStore::open(path_);
  EXPECT_EQ(store->settings().schema_version, latest_schema_version());
  const auto rows = store->processed_since(at(1717236000));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].id, "envelope:early");
  EXPECT_EQ(rows[1].id, "event:Ev1");
  EXPECT_EQ(rows[2].id, "envelope:late");
  EXPECT_EQ(rows[2].at, at(1717236100));
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  EXPECT_FALSE(raw.tableExists("processed_ids_in_order")) << "renamed to processed_ids";
  EXPECT_EQ(raw.execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'processed_ids_by_at'").getInt(), 0)
      << "the table's own key serves the range: no index beside it";
}

TEST_F(MigrationsTest, UpgradesAVersion1DatabaseKeepingItsData) {
  {
    SQLite::Database v1(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(v1, 1);
    ASSERT_EQ(v1.execAndGet("PRAGMA user_version").getInt(), 1);
    ASSERT_FALSE(v1.tableExists("drills"));
    write_v1_rows(v1);
  }
  auto store = SqliteStore::open(path_);
  EXPECT_EQ(store->settings().schema_version, latest_schema_version());
  const auto undecided = store->undecided_escalations();
  ASSERT_EQ(undecided.size(), 1u);
  EXPECT_EQ(undecided[0].id, "ESC-000001");
  EXPECT_EQ(*undecided[0].deadline(core::DeadlineKind::backup_ping)->fired_at, at(1717236185));
  ASSERT_EQ(undecided[0].hits.size(), 1u);
  EXPECT_EQ(undecided[0].hits[0].matched, "Guaranteed");
  EXPECT_EQ(undecided[0].hits_total, 1u) << "step 5 counts the hits a submission already had";
  EXPECT_EQ(undecided[0].hits[0].field, "output") << "step 6: text hits were all in the output";
  EXPECT_TRUE(store->find_by_idempotency_key("scope", "k1"));
  EXPECT_TRUE(store->verify_audit().ok);
  // v2 works on the upgraded file, and the v1 counters carry on.
  EXPECT_GT(store->add_drill({0, "tos_breach", "paid_ads", "dana", kT0, "ESC-000001", std::nullopt, std::nullopt}), 0);
  EXPECT_EQ(store->drills().size(), 1u);
  const auto ids = store->add_submission(escalated_submission());
  EXPECT_EQ(ids.submission_id, "SUB-000002");
  EXPECT_EQ(ids.escalation_id, "ESC-000002");
  EXPECT_TRUE(store->verify_audit().ok);
}

TEST_F(MigrationsTest, UpgradesAVersion2DatabaseKeepingItsData) {
  {
    SQLite::Database v2(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(v2, 2);
    ASSERT_EQ(v2.execAndGet("PRAGMA user_version").getInt(), 2);
    ASSERT_FALSE(v2.tableExists("outbox"));
    write_v1_rows(v2);
    v2.exec(
        "INSERT INTO drills (scenario, escalation_id, started_at, responded_at, score, notes) VALUES "
        "('personal_data_leak', 'ESC-000001', 1717236000, 1717236240, 80, 'fast')");
  }
  auto store = SqliteStore::open(path_);
  EXPECT_EQ(store->settings().schema_version, latest_schema_version());
  auto e = store->escalation("ESC-000001");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->owner_person, "lee");
  ASSERT_EQ(store->drills().size(), 1u);
  const auto drill = store->drills()[0];
  EXPECT_EQ(drill.score->points, 80) << "step 11 keeps the drills of the first table";
  EXPECT_EQ(drill.scenario, "data_leak") << "with the scenario names the SPEC uses";
  EXPECT_EQ(*drill.scored_at, at(1717236240));
  EXPECT_EQ(drill.escalation_id, "ESC-000001");
  EXPECT_TRUE(store->verify_audit().ok);
  EXPECT_EQ(store->outbox_stats().pending, 0);
  // v3 works on the upgraded file, for the old escalation as for new ones.
  e->state = core::EscalationState::triaged;
  e->triaged_at = kT0 + 1min;
  e->triaged_by = "lee";
  OutboxMessage update;
  update.surface = "slack";
  update.kind = "update_escalation";
  update.ordering_key = "slack:C1";
  update.payload_json = "{}";
  ASSERT_TRUE(store->update_escalation(*e, {{"escalation.triaged", "", "lee", kT0 + 1min, {}}}, {update}));
  store->record_message({"ESC-000001", "slack", "C1", "1717236000.000100", ""});
  EXPECT_EQ(store->message("ESC-000001", "slack")->message_id, "1717236000.000100");
  NewSubmission s = escalated_submission();
  s.outbox = {update};
  EXPECT_EQ(store->add_submission(s).escalation_id, "ESC-000002");
  const auto due = store->outbox_due(kT0 + 1h, 10);
  ASSERT_EQ(due.size(), 1u);  // the second row of key slack:C1 waits for the first
  EXPECT_EQ(due[0].escalation_id, "ESC-000001");
  EXPECT_EQ(store->outbox_stats().pending, 2);
  EXPECT_TRUE(store->verify_audit().ok);
}

TEST_F(MigrationsTest, UpgradesAVersion9PostmortemToOneThatWasNeverEdited) {
  {
    SQLite::Database v9(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(v9, 9);
    write_v1_rows(v9);
    v9.exec(
        "INSERT INTO postmortems (escalation_id, author, at, what_triggered, what_fixed, what_to_automate) "
        "VALUES ('ESC-000001', 'lee', 1717236000, 'a guarantee', 'removed it', 'a lexicon entry')");
  }
  auto store = SqliteStore::open(path_);
  EXPECT_EQ(store->settings().schema_version, latest_schema_version());
  auto list = store->postmortems("ESC-000001");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].what_fixed, "removed it");
  EXPECT_FALSE(list[0].edited_at);
  EXPECT_EQ(list[0].edited_by, "");
  PostMortem edit = list[0];
  edit.what_fixed = "removed it and told the agent";
  edit.edited_at = kT0 + 1h;
  edit.edited_by = "lee";
  store->edit_postmortem(edit, {});
  EXPECT_EQ(store->postmortems("ESC-000001")[0].edited_at, kT0 + 1h);
  EXPECT_EQ(store->postmortems_filed_since(kT0).size(), 1u);
}

TEST_F(MigrationsTest, UpgradesAVersion3OutboxToSurfacesKeepingOrderAndPosts) {
  {
    SQLite::Database v3(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(v3, 3);
    write_v1_rows(v3);
    // What a version-3 desk left behind: a sent post, an update and a DM still pending, a callback
    // in doubt, all in the one old "slack:desk" key, and the post's address.
    v3.exec(
        "INSERT INTO outbox (kind, escalation_id, ordering_key, payload_json, created_at, next_attempt_at, "
        "attempts, state, last_attempt_at, sent_at) VALUES "
        "('slack.post_escalation', 'ESC-000001', 'slack:desk', '{}', 1717236000, 1717236000, 1, 'sent', 1717236000, "
        "1717236001),"
        "('slack.update_escalation', 'ESC-000001', 'slack:desk', '{}', 1717236002, 1717236002, 0, 'pending', NULL, "
        "NULL),"
        "('slack.dm', 'ESC-000001', 'slack:dm:U0B', '{\"user\":\"U0B\",\"text\":\"hi\"}', 1717236002, 1717236002, 0, "
        "'pending', NULL, NULL),"
        "('callback.decision', 'ESC-000001', 'callback:SUB-000001', '{}', 1717236003, 1717236003, 1, 'sending', "
        "1717236003, NULL)");
    v3.exec(
        "INSERT INTO slack_messages (escalation_id, channel, ts, permalink) VALUES ('ESC-000001', 'C1', "
        "'1717236000.000100', '')");
  }
  auto store = SqliteStore::open(path_);
  EXPECT_EQ(store->settings().schema_version, latest_schema_version());
  const auto post = store->message("ESC-000001", "slack");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->channel, "C1");
  EXPECT_EQ(post->message_id, "1717236000.000100");
  EXPECT_EQ(store->outbox_message(1)->kind, "post_escalation");
  EXPECT_EQ(store->outbox_message(1)->ordering_key, "slack:desk") << "sent history is left as it was";
  const auto update = store->outbox_message(2).value();
  EXPECT_EQ(update.surface, "slack");
  EXPECT_EQ(update.kind, "update_escalation");
  EXPECT_EQ(update.ordering_key, "slack:ESC-000001");
  EXPECT_EQ(store->outbox_message(3)->kind, "direct_message");
  const auto callback = store->outbox_message(4).value();
  EXPECT_EQ(callback.surface, "agent");
  EXPECT_EQ(callback.kind, "decision_callback");
  EXPECT_EQ(callback.state, OutboxMessage::State::sending);
  ASSERT_EQ(store->outbox_in_doubt().size(), 1u);
  const auto due = store->outbox_due(kT0 + 1h, 10, std::vector<std::string>{"slack"});
  ASSERT_EQ(due.size(), 1u) << "the DM now waits behind the update of its escalation";
  EXPECT_EQ(due[0].id, 2);
  EXPECT_TRUE(store->verify_audit().ok);
}

TEST_F(MigrationsTest, UpgradesAVersion16DatabaseKeepingItsHotlineAndDigests) {
  {
    SQLite::Database v16(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(v16, 16);
    ASSERT_FALSE(v16.tableExists("sop_versions"));
    write_v1_rows(v16);
    v16.exec("INSERT INTO weekly_digests (week, posted_at) VALUES ('2024-W22', 1717236000)");
    v16.exec(
        "INSERT INTO hotline_messages (surface, channel, message_id, thread_id, author, text, received_at) VALUES "
        "('slack', 'C0DESK', '1717236000.000100', '', 'U0USER', 'is this ok?', 1717236000)");
  }
  auto store = SqliteStore::open(path_);
  EXPECT_EQ(store->settings().schema_version, latest_schema_version());
  EXPECT_TRUE(store->digest_posted("2024-W22"));
  ASSERT_EQ(store->pending_hotline_messages("slack").size(), 1u);
  EXPECT_EQ(store->pending_hotline_messages("slack")[0].text, "is this ok?");
  EXPECT_FALSE(store->last_sop_digest()) << "no SOP was posted before step 17";
  EXPECT_TRUE(store->record_sop(std::string(64, 'c'), kT0, {}, {}));
  EXPECT_EQ(store->last_sop_digest(), std::string(64, 'c'));
  EXPECT_TRUE(store->verify_audit().ok);
}

TEST_F(MigrationsTest, AFailedOutboxStepLeavesVersion2Intact) {
  {
    SQLite::Database v2(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(v2, 2);
    v2.exec("CREATE TABLE slack_messages (id INTEGER PRIMARY KEY)");  // makes step 3 fail after the outbox table
  }
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(path_); }), StorageError::Code::io);
  EXPECT_EQ(user_version(path_), 2);
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  EXPECT_FALSE(raw.tableExists("outbox"));
}

TEST_F(MigrationsTest, FailedStepRollsBackToThePreviousVersion) {
  {
    SQLite::Database v1(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(v1, 1);
    v1.exec("CREATE TABLE drills (id INTEGER PRIMARY KEY)");  // makes step 2 fail half-way
  }
  std::string message;
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(path_); }, &message), StorageError::Code::io);
  EXPECT_NE(message.find("drills already exists"), std::string::npos) << message;
  EXPECT_EQ(user_version(path_), 1);
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'escalations_undecided'").getInt(), 0);
}

TEST_F(MigrationsTest, AnUpgradeFailingAtItsLastStepLeavesEveryEarlierStepUndone) {
  // The pending steps run in one transaction: a failure late in the upgrade undoes the early steps too.
  {
    SQLite::Database v1(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(v1, 1);
    v1.exec("CREATE TABLE processed_ids_in_order (id INTEGER PRIMARY KEY)");  // makes step 18 fail
  }
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(path_); }), StorageError::Code::io);
  EXPECT_EQ(user_version(path_), 1);
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'escalations_undecided'").getInt(), 0);
  EXPECT_FALSE(raw.tableExists("outbox"));        // step 3
  EXPECT_FALSE(raw.tableExists("sop_versions"));  // step 17
}

TEST_F(MigrationsTest, NewerSchemaIsRefusedAndLeftAlone) {
  SqliteStore::open(path_).reset();
  const int newer = latest_schema_version() + 1;
  {
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA user_version = " + std::to_string(newer));
  }
  std::string message;
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(path_); }, &message), StorageError::Code::newer_schema);
  EXPECT_EQ(message, "database schema version " + std::to_string(newer) + " is newer than this binary supports (" +
                         std::to_string(latest_schema_version()) + "): upgrade escalation-desk");
  EXPECT_EQ(user_version(path_), newer);
}

TEST_F(MigrationsTest, AnotherApplicationsSqliteFileIsRefusedUntouched) {
  {
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hi')");
  }
  const std::string before = read_bytes(path_);
  std::string message;
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(path_); }, &message), StorageError::Code::corrupt);
  EXPECT_NE(message.find(path_ + " is not a valid Escalation Desk database"), std::string::npos) << message;
  EXPECT_EQ(read_bytes(path_), before);
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(MigrationsTest, AFileWithAnotherApplicationIdIsRefusedEvenIfEmpty) {
  {
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("PRAGMA application_id = 1234");
  }
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(path_); }), StorageError::Code::corrupt);
}

TEST_F(MigrationsTest, RandomBytesAreACorruptDatabaseNotAReset) {
  std::string noise(8192, '\0');
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919 + 13) % 251);
  write_bytes(path_, noise);
  std::string message;
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(path_); }, &message), StorageError::Code::corrupt);
  EXPECT_NE(message.find(path_ + " is not a valid Escalation Desk database: file is not a database"), std::string::npos)
      << message;
  EXPECT_EQ(read_bytes(path_), noise);
}

TEST_F(MigrationsTest, TruncatedDatabaseIsCorrupt) {
  {
    auto store = SqliteStore::open(path_);
    for (int i = 0; i < 60; ++i) store->add_submission(escalated_submission());
  }  // the last connection closing checkpoints the WAL into the main file
  std::string bytes = read_bytes(path_);
  ASSERT_GT(bytes.size(), 16u * 4096u);
  write_bytes(path_, bytes.substr(0, bytes.size() / 2));
  std::string message;
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(path_); }, &message), StorageError::Code::corrupt);
  EXPECT_NE(message.find("is not a valid Escalation Desk database"), std::string::npos) << message;
}

}  // namespace
}  // namespace desk::storage
