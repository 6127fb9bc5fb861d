#include "bot/slack/envelope.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace desk::bot::slack {
namespace {

namespace bj = boost::json;

// Envelope ids are UUIDs in practice; anything longer than this is not from Slack.
constexpr std::size_t kMaxEnvelopeIdLength = 256;
// Block Kit payloads nest deeply (message -> blocks -> elements -> text); Boost.JSON's default is 32.
constexpr std::size_t kMaxDepth = 64;

std::string string_field(const bj::object& object, std::string_view key) {
  const bj::value* v = object.if_contains(key);
  return (v != nullptr && v->is_string()) ? std::string(v->get_string()) : std::string{};
}

int int_field(const bj::object& object, std::string_view key, int fallback) {
  const bj::value* v = object.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64() && v->get_int64() >= INT32_MIN && v->get_int64() <= INT32_MAX) {
    return static_cast<int>(v->get_int64());
  }
  if (v->is_uint64() && v->get_uint64() <= INT32_MAX) return static_cast<int>(v->get_uint64());
  return fallback;
}

const bj::object* object_field(const bj::object& object, std::string_view key) {
  const bj::value* v = object.if_contains(key);
  return (v != nullptr && v->is_object()) ? &v->get_object() : nullptr;
}

std::optional<EnvelopeKind> kind_from(std::string_view type) {
  if (type == "events_api") return EnvelopeKind::events_api;
  if (type == "interactive") return EnvelopeKind::interactive;
  if (type == "slash_commands") return EnvelopeKind::slash_commands;
  return std::nullopt;
}

Hello parse_hello(const bj::object& frame) {
  Hello hello;
  hello.num_connections = int_field(frame, "num_connections", 0);
  if (const auto* info = object_field(frame, "connection_info")) hello.app_id = string_field(*info, "app_id");
  if (const auto* debug = object_field(frame, "debug_info")) {
    hello.host = string_field(*debug, "host");
    const int t = int_field(*debug, "approximate_connection_time", -1);
    if (t >= 0) hello.approximate_connection_time = t;
  }
  return hello;
}

Disconnect parse_disconnect(const bj::object& frame) {
  Disconnect d;
  d.reason = string_field(frame, "reason");
  if (const auto* debug = object_field(frame, "debug_info")) d.host = string_field(*debug, "host");
  return d;
}

Frame parse_envelope(std::string_view text, const bj::object& frame, const std::string& type, std::string envelope_id) {
  auto kind = kind_from(type);
  if (!kind) return AckOnly{std::move(envelope_id), "unknown envelope type"};
  const bj::object* payload = object_field(frame, "payload");
  if (payload == nullptr) return AckOnly{std::move(envelope_id), "payload is not an object"};
  Envelope e;
  e.envelope_id = std::move(envelope_id);
  e.kind = *kind;
  const bj::value* accepts = frame.if_contains("accepts_response_payload");
  e.accepts_response_payload = accepts != nullptr && accepts->is_bool() && accepts->get_bool();
  e.retry_attempt = int_field(frame, "retry_attempt", 0);
  e.retry_reason = string_field(frame, "retry_reason");
  e.payload_type = string_field(*payload, "type");
  if (e.kind == EnvelopeKind::events_api) {
    e.event_id = string_field(*payload, "event_id");
    if (const auto* event = object_field(*payload, "event")) e.event_type = string_field(*event, "type");
  }
  if (e.kind == EnvelopeKind::slash_commands) e.command = parse_slash_command_in_frame(*payload);
  e.frame_text = std::string(text);
  return e;
}

}  // namespace

const nlohmann::json& Envelope::payload() const {
  if (!parsed_) {
    auto frame = nlohmann::json::parse(frame_text, nullptr, /*allow_exceptions=*/false);
    nlohmann::json payload;
    if (frame.is_object()) {
      if (auto it = frame.find("payload"); it != frame.end() && it->is_object()) payload = std::move(*it);
    }
    if (!payload.is_object()) payload = nlohmann::json::object();
    parsed_ = std::make_shared<const nlohmann::json>(std::move(payload));
  }
  return *parsed_;
}

void Envelope::set_payload(nlohmann::json payload) {
  if (!payload.is_object()) payload = nlohmann::json::object();
  frame_text = nlohmann::json{{"envelope_id", envelope_id}, {"payload", payload}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  parsed_ = std::make_shared<const nlohmann::json>(std::move(payload));
  if (kind == EnvelopeKind::slash_commands) command = parse_slash_command(*parsed_);
}

std::string Envelope::dedupe_key() const {
  if (kind == EnvelopeKind::events_api && !event_id.empty()) return "event:" + event_id;
  return "envelope:" + envelope_id;
}

const char* to_string(EnvelopeKind kind) {
  switch (kind) {
    case EnvelopeKind::events_api:
      return "events_api";
    case EnvelopeKind::interactive:
      return "interactive";
    case EnvelopeKind::slash_commands:
      return "slash_commands";
  }
  return "unknown";
}

Frame parse_frame(std::string_view text) {
  // Small frames parse without touching the heap for the DOM.
  unsigned char scratch[16 * 1024];
  bj::monotonic_resource resource(scratch, sizeof scratch);
  bj::parse_options options;
  options.max_depth = kMaxDepth;
  bj::error_code ec;
  bj::value value = bj::parse(bj::string_view(text.data(), text.size()), ec, &resource, options);
  if (ec) return Garbage{"invalid JSON"};
  if (!value.is_object()) return Garbage{"frame is not a JSON object"};
  const bj::object& frame = value.get_object();
  auto type = string_field(frame, "type");
  auto envelope_id = string_field(frame, "envelope_id");
  if (envelope_id.size() > kMaxEnvelopeIdLength) return Garbage{"envelope_id too long"};
  // Control messages carry no envelope id and are never acked.
  if (envelope_id.empty()) {
    if (type == "hello") return parse_hello(frame);
    if (type == "disconnect") return parse_disconnect(frame);
    return Garbage{type.empty() ? "frame without type or envelope_id" : "unknown frame type"};
  }
  return parse_envelope(text, frame, type, std::move(envelope_id));
}

namespace {

/// `{"envelope_id":"<id>"`, escaped by hand: it runs for every envelope.
std::string ack_opening(std::string_view envelope_id, std::size_t room) {
  std::string ack = "{\"envelope_id\":\"";
  ack.reserve(envelope_id.size() + room + 20);
  for (char c : envelope_id) {
    if (c == '"' || c == '\\') {
      ack.push_back('\\');
      ack.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      ack += "\\u00";
      ack.push_back(kHex[(c >> 4) & 15]);
      ack.push_back(kHex[c & 15]);
    } else {
      ack.push_back(c);
    }
  }
  ack.push_back('"');
  return ack;
}

}  // namespace

std::string serialized_payload(const nlohmann::json& payload) {
  // Handler payloads may carry user text; never let a bad byte turn an ack into an exception.
  return payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string build_ack_with(std::string_view envelope_id, std::string_view payload_text) {
  std::string ack = ack_opening(envelope_id, payload_text.size() + 12);
  ack += ",\"payload\":";
  ack += payload_text;
  ack.push_back('}');
  return ack;
}

std::string build_ack(std::string_view envelope_id, const nlohmann::json* payload) {
  if (payload == nullptr || payload->is_null()) return ack_opening(envelope_id, 0) + "}";
  return build_ack_with(envelope_id, serialized_payload(*payload));
}

}  // namespace desk::bot::slack
