// Stopping Socket Mode gracefully: stop() refuses new envelopes and wakes the supervisor, which
// then closes every socket with a close frame (cutting TCP when Slack does not answer it) and waits,
// within the shutdown budget, for in-flight follow-ups to finish.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "bot/slack/log.hpp"
#include "bot/slack/socket_mode_impl.hpp"

namespace desk::bot::slack {

using net::experimental::awaitable_operators::operator||;  // wait for whichever comes first

void SocketModeClient::Impl::stop() {
  if (stopping) return;
  stopping = true;
  if (stop_cause == StopCause::none) stop_cause = StopCause::requested;
  state = SocketModeState::stopping;
  dispatcher.refuse_new_work();
  delay.cancel();
  if (connecting) cut(*connecting);
  notify();
}

net::awaitable<void> SocketModeClient::Impl::shutdown() {
  state = SocketModeState::stopping;
  stopping = true;
  dispatcher.refuse_new_work();
  if (connecting) cut(*connecting);
  for (auto& c : std::vector(live)) begin_close(c);
  // Finish what is in flight, within the shutdown budget.
  auto deadline = SteadyClock::now() + config.shutdown_timeout;
  while ((in_flight > 0 || !live.empty()) && SteadyClock::now() < deadline) { co_await wait_change_until(deadline); }
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

net::awaitable<void> SocketModeClient::Impl::wait_change_until(SteadyClock::time_point deadline) {
  net::steady_timer timer(executor, deadline);
  co_await (wake.async_wait(kTuple) || timer.async_wait(kTuple));
}

void SocketModeClient::Impl::begin_close(const std::shared_ptr<Conn>& c) {
  if (c->finished || c->close_queued) return;
  c->close_queued = true;
  c->retiring = true;
  enqueue(*c, Outgoing{Outgoing::Kind::close, {}, {}});
  // Slack does not always finish the close handshake; cut TCP after the grace period.
  net::co_spawn(executor, force_close_after(shared_from_this(), c, config.close_grace * 2), net::detached);
}

// Timers that may outlive the session hold the Impl alive themselves.
net::awaitable<void> SocketModeClient::Impl::force_close_after(std::shared_ptr<Impl> self, std::shared_ptr<Conn> c,
                                                               std::chrono::milliseconds d) {
  net::steady_timer timer(self->executor, d);
  co_await timer.async_wait(kTuple);
  if (!c->finished) {
    log_info("socket.close_forced", {{"conn", c->id}});
    cut(*c);
  }
}

}  // namespace desk::bot::slack
