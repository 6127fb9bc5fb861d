#pragma once
/// Private to the Socket Mode client: the state its parts share. Include it only from
/// socket_mode_*.cpp. The client is split by what each part does to a connection:
///   socket_mode_client.cpp      the public API (SocketModeClient) over this Impl
///   socket_mode_open.cpp        opening one connection (apps.connections.open, TCP, TLS, WebSocket)
///   socket_mode_connection.cpp  Slack's hello, then running it (reader, acks through the writer,
///                               watchdog)
///   socket_mode_supervisor.cpp  the reconnect loop: backoff, refresh and disconnect requests,
///                               make-before-break replacement, lost connections
///   socket_mode_shutdown.cpp    stop(), closing sockets, draining in-flight work
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "bot/slack/coalescing_stream.hpp"
#include "bot/slack/envelope.hpp"
#include "bot/slack/latency_histogram.hpp"
#include "bot/slack/socket_mode_client.hpp"
#include "bot/slack/tls.hpp"

namespace desk::bot::slack {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
inline constexpr auto kTuple = net::as_tuple(net::use_awaitable);

namespace socket_mode {

/// Throws "<step> failed: <reason>" for an error: one way for every step of opening a connection.
inline void check(const boost::system::error_code& ec, const char* step) {
  if (ec) throw std::runtime_error(std::string(step) + " failed: " + ec.message());
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
// The coalescing layer turns a burst of acks into one TLS record and one sendmsg.
using WsStream = websocket::stream<CoalescingStream<TlsStream>>;

// Slow work for an envelope, started once its ack has reached the socket.
struct FollowUp {
  std::function<net::awaitable<void>()> work;
  std::string envelope_id;  // for logs
};

struct Outgoing {
  enum class Kind { text, ping, close } kind;
  std::string data;
  SteadyClock::time_point since{};  // for acks: when the envelope was read
  FollowUp follow_up{};             // for acks: empty when the envelope needs no further work
};

// One WebSocket connection and the state its reader, writer and watchdog share.
struct Conn {
  Conn(const net::any_io_executor& ex, net::ssl::context& tls, std::uint64_t n)
      : id(n), ws(ex, tls), wake(ex, SteadyClock::time_point::max()) {
    // Acks queued while the reader handles frames that already arrived go out together, as soon as
    // the reader has to wait for the network.
    ws.next_layer().on_read_wait([this] {
      if (!outbox.empty()) request_flush();
    });
  }
  // Tells the writer to send what is queued. The writer clears the flag before it sleeps, so a set
  // flag means the writer is awake or about to be.
  void request_flush() {
    if (flush_requested) return;
    flush_requested = true;
    wake.cancel();
  }
  TlsStream& tls() { return ws.next_layer().next_layer(); }
  std::uint64_t id;
  WsStream ws;
  std::deque<Outgoing> outbox;
  std::vector<FollowUp> after_flush;  // follow-ups of acks written into the coalescing layer, not sent yet
  net::steady_timer wake;             // never expires; cancel() wakes the writer (see request_flush)
  SteadyClock::time_point last_rx = SteadyClock::now();
  bool close_queued = false;     // our close frame is queued: no data frame may follow it
  bool retiring = false;         // replaced or closed on purpose: its end is not a failure
  bool finished = false;         // the reader ended and TCP is closed
  bool flush_requested = false;  // the writer should send what is queued
  std::uint64_t pings = 0;
};

// Closing the TCP socket ends every pending operation on the connection at once; it is how a
// connection we give up is guaranteed not to linger as a ghost.
inline void cut(Conn& c) {
  boost::system::error_code ec;
  beast::get_lowest_layer(c.ws).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(c.ws).socket().close(ec);
}

// The first frame was a disconnect instead of hello (thrown while connecting, handled by the
// supervisor).
struct EarlyDisconnect : std::runtime_error {
  explicit EarlyDisconnect(const std::string& r)
      : std::runtime_error("Slack sent disconnect (" + r + ") instead of hello"), reason(r) {}
  std::string reason;
};

}  // namespace socket_mode

struct SocketModeClient::Impl : std::enable_shared_from_this<Impl> {
  using Conn = socket_mode::Conn;
  using Outgoing = socket_mode::Outgoing;
  using FollowUp = socket_mode::FollowUp;

  Impl(net::any_io_executor ex, SocketModeConfig cfg, SlackApi& slack, EnvelopeHandler& handler, DedupeFn dedupe)
      : executor(ex),
        config(std::move(cfg)),
        api(slack),
        dispatcher(handler, std::move(dedupe)),
        tls(config.tls_context ? config.tls_context : make_client_tls_context(config.extra_ca_file)),
        wake(ex, SteadyClock::time_point::max()),
        delay(ex),
        rng(std::random_device{}()) {}

  net::any_io_executor executor;
  SocketModeConfig config;
  SlackApi& api;
  EnvelopeDispatcher dispatcher;
  std::shared_ptr<net::ssl::context> tls;
  net::steady_timer wake;   // never expires; cancel() nudges the supervisor
  net::steady_timer delay;  // backoff sleeps; stop() cancels it
  std::minstd_rand rng;

  std::shared_ptr<Conn> current;
  std::shared_ptr<Conn> connecting;
  std::vector<std::shared_ptr<Conn>> live;  // every socket we hold, current and draining
  bool replace_requested = false;
  bool backoff_pending = false;
  bool stopping = false;
  unsigned attempt = 0;
  std::uint64_t next_conn_id = 0;
  int in_flight = 0;
  SocketModeState state = SocketModeState::starting;
  SocketModeStats stats;
  LatencyHistogram ack_latency;  // envelope read -> ack written: the desk's own share of Slack's 3 s
  std::string stop_reason;
  StopCause stop_cause = StopCause::none;

  void notify() { wake.cancel(); }

  // ---- one connection (socket_mode_connection.cpp) -------------------------------------------
  net::awaitable<std::shared_ptr<Conn>> connect_once();
  net::awaitable<void> await_hello(Conn& c);
  net::awaitable<void> session(std::shared_ptr<Conn> c);
  net::awaitable<void> reader(std::shared_ptr<Conn> c);
  void on_frame(const std::shared_ptr<Conn>& c, std::string_view text, SteadyClock::time_point received);
  void send_text(const std::shared_ptr<Conn>& from, std::string text, SteadyClock::time_point since,
                 FollowUp follow_up);
  void enqueue(Conn& c, Outgoing item);
  net::awaitable<void> writer(std::shared_ptr<Conn> c);
  void release_follow_ups(Conn& c);
  void spawn_follow_up(FollowUp follow_up);
  net::awaitable<void> watchdog(std::shared_ptr<Conn> c);

  // ---- supervisor (socket_mode_supervisor.cpp) -----------------------------------------------
  net::awaitable<void> run();
  net::awaitable<void> try_connect();
  std::chrono::milliseconds next_backoff();
  net::awaitable<void> sleep(std::chrono::milliseconds d);
  void on_disconnect(const std::shared_ptr<Conn>& c, const Disconnect& d);
  void retire(const std::shared_ptr<Conn>& old);
  static net::awaitable<void> drain_then_close(std::shared_ptr<Impl> self, std::shared_ptr<Conn> c);
  void on_session_end(const std::shared_ptr<Conn>& c);

  // ---- shutdown (socket_mode_shutdown.cpp) ---------------------------------------------------
  void stop();
  net::awaitable<void> shutdown();
  net::awaitable<void> wait_change_until(SteadyClock::time_point deadline);
  void begin_close(const std::shared_ptr<Conn>& c);
  static net::awaitable<void> force_close_after(std::shared_ptr<Impl> self, std::shared_ptr<Conn> c,
                                                std::chrono::milliseconds d);
};

}  // namespace desk::bot::slack
