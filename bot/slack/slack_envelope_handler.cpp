#include "bot/slack/slack_envelope_handler.hpp"

#include "bot/slack/log.hpp"
#include "bot/slack/slack_deliverer.hpp"
#include "bot/slack/slack_payloads.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;

/// The calls an interaction needs right after its ack. A plain function with by-value parameters
/// and named locals: GCC 12 mishandles braced temporaries and lambda captures across co_await.
net::awaitable<void> make_calls(SlackApi& api, std::vector<SlackCall> calls) {
  for (auto& call : calls) {
    try {
      if (call.kind == SlackCall::Kind::views_open) {
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

SlackEnvelopeHandler::SlackEnvelopeHandler(SlackApi& api, SlackDependencies deps, core::Clock& clock,
                                           std::function<void()> changed, std::function<void()> rota_changed,
                                           std::function<HotlineIdentity()> identity)
    : api_(api),
      interactions_(deps),
      commands_(deps),
      actions_(action_dependencies(deps)),
      deps_(deps),
      clock_(clock),
      changed_(std::move(changed)),
      rota_changed_(std::move(rota_changed)),
      hotline_(api, actions_, deps.store, clock, std::move(identity), changed_) {
  hotline_.is_escalation_thread = [&store = deps_.store](const std::string& channel, const std::string& thread) {
    return store.escalation_of_message(std::string(kSlackSurface), channel, thread).has_value();
  };
}

AckReply SlackEnvelopeHandler::on_event(const nlohmann::json& payload) {
  const auto event = payload.is_object() ? payload.find("event") : payload.end();
  if (!payload.is_object() || event == payload.end() || !event->is_object()) return {};
  AckReply reply;
  reply.follow_up = hotline_.on_event(*event);
  if (!reply.follow_up) record_thread_reply(*event);
  return reply;
}

void SlackEnvelopeHandler::record_thread_reply(const nlohmann::json& event_object) {
  const auto* event = &event_object;
  auto str = [&](const char* key) {
    const auto it = event->find(key);
    return it != event->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  // A person's message in a thread: not the desk's own (bot_id), not an edit, deletion or join
  // (subtypes), only a reply also shown in the channel (thread_broadcast) besides plain ones.
  const std::string subtype = str("subtype");
  if (str("type") != "message" || event->contains("bot_id") || (!subtype.empty() && subtype != "thread_broadcast"))
    return;
  const std::string thread = str("thread_ts"), ts = str("ts"), user = str("user"), channel = str("channel");
  // What Slack sends, or the event is not one: the ids go into the record.
  if (!is_slack_ts(thread) || !is_slack_ts(ts) || thread == ts || !is_slack_user_id(user) || channel.empty() ||
      channel.size() > 32)
    return;
  try {
    const auto escalation = deps_.store.escalation_of_message(std::string(kSlackSurface), channel, thread);
    if (!escalation) return;  // a thread that is no escalation's
    const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
    const core::Person* author = policy ? policy->rota().person_by_slack_user(user) : nullptr;
    const bool added = actions_.add_thread_reply(
        {*escalation, author ? author->id : user, str("text"), std::string(kSlackSurface), ts}, clock_.now());
    if (!added) return;
    log_info("desk.thread_reply", {{"escalation_id", *escalation}, {"ts", ts}});
    if (changed_) changed_();
  } catch (const storage::StorageError& e) {
    // Slack sends the event again when it is not acked in time; this one was, so it is lost: say so.
    log_error("desk.thread_reply_not_recorded", {{"ts", ts}, {"error", e.what()}});
  }
}

AckReply SlackEnvelopeHandler::on_envelope(const Envelope& envelope) {
  InteractionResult result;
  switch (envelope.kind) {
    case EnvelopeKind::interactive:
      result = interactions_.on_payload(envelope.payload(), clock_.now());
      break;
    case EnvelopeKind::slash_commands:
      result = commands_.on_parsed(envelope.command ? *envelope.command : parse_slash_command(envelope.payload()),
                                   clock_.now());
      // A command commits a rota override (the on-duty group and the handoff notices follow it) or a
      // published rota. (Not in changed(): that runs for every new escalation, and a poke retries a
      // refused group update.)
      if (result.changed && rota_changed_) rota_changed_();
      break;
    case EnvelopeKind::events_api:
      return on_event(envelope.payload());
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
