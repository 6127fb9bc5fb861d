#pragma once
/// A draft as an agent submitted it, after validation at the edge (handlers/submission_parser).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace desk::core {

struct Citation {
  std::string url;
  std::optional<std::chrono::year_month_day> published_at;  ///< absent: the agent did not say
};

/// A string value of the free-form metadata and where it is ("metadata.customer.email"). The edge
/// (handlers/submission_parser) lists them: core reads no JSON, yet scans metadata like any text.
struct MetadataText {
  std::string field;
  std::string text;
};

struct Submission {
  std::string workflow;
  std::string channel;
  std::string agent;
  double confidence = 1.0;
  std::string prompt;
  std::string output;
  std::vector<Citation> citations;
  std::string permalink;
  std::string suggested_fix;
  std::string metadata_json = "{}";          ///< free-form object, kept verbatim as evidence
  std::vector<MetadataText> metadata_texts;  ///< its string values, for the scanners (not stored)
  std::string callback_url;
  TimePoint submitted_at{};  ///< set by the desk on receipt, not by the agent
};

/// A free-text field of a submission, named as the API names it ("output", "suggested_fix",
/// "citations[0].url", "metadata.customer.email").
struct TextField {
  std::string name;
  std::string_view text;  ///< into the submission
};

/// Every free-text field of `s` that can carry personal data, output first: the prompt, the
/// suggested fix, the permalink, each citation's URL and each metadata string. Empty ones are left out.
inline std::vector<TextField> free_text_fields(const Submission& s) {
  std::vector<TextField> fields;
  auto add = [&](std::string name, std::string_view text) {
    if (!text.empty()) fields.push_back({std::move(name), text});
  };
  add("output", s.output);
  add("prompt", s.prompt);
  add("suggested_fix", s.suggested_fix);
  add("permalink", s.permalink);
  for (std::size_t i = 0; i < s.citations.size(); ++i)
    add("citations[" + std::to_string(i) + "].url", s.citations[i].url);
  for (const auto& m : s.metadata_texts) add(m.field, m.text);
  return fields;
}

}  // namespace desk::core
