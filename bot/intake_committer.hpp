#pragma once
/// Group commit for the intake API. The I/O thread only prepares a request (routing, authentication,
/// validation, the policy verdict: no disk); one committer thread then commits every submission
/// waiting at that moment (up to a cap) in ONE transaction, so they share one fsync, and answers each
/// only once that commit is done. Reads of the store (escalations, /healthz) run on the same thread,
/// so the I/O thread, which also acks Slack envelopes, never waits for the database.
///
/// There is no waiting to fill a batch: while one commit is on the disk the next requests queue up,
/// and they form the next batch. Under light load every batch holds one submission.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <variant>

#include "core/clock.hpp"
#include "handlers/intake_handler.hpp"

namespace desk::bot {

struct IntakeCommitterOptions {
  std::size_t max_batch = 64;     ///< submissions per transaction at most (at least 1)
  std::size_t max_queue = 10000;  ///< jobs waiting at once; more are answered 503 at once
};

struct IntakeCommitterStats {
  std::uint64_t batches = 0;      ///< transactions of submissions
  std::uint64_t submissions = 0;  ///< submissions in them
  std::uint64_t reads = 0;        ///< store reads run
  std::size_t largest_batch = 0;
  std::uint64_t refused_full = 0;  ///< requests answered 503 because the queue was full
};

class IntakeCommitter {
 public:
  /// Called exactly once per request, with its answer: on the caller's thread when no commit or read
  /// is needed, else on the committer thread.
  using Reply = std::function<void(handlers::HttpResponse)>;

  /// Starts the committer thread. `handler` and `clock` must outlive this object.
  IntakeCommitter(handlers::IntakeHandler& handler, const core::Clock& clock, IntakeCommitterOptions options = {});
  /// stop()
  ~IntakeCommitter();
  IntakeCommitter(const IntakeCommitter&) = delete;
  IntakeCommitter& operator=(const IntakeCommitter&) = delete;

  /// Prepares the request on this thread; what needs the store is queued for the committer thread.
  void submit(handlers::HttpRequest request, Reply reply);

  /// Runs `work` on the committer thread, in turn with the other jobs (the console's pages, which read
  /// the store, use it so the I/O thread never waits for the disk).
  void read(handlers::StoreRead work, Reply reply);

  /// Commits and answers everything already queued, then ends the thread. Requests submitted later
  /// that need the store are answered 503 at once. Idempotent. Call it before whatever the replies
  /// post to (the server's io_context) is destroyed; a stopped io_context is fine.
  void stop();

  IntakeCommitterStats stats() const;

 private:
  struct Job {
    std::variant<handlers::PendingSubmission, handlers::StoreRead> work;
    Reply reply;
  };

  void run();
  /// Queues `job` for the committer thread, or answers it 503 at once when stopping.
  void enqueue(Job job);
  /// Takes the jobs for one round: reads, and submissions up to max_batch.
  std::deque<Job> take();  // under mutex_
  void process(std::deque<Job>& jobs);

  handlers::IntakeHandler& handler_;
  const core::Clock& clock_;
  const std::size_t max_batch_;
  const std::size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  IntakeCommitterStats stats_;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace desk::bot
