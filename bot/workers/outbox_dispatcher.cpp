#include "bot/workers/outbox_dispatcher.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/log.hpp"
#include "bot/workers/store_thread.hpp"

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

void OutboxDispatcher::poke() {
  // Remembered as well as cancelled: a poke that comes while run() waits for the store thread, not
  // on wake_, must still cut its next sleep short.
  poked_ = true;
  wake_.cancel();
}

void OutboxDispatcher::stop() {
  stopping_ = true;
  poke();
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
  if (std::exchange(poked_, false) || stopping_) co_return;  // told to look again since this pass began
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
    poked_ = false;  // this pass looks at everything as it is now
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
      const auto surfaces = ready_surfaces();
      auto next_attempt = [&] { return store_.outbox_next_attempt(surfaces); };
      if (auto next = co_await on_store(store_thread_, next_attempt))
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

void OutboxDispatcher::deliver_alongside(storage::OutboxMessage row, bool in_doubt) {
  ++in_flight_;
  net::co_spawn(wake_.get_executor(), deliver_and_settle(std::move(row), in_doubt), [this](std::exception_ptr failure) {
    --in_flight_;
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) { note_problem(e.what(), std::nullopt, true); }
    }
    slot_.cancel();
    poke();  // the next row of its key may be due now
  });
}

net::awaitable<void> OutboxDispatcher::settle_in_doubt() {
  std::vector<storage::OutboxMessage> rows;
  auto in_doubt = [&] { return store_.outbox_in_doubt(); };
  for (auto& row : co_await on_store(store_thread_, in_doubt)) {
    auto it = deliverers_.find(row.surface);
    if (it == deliverers_.end() || !it->second->ready() || settled_.contains(row.surface)) continue;
    rows.push_back(std::move(row));
  }
  // Every ready surface is settled from here on, whether it had rows in doubt or not.
  for (const auto& surface : ready_surfaces()) settled_.insert(surface);
  if (!rows.empty()) slack::log_info("outbox.in_doubt", {{"rows", rows.size()}});
  // One at a time and before anything new: each may need a look-up on its surface first. A row
  // claimed by a pass before a storage failure is among them, still `sending`.
  for (auto& row : rows) {
    if (stopping_) break;
    co_await wait_for_slot(1);
    const auto now = clock_.now();
    auto mark = [&] { store_.outbox_mark_sending(row.id, now); };
    co_await on_store(store_thread_, mark);
    ++row.attempts;
    deliver_alongside(std::move(row), true);
  }
  co_await wait_for_slot(1);
}

net::awaitable<bool> OutboxDispatcher::send_due() {
  const auto surfaces = ready_surfaces();
  if (surfaces.empty()) co_return false;
  co_await wait_for_slot(options_.concurrency);
  if (stopping_) co_return false;
  // Claimed (committed as sending) before any network call: a crash from here on leaves each row in
  // doubt, never pending. Only as many as can go now, so a crash leaves few to look up.
  const int room = std::min(options_.batch_size, options_.concurrency - in_flight_);
  const auto now = clock_.now();
  auto claim = [&] { return store_.outbox_claim(now, room, surfaces); };
  auto rows = co_await on_store(store_thread_, claim);
  const bool claimed = !rows.empty();
  for (auto& row : rows) {
    // A row that failed before with a transport error may have reached the far side too.
    const bool in_doubt = row.attempts > 1;
    deliver_alongside(std::move(row), in_doubt);
  }
  co_return claimed;
}

net::awaitable<void> OutboxDispatcher::deliver_and_settle(storage::OutboxMessage row, bool in_doubt) {
  const DeliveryOutcome outcome = co_await attempt(*deliverers_.at(row.surface), row, in_doubt);
  const storage::OutboxSettlement settled = settlement_of(row, outcome);
  const std::string problem = co_await settle(settled);
  log_settled(row, settled, problem);
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

storage::OutboxSettlement OutboxDispatcher::settlement_of(const storage::OutboxMessage& row,
                                                          const DeliveryOutcome& outcome) const {
  const core::TimePoint now = clock_.now();
  storage::OutboxSettlement s;
  s.id = row.id;
  s.at = now;
  if (outcome.kind == Kind::sent) {
    s.outcome = storage::OutboxSettlement::Outcome::sent;
    s.result_json = outcome.result_json.empty() ? "{}" : outcome.result_json;
    s.message = outcome.message;
    return s;
  }
  s.error = outcome.detail;
  if (outcome.kind == Kind::retry) {
    // At least a second ahead (the store counts whole seconds), so no retry can spin.
    const auto backed_off = now + std::chrono::ceil<core::Seconds>(backoff(row.attempts));
    s.outcome = storage::OutboxSettlement::Outcome::retry;
    s.at = std::max(now + core::Seconds{1}, outcome.retry_at.value_or(backed_off));
  } else {
    s.outcome = storage::OutboxSettlement::Outcome::fail;
  }
  return s;
}

net::awaitable<std::string> OutboxDispatcher::settle(storage::OutboxSettlement settlement) {
  if (!open_batch_) open_batch_ = std::make_shared<SettleBatch>(wake_.get_executor());
  const auto batch = open_batch_;
  const std::size_t index = batch->rows.size();
  batch->rows.push_back(std::move(settlement));
  if (!settling_) {
    // This delivery writes its batch, and every batch that fills meanwhile, until none is left.
    settling_ = true;
    while (open_batch_) {
      const auto writing = std::exchange(open_batch_, nullptr);
      try {
        auto write = [&] { return store_.outbox_settle(writing->rows); };
        writing->problems = co_await on_store(store_thread_, write);
      } catch (...) { writing->failure = std::current_exception(); }
      writing->done = true;
      writing->written.cancel();
    }
    settling_ = false;
  }
  while (!batch->done) co_await batch->written.async_wait(net::as_tuple(net::use_awaitable));
  if (batch->failure) std::rethrow_exception(batch->failure);
  co_return index < batch->problems.size() ? batch->problems[index] : std::string("the store did not answer for it");
}

void OutboxDispatcher::log_settled(const storage::OutboxMessage& row, const storage::OutboxSettlement& settled,
                                   const std::string& problem) const {
  if (!problem.empty()) {
    // Its state moved on without this attempt (e.g. failed by an operator meanwhile): nothing to undo.
    slack::log_warn("outbox.settle_skipped", {{"id", row.id}, {"surface", row.surface}, {"error", problem}});
    return;
  }
  if (settled.outcome == storage::OutboxSettlement::Outcome::sent) {
    slack::log_debug(
        "outbox.sent",
        {{"id", row.id}, {"surface", row.surface}, {"kind", row.kind}, {"escalation_id", row.escalation_id}});
    return;
  }
  const bool retry = settled.outcome == storage::OutboxSettlement::Outcome::retry;
  const std::int64_t retry_in_s = retry ? std::chrono::ceil<core::Seconds>(settled.at - clock_.now()).count() : -1;
  // Never the payload: it may hold agent output or personal data. The error names what went wrong.
  slack::log(retry ? slack::LogLevel::warn : slack::LogLevel::error, retry ? "outbox.retry" : "outbox.failed",
             {{"id", row.id},
              {"surface", row.surface},
              {"kind", row.kind},
              {"escalation_id", row.escalation_id},
              {"attempts", row.attempts},
              {"retry_in_s", retry_in_s},
              {"error", settled.error}});
}

}  // namespace desk::bot
