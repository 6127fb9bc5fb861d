#include "bot/slack/backoff.hpp"

#include <algorithm>
#include <random>

namespace desk::bot::slack {

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned attempt, double jitter) {
  if (policy.base.count() <= 0) return std::chrono::milliseconds{0};
  const auto cap = std::max(policy.cap, policy.base);
  auto ceiling = policy.base;
  // Doubling stops at the cap, so large attempt numbers never overflow.
  for (unsigned i = 0; i < attempt && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  if (!(jitter >= 0.0)) jitter = 0.0;  // also catches NaN
  jitter = std::min(jitter, 1.0);
  const double half = static_cast<double>(ceiling.count()) / 2.0;
  return std::chrono::milliseconds{static_cast<long long>(half + half * jitter)};
}

double random_jitter() {
  thread_local std::mt19937 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace desk::bot::slack
