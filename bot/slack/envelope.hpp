#pragma once
/// Socket Mode frames parsed at the edge into typed values (reference/slack.md §1.3–1.6), and the ack
/// frame built from an envelope id. Pure: no I/O, never throws on bad input.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "bot/slack/slack_payloads.hpp"

namespace desk::bot::slack {

/// The first frame of a connection; the connection is usable only after it.
struct Hello {
  int num_connections = 0;  ///< connections Slack counts for this app, this one included
  std::string app_id;
  std::string host;                                ///< debug_info.host, diagnostics only
  std::optional<int> approximate_connection_time;  ///< seconds until Slack expects a refresh
};

/// Slack asks us to move to a new connection (or stop, for link_disabled).
struct Disconnect {
  std::string reason;  ///< warning, refresh_requested, link_disabled, too_many_websockets, …
  std::string host;
};

enum class EnvelopeKind { events_api, interactive, slash_commands };

/// A payload that must be acked and may be handed to the handlers. The fields needed to ack and
/// dedupe are extracted up front; the payload itself is kept as text and parsed on first use,
/// because most envelopes are acked without a handler ever reading it (and a DOM parse costs more
/// than everything else on the ack path together).
class Envelope {
 public:
  std::string envelope_id;
  EnvelopeKind kind = EnvelopeKind::events_api;
  bool accepts_response_payload = false;
  int retry_attempt = 0;     ///< events_api only
  std::string retry_reason;  ///< events_api only
  std::string event_id;      ///< events_api: payload.event_id (may be empty)
  std::string payload_type;  ///< payload.type: event_callback, block_actions, view_submission…
  std::string event_type;    ///< events_api: payload.event.type (message, app_mention, …)
  /// The whole frame as received: `payload()` parses it on first use. Keeping the text costs a copy;
  /// re-serialising the payload would cost more.
  std::string frame_text;
  /// slash_commands: the payload read as a command (or what is wrong with it) from the frame's own
  /// parse, so that a command never costs payload() a second parse.
  std::optional<ParsedSlashCommand> command;

  /// The payload as JSON, parsed on first use and cached. Always an object.
  const nlohmann::json& payload() const;
  /// Replaces the payload (tests and fixtures); keeps frame_text in step.
  void set_payload(nlohmann::json payload);

  /// The id that makes a redelivery recognisable: "event:<event_id>" for events (a retry has a new
  /// envelope id but the same event id), "envelope:<envelope_id>" otherwise.
  std::string dedupe_key() const;
  /// Whether Slack may deliver this envelope again later, even to the next process: only events are
  /// retried (up to about 5 minutes on); a click, a modal or a slash command never is.
  bool may_come_again_later() const { return kind == EnvelopeKind::events_api; }

 private:
  mutable std::shared_ptr<const nlohmann::json> parsed_;
};

/// Has an envelope id but nothing a handler can use (unknown type, payload not an object): ack it so
/// Slack does not redeliver, then drop it.
struct AckOnly {
  std::string envelope_id;
  std::string reason;
};

/// Not JSON, not an object, or no usable type or id: log and ignore.
struct Garbage {
  std::string reason;
};

using Frame = std::variant<Hello, Disconnect, Envelope, AckOnly, Garbage>;

/// Parses one text frame. Never throws.
Frame parse_frame(std::string_view text);

/// Name used in logs for an envelope kind: "events_api", "interactive", "slash_commands".
const char* to_string(EnvelopeKind kind);

/// The ack frame `{"envelope_id":"…"}`, with `"payload":…` when a payload is given.
std::string build_ack(std::string_view envelope_id, const nlohmann::json* payload = nullptr);
/// A payload as an ack carries it (a byte that is not UTF-8 becomes U+FFFD, never an exception).
std::string serialized_payload(const nlohmann::json& payload);
/// The ack of `envelope_id` with a payload serialised already (serialized_payload): a cached answer
/// goes out without being serialised again for each envelope.
std::string build_ack_with(std::string_view envelope_id, std::string_view payload_text);

}  // namespace desk::bot::slack
