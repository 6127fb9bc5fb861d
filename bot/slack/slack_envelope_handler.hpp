#pragma once
/// Hands Slack envelopes to the handlers. Their immediate calls (open a modal within the trigger's
/// 3 s, answer the clicker privately) run right after the ack; every lasting change was committed to
/// the store, with its outbox rows, by the handler itself.
#include <functional>
#include <memory>

#include "bot/slack/envelope_dispatcher.hpp"
#include "bot/slack/interaction_handler.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/slack/slack_hotline.hpp"
#include "bot/slack/slash_commands.hpp"
#include "core/clock.hpp"
#include "handlers/desk_actions.hpp"

namespace desk::bot::slack {

class SlackEnvelopeHandler final : public EnvelopeHandler {
 public:
  /// `changed`: the store changed (the clocks and the outbox look again); `rota_changed`: a rota
  /// override was committed (the on-duty user group follows it); `identity`: who the desk is in the
  /// workspace, for the hotline.
  SlackEnvelopeHandler(SlackApi& api, SlackDependencies deps, core::Clock& clock, std::function<void()> changed,
                       std::function<void()> rota_changed, std::function<HotlineIdentity()> identity = {});

  AckReply on_envelope(const Envelope& envelope) override;

  /// Opens the hotline messages a previous run recorded but did not escalate.
  boost::asio::awaitable<void> open_pending_hotline() { return hotline_.open_pending(); }

 private:
  /// A message mentioning the desk in its channel goes to the hotline; a person's reply in an
  /// escalation's thread joins its record; every other event is left alone.
  AckReply on_event(const nlohmann::json& payload);
  void record_thread_reply(const nlohmann::json& event);

  SlackApi& api_;
  InteractionHandler interactions_;
  SlashCommands commands_;
  handlers::DeskActions actions_;  ///< thread replies and the hotline
  SlackDependencies deps_;
  core::Clock& clock_;
  std::function<void()> changed_;
  std::function<void()> rota_changed_;
  SlackHotline hotline_;
};

}  // namespace desk::bot::slack
