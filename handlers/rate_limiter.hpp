#pragma once
/// Per-token request rates: a token bucket per key (a token's digest), refilled at `per_minute` and
/// holding at most `burst` requests. One agent that floods the desk is slowed down alone; the others
/// keep their own buckets. Safe from several threads.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"

namespace desk::handlers {

class RateLimiter {
 public:
  /// `per_minute` 0 turns limiting off. `burst` at least 1.
  RateLimiter(int per_minute, int burst);

  /// Takes one request from `key`'s bucket: nullopt when admitted, else how long to wait before the
  /// next one would be (at least one second: what Retry-After says).
  std::optional<std::chrono::seconds> admit(const std::string& key, core::TimePoint now);

  bool enabled() const { return per_second_ > 0; }

 private:
  struct Bucket {
    double tokens = 0;
    core::TimePoint at{};
  };
  /// Drops buckets that have refilled completely (they hold nothing a new bucket would not).
  void forget_full(core::TimePoint now);

  double per_second_;
  double burst_;
  std::size_t prune_above_ = 1024;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace desk::handlers
