#include "core/policy_engine.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/test_policy.hpp"

namespace desk::core {
namespace {

using testing::seed_policy;
using testing::tuesday_noon;

Submission draft(const char* workflow, double confidence, const char* output) {
  Submission s;
  s.workflow = workflow;
  s.channel = "linkedin";
  s.agent = "social-agent-3";
  s.confidence = confidence;
  s.output = output;
  s.submitted_at = tuesday_noon();
  return s;
}

class PolicyEngineTest : public ::testing::Test {
 protected:
  Policy policy_ = seed_policy();
  PolicyEngine engine_{policy_};
};

TEST_F(PolicyEngineTest, ApprovesASafeConfidentDraft) {
  const auto ev = engine_.evaluate(draft("community_replies", 0.95, "Thanks for the kind words!"));
  EXPECT_EQ(ev.verdict, Verdict::approved);
  EXPECT_TRUE(ev.hits.empty());
  EXPECT_TRUE(ev.owner_role.empty());
}

TEST_F(PolicyEngineTest, EscalatesBelowTheWorkflowThresholdAndExplainsIt) {
  const auto ev = engine_.evaluate(draft("community_replies", 0.62, "Thanks for the kind words!"));
  ASSERT_EQ(ev.verdict, Verdict::escalated);
  ASSERT_EQ(ev.hits.size(), 1u);
  EXPECT_EQ(ev.hits[0].kind, TriggerKind::low_confidence);
  EXPECT_EQ(ev.hits[0].rule_id, "confidence/community_replies");
  EXPECT_DOUBLE_EQ(*ev.hits[0].threshold, 0.80);
  EXPECT_DOUBLE_EQ(*ev.hits[0].value, 0.62);
  EXPECT_NE(ev.hits[0].explanation.find("0.62"), std::string::npos);
  EXPECT_NE(ev.hits[0].explanation.find("0.80"), std::string::npos);
  EXPECT_EQ(ev.owner_role, "community_lead");
}

TEST_F(PolicyEngineTest, ThresholdIsStrict) {
  EXPECT_EQ(engine_.evaluate(draft("community_replies", 0.80, "Thanks!")).verdict, Verdict::approved);
  EXPECT_EQ(engine_.evaluate(draft("paid_ads", 0.8999, "Thanks!")).verdict, Verdict::escalated);
  EXPECT_EQ(engine_.evaluate(draft("paid_ads", 0.90, "Thanks!")).verdict, Verdict::approved);
}

TEST_F(PolicyEngineTest, WorkflowWithoutThresholdIgnoresConfidence) {
  EXPECT_EQ(engine_.evaluate(draft("email_nurture", 0.01, "See you at the webinar.")).verdict, Verdict::approved);
}

TEST_F(PolicyEngineTest, LexiconHitRoutesToLegalWithOffsets) {
  const std::string text = "Our PRICE is unbeatable.";
  const auto ev = engine_.evaluate(draft("community_replies", 0.95, text.c_str()));
  ASSERT_EQ(ev.verdict, Verdict::escalated);
  ASSERT_EQ(ev.hits.size(), 1u);
  const auto& h = ev.hits[0];
  EXPECT_EQ(h.kind, TriggerKind::lexicon);
  EXPECT_EQ(h.rule_id, "lexicon/pricing/price");
  EXPECT_EQ(h.category, "pricing");
  EXPECT_EQ(text.substr(*h.begin, *h.end - *h.begin), "PRICE");
  EXPECT_EQ(h.matched, "PRICE");
  EXPECT_EQ(ev.owner_role, "legal_oncall");
}

TEST_F(PolicyEngineTest, LexiconDoesNotHitInsideWords) {
  EXPECT_EQ(engine_.evaluate(draft("community_replies", 0.95, "A priceless moment for the team.")).verdict,
            Verdict::approved);
}

TEST_F(PolicyEngineTest, WorkflowLexiconListLimitsCategories) {
  policy_.workflows.at("paid_ads").lexicon = {"fee_concessions"};
  PolicyEngine engine(policy_);
  EXPECT_EQ(engine.evaluate(draft("paid_ads", 0.95, "Guaranteed results.")).verdict, Verdict::approved);
  const auto ev = engine.evaluate(draft("paid_ads", 0.95, "We will waive the fee."));
  ASSERT_EQ(ev.verdict, Verdict::escalated);
  EXPECT_EQ(ev.owner_role, "sales");
}

TEST_F(PolicyEngineTest, PersonalDataIsMaskedInHitsAndExcerpt) {
  const std::string text = "Write to jane.doe@example.com or call +44 20 7946 0958.";
  const auto ev = engine_.evaluate(draft("community_replies", 0.95, text.c_str()));
  ASSERT_EQ(ev.verdict, Verdict::escalated);
  ASSERT_EQ(ev.hits.size(), 2u);
  for (const auto& h : ev.hits) {
    EXPECT_EQ(h.kind, TriggerKind::personal_data);
    EXPECT_EQ(h.route, "legal_oncall");
    EXPECT_EQ(h.matched.find("jane.doe"), std::string::npos) << h.matched;
    EXPECT_EQ(h.explanation.find("jane.doe"), std::string::npos) << h.explanation;
  }
  EXPECT_EQ(ev.hits[0].rule_id, "personal_data/email");
  EXPECT_EQ(ev.hits[1].rule_id, "personal_data/phone");
  EXPECT_EQ(ev.masked_output.find("jane.doe"), std::string::npos);
  EXPECT_EQ(ev.masked_output.find("7946 0958"), std::string::npos);
  EXPECT_EQ(ev.owner_role, "legal_oncall");
}

TEST_F(PolicyEngineTest, AFloodOfHitsKeepsAFewPerRuleAndCountsThemAll) {
  std::string text;
  for (int i = 0; i < 37000; ++i) text += "a@b.io ";
  text += "Our price is final.";
  const auto ev = engine_.evaluate(draft("community_replies", 0.95, text.c_str()));
  ASSERT_EQ(ev.verdict, Verdict::escalated);
  EXPECT_EQ(ev.hits_total, 37001u);
  std::vector<std::size_t> email_offsets;
  std::size_t prices = 0;
  for (const auto& h : ev.hits) {
    if (h.rule_id == "personal_data/email") email_offsets.push_back(*h.begin);
    prices += h.rule_id == "lexicon/pricing/price";
  }
  ASSERT_EQ(email_offsets.size(), kHitsKeptPerRule);
  EXPECT_EQ(email_offsets.front(), 0u) << "the first hits are the ones kept";
  EXPECT_EQ(email_offsets.back(), (kHitsKeptPerRule - 1) * 7);
  EXPECT_EQ(prices, 1u);
  EXPECT_EQ(ev.owner_role, "legal_oncall");
  EXPECT_EQ(ev.masked_output.find("a@b.io"), std::string::npos) << "every address is masked, kept as a hit or not";
}

TEST_F(PolicyEngineTest, TheEvaluationLimitKeepsEveryRulesFirstHitAndItsRoute) {
  // 60 lexicon rules (sales) with two hits each, then personal data (legal) last: past the limit, the
  // kept hits still show every rule, and routing saw them all.
  policy_.lexicon.push_back({"fillers", "sales", {}, {}});
  std::string text;
  for (int i = 0; i < 60; ++i) {
    policy_.lexicon.back().terms.push_back("filler" + std::to_string(i));
    text += "filler" + std::to_string(i) + " filler" + std::to_string(i) + " ";
  }
  text += "jane@example.com";
  PolicyEngine engine(policy_);
  const auto ev = engine.evaluate(draft("community_replies", 0.95, text.c_str()));
  EXPECT_EQ(ev.hits_total, 121u);
  ASSERT_EQ(ev.hits.size(), kHitsKeptPerEvaluation);
  EXPECT_EQ(ev.hits.back().rule_id, "personal_data/email");
  EXPECT_EQ(ev.owner_role, "legal_oncall");
  for (std::size_t i = 1; i < ev.hits.size(); ++i) EXPECT_LE(*ev.hits[i - 1].begin, *ev.hits[i].begin) << "in order";
}

TEST_F(PolicyEngineTest, AManualEscalationCountsItsOwnHit) {
  const auto ev = engine_.evaluate_manual(draft("community_replies", 0.95, "Call +44 20 7946 0958."), "odd tone");
  EXPECT_EQ(ev.hits_total, 2u);
  ASSERT_EQ(ev.hits.size(), 2u);
  EXPECT_EQ(ev.hits[0].kind, TriggerKind::manual);
}

TEST_F(PolicyEngineTest, PersonalDataInAnyFreeTextFieldRoutesLikeOutputAndIsMasked) {
  // Found in review: only the output was scanned, yet every one of these is posted or stored.
  const std::string raw = "jane.doe@example.com";
  const std::vector<std::pair<std::string, std::function<void(Submission&)>>> cases = {
      {"prompt", [&](Submission& s) { s.prompt = "Reply to " + raw; }},
      {"suggested_fix", [&](Submission& s) { s.suggested_fix = "Ask " + raw + " first"; }},
      {"permalink", [&](Submission& s) { s.permalink = "https://example.com/thread?from=" + raw; }},
      {"citations[1].url",
       [&](Submission& s) {
         s.citations = {{"https://example.com/a", std::nullopt}, {"https://example.com/u/" + raw, std::nullopt}};
       }},
      {"metadata.customer.email", [&](Submission& s) {
         s.metadata_texts = {{"metadata.customer.email", raw}};
       }}};
  for (const auto& [field, put] : cases) {
    Submission s = draft("community_replies", 0.95, "Thanks for the kind words!");
    put(s);
    const auto ev = engine_.evaluate(s);
    ASSERT_EQ(ev.verdict, Verdict::escalated) << field;
    EXPECT_EQ(ev.owner_role, "legal_oncall") << field;
    ASSERT_EQ(ev.hits.size(), 1u) << field;
    const TriggerHit& h = ev.hits[0];
    EXPECT_EQ(h.kind, TriggerKind::personal_data) << field;
    EXPECT_EQ(h.field, field);
    EXPECT_EQ(h.matched, "j***@example.com") << field;
    EXPECT_NE(h.explanation.find(field), std::string::npos) << h.explanation;
    EXPECT_EQ(h.explanation.find(raw), std::string::npos) << h.explanation;
    EXPECT_EQ(ev.masked_output, s.output) << field;
  }
}

TEST_F(PolicyEngineTest, ACleanSubmissionWithEveryFieldFilledIsApproved) {
  Submission s = draft("community_replies", 0.95, "Thanks for the kind words!");
  s.prompt = "Reply to the comment on the launch post";
  s.suggested_fix = "Nothing to fix";
  s.permalink = "https://www.linkedin.com/feed/update/example";
  s.citations = {{"https://example.com/report", std::nullopt}};
  s.metadata_texts = {{"metadata.campaign", "launch-week"}};
  const auto ev = engine_.evaluate(s);
  EXPECT_EQ(ev.verdict, Verdict::approved);
  EXPECT_TRUE(ev.hits.empty());
  EXPECT_EQ(ev.hits_total, 0u);
}

TEST_F(PolicyEngineTest, AStaleCitationsUrlIsShownMasked) {
  Submission s = draft("community_replies", 0.95, "Thanks for the kind words!");
  s.citations = {{"https://example.com/u/jane.doe@example.com", std::chrono::year{2020} / 1 / 1}};
  const auto ev = engine_.evaluate(s);
  bool stale = false;
  for (const auto& h : ev.hits) {
    EXPECT_EQ(h.explanation.find("jane.doe"), std::string::npos) << h.explanation;
    EXPECT_EQ(h.citation_url.find("jane.doe"), std::string::npos) << h.citation_url;
    stale = stale || h.kind == TriggerKind::stale_citation;
  }
  EXPECT_TRUE(stale);
}

TEST_F(PolicyEngineTest, WorkflowCanRoutePersonalDataElsewhere) {
  const auto ev = engine_.evaluate(draft("email_nurture", 0.95, "Your card 4111 1111 1111 1111 is on file."));
  ASSERT_EQ(ev.verdict, Verdict::escalated);
  EXPECT_EQ(ev.hits.at(0).rule_id, "personal_data/payment_card");
  EXPECT_EQ(ev.owner_role, "lifecycle_manager");
}

TEST_F(PolicyEngineTest, PrecedencePutsLegalAheadOfOtherRoutes) {
  const auto ev = engine_.evaluate(draft("email_nurture", 0.95, "Card 4111 1111 1111 1111: we guarantee it."));
  ASSERT_EQ(ev.verdict, Verdict::escalated);
  EXPECT_EQ(ev.owner_role, "legal_oncall");
  const auto sales = engine_.evaluate(draft("community_replies", 0.95, "We can waive the fee."));
  EXPECT_EQ(sales.owner_role, "sales");
}

TEST_F(PolicyEngineTest, StaleCitationMeasuredFromSubmissionTime) {
  auto s = draft("thought_leadership", 0.95, "Adoption doubled.");
  s.citations = {{"https://example.com/new", std::chrono::year{2026} / 1 / 10},
                 {"https://example.com/edge", std::chrono::year{2025} / 12 / 1},
                 {"https://example.com/old", std::chrono::year{2025} / 11 / 30},
                 {"https://example.com/undated", std::nullopt}};
  const auto ev = engine_.evaluate(s);
  ASSERT_EQ(ev.verdict, Verdict::escalated);
  ASSERT_EQ(ev.hits.size(), 1u);
  const auto& h = ev.hits[0];
  EXPECT_EQ(h.kind, TriggerKind::stale_citation);
  EXPECT_EQ(h.citation_url, "https://example.com/old");
  EXPECT_EQ(*h.oldest_allowed, std::chrono::year{2025} / 12 / 1);
  EXPECT_EQ(ev.owner_role, "research_editor");
}

TEST_F(PolicyEngineTest, OldestAllowedClampsToMonthEnd) {
  using namespace std::chrono;
  EXPECT_EQ(oldest_allowed_citation(year{2028} / February / 29, months(12)), year{2027} / February / 28);
  EXPECT_EQ(oldest_allowed_citation(year{2026} / March / 31, months(1)), year{2026} / February / 28);
  EXPECT_EQ(oldest_allowed_citation(year{2026} / March / 15, months(24)), year{2024} / March / 15);
}

TEST_F(PolicyEngineTest, EveryKindOfHitIsReportedInOrder) {
  auto s = draft("community_replies", 0.5, "Guaranteed! Mail bob@example.org.");
  s.citations = {{"https://example.com/old", std::chrono::year{2020} / 1 / 1}};
  const auto ev = engine_.evaluate(s);
  ASSERT_EQ(ev.hits.size(), 4u);
  EXPECT_EQ(ev.hits[0].kind, TriggerKind::low_confidence);
  EXPECT_EQ(ev.hits[1].kind, TriggerKind::lexicon);
  EXPECT_EQ(ev.hits[2].kind, TriggerKind::personal_data);
  EXPECT_EQ(ev.hits[3].kind, TriggerKind::stale_citation);
}

TEST_F(PolicyEngineTest, ManualEscalationAddsAManualHit) {
  const auto ev = engine_.evaluate_manual(draft("paid_ads", 0.99, "Nice day."), "pricing claim looks wrong");
  ASSERT_EQ(ev.verdict, Verdict::escalated);
  ASSERT_EQ(ev.hits.size(), 1u);
  EXPECT_EQ(ev.hits[0].kind, TriggerKind::manual);
  EXPECT_NE(ev.hits[0].explanation.find("pricing claim looks wrong"), std::string::npos);
  EXPECT_EQ(ev.owner_role, "duty_lead");
}

TEST_F(PolicyEngineTest, AShadowCategoryRecordsItsHitsWithoutEscalating) {
  policy_.lexicon.push_back({"superlatives", "legal_oncall", {"best in class", "number one"}, {}, true});
  PolicyEngine engine(policy_);
  const auto ev = engine.evaluate(draft("community_replies", 0.95, "We are number one, best in class!"));
  EXPECT_EQ(ev.verdict, Verdict::approved);
  EXPECT_TRUE(ev.hits.empty());
  EXPECT_EQ(ev.hits_total, 0u);
  EXPECT_TRUE(ev.owner_role.empty());
  ASSERT_EQ(ev.shadow_hits.size(), 2u);
  EXPECT_EQ(ev.shadow_hits[0].rule_id, "lexicon/superlatives/number one");
  EXPECT_EQ(ev.shadow_hits[1].rule_id, "lexicon/superlatives/best in class");
  EXPECT_EQ(ev.shadow_hits[0].field, "output");
  EXPECT_EQ(ev.shadow_hits[0].matched, "number one");
}

TEST_F(PolicyEngineTest, AShadowHitNeitherRoutesNorHidesAnEnforcedOne) {
  // The shadow category routes to legal; the enforced hit alone decides the owner.
  policy_.lexicon.push_back({"superlatives", "legal_oncall", {"number one"}, {}, true});
  PolicyEngine engine(policy_);
  const auto ev = engine.evaluate(draft("community_replies", 0.5, "We are number one."));
  ASSERT_EQ(ev.verdict, Verdict::escalated);
  ASSERT_EQ(ev.hits.size(), 1u);
  EXPECT_EQ(ev.hits[0].kind, TriggerKind::low_confidence);
  EXPECT_EQ(ev.owner_role, "community_lead");
  ASSERT_EQ(ev.shadow_hits.size(), 1u);
  EXPECT_EQ(ev.shadow_hits[0].rule_id, "lexicon/superlatives/number one");
}

TEST_F(PolicyEngineTest, ShadowHitsAreBoundedLikeOthers) {
  policy_.lexicon.push_back({"superlatives", "", {"best"}, {}, true});
  PolicyEngine engine(policy_);
  std::string flood;
  for (int i = 0; i < 500; ++i) flood += "best ";
  const auto ev = engine.evaluate(draft("community_replies", 0.95, flood.c_str()));
  EXPECT_EQ(ev.verdict, Verdict::approved);
  EXPECT_EQ(ev.shadow_hits.size(), kHitsKeptPerRule);
}

TEST_F(PolicyEngineTest, UnknownWorkflowIsAnError) {
  EXPECT_THROW(engine_.evaluate(draft("no_such_flow", 0.9, "x")), UnknownWorkflow);
}

TEST_F(PolicyEngineTest, BadPatternIsRefusedAtConstruction) {
  policy_.lexicon.push_back({"broken", "", {}, {"(unclosed"}});
  EXPECT_THROW(PolicyEngine{policy_}, LexiconError);
}

}  // namespace
}  // namespace desk::core
