#pragma once
/// The cards of the interactive Teams bot: an escalation as it stands (open: its evidence, the
/// rationale field and the three decisions; decided: the decision, no buttons), built from the store.
#include <nlohmann/json.hpp>

#include "bot/teams/alert_cards.hpp"
#include "handlers/evidence_masker.hpp"
#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::bot::teams {

/// What the card shows of the draft: its excerpt and link with personal data masked, or that it was erased.
AlertEvidence evidence_of(storage::Store& store, handlers::EvidenceMasker& masker, const handlers::PolicySet* set,
                          const std::string& escalation_id);

/// The escalation's card as it stands: decided → the decision card (with `controls.notice` under it);
/// otherwise the opened card with `controls` at the escalation's generation.
nlohmann::json bot_escalation_card(storage::Store& store, handlers::EvidenceMasker& masker, const core::Escalation& e,
                                   const handlers::PolicySet* set, core::TimePoint now, DecisionControls controls = {});

/// The Universal Actions answer that replaces the clicked card: {"statusCode":200,"type":…,"value":card}.
nlohmann::json card_answer(nlohmann::json card);

}  // namespace desk::bot::teams
