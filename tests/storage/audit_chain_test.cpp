// The audit hash chain: its canonical form, the verifier, and tampering caught in a real file.
#include "storage/audit_chain.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "store_fixtures.hpp"

namespace desk::storage {
namespace {

using namespace testing;

core::AuditEvent event(std::string kind, std::vector<std::pair<std::string, std::string>> fields = {}) {
  return {std::move(kind), "ESC-000001", "lee", kT0, std::move(fields)};
}

TEST(AuditChain, CanonicalFieldsSortKeysAndRefuseDuplicates) {
  EXPECT_EQ(canonical_fields(event("x", {{"b", "2"}, {"a", "1\n\"q\""}})), R"({"a":"1\n\"q\"","b":"2"})");
  EXPECT_EQ(canonical_fields(event("x")), "{}");
  EXPECT_THROW(canonical_fields(event("x", {{"a", "1"}, {"a", "2"}})), StorageError);
}

TEST(AuditChain, RowHashCoversEveryPartOfTheRow) {
  const core::AuditEvent e = event("decision.accepted", {{"rationale", "fine"}});
  const std::string fields = canonical_fields(e);
  const std::string base = row_hash(kGenesisHash, 1, e, fields);
  EXPECT_EQ(base, sha256_hex(std::string(kGenesisHash) + "\n" +
                             R"([1,1717236000,"decision.accepted","ESC-000001","lee",{"rationale":"fine"}])"));
  core::AuditEvent other = e;
  other.actor = "dana";
  EXPECT_NE(row_hash(kGenesisHash, 1, other, fields), base);
  other = e;
  other.at += std::chrono::seconds(1);
  EXPECT_NE(row_hash(kGenesisHash, 1, other, fields), base);
  EXPECT_NE(row_hash(kGenesisHash, 2, e, fields), base);
  EXPECT_NE(row_hash(std::string(64, '1'), 1, e, fields), base);
  EXPECT_NE(row_hash(kGenesisHash, 1, e, R"({"rationale":"fine "})"), base);
}

TEST(AuditChain, EvidenceDigestTellsApartShiftedText) {
  core::Submission a = sample_draft();
  core::Submission b = a;
  b.prompt += b.output.substr(0, 3);
  b.output = b.output.substr(3);
  EXPECT_NE(evidence_digest(a), evidence_digest(b));
  EXPECT_EQ(evidence_digest(a), evidence_digest(sample_draft()));
  EXPECT_EQ(evidence_digest(a).size(), 64u);
}

std::vector<AuditRow> chain(int n) {
  std::vector<AuditRow> rows;
  std::string prev(kGenesisHash);
  for (int i = 1; i <= n; ++i) {
    AuditRow row;
    row.seq = i;
    row.event = event("e" + std::to_string(i));
    row.prev_hash = prev;
    row.hash = row_hash(prev, i, row.event, "{}");
    prev = row.hash;
    rows.push_back(row);
  }
  return rows;
}

AuditVerification verify(const std::vector<AuditRow>& rows) {
  AuditChainVerifier v;
  for (const auto& row : rows) v.add(row, "{}");
  return v.result();
}

TEST(AuditChainVerifier, AcceptsAnIntactChainAndAnEmptyOne) {
  EXPECT_TRUE(verify(chain(5)).ok);
  EXPECT_EQ(verify(chain(5)).rows, 5);
  EXPECT_TRUE(verify({}).ok);
}

TEST(AuditChainVerifier, ReportsTheFirstBreakOnly) {
  auto rows = chain(5);
  rows[1].event.kind = "edited";
  rows[3].event.kind = "edited too";
  const auto result = verify(rows);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 2);
  EXPECT_NE(result.problem.find("hash mismatch"), std::string::npos);
  EXPECT_EQ(result.rows, 5);
}

TEST(AuditChainVerifier, ReportsAMissingFirstRow) {
  auto rows = chain(3);
  rows.erase(rows.begin());
  const auto result = verify(rows);
  EXPECT_EQ(result.first_bad_seq, 1);
  EXPECT_NE(result.problem.find("row 1 missing"), std::string::npos);
}

TEST(AuditChainVerifier, ReportsRenumberedRowsAfterADeletionByTheirLink) {
  auto rows = chain(4);
  rows.erase(rows.begin() + 1);
  rows[1].seq = 2;
  rows[2].seq = 3;
  const auto result = verify(rows);
  EXPECT_EQ(result.first_bad_seq, 2);
  EXPECT_NE(result.problem.find("prev_hash"), std::string::npos);
}

// Tampering goes through a second, raw connection to the file, as an intruder with file access would.
class AuditTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = SqliteStore::open(path_);
    id_ = store_->add_submission(escalated_submission()).escalation_id;
    store_->append_audit({event("sla.backup_pinged"), event("escalation.triaged")});
    store_->append_audit({event("decision.accepted", {{"rationale", "checked the licence"}})});
    ASSERT_TRUE(store_->verify_audit().ok);
  }
  SQLite::Database raw_with_triggers_dropped() { return raw_without_audit_guards(path_); }

  TempDir dir_;
  std::string path_ = dir_.file("desk.db");
  std::unique_ptr<SqliteStore> store_;
  std::string id_;
};

TEST_F(AuditTamperTest, DeskRefusesToUpdateOrDeleteAuditRows) {
  SQLite::Database raw(path_, SQLite::OPEN_READWRITE);
  try {
    raw.exec("UPDATE audit SET actor = 'mallory' WHERE seq = 2");
    FAIL() << "the update went through";
  } catch (const SQLite::Exception& e) {
    EXPECT_NE(std::string(e.what()).find("append-only"), std::string::npos) << e.what();
  }
  EXPECT_THROW(raw.exec("DELETE FROM audit WHERE seq = 4"), SQLite::Exception);
  EXPECT_EQ(store_->audit_trail("").size(), 4u);
  EXPECT_TRUE(store_->verify_audit().ok);
}

TEST_F(AuditTamperTest, CatchesAnEditedRow) {
  raw_with_triggers_dropped().exec(R"(UPDATE audit SET fields = '{"rationale":"did not check"}' WHERE seq = 4)");
  const auto result = store_->verify_audit();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 4);
  EXPECT_NE(result.problem.find("hash mismatch"), std::string::npos) << result.problem;
}

TEST_F(AuditTamperTest, CatchesADeletedRow) {
  raw_with_triggers_dropped().exec("DELETE FROM audit WHERE seq = 2");
  const auto result = store_->verify_audit();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 2);
  EXPECT_NE(result.problem.find("missing"), std::string::npos) << result.problem;
  EXPECT_EQ(result.rows, 3);
}

TEST_F(AuditTamperTest, CatchesARehashedEditWhereTheNextRowNoLongerLinks) {
  const auto rows = store_->audit_trail("");
  AuditRow edited = rows[2];  // seq 3
  edited.event.actor = "mallory";
  const std::string fields = canonical_fields(edited.event);
  const std::string forged = row_hash(edited.prev_hash, edited.seq, edited.event, fields);
  SQLite::Database raw = raw_with_triggers_dropped();
  SQLite::Statement q(raw, "UPDATE audit SET actor = 'mallory', hash = ? WHERE seq = 3");
  q.bind(1, forged);
  q.exec();

  const auto result = store_->verify_audit();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 4);
  EXPECT_NE(result.problem.find("prev_hash does not match the hash of row 3"), std::string::npos) << result.problem;
}

TEST_F(AuditTamperTest, NewRowsAfterATamperingStillShowTheBreak) {
  raw_with_triggers_dropped().exec("UPDATE audit SET at = at + 60 WHERE seq = 1");
  store_->append_audit({event("later")});
  EXPECT_EQ(store_->verify_audit().first_bad_seq, 1);
}

class AuditStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> store_ = SqliteStore::open(":memory:");
};

TEST_F(AuditStoreTest, SubmissionEventsCarryTheEvidenceDigestAndIds) {
  const NewSubmission s = escalated_submission();
  const auto ids = store_->add_submission(s);
  const auto trail = store_->audit_trail(ids.escalation_id);
  ASSERT_EQ(trail.size(), 1u);
  EXPECT_EQ(trail[0].seq, 1);
  EXPECT_EQ(trail[0].prev_hash, kGenesisHash);
  EXPECT_EQ(trail[0].event.kind, "escalation.opened");
  EXPECT_EQ(trail[0].event.escalation_id, ids.escalation_id);
  const auto& f = trail[0].event.fields;
  auto field = [&](const std::string& key) {
    for (const auto& [k, v] : f)
      if (k == key) return v;
    return std::string("<absent>");
  };
  EXPECT_EQ(field("evidence_digest"), evidence_digest(s.submission));
  EXPECT_EQ(field("submission_id"), ids.submission_id);
  EXPECT_EQ(field("owner"), "lee");
  EXPECT_EQ(store_->evidence(ids.escalation_id)->digest, evidence_digest(s.submission));
}

TEST_F(AuditStoreTest, SubmissionWithoutEventsIsStillRecorded) {
  NewSubmission s = approved_submission();
  s.audit.clear();
  store_->add_submission(s);
  const auto trail = store_->audit_trail("");
  ASSERT_EQ(trail.size(), 1u);
  EXPECT_EQ(trail[0].event.kind, "submission.received");
  EXPECT_EQ(trail[0].event.actor, "social-agent-3");
}

TEST_F(AuditStoreTest, DuplicateFieldInAnEventFailsTheWholeTransaction) {
  NewSubmission s = escalated_submission();
  s.audit[0].fields.emplace_back("owner", "someone else");
  EXPECT_EQ(storage_error_code([&] { store_->add_submission(s); }), StorageError::Code::constraint);
  EXPECT_FALSE(store_->submission("SUB-000001"));
}

TEST_F(AuditStoreTest, TrailIsFilteredByEscalationAndChainsAcrossAll) {
  const auto a = store_->add_submission(escalated_submission()).escalation_id;
  const auto b = store_->add_submission(escalated_submission()).escalation_id;
  store_->append_audit(
      {{"rights.denied", a, "U999", kT0, {{"reason", "not the owner"}}}, {"rota.viewed", "", "U999", kT0, {}}});
  EXPECT_EQ(store_->audit_trail(a).size(), 2u);
  EXPECT_EQ(store_->audit_trail(b).size(), 1u);
  const auto all = store_->audit_trail("");
  ASSERT_EQ(all.size(), 4u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i].prev_hash, all[i - 1].hash);
  const auto result = store_->verify_audit();
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.rows, 4);
}

TEST_F(AuditStoreTest, ErasingEvidenceKeepsDigestTombstoneAndAValidChain) {
  const NewSubmission s = escalated_submission();
  const auto ids = store_->add_submission(s);
  store_->erase_submission(ids.submission_id, "dpo", "subject access erasure request #42", kT0 + 24h, {});

  const auto ev = store_->evidence(ids.escalation_id);
  ASSERT_TRUE(ev);
  EXPECT_TRUE(ev->prompt.empty());
  EXPECT_TRUE(ev->output.empty());
  EXPECT_TRUE(ev->suggested_fix.empty());
  EXPECT_EQ(ev->metadata_json, "{}");
  EXPECT_EQ(ev->permalink, s.submission.permalink);
  EXPECT_EQ(ev->digest, evidence_digest(s.submission));
  EXPECT_EQ(*ev->erased_at, kT0 + 24h);
  EXPECT_EQ(ev->erased_by, "dpo");
  EXPECT_EQ(ev->erase_reason, "subject access erasure request #42");
  EXPECT_TRUE(store_->submission(ids.submission_id)->submission.output.empty());
  const auto hits = store_->escalation(ids.escalation_id)->hits;
  ASSERT_EQ(hits.size(), 4u);
  for (const auto& h : hits) {
    EXPECT_TRUE(h.matched.empty()) << h.rule_id;
    EXPECT_EQ(h.explanation, "(erased on request)") << h.rule_id;
    EXPECT_FALSE(h.begin) << h.rule_id;
  }
  EXPECT_EQ(hits[1].rule_id, "lexicon/pricing/prices") << "which rule fired stays";

  const auto trail = store_->audit_trail(ids.escalation_id);
  ASSERT_EQ(trail.size(), 2u);
  EXPECT_EQ(trail[1].event.kind, "submission.erased");
  EXPECT_EQ(trail[1].event.actor, "dpo");
  EXPECT_TRUE(store_->verify_audit().ok);

  EXPECT_TRUE(store_->erase_submission(ids.submission_id, "dpo", "again", kT0 + 25h, {}).already_erased);
  EXPECT_EQ(store_->audit_trail(ids.escalation_id).size(), 2u);
  EXPECT_EQ(store_->evidence(ids.escalation_id)->erase_reason, "subject access erasure request #42");
}

TEST_F(AuditStoreTest, ErasingNeedsAKnownSubmissionAnEraserAndAReason) {
  EXPECT_EQ(storage_error_code([&] { store_->erase_submission("SUB-000404", "dpo", "r", kT0, {}); }),
            StorageError::Code::not_found);
  const auto ids = store_->add_submission(escalated_submission());
  EXPECT_EQ(storage_error_code([&] { store_->erase_submission(ids.submission_id, "", "r", kT0, {}); }),
            StorageError::Code::constraint);
  EXPECT_EQ(storage_error_code([&] { store_->erase_submission(ids.submission_id, "dpo", "", kT0, {}); }),
            StorageError::Code::constraint);
  EXPECT_FALSE(store_->evidence(ids.escalation_id)->output.empty());
  EXPECT_FALSE(store_->evidence("ESC-000404"));
}

}  // namespace
}  // namespace desk::storage
