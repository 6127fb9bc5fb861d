// DurableDedupe: redeliveries recognised in memory, ids written in batches from the writer thread,
// reloaded after a restart, pruned on a timer; a failing store never reaches the ack path.
#include "bot/slack/durable_dedupe.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite_store.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace desk::bot::slack {
namespace {

using namespace std::chrono_literals;
using storage::StorageError;

const core::TimePoint kT0{core::Seconds{1'717'236'000}};  // 2024-06-01 10:00:00 UTC

/// A clock the test moves while the writer thread reads it.
class SharedClock final : public core::Clock {
 public:
  core::TimePoint now() const override { return core::TimePoint{core::Seconds{seconds_.load()}}; }
  void advance(core::Seconds d) { seconds_ += d.count(); }

 private:
  std::atomic<std::int64_t> seconds_{kT0.time_since_epoch().count()};
};

/// A real store that counts the dedupe's calls, can fail them, and can hold a write inside the store
/// (as a slow fsync would) until the test lets it go.
class ProbedStore final : public desk::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::atomic<bool> fail_writes{false};
  std::atomic<bool> fail_reads{false};
  std::atomic<int> calls{0};  ///< every processed-id call: single, batch, load, prune

  int mark_processed_batch(const std::vector<std::string>& ids, core::TimePoint at) override {
    ++calls;
    {
      std::unique_lock lock(mutex_);
      batches_.push_back(ids.size());
      ++writes_entered_;
      changed_.notify_all();
      changed_.wait(lock, [&] { return !held_; });
    }
    if (fail_writes) throw StorageError(StorageError::Code::io, "disk I/O error while recording processed ids");
    return inner_.mark_processed_batch(ids, at);
  }
  std::vector<storage::ProcessedId> processed_since(core::TimePoint at) override {
    ++calls;
    if (fail_reads) throw StorageError(StorageError::Code::io, "disk I/O error while reading processed ids");
    return inner_.processed_since(at);
  }
  int prune_processed(core::TimePoint before) override {
    ++calls;
    return inner_.prune_processed(before);
  }

  /// Lets held writes go on when it goes, so a failed assertion cannot leave the writer stuck.
  struct Hold {
    ProbedStore& store;
    ~Hold() { store.release(); }
  };
  /// Writes from now on wait inside the store until release().
  [[nodiscard]] Hold hold() {
    std::lock_guard lock(mutex_);
    held_ = true;
    return Hold{*this};
  }
  void release() {
    std::lock_guard lock(mutex_);
    held_ = false;
    changed_.notify_all();
  }
  /// Waits until `n` writes have reached the store.
  bool wait_for_writes(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return writes_entered_ >= n; });
  }
  std::vector<std::size_t> batch_sizes() {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  int writes_entered_ = 0;
  std::vector<std::size_t> batches_;
};

bool eventually(const std::function<bool()>& condition) {
  for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline;) {
    if (condition()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return condition();
}

std::set<std::string> stored_ids(storage::Store& store) {
  std::set<std::string> out;
  for (const auto& p : store.processed_since(core::TimePoint{})) out.insert(p.id);
  return out;
}

class DurableDedupeTest : public ::testing::Test {
 protected:
  DurableDedupeOptions quick() {
    DurableDedupeOptions o;
    o.retry_delay = 10ms;
    o.prune_interval = 1h;  // pruning only where a test asks for it
    return o;
  }

  /// Starts `dedupe` and queues "envelope:a", whose write then waits inside the held store.
  void start_with_first_write_stuck(DurableDedupe& dedupe) {
    dedupe.start();
    ASSERT_TRUE(dedupe.is_new("envelope:a"));
    ASSERT_TRUE(store_.wait_for_writes(1));
  }

  desk::testing::TempDir dir_{"dedupe"};
  std::string path_ = dir_.file("desk.db");
  std::unique_ptr<storage::SqliteStore> sqlite_ = storage::SqliteStore::open(path_);
  ProbedStore store_{*sqlite_};
  SharedClock clock_;
};

TEST_F(DurableDedupeTest, ARedeliveryIsCaughtInMemoryWithoutTouchingTheStore) {
  DurableDedupe dedupe(store_, clock_, quick());  // not started: no writer, so nothing may reach the store
  EXPECT_TRUE(dedupe.is_new("envelope:a"));
  EXPECT_FALSE(dedupe.is_new("envelope:a"));
  EXPECT_TRUE(dedupe.is_new("event:Ev1"));
  EXPECT_FALSE(dedupe.is_new("event:Ev1"));
  EXPECT_EQ(store_.calls.load(), 0);
  EXPECT_EQ(dedupe.stats().queued, 2u);
}

TEST_F(DurableDedupeTest, AcksGoOnWhileAWriteIsStuckInTheStore) {
  DurableDedupe dedupe(store_, clock_, quick());
  const auto hold = store_.hold();
  ASSERT_NO_FATAL_FAILURE(start_with_first_write_stuck(dedupe));
  // The writer is inside the store now; the ack path answers regardless.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(dedupe.is_new("envelope:a"));
  EXPECT_TRUE(dedupe.is_new("envelope:b"));
  EXPECT_FALSE(dedupe.is_new("envelope:b"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  store_.release();
}

TEST_F(DurableDedupeTest, IdsQueuedDuringAWriteGoTogetherInTheNextTransaction) {
  DurableDedupe dedupe(store_, clock_, quick());
  const auto hold = store_.hold();
  ASSERT_NO_FATAL_FAILURE(start_with_first_write_stuck(dedupe));
  for (const char* id : {"envelope:b", "envelope:c", "event:Ev1", "envelope:b", "envelope:d", "envelope:e"})
    dedupe.is_new(id);
  EXPECT_EQ(dedupe.stats().queued, 5u);
  store_.release();
  ASSERT_TRUE(eventually([&] { return dedupe.stats().persisted == 6; }));
  EXPECT_EQ(store_.batch_sizes(), (std::vector<std::size_t>{1, 5}));
  EXPECT_EQ(dedupe.stats().batches, 2u);
  EXPECT_EQ(stored_ids(*sqlite_),
            (std::set<std::string>{"envelope:a", "envelope:b", "envelope:c", "envelope:d", "envelope:e", "event:Ev1"}));
}

TEST_F(DurableDedupeTest, ABatchNeverExceedsMaxBatch) {
  auto options = quick();
  options.max_batch = 2;
  DurableDedupe dedupe(store_, clock_, options);
  for (const char* id : {"a", "b", "c", "d", "e"}) dedupe.is_new(id);
  dedupe.start();
  ASSERT_TRUE(eventually([&] { return dedupe.stats().persisted == 5; }));
  EXPECT_EQ(store_.batch_sizes(), (std::vector<std::size_t>{2, 2, 1}));
}

TEST_F(DurableDedupeTest, ABurstWaitsForTheBatchIntervalAndSharesOneCommit) {
  auto options = quick();
  options.batch_interval = 1h;
  options.max_batch = 4;
  DurableDedupe dedupe(store_, clock_, options);
  dedupe.start();
  dedupe.is_new("envelope:a");  // the first write goes at once
  ASSERT_TRUE(eventually([&] { return dedupe.stats().persisted == 1; }));
  for (const char* id : {"envelope:b", "envelope:c", "envelope:d"}) dedupe.is_new(id);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(dedupe.stats().persisted, 1u) << "the burst waits for the interval";
  dedupe.is_new("envelope:e");  // a full batch does not wait
  ASSERT_TRUE(eventually([&] { return dedupe.stats().persisted == 5; }));
  dedupe.is_new("envelope:f");
  dedupe.stop();  // and stop writes what waits
  EXPECT_EQ(store_.batch_sizes(), (std::vector<std::size_t>{1, 4, 1}));
  EXPECT_EQ(stored_ids(*sqlite_).size(), 6u);
}

TEST_F(DurableDedupeTest, ARedeliveryAfterARestartIsStillCaught) {
  {
    DurableDedupe first(store_, clock_, quick());
    first.start();
    ASSERT_TRUE(first.is_new("envelope:a"));
    ASSERT_TRUE(first.is_new("event:Ev1"));
  }  // stopped: written before the process would exit
  sqlite_.reset();
  sqlite_ = storage::SqliteStore::open(path_);
  ProbedStore reopened(*sqlite_);
  clock_.advance(4min);
  DurableDedupe second(reopened, clock_, quick());
  second.start();
  EXPECT_FALSE(second.is_new("envelope:a"));
  EXPECT_FALSE(second.is_new("event:Ev1"));
  EXPECT_TRUE(second.is_new("envelope:b"));
}

TEST_F(DurableDedupeTest, AnIdForThisRunOnlyIsRecognisedButNeverWritten) {
  DurableDedupe dedupe(store_, clock_, quick());
  dedupe.start();
  EXPECT_TRUE(dedupe.is_new("envelope:click", Remember::this_run));
  EXPECT_FALSE(dedupe.is_new("envelope:click", Remember::this_run));
  EXPECT_FALSE(dedupe.is_new("envelope:click")) << "one memory for both kinds";
  EXPECT_TRUE(dedupe.is_new("event:Ev1"));
  ASSERT_TRUE(eventually([&] { return dedupe.stats().persisted == 1; }));
  dedupe.stop();
  EXPECT_EQ(stored_ids(*sqlite_), (std::set<std::string>{"event:Ev1"}));
  EXPECT_EQ(dedupe.stats().queued, 0u);
}

TEST_F(DurableDedupeTest, IdsOlderThanTheWindowAreNotReloaded) {
  sqlite_->mark_processed_batch({"envelope:old"}, kT0 - 11min);
  sqlite_->mark_processed_batch({"envelope:recent"}, kT0 - 9min);
  DurableDedupe dedupe(store_, clock_, quick());
  dedupe.start();
  EXPECT_TRUE(dedupe.is_new("envelope:old"));
  EXPECT_FALSE(dedupe.is_new("envelope:recent"));
  clock_.advance(2min);  // the reloaded id expires from memory at its own time plus the window
  EXPECT_TRUE(dedupe.is_new("envelope:recent"));
}

TEST_F(DurableDedupeTest, OldIdsArePrunedOnATimerAndForgotten) {
  auto options = quick();
  options.prune_interval = 10ms;
  DurableDedupe dedupe(store_, clock_, options);
  dedupe.start();
  ASSERT_TRUE(dedupe.is_new("envelope:a"));
  ASSERT_TRUE(eventually([&] { return dedupe.stats().persisted == 1; }));
  clock_.advance(11min);
  ASSERT_TRUE(dedupe.is_new("envelope:b"));
  ASSERT_TRUE(eventually([&] { return stored_ids(*sqlite_) == std::set<std::string>{"envelope:b"}; }));
  EXPECT_TRUE(dedupe.is_new("envelope:a"));  // past the window: a new delivery, not a redelivery
  EXPECT_FALSE(dedupe.is_new("envelope:b"));
}

TEST_F(DurableDedupeTest, AFailingStoreKeepsTheIdsLogsOnceAndCatchesUpWhenItRecovers) {
  store_.fail_writes = true;
  DurableDedupe dedupe(store_, clock_, quick());
  ::testing::internal::CaptureStderr();
  dedupe.start();
  ASSERT_TRUE(dedupe.is_new("envelope:a"));
  ASSERT_TRUE(dedupe.is_new("envelope:b"));
  ASSERT_TRUE(eventually([&] { return dedupe.stats().failures >= 3; }));
  auto stats = dedupe.stats();
  EXPECT_TRUE(stats.failing);
  EXPECT_EQ(stats.queued, 2u);
  EXPECT_EQ(stats.persisted, 0u);
  EXPECT_FALSE(dedupe.is_new("envelope:a"));  // still caught while the store is down
  ASSERT_TRUE(dedupe.is_new("envelope:c"));

  store_.fail_writes = false;
  ASSERT_TRUE(eventually([&] { return dedupe.stats().persisted == 3; }));
  const std::string log = ::testing::internal::GetCapturedStderr();
  stats = dedupe.stats();
  EXPECT_FALSE(stats.failing);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stored_ids(*sqlite_), (std::set<std::string>{"envelope:a", "envelope:b", "envelope:c"}));
  auto count = [&log](const std::string& event) {
    std::size_t n = 0;
    for (auto at = log.find(event); at != std::string::npos; at = log.find(event, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("event=dedupe.store_failed"), 1u) << log;
  EXPECT_EQ(count("event=dedupe.store_recovered"), 1u) << log;
}

TEST_F(DurableDedupeTest, AStoreThatCannotBeReadAtStartLeavesTheDedupeWorking) {
  store_.fail_reads = true;
  DurableDedupe dedupe(store_, clock_, quick());
  EXPECT_NO_THROW(dedupe.start());
  EXPECT_TRUE(dedupe.is_new("envelope:a"));
  EXPECT_FALSE(dedupe.is_new("envelope:a"));
  ASSERT_TRUE(eventually([&] { return dedupe.stats().persisted == 1; }));
  EXPECT_FALSE(dedupe.stats().failing);  // the first write ended the streak the load began
}

TEST_F(DurableDedupeTest, WhileTheStoreIsDownTheQueueStaysBounded) {
  store_.fail_writes = true;
  auto options = quick();
  options.capacity = 3;
  DurableDedupe dedupe(store_, clock_, options);
  dedupe.start();
  for (const char* id : {"a", "b", "c", "d", "e"}) EXPECT_TRUE(dedupe.is_new(id));
  EXPECT_LE(dedupe.stats().queued, 3u);
  // Between two tries (not while a batch is out at the store) the queue is full and the rest dropped.
  ASSERT_TRUE(eventually([&] {
    const auto s = dedupe.stats();
    return s.queued == 3 && s.dropped == 2;
  }));
  // Ids still waiting once the window has passed are given up: no restart would load them.
  clock_.advance(11min);
  ASSERT_TRUE(eventually([&] { return dedupe.stats().queued == 0; }));
  EXPECT_EQ(dedupe.stats().dropped, 5u);
  store_.fail_writes = false;
}

TEST_F(DurableDedupeTest, StopWritesWhatIsQueuedWithoutWaitingOutTheRetryDelay) {
  store_.fail_writes = true;
  auto options = quick();
  options.retry_delay = 1h;
  DurableDedupe dedupe(store_, clock_, options);
  dedupe.start();
  ASSERT_TRUE(dedupe.is_new("envelope:a"));
  ASSERT_TRUE(eventually([&] { return dedupe.stats().failures == 1; }));
  ASSERT_TRUE(dedupe.is_new("envelope:b"));
  store_.fail_writes = false;
  const auto started = std::chrono::steady_clock::now();
  dedupe.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(stored_ids(*sqlite_), (std::set<std::string>{"envelope:a", "envelope:b"}));
  EXPECT_EQ(dedupe.stats().queued, 0u);
}

TEST_F(DurableDedupeTest, StopWithoutStartStillWritesTheQueue) {
  DurableDedupe dedupe(store_, clock_, quick());
  ASSERT_TRUE(dedupe.is_new("envelope:a"));
  dedupe.stop();
  EXPECT_EQ(stored_ids(*sqlite_), std::set<std::string>{"envelope:a"});
  dedupe.stop();   // idempotent
  dedupe.start();  // too late: no writer starts after a stop
  EXPECT_TRUE(dedupe.is_new("envelope:b"));
  EXPECT_EQ(stored_ids(*sqlite_), std::set<std::string>{"envelope:a"});
}

TEST_F(DurableDedupeTest, StopGivesUpOnAStoreThatStaysDown) {
  store_.fail_writes = true;
  auto options = quick();
  options.attempts_at_stop = 2;
  DurableDedupe dedupe(store_, clock_, options);
  ASSERT_TRUE(dedupe.is_new("envelope:a"));
  ::testing::internal::CaptureStderr();
  dedupe.stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(dedupe.stats().failures, 2u);
  EXPECT_EQ(dedupe.stats().queued, 1u);
  EXPECT_NE(log.find("event=dedupe.unpersisted_at_stop"), std::string::npos) << log;
}

TEST_F(DurableDedupeTest, AnEmptyIdIsAlwaysNewAndNeverQueued) {
  DurableDedupe dedupe(store_, clock_, quick());
  EXPECT_TRUE(dedupe.is_new(""));
  EXPECT_TRUE(dedupe.is_new(""));
  EXPECT_EQ(dedupe.stats().queued, 0u);
}

TEST_F(DurableDedupeTest, TheDispatcherFunctionIsTheSameCheck) {
  DurableDedupe dedupe(store_, clock_, quick());
  const DedupeFn fn = dedupe.dedupe_function();
  EXPECT_TRUE(fn("envelope:a", Remember::across_restarts));
  EXPECT_FALSE(fn("envelope:a", Remember::across_restarts));
  EXPECT_FALSE(dedupe.is_new("envelope:a"));
  EXPECT_TRUE(fn("envelope:b", Remember::this_run));
  EXPECT_EQ(dedupe.stats().queued, 1u) << "only envelope:a waits for the store";
}

}  // namespace
}  // namespace desk::bot::slack
