#pragma once
/// The verdict JSON evaluate prints and demo summarises: what the intake API would answer for a draft,
/// plus, when it escalates, the owner and deadlines it would get. Touches neither Slack nor the database.
#include <nlohmann/json.hpp>

#include <string>

#include "core/policy.hpp"
#include "core/policy_engine.hpp"
#include "core/rota.hpp"

namespace desk::bot::cli {

struct DraftVerdict {
  nlohmann::json json;
  bool valid = false;  ///< false: the draft itself was refused and `json` is {"error","message","field"}
};

DraftVerdict draft_verdict(const core::Policy& p, const core::PolicyEngine& engine, const core::Rota& rota,
                           const std::string& body, core::TimePoint now);

}  // namespace desk::bot::cli
