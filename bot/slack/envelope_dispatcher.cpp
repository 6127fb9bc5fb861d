#include "bot/slack/envelope_dispatcher.hpp"

#include "bot/slack/log.hpp"

namespace desk::bot::slack {

EnvelopeDispatcher::EnvelopeDispatcher(EnvelopeHandler& handler, DedupeFn dedupe)
    : handler_(handler), dedupe_(std::move(dedupe)) {}

bool EnvelopeDispatcher::is_new(const std::string& key, Remember remember) {
  if (!dedupe_) return true;
  try {
    return dedupe_(key, remember);
  } catch (const std::exception& e) {
    // Failing open: a store hiccup may let one redelivery through, which domain idempotency
    // absorbs; failing closed would drop a first delivery for good.
    log_error("envelope.dedupe_failed", {{"dedupe_key", key}, {"error", e.what()}});
    return true;
  }
}

DispatchResult EnvelopeDispatcher::on_envelope(Envelope& envelope) {
  DispatchResult result;
  result.envelope_id = envelope.envelope_id;
  if (refusing_) {
    ++counters_.refused;
    log_info("envelope.refused_shutting_down",
             {{"envelope_id", envelope.envelope_id}, {"type", to_string(envelope.kind)}});
    return result;
  }
  const auto key = envelope.dedupe_key();
  if (!is_new(key, envelope.may_come_again_later() ? Remember::across_restarts : Remember::this_run)) {
    // Still acked, or Slack keeps redelivering; never handed on twice.
    ++counters_.duplicates;
    log_info("envelope.duplicate",
             {{"envelope_id", envelope.envelope_id}, {"dedupe_key", key}, {"retry_attempt", envelope.retry_attempt}});
    result.ack = build_ack(envelope.envelope_id);
    return result;
  }
  ++counters_.envelopes;
  AckReply reply;
  try {
    reply = handler_.on_envelope(envelope);
  } catch (const std::exception& e) {
    ++counters_.handler_errors;
    log_error("envelope.handler_failed",
              {{"envelope_id", envelope.envelope_id}, {"type", to_string(envelope.kind)}, {"error", e.what()}});
    reply = AckReply{};
  }
  if (reply.payload && !reply.payload->is_null() && envelope.accepts_response_payload) {
    if (reply.payload != last_payload_) {
      last_payload_text_ = serialized_payload(*reply.payload);
      last_payload_ = reply.payload;
    }
    result.ack = build_ack_with(envelope.envelope_id, last_payload_text_);
  } else {
    if (reply.payload) log_debug("envelope.payload_not_accepted", {{"envelope_id", envelope.envelope_id}});
    result.ack = build_ack(envelope.envelope_id);
  }
  result.follow_up = std::move(reply.follow_up);
  return result;
}

DispatchResult EnvelopeDispatcher::on_text(std::string_view text) {
  auto frame = parse_frame(text);
  if (auto* envelope = std::get_if<Envelope>(&frame)) return on_envelope(*envelope);
  DispatchResult result;
  if (auto* hello = std::get_if<Hello>(&frame)) {
    result.hello = std::move(*hello);
  } else if (auto* disconnect = std::get_if<Disconnect>(&frame)) {
    result.disconnect = std::move(*disconnect);
  } else if (auto* ack_only = std::get_if<AckOnly>(&frame)) {
    ++counters_.ack_only;
    log_warn("envelope.ignored", {{"envelope_id", ack_only->envelope_id}, {"reason", ack_only->reason}});
    result.envelope_id = ack_only->envelope_id;
    if (!refusing_) result.ack = build_ack(ack_only->envelope_id);
  } else if (auto* garbage = std::get_if<Garbage>(&frame)) {
    ++counters_.garbage;
    log_warn("socket.garbage_frame", {{"reason", garbage->reason}, {"bytes", text.size()}});
  }
  return result;
}

}  // namespace desk::bot::slack
