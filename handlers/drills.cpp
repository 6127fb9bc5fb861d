#include "handlers/drills.hpp"

#include <cmath>
#include <cstdio>

#include "core/text_scan.hpp"
#include "handlers/http_text.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;

json checks_json(const core::DrillScore& score) {
  json checks = json::array();
  for (const auto& c : score.checks)
    checks.push_back({{"name", c.name}, {"points", c.points}, {"max", c.max}, {"reason", c.reason}});
  return checks;
}

std::string outcome(const storage::Drill& d) {
  if (d.escalation_id.empty()) return "missed";
  return d.score ? "scored" : "open";
}

std::string workflow_names(const core::Policy& policy) {
  std::string out;
  for (const auto& [id, wf] : policy.workflows) out += (out.empty() ? "" : ", ") + id;
  return out;
}

/// The mean score of the drills that have one, as "72.5"; "-" when none has.
std::string mean_score(const std::vector<storage::Drill>& drills, int* scored = nullptr) {
  int n = 0;
  double sum = 0;
  for (const auto& d : drills)
    if (d.score) {
      ++n;
      sum += d.score->points;
    }
  if (scored) *scored = n;
  if (n == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", sum / n);
  return buf;
}

}  // namespace

std::variant<DrillPlan, DrillProblem> plan_drill(const core::Policy& policy, const DrillRequest& request,
                                                 core::TimePoint now) {
  const auto scenario = core::drill_scenario_from(request.scenario);
  if (!scenario)
    return DrillProblem{"scenario", "Choose one of the drill scenarios: " + core::drill_scenario_names() + "."};
  if (policy.workflows.empty()) return DrillProblem{"workflow", "The policy has no workflows to run a drill in."};
  DrillPlan plan{core::drill_script(*scenario), "", {}};
  plan.workflow = core::drill_workflow(policy, plan.script, request.workflow);
  if (plan.workflow.empty())
    return DrillProblem{"workflow", "There is no workflow '" + request.workflow.substr(0, 100) +
                                        "'. Workflows: " + workflow_names(policy) + "."};
  plan.draft = plan.script.draft;
  plan.draft.workflow = plan.workflow;
  plan.draft.submitted_at = now;
  return plan;
}

storage::Drill drill_record(const DrillPlan& plan, const std::string& actor, core::TimePoint now) {
  return {0, core::to_string(plan.script.scenario), plan.workflow, actor, now, "", std::nullopt, std::nullopt};
}

core::AuditEvent drill_started_event(const storage::Drill& record) {
  return {"drill.started",
          "",
          record.started_by,
          record.started_at,
          {{"scenario", record.scenario}, {"workflow", record.workflow}, {"by", record.started_by}}};
}

storage::Drill missed_drill(const DrillPlan& plan, const std::string& actor, core::TimePoint now) {
  storage::Drill d = drill_record(plan, actor, now);
  d.scored_at = now;
  d.score = core::missed_drill_score(plan.script, plan.workflow);
  return d;
}

core::AuditEvent drill_missed_event(const storage::Drill& record) {
  core::AuditEvent e = drill_started_event(record);
  e.kind = "drill.missed";
  e.fields.emplace_back("score", "0");
  return e;
}

std::optional<DrillScoringStep> drill_scoring(storage::Store& store, const core::Escalation& before,
                                              const core::Escalation& decided, const std::string& actor,
                                              const core::LifecycleContext& ctx, const SurfaceNames& surfaces,
                                              core::TimePoint now) {
  if (!decided.drill || !core::is_decided(decided.state) || !decided.decision) return std::nullopt;
  const auto drill = store.drill_of(decided.id);
  if (!drill || drill->score) return std::nullopt;
  const auto scenario = core::drill_scenario_from(drill->scenario);
  if (!scenario) return std::nullopt;
  const auto rights = core::check_rights(before, actor, ctx, now);
  const core::DrillScore score =
      core::score_drill(decided, core::drill_script(*scenario), ctx.policy.sla, rights.capacity);
  DrillScoringStep step;
  step.scoring = {now, score};
  step.audit = {"drill.scored",
                decided.id,
                "desk",
                now,
                {{"scenario", drill->scenario}, {"score", std::to_string(score.points)}, {"decided_by", actor}}};
  step.outbox = effect_rows(Effect::thread_reply, surfaces, decided.id,
                            {{"reply", "drill_score"},
                             {"scenario", drill->scenario},
                             {"score", score.points},
                             {"checks", checks_json(score)}},
                            now);
  return step;
}

core::DrillScore drill_score_from_payload(const nlohmann::json& payload) {
  if (!payload.is_object() || !payload.contains("score") || !payload["score"].is_number_integer() ||
      !payload.contains("checks") || !payload["checks"].is_array())
    throw std::invalid_argument("a drill_score reply needs an integer 'score' and an array 'checks'");
  core::DrillScore score{payload["score"].get<int>(), {}};
  for (const auto& c : payload["checks"]) {
    if (!c.is_object()) throw std::invalid_argument("each of a drill_score reply's 'checks' is an object");
    auto text = [&](const char* key) { return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : ""; };
    auto number = [&](const char* key) {
      return c.contains(key) && c[key].is_number_integer() ? c[key].get<int>() : 0;
    };
    score.checks.push_back({text("name"), number("points"), number("max"), text("reason")});
  }
  return score;
}

nlohmann::json drill_json(const storage::Drill& d) {
  auto time_or_null = [](const std::optional<core::TimePoint>& t) {
    return t ? json(core::format_utc(*t)) : json(nullptr);
  };
  return {{"id", d.id},
          {"scenario", d.scenario},
          {"workflow", d.workflow},
          {"started_by", d.started_by},
          {"started_at", core::format_utc(d.started_at)},
          {"escalation_id", d.escalation_id.empty() ? json(nullptr) : json(d.escalation_id)},
          {"outcome", outcome(d)},
          {"scored_at", time_or_null(d.scored_at)},
          {"score", d.score ? json(d.score->points) : json(nullptr)},
          {"checks", d.score ? checks_json(*d.score) : json::array()}};
}

nlohmann::json drills_report_json(const std::vector<storage::Drill>& drills, core::TimePoint since) {
  json list = json::array();
  for (const auto& d : drills) list.push_back(drill_json(d));
  int scored = 0;
  const std::string mean = mean_score(drills, &scored);
  return {{"since", since == core::TimePoint::min() ? json(nullptr) : json(core::format_utc(since))},
          {"drills", std::move(list)},
          {"scored", scored},
          {"mean_score", scored == 0 ? json(nullptr) : json(std::stod(mean))}};
}

std::string drills_report_text(const std::vector<storage::Drill>& drills, core::TimePoint since) {
  std::string out = "Fire drills";
  if (since != core::TimePoint::min()) out += " since " + core::format_utc(since);
  out += ": " + std::to_string(drills.size());
  int scored = 0;
  const std::string mean = mean_score(drills, &scored);
  if (scored > 0) out += ", mean score " + mean + " of 100 over " + std::to_string(scored) + " scored";
  out += "\n";
  for (const auto& d : drills) {
    out += "\n" + std::to_string(d.id) + "  " + core::format_utc(d.started_at) + "  " + d.scenario + " in " +
           d.workflow + ", started by " + d.started_by;
    out += d.escalation_id.empty() ? "" : " (" + d.escalation_id + ")";
    out += "\n    ";
    if (!d.score) {
      out += "not decided yet: it is scored when decided\n";
      continue;
    }
    out += (d.escalation_id.empty() ? "missed: " : "score: ") + std::to_string(d.score->points) + "/100";
    if (d.scored_at) out += " at " + core::format_utc(*d.scored_at);
    out += "\n";
    for (const auto& c : d.score->checks)
      out += "      " + c.name + " " + std::to_string(c.points) + "/" + std::to_string(c.max) + ": " + c.reason + "\n";
  }
  if (drills.empty())
    out += "\nNone yet: `escalation-desk drill start SCENARIO` runs one (" + core::drill_scenario_names() +
           "). The playbook asks for one a quarter at least.\n";
  return out;
}

std::string drills_report_csv(const std::vector<storage::Drill>& drills) {
  std::string out =
      "drill_id,scenario,workflow,started_by,started_at,escalation_id,outcome,scored_at,score,check,points,max,"
      "reason\r\n";
  for (const auto& d : drills) {
    const std::string head = std::to_string(d.id) + "," + csv_field(d.scenario) + "," + csv_field(d.workflow) + "," +
                             csv_field(d.started_by) + "," + core::format_utc(d.started_at) + "," +
                             csv_field(d.escalation_id) + "," + outcome(d) + "," +
                             (d.scored_at ? core::format_utc(*d.scored_at) : std::string()) + "," +
                             (d.score ? std::to_string(d.score->points) : std::string()) + ",";
    if (!d.score || d.score->checks.empty()) {
      out += head + ",,,\r\n";
      continue;
    }
    for (const auto& c : d.score->checks)
      out += head + csv_field(c.name) + "," + std::to_string(c.points) + "," + std::to_string(c.max) + "," +
             csv_field(c.reason) + "\r\n";
  }
  return out;
}

}  // namespace desk::handlers
