#pragma once
/// Reconnect and retry delays: capped exponential backoff with jitter, as a pure function so the
/// schedule is unit-tested without timers.
#include <chrono>

namespace desk::bot::slack {

struct BackoffPolicy {
  std::chrono::milliseconds base{1000};  ///< delay ceiling of the first attempt
  std::chrono::milliseconds cap{60000};  ///< no delay is ever longer than this
};

/// Delay before retry number `attempt` (0 for the first retry). The ceiling is base·2^attempt,
/// capped at `cap`; `jitter` in [0, 1] picks a point in the upper half of [0, ceiling], so retries
/// from many clients spread out while no delay collapses to zero (which would allow a storm).
/// Out-of-range jitter is clamped; a zero base gives zero.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned attempt, double jitter);

/// A uniform draw in [0, 1) for `backoff_delay`, from a per-thread engine seeded once.
double random_jitter();

}  // namespace desk::bot::slack
