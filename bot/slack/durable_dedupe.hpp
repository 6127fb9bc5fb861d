#pragma once
/// Recognises redelivered Socket Mode envelopes without ever making an ack wait for the disk.
///
/// The I/O thread checks an id against the ids seen recently (in memory, RecentIds) and queues a new
/// one. A writer thread persists the queue in batches, one transaction each (while one batch is on
/// the disk the next ids queue up), and prunes the store's old ids on a timer. start() loads the ids
/// of the last window from the store, so a redelivery after a restart is still recognised.
///
/// A store failure never reaches the ack path: the ids stay queued and go with the next batch, and
/// the failure is logged once per streak. The cost of acking before the write: an id acked in the
/// last moments before a crash (not a stop; at most batch_interval plus a write) may be missing after
/// the restart, and its redelivery is handled again. stop() persists everything queued first.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "bot/slack/envelope_dispatcher.hpp"
#include "bot/slack/recent_ids.hpp"
#include "core/clock.hpp"
#include "storage/store.hpp"

namespace desk::bot::slack {

struct DurableDedupeOptions {
  /// How long an id is recognised, in memory and on disk. Slack retries for about 5 minutes.
  std::chrono::seconds window{std::chrono::minutes{10}};
  /// Ids remembered in memory, and ids waiting to be written, at most (oldest given up first).
  std::size_t capacity = 20000;
  std::size_t max_batch = 2000;  ///< ids per transaction at most (at least 1)
  /// At least this long between two batches (unless max_batch ids wait): a burst of envelopes shares
  /// one commit and its fsync instead of one each. The cost: at most this much of the last moments
  /// before a crash is not yet on disk (see above).
  std::chrono::milliseconds batch_interval{100};
  std::chrono::milliseconds retry_delay{1000};  ///< after a failed write, before the next try
  std::chrono::milliseconds prune_interval{std::chrono::minutes{1}};
  int attempts_at_stop = 3;  ///< writes tried by stop() before giving up
};

struct DurableDedupeStats {
  std::size_t queued = 0;       ///< ids waiting to be written
  std::uint64_t persisted = 0;  ///< ids written
  std::uint64_t batches = 0;    ///< transactions that wrote them
  std::uint64_t failures = 0;   ///< store calls that failed (writes and prunes)
  std::uint64_t dropped = 0;    ///< ids given up on: past the window, or beyond capacity, before a write succeeded
  bool failing = false;         ///< the latest write failed
};

class DurableDedupe {
 public:
  /// `store` and `clock` must outlive this object; `clock` is read from two threads.
  DurableDedupe(storage::Store& store, const core::Clock& clock, DurableDedupeOptions options = {});
  /// stop()
  ~DurableDedupe();
  DurableDedupe(const DurableDedupe&) = delete;
  DurableDedupe& operator=(const DurableDedupe&) = delete;

  /// Loads the ids of the last window from the store (a failure is logged, not thrown: the desk runs
  /// on, recognising only what it sees from now on) and starts the writer. Once; later calls do nothing.
  void start();

  /// Writes everything queued (trying attempts_at_stop times while the store fails), then ends the
  /// writer. Call it once no more ids arrive. Idempotent; also works without start().
  void stop();

  /// True when `id` is new (and, to be remembered across restarts, queues it for the store); false
  /// for a redelivery. Never touches the store and never throws for a store failure. An empty id is
  /// always new: there is nothing to match.
  bool is_new(const std::string& id, Remember remember = Remember::across_restarts);

  /// is_new as the envelope dispatcher takes it. This object must outlive the function.
  DedupeFn dedupe_function() {
    return [this](const std::string& id, Remember remember) { return is_new(id, remember); };
  }

  DurableDedupeStats stats() const;

 private:
  struct Queued {
    std::string id;
    core::TimePoint seen_at;
  };
  using Lock = std::unique_lock<std::mutex>;
  using Steady = std::chrono::steady_clock;

  void run();
  /// Writes up to max_batch queued ids in one transaction, outside the lock. On failure they go back
  /// to the front of the queue. Returns whether the write succeeded.
  bool write_batch(Lock& lock);
  void prune(Lock& lock);
  /// Writes what is queued at stop, on whichever thread runs it.
  void flush_at_stop(Lock& lock);
  /// Gives up queued ids older than the window: they would be pruned, and no restart would load them.
  void drop_expired(core::TimePoint now);                          // under mutex_
  void note_failure(const char* action, const std::exception& e);  // under mutex_
  void note_success();                                             // under mutex_

  storage::Store& store_;
  const core::Clock& clock_;
  const DurableDedupeOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  RecentIds recent_;
  std::deque<Queued> queue_;
  DurableDedupeStats stats_;
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread writer_;
};

}  // namespace desk::bot::slack
