#include "handlers/submission_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "handlers/verdict_json.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace {

const core::Policy& policy() {
  static const core::Policy p = testing::seed_policy();
  return p;
}

ParsedSubmission parse(const std::string& body) { return parse_submission(body, policy(), testing::tuesday_noon()); }

ValidationError error_of(const std::string& body) {
  auto r = parse(body);
  if (auto* e = std::get_if<ValidationError>(&r)) return *e;
  ADD_FAILURE() << "expected a validation error for " << body;
  return {};
}

const std::string kGood = R"({
  "workflow": "community_replies", "channel": "linkedin", "agent": "social-agent-3", "confidence": 0.62,
  "prompt": "Write a LinkedIn post", "output": "We are proud to be the first licensed ...",
  "citations": [{"url": "https://example.com/report", "published_at": "2024-06-01"}],
  "permalink": "https://www.linkedin.com/feed/update/example",
  "suggested_fix": "Replace the licence claim", "metadata": {"campaign": "launch-week", "n": [1, {"k": true}]},
  "callback_url": "https://agents.example.com/desk-callback"})";

TEST(SubmissionParser, AcceptsTheSpecExample) {
  auto r = parse(kGood);
  ASSERT_TRUE(std::holds_alternative<core::Submission>(r)) << std::get<ValidationError>(r).message;
  const auto& s = std::get<core::Submission>(r);
  EXPECT_EQ(s.workflow, "community_replies");
  EXPECT_DOUBLE_EQ(s.confidence, 0.62);
  ASSERT_EQ(s.citations.size(), 1u);
  EXPECT_EQ(*s.citations[0].published_at, std::chrono::year{2024} / 6 / 1);
  EXPECT_EQ(s.submitted_at, testing::tuesday_noon());
  EXPECT_EQ(nlohmann::json::parse(s.metadata_json)["campaign"], "launch-week");
  EXPECT_EQ(s.callback_url, "https://agents.example.com/desk-callback");
}

TEST(SubmissionParser, ListsEveryMetadataStringWithItsPlace) {
  auto r = parse(R"({"workflow":"paid_ads","channel":"meta","agent":"a","confidence":1,"output":"Hi",
                    "metadata":{"n":3,"customer":{"email":"jo@example.com","tags":["vip","x@y.io"]},"a":"first"}})");
  ASSERT_TRUE(std::holds_alternative<core::Submission>(r));
  const auto& texts = std::get<core::Submission>(r).metadata_texts;
  std::vector<std::string> places, values;
  for (const auto& t : texts) places.push_back(t.field), values.push_back(t.text);
  EXPECT_EQ(places, (std::vector<std::string>{"metadata.a", "metadata.customer.email", "metadata.customer.tags[0]",
                                              "metadata.customer.tags[1]"}));
  EXPECT_EQ(values, (std::vector<std::string>{"first", "jo@example.com", "vip", "x@y.io"}));
}

TEST(SubmissionParser, MinimalSubmission) {
  auto r = parse(R"({"workflow":"paid_ads","channel":"meta","agent":"a","confidence":1,"output":"Hi"})");
  ASSERT_TRUE(std::holds_alternative<core::Submission>(r));
  EXPECT_EQ(std::get<core::Submission>(r).metadata_json, "{}");
}

struct BadCase {
  const char* name;
  std::string body;
  const char* code;
  const char* field;
};

class SubmissionParserBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(SubmissionParserBad, NamesTheFieldAndTheProblem) {
  const auto& c = GetParam();
  const auto e = error_of(c.body);
  EXPECT_EQ(e.code, c.code) << e.message;
  EXPECT_EQ(e.field, c.field) << e.message;
  EXPECT_FALSE(e.message.empty());
}

std::string with(const std::string& key, const std::string& value) {
  auto j = nlohmann::json::parse(kGood);
  j[key] = nlohmann::json::parse(value);
  return j.dump();
}

std::string without(const std::string& key) {
  auto j = nlohmann::json::parse(kGood);
  j.erase(key);
  return j.dump();
}

std::string deep(int levels) {
  std::string inner = "1";
  for (int i = 0; i < levels; ++i) inner = "[" + inner + "]";
  return with("metadata", "{\"x\":" + inner + "}");
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, SubmissionParserBad,
    ::testing::Values(
        BadCase{"not_json", "{\"workflow\": ", "malformed_json", ""},
        BadCase{"trailing_garbage", kGood + "x", "malformed_json", ""},
        BadCase{"array_body", "[1,2]", "invalid_type", ""},
        BadCase{"invalid_utf8", "{\"workflow\":\"paid_ads\",\"output\":\"\xC3\x28\"}", "malformed_json", ""},
        BadCase{"unknown_field", with("confidnce", "0.5"), "unknown_field", "confidnce"},
        BadCase{"duplicate_field", R"({"workflow":"paid_ads","workflow":"community_replies"})", "duplicate_field",
                "workflow"},
        BadCase{"missing_workflow", without("workflow"), "missing_field", "workflow"},
        BadCase{"unknown_workflow", with("workflow", "\"paid_adz\""), "unknown_workflow", "workflow"},
        BadCase{"workflow_number", with("workflow", "7"), "invalid_type", "workflow"},
        BadCase{"confidence_string", with("confidence", "\"0.5\""), "invalid_type", "confidence"},
        BadCase{"confidence_above_one", with("confidence", "1.01"), "out_of_range", "confidence"},
        BadCase{"confidence_negative", with("confidence", "-0.1"), "out_of_range", "confidence"},
        BadCase{"confidence_missing", without("confidence"), "missing_field", "confidence"},
        BadCase{"empty_output", with("output", "\"  \""), "missing_field", "output"},
        BadCase{"nul_in_output", with("output", "\"a\\u0000b\""), "invalid_text", "output"},
        BadCase{"nul_in_metadata", with("metadata", "{\"k\":\"a\\u0000\"}"), "invalid_text", "metadata.k"},
        BadCase{"metadata_array", with("metadata", "[1]"), "invalid_type", "metadata"},
        BadCase{"too_deep", deep(40), "too_deep", ""},
        BadCase{"citations_object", with("citations", "{}"), "invalid_type", "citations"},
        BadCase{"citation_bad_date", with("citations", R"([{"url":"https://a.example","published_at":"2024-13-01"}])"),
                "invalid_date", "citations[0].published_at"},
        BadCase{"citation_feb_30", with("citations", R"([{"url":"https://a.example","published_at":"2024-02-30"}])"),
                "invalid_date", "citations[0].published_at"},
        BadCase{"citation_future", with("citations", R"([{"url":"https://a.example","published_at":"2027-01-01"}])"),
                "invalid_date", "citations[0].published_at"},
        BadCase{"citation_no_url", with("citations", R"([{"published_at":"2024-01-01"}])"), "missing_field",
                "citations[0].url"},
        BadCase{"citation_bad_url", with("citations", R"([{"url":"ftp://x"}])"), "invalid_url", "citations[0].url"},
        BadCase{"citation_extra", with("citations", R"([{"url":"https://a.example","year":2024}])"), "unknown_field",
                "citations[0].year"},
        BadCase{"callback_not_http", with("callback_url", "\"javascript:alert(1)\""), "invalid_url", "callback_url"},
        BadCase{"permalink_with_space", with("permalink", "\"https://a b\""), "invalid_url", "permalink"},
        BadCase{"output_too_large", with("output", "\"" + std::string(300 * 1024, 'a') + "\""), "too_large", "output"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) { return std::string(param_info.param.name); });

TEST(SubmissionParser, DepthLimitAllowsReasonableNesting) {
  EXPECT_TRUE(std::holds_alternative<core::Submission>(parse(deep(10))));
}

TEST(VerdictJson, ExplainsHits) {
  auto s = std::get<core::Submission>(parse(kGood));
  core::PolicyEngine engine(policy());
  const auto j = to_json(engine.evaluate(s));
  EXPECT_EQ(j["verdict"], "escalated");
  EXPECT_EQ(j["owner_role"], "legal_oncall");
  bool saw_confidence = false, saw_licensed = false;
  for (const auto& h : j["hits"]) {
    saw_confidence |= h["rule_id"] == "confidence/community_replies" && h["threshold"] == 0.8;
    saw_licensed |= h["rule_id"] == "lexicon/regulated_claims/licensed" && h["matched"] == "licensed";
  }
  EXPECT_TRUE(saw_confidence) << j.dump(2);
  EXPECT_TRUE(saw_licensed) << j.dump(2);
}

}  // namespace
}  // namespace desk::handlers
