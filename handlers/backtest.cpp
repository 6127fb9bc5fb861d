#include "handlers/backtest.hpp"

#include <cstdio>

namespace desk::handlers {
namespace {

using json = nlohmann::json;

std::set<std::string> rule_ids(const std::vector<core::TriggerHit>& hits) {
  std::set<std::string> ids;
  for (const auto& h : hits) ids.insert(h.rule_id);
  return ids;
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

std::string signed_change(int before, int after) {
  const int change = after - before;
  if (change == 0) return "no change";
  return (change > 0 ? "+" : "") + std::to_string(change);
}

}  // namespace

core::Backtest run_backtest(storage::Store& store, const core::PolicyEngine& engine, core::TimePoint since) {
  std::vector<core::BacktestCase> cases;
  int unknown_workflow = 0;
  for (const auto& id : store.replayable_submissions(since)) {
    const auto stored = store.submission(id);
    if (!stored) continue;  // erased or gone since the list was read
    core::BacktestCase c;
    c.submission_id = id;
    c.before = stored->verdict;
    c.rules_before = rule_ids(stored->hits);
    c.shadow_before = rule_ids(stored->shadow_hits);
    try {
      const core::Evaluation now = engine.evaluate(stored->submission);
      c.after = now.verdict;
      c.rules_after = rule_ids(now.hits);
      c.shadow_after = rule_ids(now.shadow_hits);
    } catch (const core::UnknownWorkflow&) {
      ++unknown_workflow;
      continue;
    }
    cases.push_back(std::move(c));
  }
  return core::backtest(cases, unknown_workflow);
}

json backtest_json(const core::Backtest& b) {
  json rules = json::array();
  for (const auto& r : b.rules)
    rules.push_back({{"rule_id", r.rule_id},
                     {"fired_before", r.fired_before},
                     {"fired_after", r.fired_after},
                     {"newly_escalated", r.newly_escalated},
                     {"newly_approved", r.newly_approved},
                     {"examples", r.examples}});
  json shadow = json::array();
  for (const auto& r : b.shadow)
    shadow.push_back({{"rule_id", r.rule_id},
                      {"fired_before", r.fired_before},
                      {"fired_after", r.fired_after},
                      {"would_escalate", r.would_escalate},
                      {"examples", r.examples}});
  return {{"replayed", b.replayed},
          {"escalated_before", b.escalated_before},
          {"escalated_after", b.escalated_after},
          {"newly_escalated", {{"count", b.newly_escalated}, {"examples", b.newly_escalated_examples}}},
          {"newly_approved", {{"count", b.newly_approved}, {"examples", b.newly_approved_examples}}},
          {"unknown_workflow", b.unknown_workflow},
          {"rules", std::move(rules)},
          {"shadow_rules", std::move(shadow)}};
}

std::string backtest_text(const core::Backtest& b) {
  std::string out = std::to_string(b.replayed) + " submissions replayed: " + std::to_string(b.escalated_before) +
                    " escalated then, " + std::to_string(b.escalated_after) + " with this policy (" +
                    signed_change(b.escalated_before, b.escalated_after) + ")\n";
  out += "  newly escalated: " + std::to_string(b.newly_escalated) +
         (b.newly_escalated_examples.empty() ? "" : " (e.g. " + joined(b.newly_escalated_examples) + ")") + "\n";
  out += "  newly approved:  " + std::to_string(b.newly_approved) +
         (b.newly_approved_examples.empty() ? "" : " (e.g. " + joined(b.newly_approved_examples) + ")") + "\n";
  if (b.unknown_workflow > 0)
    out += "  not replayed:    " + std::to_string(b.unknown_workflow) + " of workflows this policy does not have\n";
  if (!b.shadow.empty()) {
    out += "shadow rules (recorded, never escalating; submissions fired on: then -> now):\n";
    for (const auto& r : b.shadow) {
      char line[512];
      std::snprintf(line, sizeof line, "  %-44s %5d -> %-5d", r.rule_id.c_str(), r.fired_before, r.fired_after);
      out += line;
      if (r.would_escalate > 0)
        out += ", enforced it would escalate " + std::to_string(r.would_escalate) + " more; e.g. " + joined(r.examples);
      out += "\n";
    }
  }
  if (b.rules.empty()) return out + "no rule would fire differently\n";
  out += "rules that would fire differently (submissions fired on: then -> now):\n";
  for (const auto& r : b.rules) {
    char line[512];
    std::snprintf(line, sizeof line, "  %-44s %5d -> %-5d (%s)", r.rule_id.c_str(), r.fired_before, r.fired_after,
                  signed_change(r.fired_before, r.fired_after).c_str());
    out += line;
    if (r.newly_escalated > 0) out += ", escalates " + std::to_string(r.newly_escalated) + " more";
    if (r.newly_approved > 0) out += ", " + std::to_string(r.newly_approved) + " no longer escalated";
    if (!r.examples.empty()) out += "; e.g. " + joined(r.examples);
    out += "\n";
  }
  return out;
}

}  // namespace desk::handlers
