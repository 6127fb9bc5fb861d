#include "bot/slack/socket_mode_client.hpp"

#include <algorithm>
#include <deque>
#include <random>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "bot/slack/coalescing_stream.hpp"
#include "bot/slack/latency_histogram.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/tls.hpp"
#include "bot/slack/url.hpp"
#include "bot/slack/websocket_frames.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using net::experimental::awaitable_operators::operator||;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

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
  net::steady_timer wake;  // never expires; cancel() wakes the writer (see request_flush)
  SteadyClock::time_point last_rx = SteadyClock::now();
  bool close_queued = false;  // our close frame is queued: no data frame may follow it
  bool retiring = false;      // replaced or closed on purpose: its end is not a failure
  bool finished = false;      // the reader ended and TCP is closed
  bool flush_requested = false;  // the writer should send what is queued
  std::uint64_t pings = 0;
};

// Closing the TCP socket ends every pending operation on the connection at once; it is how a
// connection we give up is guaranteed not to linger as a ghost.
void cut(Conn& c) {
  boost::system::error_code ec;
  beast::get_lowest_layer(c.ws).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(c.ws).socket().close(ec);
}

bool benign(const boost::system::error_code& ec) {
  return ec == net::error::operation_aborted || ec == websocket::error::closed ||
         ec == net::ssl::error::stream_truncated || ec == net::error::eof ||
         ec == beast::errc::not_connected;
}

// App-token errors that no amount of retrying will fix (the Node SDK stops on the same list).
bool is_fatal_open_error(const std::string& error) {
  return error == "invalid_auth" || error == "not_authed" || error == "account_inactive" ||
         error == "token_revoked" || error == "token_expired" || error == "team_disabled" ||
         error == "user_removed_from_team" || error == "missing_scope" || error == "forbidden_team";
}

// The first frame was a disconnect instead of hello.
struct EarlyDisconnect : std::runtime_error {
  explicit EarlyDisconnect(const std::string& r)
      : std::runtime_error("Slack sent disconnect (" + r + ") instead of hello"), reason(r) {}
  std::string reason;
};

std::string link_disabled_reason() {
  return "Socket Mode is turned off for this app (disconnect reason link_disabled): turn it on under "
         "App settings -> Socket Mode, then restart the desk";
}

}  // namespace

const char* to_string(SocketModeState state) {
  switch (state) {
    case SocketModeState::starting: return "starting";
    case SocketModeState::connected: return "connected";
    case SocketModeState::reconnecting: return "reconnecting";
    case SocketModeState::stopping: return "stopping";
    case SocketModeState::stopped: return "stopped";
  }
  return "unknown";
}

struct SocketModeClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(net::any_io_executor ex, SocketModeConfig cfg, SlackApi& slack, EnvelopeHandler& handler,
       DedupeFn dedupe)
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

  std::chrono::milliseconds next_backoff() {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    return backoff_delay(config.backoff, attempt++, unit(rng));
  }

  // Backoff sleeps. stop() cancels one in progress; one that would start after stop() (a connect
  // attempt that was under way when stop() came) is skipped.
  net::awaitable<void> sleep(std::chrono::milliseconds d) {
    if (stopping) co_return;
    delay.expires_after(d);
    co_await delay.async_wait(kTuple);
  }

  // ---- sending -------------------------------------------------------------------------------

  void enqueue(Conn& c, Outgoing item) {
    c.outbox.push_back(std::move(item));
    c.request_flush();
  }

  // Acks go on the socket the envelope came from while it can still carry data; after our close
  // frame they go on the current socket (Slack accepts acks on any of the app's connections).
  void send_text(const std::shared_ptr<Conn>& from, std::string text, SteadyClock::time_point since,
                 FollowUp follow_up) {
    Conn* target = from.get();
    if (target->close_queued || target->finished) {
      target = (current && !current->close_queued && !current->finished) ? current.get() : nullptr;
    }
    if (target == nullptr) {
      log_warn("socket.ack_dropped", {{"conn", from->id}, {"reason", "no open connection"}});
      spawn_follow_up(std::move(follow_up));
      return;
    }
    target->outbox.push_back(Outgoing{Outgoing::Kind::text, std::move(text), since, std::move(follow_up)});
    // An ack for the socket whose reader is running waits until that reader has handled every frame
    // already received (on_read_wait), so that they all go out together.
    if (target != from.get()) target->request_flush();
  }

  void begin_close(const std::shared_ptr<Conn>& c) {
    if (c->finished || c->close_queued) return;
    c->close_queued = true;
    c->retiring = true;
    enqueue(*c, Outgoing{Outgoing::Kind::close, {}, {}});
    // Slack does not always finish the close handshake; cut TCP after the grace period.
    net::co_spawn(executor, force_close_after(shared_from_this(), c, config.close_grace * 2), net::detached);
  }

  // Timers that may outlive the session hold the Impl alive themselves.
  static net::awaitable<void> force_close_after(std::shared_ptr<Impl> self, std::shared_ptr<Conn> c,
                                                std::chrono::milliseconds d) {
    net::steady_timer timer(self->executor, d);
    co_await timer.async_wait(kTuple);
    if (!c->finished) {
      log_info("socket.close_forced", {{"conn", c->id}});
      cut(*c);
    }
  }

  // Make-before-break: the old socket keeps reading (and acking) for the drain period, then closes.
  void retire(const std::shared_ptr<Conn>& old) {
    old->retiring = true;
    net::co_spawn(executor, drain_then_close(shared_from_this(), old), net::detached);
  }

  static net::awaitable<void> drain_then_close(std::shared_ptr<Impl> self, std::shared_ptr<Conn> c) {
    net::steady_timer timer(self->executor, self->config.drain_period);
    co_await timer.async_wait(kTuple);
    self->begin_close(c);
  }

  // ---- one connection ------------------------------------------------------------------------

  void on_disconnect(const std::shared_ptr<Conn>& c, const Disconnect& d) {
    log_info("socket.disconnect_requested", {{"conn", c->id}, {"reason", d.reason}});
    if (c != current || c->retiring) return;  // an old socket: already being replaced
    c->retiring = true;
    if (d.reason == "link_disabled") {
      stop_reason = link_disabled_reason();
      stop_cause = StopCause::link_disabled;
    } else {
      replace_requested = true;
      if (d.reason == "warning" || d.reason == "refresh_requested") {
        ++stats.refreshes;
      } else {
        backoff_pending = true;  // too_many_websockets and unknown reasons: do not rush back
      }
    }
    notify();
  }

  void on_frame(const std::shared_ptr<Conn>& c, std::string_view text, SteadyClock::time_point received) {
    auto result = dispatcher.on_text(text);
    FollowUp follow_up{std::move(result.follow_up), std::move(result.envelope_id)};
    if (result.ack) {
      send_text(c, std::move(*result.ack), received, std::move(follow_up));
    } else {
      spawn_follow_up(std::move(follow_up));
    }
    if (result.hello) stats.last_num_connections = result.hello->num_connections;
    if (result.disconnect) on_disconnect(c, *result.disconnect);
  }

  void spawn_follow_up(FollowUp follow_up) {
    if (!follow_up.work) return;
    ++in_flight;
    net::co_spawn(executor, std::move(follow_up.work),
                  [self = shared_from_this(), id = std::move(follow_up.envelope_id)](std::exception_ptr e) {
                    --self->in_flight;
                    if (e) {
                      ++self->stats.follow_up_errors;
                      try {
                        std::rethrow_exception(e);
                      } catch (const std::exception& x) {
                        log_error("envelope.follow_up_failed", {{"envelope_id", id}, {"error", x.what()}});
                      } catch (...) {
                        log_error("envelope.follow_up_failed", {{"envelope_id", id}});
                      }
                    }
                    if (self->stopping) self->notify();
                  });
  }

  net::awaitable<void> reader(std::shared_ptr<Conn> c) {
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await c->ws.async_read(buffer, kTuple);
      if (ec) {
        if (!benign(ec) || !c->retiring) {
          log_info("socket.read_ended", {{"conn", c->id}, {"error", ec.message()}});
        }
        break;
      }
      const auto received = SteadyClock::now();
      c->last_rx = received;
      if (!c->ws.got_text()) {
        ++stats.dispatch.garbage;
        log_warn("socket.garbage_frame", {{"conn", c->id}, {"reason", "binary frame"}, {"bytes", n}});
      } else {
        auto data = buffer.cdata();
        on_frame(c, std::string_view(static_cast<const char*>(data.data()), data.size()), received);
      }
      buffer.consume(buffer.size());
    }
    cut(*c);
  }

  // Sends the outbox in batches when asked (request_flush): every frame of a batch but the last is
  // held by the coalescing layer and the last sends them all, so the queued acks cost one TLS
  // record and one sendmsg. Held acks are framed here and appended directly when the layer allows,
  // which spares one Beast operation per ack. A batch is what was queued when it began: an ack
  // never waits for acks queued after it.
  net::awaitable<void> writer(std::shared_ptr<Conn> c) {
    auto& coalescer = c->ws.next_layer();
    std::vector<SteadyClock::time_point> unflushed;  // read times of acks written but still held
    MaskingKeys masks;
    MaskingKey mask{};
    for (;;) {
      if (!c->flush_requested || c->outbox.empty()) {
        c->flush_requested = false;
        co_await c->wake.async_wait(kTuple);
        auto cs = co_await net::this_coro::cancellation_state;
        if (cs.cancelled() != net::cancellation_type::none) co_return;
        continue;
      }
      c->flush_requested = false;
      for (auto batch = c->outbox.size(); batch > 0; --batch) {
        Outgoing item = std::move(c->outbox.front());
        c->outbox.pop_front();
        // Kept on the connection, not this frame, so that a cancelled write still releases it.
        if (item.follow_up.work) c->after_flush.push_back(std::move(item.follow_up));
        boost::system::error_code ec;
        if (item.kind == Outgoing::Kind::text && batch > 1 && c->ws.is_open() &&
            coalescer.can_append(text_frame_size(item.data.size(), true)) && masks.next(mask)) {
          coalescer.append(text_frame_size(item.data.size(), true),
                           [&](unsigned char* out) { write_text_frame(item.data, &mask, out); });
          ++stats.acks_sent;
          if (item.since != SteadyClock::time_point{}) unflushed.push_back(item.since);
          continue;  // the batch's last frame, written through Beast, takes it out
        }
        if (item.kind == Outgoing::Kind::text) {
          if (batch > 1) coalescer.hold_next_write();
          std::tie(ec, std::ignore) = co_await c->ws.async_write(net::buffer(item.data), kTuple);
          coalescer.cancel_hold();
          if (!ec) {
            ++stats.acks_sent;
            if (item.since != SteadyClock::time_point{}) unflushed.push_back(item.since);
          }
        } else if (item.kind == Outgoing::Kind::ping) {
          std::tie(ec) = co_await c->ws.async_ping(websocket::ping_data(item.data.c_str()), kTuple);
        } else {
          std::tie(ec) = co_await c->ws.async_close(websocket::close_code::normal, kTuple);
        }
        if (ec) {
          if (!benign(ec)) log_warn("socket.write_failed", {{"conn", c->id}, {"error", ec.message()}});
          cut(*c);
          co_return;
        }
        if (coalescer.held_bytes() == 0) {
          // The desk's own ack time ends when the ack reaches the socket, not the holding buffer.
          const auto now = SteadyClock::now();
          for (auto since : unflushed) ack_latency.record(now - since);
          unflushed.clear();
          release_follow_ups(*c);
        }
      }
    }
  }

  // A half-open socket raises no error by itself: ping regularly and cut the link when nothing at
  // all (pong, ping, data) has arrived within the idle limit.
  net::awaitable<void> watchdog(std::shared_ptr<Conn> c) {
    net::steady_timer timer(executor);
    const auto tick = std::max(std::chrono::milliseconds{1}, std::min(config.ping_interval, config.idle_limit / 4));
    auto last_ping = SteadyClock::now();
    for (;;) {
      timer.expires_after(tick);
      auto [ec] = co_await timer.async_wait(kTuple);
      if (ec) co_return;
      const auto now = SteadyClock::now();
      if (now - c->last_rx > config.idle_limit) {
        ++stats.stale_detected;
        auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(now - c->last_rx).count();
        log_warn("socket.stale", {{"conn", c->id}, {"silent_ms", static_cast<long>(silent)}});
        cut(*c);
        co_return;
      }
      if (now - last_ping >= config.ping_interval && !c->close_queued) {
        enqueue(*c, Outgoing{Outgoing::Kind::ping, "desk-" + std::to_string(c->id) + "-" + std::to_string(++c->pings), {}});
        last_ping = now;
      }
    }
  }

  net::awaitable<void> session(std::shared_ptr<Conn> c) {
    co_await (reader(c) || writer(c) || watchdog(c));
  }

  // Slow work starts only after its ack is on the wire, so it can never delay the ack.
  void release_follow_ups(Conn& c) {
    if (c.after_flush.empty()) return;
    auto ready = std::move(c.after_flush);
    c.after_flush.clear();
    for (auto& f : ready) spawn_follow_up(std::move(f));
  }

  void on_session_end(const std::shared_ptr<Conn>& c) {
    c->finished = true;
    cut(*c);
    // Acks that never made it out: Slack redelivers those envelopes, but dedupe has already seen
    // them, so the work must happen now or never.
    for (auto& item : c->outbox) {
      if (item.follow_up.work) c->after_flush.push_back(std::move(item.follow_up));
    }
    c->outbox.clear();
    release_follow_ups(*c);
    live.erase(std::remove(live.begin(), live.end(), c), live.end());
    stats.open_sockets = static_cast<int>(live.size());
    if (c == current && !c->retiring && !stopping) {
      backoff_pending = true;  // an unplanned loss: wait before trying again, never a storm
      log_warn("socket.lost", {{"conn", c->id}});
    }
    notify();
  }

  // ---- connecting ----------------------------------------------------------------------------

  static void check(boost::system::error_code ec, const char* step) {
    if (ec) throw std::runtime_error(std::string(step) + " failed: " + ec.message());
  }

  net::awaitable<std::shared_ptr<Conn>> connect_once() {
    auto link = co_await api.apps_connections_open(config.app_token);
    if (config.debug_reconnects) link += (link.find('?') == std::string::npos ? "?" : "&") + std::string("debug_reconnects=true");
    auto url = parse_url(link);
    if (!url || url->scheme != "wss") throw std::runtime_error("apps.connections.open gave a URL that is not wss://");
    auto c = std::make_shared<Conn>(executor, *tls, ++next_conn_id);
    connecting = c;
    auto& tcp_stream = beast::get_lowest_layer(c->ws);
    tcp::resolver resolver(executor);
    auto [rec, endpoints] = co_await resolver.async_resolve(url->host, url->port, kTuple);
    check(rec, "resolve");
    tcp_stream.expires_after(config.connect_timeout);
    auto [cec, endpoint] = co_await tcp_stream.async_connect(endpoints, kTuple);
    check(cec, "connect");
    tcp_stream.socket().set_option(tcp::no_delay(true));
    if (!configure_tls_peer(c->tls(), url->host, url->host_is_ip)) {
      throw std::runtime_error("cannot set the TLS peer name");
    }
    tcp_stream.expires_after(config.connect_timeout);
    auto [tec] = co_await c->tls().async_handshake(net::ssl::stream_base::client, kTuple);
    check(tec, "TLS handshake");
    c->ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "escalation-desk/0.1");
    }));
    tcp_stream.expires_after(config.connect_timeout);
    auto [wec] = co_await c->ws.async_handshake(url->host_header(), url->target, kTuple);
    check(wec, "WebSocket handshake");
    co_await await_hello(*c);
    connecting.reset();
    co_return c;
  }

  net::awaitable<void> await_hello(Conn& c) {
    auto& tcp_stream = beast::get_lowest_layer(c.ws);
    tcp_stream.expires_after(config.hello_timeout);
    beast::flat_buffer buffer;
    auto [ec, n] = co_await c.ws.async_read(buffer, kTuple);
    check(ec, "waiting for hello");
    // From here the WebSocket's own timers apply (beast doc 06_timeouts): close handshake only;
    // liveness is the watchdog's job.
    tcp_stream.expires_never();
    c.ws.set_option(websocket::stream_base::timeout{config.close_grace, websocket::stream_base::none(), false});
    c.ws.read_message_max(config.max_message_bytes);
    c.ws.control_callback([conn = &c](websocket::frame_type, beast::string_view) { conn->last_rx = SteadyClock::now(); });
    c.last_rx = SteadyClock::now();
    auto data = buffer.cdata();
    auto frame = parse_frame(std::string_view(static_cast<const char*>(data.data()), data.size()));
    if (auto* d = std::get_if<Disconnect>(&frame)) throw EarlyDisconnect(d->reason);
    auto* hello = std::get_if<Hello>(&frame);
    if (hello == nullptr) throw std::runtime_error("first frame was not hello");
    stats.last_num_connections = hello->num_connections;
    const int ours = static_cast<int>(live.size()) + 1;
    log_info("socket.connected", {{"conn", c.id}, {"num_connections", hello->num_connections},
                                  {"ours", ours}, {"host", hello->host}});
    if (hello->num_connections > ours) {
      // More connections than we hold: a socket we gave up is still open somewhere (a ghost), or
      // another desk process shares the app token.
      log_warn("socket.extra_connections", {{"num_connections", hello->num_connections}, {"ours", ours}});
    }
  }

  net::awaitable<void> try_connect() {
    state = current ? SocketModeState::reconnecting : state;
    std::string failure;
    try {
      auto c = co_await connect_once();
      attempt = 0;
      ++stats.connections_opened;
      live.push_back(c);
      stats.open_sockets = static_cast<int>(live.size());
      auto old = current;
      current = c;
      replace_requested = false;
      backoff_pending = false;
      state = SocketModeState::connected;
      net::co_spawn(executor, session(c), [self = shared_from_this(), c](std::exception_ptr) {
        self->on_session_end(c);
      });
      if (old && !old->finished) retire(old);
      if (stopping) begin_close(c);
      co_return;
    } catch (const SlackApiError& e) {
      if (is_fatal_open_error(e.error())) {
        stop_reason = "the app-level token was refused by apps.connections.open (" + e.error() +
                      "): set SLACK_APP_TOKEN to a token from App settings -> Basic Information -> "
                      "App-Level Tokens with the connections:write scope";
        stop_cause = StopCause::app_token_refused;
        co_return;
      }
      failure = e.what();
    } catch (const EarlyDisconnect& e) {
      if (e.reason == "link_disabled") {
        stop_reason = link_disabled_reason();
        stop_cause = StopCause::link_disabled;
        co_return;
      }
      failure = e.what();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (connecting) cut(*connecting);
    connecting.reset();
    ++stats.connect_failures;
    state = SocketModeState::reconnecting;
    auto wait = next_backoff();
    log_warn("socket.connect_failed", {{"error", failure}, {"attempt", attempt}, {"retry_in_ms", static_cast<long>(wait.count())}});
    co_await sleep(wait);
  }

  // ---- supervisor ----------------------------------------------------------------------------

  net::awaitable<void> run() {
    while (!stopping && stop_reason.empty()) {
      const bool healthy = current && !current->finished && !replace_requested;
      if (healthy) {
        co_await wake.async_wait(kTuple);
        continue;
      }
      if (backoff_pending) {
        backoff_pending = false;
        state = SocketModeState::reconnecting;
        co_await sleep(next_backoff());
        continue;
      }
      co_await try_connect();
    }
    if (!stop_reason.empty()) log_error("socket.giving_up", {{"reason", stop_reason}});
    co_await shutdown();
  }

  net::awaitable<void> wait_change_until(SteadyClock::time_point deadline) {
    net::steady_timer timer(executor, deadline);
    co_await (wake.async_wait(kTuple) || timer.async_wait(kTuple));
  }

  net::awaitable<void> shutdown() {
    state = SocketModeState::stopping;
    stopping = true;
    dispatcher.refuse_new_work();
    if (connecting) cut(*connecting);
    for (auto& c : std::vector(live)) begin_close(c);
    // Finish what is in flight, within the shutdown budget.
    auto deadline = SteadyClock::now() + config.shutdown_timeout;
    while ((in_flight > 0 || !live.empty()) && SteadyClock::now() < deadline) {
      co_await wait_change_until(deadline);
    }
    if (in_flight > 0 || !live.empty()) {
      log_warn("socket.shutdown_timeout", {{"in_flight", in_flight}, {"open_sockets", static_cast<int>(live.size())}});
      for (auto& c : std::vector(live)) cut(*c);
      auto grace = SteadyClock::now() + config.close_grace;
      while (!live.empty() && SteadyClock::now() < grace) co_await wait_change_until(grace);
    }
    current.reset();
    state = SocketModeState::stopped;
    log_info("socket.stopped", {{"acks_sent", static_cast<long>(stats.acks_sent)},
                                {"ack_p50_us", static_cast<long>(ack_latency.percentile(0.5).count())},
                                {"ack_p99_us", static_cast<long>(ack_latency.percentile(0.99).count())},
                                {"ack_max_us", static_cast<long>(ack_latency.max().count())}});
  }

  void stop() {
    if (stopping) return;
    stopping = true;
    if (stop_cause == StopCause::none) stop_cause = StopCause::requested;
    state = SocketModeState::stopping;
    dispatcher.refuse_new_work();
    delay.cancel();
    if (connecting) cut(*connecting);
    notify();
  }
};

SocketModeClient::SocketModeClient(net::any_io_executor executor, SocketModeConfig config, SlackApi& api,
                                   EnvelopeHandler& handler, DedupeFn dedupe)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(config), api, handler, std::move(dedupe))) {}

SocketModeClient::~SocketModeClient() = default;

net::awaitable<void> SocketModeClient::run() {
  auto self = impl_;
  co_await self->run();
}

void SocketModeClient::stop() { impl_->stop(); }

SocketModeState SocketModeClient::state() const { return impl_->state; }

SocketModeStats SocketModeClient::stats() const {
  auto s = impl_->stats;
  const auto& d = impl_->dispatcher.counters();
  s.dispatch.envelopes = d.envelopes;
  s.dispatch.duplicates = d.duplicates;
  s.dispatch.handler_errors = d.handler_errors;
  s.dispatch.ack_only = d.ack_only;
  s.dispatch.garbage += d.garbage;
  s.dispatch.refused = d.refused;
  s.ack_p50 = impl_->ack_latency.percentile(0.5);
  s.ack_p99 = impl_->ack_latency.percentile(0.99);
  s.ack_max = impl_->ack_latency.max();
  return s;
}

const std::string& SocketModeClient::stop_reason() const { return impl_->stop_reason; }

StopCause SocketModeClient::stop_cause() const { return impl_->stop_cause; }

}  // namespace desk::bot::slack
