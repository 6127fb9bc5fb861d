// SqliteStore::add_submissions: group commit. Many submissions in one transaction (one commit record
// in the WAL, so one fsync), each still all-or-nothing on its own, idempotency keys seen in order.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "store_fixtures.hpp"
#include "wal_commits.hpp"

namespace desk::storage {
namespace {

using namespace testing;

std::string error_text(const SubmissionOutcome& o) {
  try {
    if (o.error) std::rethrow_exception(o.error);
  } catch (const std::exception& e) { return e.what(); }
  return {};
}

StorageError::Code error_code(const SubmissionOutcome& o) {
  try {
    if (o.error) std::rethrow_exception(o.error);
  } catch (const StorageError& e) { return e.code(); }
  ADD_FAILURE() << "not a StorageError";
  return StorageError::Code::io;
}

class SqliteStoreBatchTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("desk.db");
  std::unique_ptr<SqliteStore> store_ = SqliteStore::open(path_);
};

TEST_F(SqliteStoreBatchTest, ABatchIsOneCommitAndEachSubmissionGetsItsOwnIds) {
  std::vector<NewSubmission> batch = {escalated_submission("k1"), approved_submission(), escalated_submission("k3")};
  const int before = wal_commits(path_ + "-wal");
  const auto outcomes = store_->add_submissions(batch);
  EXPECT_EQ(wal_commits(path_ + "-wal"), before + 1);
  ASSERT_EQ(outcomes.size(), 3u);
  for (const auto& o : outcomes) ASSERT_TRUE(o.ids) << error_text(o);
  EXPECT_EQ(outcomes[0].ids->submission_id, "SUB-000001");
  EXPECT_EQ(outcomes[0].ids->escalation_id, "ESC-000001");
  EXPECT_EQ(outcomes[1].ids->submission_id, "SUB-000002");
  EXPECT_EQ(outcomes[1].ids->escalation_id, "");
  EXPECT_EQ(outcomes[2].ids->submission_id, "SUB-000003");
  EXPECT_EQ(outcomes[2].ids->escalation_id, "ESC-000002");
  EXPECT_EQ(store_->escalations(std::nullopt, 0).size(), 2u);
  EXPECT_TRUE(store_->verify_audit().ok);

  // The same three one at a time: one commit each (what the batch saves).
  const int middle = wal_commits(path_ + "-wal");
  for (auto s : {escalated_submission("k4"), approved_submission(), escalated_submission("k6")})
    store_->add_submission(s);
  EXPECT_EQ(wal_commits(path_ + "-wal"), middle + 3);
}

TEST_F(SqliteStoreBatchTest, AFailingSubmissionFailsAloneAndLeavesNothingBehind) {
  NewSubmission bad = escalated_submission("bad");
  bad.hits[1].end = 10;  // before its begin: the CHECK refuses it after its submission row is written
  std::vector<NewSubmission> batch = {approved_submission(), bad, escalated_submission("good")};
  const auto outcomes = store_->add_submissions(batch);
  ASSERT_TRUE(outcomes[0].ids) << error_text(outcomes[0]);
  ASSERT_FALSE(outcomes[1].ids);
  EXPECT_EQ(error_code(outcomes[1]), StorageError::Code::constraint);
  EXPECT_NE(error_text(outcomes[1]).find("adding a submission"), std::string::npos) << error_text(outcomes[1]);
  ASSERT_TRUE(outcomes[2].ids) << error_text(outcomes[2]);
  // The failed one's rows and its counter step were undone: the next one took its number.
  EXPECT_EQ(outcomes[2].ids->submission_id, "SUB-000002");
  EXPECT_EQ(outcomes[2].ids->escalation_id, "ESC-000001");
  EXPECT_FALSE(store_->find_by_idempotency_key(bad.idempotency_scope, "bad"));
  EXPECT_FALSE(store_->submission("SUB-000003"));
  EXPECT_EQ(store_->escalations(std::nullopt, 0).size(), 1u);
  const auto verification = store_->verify_audit();
  EXPECT_TRUE(verification.ok) << verification.problem;
  std::set<std::string> audited;  // the failed submission left no audit row behind
  for (const auto& row : store_->audit_trail(""))
    for (const auto& [k, v] : row.event.fields)
      if (k == "submission_id") { audited.insert(v); }
  EXPECT_EQ(audited, (std::set<std::string>{"SUB-000001", "SUB-000002"}));
}

TEST_F(SqliteStoreBatchTest, AResponseThatThrowsFailsOnlyItsSubmission) {
  NewSubmission throwing = approved_submission();
  throwing.response = [](const SubmissionIds&) -> std::string { throw std::runtime_error("cannot build the answer"); };
  const auto outcomes = store_->add_submissions({throwing, approved_submission()});
  EXPECT_FALSE(outcomes[0].ids);
  EXPECT_EQ(error_text(outcomes[0]), "cannot build the answer");
  ASSERT_TRUE(outcomes[1].ids);
  EXPECT_EQ(outcomes[1].ids->submission_id, "SUB-000001");
}

TEST_F(SqliteStoreBatchTest, AKeyRepeatedInTheBatchReplaysTheFirst) {
  const NewSubmission first = escalated_submission("same");
  NewSubmission again = escalated_submission("same");
  again.submission.output = "another body: the caller decides whether that is a replay or a misuse";
  const auto outcomes = store_->add_submissions({first, again});
  ASSERT_TRUE(outcomes[0].ids && outcomes[1].ids);
  EXPECT_FALSE(outcomes[0].ids->replayed);
  EXPECT_TRUE(outcomes[1].ids->replayed);
  EXPECT_EQ(outcomes[1].ids->submission_id, outcomes[0].ids->submission_id);
  EXPECT_EQ(outcomes[1].ids->escalation_id, outcomes[0].ids->escalation_id);
  EXPECT_EQ(store_->escalations(std::nullopt, 0).size(), 1u);
  EXPECT_EQ(store_->submission(outcomes[0].ids->submission_id)->submission.output, first.submission.output);
}

TEST_F(SqliteStoreBatchTest, AKeyWhoseFirstUseFailedIsFreeForTheNext) {
  NewSubmission bad = approved_submission();
  bad.idempotency_key = "retry-me";
  bad.submission.confidence = 1.5;
  NewSubmission good = approved_submission();
  good.idempotency_key = "retry-me";
  const auto outcomes = store_->add_submissions({bad, good});
  EXPECT_FALSE(outcomes[0].ids);
  ASSERT_TRUE(outcomes[1].ids);
  EXPECT_FALSE(outcomes[1].ids->replayed);
  EXPECT_EQ(store_->find_by_idempotency_key(good.idempotency_scope, "retry-me")->submission_id,
            outcomes[1].ids->submission_id);
}

TEST_F(SqliteStoreBatchTest, TheResponseIsKeptWithTheSubmissionAndNamesItsIds) {
  NewSubmission s = escalated_submission("answered");
  int calls = 0;
  s.response = [&calls](const SubmissionIds& ids) {
    ++calls;
    return R"({"submission_id":")" + ids.submission_id + R"(","escalation":")" + ids.escalation_id + R"("})";
  };
  const auto outcomes = store_->add_submissions({approved_submission(), s});
  ASSERT_TRUE(outcomes[1].ids);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(store_->submission("SUB-000002")->response_json,
            R"({"submission_id":"SUB-000002","escalation":"ESC-000001"})");
  EXPECT_EQ(store_->submission("SUB-000001")->response_json, "");  // no response given, none kept
  // A replay does not build or overwrite the answer.
  const SubmissionIds replayed = store_->add_submission(s);
  EXPECT_TRUE(replayed.replayed);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace desk::storage
