// handlers::parse_submission, the intake API's body parser, over arbitrary bytes. Invariants: a refusal
// has a code and a message, and names a field unless it is about the whole body; an accepted
// submission, written back as JSON, is accepted again as the same submission.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "handlers/submission_parser.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/support/test_policy.hpp"

namespace {

using desk::handlers::ValidationError;

/// Errors with no field: about the whole body, or about a key that is itself the empty string ("").
bool needs_no_field(const ValidationError& e) {
  if (e.code == "unknown_field" || e.code == "duplicate_field") return e.message.find("''") != std::string::npos;
  return e.code == "malformed_json" || e.code == "too_deep" || e.code == "out_of_range" || e.code == "invalid_type";
}

nlohmann::json to_json(const desk::core::Submission& s) {
  nlohmann::json body = {{"workflow", s.workflow},
                         {"channel", s.channel},
                         {"agent", s.agent},
                         {"confidence", s.confidence},
                         {"prompt", s.prompt},
                         {"output", s.output},
                         {"suggested_fix", s.suggested_fix},
                         {"permalink", s.permalink},
                         {"callback_url", s.callback_url},
                         {"metadata", nlohmann::json::parse(s.metadata_json)}};
  body["citations"] = nlohmann::json::array();
  for (const auto& c : s.citations) {
    nlohmann::json citation = {{"url", c.url}};
    if (c.published_at) citation["published_at"] = desk::core::format_date(*c.published_at);
    body["citations"].push_back(citation);
  }
  return body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const desk::core::Policy policy = desk::testing::seed_policy();
  const auto now = desk::testing::tuesday_noon();
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = desk::handlers::parse_submission(body, policy, now);
  if (const auto* e = std::get_if<ValidationError>(&parsed)) {
    FUZZ_CHECK(!e->code.empty() && !e->message.empty());
    FUZZ_CHECK(!e->field.empty() || needs_no_field(*e));
    return 0;
  }
  const auto& s = std::get<desk::core::Submission>(parsed);
  FUZZ_CHECK(policy.workflows.count(s.workflow) == 1);
  FUZZ_CHECK(s.confidence >= 0.0 && s.confidence <= 1.0);
  const std::string again = to_json(s).dump();
  auto reparsed = desk::handlers::parse_submission(again, policy, now);
  const auto* t = std::get_if<desk::core::Submission>(&reparsed);
  FUZZ_CHECK(t != nullptr);
  FUZZ_CHECK(t->workflow == s.workflow && t->channel == s.channel && t->agent == s.agent);
  FUZZ_CHECK(t->confidence == s.confidence && t->output == s.output && t->prompt == s.prompt);
  FUZZ_CHECK(t->metadata_json == s.metadata_json && t->citations.size() == s.citations.size());
  FUZZ_CHECK(t->callback_url == s.callback_url && t->permalink == s.permalink);
  return 0;
}
