#pragma once
/// JSON forms of the domain's answers, shared by the intake API and the command line, so an agent and
/// a person testing a lexicon change see the same thing.
#include <nlohmann/json.hpp>

#include "core/escalation.hpp"
#include "core/policy_engine.hpp"
#include "core/rota.hpp"

namespace desk::handlers {

nlohmann::json to_json(const core::TriggerHit& hit);
/// Sets "hits" (those kept), "hits_total" (every hit found) and "hits_truncated" (some were not kept).
void add_hits(nlohmann::json& j, const std::vector<core::TriggerHit>& hits, std::size_t total);
nlohmann::json to_json(const core::Evaluation& evaluation);

/// A person as the API shows them: id, name and Slack user (no e-mail: agents do not need it).
nlohmann::json person_json(const core::Rota& rota, const std::string& person_id);

/// Status, owner, deadlines, hits and decision of an escalation.
nlohmann::json to_json(const core::Escalation& e, const core::Rota& rota);

}  // namespace desk::handlers
