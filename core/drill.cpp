#include "core/drill.hpp"

#include <algorithm>

#include "core/text_scan.hpp"

namespace desk::core {
namespace {

constexpr int kTriagePoints = 25;
constexpr int kDecisionPoints = 25;
constexpr int kOwnerPoints = 20;
constexpr int kLegalPoints = 15;
constexpr int kRationalePoints = 15;

std::size_t word_count(std::string_view text) {
  std::size_t words = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

DrillCheck triage_check(const Escalation& e, const SlaPolicy& sla) {
  const auto responded = e.time_to_respond();
  const std::string target = " (target " + format_duration(sla.triage) + ")";
  if (!responded) return {"triage", 0, kTriagePoints, "Nobody responded before the decision" + target + "."};
  const bool on_time = *responded <= sla.triage;
  return {"triage", on_time ? kTriagePoints : 0, kTriagePoints,
          "First response after " + format_duration(*responded) + target + (on_time ? "." : ": late.")};
}

DrillCheck decision_check(const Escalation& e) {
  const Deadline* due = e.deadline(DeadlineKind::decision);
  const Seconds took = e.decision->at - e.opened_at;
  if (!due) return {"decision", kDecisionPoints, kDecisionPoints, "Decided after " + format_duration(took) + "."};
  const bool on_time = e.decision->at <= due->due;
  const std::string late = on_time ? "" : ", " + format_duration(e.decision->at - due->due) + " after its deadline";
  return {"decision", on_time ? kDecisionPoints : 0, kDecisionPoints,
          "Decided after " + format_duration(took) + late + "."};
}

DrillCheck owner_check(Capacity decider) {
  switch (decider) {
    case Capacity::owner:
      return {"owner", kOwnerPoints, kOwnerPoints, "The owner decided."};
    case Capacity::legal:
      return {"owner", kOwnerPoints, kOwnerPoints, "Legal on-call decided, with the escalation in their hands."};
    case Capacity::backup:
      return {"owner", 10, kOwnerPoints, "The backup decided: the owner did not."};
    case Capacity::director:
      break;
  }
  return {"owner", 5, kOwnerPoints, "The marketing director had to step in: neither the owner nor the backup decided."};
}

DrillCheck legal_check(const Escalation& e, const DrillScript& script) {
  if (e.with_legal()) return {"legal", kLegalPoints, kLegalPoints, "Legal was brought in."};
  if (!script.legal_required) return {"legal", kLegalPoints, kLegalPoints, "Legal was not needed for this scenario."};
  return {"legal", 0, kLegalPoints, "Legal was never brought in: a real " + script.title + " needs their word."};
}

DrillCheck rationale_check(const Escalation& e) {
  const std::string& text = e.decision->rationale;
  if (code_points(text) >= kDrillRationaleChars && word_count(text) >= kDrillRationaleWords)
    return {"rationale", kRationalePoints, kRationalePoints, "The rationale says why."};
  return {"rationale", 0, kRationalePoints,
          "The rationale is too thin to learn from (fewer than " + std::to_string(kDrillRationaleWords) + " words or " +
              std::to_string(kDrillRationaleChars) + " characters)."};
}

}  // namespace

const char* to_string(DrillScenario scenario) {
  switch (scenario) {
    case DrillScenario::pricing_claim:
      return "pricing_claim";
    case DrillScenario::data_leak:
      return "data_leak";
    case DrillScenario::tos_breach:
      return "tos_breach";
  }
  return "pricing_claim";
}

std::optional<DrillScenario> drill_scenario_from(std::string_view name) {
  for (const DrillScenario s : kDrillScenarios)
    if (name == to_string(s)) return s;
  return std::nullopt;
}

std::string drill_scenario_names() {
  std::string out;
  for (const DrillScenario s : kDrillScenarios) out += (out.empty() ? "" : ", ") + std::string(to_string(s));
  return out;
}

DrillScript drill_script(DrillScenario scenario) {
  DrillScript s;
  s.scenario = scenario;
  Submission& d = s.draft;
  d.agent = kDrillAgent;
  d.metadata_json = std::string(R"({"fire_drill":")") + to_string(scenario) + "\"}";
  switch (scenario) {
    case DrillScenario::pricing_claim:
      // An agent that invents a price, a comparison and a guarantee in a public post.
      s.title = "rogue pricing claim";
      s.visibility = "public";
      d.channel = "linkedin";
      d.confidence = 0.93;
      d.prompt = "Write a short LinkedIn post announcing that the Pro plan is back.";
      d.output =
          "Pro is back, and it is now just $9 a month: the lowest price of any analytics suite, guaranteed. "
          "Switch before Friday for 50% off your first year, completely risk-free.";
      d.suggested_fix = "Drop the price comparison and the guarantee; link to the pricing page for the current offer.";
      d.permalink = "https://drafts.example.com/fire-drill/pricing-claim";
      break;
    case DrillScenario::data_leak:
      // A nurture e-mail that copies customers' bank and contact details into the body.
      s.title = "personal data leak";
      s.visibility = "semi_private";
      d.channel = "email";
      d.confidence = 0.95;
      d.prompt = "Draft a follow-up e-mail to customers whose refunds are still pending.";
      d.output =
          "Hi Maria, your refund of EUR 240 is on its way to IBAN GB82 WEST 1234 5698 7654 32. If anything looks "
          "wrong, call Tom Becker directly on +44 20 7946 0958 or write to tom.becker@example.com. We have copied "
          "Sam Ortiz (sam.ortiz@example.org), whose refund went out yesterday.";
      d.suggested_fix = "Remove the account number, the colleague's direct line and the other customer's address.";
      d.permalink = "https://drafts.example.com/fire-drill/data-leak";
      break;
    case DrillScenario::tos_breach:
      // A public reply that buys reviews: against every app store's and platform's terms.
      s.title = "platform terms breach";
      s.visibility = "public";
      s.legal_required = false;
      d.channel = "community";
      d.confidence = 0.9;
      d.prompt = "Reply to a happy customer's comment and encourage more reviews.";
      d.output =
          "So glad you love it! Leave us a 5-star review on the App Store today and we will waive the fee on your "
          "next order: just reply here with a screenshot of your review. Tag three friends to double it!";
      d.suggested_fix = "Thank the customer without offering anything in exchange for a review.";
      d.permalink = "https://drafts.example.com/fire-drill/tos-breach";
      break;
  }
  d.metadata_texts = {{"metadata.fire_drill", to_string(scenario)}};
  return s;
}

std::string drill_workflow(const Policy& policy, const DrillScript& script, std::string_view requested) {
  if (!requested.empty()) return policy.workflows.contains(std::string(requested)) ? std::string(requested) : "";
  for (const auto& [id, wf] : policy.workflows)
    if (wf.visibility == script.visibility) return id;
  return policy.workflows.empty() ? std::string() : policy.workflows.begin()->first;
}

DrillScore score_drill(const Escalation& e, const DrillScript& script, const SlaPolicy& sla, Capacity decider) {
  DrillScore score;
  if (!e.decision) return score;
  score.checks = {triage_check(e, sla), decision_check(e), owner_check(decider), legal_check(e, script),
                  rationale_check(e)};
  for (const auto& c : score.checks) score.points += c.points;
  return score;
}

DrillScore missed_drill_score(const DrillScript& script, const std::string& workflow) {
  return {0,
          {{"policy", 0, 100,
            "The policy let the draft through in " + workflow + ": a real " + script.title +
                " would have gone out with nobody asked. Add a rule that catches it (backtest it first)."}}};
}

}  // namespace desk::core
