#include "handlers/intake_handler.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "handlers/callback_signing.hpp"
#include "storage/digest.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;
using std::chrono::minutes;

constexpr const char* kToken = "agt_live_7f3a9c1e5b2d4f60";
constexpr const char* kOtherToken = "agt_live_second_0b1c2d3e";
constexpr const char* kAdminToken = "adm_live_compliance_9e8d7c6b";

/// A desk over a real SqliteStore; every response it gives is kept, to check no token leaks.
struct Desk {
  explicit Desk(const std::string& path, core::Policy p = testing::seed_policy(), SurfaceNames surfaces = {"slack"},
                std::string token_scope_key = "")
      : policy(std::move(p)),
        engine(policy),
        rota(policy.roles, policy.people),
        store(storage::SqliteStore::open(path)),
        handler(IntakeDependencies{policy,
                                   engine,
                                   rota,
                                   *store,
                                   metrics,
                                   {kToken, "", kOtherToken},
                                   [this] { return health; },
                                   std::move(surfaces),
                                   {},
                                   {kAdminToken},
                                   {},
                                   std::move(token_scope_key)}) {}

  HttpResponse send(const HttpRequest& r, core::TimePoint at) {
    responses.push_back(handler.handle(r, at));
    return responses.back();
  }

  core::Policy policy;
  core::PolicyEngine engine;
  core::Rota rota;
  std::unique_ptr<storage::SqliteStore> store;
  core::Metrics metrics;
  DeskHealth health{{{"slack", "connected", true}}, {{"outbox", "running", true}}};
  IntakeHandler handler;
  std::vector<HttpResponse> responses;
};

json draft(double confidence = 0.95, const std::string& output = "Thanks for the kind words!") {
  return {{"workflow", "community_replies"},
          {"channel", "linkedin"},
          {"agent", "social-agent-3"},
          {"confidence", confidence},
          {"prompt", "Reply to the comment"},
          {"output", output},
          {"metadata", {{"campaign", "launch-week"}}}};
}

HttpRequest post(const std::string& body, const std::string& token = kToken) {
  HttpRequest r{"POST", "/v1/submissions", {{"content-type", "application/json"}}, body};
  if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
  return r;
}

HttpRequest with_key(HttpRequest r, const std::string& key) {
  r.headers["idempotency-key"] = key;
  return r;
}

HttpRequest get(const std::string& target, const std::string& token = kToken) {
  HttpRequest r{"GET", target, {}, ""};
  if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
  return r;
}

void expect_error(const HttpResponse& r, int status, const std::string& code, const std::string& field = "") {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  const json j = json::parse(r.body);
  EXPECT_EQ(j.size(), 3u) << r.body;
  EXPECT_EQ(j.value("error", ""), code) << r.body;
  EXPECT_TRUE(j["message"].is_string() && !j["message"].get<std::string>().empty());
  if (field.empty())
    EXPECT_TRUE(j["field"].is_null()) << r.body;
  else
    EXPECT_EQ(j["field"], field) << r.body;
}

/// What the store holds, read through the Store API only.
struct Counts {
  std::size_t escalations, audit_rows, pending_outbox;
  bool any_submission;
  bool operator==(const Counts&) const = default;
};

class IntakeHandlerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const auto& r : desk.responses) {
      for (const char* token : {kToken, kOtherToken, kAdminToken}) {
        EXPECT_EQ(r.body.find(token), std::string::npos) << r.body;
        for (const auto& [name, value] : r.headers) EXPECT_EQ(value.find(token), std::string::npos) << name;
      }
    }
  }

  Counts counts() {
    return {desk.store->escalations(std::nullopt, 0).size(), desk.store->audit_trail("").size(),
            desk.store->outbox_due(now + std::chrono::hours(24), 0).size(),
            desk.store->submission("SUB-000001").has_value()};
  }

  Desk desk{":memory:"};
  core::TimePoint now = testing::tuesday_noon();
};

TEST_F(IntakeHandlerTest, PersonalDataInAnyFieldRoutesToLegalAndIsAnsweredMasked) {
  const std::string raw = "jane.doe@example.com";
  const std::vector<std::pair<std::string, json>> cases = {
      {"prompt", {{"prompt", "Reply to " + raw}}},
      {"suggested_fix", {{"suggested_fix", "Ask " + raw}}},
      {"permalink", {{"permalink", "https://example.com/thread?from=" + raw}}},
      {"citations[0].url", {{"citations", json::array({{{"url", "https://example.com/u/" + raw}}})}}},
      {"metadata.customer.email", {{"metadata", {{"customer", {{"email", raw}}}}}}}};
  for (const auto& [field, extra] : cases) {
    json body = draft();
    body.update(extra);
    const HttpResponse r = desk.send(post(body.dump()), now);
    ASSERT_EQ(r.status, 201) << field << ": " << r.body;
    EXPECT_EQ(r.body.find(raw), std::string::npos) << r.body;
    const json answer = json::parse(r.body);
    ASSERT_EQ(answer["hits"].size(), 1u) << r.body;
    EXPECT_EQ(answer["hits"][0]["field"], field);
    EXPECT_EQ(answer["hits"][0]["matched"], "j***@example.com");
    EXPECT_EQ(answer["escalation"]["owner"]["role"], "legal_oncall") << field;
    const HttpResponse read = desk.send(get("/v1/escalations/" + answer["escalation"]["id"].get<std::string>()), now);
    ASSERT_EQ(read.status, 200);
    EXPECT_EQ(read.body.find(raw), std::string::npos) << read.body;
    EXPECT_EQ(json::parse(read.body)["hits"][0]["field"], field);
  }
  json clean = draft();
  clean["suggested_fix"] = "Nothing to fix";
  clean["permalink"] = "https://www.linkedin.com/feed/update/example";
  EXPECT_EQ(desk.send(post(clean.dump()), now).status, 200) << "a clean submission is unaffected";
}

TEST_F(IntakeHandlerTest, ApprovedDraftAnswers200AndIsLogged) {
  const HttpResponse r = desk.send(post(draft().dump()), now);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            R"({"hits":[],"hits_total":0,"hits_truncated":false,"submission_id":"SUB-000001","verdict":"approved"})");
  EXPECT_EQ(r.header("Location"), nullptr);
  const auto stored = desk.store->submission("SUB-000001");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->verdict, core::Verdict::approved);
  EXPECT_EQ(stored->response_json, r.body);
  EXPECT_EQ(stored->submission.submitted_at, now);
  EXPECT_EQ(desk.metrics.value("desk_submissions_total", {"approved"}), 1);
  EXPECT_EQ(desk.metrics.value("desk_intake_requests_total", {"200"}), 1);
  EXPECT_EQ(desk.metrics.histogram("desk_intake_latency_seconds")->count(), 1u);
  EXPECT_EQ(counts().pending_outbox, 0u);
}

TEST_F(IntakeHandlerTest, LowConfidenceOpensAnEscalationWithOwnerAndDeadlines) {
  const HttpResponse r = desk.send(post(draft(0.62).dump()), now);
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_NE(r.header("location"), nullptr);
  EXPECT_EQ(*r.header("Location"), "/v1/escalations/ESC-000001");
  const json j = json::parse(r.body);
  EXPECT_EQ(j["submission_id"], "SUB-000001");
  EXPECT_EQ(j["verdict"], "escalated");
  ASSERT_EQ(j["hits"].size(), 1u);
  EXPECT_EQ(j["hits"][0]["kind"], "low_confidence");
  EXPECT_EQ(j["escalation"]["id"], "ESC-000001");
  EXPECT_EQ(j["escalation"]["status"], "open");
  EXPECT_EQ(j["escalation"]["owner"]["role"], "community_lead");
  EXPECT_EQ(j["escalation"]["owner"]["person"]["id"], "erin");
  EXPECT_EQ(j["escalation"]["deadlines"]["backup_ping"]["due"], "2026-12-01T12:03:00Z");
  EXPECT_EQ(j["escalation"]["deadlines"]["triage"]["due"], "2026-12-01T12:05:00Z");
  EXPECT_EQ(j["escalation"]["deadlines"]["decision"]["due"], "2026-12-01T12:30:00Z");

  const auto e = desk.store->escalation("ESC-000001");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->owner_person, "erin");
  EXPECT_EQ(e->policy_digest, "testdigest");
  EXPECT_TRUE(desk.store->policy_snapshot("testdigest").has_value());
  EXPECT_EQ(desk.store->submission("SUB-000001")->response_json, r.body);
  EXPECT_EQ(desk.metrics.value("desk_submissions_total", {"escalated"}), 1);
  EXPECT_EQ(desk.metrics.value("desk_escalations_opened_total", {"community_lead"}), 1);
  EXPECT_EQ(desk.metrics.value("desk_hits_total", {j["hits"][0]["rule_id"].get<std::string>()}), 1);
}

TEST_F(IntakeHandlerTest, EscalationCommitsExactlyOnePostPerSurfaceInTheOutbox) {
  Desk two_surfaces(":memory:", testing::seed_policy(), {"slack", "teams"});
  ASSERT_EQ(two_surfaces.send(post(draft(0.62).dump()), now).status, 201);
  const auto due = two_surfaces.store->outbox_due(now, 0);
  ASSERT_EQ(due.size(), 2u);
  for (const auto& row : due) {
    EXPECT_EQ(row.kind, "post_escalation");
    EXPECT_EQ(row.escalation_id, "ESC-000001");
    EXPECT_EQ(row.ordering_key, row.surface + ":ESC-000001") << "ordered per escalation, on each surface";
    EXPECT_EQ(row.state, storage::OutboxMessage::State::pending);
    EXPECT_EQ(row.payload_json.find(kToken), std::string::npos);
  }
  EXPECT_EQ(due[0].surface, "slack");
  EXPECT_EQ(due[1].surface, "teams");
  ASSERT_EQ(two_surfaces.send(post(draft(0.95).dump()), now).status, 200);
  EXPECT_EQ(two_surfaces.store->outbox_due(now, 0).size(), 2u) << "an approved draft posts nothing";
}

TEST_F(IntakeHandlerTest, EachTokenReadsItsOwnCallbackKey) {
  // No secret: no callbacks, so no key.
  expect_error(desk.send(get("/v1/callback-key"), now), 409, "not_configured");
  IntakeHandler keyed(IntakeDependencies{desk.policy,
                                         desk.engine,
                                         desk.rota,
                                         *desk.store,
                                         desk.metrics,
                                         {kToken, kOtherToken},
                                         {},
                                         {"slack"},
                                         {},
                                         {},
                                         {"callback-secret-now-0123456789", "callback-secret-before-0123456789"},
                                         token_scope_key("an-audit-key-of-at-least-32-characters")});
  // The key derives from the token's plain digest whether or not the store's scopes are keyed.
  const HttpResponse mine = keyed.handle(get("/v1/callback-key"), now);
  ASSERT_EQ(mine.status, 200) << mine.body;
  const json j = json::parse(mine.body);
  EXPECT_EQ(j["scheme"], "v2");
  EXPECT_EQ(j["key"], agent_callback_key("callback-secret-now-0123456789", storage::sha256_hex(kToken)));
  EXPECT_EQ(j["previous_key"], agent_callback_key("callback-secret-before-0123456789", storage::sha256_hex(kToken)));
  EXPECT_EQ(mine.body.find("callback-secret"), std::string::npos) << "never the desk's secret";
  ASSERT_NE(mine.header("Cache-Control"), nullptr);
  const json theirs = json::parse(keyed.handle(get("/v1/callback-key", kOtherToken), now).body);
  EXPECT_NE(theirs["key"], j["key"]);
  expect_error(keyed.handle(get("/v1/callback-key", "wrong-token"), now), 401, "unauthorized");
}

TEST_F(IntakeHandlerTest, ACheckAnswersTheVerdictAndStoresNothing) {
  const Counts before = counts();
  HttpRequest check = post(draft(0.95, "Results are guaranteed within a week.").dump());
  check.target = "/v1/checks";
  const HttpResponse r = desk.send(check, now);
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j["verdict"], "escalated");
  EXPECT_EQ(j["owner_role"], "legal_oncall");
  ASSERT_FALSE(j["hits"].empty());
  EXPECT_FALSE(j.contains("submission_id"));
  EXPECT_EQ(r.header("Location"), nullptr);
  EXPECT_EQ(counts(), before);  // no submission, escalation, audit row or post

  HttpRequest approved = post(draft(0.95).dump());
  approved.target = "/v1/checks";
  EXPECT_EQ(json::parse(desk.send(approved, now).body)["verdict"], "approved");
  // The same checks as a submission, and the same token: a bad draft says which field, a stranger gets 401.
  HttpRequest bad = post(draft(1.5).dump());
  bad.target = "/v1/checks";
  expect_error(desk.send(bad, now), 422, "out_of_range", "confidence");
  HttpRequest stranger = post(draft().dump(), "wrong-token");
  stranger.target = "/v1/checks";
  expect_error(desk.send(stranger, now), 401, "unauthorized");
  HttpRequest read = get("/v1/checks");
  expect_error(desk.send(read, now), 405, "method_not_allowed");
  EXPECT_EQ(counts(), before);
}

TEST_F(IntakeHandlerTest, GuaranteeClaimGoesToLegal) {
  const HttpResponse r = desk.send(post(draft(0.95, "Results are guaranteed within a week.").dump()), now);
  ASSERT_EQ(r.status, 201) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j["escalation"]["owner"]["role"], "legal_oncall");
  EXPECT_EQ(j["escalation"]["owner"]["person"]["id"], "hana");
  EXPECT_EQ(desk.metrics.value("desk_escalations_opened_total", {"legal_oncall"}), 1);
}

TEST_F(IntakeHandlerTest, MissingOrWrongTokenGets401AndChangesNothing) {
  const Counts before = counts();
  const std::string body = draft(0.62).dump();
  std::vector<HttpRequest> bad = {post(body, ""), post(body, "wrong-token"), post(body, std::string(kToken) + "x"),
                                  post(body, std::string(kToken).substr(0, 10))};
  HttpRequest basic = post(body, "");
  basic.headers["authorization"] = std::string("Basic ") + kToken;
  HttpRequest empty = post(body, "");
  empty.headers["authorization"] = "Bearer ";
  HttpRequest bad_body = post("{not json", "nope");  // auth comes before the body is looked at
  bad_body.headers["content-type"] = "text/plain";
  for (const auto& r : {basic, empty, bad_body, get("/v1/escalations", "nope"), get("/v1/nowhere", "")})
    bad.push_back(r);
  for (const auto& request : bad) {
    const HttpResponse r = desk.send(with_key(request, "k-1"), now);
    expect_error(r, 401, "unauthorized");
    ASSERT_NE(r.header("WWW-Authenticate"), nullptr);
    EXPECT_EQ(*r.header("WWW-Authenticate"), "Bearer");
  }
  EXPECT_EQ(counts(), before);
  EXPECT_EQ(desk.metrics.value("desk_intake_requests_total", {"401"}), 9);
  EXPECT_EQ(desk.metrics.value("desk_submissions_total", {"escalated"}), 0);
}

TEST_F(IntakeHandlerTest, EveryConfiguredTokenIsAcceptedWithLenientSchemeCase) {
  EXPECT_EQ(desk.send(post(draft().dump(), kOtherToken), now).status, 200);
  HttpRequest r = post(draft().dump(), "");
  r.headers["authorization"] = std::string("bearer   ") + kToken + " ";
  EXPECT_EQ(desk.send(r, now).status, 200);
}

TEST_F(IntakeHandlerTest, NoConfiguredTokenRefusesEveryone) {
  core::Policy p = testing::seed_policy();
  core::PolicyEngine engine(p);
  core::Rota rota(p.roles, p.people);
  IntakeHandler closed(IntakeDependencies{p, engine, rota, *desk.store, desk.metrics, {""}, nullptr});
  expect_error(closed.handle(post(draft().dump(), ""), now), 401, "unauthorized");
  HttpRequest r = post(draft().dump(), "");
  r.headers["authorization"] = "Bearer ";
  expect_error(closed.handle(r, now), 401, "unauthorized");
}

TEST_F(IntakeHandlerTest, ContentTypeMustBeJson) {
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1",
                           "application/jsonx", "application/json; boundary=x"}) {
    HttpRequest r = post(draft().dump());
    r.headers["content-type"] = type;
    expect_error(desk.send(r, now), 415, "unsupported_media_type", "Content-Type");
  }
  HttpRequest none = post(draft().dump());
  none.headers.erase("content-type");
  expect_error(desk.send(none, now), 415, "unsupported_media_type", "Content-Type");
  for (const char* type : {"application/json; charset=utf-8", "Application/JSON;charset=UTF-8", "application/json"}) {
    HttpRequest r = post(draft().dump());
    r.headers["content-type"] = type;
    EXPECT_EQ(desk.send(r, now).status, 200) << type;
  }
}

TEST_F(IntakeHandlerTest, OversizedBodyGets413) {
  std::string huge = draft().dump();
  huge.insert(huge.size() - 1, ",\"x\":\"" + std::string(1024 * 1024, 'a') + "\"");
  expect_error(desk.send(post(huge), now), 413, "too_large");
  const std::string big_field = draft(0.9, std::string(300 * 1024, 'a')).dump();  // under 1 MiB, over the field limit
  expect_error(desk.send(post(big_field), now), 413, "too_large", "output");
  EXPECT_FALSE(counts().any_submission);
}

TEST_F(IntakeHandlerTest, BadBodiesGetPreciseErrorsAndWriteNothing) {
  struct Case {
    std::string body;
    int status;
    const char* code;
    const char* field;
  };
  auto with = [](const char* key, json value) {
    json j = draft();
    j[key] = std::move(value);
    return j.dump();
  };
  json deep = "leaf";
  for (int i = 0; i < 40; ++i) deep = json{{"a", deep}};
  json no_output = draft();
  no_output.erase("output");
  const Case cases[] = {
      {"{not json", 400, "malformed_json", ""},
      {"", 400, "malformed_json", ""},
      {"[1,2]", 400, "invalid_type", ""},
      {with("confidence", "high"), 400, "invalid_type", "confidence"},
      {with("confidence", 1.5), 422, "out_of_range", "confidence"},
      {with("confidence", -0.1), 422, "out_of_range", "confidence"},
      {with("workflow", "astrology"), 422, "unknown_workflow", "workflow"},
      {with("outptu", "typo"), 400, "unknown_field", "outptu"},
      {with("output", std::string("nul \0 here", 11)), 400, "invalid_text", "output"},
      {R"({"workflow":"community_replies","output":"caf)"
       "\xff\xfe"
       R"("})",
       400, "invalid_text", ""},
      {with("metadata", deep), 400, "too_deep", ""},
      {no_output.dump(), 400, "missing_field", "output"},
      {R"({"workflow":"paid_ads","workflow":"community_replies"})", 400, "duplicate_field", "workflow"},
      {with("citations", json::array({{{"url", "https://x.example"}, {"published_at", "2024-13-45"}}})), 422,
       "invalid_date", "citations[0].published_at"},
      {with("permalink", "javascript:alert(1)"), 422, "invalid_url", "permalink"},
      // Found by hostile testing: a number no double holds answered 500; an empty date passed.
      {R"({"workflow":"community_replies","channel":"x","agent":"a","confidence":1e400,"output":"o"})", 422,
       "out_of_range", ""},
      {with("citations", json::array({{{"url", "https://x.example"}, {"published_at", ""}}})), 422, "invalid_date",
       "citations[0].published_at"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 80));
    expect_error(desk.send(post(c.body), now), c.status, c.code, c.field);
  }
  EXPECT_EQ(counts(), (Counts{0, 0, 0, false}));
  EXPECT_EQ(desk.metrics.value("desk_submissions_total", {"approved"}), 0);
}

TEST_F(IntakeHandlerTest, RepeatedIdempotencyKeyOrAuthorizationHeadersAreRefused) {
  // The server joins a repeated header's values with ','; which one was meant cannot be known.
  HttpRequest twice = with_key(post(draft().dump()), "key-a,key-b");
  twice.repeated_headers = {"idempotency-key"};
  expect_error(desk.send(twice, now), 400, "invalid_header", "Idempotency-Key");
  HttpRequest two_tokens = post(draft().dump());
  two_tokens.headers["authorization"] = std::string("Bearer ") + kToken + ",Bearer " + kToken;
  two_tokens.repeated_headers = {"authorization"};
  EXPECT_EQ(desk.send(two_tokens, now).status, 401);
  EXPECT_EQ(counts(), (Counts{0, 0, 0, false}));
}

TEST_F(IntakeHandlerTest, RetryWithSameKeyReplaysFirstAnswerByteForByte) {
  const std::string body = draft(0.62).dump();
  const HttpResponse first = desk.send(with_key(post(body), "retry-1"), now);
  ASSERT_EQ(first.status, 201);
  EXPECT_EQ(first.header("Idempotent-Replayed"), nullptr);
  const HttpResponse again = desk.send(with_key(post(json::parse(body).dump(2)), "retry-1"), now + minutes(2));
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  ASSERT_NE(again.header("Idempotent-Replayed"), nullptr);
  EXPECT_EQ(*again.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(*again.header("Location"), *first.header("Location"));
  EXPECT_EQ(counts().escalations, 1u);
  EXPECT_EQ(counts().pending_outbox, 1u);
  EXPECT_EQ(desk.metrics.value("desk_submissions_total", {"escalated"}), 1);
  EXPECT_EQ(desk.metrics.value("desk_escalations_opened_total", {"community_lead"}), 1);
}

TEST_F(IntakeHandlerTest, ApprovedReplayKeeps200AndHasNoLocation) {
  const HttpResponse first = desk.send(with_key(post(draft().dump()), "a"), now);
  const HttpResponse again = desk.send(with_key(post(draft().dump()), "a"), now);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.header("Location"), nullptr);
  EXPECT_NE(again.header("Idempotent-Replayed"), nullptr);
}

TEST_F(IntakeHandlerTest, AnswerLostInACrashIsRebuiltIdenticallyOnReplay) {
  const std::string body = draft(0.95, "Our price is the lowest price, guaranteed.").dump();
  const HttpResponse first = desk.send(with_key(post(body), "crash"), now);
  ASSERT_EQ(first.status, 201);
  desk.store->set_submission_response("SUB-000001", "");  // as if the process died before saving it
  const HttpResponse again = desk.send(with_key(post(body), "crash"), now + minutes(1));
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(desk.store->submission("SUB-000001")->response_json, first.body);
}

TEST_F(IntakeHandlerTest, SameKeyWithAnotherBodyIsRefused) {
  ASSERT_EQ(desk.send(with_key(post(draft(0.62).dump()), "k"), now).status, 201);
  const Counts before = counts();
  expect_error(desk.send(with_key(post(draft(0.61).dump()), "k"), now), 422, "idempotency_key_reused",
               "Idempotency-Key");
  EXPECT_EQ(counts(), before);
}

TEST_F(IntakeHandlerTest, IdempotencyKeysAreScopedPerToken) {
  const std::string body = draft(0.62).dump();
  ASSERT_EQ(desk.send(with_key(post(body, kToken), "shared"), now).status, 201);
  const HttpResponse other = desk.send(with_key(post(body, kOtherToken), "shared"), now);
  EXPECT_EQ(other.status, 201);
  EXPECT_EQ(other.header("Idempotent-Replayed"), nullptr);
  EXPECT_EQ(json::parse(other.body)["escalation"]["id"], "ESC-000002");
}

TEST_F(IntakeHandlerTest, MalformedIdempotencyKeyIsRefused) {
  for (const std::string& key :
       {std::string(), std::string(201, 'k'), std::string("tab\there"), std::string("caf\xc3\xa9")})
    expect_error(desk.send(with_key(post(draft().dump()), key), now), 400, "invalid_header", "Idempotency-Key");
  EXPECT_FALSE(counts().any_submission);
  EXPECT_EQ(desk.send(with_key(post(draft().dump()), std::string(200, 'k')), now).status, 200);
}

TEST_F(IntakeHandlerTest, StorageFailureAnswers503AndLeavesNothingHalfWritten) {
  core::Policy broken = testing::seed_policy();
  broken.workflows.at("community_replies").confidence_threshold = 1.5;  // the store's CHECK refuses this hit
  Desk failing(":memory:", broken);
  const HttpResponse r = failing.send(post(draft(0.9).dump()), now);
  expect_error(r, 503, "unavailable");
  EXPECT_NE(r.header("Retry-After"), nullptr);
  EXPECT_TRUE(failing.store->escalations(std::nullopt, 0).empty());
  EXPECT_TRUE(failing.store->audit_trail("").empty());
  EXPECT_FALSE(failing.store->submission("SUB-000001"));
  EXPECT_TRUE(failing.store->outbox_due(now + minutes(60), 0).empty());
  EXPECT_EQ(failing.metrics.value("desk_submissions_total", {"escalated"}), 0);
  EXPECT_EQ(failing.metrics.value("desk_intake_requests_total", {"503"}), 1);
}

TEST_F(IntakeHandlerTest, EscalationCanBeReadBackWithItsTimeline) {
  ASSERT_EQ(desk.send(post(draft(0.62).dump()), now).status, 201);
  const HttpResponse r = desk.send(get("/v1/escalations/ESC-000001"), now);
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j["id"], "ESC-000001");
  EXPECT_EQ(j["status"], "open");
  EXPECT_TRUE(j["decision"].is_null());
  ASSERT_EQ(j["timeline"].size(), 2u);
  EXPECT_EQ(j["timeline"][0]["kind"], "submission.received");
  EXPECT_EQ(j["timeline"][1]["kind"], "escalation.opened");
  EXPECT_EQ(j["timeline"][1]["at"], "2026-12-01T12:00:00Z");
  EXPECT_EQ(j["timeline"][1]["actor"], "social-agent-3");
  EXPECT_EQ(j["timeline"][1]["fields"]["owner"], "erin");
  EXPECT_EQ(desk.send(get("/v1/escalations/ESC-0000%301"), now).status, 200);  // percent-decoded

  expect_error(desk.send(get("/v1/escalations/ESC-999999"), now), 404, "not_found");
  expect_error(desk.send(get("/v1/escalations/ESC%2F1"), now), 404, "not_found");
  expect_error(desk.send(get("/v1/escalations/"), now), 404, "not_found");
  expect_error(desk.send(get("/v1/escalations/ESC-000001?verbose=1"), now), 400, "unknown_parameter", "verbose");
}

TEST_F(IntakeHandlerTest, APostThatFailedForGoodIsShownInTheEscalationAndInHealthz) {
  ASSERT_EQ(desk.send(post(draft(0.62).dump()), now).status, 201);
  json j = json::parse(desk.send(get("/v1/escalations/ESC-000001"), now).body);
  ASSERT_FALSE(j["deliveries"].empty());
  for (const auto& d : j["deliveries"]) {
    EXPECT_EQ(d["state"], "pending");
    EXPECT_FALSE(d.contains("payload_json")) << "where it stands, never what it carries";
  }
  const auto rows = desk.store->outbox_of_escalation("ESC-000001", 0);
  desk.store->outbox_fail(rows.front().id, "chat.postMessage: invalid_blocks");

  j = json::parse(desk.send(get("/v1/escalations/ESC-000001"), now).body);
  EXPECT_EQ(j["deliveries"][0]["surface"], rows.front().surface);
  EXPECT_EQ(j["deliveries"][0]["kind"], "post_escalation");
  EXPECT_EQ(j["deliveries"][0]["state"], "failed");
  EXPECT_EQ(j["deliveries"][0]["error"], "chat.postMessage: invalid_blocks");

  const HttpResponse health = desk.send(get("/healthz", ""), now);
  EXPECT_EQ(health.status, 200) << "one message failing is not the desk being down";
  const json outbox = json::parse(health.body)["outbox"];
  EXPECT_EQ(outbox["failed"], 1);
  ASSERT_EQ(outbox["latest_failed"].size(), 1u);
  EXPECT_EQ(outbox["latest_failed"][0]["escalation_id"], "ESC-000001");
  EXPECT_FALSE(outbox["latest_failed"][0].contains("error")) << "an open probe learns which, not why";
}

TEST_F(IntakeHandlerTest, TheWeeklyReportIsForAdminsAndComesFromTheStore) {
  ASSERT_EQ(desk.send(post(draft(0.62).dump()), now).status, 201);
  ASSERT_EQ(desk.send(post(draft().dump()), now).status, 200);  // approved: not an escalation
  expect_error(desk.send(get("/v1/reports/weekly"), now), 403, "forbidden");
  for (const char* bad : {"0", "105", "x", "-1", "1000"})
    expect_error(desk.send(get(std::string("/v1/reports/weekly?weeks=") + bad, kAdminToken), now), 400,
                 "invalid_parameter", "weeks");
  expect_error(desk.send(get("/v1/reports/weekly?week=2", kAdminToken), now), 400, "unknown_parameter", "week");

  const HttpResponse r = desk.send(get("/v1/reports/weekly?weeks=3", kAdminToken), now);
  ASSERT_EQ(r.status, 200) << r.body;
  const json report = json::parse(r.body);
  ASSERT_EQ(report["weeks"].size(), 3u);
  const json& week = report["weeks"][2];
  EXPECT_EQ(week["week"], "2026-W49");
  EXPECT_EQ(week["opened"], 1);
  EXPECT_EQ(week["decided"], 0);
  EXPECT_TRUE(week["time_to_respond"]["mean_s"].is_null());
  EXPECT_TRUE(week["share_sent_to_legal"].is_null());
  EXPECT_EQ(report["weeks"][0]["opened"], 0);
  EXPECT_FALSE(report["rules_never_fired"].empty());
  EXPECT_EQ(desk.send(post(draft(0.62).dump()), now).status, 201);
  EXPECT_EQ(json::parse(desk.send(get("/v1/reports/weekly", kAdminToken), now).body)["weeks"].size(), 8u);
}

TEST_F(IntakeHandlerTest, AnAgentReadsItsOwnEscalationsOnlyAndAnAdminTokenReadsAll) {
  ASSERT_EQ(desk.send(post(draft(0.62).dump()), now).status, 201);              // ESC-000001, kToken's
  ASSERT_EQ(desk.send(post(draft(0.5).dump(), kOtherToken), now).status, 201);  // ESC-000002, the other's
  // Another agent's escalation does not exist as far as this token can tell.
  expect_error(desk.send(get("/v1/escalations/ESC-000002"), now), 404, "not_found");
  EXPECT_EQ(desk.send(get("/v1/escalations/ESC-000002", kOtherToken), now).status, 200);
  auto ids = [&](const char* token) {
    std::vector<std::string> out;
    const json list = json::parse(desk.send(get("/v1/escalations", token), now).body);
    for (const auto& e : list["escalations"]) out.push_back(e["id"]);
    return out;
  };
  EXPECT_EQ(ids(kToken), std::vector<std::string>{"ESC-000001"});
  EXPECT_EQ(ids(kOtherToken), std::vector<std::string>{"ESC-000002"});
  EXPECT_EQ(ids(kAdminToken), (std::vector<std::string>{"ESC-000002", "ESC-000001"}));
  EXPECT_EQ(desk.send(get("/v1/escalations/ESC-000001", kAdminToken), now).status, 200);
  EXPECT_EQ(desk.send(post(draft(0.5).dump(), kAdminToken), now).status, 201);  // an admin token may submit
}

TEST_F(IntakeHandlerTest, MetricsAreOpenOnLoopbackElseNeedAToken) {
  EXPECT_EQ(desk.send(get("/metrics", ""), now).status, 200);
  HttpRequest remote = get("/metrics", "");
  remote.from_loopback = false;
  expect_error(desk.send(remote, now), 401, "unauthorized");
  remote.headers["authorization"] = std::string("Bearer ") + kToken;
  EXPECT_EQ(desk.send(remote, now).status, 200);
  HttpRequest health = get("/healthz", "");
  health.from_loopback = false;
  EXPECT_EQ(desk.send(health, now).status, 200);  // liveness stays open for load balancers
}

TEST_F(IntakeHandlerTest, ListFiltersByStatusNewestFirst) {
  desk.send(post(draft(0.62).dump()), now);
  desk.send(post(draft().dump()), now);
  desk.send(post(draft(0.5).dump()), now);
  auto ids = [&](const std::string& target) {
    const HttpResponse r = desk.send(get(target), now);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const json list = json::parse(r.body);
    for (const auto& e : list["escalations"]) out.push_back(e["id"]);
    return out;
  };
  EXPECT_EQ(ids("/v1/escalations"), (std::vector<std::string>{"ESC-000002", "ESC-000001"}));
  EXPECT_EQ(ids("/v1/escalations?status=open"), (std::vector<std::string>{"ESC-000002", "ESC-000001"}));
  EXPECT_EQ(ids("/v1/escalations?status=%6Fpen&limit=1"), (std::vector<std::string>{"ESC-000002"}));
  EXPECT_TRUE(ids("/v1/escalations?status=accepted").empty());
  EXPECT_TRUE(ids("/v1/escalations?status=triaged").empty());
  EXPECT_EQ(ids("/v1/escalations?limit=500").size(), 2u);

  expect_error(desk.send(get("/v1/escalations?status=closed"), now), 400, "invalid_parameter", "status");
  for (const char* limit : {"0", "501", "-1", "ten", "", "1e2", "0001"})
    expect_error(desk.send(get(std::string("/v1/escalations?limit=") + limit), now), 400, "invalid_parameter", "limit");
  expect_error(desk.send(get("/v1/escalations?state=open"), now), 400, "unknown_parameter", "state");
  expect_error(desk.send(get("/v1/escalations?status=open&status=open"), now), 400, "invalid_query", "status");
  for (const char* q : {"?status", "?status=%zz", "?status=open&", "?&", "?=open", "?status=%4"})
    expect_error(desk.send(get(std::string("/v1/escalations") + q), now), 400, "invalid_query");
}

TEST_F(IntakeHandlerTest, HealthzNeedsNoTokenAndReportsEachSurfaceAndWorker) {
  HttpResponse r = desk.send(get("/healthz", ""), now);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"status":"ok","database":"ok","slack":"connected",
                                                 "surfaces":{"slack":"connected"},"workers":{"outbox":"running"},
                                                 "outbox":{"failed":0,"latest_failed":[]}})"));
  desk.health.surfaces[0].state = "connecting";
  EXPECT_EQ(json::parse(desk.send(get("/healthz", ""), now).body)["slack"], "connecting");
  desk.health.surfaces.push_back({"teams", "disconnected", false});
  r = desk.send(get("/healthz", ""), now);
  EXPECT_EQ(r.status, 200) << "a surface reconnecting heals itself: degraded, not down";
  EXPECT_EQ(json::parse(r.body)["status"], "degraded");
  EXPECT_EQ(json::parse(r.body)["surfaces"]["teams"], "disconnected");
  desk.health.workers.push_back({"sla_clock", "stopped: disk I/O error", false});
  r = desk.send(get("/healthz", ""), now);
  EXPECT_EQ(r.status, 503) << "a worker that is down breaks the desk's promises: the supervisor must know";
  const json body = json::parse(r.body);
  EXPECT_EQ(body["status"], "degraded");
  EXPECT_EQ(body["database"], "ok");
  EXPECT_EQ(body["workers"]["sla_clock"], "stopped: disk I/O error");
  expect_error(desk.send(get("/healthz?x=1", ""), now), 400, "unknown_parameter", "x");
}

TEST_F(IntakeHandlerTest, MetricsAreServedAsPrometheusText) {
  desk.send(post(draft(0.62).dump()), now);
  const HttpResponse r = desk.send(get("/metrics", ""), now);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(r.body.find("desk_submissions_total{verdict=\"escalated\"} 1\n"), std::string::npos);
  EXPECT_NE(r.body.find("desk_intake_requests_total{status=\"201\"} 1\n"), std::string::npos);
  EXPECT_NE(r.body.find("desk_escalations_opened_total{owner_role=\"community_lead\"} 1\n"), std::string::npos);
}

TEST_F(IntakeHandlerTest, UnknownPathsAndMethodsGetJsonErrors) {
  expect_error(desk.send(get("/", ""), now), 404, "not_found");
  expect_error(desk.send(get("/v2/submissions"), now), 404, "not_found");
  expect_error(desk.send(get("/v1/unknown"), now), 404, "not_found");
  expect_error(desk.send(get("no-slash"), now), 400, "invalid_target");
  const struct {
    const char* method;
    const char* target;
    const char* allow;
  } cases[] = {{"GET", "/v1/submissions", "POST"},
               {"PUT", "/v1/submissions", "POST"},
               {"DELETE", "/v1/escalations/ESC-000001", "GET"},
               {"POST", "/v1/escalations", "GET"},
               {"POST", "/healthz", "GET"},
               {"DELETE", "/metrics", "GET"}};
  for (const auto& c : cases) {
    HttpRequest r = get(c.target);
    r.method = c.method;
    const HttpResponse resp = desk.send(r, now);
    expect_error(resp, 405, "method_not_allowed");
    ASSERT_NE(resp.header("Allow"), nullptr) << c.method << ' ' << c.target;
    EXPECT_EQ(*resp.header("Allow"), c.allow);
  }
  expect_error(desk.send(get("/v1/submissions?dry_run=1"), now), 405, "method_not_allowed");
  HttpRequest with_query = post(draft().dump());
  with_query.target = "/v1/submissions?dry_run=1";
  expect_error(desk.send(with_query, now), 400, "unknown_parameter", "dry_run");
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(IntakeHandlerFile, TokensNeverReachTheDatabaseFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("intake-test-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "desk.db";
  const core::TimePoint now = testing::tuesday_noon();
  std::string files;
  {
    Desk desk(path.string());
    ASSERT_EQ(desk.send(with_key(post(draft(0.62).dump()), "file-key"), now).status, 201);
    ASSERT_EQ(desk.send(with_key(post(draft(0.62).dump()), "file-key"), now).status, 201);
    ASSERT_EQ(desk.send(post(draft().dump(), kOtherToken), now).status, 200);
    ASSERT_EQ(desk.send(post(draft().dump(), "Bearer-intruder-token"), now).status, 401);
    for (const auto& entry : std::filesystem::directory_iterator(dir)) files += read_all(entry.path());  // WAL too
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files += read_all(entry.path());
  std::filesystem::remove_all(dir);
  ASSERT_NE(files.find("file-key"), std::string::npos);  // the scan does see the data
  for (const char* token : {kToken, kOtherToken, "intruder"}) EXPECT_EQ(files.find(token), std::string::npos) << token;
}

TEST(IntakeHandlerFile, StoredScopesAreKeyedSoTheFileAloneConfirmsNoToken) {
  const desk::testing::TempDir temp("intake-keyed");
  const auto& dir = temp.path();
  const auto path = dir / "desk.db";
  const core::TimePoint now = testing::tuesday_noon();
  const std::string scope_key = token_scope_key("an-audit-key-of-at-least-32-characters");
  std::string files;
  {
    Desk desk(path.string(), testing::seed_policy(), {"slack"}, scope_key);
    const HttpResponse created = desk.send(with_key(post(draft(0.62).dump()), "keyed-key"), now);
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = json::parse(created.body)["escalation"]["id"];
    // Keyed scopes still do their work: the same key is the same submission, the owner and an admin read
    // it, another agent does not.
    const HttpResponse again = desk.send(with_key(post(draft(0.62).dump()), "keyed-key"), now);
    EXPECT_EQ(json::parse(again.body)["escalation"]["id"], id) << again.body;
    EXPECT_EQ(desk.store->escalations(std::nullopt, 0).size(), 1u);
    EXPECT_EQ(desk.send(get("/v1/escalations/" + id), now).status, 200);
    EXPECT_EQ(desk.send(get("/v1/escalations/" + id, kAdminToken), now).status, 200);
    EXPECT_EQ(desk.send(get("/v1/escalations/" + id, kOtherToken), now).status, 404);
    EXPECT_EQ(desk.store->submission_scope("SUB-000001"), token_scope(scope_key, kToken));
    for (const auto& entry : std::filesystem::directory_iterator(dir)) files += read_all(entry.path());
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files += read_all(entry.path());
  ASSERT_NE(files.find("keyed-key"), std::string::npos);
  ASSERT_NE(files.find(token_scope(scope_key, kToken)), std::string::npos);
  EXPECT_EQ(files.find(storage::sha256_hex(kToken)), std::string::npos) << "a plain digest confirms a guessed token";
  EXPECT_EQ(files.find(kToken), std::string::npos);
}

}  // namespace
}  // namespace desk::handlers
