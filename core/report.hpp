#pragma once
/// The weekly figures the playbook judges the desk by, computed from escalations as the store keeps
/// them: per ISO week (Monday 00:00 UTC), how many opened, how fast someone with rights responded and
/// how fast it was decided (mean, p50, p90), the share sent to legal and resolved without it, breaches,
/// repeat incidents, and which rules fired. Fire drills are counted apart and never in the real figures.
/// Pure: the caller reads the store and says what time it is.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/escalation.hpp"
#include "core/policy.hpp"

namespace desk::core {

/// An escalation with what its audit trail adds: the breaches of every generation (its deadlines
/// hold only the current one's).
struct EscalationFacts {
  Escalation escalation;
  int triage_breaches = 0;
  int decision_breaches = 0;
};

/// How long something took, over `count` escalations; empty figures when count is 0.
struct DurationFigures {
  std::size_t count = 0;
  std::optional<Seconds> mean, p50, p90;
};

struct WeekFigures {
  std::string week;                ///< "2026-W49"
  TimePoint starts{};              ///< Monday 00:00 UTC
  int opened = 0;                  ///< real escalations opened this week (the rest count them)
  int decided = 0;                 ///< of those, decided by now
  DurationFigures respond;         ///< opened → first response by someone with rights (triage, or the decision)
  DurationFigures decide;          ///< opened → decision
  int sent_to_legal = 0;           ///< decided ones that were with legal when decided
  int resolved_without_legal = 0;  ///< decided ones that never reached legal
  std::optional<double> share_sent_to_legal;           ///< of decided; empty when none was decided
  std::optional<double> share_resolved_without_legal;  ///< of decided
  int triage_breaches = 0;
  int decision_breaches = 0;
  /// Escalations of an agent that another of its escalations, opened up to 30 days before, shared a
  /// rule with (manual escalations aside): the same mistake again.
  int repeat_incidents = 0;
  std::map<std::string, int> escalations_by_rule;  ///< rule id → escalations it fired on
  int drills = 0;                                  ///< fire drills started this week (let through ones too)
  int drills_scored = 0;                           ///< of those, scored by now
  std::optional<double> drill_score_mean;          ///< of the scored ones, out of 100
  int shadow_drafts = 0;                           ///< drafts a shadow rule (lexicon `mode: shadow`) fired on this week
  int shadow_would_escalate = 0;  ///< of those, the ones the policy let through: enforced, they would have escalated
};

/// A draft that shadow rules fired on: when it arrived, whether it escalated anyway, and the rules.
struct ShadowFacts {
  TimePoint received_at{};
  bool escalated = false;
  std::vector<std::string> rule_ids;
};

/// What one shadow rule did over the report's weeks.
struct ShadowRuleFigures {
  int drafts = 0;          ///< drafts it fired on
  int would_escalate = 0;  ///< of those, let through by the enforced rules: enforcing it would escalate them
};

/// A fire drill as the report counts it: when it started, and its score once it has one.
struct DrillFacts {
  TimePoint started_at{};
  std::optional<int> points;  ///< 0–100; empty until its escalation is decided
};

struct WeeklyReport {
  std::vector<WeekFigures> weeks;                  ///< oldest first; the last is the current week
  std::map<std::string, int> escalations_by_rule;  ///< over all the weeks
  std::vector<std::string> rules_never_fired;      ///< rules of the policy with no hit in the weeks
  std::optional<TimePoint> last_drill;             ///< the latest drill started in the weeks
  /// Every shadow rule of the policy (none fired: zeros), and any that fired under an earlier policy.
  std::map<std::string, ShadowRuleFigures> shadow_rules;
};

/// Every rule id the policy can fire ("confidence/<workflow>", "lexicon/<category>/<term>",
/// "personal_data/<kind>", "stale_citation/<workflow>"), sorted; shadow categories' rules are not
/// among them (they cannot escalate).
std::vector<std::string> policy_rule_ids(const Policy& policy);
/// The rule ids of the lexicon categories in `mode: shadow`, sorted.
std::vector<std::string> shadow_rule_ids(const Policy& policy);

/// The Monday 00:00 UTC that starts the ISO week of `t`.
TimePoint iso_week_start(TimePoint t);
/// "2026-W49" for the ISO week starting on `monday`.
std::string iso_week_name(TimePoint monday);

/// How far back the facts must reach for `weeks` weeks up to `now`: 30 days before the first week, for
/// repeat incidents.
TimePoint report_facts_since(TimePoint now, int weeks);

/// The report over the `weeks` ISO weeks ending with the one `now` is in. `facts` should hold every
/// escalation opened since report_facts_since(now, weeks); earlier ones are ignored. Drill escalations
/// count in no figure: drills come from add_drills.
WeeklyReport weekly_report(const std::vector<EscalationFacts>& facts, const std::vector<std::string>& rule_ids,
                           TimePoint now, int weeks);

/// Adds the drills started in the report's weeks (up to `now`) and their scores, apart from every
/// other figure.
void add_drills(WeeklyReport& report, const std::vector<DrillFacts>& drills, TimePoint now);

/// Adds what shadow rules fired on in the report's weeks (up to `now`): per week and per rule, with
/// every rule of `shadow_rule_ids` listed even when it never fired. Drills' drafts must not be in
/// `shadow`.
void add_shadow_hits(WeeklyReport& report, const std::vector<ShadowFacts>& shadow,
                     const std::vector<std::string>& shadow_rule_ids, TimePoint now);

}  // namespace desk::core
