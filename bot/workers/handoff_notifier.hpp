#pragma once
/// Handoff notices, the weekly digest and the pinned SOP (issue 14, items 1 to 3): tells the desk channel, on every
/// surface, when the duty lead changes, by rotation or by an override starting or ending: who hands over to whom, until
/// when, and the open escalations with their clocks. One pass compares the duty lead now with the one last announced
/// (handlers::announce_duty_handoff), which commits the notice with the new holder, so a handoff is told once across
/// restarts and races. Between passes it sleeps until the rota's next change, a poke() (an override was set) or at most
/// max_sleep (a steady timer does not see the wall clock jump). The same pass posts last week's digest once it is due
/// (handlers/weekly_digest.hpp), right after the handoff notice of the week, and the SOP when the config holds a
/// version not posted yet (handlers/pinned_sop.hpp).
#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/app/policy_cache.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "handlers/effects.hpp"
#include "storage/store.hpp"

namespace desk::bot {

struct HandoffNotifierOptions {
  std::chrono::seconds max_sleep{60};
  std::chrono::seconds retry_after_error{5};
};

class HandoffNotifier {
 public:
  /// Every reference must outlive run(). `on_enqueued` is called after a notice was committed (the
  /// desk pokes the outbox). `metrics` may be null.
  HandoffNotifier(boost::asio::any_io_executor executor, storage::Store& store, PolicyCache& policies,
                  core::Clock& clock, const handlers::SurfaceNames& surfaces, core::Metrics* metrics,
                  std::function<void()> on_enqueued, HandoffNotifierOptions options = {});

  /// Passes until stop().
  boost::asio::awaitable<void> run();
  /// The rota may have changed (an override was set, the policy changed): look again now.
  void poke();
  void stop();

  /// One pass at clock.now(): true when a notice was committed. Throws StorageError.
  bool pass();

  /// "running", or the last error, for /healthz.
  std::pair<std::string, bool> health() const;

 private:
  /// How long to sleep after a pass: until the duty lead's next change, at most max_sleep.
  std::chrono::milliseconds sleep_after_pass();

  storage::Store& store_;
  PolicyCache& policies_;
  core::Clock& clock_;
  const handlers::SurfaceNames& surfaces_;
  core::Metrics* metrics_;
  std::function<void()> on_enqueued_;
  HandoffNotifierOptions options_;
  boost::asio::steady_timer timer_;
  bool stopping_ = false;
  std::string problem_;
};

}  // namespace desk::bot
