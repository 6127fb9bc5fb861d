#pragma once
/// The outbox dispatcher: the one coroutine that turns committed outbox rows into deliveries, in order
/// per ordering key (one escalation on one surface), each by the deliverer of its row's surface.
///
///   rows pending ──claimed: sending (one commit)──▶ deliverers, side by side ──▶ sent | retry later | failed
///                                                                  (settled together: one commit)
///
/// A row left `sending` (a crash, or a storage failure mid-send) is in doubt: it goes to its
/// deliverer again with in_doubt set, once that surface is ready, so the deliverer can look for the
/// earlier send before repeating it. Rows of a surface that is not ready (or not running at all) wait
/// without holding back any other surface's rows. Given a store thread, every store call runs there.
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/workers/deliverer.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "storage/store.hpp"

namespace desk::bot {

struct OutboxDispatcherOptions {
  slack::BackoffPolicy backoff{std::chrono::seconds{2}, std::chrono::minutes{5}};  ///< transient failures
  int batch_size = 20;                                                             ///< rows claimed at most per pass
  /// Rows delivered at once, each of another ordering key (never two of one key: order holds). More than
  /// one suits receivers that may answer slowly, such as agents' callbacks: a tarpit holds one slot.
  int concurrency = 1;
};

class OutboxDispatcher {
 public:
  using Options = OutboxDispatcherOptions;

  /// `store` and `clock` must outlive run().
  OutboxDispatcher(boost::asio::any_io_executor executor, storage::Store& store, core::Clock& clock,
                   Options options = {});
  OutboxDispatcher(const OutboxDispatcher&) = delete;
  OutboxDispatcher& operator=(const OutboxDispatcher&) = delete;

  /// Adds the deliverer of one surface (before or while running; it must outlive run()). A row whose
  /// surface has no deliverer waits for one: the surface may be configured at the next start.
  void add(Deliverer& deliverer);

  /// Settles rows in doubt, sends due rows, sleeps until the next is due or poke(). Returns after stop().
  boost::asio::awaitable<void> run();

  /// New rows were committed, or a deliverer became ready: look again now. Call on the executor's thread.
  void poke();
  /// Ends run() after the rows in flight, if any. Call on the executor's thread.
  void stop();

  /// "running", or what is wrong ("storage error: …") for /healthz; false in the pair when down.
  std::pair<std::string, bool> health() const;

  /// Where each error the dispatcher recovers from is counted (desk_worker_errors_total{worker}, under
  /// `worker`); null: not counted. Call before run().
  void count_errors_in(core::Metrics* metrics, std::string worker = "outbox") {
    metrics_ = metrics;
    worker_ = std::move(worker);
  }

  /// Runs every store call on `store_thread` (bot/workers/store_thread.hpp) instead of this executor's
  /// thread, which then never waits for the disk. Call before run().
  void run_store_calls_on(boost::asio::any_io_executor store_thread) { store_thread_ = std::move(store_thread); }

 private:
  /// Settlements written together: every delivery that ends while one commit is under way waits for
  /// the next, so a busy outbox commits once per handful of rows, not once per row.
  struct SettleBatch {
    explicit SettleBatch(const boost::asio::any_io_executor& executor)
        : written(executor, std::chrono::steady_clock::time_point::max()) {}
    std::vector<storage::OutboxSettlement> rows;
    std::vector<std::string> problems;  ///< per row, from Store::outbox_settle
    std::exception_ptr failure;         ///< the commit's own failure, for every row of the batch
    bool done = false;
    boost::asio::steady_timer written;  ///< cancelled once done
  };

  boost::asio::awaitable<void> settle_in_doubt();
  /// Claims what is due (as many rows as there are free slots) and starts delivering it.
  boost::asio::awaitable<bool> send_due();
  /// Delivers a row already claimed, alongside the others in flight.
  void deliver_alongside(storage::OutboxMessage row, bool in_doubt);
  boost::asio::awaitable<void> wait_for_slot(int busy_below);
  boost::asio::awaitable<void> deliver_and_settle(storage::OutboxMessage row, bool in_doubt);
  /// Writes `settlement` with any others pending (one commit), after which its row may be claimed
  /// again or its key's next row sent. Returns why the row was left as it was (empty: settled).
  boost::asio::awaitable<std::string> settle(storage::OutboxSettlement settlement);
  /// Records, counts and logs an error the dispatcher recovers from; `settle_again`: a row may be left
  /// `sending`, so rows in doubt are settled again first.
  void note_problem(const std::string& problem, std::optional<std::chrono::milliseconds> retry_in, bool settle_again);
  boost::asio::awaitable<DeliveryOutcome> attempt(Deliverer& deliverer, storage::OutboxMessage row, bool in_doubt);
  storage::OutboxSettlement settlement_of(const storage::OutboxMessage& row, const DeliveryOutcome& outcome) const;
  void log_settled(const storage::OutboxMessage& row, const storage::OutboxSettlement& settled,
                   const std::string& problem) const;
  std::vector<std::string> ready_surfaces() const;
  std::chrono::milliseconds backoff(int attempts) const;
  boost::asio::awaitable<void> sleep_for(std::optional<std::chrono::milliseconds> delay);

  storage::Store& store_;
  core::Clock& clock_;
  Options options_;
  boost::asio::steady_timer wake_;
  boost::asio::steady_timer slot_;                ///< cancelled whenever a concurrent send ends
  int in_flight_ = 0;                             ///< concurrent sends not yet settled
  std::map<std::string, Deliverer*> deliverers_;  ///< by surface
  std::set<std::string> settled_;                 ///< surfaces whose rows in doubt were settled this run
  bool stopping_ = false;
  bool poked_ = false;   ///< poke() since the current pass began
  std::string problem_;  ///< the last storage failure, until a pass succeeds
  core::Metrics* metrics_ = nullptr;
  std::string worker_ = "outbox";
  std::optional<boost::asio::any_io_executor> store_thread_;
  std::shared_ptr<SettleBatch> open_batch_;  ///< settlements waiting for the next commit
  bool settling_ = false;                    ///< a commit of settlements is under way
};

}  // namespace desk::bot
