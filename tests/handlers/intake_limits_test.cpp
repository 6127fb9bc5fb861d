// Flood control for agents: a rate per token, a cap on each token's undecided escalations. One token
// over its limits is refused alone (429 with Retry-After) and nothing of its request is stored.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "handlers/intake_handler.hpp"
#include "handlers/rate_limiter.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

constexpr const char* kFlooder = "agt_flood_0123456789abcdef";
constexpr const char* kQuiet = "agt_quiet_0123456789abcdef";

TEST(RateLimiter, ABurstThenTheRateWithRetryAfterPerKey) {
  RateLimiter limiter(60, 3);  // one a second, three at once
  const core::TimePoint t0 = testing::tuesday_noon();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.admit("a", t0)) << i;
  const auto wait = limiter.admit("a", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, seconds(1));
  EXPECT_FALSE(limiter.admit("b", t0)) << "another key has its own bucket";
  EXPECT_FALSE(limiter.admit("a", t0 + seconds(1))) << "refilled by the rate";
  EXPECT_TRUE(limiter.admit("a", t0 + seconds(1)));
  EXPECT_FALSE(limiter.admit("a", t0 + seconds(60))) << "a long pause refills up to the burst, no more";
  EXPECT_FALSE(limiter.admit("a", t0 + seconds(60)));
  EXPECT_FALSE(limiter.admit("a", t0 + seconds(60)));
  EXPECT_TRUE(limiter.admit("a", t0 + seconds(60)));
  EXPECT_TRUE(limiter.admit("a", t0 - seconds(30))) << "a clock set back refills nothing";
  EXPECT_TRUE(limiter.admit("a", t0 + seconds(60)));
  EXPECT_FALSE(limiter.admit("a", t0 + seconds(61)));
}

TEST(RateLimiter, ZeroTurnsItOffAndASlowRateWaitsLonger) {
  RateLimiter off(0, 1);
  const core::TimePoint t0 = testing::tuesday_noon();
  for (int i = 0; i < 10'000; ++i) ASSERT_FALSE(off.admit("a", t0));
  RateLimiter slow(2, 1);  // one every 30 s
  EXPECT_FALSE(slow.admit("a", t0));
  EXPECT_EQ(slow.admit("a", t0), seconds(30));
  EXPECT_EQ(slow.admit("a", t0 + seconds(20)), seconds(10));
}

TEST(RateLimiter, ManyKeysStayBounded) {
  RateLimiter limiter(600, 10);
  const core::TimePoint t0 = testing::tuesday_noon();
  for (int i = 0; i < 100'000; ++i) limiter.admit("key-" + std::to_string(i), t0 + seconds(i));
  // Buckets of keys idle long enough to be full again are dropped: this returns without growing.
  EXPECT_FALSE(limiter.admit("key-0", t0 + seconds(200'000)));
}

class IntakeLimitsTest : public ::testing::Test {
 protected:
  IntakeLimitsTest() { make({}); }

  void make(IntakeLimits limits) {
    handler_ = std::make_unique<IntakeHandler>(
        IntakeDependencies{policy_, engine_, rota_, *store_, metrics_, {kFlooder, kQuiet}, {}, {"slack"}, limits, {}});
  }

  static HttpRequest post(const std::string& token, double confidence, const std::string& key = "") {
    const json body = {{"workflow", "community_replies"},
                       {"channel", "linkedin"},
                       {"agent", "a"},
                       {"confidence", confidence},
                       {"output", "See you at the meetup!"}};
    HttpRequest r{"POST",
                  "/v1/submissions",
                  {{"content-type", "application/json"}, {"authorization", std::string("Bearer ") + token}},
                  body.dump()};
    if (!key.empty()) r.headers["idempotency-key"] = key;
    return r;
  }

  void expect_429(const HttpResponse& r, const std::string& code) {
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(json::parse(r.body)["error"], code) << r.body;
    ASSERT_NE(r.header("Retry-After"), nullptr);
    EXPECT_GE(std::stoi(*r.header("Retry-After")), 1);
  }

  core::Policy policy_ = testing::seed_policy();
  core::PolicyEngine engine_{policy_};
  core::Rota rota_{policy_.roles, policy_.people};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  core::Metrics metrics_;
  std::unique_ptr<IntakeHandler> handler_;
  core::TimePoint now_ = testing::tuesday_noon();
};

TEST_F(IntakeLimitsTest, ATokenOverItsRateIsRefusedAloneAndNothingIsStored) {
  IntakeLimits limits;
  limits.requests_per_minute = 60;
  limits.burst = 2;
  make(limits);
  EXPECT_EQ(handler_->handle(post(kFlooder, 0.95), now_).status, 200);
  EXPECT_EQ(handler_->handle(post(kFlooder, 0.5), now_).status, 201);
  const std::size_t stored = store_->escalations(std::nullopt, 0).size();
  expect_429(handler_->handle(post(kFlooder, 0.5), now_), "rate_limited");
  // Reads count too, but never another token's requests.
  HttpRequest read{"GET", "/v1/escalations", {{"authorization", std::string("Bearer ") + kFlooder}}, ""};
  expect_429(handler_->handle(read, now_), "rate_limited");
  EXPECT_EQ(handler_->handle(post(kQuiet, 0.5), now_).status, 201);
  EXPECT_EQ(store_->escalations(std::nullopt, 0).size(), stored + 1);
  // MCP's own methods draw on the same bucket.
  EXPECT_TRUE(handler_->throttle(read, now_));
  EXPECT_FALSE(handler_->throttle(read, now_ + seconds(1)));
  EXPECT_EQ(handler_->handle(post(kFlooder, 0.5), now_ + seconds(2)).status, 201);
  // The desk's own reads for a call already counted (an MCP wait reading again) are not counted.
  HttpRequest again{"GET", "/v1/escalations/ESC-000001", {{"authorization", std::string("Bearer ") + kFlooder}}, ""};
  again.internal = true;
  for (int i = 0; i < 5; ++i) EXPECT_NE(handler_->handle(again, now_ + seconds(2)).status, 429);
  HttpRequest stranger = again;
  stranger.headers["authorization"] = "Bearer wrong-token";
  EXPECT_EQ(handler_->handle(stranger, now_ + seconds(2)).status, 401) << "internal still needs the token";
  // Without a valid token there is nothing to count: throttle leaves the 401 to authentication.
  EXPECT_FALSE(handler_->throttle(HttpRequest{"POST", "/mcp", {}, ""}, now_));
}

TEST_F(IntakeLimitsTest, UndecidedEscalationsPerTokenAreCappedAndADecisionFreesASlot) {
  IntakeLimits limits;
  limits.open_escalations_per_token = 2;
  make(limits);
  const auto first = handler_->handle(post(kFlooder, 0.5, "k1"), now_);
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(handler_->handle(post(kFlooder, 0.5), now_).status, 201);
  const auto over = handler_->handle(post(kFlooder, 0.5), now_);
  expect_429(over, "too_many_open_escalations");
  EXPECT_NE(json::parse(over.body)["message"].get<std::string>().find("limits.open_escalations_per_token"),
            std::string::npos);
  EXPECT_EQ(store_->escalations(std::nullopt, 0).size(), 2u) << "nothing of the refused one is stored";
  // What opens nothing is not refused: an approved draft, a retry of a key already answered.
  EXPECT_EQ(handler_->handle(post(kFlooder, 0.95), now_).status, 200);
  const auto replay = handler_->handle(post(kFlooder, 0.5, "k1"), now_);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.body, first.body);
  EXPECT_EQ(handler_->handle(post(kQuiet, 0.5), now_).status, 201) << "another token has its own cap";

  // A decision frees a slot.
  auto e = *store_->escalation("ESC-000001");
  e.state = core::EscalationState::rejected;
  e.decision = core::Decision{core::Macro::reject, "erin", now_, "Not as written."};
  ASSERT_TRUE(store_->update_escalation(e, {}));
  EXPECT_EQ(handler_->handle(post(kFlooder, 0.5), now_).status, 201);
  expect_429(handler_->handle(post(kFlooder, 0.5), now_), "too_many_open_escalations");
}

TEST_F(IntakeLimitsTest, TheCapHoldsWithinOneBatch) {
  IntakeLimits limits;
  limits.open_escalations_per_token = 2;
  make(limits);
  std::vector<PendingSubmission> batch;
  for (const auto& key : {"a", "b", "a", "c", "d"}) {
    auto prepared = handler_->prepare(post(kFlooder, 0.5, key), now_);
    batch.push_back(std::get<PendingSubmission>(std::move(prepared)));
  }
  const auto answers = handler_->commit(std::move(batch));
  ASSERT_EQ(answers.size(), 5u);
  EXPECT_EQ(answers[0].status, 201);
  EXPECT_EQ(answers[1].status, 201);
  EXPECT_EQ(answers[2].status, 201) << "the retry of 'a' in the same batch replays";
  EXPECT_EQ(answers[2].body, answers[0].body);
  expect_429(answers[3], "too_many_open_escalations");
  expect_429(answers[4], "too_many_open_escalations");
  EXPECT_EQ(store_->escalations(std::nullopt, 0).size(), 2u);
  EXPECT_EQ(metrics_.value("desk_intake_requests_total", {"429"}), 2);
}

TEST_F(IntakeLimitsTest, AFloodOfHitsIsCountedInFullButStoredAndAnsweredBounded) {
  // 37,000 e-mail addresses in 256 KB: one answer, one escalation, a bounded number of hits kept.
  std::string output;
  for (int i = 0; i < 37000; ++i) output += "a@b.io ";
  const json body = {{"workflow", "community_replies"},
                     {"channel", "linkedin"},
                     {"agent", "a"},
                     {"confidence", 0.95},
                     {"output", output}};
  const std::string bearer = std::string("Bearer ") + kQuiet;
  const HttpResponse r = handler_->handle(
      {"POST", "/v1/submissions", {{"content-type", "application/json"}, {"authorization", bearer}}, body.dump()},
      now_);
  ASSERT_EQ(r.status, 201) << r.body.substr(0, 500);
  EXPECT_LT(r.body.size(), 16u * 1024) << "the answer is bounded, whatever the draft holds";
  const json answer = json::parse(r.body);
  EXPECT_EQ(answer["hits_total"], 37000);
  EXPECT_EQ(answer["hits_truncated"], true);
  EXPECT_EQ(answer["hits"].size(), core::kHitsKeptPerRule);
  EXPECT_EQ(answer["escalation"]["owner"]["role"], "legal_oncall");

  const auto stored = store_->submission(answer["submission_id"].get<std::string>());
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->hits.size(), core::kHitsKeptPerRule);
  EXPECT_EQ(stored->hits_total, 37000u);

  const std::string id = answer["escalation"]["id"];
  const HttpResponse read = handler_->handle({"GET", "/v1/escalations/" + id, {{"authorization", bearer}}, ""}, now_);
  ASSERT_EQ(read.status, 200) << read.body.substr(0, 500);
  EXPECT_LT(read.body.size(), 32u * 1024);
  const json e = json::parse(read.body);
  EXPECT_EQ(e["hits_total"], 37000);
  EXPECT_EQ(e["hits_truncated"], true);
  EXPECT_EQ(e["hits"].size(), core::kHitsKeptPerRule);
  const HttpResponse list = handler_->handle({"GET", "/v1/escalations", {{"authorization", bearer}}, ""}, now_);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body)["escalations"][0]["hits_total"], 37000);
}

}  // namespace
}  // namespace desk::handlers
