// Shadow-mode hits: kept with their submission apart from the hits that escalate, read back for
// backtests, summed per submission for the report (fire drills left out), and erased on request.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "store_fixtures.hpp"

namespace desk::storage {
namespace shadow_hits_test {

using namespace testing;

core::TriggerHit shadow_hit(const std::string& term, std::size_t begin) {
  core::TriggerHit h = hit(core::TriggerKind::lexicon, "lexicon/superlatives/" + term, "superlatives", "",
                           "\"" + term + "\" matches the superlatives term");
  h.field = "output";
  h.begin = begin;
  h.end = begin + term.size();
  h.matched = term;
  return h;
}

NewSubmission with_shadow(NewSubmission s, core::TimePoint received, std::vector<core::TriggerHit> shadow) {
  s.submission.submitted_at = received;
  s.shadow_hits = std::move(shadow);
  return s;
}

TEST(ShadowHits, AreKeptApartFromTheHitsThatEscalate) {
  auto store = SqliteStore::open(":memory:");
  const auto ids = store->add_submission(with_shadow(escalated_submission(), kT0, {shadow_hit("number one", 3)}));
  const auto stored = store->submission(ids.submission_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->hits.size(), sample_hits().size()) << "the escalating hits are unchanged";
  ASSERT_EQ(stored->shadow_hits.size(), 1u);
  EXPECT_EQ(stored->shadow_hits[0].rule_id, "lexicon/superlatives/number one");
  EXPECT_EQ(stored->shadow_hits[0].matched, "number one");
  EXPECT_EQ(stored->shadow_hits[0].begin, 3u);
  EXPECT_EQ(stored->shadow_hits[0].field, "output");
  const auto e = store->escalation(ids.escalation_id, Hits::load);
  ASSERT_TRUE(e);
  for (const auto& h : e->hits) EXPECT_NE(h.category, "superlatives") << "an escalation shows no shadow hit";
  EXPECT_EQ(store->metric_totals().hits.count("lexicon/superlatives/number one"), 0u);
}

TEST(ShadowHits, AreSummedPerSubmissionSinceATimeWithoutDrills) {
  auto store = SqliteStore::open(":memory:");
  store->add_submission(with_shadow(approved_submission(), kT0 - 2h, {shadow_hit("best", 0)}));  // too early
  const auto let_through = store->add_submission(with_shadow(
      approved_submission(), kT0, {shadow_hit("best", 0), shadow_hit("best", 9), shadow_hit("number one", 20)}));
  store->add_submission(with_shadow(escalated_submission(), kT0 + 1h, {shadow_hit("number one", 3)}));
  store->add_submission(approved_submission());  // no shadow hit
  NewSubmission drill = with_shadow(escalated_submission(), kT0 + 2h, {shadow_hit("best", 0)});
  drill.escalation->drill = true;
  drill.drill = Drill{0, "pricing_claim", "community_replies", "cli:test", kT0 + 2h, "", {}, {}};
  store->add_submission(drill);

  const auto facts = store->shadow_facts_since(kT0 - 1h);
  ASSERT_EQ(facts.size(), 2u) << "the early one and the drill's are left out";
  EXPECT_EQ(facts[0].received_at, kT0);
  EXPECT_FALSE(facts[0].escalated);
  EXPECT_EQ(facts[0].rule_ids,
            (std::vector<std::string>{"lexicon/superlatives/best", "lexicon/superlatives/number one"}))
      << "each rule once per submission";
  EXPECT_EQ(facts[1].received_at, kT0 + 1h);
  EXPECT_TRUE(facts[1].escalated);
  EXPECT_EQ(store->submission(let_through.submission_id)->shadow_hits.size(), 3u);
}

TEST(ShadowHits, AreErasedWithTheSubmission) {
  auto store = SqliteStore::open(":memory:");
  const auto ids = store->add_submission(with_shadow(approved_submission(), kT0, {shadow_hit("number one", 3)}));
  const Erasure e = store->erase_submission(ids.submission_id, "cli:dpo", "ticket DPO-9", kT0 + 1h, {});
  EXPECT_EQ(e.hits, 1);
  const auto stored = store->submission(ids.submission_id);
  ASSERT_EQ(stored->shadow_hits.size(), 1u);
  EXPECT_EQ(stored->shadow_hits[0].rule_id, "lexicon/superlatives/number one") << "what was found stays";
  EXPECT_EQ(stored->shadow_hits[0].matched, "");
  EXPECT_FALSE(stored->shadow_hits[0].begin);
  EXPECT_EQ(stored->shadow_hits[0].explanation, "(erased on request)");
}

}  // namespace shadow_hits_test
}  // namespace desk::storage
