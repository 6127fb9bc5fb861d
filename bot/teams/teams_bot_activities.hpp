#pragma once
/// What the interactive Teams bot does with an activity Teams sent (already authenticated): a click on
/// a card's decision (an `adaptiveCard/action` invoke, answered with the card that replaces the clicked
/// one) and messages to the bot (`rota`, `rota override …`, `escalate …`). Identity comes from
/// `from.aadObjectId`, matched to the config's people; someone not there has no rights. Teams shows
/// nothing a bot puts in the HTTP answer to a message: the answer to a message is a reply the surface
/// sends into the message's thread through the Bot Connector. Everything is checked and committed by
/// handlers::DeskActions, as for every surface; this file only speaks Bot Framework.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/teams/alert_cards.hpp"
#include "core/clock.hpp"
#include "handlers/desk_actions.hpp"
#include "handlers/evidence_masker.hpp"

namespace desk::bot::teams {

/// The HTTP answer to one activity.
struct ActivityAnswer {
  int status = 200;
  nlohmann::json body;   ///< null: an empty body
  bool changed = false;  ///< the store changed: the clocks and the outbox look again
  std::string log;       ///< the desk's own trouble, for the operators' log
  std::string refusal;   ///< why the activity was not taken (for a log line); never a secret
  nlohmann::json reply;  ///< a message: the activity to send back in its thread (null: none)
};

class TeamsBotActivities {
 public:
  /// `channel`: the desk channel's conversation id; a click from any other conversation is refused.
  TeamsBotActivities(handlers::DeskActionDependencies deps, std::string channel);

  ActivityAnswer handle(const nlohmann::json& activity, core::TimePoint now);

  /// The Teams user ids ("29:…") of the people mentioned in a `rota override` message whom the
  /// desk cannot place by itself: the mention carries no aadObjectId and its id is nobody's Teams id
  /// in the config. The surface looks them up in the desk's team and writes `mentioned.aadObjectId`
  /// into the activity before handle(). Empty for every other activity, and when the message mentions more than one
  /// person (refused anyway).
  std::vector<std::string> mentions_to_look_up(const nlohmann::json& activity) const;

 private:
  ActivityAnswer card_action(const nlohmann::json& activity, core::TimePoint now);
  ActivityAnswer message(const nlohmann::json& activity, core::TimePoint now);
  /// "rota override <person> <role> <until>": the person an @mention (or their id in the config).
  ActivityAnswer override_role(const nlohmann::json& activity, std::string_view args, core::TimePoint now);
  /// "escalate <text or link>": a manual escalation under desk.hotline_workflow, raised by the sender.
  ActivityAnswer escalate(const nlohmann::json& activity, const std::string& what, core::TimePoint now);
  /// The person id of the sender, or "teams:<object id>" for someone not in the config (no rights).
  std::string actor_of(const nlohmann::json& activity) const;
  nlohmann::json card_for(const core::Escalation& e, const std::shared_ptr<const handlers::PolicySet>& set,
                          core::TimePoint now, DecisionControls controls);

  handlers::DeskActionDependencies deps_;
  handlers::DeskActions actions_;
  std::string channel_;
  handlers::EvidenceMasker masker_;
};

/// A Universal Actions error answer (400): {"statusCode":400,"type":"application/vnd.microsoft.error",…}.
nlohmann::json action_error(const std::string& message);

}  // namespace desk::bot::teams
