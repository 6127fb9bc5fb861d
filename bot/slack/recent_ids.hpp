#pragma once
/// The ids of envelopes seen recently, in memory, for recognising redeliveries (DurableDedupe keeps
/// them on disk too). Slack retries an event for about 5 minutes (reference §7), so ten minutes is the
/// default. Times come from the caller (core::Clock), never from the wall clock.
#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/clock.hpp"

namespace desk::bot::slack {

class RecentIds {
 public:
  using TimePoint = core::TimePoint;

  /// Keeps each id for `ttl`, and at most `capacity` ids (oldest forgotten first). Slack delivers at
  /// most 30,000 events per hour to an app, so 20,000 ids cover the ten-minute window with room.
  explicit RecentIds(std::chrono::seconds ttl = std::chrono::minutes{10}, std::size_t capacity = 20000);

  /// True when `id` was not seen within the window (and records it as seen at `now`); false for a
  /// repeat. Times should not go backwards; if they do, ids are merely kept a little longer.
  bool insert(const std::string& id, TimePoint now);

  std::size_t size() const { return ids_.size(); }

 private:
  void expire(TimePoint now);

  std::chrono::seconds ttl_;
  std::size_t capacity_;
  // The set views strings owned by the deque: deque elements never move when the ends change.
  std::unordered_set<std::string_view> ids_;
  std::deque<std::pair<TimePoint, std::string>> order_;
};

}  // namespace desk::bot::slack
