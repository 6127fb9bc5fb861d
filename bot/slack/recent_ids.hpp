#pragma once
/// The ids of envelopes seen recently, in memory, for recognising redeliveries (DurableDedupe keeps
/// them on disk too). Slack retries an event for about 5 minutes (reference §7), so ten minutes is the
/// default. Times come from the caller (core::Clock), never from the wall clock.
///
/// Every envelope passes through here on the ack path, so the layout is chosen for it: the ids live
/// in a ring of fixed 64-byte slots (oldest first, no allocation per id for ids up to 46 bytes) and
/// an open-addressing index of ring positions finds them. A node-based hash set and a deque of
/// strings cost three cache misses and an allocation per envelope, a twentieth of the desk's CPU.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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
  bool insert(std::string_view id, TimePoint now);

  std::size_t size() const { return count_; }

 private:
  static constexpr std::size_t kInlineBytes = 46;
  static constexpr std::uint16_t kLongId = 0xffff;  // Slot::length of an id kept in long_ids_
  // No initialisers: the ring is allocated uninitialised, so its pages become resident only as ids
  // arrive (a quiet desk never touches most of its 1.3 MB).
  struct Slot {
    TimePoint at;
    std::uint64_t hash;
    std::uint16_t length;                 // inline bytes, or kLongId
    std::array<char, kInlineBytes> text;  // the id when it fits
  };

  void expire(TimePoint now);
  void forget_oldest();
  std::string_view id_at(std::size_t position) const;
  /// The index entry of `id`, or the empty entry where it would go.
  std::size_t find(std::string_view id, std::uint64_t hash) const;
  void erase_index_entry(std::size_t entry);

  std::chrono::seconds ttl_;
  std::size_t capacity_;
  std::unique_ptr<Slot[]> ring_;  // `count_` slots from `oldest_`, wrapping
  std::size_t oldest_ = 0, count_ = 0;
  // Linear probing over ring positions + 1 (0: empty); at most half full, so a miss probes ~1.5 entries.
  std::vector<std::uint32_t> index_;
  std::size_t mask_ = 0;
  std::unordered_map<std::size_t, std::string> long_ids_;  // ring position → an id over kInlineBytes
};

}  // namespace desk::bot::slack
