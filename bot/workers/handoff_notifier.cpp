#include "bot/workers/handoff_notifier.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/slack/log.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/pinned_sop.hpp"
#include "handlers/weekly_digest.hpp"

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
  // The handoff first, then the digest: the week's digest follows the notice of its handoff.
  const bool handoff = handlers::announce_duty_handoff(store_, *policy, surfaces_, now);
  if (handoff) slack::log_info("rota.handoff_announced", {{"role", std::string(core::kDutyLeadRole)}});
  const bool digest = handlers::post_weekly_digest(store_, *policy, surfaces_, now);
  if (digest) slack::log_info("digest.posted", {});
  // The config is read at start: a desk restarted on an edited desk.sop posts the new version here.
  const bool sop = handlers::post_pinned_sop(store_, *policy, surfaces_, now);
  if (sop) slack::log_info("sop.posted", {{"digest", handlers::sop_digest(policy->policy().desk.sop)}});
  if ((handoff || digest || sop) && on_enqueued_) on_enqueued_();
  return handoff || digest || sop;
}

std::chrono::milliseconds HandoffNotifier::sleep_after_pass() {
  std::chrono::milliseconds sleep = options_.max_sleep;
  const auto policy = policies_.current();
  if (!policy) return sleep;
  const auto now = clock_.now();
  const auto overrides = store_.overrides_active_after(now);
  auto wake_at = [&](core::TimePoint t) {
    // A second past it: the pass that follows sees the new holder, or the digest due.
    if (t > now) sleep = std::min<std::chrono::milliseconds>(sleep, (t - now) + core::Seconds{1});
  };
  if (const auto next = policy->rota().next_handoff(core::kDutyLeadRole, now, overrides)) wake_at(*next);
  if (const auto digest = handlers::digest_due(policy->policy(), policy->rota(), now)) wake_at(*digest);
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
