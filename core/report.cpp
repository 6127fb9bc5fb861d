#include "core/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <set>

namespace desk::core {
namespace {

using Days = std::chrono::days;
constexpr Days kRepeatWindow{30};

DurationFigures figures(std::vector<Seconds> values) {
  DurationFigures f;
  f.count = values.size();
  if (values.empty()) return f;
  std::sort(values.begin(), values.end());
  const auto total = std::accumulate(values.begin(), values.end(), Seconds{0});
  f.mean = Seconds{static_cast<Seconds::rep>(std::llround(static_cast<double>(total.count()) / values.size()))};
  // Nearest rank: the smallest value with at least q of all values at or below it.
  const auto rank = [&](double q) {
    const auto n = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::max<std::size_t>(n, 1) - 1];
  };
  f.p50 = rank(0.5);
  f.p90 = rank(0.9);
  return f;
}

std::set<std::string> rules_of(const Escalation& e) {
  std::set<std::string> rules;
  for (const auto& h : e.hits)
    if (h.kind != TriggerKind::manual && !h.rule_id.empty()) rules.insert(h.rule_id);
  return rules;
}

bool shares_a_rule(const std::set<std::string>& a, const std::set<std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&](const std::string& r) { return b.contains(r); });
}

}  // namespace

std::vector<std::string> policy_rule_ids(const Policy& policy) {
  std::set<std::string> ids;
  for (const auto& [id, wf] : policy.workflows) {
    if (wf.confidence_threshold) ids.insert("confidence/" + id);
    ids.insert("stale_citation/" + id);
  }
  for (const auto& category : policy.lexicon) {
    if (category.shadow) continue;
    for (const auto& term : category.terms) ids.insert("lexicon/" + category.id + "/" + term);
    for (const auto& pattern : category.patterns) ids.insert("lexicon/" + category.id + "/" + pattern);
  }
  for (PersonalDataKind kind : policy.personal_data.detectors)
    ids.insert(std::string("personal_data/") + to_string(kind));
  return {ids.begin(), ids.end()};
}

std::vector<std::string> shadow_rule_ids(const Policy& policy) {
  std::set<std::string> ids;
  for (const auto& category : policy.lexicon) {
    if (!category.shadow) continue;
    for (const auto& term : category.terms) ids.insert("lexicon/" + category.id + "/" + term);
    for (const auto& pattern : category.patterns) ids.insert("lexicon/" + category.id + "/" + pattern);
  }
  return {ids.begin(), ids.end()};
}

TimePoint iso_week_start(TimePoint t) {
  const auto day = std::chrono::floor<Days>(t);
  const std::chrono::weekday wd{day};
  // iso_encoding: Monday 1 … Sunday 7.
  return TimePoint{day - Days{wd.iso_encoding() - 1}};
}

std::string iso_week_name(TimePoint monday) {
  // The ISO year is the year of the week's Thursday; week 1 holds the year's first Thursday.
  const auto thursday = std::chrono::floor<Days>(monday) + Days{3};
  const std::chrono::year_month_day ymd{thursday};
  const auto jan1 = std::chrono::sys_days{ymd.year() / std::chrono::January / 1};
  const int week = static_cast<int>((thursday - jan1).count() / 7) + 1;
  char out[32];
  std::snprintf(out, sizeof out, "%04d-W%02d", static_cast<int>(ymd.year()), week);
  return out;
}

TimePoint report_facts_since(TimePoint now, int weeks) {
  return iso_week_start(now) - Days{7 * (std::max(weeks, 1) - 1)} - kRepeatWindow;
}

WeeklyReport weekly_report(const std::vector<EscalationFacts>& facts, const std::vector<std::string>& rule_ids,
                           TimePoint now, int weeks) {
  weeks = std::max(weeks, 1);
  WeeklyReport report;
  const TimePoint first = iso_week_start(now) - Days{7 * (weeks - 1)};
  std::vector<std::vector<Seconds>> respond(weeks), decide(weeks);
  for (int w = 0; w < weeks; ++w) {
    WeekFigures f;
    f.starts = first + Days{7 * w};
    f.week = iso_week_name(f.starts);
    report.weeks.push_back(std::move(f));
  }

  // Each agent's real escalations in opening order with their rules, for repeat incidents.
  struct Opened {
    TimePoint at;
    std::string id;
    std::set<std::string> rules;
  };
  std::map<std::string, std::vector<Opened>> by_agent;
  for (const auto& fact : facts)
    if (!fact.escalation.drill)
      by_agent[fact.escalation.agent].push_back(
          {fact.escalation.opened_at, fact.escalation.id, rules_of(fact.escalation)});
  const auto before = [](const Opened& a, const Opened& b) { return a.at != b.at ? a.at < b.at : a.id < b.id; };
  for (auto& [agent, list] : by_agent) std::sort(list.begin(), list.end(), before);

  for (const auto& fact : facts) {
    const Escalation& e = fact.escalation;
    if (e.opened_at < first || e.opened_at > now) continue;
    const auto index =
        static_cast<std::size_t>((std::chrono::floor<Days>(e.opened_at) - std::chrono::floor<Days>(first)).count() / 7);
    if (index >= report.weeks.size()) continue;
    WeekFigures& week = report.weeks[index];
    if (e.drill) continue;  // counted by add_drills, from the drills themselves
    ++week.opened;
    if (const auto responded = e.time_to_respond()) respond[index].push_back(*responded);
    if (e.decision) {
      ++week.decided;
      decide[index].push_back(std::max(Seconds{0}, e.decision->at - e.opened_at));
      if (e.with_legal())
        ++week.sent_to_legal;
      else
        ++week.resolved_without_legal;
    }
    week.triage_breaches += fact.triage_breaches;
    week.decision_breaches += fact.decision_breaches;
    const auto rules = rules_of(e);
    for (const auto& rule : rules) {
      ++week.escalations_by_rule[rule];
      ++report.escalations_by_rule[rule];
    }
    // Any of the agent's escalations from the 30 days before this one that shared a rule with it.
    const auto& list = by_agent[e.agent];
    const Opened self{e.opened_at, e.id, {}};
    const auto end = std::lower_bound(list.begin(), list.end(), self, before);
    const auto begin = std::lower_bound(list.begin(), end, Opened{e.opened_at - kRepeatWindow, "", {}}, before);
    if (std::any_of(begin, end, [&](const Opened& earlier) { return shares_a_rule(rules, earlier.rules); }))
      ++week.repeat_incidents;
  }

  for (std::size_t w = 0; w < report.weeks.size(); ++w) {
    WeekFigures& week = report.weeks[w];
    week.respond = figures(std::move(respond[w]));
    week.decide = figures(std::move(decide[w]));
    if (week.decided > 0) {
      week.share_sent_to_legal = static_cast<double>(week.sent_to_legal) / week.decided;
      week.share_resolved_without_legal = static_cast<double>(week.resolved_without_legal) / week.decided;
    }
  }
  for (const auto& rule : rule_ids)
    if (!report.escalations_by_rule.contains(rule)) report.rules_never_fired.push_back(rule);
  return report;
}

namespace {

/// The week of the report that `t` falls in, or null when `t` is before its first week or after `now`.
WeekFigures* week_of(WeeklyReport& report, TimePoint t, TimePoint now) {
  if (report.weeks.empty()) return nullptr;
  const TimePoint first = report.weeks.front().starts;
  if (t < first || t > now) return nullptr;
  const auto index =
      static_cast<std::size_t>((std::chrono::floor<Days>(t) - std::chrono::floor<Days>(first)).count() / 7);
  return index < report.weeks.size() ? &report.weeks[index] : nullptr;
}

}  // namespace

void add_drills(WeeklyReport& report, const std::vector<DrillFacts>& drills, TimePoint now) {
  std::map<const WeekFigures*, int> points_sum;
  for (const auto& d : drills) {
    WeekFigures* week = week_of(report, d.started_at, now);
    if (!week) continue;
    ++week->drills;
    if (!report.last_drill || d.started_at > *report.last_drill) report.last_drill = d.started_at;
    if (!d.points) continue;
    ++week->drills_scored;
    points_sum[week] += *d.points;
  }
  for (auto& week : report.weeks)
    if (week.drills_scored > 0) week.drill_score_mean = static_cast<double>(points_sum[&week]) / week.drills_scored;
}

void add_shadow_hits(WeeklyReport& report, const std::vector<ShadowFacts>& shadow,
                     const std::vector<std::string>& shadow_rule_ids, TimePoint now) {
  for (const auto& id : shadow_rule_ids) report.shadow_rules[id];
  for (const auto& draft : shadow) {
    WeekFigures* week = week_of(report, draft.received_at, now);
    if (!week || draft.rule_ids.empty()) continue;
    ++week->shadow_drafts;
    if (!draft.escalated) ++week->shadow_would_escalate;
    for (const auto& id : std::set<std::string>(draft.rule_ids.begin(), draft.rule_ids.end())) {
      ShadowRuleFigures& rule = report.shadow_rules[id];
      ++rule.drafts;
      if (!draft.escalated) ++rule.would_escalate;
    }
  }
}

}  // namespace desk::core
