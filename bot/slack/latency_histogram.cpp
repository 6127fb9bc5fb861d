#include "bot/slack/latency_histogram.hpp"

#include <algorithm>
#include <bit>

namespace desk::bot::slack {

std::size_t LatencyHistogram::bucket_of(std::uint64_t us) {
  if (us < 32) return static_cast<std::size_t>(us);
  const auto exponent = static_cast<std::size_t>(std::bit_width(us) - 1);  // 5 and up
  const auto sub = static_cast<std::size_t>((us >> (exponent - 4)) & 15);
  return std::min(kBuckets - 1, 32 + (exponent - 5) * 16 + sub);
}

std::uint64_t LatencyHistogram::upper_bound_of(std::size_t bucket) {
  if (bucket < 32) return bucket;
  const std::size_t exponent = (bucket - 32) / 16 + 5;
  const std::uint64_t sub = (bucket - 32) % 16;
  return ((16 + sub + 1) << (exponent - 4)) - 1;
}

void LatencyHistogram::record(std::chrono::nanoseconds latency) {
  const auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(0, latency.count() / 1000));
  ++counts_[bucket_of(us)];
  ++count_;
  max_us_ = std::max(max_us_, us);
}

std::chrono::microseconds LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return std::chrono::microseconds{0};
  p = std::clamp(p, 0.0, 1.0);
  const auto rank = static_cast<std::uint64_t>(p * static_cast<double>(count_ - 1)) + 1;
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= rank) {
      return std::chrono::microseconds{static_cast<std::int64_t>(std::min(upper_bound_of(b), max_us_))};
    }
  }
  return std::chrono::microseconds{static_cast<std::int64_t>(max_us_)};
}

}  // namespace desk::bot::slack
