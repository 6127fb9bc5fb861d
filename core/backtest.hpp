#pragma once
/// A backtest: the verdicts stored submissions got, beside the ones another policy would give them,
/// summed up rule by rule, so that a lexicon change that would flood the desk (or let risky drafts
/// through) shows before it ships. Pure: handlers/backtest reads the store and runs the new policy.
#include <set>
#include <string>
#include <vector>

#include "core/escalation.hpp"

namespace desk::core {

/// At most this many example submission ids per list.
inline constexpr std::size_t kBacktestExamples = 3;

/// One stored submission: as it was judged, and as the other policy judges it.
struct BacktestCase {
  std::string submission_id;
  Verdict before = Verdict::approved;
  Verdict after = Verdict::approved;
  std::set<std::string> rules_before;   ///< rule ids that fired then
  std::set<std::string> rules_after;    ///< rule ids that fire now
  std::set<std::string> shadow_before;  ///< shadow-mode rule ids that fired then (as stored)
  std::set<std::string> shadow_after;   ///< and that fire now, in the other policy's shadow categories
};

/// What one shadow-mode rule of the other policy would see: it escalates nothing, but this is what
/// enforcing it would do.
struct ShadowShift {
  std::string rule_id;
  int fired_before = 0;               ///< submissions it fired on then (shadow rules of the live policy)
  int fired_after = 0;                ///< submissions it fires on now
  int would_escalate = 0;             ///< of those, approved now: enforced, it would escalate them
  std::vector<std::string> examples;  ///< submissions it would escalate if enforced
};

/// What one rule would do differently.
struct RuleShift {
  std::string rule_id;
  int fired_before = 0;               ///< submissions it fired on then
  int fired_after = 0;                ///< and would fire on now
  int newly_escalated = 0;            ///< approved then, escalated now, with this rule firing
  int newly_approved = 0;             ///< escalated then with this rule firing, approved now
  std::vector<std::string> examples;  ///< submissions it fires on on one side only
};

struct Backtest {
  int replayed = 0;
  int escalated_before = 0;
  int escalated_after = 0;
  int newly_escalated = 0;  ///< approved then, escalated now
  int newly_approved = 0;   ///< escalated then, approved now
  std::vector<std::string> newly_escalated_examples, newly_approved_examples;
  /// Submissions of a workflow the other policy does not have: not replayed.
  int unknown_workflow = 0;
  /// Every rule whose firing or verdicts would change, the largest change first.
  std::vector<RuleShift> rules;
  /// Every shadow-mode rule that fires now or fired then, the most firings first.
  std::vector<ShadowShift> shadow;
};

Backtest backtest(const std::vector<BacktestCase>& cases, int unknown_workflow = 0);

}  // namespace desk::core
