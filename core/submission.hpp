#pragma once
/// A draft as an agent submitted it, after validation at the edge (handlers/submission_parser).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace desk::core {

struct Citation {
  std::string url;
  std::optional<std::chrono::year_month_day> published_at;  ///< absent: the agent did not say
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
  std::string metadata_json = "{}";  ///< free-form object, kept verbatim as evidence
  std::string callback_url;
  TimePoint submitted_at{};  ///< set by the desk on receipt, not by the agent
};

}  // namespace desk::core
