// The keyed audit chain (DESK_AUDIT_KEY): truncation, a rehashed chain, tampered evidence and a wrong
// key all fail verification; an old unkeyed chain is keyed once by anchor_audit. Tampering goes through
// a second, raw connection to the file, as an intruder with file access would.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "storage/audit_chain.hpp"
#include "store_fixtures.hpp"

namespace desk::storage {
namespace keyed_chain_test {

using namespace testing;

const std::string kKey = "unit-test-audit-key-0123456789abcdef";

core::AuditEvent later_event(std::string kind) { return {std::move(kind), "ESC-000001", "lee", kT0 + 1min, {}}; }

class KeyedAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_with(kKey);
    store->add_submission(escalated_submission());
    store->append_audit({later_event("sla.backup_pinged"), later_event("escalation.triaged")});
    store->append_audit({later_event("decision.accepted")});
    ASSERT_TRUE(store->verify_audit().ok) << store->verify_audit().problem;
  }
  std::unique_ptr<SqliteStore> open_with(const std::string& key) {
    StoreOptions options;
    options.audit_key = key;
    return SqliteStore::open(path_, options);
  }
  SQLite::Database raw() { return raw_without_audit_guards(path_); }

  TempDir dir_;
  std::string path_ = dir_.file("desk.db");
  std::string forged_head_hash_;
};

TEST_F(KeyedAuditTest, AnIntactKeyedChainVerifiesWithItsHeadAndEvidence) {
  const auto v = open_with(kKey)->verify_audit();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_TRUE(v.keyed);
  EXPECT_EQ(v.rows, 4);
  EXPECT_EQ(v.evidence_checked, 1);
  const auto chain = open_with(kKey)->audit_chain();
  ASSERT_TRUE(chain.head);
  EXPECT_EQ(chain.head->seq, 4);
  EXPECT_EQ(chain.head->keyed_from, 1);
  EXPECT_EQ(chain.head->hash, chain.rows.back().hash);
  // Keyed rows are HMACs: plain SHA-256 of the same row does not give their hash.
  const auto& first = chain.rows.front();
  EXPECT_NE(first.hash, row_hash(first.prev_hash, first.seq, first.event, first.stored_fields));
  EXPECT_EQ(first.hash, keyed_row_hash(kKey, first.prev_hash, first.seq, first.event, first.stored_fields));
}

TEST_F(KeyedAuditTest, DeletingTheLastRowsFailsVerification) {
  raw().exec("DELETE FROM audit WHERE seq >= 3");
  auto store = open_with(kKey);
  const auto v = store->verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 3);
  EXPECT_NE(v.problem.find("truncated"), std::string::npos) << v.problem;
  // Nor does the desk write on top of the cut: a new head would hide it.
  std::string message;
  EXPECT_EQ(storage_error_code([&] { store->append_audit({later_event("later")}); }, &message),
            StorageError::Code::corrupt);
  EXPECT_NE(message.find("keyed head records row 4"), std::string::npos) << message;
  EXPECT_FALSE(store->audit_key_problem().empty());
  EXPECT_EQ(store->audit_trail("").size(), 2u);
}

TEST_F(KeyedAuditTest, DeletingTheLastRowsAndTheHeadFailsVerification) {
  raw().exec("DELETE FROM audit WHERE seq >= 3; DELETE FROM audit_head");
  const auto v = open_with(kKey)->verify_audit();
  EXPECT_FALSE(v.ok);  // keyed rows do not pass for plain ones
  EXPECT_EQ(v.first_bad_seq, 1);
}

TEST_F(KeyedAuditTest, ARewrittenChainRehashedWithoutTheKeyFailsVerification) {
  // The intruder edits row 2 and rehashes it and every later row with plain SHA-256, then rewrites the head.
  auto rows = open_with(kKey)->audit_chain().rows;
  rows[1].event.actor = "mallory";
  {
    SQLite::Database db = raw();
    std::string prev = rows[0].hash;
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const std::string hash = row_hash(prev, rows[i].seq, rows[i].event, rows[i].stored_fields);
      SQLite::Statement q(db, "UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?");
      q.bind(1, rows[i].event.actor);
      q.bind(2, prev);
      q.bind(3, hash);
      q.bind(4, rows[i].seq);
      q.exec();
      prev = hash;
    }
    forged_head_hash_ = prev;
  }
  auto v = open_with(kKey)->verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 2);
  EXPECT_NE(v.problem.find("hash mismatch"), std::string::npos) << v.problem;

  // Nor can the head be made to agree: its MAC needs the key.
  {
    SQLite::Database db = raw();
    exec_with(db, "UPDATE audit_head SET hash = ?", forged_head_hash_);
  }
  v = open_with(kKey)->verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("does not match DESK_AUDIT_KEY"), std::string::npos) << v.problem;
}

TEST_F(KeyedAuditTest, TamperedEvidenceFailsVerification) {
  raw().exec("UPDATE evidence SET output = 'We are a licensed desk.'");
  auto v = open_with(kKey)->verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 1);
  EXPECT_NE(v.problem.find("the evidence of SUB-000001 was changed"), std::string::npos) << v.problem;

  // Rewriting the stored digest to match the new text leaves it apart from the chained one.
  {
    SQLite::Database db = raw();
    core::Submission changed = sample_draft();
    changed.output = "We are a licensed desk.";
    exec_with(db, "UPDATE evidence SET digest = ?", evidence_digest(changed));
  }
  v = open_with(kKey)->verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("differs from the one chained at row 1"), std::string::npos) << v.problem;
}

TEST_F(KeyedAuditTest, EvidenceMarkedErasedWithoutAChainedErasureFailsVerification) {
  raw().exec("UPDATE evidence SET output = '', erased_at = 1, erased_by = 'mallory'");
  const auto v = open_with(kKey)->verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("marked erased, but no erasure is in the chain"), std::string::npos) << v.problem;
}

TEST_F(KeyedAuditTest, AWrongKeyIsRefusedForWritingAndFailsVerification) {
  auto store = open_with("another-key-that-is-long-enough-000000");
  EXPECT_NE(store->audit_key_problem().find("is not the key the audit trail was chained with"), std::string::npos);
  EXPECT_EQ(storage_error_code([&] { store->append_audit({later_event("later")}); }), StorageError::Code::audit_key);
  const auto v = store->verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("does not match DESK_AUDIT_KEY"), std::string::npos) << v.problem;
  EXPECT_EQ(open_with(kKey)->audit_trail("").size(), 4u);
  EXPECT_TRUE(open_with(kKey)->verify_audit().ok);
}

TEST_F(KeyedAuditTest, WithoutTheKeyAKeyedChainIsNeitherWrittenNorPassed) {
  auto store = open_with("");
  EXPECT_NE(store->audit_key_problem().find("set DESK_AUDIT_KEY"), std::string::npos);
  EXPECT_EQ(storage_error_code([&] { store->add_submission(escalated_submission()); }), StorageError::Code::audit_key);
  EXPECT_FALSE(store->submission("SUB-000002")) << "nothing of the refused submission is kept";
  const auto v = store->verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(v.needs_key);
}

TEST(AuditAnchor, AnOldUnkeyedChainIsKeyedOnceAndThenCoveredByTheKey) {
  TempDir dir;
  const std::string path = dir.file("desk.db");
  SqliteStore::open(path)->add_submission(escalated_submission());  // an old desk: no key
  StoreOptions keyed{kKey};

  auto store = SqliteStore::open(path, keyed);
  EXPECT_NE(store->audit_key_problem().find("chained without a key"), std::string::npos);
  EXPECT_EQ(storage_error_code([&] { store->append_audit({later_event("x")}); }), StorageError::Code::audit_key);
  EXPECT_FALSE(store->verify_audit().ok) << "with the key, an unanchored chain is not passed";
  EXPECT_TRUE(SqliteStore::open(path)->verify_audit().ok) << "without it, the old chain verifies as before";

  EXPECT_EQ(store->anchor_audit("cli:ops", kT0 + 1h), 1);
  EXPECT_EQ(store->anchor_audit("cli:ops", kT0 + 2h), std::nullopt) << "once only";
  EXPECT_TRUE(store->audit_key_problem().empty());
  store->append_audit({later_event("decision.accepted")});
  auto v = store->verify_audit();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_TRUE(v.keyed);
  EXPECT_EQ(v.rows, 3);
  const auto trail = store->audit_trail("");
  EXPECT_EQ(trail[1].event.kind, "audit.keyed");
  EXPECT_EQ(trail[1].event.actor, "cli:ops");

  // The old rows are covered now: rehashing an edit of row 1 no longer links to the keyed row.
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DROP TRIGGER audit_no_update");
    AuditRow first = trail[0];
    first.event.actor = "mallory";
    SQLite::Statement q(db, "UPDATE audit SET actor = 'mallory', hash = ? WHERE seq = 1");
    q.bind(1, row_hash(first.prev_hash, 1, first.event, first.stored_fields));
    q.exec();
  }
  v = store->verify_audit();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 2);
}

TEST(AuditAnchor, ABrokenChainIsNotKeyed) {
  TempDir dir;
  const std::string path = dir.file("desk.db");
  SqliteStore::open(path)->add_submission(escalated_submission());
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'mallory'");
  }
  auto store = SqliteStore::open(path, StoreOptions{kKey});
  std::string message;
  EXPECT_EQ(storage_error_code([&] { store->anchor_audit("cli:ops", kT0); }, &message), StorageError::Code::corrupt);
  EXPECT_NE(message.find("refusing to key a broken audit trail"), std::string::npos) << message;
  EXPECT_FALSE(store->audit_chain().head);
  EXPECT_EQ(storage_error_code([&] { SqliteStore::open(path)->anchor_audit("cli:ops", kT0); }),
            StorageError::Code::audit_key);
}

TEST(AuditAnchor, AFreshDatabaseWithAKeyIsKeyedFromItsFirstRow) {
  auto store = SqliteStore::open(":memory:", StoreOptions{kKey});
  EXPECT_TRUE(store->audit_key_problem().empty());
  store->add_submission(approved_submission());
  const auto chain = store->audit_chain();
  ASSERT_TRUE(chain.head);
  EXPECT_EQ(chain.head->keyed_from, 1);
  EXPECT_EQ(chain.head->mac, head_mac(kKey, *chain.head));
  EXPECT_TRUE(store->verify_audit().keyed);
}

}  // namespace keyed_chain_test
}  // namespace desk::storage
