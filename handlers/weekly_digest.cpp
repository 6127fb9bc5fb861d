#include "handlers/weekly_digest.hpp"

#include <algorithm>
#include <cstdio>

#include "core/text_scan.hpp"
#include "handlers/run_chart_png.hpp"
#include "handlers/weekly_report.hpp"

namespace desk::handlers {
namespace {

using namespace std::chrono_literals;

/// Weeks the digest's "never fired" list looks back over.
constexpr int kDigestWeeks = 8;
constexpr std::size_t kTopRules = 5;
constexpr std::size_t kAutomateItems = 5;
constexpr std::size_t kAutomateChars = 200;

std::string durations(const char* what, const core::DurationFigures& d) {
  if (d.count == 0) return std::string(what) + ": none";
  return std::string(what) + ": mean " + minutes(d.mean) + ", p50 " + minutes(d.p50) + ", p90 " + minutes(d.p90);
}

std::string short_text(const std::string& text) {
  if (core::code_points(text) <= kAutomateChars) return text;
  return core::cut_to_code_points(text, kAutomateChars) + "…";
}

/// The first day of the calendar quarter `t` is in, 00:00 UTC.
core::TimePoint quarter_start(core::TimePoint t) {
  const std::chrono::year_month_day day{std::chrono::floor<std::chrono::days>(t)};
  const unsigned first_month = (static_cast<unsigned>(day.month()) - 1) / 3 * 3 + 1;
  return std::chrono::sys_days{day.year() / std::chrono::month{first_month} / 1};
}

}  // namespace

std::optional<core::TimePoint> digest_due(const core::Policy& policy, const core::Rota& rota, core::TimePoint now) {
  const core::TimePoint week = core::iso_week_start(now);
  switch (policy.desk.digest) {
    case core::DigestSchedule::off:
      return std::nullopt;
    case core::DigestSchedule::at_time:
      // Days after Monday: iso_encoding counts Monday 1 … Sunday 7.
      return week + std::chrono::days{policy.desk.digest_day.iso_encoding() - 1} + policy.desk.digest_time;
    case core::DigestSchedule::at_handoff:
      break;
  }
  for (const auto& h : rota.schedule(core::kDutyLeadRole, week, 2))
    if (h.since >= week && h.since < week + std::chrono::days{7}) return h.since;
  return week + 9h;
}

ChannelNotice digest_notice(const core::WeeklyReport& report, const std::vector<storage::PostMortem>& automate,
                            std::optional<core::TimePoint> last_drill, core::Seconds triage_target, core::TimePoint now,
                            const std::string& policy_digest) {
  ChannelNotice n;
  n.notice = "digest";
  n.policy_digest = policy_digest;
  if (report.weeks.size() < 2) {
    n.title = "Weekly digest";
    n.lines.push_back("Not enough weeks in the report.");
    return n;
  }
  const core::WeekFigures& w = report.weeks[report.weeks.size() - 2];
  n.title = "Weekly digest, " + w.week;
  n.lines.push_back(std::to_string(w.opened) + " escalations opened, " + std::to_string(w.decided) +
                    " of them decided by now.");
  n.lines.push_back(durations("Time to respond", w.respond) + " (target " + minutes(triage_target) + ").");
  n.lines.push_back(durations("Time to decide", w.decide) + ".");
  n.lines.push_back("Sent to legal: " + percent(w.share_sent_to_legal) + "; resolved without legal: " +
                    percent(w.share_resolved_without_legal) + ". Missed deadlines: triage " +
                    std::to_string(w.triage_breaches) + ", decision " + std::to_string(w.decision_breaches) +
                    ". Repeat incidents: " + std::to_string(w.repeat_incidents) + ".");
  std::vector<std::pair<std::string, int>> top(w.escalations_by_rule.begin(), w.escalations_by_rule.end());
  std::stable_sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string fired;
  for (std::size_t i = 0; i < top.size() && i < kTopRules; ++i)
    fired += (i ? ", " : "") + top[i].first + " (" + std::to_string(top[i].second) + ")";
  n.lines.push_back("Rules that fired most: " + (fired.empty() ? std::string("none") : fired) + ".");
  const auto& never = report.rules_never_fired;
  std::string dead;
  for (std::size_t i = 0; i < never.size() && i < kTopRules; ++i) dead += (i ? ", " : "") + never[i];
  n.lines.push_back("Rules that never fired in " + std::to_string(report.weeks.size()) + " weeks: " +
                    (never.empty()
                         ? std::string("none")
                         : std::to_string(never.size()) + " (" + dead + (never.size() > kTopRules ? ", …" : "") + ")") +
                    ".");
  if (w.shadow_drafts > 0)
    n.lines.push_back("Shadow rules fired on " + std::to_string(w.shadow_drafts) +
                      " drafts; enforced, they would have "
                      "escalated " +
                      std::to_string(w.shadow_would_escalate) + " more.");
  std::size_t listed = 0;
  for (const auto& pm : automate) {
    if (pm.what_to_automate.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    if (listed++ == 0) n.lines.push_back("What to automate next, from last week's post-mortems:");
    if (listed > kAutomateItems) continue;
    n.lines.push_back("• " + pm.escalation_id + ": " + short_text(pm.what_to_automate));
  }
  if (listed > kAutomateItems) n.lines.push_back("…and " + std::to_string(listed - kAutomateItems) + " more.");
  if (last_drill) n.lines.push_back("Last fire drill: " + readable_utc(*last_drill) + ".");
  if (!last_drill || *last_drill < quarter_start(now))
    n.lines.push_back(
        "No fire drill has run this quarter: `/drill pricing_claim` starts one (the playbook asks "
        "for one at least every quarter).");
  // The chart ends with the week told about: the current one has only begun.
  core::WeeklyReport finished = report;
  finished.weeks.pop_back();
  n.image = NoticeImage{run_chart_png(finished, triage_target),
                        "Run chart: weekly mean time to respond over the " + std::to_string(finished.weeks.size()) +
                            " weeks to " + w.week + ", against the " + minutes(triage_target) + " target",
                        "run-chart-" + w.week + ".png"};
  return n;
}

bool post_weekly_digest(storage::Store& store, const PolicySet& policy, const SurfaceNames& surfaces,
                        core::TimePoint now) {
  const auto due = digest_due(policy.policy(), policy.rota(), now);
  if (surfaces.empty() || !due || now < *due) return false;
  const core::TimePoint this_week = core::iso_week_start(now), last_week = this_week - std::chrono::days{7};
  const std::string week = core::iso_week_name(last_week);
  if (store.digest_posted(week)) return false;
  // A desk that recorded nothing before this week has no last week to tell.
  const auto began = store.first_recorded_at();
  if (!began || *began >= this_week) return false;
  const auto report = read_weekly_report(store, policy.policy(), now, kDigestWeeks);
  std::vector<storage::PostMortem> automate;
  for (auto& pm : store.postmortems_filed_since(last_week))
    if (pm.at < this_week) automate.push_back(std::move(pm));
  std::optional<core::TimePoint> last_drill;
  for (const auto& d : store.drills()) last_drill = std::max(last_drill.value_or(d.started_at), d.started_at);
  const ChannelNotice notice =
      digest_notice(report, automate, last_drill, policy.policy().sla.triage, now, policy.digest());
  return store.record_digest(week, now, channel_notice_rows(notice, surfaces, now),
                             {{"digest.posted", "", "desk", now, {{"week", week}}}});
}

}  // namespace desk::handlers
