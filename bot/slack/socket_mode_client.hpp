#pragma once
/// Socket Mode: the desk's only inbound channel from Slack. An outer supervisor loop (open a URL,
/// connect, wait for hello, back off on failure) around one session per connection (reader, writer,
/// watchdog). Envelopes are acked at once on the I/O thread; slow work runs after the ack.
/// All members are used from the executor's thread only.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/envelope_dispatcher.hpp"
#include "bot/slack/slack_api.hpp"

namespace desk::bot::slack {

struct SocketModeConfig {
  std::string app_token;                              ///< xapp-…, for apps.connections.open
  std::chrono::milliseconds connect_timeout{10000};   ///< each of TCP, TLS and WebSocket handshakes
  std::chrono::milliseconds hello_timeout{10000};     ///< from upgrade to the hello frame
  std::chrono::milliseconds ping_interval{5000};      ///< client pings keep a quiet link provably alive
  std::chrono::milliseconds idle_limit{20000};        ///< no frame at all (pong included): dead
  std::chrono::milliseconds close_grace{1000};        ///< close handshake limit, then TCP is cut
  std::chrono::milliseconds drain_period{2000};       ///< old socket keeps reading after a refresh
  std::chrono::milliseconds shutdown_timeout{10000};  ///< cap on waiting for in-flight work
  BackoffPolicy backoff{std::chrono::milliseconds{1000}, std::chrono::milliseconds{60000}};
  std::string extra_ca_file;  ///< trusted besides the system store
  /// A client TLS context to share (loading the system trust store costs tens of milliseconds);
  /// when null one is made from `extra_ca_file` with make_client_tls_context.
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  bool debug_reconnects = false;  ///< ask Slack for short-lived connections (refresh testing)
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  /// Told how long each ack took, from reading its envelope to writing the ack to the socket
  /// (desk_ack_latency_seconds); on the client's thread, so it must be quick.
  std::function<void(std::chrono::nanoseconds)> on_ack_written;
};

enum class SocketModeState { starting, connected, reconnecting, stopping, stopped };

/// Why run() returned.
enum class StopCause {
  none,               ///< still running
  requested,          ///< stop() was called
  link_disabled,      ///< Slack turned Socket Mode off for the app
  app_token_refused,  ///< apps.connections.open refused the app-level token (invalid_auth, …)
};

const char* to_string(SocketModeState state);

struct SocketModeStats {
  DispatchCounters dispatch;
  std::uint64_t connections_opened = 0;  ///< hellos received
  std::uint64_t connect_failures = 0;
  std::uint64_t refreshes = 0;       ///< warning / refresh_requested handled make-before-break
  std::uint64_t stale_detected = 0;  ///< silent peers cut by the watchdog
  std::uint64_t acks_sent = 0;
  std::uint64_t follow_up_errors = 0;
  int last_num_connections = 0;  ///< from the latest hello
  int open_sockets = 0;          ///< sockets we hold right now (connected or draining)
  /// The desk's own ack time: from reading an envelope to its ack written to the socket.
  std::chrono::microseconds ack_p50{0}, ack_p99{0}, ack_max{0};
};

class SocketModeClient {
 public:
  SocketModeClient(boost::asio::any_io_executor executor, SocketModeConfig config, SlackApi& api,
                   EnvelopeHandler& handler, DedupeFn dedupe);
  ~SocketModeClient();
  SocketModeClient(const SocketModeClient&) = delete;
  SocketModeClient& operator=(const SocketModeClient&) = delete;

  /// Runs until stop() has finished (in-flight work done, sockets closed with a close frame) or
  /// Slack makes going on pointless (link_disabled, a refused app token); then `stop_reason()` says
  /// why. Returns normally; unexpected errors inside are logged and retried.
  boost::asio::awaitable<void> run();

  /// Begins a graceful stop: no new envelopes are taken, in-flight follow-ups finish, every socket
  /// is closed. Idempotent.
  void stop();

  SocketModeState state() const;
  SocketModeStats stats() const;
  /// Empty unless run() ended for a reason other than stop(), e.g. link_disabled; says what to do.
  const std::string& stop_reason() const;
  StopCause stop_cause() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace desk::bot::slack
