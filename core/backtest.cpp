#include "core/backtest.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>

namespace desk::core {
namespace {

void add_example(std::vector<std::string>& examples, const std::string& id) {
  if (examples.size() < kBacktestExamples) examples.push_back(id);
}

}  // namespace

Backtest backtest(const std::vector<BacktestCase>& cases, int unknown_workflow) {
  Backtest out;
  out.unknown_workflow = unknown_workflow;
  std::map<std::string, RuleShift> rules;
  for (const auto& c : cases) {
    ++out.replayed;
    const bool was = c.before == Verdict::escalated, is = c.after == Verdict::escalated;
    out.escalated_before += was ? 1 : 0;
    out.escalated_after += is ? 1 : 0;
    if (!was && is) {
      ++out.newly_escalated;
      add_example(out.newly_escalated_examples, c.submission_id);
    }
    if (was && !is) {
      ++out.newly_approved;
      add_example(out.newly_approved_examples, c.submission_id);
    }
    for (const auto& id : c.rules_before) {
      RuleShift& r = rules[id];
      ++r.fired_before;
      if (was && !is) ++r.newly_approved;
      if (!c.rules_after.count(id)) add_example(r.examples, c.submission_id);
    }
    for (const auto& id : c.rules_after) {
      RuleShift& r = rules[id];
      ++r.fired_after;
      if (!was && is) ++r.newly_escalated;
      if (!c.rules_before.count(id)) add_example(r.examples, c.submission_id);
    }
  }
  std::map<std::string, ShadowShift> shadow;
  for (const auto& c : cases) {
    for (const auto& id : c.shadow_before) ++shadow[id].fired_before;
    for (const auto& id : c.shadow_after) {
      ShadowShift& r = shadow[id];
      ++r.fired_after;
      if (c.after == Verdict::escalated) continue;
      ++r.would_escalate;
      add_example(r.examples, c.submission_id);
    }
  }
  for (auto& [id, r] : shadow) {
    r.rule_id = id;
    out.shadow.push_back(std::move(r));
  }
  std::stable_sort(out.shadow.begin(), out.shadow.end(),
                   [](const ShadowShift& a, const ShadowShift& b) { return a.fired_after > b.fired_after; });
  for (auto& [id, r] : rules) {
    if (r.fired_before == r.fired_after && r.newly_escalated == 0 && r.newly_approved == 0 && r.examples.empty())
      continue;
    r.rule_id = id;
    out.rules.push_back(std::move(r));
  }
  std::stable_sort(out.rules.begin(), out.rules.end(), [](const RuleShift& a, const RuleShift& b) {
    return std::abs(a.fired_after - a.fired_before) > std::abs(b.fired_after - b.fired_before);
  });
  return out;
}

}  // namespace desk::core
