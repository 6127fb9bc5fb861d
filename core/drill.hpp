#pragma once
/// Fire drills (SPEC, flow step 9): a simulated worst case sent through the real intake path, with the
/// real clocks and rights, and scored when decided. Here: the scenarios and their drafts, which
/// workflow a drill runs in, and the score. Pure: the handlers store and announce what this decides.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/escalation.hpp"
#include "core/lifecycle.hpp"
#include "core/policy.hpp"
#include "core/submission.hpp"

namespace desk::core {

enum class DrillScenario { pricing_claim, data_leak, tos_breach };
inline constexpr DrillScenario kDrillScenarios[] = {DrillScenario::pricing_claim, DrillScenario::data_leak,
                                                    DrillScenario::tos_breach};
const char* to_string(DrillScenario scenario);
std::optional<DrillScenario> drill_scenario_from(std::string_view name);
/// "pricing_claim, data_leak, tos_breach": for usage texts and errors.
std::string drill_scenario_names();

/// What a scenario injects and what a good response to it is.
struct DrillScript {
  DrillScenario scenario = DrillScenario::pricing_claim;
  std::string title;           ///< "Rogue pricing claim"
  std::string visibility;      ///< the workflow visibility it is written for (public, semi_private, …)
  bool legal_required = true;  ///< a complete response brings legal in
  Submission draft;            ///< everything but the workflow and the time
};
DrillScript drill_script(DrillScenario scenario);

/// The workflow a drill runs in: `requested` when the policy has it; else, when nothing was requested,
/// the first workflow (by id) of the script's visibility, or the first workflow of all. Empty when
/// `requested` is unknown or the policy has no workflow.
std::string drill_workflow(const Policy& policy, const DrillScript& script, std::string_view requested);

/// The agent name a drill's draft is submitted as.
inline constexpr const char* kDrillAgent = "fire-drill";

/// The shortest rationale a drill counts as one of substance: a reason a colleague could learn from.
inline constexpr std::size_t kDrillRationaleChars = 40;
inline constexpr std::size_t kDrillRationaleWords = 6;

/// One part of a drill's score: what was checked, the points it earned out of `max`, and why.
struct DrillCheck {
  std::string name;  ///< triage, decision, owner, legal, rationale, policy
  int points = 0;
  int max = 0;
  std::string reason;  ///< a sentence for the people who ran it
};

struct DrillScore {
  int points = 0;  ///< 0–100: the sum of the checks
  std::vector<DrillCheck> checks;
};

/// What a decided drill shows about the response, out of 100: the first response within the triage
/// target (25), the decision by its deadline (25), decided by the owner or legal rather than the backup
/// or the director stepping in (20, 10, 5), legal brought in where the scenario requires it (15), and a
/// rationale of substance (15). `decider` is the capacity the decision was taken in; `sla` the policy's.
DrillScore score_drill(const Escalation& decided, const DrillScript& script, const SlaPolicy& sla, Capacity decider);

/// The score of a drill the policy let through: nobody was asked, so nothing else can be scored.
DrillScore missed_drill_score(const DrillScript& script, const std::string& workflow);

}  // namespace desk::core
