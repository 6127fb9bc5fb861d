#include "bot/slack/slack_envelope_handler.hpp"

#include "bot/slack/log.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;

/// The calls an interaction needs right after its ack. A plain function with by-value parameters
/// and named locals: GCC 12 mishandles braced temporaries and lambda captures across co_await.
net::awaitable<void> make_calls(SlackApi& api, std::vector<handlers::SlackCall> calls) {
  for (auto& call : calls) {
    try {
      if (call.kind == handlers::SlackCall::Kind::views_open) {
        co_await api.views_open(std::move(call.trigger_id), std::move(call.body));
      } else {
        PostEphemeral message;
        message.channel = std::move(call.channel);
        message.user = std::move(call.user);
        message.text = call.body.value("text", std::string{});
        message.blocks = call.body.value("blocks", nlohmann::json());
        co_await api.chat_post_ephemeral(std::move(message));
      }
    } catch (const std::exception& e) { log_warn("desk.slack_call_failed", {{"error", e.what()}}); }
  }
}

}  // namespace

SlackEnvelopeHandler::SlackEnvelopeHandler(SlackApi& api, handlers::SlackDependencies deps, core::Clock& clock,
                                           std::function<void()> changed, std::function<void()> rota_changed)
    : api_(api),
      interactions_(deps),
      commands_(deps),
      clock_(clock),
      changed_(std::move(changed)),
      rota_changed_(std::move(rota_changed)) {}

AckReply SlackEnvelopeHandler::on_envelope(const Envelope& envelope) {
  handlers::InteractionResult result;
  switch (envelope.kind) {
    case EnvelopeKind::interactive:
      result = interactions_.on_payload(envelope.payload(), clock_.now());
      break;
    case EnvelopeKind::slash_commands:
      result = commands_.on_payload(envelope.payload(), clock_.now());
      // A command commits a rota override (the on-duty group and the handoff notices follow it) or a
      // published rota. (Not in changed(): that runs for every new escalation, and a poke retries a
      // refused group update.)
      if (result.changed && rota_changed_) rota_changed_();
      break;
    case EnvelopeKind::events_api:
      return {};  // no event drives a decision yet
  }
  if (!result.log.empty())
    log_warn("desk.envelope_problem", {{"envelope_id", envelope.envelope_id}, {"problem", result.log}});
  if (result.changed && changed_) changed_();
  AckReply reply;
  reply.payload = std::move(result.ack_payload);
  if (!result.calls.empty())
    reply.follow_up = [&api = api_, calls = std::move(result.calls)] { return make_calls(api, calls); };
  return reply;
}

}  // namespace desk::bot::slack
