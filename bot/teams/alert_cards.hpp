#pragma once
/// The Adaptive Cards (version 1.5) the desk posts to a Teams channel through a Workflows webhook:
/// an escalation opened, the backup ping, a missed deadline, the decision. A webhook card cannot call
/// back, so its only action is Action.OpenUrl; people act where the desk is interactive. Text an agent
/// or a person wrote goes in TextRuns, which Teams shows as typed (no markdown, so no links can be
/// smuggled in); times are UTC, names plain (no Slack syntax).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/escalation.hpp"
#include "core/lifecycle.hpp"
#include "core/rota.hpp"
#include "handlers/channel_notices.hpp"

namespace desk::bot::teams {

/// The most a card may take, serialised: Teams refuses messages above about 28 KB.
inline constexpr std::size_t kMaxCardBytes = 24 * 1024;

/// What an escalation's alert shows besides the escalation itself.
struct AlertEvidence {
  std::string masked_excerpt;  ///< the draft with personal data masked
  std::string permalink;       ///< where the draft lives (masked); an http(s) one becomes the card's button
  bool erased = false;         ///< its personal data was erased on request: no excerpt, no link
};

/// What the interactive bot adds to an escalation's card: the rationale field and the three decisions
/// (Action.Execute verbs accept, reject, escalate_legal, with the escalation's id and generation).
struct DecisionControls {
  int generation = 0;     ///< the escalation's generation the card shows: a click on an older card is stale
  std::string rationale;  ///< what was typed, kept when the card comes back with an error
  std::string error;      ///< shown under the field (a missing or short rationale)
  std::string notice;     ///< shown above the actions (a refusal naming who may act)
};

/// The Action.Execute verbs and titles of the decisions.
inline constexpr const char* kAcceptVerb = "accept";
inline constexpr const char* kRejectVerb = "reject";
inline constexpr const char* kEscalateLegalVerb = "escalate_legal";

/// "An escalation opened" card. Without `controls` (webhook alerts) it says where to act; with them it
/// carries the rationale field and the decisions.
nlohmann::json opened_card(const core::Escalation& e, const AlertEvidence& evidence, const core::Rota* rota,
                           core::TimePoint now, const std::optional<DecisionControls>& controls = std::nullopt);
/// A backup ping or a missed triage or decision deadline.
nlohmann::json reminder_card(const core::Escalation& e, const core::Reminder& reminder, const core::Rota* rota);
/// The decision (accepted or rejected, by whom, the rationale).
nlohmann::json decision_card(const core::Escalation& e, const core::Rota* rota);

/// A notice in the desk channel about no one escalation (a handoff, the rota, the digest): its title,
/// lines and image (a data: URI Image, left out with a line saying so when the card would pass
/// kMaxCardBytes with it).
nlohmann::json notice_card(const handlers::ChannelNotice& notice);

/// A line for a card sent again after a restart: neither the webhook nor the Bot Connector can look an
/// earlier post up, so it may repeat one.
nlohmann::json repeat_warning();

/// The webhook's request body: {"type":"message","attachments":[one Adaptive Card]}. A card over
/// kMaxCardBytes loses its longest texts first, so what is posted always fits.
nlohmann::json webhook_message(nlohmann::json card);

}  // namespace desk::bot::teams
