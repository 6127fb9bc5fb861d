#pragma once
/// The seam between the desk and the places people work (Slack, Teams, the console). The composition
/// root (bot/app/desk_app.cpp) asks each surface's factory whether its config and secrets enable it,
/// runs the ones that are, and gives each a SurfaceContext: the shared store, clocks and policies, and
/// the outbox dispatcher its deliverer joins. A surface translates its protocol into handler calls
/// and renders effects back; it never decides anything itself.
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "bot/app/policy_cache.hpp"
#include "bot/workers/outbox_dispatcher.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "handlers/effects.hpp"
#include "handlers/intake_handler.hpp"
#include "storage/store.hpp"

namespace desk::bot {

/// A surface's config or secrets are set, but wrongly: the desk refuses to start (exit 2) with this
/// message, which names what to set and where to get it (never a secret's value).
class SurfaceConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What the desk lends its surfaces. Everything outlives every surface.
struct SurfaceContext {
  boost::asio::any_io_executor executor;
  storage::Store& store;
  core::Clock& clock;
  core::Metrics& metrics;
  PolicyCache& policies;
  OutboxDispatcher& outbox;
  /// Every enabled surface, for the handlers' effects (a decision in Slack updates Teams too). Filled
  /// before any surface runs.
  const handlers::SurfaceNames& surfaces;
  /// The store changed (an escalation opened, decided or re-owned): the clocks and the outbox look again.
  std::function<void()> changed;
};

class Surface {
 public:
  virtual ~Surface() = default;

  /// "slack", "teams", "console": the name its outbox rows and message references carry.
  virtual std::string name() const = 0;

  /// Connects and serves until stop() has finished, or until something makes going on pointless
  /// (then fatal_exit() is set). Called once, on the desk's executor.
  virtual boost::asio::awaitable<void> run() = 0;

  /// Begins a graceful stop: no new work is taken, work in flight finishes. Idempotent; executor thread.
  virtual void stop() = 0;

  /// After stop() and run() have finished: ends whatever the surface's workers still wait on (a call
  /// waiting out a rate limit, a backoff), so it unwinds while the desk still exists. Executor thread.
  virtual void abandon() {}

  /// The exit code (1 or 2) the desk should end with after run() returned for a reason other than
  /// stop(), with the message already reported; nullopt otherwise.
  virtual std::optional<int> fatal_exit() const = 0;

  /// Its state and the state of its own workers (e.g. Slack's user group sync), for /healthz.
  /// Called on the executor's thread.
  virtual handlers::ComponentHealth health() const = 0;
  virtual std::vector<handlers::ComponentHealth> workers() const { return {}; }
};

/// Makes a surface when the config and environment enable it; nullptr when they leave it off.
/// Throws SurfaceConfigError when it is enabled but set wrongly.
using SurfaceFactory = std::function<std::unique_ptr<Surface>(SurfaceContext& context)>;

}  // namespace desk::bot
