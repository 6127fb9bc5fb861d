#include "handlers/policy_set.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace {

core::Submission draft(const std::string& output) {
  core::Submission s = testing::clean_reply(testing::tuesday_noon());
  s.output = output;
  return s;
}

std::vector<std::string> rule_ids(const core::Evaluation& ev) {
  std::vector<std::string> ids;
  for (const auto& hit : ev.hits) ids.push_back(hit.rule_id);
  return ids;
}

const std::string kRisky = "Our lowest price ever, write to jane.doe@example.com for the discount.";

TEST(PolicySet, AnEngineCompiledInTheBackgroundDecidesAsOneCompiledAtOnce) {
  const PolicySet now(testing::seed_policy());
  const auto background = PolicySet::compiling_in_background(testing::seed_policy());
  EXPECT_EQ(background->rota().roles().size(), now.rota().roles().size());  // ready before the engine
  const auto expected = now.engine().evaluate(draft(kRisky));
  const auto got = background->engine().evaluate(draft(kRisky));
  ASSERT_EQ(got.verdict, core::Verdict::escalated);
  EXPECT_EQ(got.verdict, expected.verdict);
  EXPECT_EQ(rule_ids(got), rule_ids(expected));
  EXPECT_EQ(got.owner_role, expected.owner_role);
}

TEST(PolicySet, ADraftEvaluatedWhileTheEngineCompilesWaitsForIt) {
  // Through an EngineSource, as the intake handler holds it, asked at once.
  const auto set = PolicySet::compiling_in_background(testing::seed_policy());
  const EngineSource source(*set);
  EXPECT_EQ(source.get().evaluate(draft(kRisky)).verdict, core::Verdict::escalated);
  EXPECT_EQ(source.get().evaluate(draft("Thanks for the kind words!")).verdict, core::Verdict::approved);
}

TEST(PolicySet, ASetDestroyedWhileItsEngineCompilesWaitsForTheCompiler) {
  // The compiler reads the set's policy: destroying the set first would free it under the compiler
  // (the sanitizer stage runs this).
  for (int i = 0; i < 8; ++i) PolicySet::compiling_in_background(testing::seed_policy()).reset();
  SUCCEED();
}

TEST(PolicySet, UsesTheLexiconItIsGivenInsteadOfCompilingItAgain) {
  // A lexicon compiled from other terms than the policy's shows which one the engine uses.
  core::Policy policy = testing::seed_policy();
  std::vector<core::LexiconCategory> other = policy.lexicon;
  ASSERT_FALSE(other.empty());
  other.front().terms = {"zebra"};
  other.front().patterns.clear();
  const std::string zebra_rule = "lexicon/" + other.front().id + "/zebra";
  const auto compiled = std::make_shared<const core::LexiconMatcher>(other);

  const PolicySet given(policy, compiled);
  EXPECT_EQ(rule_ids(given.engine().evaluate(draft("A zebra crossing."))), std::vector<std::string>{zebra_rule});
  const auto background = PolicySet::compiling_in_background(policy, compiled);
  EXPECT_EQ(rule_ids(background->engine().evaluate(draft("A zebra crossing."))), std::vector<std::string>{zebra_rule});
  const PolicySet compiled_here(policy);
  EXPECT_TRUE(compiled_here.engine().evaluate(draft("A zebra crossing.")).hits.empty());
}

}  // namespace
}  // namespace desk::handlers
