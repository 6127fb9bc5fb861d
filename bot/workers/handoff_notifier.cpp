#include "bot/workers/handoff_notifier.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/slack/log.hpp"
#include "handlers/channel_notices.hpp"

namespace desk::bot {

namespace net = boost::asio;

HandoffNotifier::HandoffNotifier(net::any_io_executor executor, storage::Store& store, PolicyCache& policies,
                                 core::Clock& clock, const handlers::SurfaceNames& surfaces, core::Metrics* metrics,
                                 std::function<void()> on_enqueued, HandoffNotifierOptions options)
    : store_(store),
      policies_(policies),
      clock_(clock),
      surfaces_(surfaces),
      metrics_(metrics),
      on_enqueued_(std::move(on_enqueued)),
      options_(options),
      timer_(std::move(executor)) {}

bool HandoffNotifier::pass() {
  const auto policy = policies_.current();
  if (!policy || surfaces_.empty()) return false;
  const auto now = clock_.now();
  if (!handlers::announce_duty_handoff(store_, *policy, surfaces_, now)) return false;
  slack::log_info("rota.handoff_announced", {{"role", std::string(core::kDutyLeadRole)}});
  if (on_enqueued_) on_enqueued_();
  return true;
}

std::chrono::milliseconds HandoffNotifier::sleep_after_pass() {
  std::chrono::milliseconds sleep = options_.max_sleep;
  const auto policy = policies_.current();
  if (!policy) return sleep;
  const auto now = clock_.now();
  const auto overrides = store_.overrides_active_after(now);
  if (const auto next = policy->rota().next_handoff(core::kDutyLeadRole, now, overrides))
    // A second past the change: the pass that follows sees the new holder.
    sleep = std::min<std::chrono::milliseconds>(sleep, std::max(core::Seconds{0}, *next - now) + core::Seconds{1});
  return sleep;
}

net::awaitable<void> HandoffNotifier::run() {
  while (!stopping_) {
    std::chrono::milliseconds sleep = options_.retry_after_error;
    try {
      pass();
      sleep = sleep_after_pass();
      problem_.clear();
    } catch (const std::exception& e) {
      problem_ = e.what();
      if (metrics_) metrics_->count_worker_error("handoffs");
      slack::log_error(
          "rota.handoff_error",
          {{"error", e.what()}, {"retry_in_s", static_cast<std::int64_t>(options_.retry_after_error.count())}});
    }
    if (stopping_) break;
    timer_.expires_after(sleep);
    co_await timer_.async_wait(net::as_tuple(net::use_awaitable));  // cancelled by poke() or stop()
  }
}

void HandoffNotifier::poke() { timer_.cancel(); }

void HandoffNotifier::stop() {
  stopping_ = true;
  timer_.cancel();
}

std::pair<std::string, bool> HandoffNotifier::health() const {
  if (problem_.empty()) return {"running", true};
  return {"retrying after an error: " + problem_, false};
}

}  // namespace desk::bot
