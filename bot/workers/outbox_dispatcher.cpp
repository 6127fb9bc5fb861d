#include "bot/workers/outbox_dispatcher.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/log.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using Kind = DeliveryOutcome::Kind;

// Rows another process added (`escalation-desk erase` enqueues message updates) poke nobody: look
// at the outbox at least this often even when nothing is due.
constexpr std::chrono::milliseconds kIdleRecheck{30'000};

}  // namespace

OutboxDispatcher::OutboxDispatcher(net::any_io_executor executor, storage::Store& store, core::Clock& clock,
                                   Options options)
    : store_(store),
      clock_(clock),
      options_(options),
      wake_(executor),
      slot_(executor, std::chrono::steady_clock::time_point::max()) {
  options_.batch_size = std::max(1, options_.batch_size);
  options_.concurrency = std::max(1, options_.concurrency);
}

void OutboxDispatcher::add(Deliverer& deliverer) {
  deliverers_[deliverer.surface()] = &deliverer;
  poke();
}

void OutboxDispatcher::poke() { wake_.cancel(); }

void OutboxDispatcher::stop() {
  stopping_ = true;
  wake_.cancel();
  slot_.cancel();
}

std::pair<std::string, bool> OutboxDispatcher::health() const {
  if (problem_.empty()) return {"running", true};
  return {"retrying after an error: " + problem_, false};
}

std::vector<std::string> OutboxDispatcher::ready_surfaces() const {
  std::vector<std::string> out;
  for (const auto& [surface, deliverer] : deliverers_)
    if (deliverer->ready()) out.push_back(surface);
  return out;
}

std::chrono::milliseconds OutboxDispatcher::backoff(int attempts) const {
  return slack::backoff_delay(options_.backoff, static_cast<unsigned>(std::max(0, attempts - 1)),
                              slack::random_jitter());
}

net::awaitable<void> OutboxDispatcher::sleep_for(std::optional<std::chrono::milliseconds> delay) {
  if (delay)
    wake_.expires_after(std::max(std::chrono::milliseconds{0}, *delay));
  else
    wake_.expires_at(std::chrono::steady_clock::time_point::max());
  // Cancelled by poke() or stop(): either way the caller looks again.
  co_await wake_.async_wait(net::as_tuple(net::use_awaitable));
}

net::awaitable<void> OutboxDispatcher::run() {
  int failures = 0;
  while (!stopping_) {
    bool worked = false;
    try {
      // A surface that became ready since the last pass settles its rows in doubt before anything else.
      const auto ready = ready_surfaces();
      if (std::any_of(ready.begin(), ready.end(), [&](const std::string& s) { return !settled_.contains(s); }))
        co_await settle_in_doubt();
      worked = co_await send_due();
      failures = 0;
      problem_.clear();
    } catch (const storage::StorageError& e) { problem_ = e.what(); } catch (const std::exception& e) {
      // Anything else (a bug, a bad row) is survived the same way: the worker never dies of it.
      problem_ = std::string("unexpected: ") + e.what();
    }
    if (!problem_.empty()) {
      const auto delay = backoff(++failures);
      note_problem(problem_, delay, true);
      co_await sleep_for(delay);
      continue;
    }
    if (worked || stopping_) continue;
    std::optional<std::chrono::milliseconds> wait = kIdleRecheck;
    try {
      if (auto next = store_.outbox_next_attempt(ready_surfaces()))
        wait = std::min<std::chrono::milliseconds>(kIdleRecheck, std::max(core::Seconds{0}, *next - clock_.now()));
    } catch (const std::exception& e) {
      // Not knowing when the next row is due: look again soon rather than never.
      wait = backoff(++failures);
      note_problem(e.what(), wait, false);
    }
    co_await sleep_for(wait);
  }
  // The deliverers (and what they use) must outlive every send: the rows in flight settle first.
  co_await wait_for_slot(1);
}

void OutboxDispatcher::note_problem(const std::string& problem, std::optional<std::chrono::milliseconds> retry_in,
                                    bool settle_again) {
  problem_ = problem;
  if (metrics_) metrics_->count_worker_error(worker_);
  // A row may be left `sending` by the failure: settle it like a crash's before going on.
  if (settle_again) settled_.clear();
  slack::log_error("outbox.storage_error",
                   {{"error", problem_}, {"retry_in_ms", static_cast<std::int64_t>(retry_in ? retry_in->count() : 0)}});
}

net::awaitable<void> OutboxDispatcher::wait_for_slot(int busy_below) {
  while (in_flight_ >= busy_below) co_await slot_.async_wait(net::as_tuple(net::use_awaitable));
}

void OutboxDispatcher::send_alongside(storage::OutboxMessage row) {
  const bool in_doubt = mark_sending(row);
  ++in_flight_;
  net::co_spawn(wake_.get_executor(), deliver_and_apply(std::move(row), in_doubt), [this](std::exception_ptr failure) {
    --in_flight_;
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) { note_problem(e.what(), std::nullopt, true); }
    }
    slot_.cancel();
    wake_.cancel();  // the next row of its key may be due now
  });
}

net::awaitable<void> OutboxDispatcher::settle_in_doubt() {
  std::vector<storage::OutboxMessage> rows;
  for (auto& row : store_.outbox_in_doubt()) {
    auto it = deliverers_.find(row.surface);
    if (it == deliverers_.end() || !it->second->ready() || settled_.contains(row.surface)) continue;
    rows.push_back(std::move(row));
  }
  // Every ready surface is settled from here on, whether it had rows in doubt or not.
  for (const auto& surface : ready_surfaces()) settled_.insert(surface);
  if (!rows.empty()) slack::log_info("outbox.in_doubt", {{"rows", rows.size()}});
  for (auto& row : rows) {
    if (stopping_) break;
    co_await send(std::move(row), true);
  }
}

net::awaitable<bool> OutboxDispatcher::send_due() {
  const auto surfaces = ready_surfaces();
  if (surfaces.empty()) co_return false;
  auto rows = store_.outbox_due(clock_.now(), options_.batch_size, surfaces);
  for (auto& row : rows) {
    if (stopping_) break;
    if (options_.concurrency == 1) {
      co_await send(std::move(row), false);
      continue;
    }
    co_await wait_for_slot(options_.concurrency);
    if (stopping_) break;
    send_alongside(std::move(row));
  }
  co_return !rows.empty();
}

bool OutboxDispatcher::mark_sending(storage::OutboxMessage& row) {
  // Committed before the network call: a crash from here on leaves the row in doubt, never pending.
  store_.outbox_mark_sending(row.id, clock_.now());
  ++row.attempts;
  // A row that failed before with a transport error may have reached the far side too.
  return row.attempts > 1;
}

net::awaitable<void> OutboxDispatcher::send(storage::OutboxMessage row, bool in_doubt) {
  in_doubt = mark_sending(row) || in_doubt;
  co_await deliver_and_apply(std::move(row), in_doubt);
}

net::awaitable<void> OutboxDispatcher::deliver_and_apply(storage::OutboxMessage row, bool in_doubt) {
  const DeliveryOutcome outcome = co_await attempt(*deliverers_.at(row.surface), row, in_doubt);
  apply(row, outcome);
}

net::awaitable<DeliveryOutcome> OutboxDispatcher::attempt(Deliverer& deliverer, storage::OutboxMessage row,
                                                          bool in_doubt) {
  std::string problem;
  try {
    co_return co_await deliverer.deliver(std::move(row), in_doubt);
  } catch (const storage::StorageError&) {
    throw;  // run() settles the row after a storage failure
  } catch (const std::exception& e) {
    // A bug in one row's rendering must not stop the outbox; the row fails loudly instead.
    problem = std::string("internal error: ") + e.what();
  }
  co_return DeliveryOutcome::fail(std::move(problem));
}

void OutboxDispatcher::apply(const storage::OutboxMessage& row, const DeliveryOutcome& outcome) {
  const core::TimePoint now = clock_.now();
  if (outcome.kind == Kind::sent) {
    store_.outbox_mark_sent(row.id, outcome.result_json.empty() ? "{}" : outcome.result_json, now);
    slack::log_debug(
        "outbox.sent",
        {{"id", row.id}, {"surface", row.surface}, {"kind", row.kind}, {"escalation_id", row.escalation_id}});
    return;
  }
  std::int64_t retry_in_s = -1;
  if (outcome.kind == Kind::retry) {
    // At least a second ahead (the store counts whole seconds), so no retry can spin.
    const auto backed_off = now + std::chrono::ceil<core::Seconds>(backoff(row.attempts));
    const core::TimePoint at = std::max(now + core::Seconds{1}, outcome.retry_at.value_or(backed_off));
    store_.outbox_retry(row.id, at, outcome.detail);
    retry_in_s = (at - now).count();
  } else {
    store_.outbox_fail(row.id, outcome.detail);
  }
  // Never the payload: it may hold agent output or personal data. The error names what went wrong.
  slack::log(retry_in_s >= 0 ? slack::LogLevel::warn : slack::LogLevel::error,
             retry_in_s >= 0 ? "outbox.retry" : "outbox.failed",
             {{"id", row.id},
              {"surface", row.surface},
              {"kind", row.kind},
              {"escalation_id", row.escalation_id},
              {"attempts", row.attempts},
              {"retry_in_s", retry_in_s},
              {"error", outcome.detail}});
}

}  // namespace desk::bot
