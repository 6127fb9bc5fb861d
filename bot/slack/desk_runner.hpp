#pragma once
/// The desk process's Slack side: read and check the tokens, authenticate, connect Socket Mode,
/// ack envelopes, and stop gracefully on SIGINT/SIGTERM. `escalation-desk run` calls run_desk.
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "bot/slack/envelope_dispatcher.hpp"
#include "bot/slack/slack_api.hpp"
#include "core/policy.hpp"

namespace desk::bot::slack {

class SocketModeClient;

/// Exit codes of run_desk.
inline constexpr int kExitOk = 0;             ///< stopped by SIGINT/SIGTERM after finishing in-flight work
inline constexpr int kExitFailure = 1;        ///< Slack unreachable at start, or Socket Mode disabled
inline constexpr int kExitConfigError = 2;    ///< a token is missing, malformed or refused

/// Builds the envelope handler once the bot identity is known (auth.test).
using HandlerFactory = std::function<std::unique_ptr<EnvelopeHandler>(
    boost::asio::any_io_executor executor, SlackApi& api, const AuthInfo& bot)>;

/// What the rest of the desk plugs into the transport. Empty members get the defaults.
struct DeskHooks {
  /// Default: a handler that logs each envelope and answers slash commands with a short ephemeral
  /// "The desk is up; this command is not wired yet."
  HandlerFactory make_handler;
  /// Default: in-memory ids for ten minutes. The desk passes the store's mark_processed so
  /// redeliveries are recognised across restarts.
  DedupeFn dedupe;
  /// Called on the I/O thread when SIGINT/SIGTERM asks the desk to stop: stop taking new work.
  std::function<void()> on_stop;
  /// Called after the event loop has stopped but before it is destroyed: release every I/O object
  /// built on its executor (timers, acceptors), which must not outlive it.
  std::function<void()> on_exit;
  /// Called with the Socket Mode client once it exists and with nullptr once it has stopped, so the
  /// desk can report the connection's state (/healthz). Called on the I/O thread.
  std::function<void(const SocketModeClient*)> on_client;
};

/// Runs the desk until SIGINT/SIGTERM (returns kExitOk) or a fatal condition (kExitConfigError,
/// kExitFailure, with a clear message on stderr naming what to set and where to get it).
/// Environment: SLACK_APP_TOKEN / SLACK_APP_TOKEN_FILE, SLACK_BOT_TOKEN / SLACK_BOT_TOKEN_FILE,
/// SLACK_API_URL (default https://slack.com/api/), SSL_CERT_FILE, DESK_LOG_LEVEL.
int run_desk(const desk::core::Policy& policy);
int run_desk(const desk::core::Policy& policy, const DeskHooks& hooks);

}  // namespace desk::bot::slack
