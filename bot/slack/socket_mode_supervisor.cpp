// The Socket Mode supervisor: the loop that keeps one healthy connection. It connects, backs off
// after a failure or an unplanned loss (never a reconnect storm), replaces a connection Slack asks
// to refresh make-before-break (the old one drains while the new one takes over), and gives up only
// when retrying cannot help (Socket Mode switched off, the app token refused).
#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "bot/slack/log.hpp"
#include "bot/slack/socket_mode_impl.hpp"

namespace desk::bot::slack {
namespace {

// App-token errors that no amount of retrying will fix (the Node SDK stops on the same list).
bool is_fatal_open_error(const std::string& error) {
  return error == "invalid_auth" || error == "not_authed" || error == "account_inactive" || error == "token_revoked" ||
         error == "token_expired" || error == "team_disabled" || error == "user_removed_from_team" ||
         error == "missing_scope" || error == "forbidden_team";
}

std::string link_disabled_reason() {
  return "Socket Mode is turned off for this app (disconnect reason link_disabled): turn it on under "
         "App settings -> Socket Mode, then restart the desk";
}

}  // namespace

net::awaitable<void> SocketModeClient::Impl::run() {
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

net::awaitable<void> SocketModeClient::Impl::try_connect() {
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
    net::co_spawn(executor, session(c),
                  [self = shared_from_this(), c](std::exception_ptr) { self->on_session_end(c); });
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
  } catch (const socket_mode::EarlyDisconnect& e) {
    if (e.reason == "link_disabled") {
      stop_reason = link_disabled_reason();
      stop_cause = StopCause::link_disabled;
      co_return;
    }
    failure = e.what();
  } catch (const std::exception& e) { failure = e.what(); }
  if (connecting) cut(*connecting);
  connecting.reset();
  ++stats.connect_failures;
  state = SocketModeState::reconnecting;
  auto wait = next_backoff();
  log_warn("socket.connect_failed",
           {{"error", failure}, {"attempt", attempt}, {"retry_in_ms", static_cast<long>(wait.count())}});
  co_await sleep(wait);
}

std::chrono::milliseconds SocketModeClient::Impl::next_backoff() {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  return backoff_delay(config.backoff, attempt++, unit(rng));
}

// Backoff sleeps. stop() cancels one in progress; one that would start after stop() (a connect
// attempt that was under way when stop() came) is skipped.
net::awaitable<void> SocketModeClient::Impl::sleep(std::chrono::milliseconds d) {
  if (stopping) co_return;
  delay.expires_after(d);
  co_await delay.async_wait(kTuple);
}

void SocketModeClient::Impl::on_disconnect(const std::shared_ptr<Conn>& c, const Disconnect& d) {
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

// Make-before-break: the old socket keeps reading (and acking) for the drain period, then closes.
void SocketModeClient::Impl::retire(const std::shared_ptr<Conn>& old) {
  old->retiring = true;
  net::co_spawn(executor, drain_then_close(shared_from_this(), old), net::detached);
}

net::awaitable<void> SocketModeClient::Impl::drain_then_close(std::shared_ptr<Impl> self, std::shared_ptr<Conn> c) {
  net::steady_timer timer(self->executor, self->config.drain_period);
  co_await timer.async_wait(kTuple);
  self->begin_close(c);
}

void SocketModeClient::Impl::on_session_end(const std::shared_ptr<Conn>& c) {
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

}  // namespace desk::bot::slack
