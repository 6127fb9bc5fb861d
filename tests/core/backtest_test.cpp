#include "core/backtest.hpp"

#include <gtest/gtest.h>

namespace desk::core {
namespace {

BacktestCase replayed(std::string id, Verdict before, std::set<std::string> rules_before, Verdict after,
                      std::set<std::string> rules_after) {
  BacktestCase c;
  c.submission_id = std::move(id);
  c.before = before;
  c.after = after;
  c.rules_before = std::move(rules_before);
  c.rules_after = std::move(rules_after);
  return c;
}

TEST(Backtest, CountsVerdictsThatChangeAndTheRulesBehindThem) {
  const auto E = Verdict::escalated, A = Verdict::approved;
  const Backtest b = backtest(
      {
          replayed("SUB-1", E, {"lexicon/pricing/price"}, E, {"lexicon/pricing/price"}),  // unchanged
          replayed("SUB-2", A, {}, E, {"lexicon/guarantees/unbeatable"}),                 // newly escalated
          replayed("SUB-3", E, {"lexicon/pricing/free trial"}, A, {}),                    // newly approved
          replayed("SUB-4", E, {"lexicon/pricing/free trial", "confidence/x"}, E,
                   {"confidence/x"}),  // still, for another
          replayed("SUB-5", A, {}, A, {}),
      },
      2);
  EXPECT_EQ(b.replayed, 5);
  EXPECT_EQ(b.unknown_workflow, 2);
  EXPECT_EQ(b.escalated_before, 3);
  EXPECT_EQ(b.escalated_after, 3);
  EXPECT_EQ(b.newly_escalated, 1);
  EXPECT_EQ(b.newly_escalated_examples, std::vector<std::string>{"SUB-2"});
  EXPECT_EQ(b.newly_approved, 1);
  EXPECT_EQ(b.newly_approved_examples, std::vector<std::string>{"SUB-3"});
  // Largest change first; rules that fire as before are left out.
  ASSERT_EQ(b.rules.size(), 2u);
  EXPECT_EQ(b.rules[0].rule_id, "lexicon/pricing/free trial");
  EXPECT_EQ(b.rules[0].fired_before, 2);
  EXPECT_EQ(b.rules[0].fired_after, 0);
  EXPECT_EQ(b.rules[0].newly_approved, 1);  // SUB-4 stays escalated for its confidence
  EXPECT_EQ(b.rules[0].examples, (std::vector<std::string>{"SUB-3", "SUB-4"}));
  EXPECT_EQ(b.rules[1].rule_id, "lexicon/guarantees/unbeatable");
  EXPECT_EQ(b.rules[1].fired_after, 1);
  EXPECT_EQ(b.rules[1].newly_escalated, 1);
}

TEST(Backtest, ExamplesAreBoundedAndARuleMovingBetweenDraftsIsListed) {
  std::vector<BacktestCase> cases;
  for (int i = 0; i < 10; ++i)
    cases.push_back(replayed("SUB-" + std::to_string(i), Verdict::approved, {}, Verdict::escalated, {"r/new"}));
  // Same count, different drafts: still a change worth seeing.
  cases.push_back(replayed("SUB-a", Verdict::escalated, {"r/moved"}, Verdict::escalated, {"r/other"}));
  cases.push_back(replayed("SUB-b", Verdict::escalated, {"r/other"}, Verdict::escalated, {"r/moved"}));
  const Backtest b = backtest(cases);
  EXPECT_EQ(b.newly_escalated, 10);
  EXPECT_EQ(b.newly_escalated_examples.size(), kBacktestExamples);
  ASSERT_EQ(b.rules.size(), 3u);
  EXPECT_EQ(b.rules[0].rule_id, "r/new");
  EXPECT_EQ(b.rules[0].examples.size(), kBacktestExamples);
  EXPECT_EQ(b.rules[1].fired_before, b.rules[1].fired_after);
  EXPECT_EQ(backtest({}).replayed, 0);
  EXPECT_TRUE(backtest({}).rules.empty());
}

TEST(Backtest, ShadowRulesShowWhatEnforcingThemWouldEscalate) {
  const auto E = Verdict::escalated, A = Verdict::approved;
  auto with_shadow = [](BacktestCase c, std::set<std::string> before, std::set<std::string> after) {
    c.shadow_before = std::move(before);
    c.shadow_after = std::move(after);
    return c;
  };
  const std::string best = "lexicon/superlatives/best";
  const Backtest b = backtest({
      with_shadow(replayed("SUB-1", A, {}, A, {}), {best}, {best}),  // let through: enforced, it would escalate
      with_shadow(replayed("SUB-2", E, {"confidence/x"}, E, {"confidence/x"}), {}, {best}),  // escalated anyway
      with_shadow(replayed("SUB-3", A, {}, A, {}), {}, {best}),
      with_shadow(replayed("SUB-4", A, {}, A, {}), {"lexicon/old/gone"}, {}),
  });
  EXPECT_EQ(b.newly_escalated, 0) << "a shadow rule escalates nothing";
  EXPECT_TRUE(b.rules.empty());
  ASSERT_EQ(b.shadow.size(), 2u);
  EXPECT_EQ(b.shadow[0].rule_id, best);
  EXPECT_EQ(b.shadow[0].fired_before, 1);
  EXPECT_EQ(b.shadow[0].fired_after, 3);
  EXPECT_EQ(b.shadow[0].would_escalate, 2);
  EXPECT_EQ(b.shadow[0].examples, (std::vector<std::string>{"SUB-1", "SUB-3"}));
  EXPECT_EQ(b.shadow[1].rule_id, "lexicon/old/gone");
  EXPECT_EQ(b.shadow[1].fired_after, 0);
}

}  // namespace
}  // namespace desk::core
