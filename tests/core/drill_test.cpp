// Fire drills in the domain: scenario names, which workflow a drill runs in, that each scenario's draft
// trips the seed policy's triggers, and how a decided drill is scored.
#include <gtest/gtest.h>

#include <numeric>

#include "core/drill.hpp"
#include "core/policy_engine.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::core::drill_test {

using namespace std::chrono_literals;

const TimePoint kOpened = TimePoint{Seconds{1'780'000'000}};

/// A drill escalation opened at kOpened under the seed SLA (triage 5 min, decision 30 min).
Escalation drill_escalation(const std::string& owner_role = kLegalRole) {
  Escalation e;
  e.id = "ESC-000007";
  e.drill = true;
  e.owner_role = owner_role;
  e.opened_at = kOpened;
  e.owned_since = kOpened;
  e.deadlines = {{DeadlineKind::backup_ping, kOpened + 3min, {}},
                 {DeadlineKind::triage, kOpened + 5min, {}},
                 {DeadlineKind::decision, kOpened + 30min, {}}};
  return e;
}

Escalation decided(Escalation e, Seconds triaged_after, Seconds decided_after, std::string rationale) {
  e.triaged_at = e.opened_at + triaged_after;
  e.state = EscalationState::rejected;
  e.decision = Decision{Macro::reject, "hana", e.opened_at + decided_after, std::move(rationale)};
  return e;
}

int points_of(const DrillScore& s, const std::string& name) {
  for (const auto& c : s.checks)
    if (c.name == name) return c.points;
  ADD_FAILURE() << "no check " << name;
  return -1;
}

constexpr const char* kGoodRationale = "Invented price and a guarantee we cannot honour: rejected, ask for a rewrite.";

TEST(DrillScenarios, NamesRoundTripAndUnknownOnesAreRefused) {
  for (const DrillScenario s : kDrillScenarios) EXPECT_EQ(drill_scenario_from(to_string(s)), s);
  EXPECT_FALSE(drill_scenario_from("rogue_pricing_claim"));
  EXPECT_FALSE(drill_scenario_from(""));
  EXPECT_FALSE(drill_scenario_from("Pricing_Claim"));
  EXPECT_EQ(drill_scenario_names(), "pricing_claim, data_leak, tos_breach");
}

TEST(DrillScenarios, EachDraftTripsTheSeedPolicyAndRoutesWhereItShould) {
  const Policy policy = testing::seed_policy();
  const PolicyEngine engine(policy);
  struct Case {
    DrillScenario scenario;
    const char* workflow;
    const char* owner;
    const char* kind;  // a hit of this kind must be among the reasons
  };
  for (const Case c : {Case{DrillScenario::pricing_claim, "community_replies", kLegalRole, "lexicon"},
                       Case{DrillScenario::data_leak, "email_nurture", "lifecycle_manager", "personal_data"},
                       Case{DrillScenario::tos_breach, "community_replies", "sales", "lexicon"}}) {
    const DrillScript script = drill_script(c.scenario);
    ASSERT_EQ(drill_workflow(policy, script, ""), c.workflow) << to_string(c.scenario);
    Submission draft = script.draft;
    draft.workflow = c.workflow;
    const Evaluation ev = engine.evaluate(draft);
    EXPECT_EQ(ev.verdict, Verdict::escalated) << to_string(c.scenario);
    EXPECT_EQ(ev.owner_role, c.owner) << to_string(c.scenario);
    EXPECT_TRUE(std::any_of(ev.hits.begin(), ev.hits.end(), [&](const TriggerHit& h) {
      return std::string(to_string(h.kind)) == c.kind;
    })) << to_string(c.scenario);
    EXPECT_EQ(draft.agent, kDrillAgent);
  }
  // The data leak carries an IBAN, a phone number and two e-mail addresses, all found.
  Submission leak = drill_script(DrillScenario::data_leak).draft;
  leak.workflow = "email_nurture";
  std::set<std::string> kinds;
  for (const auto& h : engine.evaluate(leak).hits)
    if (h.kind == TriggerKind::personal_data) kinds.insert(h.category);
  EXPECT_EQ(kinds, (std::set<std::string>{"email", "iban", "phone"}));
}

TEST(DrillScenarios, TheWorkflowIsTheRequestedOneTheScenariosKindOrTheFirst) {
  Policy policy = testing::seed_policy();
  const DrillScript leak = drill_script(DrillScenario::data_leak);
  EXPECT_EQ(drill_workflow(policy, leak, "paid_ads"), "paid_ads");
  EXPECT_EQ(drill_workflow(policy, leak, "no_such_workflow"), "");
  EXPECT_EQ(drill_workflow(policy, leak, ""), "email_nurture");
  policy.workflows.erase("email_nurture");  // no semi-private workflow left: the first of all
  EXPECT_EQ(drill_workflow(policy, leak, ""), "community_replies");
  policy.workflows.clear();
  EXPECT_EQ(drill_workflow(policy, leak, ""), "");
}

TEST(DrillScore, AFastCompleteResponseScoresEveryPoint) {
  const SlaPolicy sla;
  const auto s = score_drill(decided(drill_escalation(), 2min, 12min, kGoodRationale),
                             drill_script(DrillScenario::pricing_claim), sla, Capacity::legal);
  EXPECT_EQ(s.points, 100);
  ASSERT_EQ(s.checks.size(), 5u);
  EXPECT_EQ(std::accumulate(s.checks.begin(), s.checks.end(), 0, [](int n, const DrillCheck& c) { return n + c.max; }),
            100);
  EXPECT_EQ(s.checks[0].reason, "First response after 2 min (target 5 min).");
}

TEST(DrillScore, EachShortfallCostsItsPartAndSaysWhy) {
  const SlaPolicy sla;
  const DrillScript pricing = drill_script(DrillScenario::pricing_claim);
  // Late triage and a decision past its deadline.
  auto s = score_drill(decided(drill_escalation(), 7min, 41min, kGoodRationale), pricing, sla, Capacity::legal);
  EXPECT_EQ(points_of(s, "triage"), 0);
  EXPECT_EQ(points_of(s, "decision"), 0);
  EXPECT_EQ(s.points, 50);
  EXPECT_NE(s.checks[1].reason.find("11 min after its deadline"), std::string::npos) << s.checks[1].reason;
  // Nobody triaged: the decision was the first response.
  Escalation untriaged = decided(drill_escalation(), 0s, 4min, kGoodRationale);
  untriaged.triaged_at.reset();
  EXPECT_EQ(points_of(score_drill(untriaged, pricing, sla, Capacity::legal), "triage"), 25);
  // Who decided.
  EXPECT_EQ(
      points_of(score_drill(decided(drill_escalation(), 1min, 5min, kGoodRationale), pricing, sla, Capacity::backup),
                "owner"),
      10);
  EXPECT_EQ(
      points_of(score_drill(decided(drill_escalation(), 1min, 5min, kGoodRationale), pricing, sla, Capacity::director),
                "owner"),
      5);
  // Legal never brought in, where the scenario needs it; not needed for a terms breach.
  const auto without_legal = decided(drill_escalation("community_lead"), 1min, 5min, kGoodRationale);
  s = score_drill(without_legal, pricing, sla, Capacity::owner);
  EXPECT_EQ(points_of(s, "legal"), 0);
  EXPECT_NE(s.checks[3].reason.find("rogue pricing claim"), std::string::npos) << s.checks[3].reason;
  EXPECT_EQ(
      points_of(score_drill(without_legal, drill_script(DrillScenario::tos_breach), sla, Capacity::owner), "legal"),
      15);
  // A rationale with too few words, however long, and one with too few characters.
  EXPECT_EQ(
      points_of(score_drill(decided(drill_escalation(), 1min, 5min, "Nopenopenopenopenopenopenopenopenopenopenope"),
                            pricing, sla, Capacity::legal),
                "rationale"),
      0);
  EXPECT_EQ(points_of(score_drill(decided(drill_escalation(), 1min, 5min, "no no no no no no"), pricing, sla,
                                  Capacity::legal),
                      "rationale"),
            0);
}

TEST(DrillScore, AnUndecidedEscalationHasNoScoreAndAMissedDrillScoresZero) {
  EXPECT_TRUE(score_drill(drill_escalation(), drill_script(DrillScenario::data_leak), SlaPolicy{}, Capacity::owner)
                  .checks.empty());
  const auto missed = missed_drill_score(drill_script(DrillScenario::data_leak), "paid_ads");
  EXPECT_EQ(missed.points, 0);
  ASSERT_EQ(missed.checks.size(), 1u);
  EXPECT_NE(missed.checks[0].reason.find("personal data leak"), std::string::npos);
  EXPECT_NE(missed.checks[0].reason.find("paid_ads"), std::string::npos);
}

}  // namespace desk::core::drill_test
