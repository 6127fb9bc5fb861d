#pragma once
/// A fixed-size latency histogram (log-linear buckets: exact below 32 µs, then 16 per power of
/// two, so a percentile is within 1/16 of the true value). Recording is O(1) and allocation-free,
/// cheap enough for every ack.
#include <array>
#include <chrono>
#include <cstdint>

namespace desk::bot::slack {

class LatencyHistogram {
 public:
  void record(std::chrono::nanoseconds latency);
  /// Upper bound of the bucket holding the `p` quantile (0 ≤ p ≤ 1); zero when empty.
  std::chrono::microseconds percentile(double p) const;
  std::uint64_t count() const { return count_; }
  std::chrono::microseconds max() const { return std::chrono::microseconds{max_us_}; }

 private:
  static constexpr std::size_t kBuckets = 32 + 27 * 16;
  static std::size_t bucket_of(std::uint64_t us);
  static std::uint64_t upper_bound_of(std::size_t bucket);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_us_ = 0;
};

}  // namespace desk::bot::slack
