#include "bot/slack/envelope.hpp"

namespace desk::bot::slack {
namespace {

// Envelope ids are UUIDs in practice; anything longer than this is not from Slack.
constexpr std::size_t kMaxEnvelopeIdLength = 256;

std::string string_field(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

int int_field(const nlohmann::json& object, const char* key, int fallback) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return fallback;
  return it->get<int>();
}

std::optional<EnvelopeKind> kind_from(std::string_view type) {
  if (type == "events_api") return EnvelopeKind::events_api;
  if (type == "interactive") return EnvelopeKind::interactive;
  if (type == "slash_commands") return EnvelopeKind::slash_commands;
  return std::nullopt;
}

Hello parse_hello(const nlohmann::json& frame) {
  Hello hello;
  hello.num_connections = int_field(frame, "num_connections", 0);
  if (auto info = frame.find("connection_info"); info != frame.end() && info->is_object()) {
    hello.app_id = string_field(*info, "app_id");
  }
  if (auto debug = frame.find("debug_info"); debug != frame.end() && debug->is_object()) {
    hello.host = string_field(*debug, "host");
    auto t = debug->find("approximate_connection_time");
    if (t != debug->end() && t->is_number_integer()) hello.approximate_connection_time = t->get<int>();
  }
  return hello;
}

Disconnect parse_disconnect(const nlohmann::json& frame) {
  Disconnect d;
  d.reason = string_field(frame, "reason");
  if (auto debug = frame.find("debug_info"); debug != frame.end() && debug->is_object()) {
    d.host = string_field(*debug, "host");
  }
  return d;
}

Frame parse_envelope(nlohmann::json& frame, const std::string& type, std::string envelope_id) {
  auto kind = kind_from(type);
  if (!kind) return AckOnly{std::move(envelope_id), "unknown envelope type"};
  auto payload = frame.find("payload");
  if (payload == frame.end() || !payload->is_object()) {
    return AckOnly{std::move(envelope_id), "payload is not an object"};
  }
  Envelope e;
  e.envelope_id = std::move(envelope_id);
  e.kind = *kind;
  auto accepts = frame.find("accepts_response_payload");
  e.accepts_response_payload = accepts != frame.end() && accepts->is_boolean() && accepts->get<bool>();
  e.retry_attempt = int_field(frame, "retry_attempt", 0);
  e.retry_reason = string_field(frame, "retry_reason");
  e.payload = std::move(*payload);
  e.payload_type = string_field(e.payload, "type");
  if (e.kind == EnvelopeKind::events_api) {
    e.event_id = string_field(e.payload, "event_id");
    if (auto ev = e.payload.find("event"); ev != e.payload.end() && ev->is_object()) {
      e.event_type = string_field(*ev, "type");
    }
  }
  return e;
}

}  // namespace

std::string Envelope::dedupe_key() const {
  if (kind == EnvelopeKind::events_api && !event_id.empty()) return "event:" + event_id;
  return "envelope:" + envelope_id;
}

const char* to_string(EnvelopeKind kind) {
  switch (kind) {
    case EnvelopeKind::events_api: return "events_api";
    case EnvelopeKind::interactive: return "interactive";
    case EnvelopeKind::slash_commands: return "slash_commands";
  }
  return "unknown";
}

Frame parse_frame(std::string_view text) {
  auto frame = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (frame.is_discarded()) return Garbage{"invalid JSON"};
  if (!frame.is_object()) return Garbage{"frame is not a JSON object"};
  auto type = string_field(frame, "type");
  auto envelope_id = string_field(frame, "envelope_id");
  if (envelope_id.size() > kMaxEnvelopeIdLength) return Garbage{"envelope_id too long"};
  // Control messages carry no envelope id and are never acked.
  if (envelope_id.empty()) {
    if (type == "hello") return parse_hello(frame);
    if (type == "disconnect") return parse_disconnect(frame);
    return Garbage{type.empty() ? "frame without type or envelope_id" : "unknown frame type"};
  }
  return parse_envelope(frame, type, std::move(envelope_id));
}

std::string build_ack(std::string_view envelope_id, const nlohmann::json* payload) {
  nlohmann::json ack = nlohmann::json::object();
  ack["envelope_id"] = envelope_id;
  if (payload != nullptr && !payload->is_null()) ack["payload"] = *payload;
  // Handler payloads may carry user text; never let a bad byte turn an ack into an exception.
  return ack.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace desk::bot::slack
