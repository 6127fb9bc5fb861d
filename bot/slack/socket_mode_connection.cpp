// One Socket Mode connection once open (socket_mode_open.cpp): Slack's hello, then a session of three
// coroutines: the reader hands each envelope to the dispatcher and queues its ack, the writer sends
// queued acks in batches, the watchdog pings and cuts a silent link. This is the ack path, the desk's
// hot path.
#include <algorithm>
#include <tuple>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include "bot/slack/log.hpp"
#include "bot/slack/socket_mode_impl.hpp"
#include "bot/slack/websocket_frames.hpp"

namespace desk::bot::slack {
namespace {

using net::experimental::awaitable_operators::operator||;

// Ends of a read or write that come with closing a connection, not failures worth a warning.
bool benign(const boost::system::error_code& ec) {
  return ec == net::error::operation_aborted || ec == websocket::error::closed ||
         ec == net::ssl::error::stream_truncated || ec == net::error::eof || ec == beast::errc::not_connected;
}

}  // namespace

net::awaitable<void> SocketModeClient::Impl::await_hello(Conn& c) {
  auto& tcp_stream = beast::get_lowest_layer(c.ws);
  tcp_stream.expires_after(config.hello_timeout);
  beast::flat_buffer buffer;
  auto [ec, n] = co_await c.ws.async_read(buffer, kTuple);
  socket_mode::check(ec, "waiting for hello");
  // From here the WebSocket's own timers apply (beast doc 06_timeouts): close handshake only;
  // liveness is the watchdog's job.
  tcp_stream.expires_never();
  c.ws.set_option(websocket::stream_base::timeout{config.close_grace, websocket::stream_base::none(), false});
  c.ws.read_message_max(config.max_message_bytes);
  c.ws.control_callback([conn = &c](websocket::frame_type, beast::string_view) { conn->last_rx = SteadyClock::now(); });
  c.last_rx = SteadyClock::now();
  auto data = buffer.cdata();
  auto frame = parse_frame(std::string_view(static_cast<const char*>(data.data()), data.size()));
  if (auto* d = std::get_if<Disconnect>(&frame)) throw socket_mode::EarlyDisconnect(d->reason);
  auto* hello = std::get_if<Hello>(&frame);
  if (hello == nullptr) throw std::runtime_error("first frame was not hello");
  stats.last_num_connections = hello->num_connections;
  const int ours = static_cast<int>(live.size()) + 1;
  log_info("socket.connected",
           {{"conn", c.id}, {"num_connections", hello->num_connections}, {"ours", ours}, {"host", hello->host}});
  if (hello->num_connections > ours) {
    // More connections than we hold: a socket we gave up is still open somewhere (a ghost), or
    // another desk process shares the app token.
    log_warn("socket.extra_connections", {{"num_connections", hello->num_connections}, {"ours", ours}});
  }
}

// ---- the session: reading, acking, watching ----------------------------------------------------

net::awaitable<void> SocketModeClient::Impl::session(std::shared_ptr<Conn> c) {
  co_await (reader(c) || writer(c) || watchdog(c));
}

net::awaitable<void> SocketModeClient::Impl::reader(std::shared_ptr<Conn> c) {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await c->ws.async_read(buffer, kTuple);
    if (ec) {
      if (!benign(ec) || !c->retiring) { log_info("socket.read_ended", {{"conn", c->id}, {"error", ec.message()}}); }
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

void SocketModeClient::Impl::on_frame(const std::shared_ptr<Conn>& c, std::string_view text,
                                      SteadyClock::time_point received) {
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

// Acks go on the socket the envelope came from while it can still carry data; after our close
// frame they go on the current socket (Slack accepts acks on any of the app's connections).
void SocketModeClient::Impl::send_text(const std::shared_ptr<Conn>& from, std::string text,
                                       SteadyClock::time_point since, FollowUp follow_up) {
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

void SocketModeClient::Impl::enqueue(Conn& c, Outgoing item) {
  c.outbox.push_back(std::move(item));
  c.request_flush();
}

// Sends the outbox in batches when asked (request_flush): every frame of a batch but the last is
// held by the coalescing layer and the last sends them all, so the queued acks cost one TLS
// record and one sendmsg. Held acks are framed here and appended directly when the layer allows,
// which spares one Beast operation per ack. A batch is what was queued when it began: an ack
// never waits for acks queued after it.
net::awaitable<void> SocketModeClient::Impl::writer(std::shared_ptr<Conn> c) {
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

// Slow work starts only after its ack is on the wire, so it can never delay the ack.
void SocketModeClient::Impl::release_follow_ups(Conn& c) {
  if (c.after_flush.empty()) return;
  auto ready = std::move(c.after_flush);
  c.after_flush.clear();
  for (auto& f : ready) spawn_follow_up(std::move(f));
}

void SocketModeClient::Impl::spawn_follow_up(FollowUp follow_up) {
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
                    } catch (...) { log_error("envelope.follow_up_failed", {{"envelope_id", id}}); }
                  }
                  if (self->stopping) self->notify();
                });
}

// A half-open socket raises no error by itself: ping regularly and cut the link when nothing at
// all (pong, ping, data) has arrived within the idle limit.
net::awaitable<void> SocketModeClient::Impl::watchdog(std::shared_ptr<Conn> c) {
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
      enqueue(*c,
              Outgoing{Outgoing::Kind::ping, "desk-" + std::to_string(c->id) + "-" + std::to_string(++c->pings), {}});
      last_ping = now;
    }
  }
}

}  // namespace desk::bot::slack
