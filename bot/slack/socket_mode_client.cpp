// The public face of the Socket Mode client: SocketModeClient forwards to its Impl (declared in
// socket_mode_impl.hpp), whose parts live in socket_mode_connection.cpp (one connection),
// socket_mode_supervisor.cpp (reconnecting) and socket_mode_shutdown.cpp (stopping).
#include "bot/slack/socket_mode_client.hpp"

#include "bot/slack/socket_mode_impl.hpp"

namespace desk::bot::slack {

const char* to_string(SocketModeState state) {
  switch (state) {
    case SocketModeState::starting:
      return "starting";
    case SocketModeState::connected:
      return "connected";
    case SocketModeState::reconnecting:
      return "reconnecting";
    case SocketModeState::stopping:
      return "stopping";
    case SocketModeState::stopped:
      return "stopped";
  }
  return "unknown";
}

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
