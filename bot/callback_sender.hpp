#pragma once
/// Decision callbacks to agents (SPEC, "A submission may carry callback_url"): the deliverer of the
/// "agent" surface. The outbox dispatcher hands it each `decision_callback` row; it POSTs the decision,
/// signed, and says what to do with the row.
///
/// Signature scheme (what an agent author verifies; handlers/callback_signing.hpp):
///
///   POST <callback_url>
///   Content-Type: application/json
///   X-Desk-Timestamp: 1764493500                     (unix seconds when this attempt was made)
///   X-Desk-Signature: v2=<hex HMAC-SHA256(key, timestamp + "." + callback_url + "." + body)>
///
///   {"escalation_id":"ESC-000042","submission_id":"SUB-000123","status":"accepted",
///    "decision":{"macro":"accept","by":{"id":"alice","name":"Alice"},"at":"2026-11-30T09:05:00Z",
///                "rationale":"…"}}
///
/// `key` is the agent's own (GET /v1/callback-key with its token), derived from DESK_CALLBACK_SECRET
/// (or DESK_CALLBACK_SECRET_FILE) and the agent's token, so no agent can sign for another. While the
/// secret is rotated (DESK_CALLBACK_SECRET_PREVIOUS set) the header carries a second signature. The
/// receiver recomputes the HMAC over the raw body bytes exactly as received, compares it in constant
/// time (handlers::verify_callback_signature does both), and should refuse a timestamp more than five
/// minutes from its own clock so a captured request cannot be replayed later. Delivery is at least
/// once (a retry after a lost answer sends the same body again): dedupe on escalation_id. Any 2xx
/// answer ends the retries; anything else is retried with backoff for up to 24 hours.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/secrets.hpp"
#include "bot/workers/deliverer.hpp"
#include "core/clock.hpp"
#include "core/escalation.hpp"
#include "core/rota.hpp"
#include "handlers/agent_tokens.hpp"
#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::bot {

/// The environment variable holding the callback signing secret.
inline constexpr const char* kCallbackSecretEnv = "DESK_CALLBACK_SECRET";
/// The secret being rotated out: callbacks carry a signature under it too, until it is unset.
inline constexpr const char* kPreviousCallbackSecretEnv = "DESK_CALLBACK_SECRET_PREVIOUS";

/// The callback body for `e`; `rota` (may be null) names the decider as the intake API does.
std::string decision_callback_body(const core::Escalation& e, const core::Rota* rota);

struct CallbackOptions {
  std::chrono::milliseconds timeout{10000};  ///< per attempt: connect, TLS, request and whole answer
  slack::BackoffPolicy backoff{std::chrono::seconds{15}, std::chrono::hours{1}};
  core::Seconds give_up_after{std::chrono::hours{24}};  ///< from the row's creation
  std::shared_ptr<boost::asio::ssl::context> tls;       ///< null: slack::make_client_tls_context()
  /// Testing only (desk.callbacks_allow_loopback): callbacks may go to this machine's loopback.
  bool allow_loopback = false;
  /// DESK_CALLBACK_SECRET_PREVIOUS during a rotation: a second signature under it; empty: none.
  std::string previous_secret;
  /// The configured tokens, to find the plain digest each agent's key derives from (the store keeps a
  /// keyed one). Null: the stored scope is the plain digest (a store without a key; tests).
  std::shared_ptr<const handlers::AgentTokens> tokens;
};

class CallbackSender final : public Deliverer {
 public:
  /// `secret` empty or nullopt: every callback row fails with a clear error (logged once here), since
  /// an unsigned decision would teach agents to trust unsigned requests.
  CallbackSender(boost::asio::any_io_executor executor, storage::Store& store, handlers::PolicyResolver resolver,
                 core::Clock& clock, std::optional<std::string> secret, CallbackOptions options = {});
  ~CallbackSender() override;
  CallbackSender(const CallbackSender&) = delete;
  CallbackSender& operator=(const CallbackSender&) = delete;

  /// The secret from DESK_CALLBACK_SECRET / DESK_CALLBACK_SECRET_FILE; throws slack::SecretError
  /// when it is set wrongly.
  static std::optional<std::string> secret_from_env(const slack::EnvLookup& env = slack::process_env());
  /// DESK_CALLBACK_SECRET_PREVIOUS (or its _FILE form): the secret being rotated out, if any.
  static std::optional<std::string> previous_secret_from_env(const slack::EnvLookup& env = slack::process_env());

  bool configured() const { return !secret_.empty(); }

  std::string surface() const override { return "agent"; }

  /// One delivery attempt of a decision_callback row (payload {"url": …}; without it, the
  /// submission's callback_url). Never throws for network or receiver trouble: it is in the outcome.
  /// Agents dedupe on escalation_id, so a row in doubt is simply sent again.
  boost::asio::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage row, bool in_doubt = false) override;

 private:
  DeliveryOutcome retry_or_give_up(const storage::OutboxMessage& row, std::string detail) const;
  std::string target_url(const storage::OutboxMessage& row) const;

  boost::asio::any_io_executor executor_;
  storage::Store& store_;
  handlers::PolicyResolver resolver_;
  core::Clock& clock_;
  std::string secret_;
  CallbackOptions options_;
};

}  // namespace desk::bot
