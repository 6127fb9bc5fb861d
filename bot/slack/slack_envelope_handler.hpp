#pragma once
/// Hands Slack envelopes to the handlers. Their immediate calls (open a modal within the trigger's
/// 3 s, answer the clicker privately) run right after the ack; every lasting change was committed to
/// the store, with its outbox rows, by the handler itself.
#include <functional>
#include <memory>

#include "bot/slack/envelope_dispatcher.hpp"
#include "bot/slack/slack_api.hpp"
#include "core/clock.hpp"
#include "handlers/desk_actions.hpp"
#include "handlers/interaction_handler.hpp"
#include "handlers/slash_commands.hpp"

namespace desk::bot::slack {

class SlackEnvelopeHandler final : public EnvelopeHandler {
 public:
  /// `changed`: the store changed (the clocks and the outbox look again); `rota_changed`: a rota
  /// override was committed (the on-duty user group follows it).
  SlackEnvelopeHandler(SlackApi& api, handlers::SlackDependencies deps, core::Clock& clock,
                       std::function<void()> changed, std::function<void()> rota_changed);

  AckReply on_envelope(const Envelope& envelope) override;

 private:
  /// A person's reply in an escalation's thread joins its record; every other event is left alone.
  void on_event(const nlohmann::json& payload);

  SlackApi& api_;
  handlers::InteractionHandler interactions_;
  handlers::SlashCommands commands_;
  handlers::DeskActions actions_;  ///< thread replies
  handlers::SlackDependencies deps_;
  core::Clock& clock_;
  std::function<void()> changed_;
  std::function<void()> rota_changed_;
};

}  // namespace desk::bot::slack
