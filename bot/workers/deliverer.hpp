#pragma once
/// The seam between the outbox and the surfaces. The dispatcher (bot/workers/outbox_dispatcher) owns
/// the row's life — claim, retry, fail, order — and hands each row to the deliverer of its surface,
/// which renders the effect in its own protocol (Block Kit for Slack, an Adaptive Card for Teams, a
/// signed POST for an agent) and says what became of it. A new surface is a new Deliverer.
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/clock.hpp"
#include "storage/store.hpp"

namespace desk::bot {

/// What the dispatcher does with a row after one delivery attempt.
struct DeliveryOutcome {
  enum class Kind { sent, retry, fail };
  Kind kind = Kind::sent;
  std::string detail;       ///< why it is retried or failed; never payload text or secrets
  std::string result_json;  ///< sent: what the receiver returned (e.g. Slack's channel and ts), for the row
  std::optional<core::TimePoint> retry_at;  ///< retry: not before this; nullopt: the dispatcher's own backoff
  /// sent: the escalation's main message this delivery made (or found, in doubt). The dispatcher
  /// records it with the row's settlement, in one transaction.
  std::optional<storage::MessageRef> message;

  static DeliveryOutcome sent(std::string result_json = "{}") {
    return {Kind::sent, {}, std::move(result_json), {}, {}};
  }
  static DeliveryOutcome sent(std::string result_json, storage::MessageRef message) {
    return {Kind::sent, {}, std::move(result_json), {}, std::move(message)};
  }
  static DeliveryOutcome retry(std::string why, std::optional<core::TimePoint> at = std::nullopt) {
    return {Kind::retry, std::move(why), {}, at, {}};
  }
  static DeliveryOutcome fail(std::string why) { return {Kind::fail, std::move(why), {}, {}, {}}; }
};

class Deliverer {
 public:
  virtual ~Deliverer() = default;

  /// The surface whose rows this delivers: "slack", "teams", "agent", …
  virtual std::string surface() const = 0;

  /// False while it cannot deliver anything (Slack's desk channel not yet resolved): its rows wait,
  /// untouched, and every other surface goes on. Tell the dispatcher (poke) when it becomes ready.
  virtual bool ready() const { return true; }

  /// One attempt at `row` (already committed as `sending`). `in_doubt`: an earlier attempt may have
  /// reached the far side, so look for it first where the protocol allows. Unknown kinds, bad
  /// payloads and refusals come back as outcomes; only storage failures throw (StorageError).
  virtual boost::asio::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage row, bool in_doubt) = 0;
};

}  // namespace desk::bot
