#pragma once
/// In-memory dedupe for redelivered envelopes when no store is wired in: remembers ids for a while.
/// Slack retries an event for about 5 minutes (reference §7), so ten minutes is the default.
#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>

namespace desk::bot::slack {

class RecentIds {
 public:
  using Clock = std::chrono::steady_clock;

  /// Keeps each id for `ttl`, and at most `capacity` ids (oldest forgotten first). Slack delivers at
  /// most 30,000 events per hour to an app, so 20,000 ids cover the ten-minute window with room.
  explicit RecentIds(std::chrono::seconds ttl = std::chrono::minutes{10}, std::size_t capacity = 20000);

  /// True when `id` was not seen within the window (and records it); false for a repeat.
  bool insert(const std::string& id, Clock::time_point now = Clock::now());

  std::size_t size() const { return ids_.size(); }

 private:
  void expire(Clock::time_point now);

  std::chrono::seconds ttl_;
  std::size_t capacity_;
  // The set views strings owned by the deque: deque elements never move when the ends change.
  std::unordered_set<std::string_view> ids_;
  std::deque<std::pair<Clock::time_point, std::string>> order_;
};

}  // namespace desk::bot::slack
