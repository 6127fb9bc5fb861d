#include "handlers/weekly_report.hpp"

#include <cmath>
#include <cstdio>

namespace desk::handlers {
namespace {

using json = nlohmann::json;

json seconds_or_null(const std::optional<core::Seconds>& s) { return s ? json(s->count()) : json(nullptr); }

json share_or_null(const std::optional<double>& share) {
  return share ? json(std::round(*share * 10000.0) / 10000.0) : json(nullptr);
}

json durations_json(const core::DurationFigures& d) {
  return {{"count", d.count},
          {"mean_s", seconds_or_null(d.mean)},
          {"p50_s", seconds_or_null(d.p50)},
          {"p90_s", seconds_or_null(d.p90)}};
}

std::string cell(const std::optional<core::Seconds>& s) { return s ? std::to_string(s->count()) : ""; }

std::string cell(const std::optional<double>& share) {
  if (!share) return "";
  char out[16];
  std::snprintf(out, sizeof out, "%.4f", *share);
  return out;
}

/// "2 @85": drills started and the mean score of those scored; "1" when none is scored yet.
std::string drills_cell(const core::WeekFigures& w) {
  if (!w.drill_score_mean) return std::to_string(w.drills);
  char out[32];
  std::snprintf(out, sizeof out, "%d @%.0f", w.drills, *w.drill_score_mean);
  return out;
}

}  // namespace

std::string minutes(const std::optional<core::Seconds>& s) {
  if (!s) return "-";
  char out[24];
  std::snprintf(out, sizeof out, "%.1f min", static_cast<double>(s->count()) / 60.0);
  return out;
}

std::string percent(const std::optional<double>& share) {
  if (!share) return "-";
  char out[16];
  std::snprintf(out, sizeof out, "%.0f%%", *share * 100.0);
  return out;
}

core::WeeklyReport read_weekly_report(storage::Store& store, const core::Policy& policy, core::TimePoint now,
                                      int weeks) {
  std::vector<core::EscalationFacts> facts;
  const core::TimePoint since = core::report_facts_since(now, weeks);
  // Breaches of every generation: re-owning gives fresh deadlines, and the audit trail keeps the old.
  const auto breaches = store.breach_counts(since);
  for (auto& e : store.escalations_opened_since(since)) {
    core::EscalationFacts f;
    if (const auto b = breaches.find(e.id); b != breaches.end()) {
      f.triage_breaches = b->second.triage;
      f.decision_breaches = b->second.decision;
    }
    f.escalation = std::move(e);
    facts.push_back(std::move(f));
  }
  auto report = core::weekly_report(facts, core::policy_rule_ids(policy), now, weeks);
  std::vector<core::DrillFacts> drills;
  const core::TimePoint first = report.weeks.empty() ? now : report.weeks.front().starts;
  for (const auto& d : store.drills(first))
    drills.push_back({d.started_at, d.score ? std::optional<int>(d.score->points) : std::nullopt});
  core::add_drills(report, drills, now);
  core::add_shadow_hits(report, store.shadow_facts_since(first), core::shadow_rule_ids(policy), now);
  return report;
}

nlohmann::json report_json(const core::WeeklyReport& report) {
  json weeks = json::array();
  for (const auto& w : report.weeks) {
    weeks.push_back({{"week", w.week},
                     {"starts", core::format_utc(w.starts)},
                     {"opened", w.opened},
                     {"decided", w.decided},
                     {"time_to_respond", durations_json(w.respond)},
                     {"time_to_decide", durations_json(w.decide)},
                     {"sent_to_legal", w.sent_to_legal},
                     {"resolved_without_legal", w.resolved_without_legal},
                     {"share_sent_to_legal", share_or_null(w.share_sent_to_legal)},
                     {"share_resolved_without_legal", share_or_null(w.share_resolved_without_legal)},
                     {"triage_breaches", w.triage_breaches},
                     {"decision_breaches", w.decision_breaches},
                     {"repeat_incidents", w.repeat_incidents},
                     {"escalations_by_rule", w.escalations_by_rule},
                     {"drills", w.drills},
                     {"drills_scored", w.drills_scored},
                     {"drill_score_mean", share_or_null(w.drill_score_mean)},
                     {"shadow_drafts", w.shadow_drafts},
                     {"shadow_would_escalate", w.shadow_would_escalate}});
  }
  json shadow = json::object();
  for (const auto& [rule, f] : report.shadow_rules)
    shadow[rule] = {{"drafts", f.drafts}, {"would_escalate", f.would_escalate}};
  return {{"weeks", std::move(weeks)},
          {"escalations_by_rule", report.escalations_by_rule},
          {"rules_never_fired", report.rules_never_fired},
          {"last_drill", report.last_drill ? json(core::format_utc(*report.last_drill)) : json(nullptr)},
          {"shadow_rules", std::move(shadow)}};
}

std::string report_csv(const core::WeeklyReport& report) {
  std::string out =
      "week,starts,opened,decided,respond_mean_s,respond_p50_s,respond_p90_s,decide_mean_s,decide_p50_s,"
      "decide_p90_s,sent_to_legal,resolved_without_legal,share_sent_to_legal,share_resolved_without_legal,"
      "triage_breaches,decision_breaches,repeat_incidents,drills,drills_scored,drill_score_mean,shadow_drafts,"
      "shadow_would_escalate\r\n";
  for (const auto& w : report.weeks) {
    // Every field is a number, an ISO date or a week name: nothing to quote.
    const std::string fields[] = {w.week,
                                  core::format_utc(w.starts),
                                  std::to_string(w.opened),
                                  std::to_string(w.decided),
                                  cell(w.respond.mean),
                                  cell(w.respond.p50),
                                  cell(w.respond.p90),
                                  cell(w.decide.mean),
                                  cell(w.decide.p50),
                                  cell(w.decide.p90),
                                  std::to_string(w.sent_to_legal),
                                  std::to_string(w.resolved_without_legal),
                                  cell(w.share_sent_to_legal),
                                  cell(w.share_resolved_without_legal),
                                  std::to_string(w.triage_breaches),
                                  std::to_string(w.decision_breaches),
                                  std::to_string(w.repeat_incidents),
                                  std::to_string(w.drills),
                                  std::to_string(w.drills_scored),
                                  cell(w.drill_score_mean),
                                  std::to_string(w.shadow_drafts),
                                  std::to_string(w.shadow_would_escalate)};
    for (std::size_t i = 0; i < std::size(fields); ++i) out += (i ? "," : "") + fields[i];
    out += "\r\n";
  }
  return out;
}

std::string report_text(const core::WeeklyReport& report) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-9s %6s %7s  %-21s  %-21s  %5s %7s  %9s  %6s  %6s  %9s\n", "week", "opened",
                "decided", "respond mean/p50/p90", "decide mean/p50/p90", "legal", "no legal", "breaches", "repeat",
                "drills", "shadow");
  out += line;
  for (const auto& w : report.weeks) {
    const std::string respond = minutes(w.respond.mean) + " " + minutes(w.respond.p50) + " " + minutes(w.respond.p90);
    const std::string decide = minutes(w.decide.mean) + " " + minutes(w.decide.p50) + " " + minutes(w.decide.p90);
    std::snprintf(line, sizeof line, "%-9s %6d %7d  %-21s  %-21s  %5s %7s  %4d/%-4d  %6d  %6s  %4d/%-4d\n",
                  w.week.c_str(), w.opened, w.decided, respond.c_str(), decide.c_str(),
                  percent(w.share_sent_to_legal).c_str(), percent(w.share_resolved_without_legal).c_str(),
                  w.triage_breaches, w.decision_breaches, w.repeat_incidents, drills_cell(w).c_str(), w.shadow_drafts,
                  w.shadow_would_escalate);
    out += line;
  }
  out +=
      "\nBreaches are triage/decision. Times run from opening to the first response by someone with rights,\n"
      "and to the decision. Fire drills are counted apart and in no other figure: started, and the mean\n"
      "score out of 100 of those scored (\"2 @85\"). Shadow: drafts that lexicon categories in shadow mode\n"
      "fired on / of those, the ones let through (enforced, they would have escalated).\n";
  out += "\nEscalations by rule:\n";
  if (report.escalations_by_rule.empty()) out += "  (none)\n";
  for (const auto& [rule, n] : report.escalations_by_rule) out += "  " + std::to_string(n) + "  " + rule + "\n";
  out += "\nRules that never fired:\n";
  if (report.rules_never_fired.empty()) out += "  (none)\n";
  for (const auto& rule : report.rules_never_fired) out += "  " + rule + "\n";
  if (!report.shadow_rules.empty()) {
    out += "\nShadow rules (recorded, never escalating): drafts fired on, and let through:\n";
    for (const auto& [rule, f] : report.shadow_rules)
      out += "  " + std::to_string(f.drafts) + "  " + rule + (f.drafts == 0 ? "  (never fired)" : "") +
             (f.would_escalate > 0 ? "  (" + std::to_string(f.would_escalate) + " would have escalated)" : "") + "\n";
  }
  out += "\nLast fire drill: " +
         (report.last_drill ? core::format_utc(*report.last_drill) : std::string("none in these weeks")) + "\n";
  return out;
}

}  // namespace desk::handlers
