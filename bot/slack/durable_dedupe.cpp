#include "bot/slack/durable_dedupe.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "bot/slack/log.hpp"

namespace desk::bot::slack {

DurableDedupe::DurableDedupe(storage::Store& store, const core::Clock& clock, DurableDedupeOptions options)
    : store_(store),
      clock_(clock),
      options_([&] {
        options.max_batch = std::max<std::size_t>(options.max_batch, 1);
        options.capacity = std::max<std::size_t>(options.capacity, 1);
        options.attempts_at_stop = std::max(options.attempts_at_stop, 1);
        return options;
      }()),
      recent_(options_.window, options_.capacity) {}

DurableDedupe::~DurableDedupe() { stop(); }

void DurableDedupe::start() {
  {
    Lock lock(mutex_);
    if (started_ || stopping_) return;
    started_ = true;
  }
  // Before the writer runs and before the first envelope: nothing else uses the store here yet.
  std::vector<storage::ProcessedId> known;
  try {
    known = store_.processed_since(clock_.now() - options_.window);
  } catch (const std::exception& e) {
    Lock lock(mutex_);
    note_failure("loading", e);
  }
  {
    Lock lock(mutex_);
    for (const auto& p : known) recent_.insert(p.id, p.at);  // oldest first, as RecentIds expects
  }
  log_info("dedupe.started", {{"known_ids", known.size()}});
  writer_ = std::thread([this] { run(); });
}

void DurableDedupe::stop() {
  Lock lock(mutex_);
  if (stopped_) return;
  stopping_ = true;
  if (writer_.joinable()) {
    lock.unlock();
    wake_.notify_one();
    writer_.join();  // the writer flushes on its way out
    lock.lock();
  } else {
    flush_at_stop(lock);
  }
  stopped_ = true;
}

bool DurableDedupe::is_new(const std::string& id, Remember remember) {
  if (id.empty()) return true;
  const core::TimePoint now = clock_.now();
  bool wake = false;
  {
    Lock lock(mutex_);
    if (!recent_.insert(id, now)) return false;
    // Nothing on disk for what Slack never sends again: no restart can meet it (under /rota load
    // these writes were a fifth of the desk's CPU).
    if (remember == Remember::this_run) return true;
    // A busy or pacing writer finds the id on its next round without being woken; a full batch wakes it.
    wake = queue_.empty() || queue_.size() + 1 == options_.max_batch;
    queue_.push_back({id, now});
    if (queue_.size() > options_.capacity) {
      queue_.pop_front();
      ++stats_.dropped;
    }
  }
  if (wake) wake_.notify_one();
  return true;
}

DurableDedupeStats DurableDedupe::stats() const {
  Lock lock(mutex_);
  DurableDedupeStats out = stats_;
  out.queued = queue_.size();
  return out;
}

void DurableDedupe::run() {
  Lock lock(mutex_);
  Steady::time_point next_prune = Steady::now();  // a first prune at start clears a long downtime's ids
  Steady::time_point retry_at{};                  // after a failed write
  Steady::time_point next_batch{};                // batch_interval after the last write
  const auto may_write = [&](Steady::time_point now) {
    return !queue_.empty() && now >= retry_at && (now >= next_batch || queue_.size() >= options_.max_batch);
  };
  while (!stopping_) {
    const auto now = Steady::now();
    if (may_write(now)) {
      if (write_batch(lock))
        next_batch = Steady::now() + options_.batch_interval;
      else
        retry_at = Steady::now() + options_.retry_delay;
      continue;
    }
    if (now >= next_prune) {
      prune(lock);
      next_prune = Steady::now() + options_.prune_interval;
      continue;
    }
    const auto wake_at = queue_.empty() ? next_prune : std::min(next_prune, std::max(retry_at, next_batch));
    wake_.wait_until(lock, wake_at, [&] { return stopping_ || may_write(Steady::now()); });
  }
  flush_at_stop(lock);
}

bool DurableDedupe::write_batch(Lock& lock) {
  drop_expired(clock_.now());
  if (queue_.empty()) return true;
  const std::size_t n = std::min(queue_.size(), options_.max_batch);
  const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(n);
  std::vector<Queued> batch(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
  queue_.erase(queue_.begin(), end);
  std::vector<std::string> ids;
  ids.reserve(n);
  core::TimePoint at = batch.front().seen_at;
  for (const auto& q : batch) {
    ids.push_back(q.id);
    at = std::max(at, q.seen_at);  // one time for the batch: the latest keeps every id long enough
  }

  lock.unlock();  // acks go on while the transaction is on the disk
  std::exception_ptr error;
  try {
    store_.mark_processed_batch(ids, at);
  } catch (...) { error = std::current_exception(); }
  lock.lock();

  if (!error) {
    stats_.persisted += n;
    ++stats_.batches;
    note_success();
    return true;
  }
  // Back to the front, in their order, ahead of ids queued meanwhile; capacity still bounds the queue.
  queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
  while (queue_.size() > options_.capacity) {
    queue_.pop_front();
    ++stats_.dropped;
  }
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) { note_failure("writing", e); } catch (...) {
    note_failure("writing", std::runtime_error("unknown error"));
  }
  return false;
}

void DurableDedupe::prune(Lock& lock) {
  const core::TimePoint before = clock_.now() - options_.window;
  lock.unlock();
  try {
    const int removed = store_.prune_processed(before);
    if (removed > 0) log_debug("dedupe.pruned", {{"removed", removed}});
    lock.lock();
  } catch (const std::exception& e) {
    lock.lock();
    note_failure("pruning", e);
  }
}

void DurableDedupe::flush_at_stop(Lock& lock) {
  for (int attempt = 1; !queue_.empty();) {
    if (write_batch(lock)) continue;
    if (++attempt > options_.attempts_at_stop) break;
    lock.unlock();
    std::this_thread::sleep_for(options_.retry_delay);
    lock.lock();
  }
  if (!queue_.empty())
    log_error("dedupe.unpersisted_at_stop",
              {{"ids", queue_.size()}, {"consequence", "their redeliveries after a restart are handled again"}});
}

void DurableDedupe::drop_expired(core::TimePoint now) {
  const core::TimePoint oldest_kept = now - options_.window;
  while (!queue_.empty() && queue_.front().seen_at < oldest_kept) {
    queue_.pop_front();
    ++stats_.dropped;
  }
}

void DurableDedupe::note_failure(const char* action, const std::exception& e) {
  ++stats_.failures;
  if (stats_.failing) return;  // once per streak: the store says the same thing every retry
  stats_.failing = true;
  log_error("dedupe.store_failed", {{"action", action},
                                    {"error", e.what()},
                                    {"queued", queue_.size()},
                                    {"effect", "acks go on; ids are kept and written once the store recovers"}});
}

void DurableDedupe::note_success() {
  if (!stats_.failing) return;
  stats_.failing = false;
  log_info("dedupe.store_recovered", {{"failures", stats_.failures}, {"persisted", stats_.persisted}});
}

}  // namespace desk::bot::slack
