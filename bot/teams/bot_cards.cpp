#include "bot/teams/bot_cards.hpp"

#include "core/lifecycle.hpp"

namespace desk::bot::teams {

using json = nlohmann::json;

AlertEvidence evidence_of(storage::Store& store, handlers::EvidenceMasker& masker, const handlers::PolicySet* set,
                          const std::string& escalation_id) {
  AlertEvidence evidence;
  if (const auto bundle = store.evidence(escalation_id)) {
    auto masked = masker.mask_evidence(set, *bundle);
    evidence.masked_excerpt = std::move(masked.output);
    evidence.permalink = std::move(masked.permalink);
    evidence.erased = bundle->erased_at.has_value();
  }
  return evidence;
}

json bot_escalation_card(storage::Store& store, handlers::EvidenceMasker& masker, const core::Escalation& e,
                         const handlers::PolicySet* set, core::TimePoint now, DecisionControls controls) {
  const core::Rota* rota = set ? &set->rota() : nullptr;
  if (core::is_decided(e.state)) {
    json card = decision_card(e, rota);
    if (!controls.notice.empty())
      card["body"].push_back({{"type", "TextBlock"}, {"text", controls.notice}, {"wrap", true}, {"color", "Accent"}});
    return card;
  }
  controls.generation = e.generation;
  return opened_card(e, evidence_of(store, masker, set, e.id), rota, now, controls);
}

json card_answer(json card) {
  return {{"statusCode", 200}, {"type", "application/vnd.microsoft.card.adaptive"}, {"value", std::move(card)}};
}

}  // namespace desk::bot::teams
