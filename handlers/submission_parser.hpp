#pragma once
/// Turns an agent's JSON submission into a validated core::Submission, or says precisely what is wrong
/// (error code, the field, a human sentence). Used by the intake API and by `escalation-desk evaluate`.
#include <string>
#include <string_view>
#include <variant>

#include "core/policy.hpp"
#include "core/submission.hpp"

namespace desk::handlers {

/// The error body the intake API answers: {"error": code, "message": text, "field": name}.
struct ValidationError {
  std::string code;     ///< malformed_json, invalid_type, missing_field, unknown_field, out_of_range,
                        ///< unknown_workflow, invalid_text, too_deep, too_large, invalid_date, invalid_url
  std::string message;  ///< one sentence a developer can act on
  std::string field;    ///< "confidence", "citations[2].published_at"; empty for the whole body
};

struct SubmissionLimits {
  std::size_t max_text_bytes = 256 * 1024;  ///< prompt, output, suggested fix each
  std::size_t max_citations = 100;
  std::size_t max_depth = 32;  ///< nesting anywhere in the body (metadata included)
  std::size_t max_metadata_bytes = 64 * 1024;
};

using ParsedSubmission = std::variant<core::Submission, ValidationError>;

/// Parses and validates `body`. `received_at` becomes submitted_at (the desk's clock, not the agent's).
ParsedSubmission parse_submission(std::string_view body, const core::Policy& policy, core::TimePoint received_at,
                                  const SubmissionLimits& limits = {});

/// True for http(s) URLs with a host and no spaces or control characters.
bool is_http_url(std::string_view url);

}  // namespace desk::handlers
