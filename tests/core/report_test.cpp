#include "core/report.hpp"

#include <gtest/gtest.h>

#include "tests/support/test_policy.hpp"

namespace desk::core {
namespace {

using namespace std::chrono_literals;

TimePoint day(int y, unsigned m, unsigned d) {
  return TimePoint{std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}}};
}

/// A real escalation of `agent` opened at `at` by `rule`, responded to and decided after the given times.
EscalationFacts opened(const std::string& id, const std::string& agent, TimePoint at, const std::string& rule,
                       std::optional<Seconds> respond = {}, std::optional<Seconds> decide = {}, bool legal = false) {
  EscalationFacts f;
  Escalation& e = f.escalation;
  e.id = id;
  e.agent = agent;
  e.opened_at = at;
  e.owner_role = legal ? std::string(kLegalRole) : "duty_lead";
  TriggerHit hit;
  hit.kind = TriggerKind::lexicon;
  hit.rule_id = rule;
  e.hits.push_back(hit);
  if (respond) e.triaged_at = at + *respond;
  if (decide) e.decision = Decision{Macro::accept, "alice", at + *decide, "fine"};
  return f;
}

TEST(ReportWeeks, IsoWeeksStartOnMondayAndTakeTheYearOfTheirThursday) {
  EXPECT_EQ(iso_week_start(day(2026, 12, 3) + 15h), day(2026, 11, 30));
  EXPECT_EQ(iso_week_name(iso_week_start(day(2026, 12, 3))), "2026-W49");
  EXPECT_EQ(iso_week_start(day(2026, 11, 30)), day(2026, 11, 30)) << "Monday starts its own week";
  EXPECT_EQ(iso_week_start(day(2026, 12, 6) + 23h + 59min), day(2026, 11, 30)) << "Sunday ends it";
  EXPECT_EQ(iso_week_name(iso_week_start(day(2021, 1, 3))), "2020-W53");
  EXPECT_EQ(iso_week_name(iso_week_start(day(2024, 12, 30))), "2025-W01");
  EXPECT_EQ(iso_week_name(iso_week_start(day(2026, 1, 1))), "2026-W01");
}

TEST(ReportFigures, TimesSharesAndBreachesPerWeekWithDrillsApart) {
  const TimePoint now = day(2026, 12, 3) + 12h;  // Thursday of 2026-W49
  std::vector<EscalationFacts> facts = {
      opened("ESC-1", "a1", day(2026, 11, 30) + 9h, "lexicon/pricing/price", 2min, 10min),
      opened("ESC-2", "a2", day(2026, 11, 30) + 10h, "confidence/paid_ads", 4min, 20min, true),
      opened("ESC-3", "a3", day(2026, 12, 1) + 9h, "confidence/paid_ads", 12min, 40min),
      opened("ESC-4", "a4", day(2026, 12, 2) + 9h, "confidence/paid_ads"),               // still open
      opened("ESC-5", "a5", day(2026, 11, 24) + 9h, "confidence/paid_ads", 6min, 6min),  // last week
  };
  facts[2].triage_breaches = 1;
  facts[2].decision_breaches = 1;
  EscalationFacts drill = opened("ESC-6", "a6", day(2026, 12, 1) + 8h, "lexicon/pricing/price", 1min, 1min);
  drill.escalation.drill = true;
  facts.push_back(drill);

  const WeeklyReport r =
      weekly_report(facts, {"confidence/paid_ads", "lexicon/pricing/price", "lexicon/guarantees/guarantee"}, now, 2);
  ASSERT_EQ(r.weeks.size(), 2u);
  EXPECT_EQ(r.weeks[0].week, "2026-W48");
  const WeekFigures& w = r.weeks[1];
  EXPECT_EQ(w.week, "2026-W49");
  EXPECT_EQ(w.starts, day(2026, 11, 30));
  EXPECT_EQ(w.opened, 4) << "the drill is not one of them";
  EXPECT_EQ(w.decided, 3);
  EXPECT_EQ(w.drills, 0) << "drills come from the drills themselves (add_drills)";
  EXPECT_EQ(w.respond.count, 3u);
  EXPECT_EQ(w.respond.mean, Seconds{6min});
  EXPECT_EQ(w.respond.p50, Seconds{4min});
  EXPECT_EQ(w.respond.p90, Seconds{12min});
  EXPECT_EQ(w.decide.mean, Seconds{1400});  // (10 + 20 + 40) min / 3
  EXPECT_EQ(w.decide.p50, Seconds{20min});
  EXPECT_EQ(w.sent_to_legal, 1);
  EXPECT_EQ(w.resolved_without_legal, 2);
  ASSERT_TRUE(w.share_sent_to_legal);
  EXPECT_DOUBLE_EQ(*w.share_sent_to_legal, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*w.share_resolved_without_legal, 2.0 / 3.0);
  EXPECT_EQ(w.triage_breaches, 1);
  EXPECT_EQ(w.decision_breaches, 1);
  EXPECT_EQ(w.escalations_by_rule.at("confidence/paid_ads"), 3);
  EXPECT_EQ(w.escalations_by_rule.at("lexicon/pricing/price"), 1) << "the drill's hit is not counted";
  EXPECT_EQ(r.weeks[0].opened, 1);
  EXPECT_EQ(r.weeks[0].respond.mean, Seconds{6min});
  EXPECT_EQ(r.rules_never_fired, std::vector<std::string>{"lexicon/guarantees/guarantee"});

  const WeeklyReport empty = weekly_report({}, {}, now, 1);
  ASSERT_EQ(empty.weeks.size(), 1u);
  EXPECT_FALSE(empty.weeks[0].respond.mean);
  EXPECT_FALSE(empty.weeks[0].share_sent_to_legal) << "no share of nothing";
}

TEST(ReportFigures, DrillsPerWeekWithTheMeanScoreOfThoseScored) {
  const TimePoint now = day(2026, 12, 3) + 12h;  // Thursday of 2026-W49
  WeeklyReport r = weekly_report({}, {}, now, 2);
  add_drills(r,
             {{day(2026, 11, 20), 100},               // before the weeks: not counted
              {day(2026, 11, 24) + 9h, 40},           // W48
              {day(2026, 11, 30) + 9h, 90},           // W49
              {day(2026, 12, 1) + 9h, 75},            // W49
              {day(2026, 12, 2) + 9h, std::nullopt},  // W49, not decided yet
              {day(2026, 12, 4), 10}},                // after now: not counted
             now);
  EXPECT_EQ(r.weeks[0].drills, 1);
  EXPECT_EQ(r.weeks[0].drill_score_mean, 40.0);
  EXPECT_EQ(r.weeks[1].drills, 3);
  EXPECT_EQ(r.weeks[1].drills_scored, 2);
  EXPECT_EQ(r.weeks[1].drill_score_mean, 82.5);
  EXPECT_EQ(r.last_drill, day(2026, 12, 2) + 9h);
  EXPECT_EQ(r.weeks[1].opened, 0) << "drills are in no other figure";

  WeeklyReport none = weekly_report({}, {}, now, 1);
  add_drills(none, {{day(2026, 12, 1), std::nullopt}}, now);
  EXPECT_EQ(none.weeks[0].drills, 1);
  EXPECT_FALSE(none.weeks[0].drill_score_mean) << "no mean of nothing";
}

TEST(ReportFigures, ARepeatIsTheSameAgentAndRuleWithinThirtyDays) {
  const TimePoint now = day(2026, 12, 3) + 12h;
  const std::vector<EscalationFacts> facts = {
      opened("ESC-1", "agent-a", day(2026, 11, 10), "lexicon/pricing/price"),      // before the report's weeks
      opened("ESC-2", "agent-a", day(2026, 12, 1), "lexicon/pricing/price"),       // repeat of ESC-1 (21 days)
      opened("ESC-3", "agent-b", day(2026, 12, 1), "lexicon/pricing/price"),       // another agent: not a repeat
      opened("ESC-4", "agent-a", day(2026, 12, 2), "confidence/paid_ads"),         // another rule: not a repeat
      opened("ESC-5", "agent-c", day(2026, 10, 1), "confidence/paid_ads"),         // 61 days before ESC-6
      opened("ESC-6", "agent-c", day(2026, 12, 1), "confidence/paid_ads"),         // not a repeat
      opened("ESC-7", "agent-a", day(2026, 12, 2) + 1h, "lexicon/pricing/price"),  // repeat of ESC-2
  };
  const WeeklyReport r = weekly_report(facts, {}, now, 1);
  EXPECT_EQ(r.weeks[0].opened, 5);
  EXPECT_EQ(r.weeks[0].repeat_incidents, 2);
  EXPECT_LE(report_facts_since(now, 1), day(2026, 11, 10)) << "the facts reach far enough back for ESC-1";
}

TEST(ReportRules, EveryRuleThePolicyCanFireIsListed) {
  const auto ids = policy_rule_ids(testing::seed_policy());
  for (const char* id :
       {"confidence/paid_ads", "confidence/community_replies", "stale_citation/email_nurture",
        "lexicon/pricing/lowest price", "lexicon/fee_concessions/waive the fee", "personal_data/email"})
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  EXPECT_EQ(std::find(ids.begin(), ids.end(), "confidence/email_nurture"), ids.end()) << "it has no threshold";
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST(ReportFigures, ShadowRulesPerWeekAndPerRuleWithWhatEnforcingThemWouldEscalate) {
  const TimePoint now = day(2026, 12, 3) + 12h;  // Thursday of 2026-W49
  WeeklyReport r = weekly_report({}, {}, now, 2);
  const std::string best = "lexicon/superlatives/best", one = "lexicon/superlatives/number one";
  add_shadow_hits(r,
                  {{day(2026, 11, 20), false, {best}},           // before the weeks: not counted
                   {day(2026, 11, 24) + 9h, false, {best}},      // W48, let through
                   {day(2026, 11, 30) + 9h, true, {best}},       // W49, escalated anyway
                   {day(2026, 12, 1) + 9h, false, {best, one}},  // W49, let through, two rules
                   {day(2026, 12, 4), false, {one}}},            // after now: not counted
                  {best, one, "lexicon/superlatives/unrivalled"}, now);
  EXPECT_EQ(r.weeks[0].shadow_drafts, 1);
  EXPECT_EQ(r.weeks[0].shadow_would_escalate, 1);
  EXPECT_EQ(r.weeks[1].shadow_drafts, 2);
  EXPECT_EQ(r.weeks[1].shadow_would_escalate, 1);
  ASSERT_EQ(r.shadow_rules.size(), 3u);
  EXPECT_EQ(r.shadow_rules[best].drafts, 3);
  EXPECT_EQ(r.shadow_rules[best].would_escalate, 2);
  EXPECT_EQ(r.shadow_rules[one].drafts, 1);
  EXPECT_EQ(r.shadow_rules[one].would_escalate, 1);
  EXPECT_EQ(r.shadow_rules["lexicon/superlatives/unrivalled"].drafts, 0) << "listed though it never fired";
  EXPECT_EQ(r.weeks[1].opened, 0) << "shadow hits are in no other figure";
}

TEST(ReportRules, ShadowRulesAreListedApartFromTheRulesThatCanFire) {
  auto policy = testing::seed_policy();
  policy.lexicon.push_back({"superlatives", "", {"number one"}, {"best\\w*"}, true});
  const auto ids = policy_rule_ids(policy);
  EXPECT_EQ(std::find(ids.begin(), ids.end(), "lexicon/superlatives/number one"), ids.end());
  EXPECT_EQ(shadow_rule_ids(policy),
            (std::vector<std::string>{"lexicon/superlatives/best\\w*", "lexicon/superlatives/number one"}));
  EXPECT_TRUE(shadow_rule_ids(testing::seed_policy()).empty());
}

}  // namespace
}  // namespace desk::core
