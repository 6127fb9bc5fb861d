#pragma once
/// What the Socket Mode reader does with one text frame, without the socket: parse it, dedupe it,
/// ask the handler for the ack payload, build the ack, and hand back the slow follow-up work.
/// Kept apart from the WebSocket code so every rule here is unit-tested without a network.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "bot/slack/envelope.hpp"

namespace desk::bot::slack {

/// The handler's answer for one envelope.
struct AckReply {
  /// Travels in the ack (slash-command reply, `response_action` for a modal). Sent only when the
  /// envelope `accepts_response_payload`.
  std::shared_ptr<const nlohmann::json> payload;
  /// Slow work (Web API calls, storage) that runs after the ack is queued, never on the reader.
  std::function<boost::asio::awaitable<void>()> follow_up;
};

/// Business logic behind the transport. Called on the I/O thread, before the ack is sent.
class EnvelopeHandler {
 public:
  virtual ~EnvelopeHandler() = default;
  /// Decide the ack payload quickly (Slack allows 3 s including the network). Throwing costs this
  /// envelope only: it is acked plainly and logged.
  virtual AckReply on_envelope(const Envelope& envelope) = 0;
};

/// How long a dedupe key must be recognised: across a restart, for an envelope Slack retries later
/// (events); for this run only, for one it never retries (a same-id copy can only come at once).
enum class Remember { across_restarts, this_run };

/// Returns true when `id` is new (and records it); false for a redelivery. Called before each ack,
/// so it must not wait for the disk: the desk backs it with DurableDedupe (memory first; ids to
/// remember across restarts go to the store's processed-id table from another thread).
using DedupeFn = std::function<bool(const std::string& id, Remember remember)>;

struct DispatchCounters {
  std::uint64_t envelopes = 0;       ///< envelopes handed to the handler
  std::uint64_t duplicates = 0;      ///< redeliveries acked but not handed on
  std::uint64_t handler_errors = 0;  ///< handler threw
  std::uint64_t ack_only = 0;        ///< unknown types or unusable payloads, acked and dropped
  std::uint64_t garbage = 0;         ///< frames that were not JSON envelopes
  std::uint64_t refused = 0;         ///< envelopes left unacked because we are shutting down
};

struct DispatchResult {
  std::optional<std::string> ack;  ///< frame to send at once
  std::optional<Hello> hello;
  std::optional<Disconnect> disconnect;
  std::string envelope_id;  ///< for logs
  std::function<boost::asio::awaitable<void>()> follow_up;
};

class EnvelopeDispatcher {
 public:
  EnvelopeDispatcher(EnvelopeHandler& handler, DedupeFn dedupe);

  /// Handles one text frame.
  DispatchResult on_text(std::string_view text);

  /// From now on envelopes are neither handled nor acked: during shutdown Slack should redeliver
  /// events to the next process instead of us acking work we will not do.
  void refuse_new_work() { refusing_ = true; }

  const DispatchCounters& counters() const { return counters_; }

 private:
  DispatchResult on_envelope(Envelope& envelope);
  bool is_new(const std::string& key, Remember remember);

  EnvelopeHandler& handler_;
  DedupeFn dedupe_;
  DispatchCounters counters_;
  bool refusing_ = false;
  /// The last payload acked and its text: a burst of one cached answer is serialised once. Held, so
  /// its address cannot come back as another payload's.
  std::shared_ptr<const nlohmann::json> last_payload_;
  std::string last_payload_text_;
};

}  // namespace desk::bot::slack
