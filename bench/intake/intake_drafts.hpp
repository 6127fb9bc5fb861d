#pragma once
// Drafts for the intake load driver: a deterministic mix that the example policy
// (deploy/desk.example.yaml) escalates or approves as labelled. Header-only, bench use only.
#include <nlohmann/json.hpp>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace desk::bench {

struct Draft {
  std::string body;
  bool should_escalate = false;
};

namespace detail {

// No lexicon term, personal data or digits: nothing here may trigger a rule.
inline const std::vector<std::string> kBenignSentences = {
    "Thanks for the thoughtful question about onboarding.",
    "Our team shares weekly notes on how customers set up their workspace.",
    "The community forum has a long thread with tips from other admins.",
    "We are glad the new dashboard layout made the daily review quicker.",
    "If the export looks odd, the help centre walks through each setting.",
    "Several readers asked how the scheduling view handles time zones.",
    "The release notes describe the change to shared folders in detail.",
    "Happy to hear the workshop was useful for the whole team.",
    "You can switch the report to a weekly summary from the settings page.",
    "We will pass this idea on to the people who design the editor.",
};

// What makes the example policy escalate, one reason per draft (the owner varies with it).
inline const std::vector<std::string> kRiskySentences = {
    "This is the lowest price you will find anywhere this season.",
    "We guarantee the results, or your team gets a full refund.",
    "Write to jane.doe@example.com and she will sort it out today.",
    "Ask about our discount for teams that sign up before the summer.",
    "The product is clinically proven to reduce review time.",
};

inline std::string paragraph(std::mt19937& rng, std::size_t sentences) {
  std::string out;
  for (std::size_t i = 0; i < sentences; ++i) {
    if (!out.empty()) out += ' ';
    out += kBenignSentences[rng() % kBenignSentences.size()];
  }
  return out;
}

}  // namespace detail

/// `count` drafts, about `escalating_share` of them escalating (low confidence, pricing or guarantee
/// terms, an e-mail address, a regulated claim), the rest approved; 0.3 to 2 KB of text each.
inline std::vector<Draft> make_drafts(std::size_t count, double escalating_share, unsigned seed = 42) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution escalate(escalating_share);
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::string recent = core::format_date(std::chrono::year_month_day{today - std::chrono::days{40}});
  const char* const kWorkflows[] = {"community_replies", "email_nurture", "paid_ads", "thought_leadership"};
  std::vector<Draft> drafts;
  drafts.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    Draft d;
    d.should_escalate = escalate(rng);
    std::string workflow = kWorkflows[rng() % 4];
    double confidence = 0.97;
    std::string output = detail::paragraph(rng, 3 + rng() % 20);
    if (d.should_escalate) {
      const std::size_t reason = rng() % (detail::kRiskySentences.size() + 1);
      if (reason == detail::kRiskySentences.size()) {
        confidence = 0.41;  // below the threshold of the two workflows that have one
        workflow = i % 2 ? "paid_ads" : "community_replies";
      } else {
        output += ' ' + detail::kRiskySentences[reason];
      }
    }
    nlohmann::json j = {{"workflow", workflow},
                        {"channel", workflow == "email_nurture" ? "email" : "linkedin"},
                        {"agent", "bench-agent-" + std::to_string(i % 8)},
                        {"confidence", confidence},
                        {"prompt", "Draft a reply for the customer thread"},
                        {"output", output},
                        {"metadata", {{"campaign", "bench"}, {"n", static_cast<int>(i)}}}};
    if (workflow == "thought_leadership")
      j["citations"] = nlohmann::json::array({{{"url", "https://example.com/report"}, {"published_at", recent}}});
    d.body = j.dump();
    drafts.push_back(std::move(d));
  }
  return drafts;
}

}  // namespace desk::bench
