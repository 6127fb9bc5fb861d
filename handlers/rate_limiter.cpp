#include "handlers/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace desk::handlers {

RateLimiter::RateLimiter(int per_minute, int burst)
    : per_second_(std::max(0, per_minute) / 60.0), burst_(std::max(1, burst)) {}

std::optional<std::chrono::seconds> RateLimiter::admit(const std::string& key, core::TimePoint now) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::max(0.0, std::chrono::duration<double>(now - b.at).count());
    b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
    b.at = std::max(b.at, now);  // a clock set back refills nothing, then or later
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    if (buckets_.size() > prune_above_) forget_full(now);
    return std::nullopt;
  }
  const double wait = (1.0 - b.tokens) / per_second_;
  return std::chrono::seconds{std::max<long long>(1, static_cast<long long>(std::ceil(wait - 1e-6)))};
}

void RateLimiter::forget_full(core::TimePoint now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.at).count();
    if (it->second.tokens + elapsed * per_second_ >= burst_)
      it = buckets_.erase(it);
    else
      ++it;
  }
  // Every bucket still draining belongs to a token in use: keep them, and prune again at twice this.
  prune_above_ = std::max<std::size_t>(1024, buckets_.size() * 2);
}

}  // namespace desk::handlers
