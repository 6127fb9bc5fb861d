// IntakeHandler split in steps for group commit: prepare() without the store, commit() of a batch in
// one transaction with one answer per submission, read() for what only reads. No threads here.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "handlers/intake_handler.hpp"
#include "storage/digest.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/storage/store_fixtures.hpp"
#include "tests/storage/wal_commits.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;
constexpr const char* kToken = "agt_batch_5e6f7a8b9c0d";

json draft(const std::string& workflow, double confidence, const std::string& output = "Thanks for the kind words!") {
  return {{"workflow", workflow},
          {"channel", "linkedin"},
          {"agent", "batch-agent"},
          {"confidence", confidence},
          {"prompt", "Reply to the comment"},
          {"output", output}};
}

HttpRequest post(const std::string& body, const std::string& key = "") {
  HttpRequest r{"POST",
                "/v1/submissions",
                {{"content-type", "application/json"}, {"authorization", std::string("Bearer ") + kToken}},
                body};
  if (!key.empty()) r.headers["idempotency-key"] = key;
  return r;
}

class IntakeCommitTest : public ::testing::Test {
 protected:
  explicit IntakeCommitTest(core::Policy p = testing::seed_policy()) : policy_(std::move(p)) {}

  /// prepare() must leave a pending submission for each of these.
  std::vector<PendingSubmission> pending(const std::vector<HttpRequest>& requests) {
    std::vector<PendingSubmission> out;
    for (const auto& r : requests) {
      auto prepared = handler_.prepare(r, now_);
      auto* p = std::get_if<PendingSubmission>(&prepared);
      if (!p) {
        ADD_FAILURE() << "not pending: " << r.body;
        continue;
      }
      out.push_back(std::move(*p));
    }
    return out;
  }

  storage::testing::TempDir dir_;
  std::string path_ = dir_.file("desk.db");
  core::Policy policy_;
  core::PolicyEngine engine_{policy_};
  core::Rota rota_{policy_.roles, policy_.people};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(path_);
  core::Metrics metrics_;
  IntakeHandler handler_{IntakeDependencies{policy_, engine_, rota_, *store_, metrics_, {kToken}, {}}};
  core::TimePoint now_ = testing::tuesday_noon();
};

TEST_F(IntakeCommitTest, PrepareWritesNothingAndLeavesTheCommitToCommit) {
  auto prepared = handler_.prepare(post(draft("paid_ads", 0.4).dump()), now_);
  ASSERT_TRUE(std::holds_alternative<PendingSubmission>(prepared));
  EXPECT_EQ(std::get<PendingSubmission>(prepared).evaluation.verdict, core::Verdict::escalated);
  EXPECT_FALSE(store_->submission("SUB-000001"));
  EXPECT_TRUE(store_->audit_trail("").empty());
  EXPECT_EQ(metrics_.value("desk_intake_requests_total", {"201"}), 0);
}

TEST_F(IntakeCommitTest, PrepareAnswersWhatNeedsNoStoreAndDefersReads) {
  auto bad = handler_.prepare(post("{not json"), now_);
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(bad));
  EXPECT_EQ(std::get<HttpResponse>(bad).status, 400);
  EXPECT_EQ(metrics_.value("desk_intake_requests_total", {"400"}), 1);  // counted once, when answered

  ASSERT_EQ(handler_.handle(post(draft("paid_ads", 0.4).dump()), now_).status, 201);
  HttpRequest get{"GET", "/v1/escalations/ESC-000001", {{"authorization", std::string("Bearer ") + kToken}}, ""};
  auto deferred = handler_.prepare(get, now_);
  ASSERT_TRUE(std::holds_alternative<StoreRead>(deferred));
  const HttpResponse r = handler_.read(std::get<StoreRead>(deferred));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["id"], "ESC-000001");
  EXPECT_EQ(metrics_.value("desk_intake_requests_total", {"200"}), 1);
}

TEST_F(IntakeCommitTest, ABatchIsOneCommitAndEachSubmissionGetsItsOwnAnswer) {
  ASSERT_EQ(handler_.handle(post(draft("paid_ads", 0.4).dump()), now_).status, 201);  // warm: snapshot, first rows
  const int before = storage::testing::wal_commits(path_ + "-wal");
  auto batch = pending({post(draft("paid_ads", 0.95).dump()), post(draft("paid_ads", 0.5).dump()),
                        post(draft("community_replies", 0.5).dump(), "k-3")});
  const auto answers = handler_.commit(std::move(batch));
  EXPECT_EQ(storage::testing::wal_commits(path_ + "-wal"), before + 1);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].status, 200) << answers[0].body;
  EXPECT_EQ(answers[1].status, 201) << answers[1].body;
  EXPECT_EQ(answers[2].status, 201) << answers[2].body;
  EXPECT_EQ(json::parse(answers[0].body)["submission_id"], "SUB-000002");
  EXPECT_EQ(json::parse(answers[1].body)["escalation"]["id"], "ESC-000002");
  EXPECT_EQ(json::parse(answers[2].body)["escalation"]["id"], "ESC-000003");
  EXPECT_EQ(json::parse(answers[2].body)["escalation"]["owner"]["role"], "community_lead");
  ASSERT_NE(answers[2].header("Location"), nullptr);
  EXPECT_EQ(*answers[2].header("Location"), "/v1/escalations/ESC-000003");
  // Each answer was kept with its submission, in the same commit.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(store_->submission("SUB-00000" + std::to_string(i + 2))->response_json,
              answers[static_cast<std::size_t>(i)].body);
  EXPECT_EQ(metrics_.value("desk_submissions_total", {"escalated"}), 3);
  EXPECT_EQ(metrics_.value("desk_intake_requests_total", {"201"}), 3);
  EXPECT_EQ(metrics_.histogram("desk_intake_latency_seconds")->count(), 4u);
}

TEST_F(IntakeCommitTest, AKeyRetriedOrReusedInTheSameBatchIsJudgedAsIfSentInOrder) {
  const std::string body = draft("paid_ads", 0.5).dump();
  auto batch =
      pending({post(body, "k"), post(json::parse(body).dump(2), "k"), post(draft("paid_ads", 0.6).dump(), "k")});
  const auto answers = handler_.commit(std::move(batch));
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].status, 201);
  EXPECT_EQ(answers[0].header("Idempotent-Replayed"), nullptr);
  EXPECT_EQ(answers[1].status, 201);
  EXPECT_EQ(answers[1].body, answers[0].body);
  ASSERT_NE(answers[1].header("Idempotent-Replayed"), nullptr);
  EXPECT_EQ(*answers[1].header("Location"), *answers[0].header("Location"));
  EXPECT_EQ(answers[2].status, 422) << answers[2].body;
  EXPECT_EQ(json::parse(answers[2].body)["error"], "idempotency_key_reused");
  EXPECT_EQ(store_->escalations(std::nullopt, 0).size(), 1u);
  EXPECT_EQ(metrics_.value("desk_submissions_total", {"escalated"}), 1);
}

/// community_replies with a threshold the store's CHECK refuses: every such submission fails to commit.
core::Policy policy_with_broken_workflow() {
  core::Policy p = testing::seed_policy();
  p.workflows.at("community_replies").confidence_threshold = 1.5;
  return p;
}

class IntakeCommitFailureTest : public IntakeCommitTest {
 protected:
  IntakeCommitFailureTest() : IntakeCommitTest(policy_with_broken_workflow()) {}
};

TEST_F(IntakeCommitFailureTest, ASubmissionTheStoreRefusesFailsAloneWith503) {
  auto batch = pending({post(draft("paid_ads", 0.95).dump()), post(draft("community_replies", 0.9).dump(), "broken"),
                        post(draft("paid_ads", 0.5).dump(), "fine")});
  const auto answers = handler_.commit(std::move(batch));
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].status, 200) << answers[0].body;
  EXPECT_EQ(answers[1].status, 503) << answers[1].body;
  EXPECT_EQ(json::parse(answers[1].body)["error"], "unavailable");
  EXPECT_EQ(answers[2].status, 201) << answers[2].body;
  EXPECT_EQ(json::parse(answers[2].body)["submission_id"], "SUB-000002");
  EXPECT_FALSE(store_->find_by_idempotency_key(storage::sha256_hex(kToken), "broken"));
  EXPECT_FALSE(store_->submission("SUB-000003"));
  EXPECT_TRUE(store_->verify_audit().ok);
  EXPECT_EQ(metrics_.value("desk_intake_requests_total", {"503"}), 1);
  EXPECT_EQ(metrics_.value("desk_submissions_total", {"approved"}), 1);
  EXPECT_EQ(metrics_.value("desk_submissions_total", {"escalated"}), 1);
}

TEST_F(IntakeCommitTest, AnEmptyBatchCommitsNothing) {
  const int before = storage::testing::wal_commits(path_ + "-wal");
  EXPECT_TRUE(handler_.commit({}).empty());
  EXPECT_EQ(storage::testing::wal_commits(path_ + "-wal"), before);
}

}  // namespace
}  // namespace desk::handlers
