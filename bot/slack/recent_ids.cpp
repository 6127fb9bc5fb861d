#include "bot/slack/recent_ids.hpp"

#include <algorithm>
#include <bit>
#include <functional>

namespace desk::bot::slack {

namespace {
// Ring positions are stored as 32-bit index entries; more ids than this would not fit in memory anyway.
constexpr std::size_t kMaxCapacity = std::size_t{1} << 24;
}  // namespace

RecentIds::RecentIds(std::chrono::seconds ttl, std::size_t capacity)
    : ttl_(ttl),
      capacity_(std::clamp<std::size_t>(capacity, 1, kMaxCapacity)),
      ring_(std::make_unique_for_overwrite<Slot[]>(capacity_)),
      index_(std::bit_ceil(2 * capacity_), 0),
      mask_(index_.size() - 1) {}

std::string_view RecentIds::id_at(std::size_t position) const {
  const Slot& slot = ring_[position];
  if (slot.length == kLongId) return long_ids_.at(position);
  return {slot.text.data(), slot.length};
}

std::size_t RecentIds::find(std::string_view id, std::uint64_t hash) const {
  for (std::size_t entry = hash & mask_;; entry = (entry + 1) & mask_) {
    const std::uint32_t ref = index_[entry];
    if (ref == 0 || (ring_[ref - 1].hash == hash && id_at(ref - 1) == id)) return entry;
  }
}

// Backward-shift deletion: entries after the hole move into it unless that would put them before
// the entry their hash points at, so every id stays reachable from its home without tombstones.
void RecentIds::erase_index_entry(std::size_t hole) {
  for (std::size_t next = (hole + 1) & mask_;; next = (next + 1) & mask_) {
    const std::uint32_t ref = index_[next];
    if (ref == 0) break;
    const std::size_t home = ring_[ref - 1].hash & mask_;
    const bool home_between = ((next - home) & mask_) < ((next - hole) & mask_);  // home in (hole, next]
    if (!home_between) {
      index_[hole] = ref;
      hole = next;
    }
  }
  index_[hole] = 0;
}

void RecentIds::forget_oldest() {
  const Slot& slot = ring_[oldest_];
  std::size_t entry = slot.hash & mask_;
  while (index_[entry] != oldest_ + 1) entry = (entry + 1) & mask_;
  erase_index_entry(entry);
  if (slot.length == kLongId) long_ids_.erase(oldest_);
  oldest_ = (oldest_ + 1) % capacity_;
  --count_;
}

void RecentIds::expire(TimePoint now) {
  while (count_ > 0 && ring_[oldest_].at + ttl_ <= now) forget_oldest();
}

bool RecentIds::insert(std::string_view id, TimePoint now) {
  expire(now);
  const std::uint64_t hash = std::hash<std::string_view>{}(id);
  std::size_t entry = find(id, hash);
  if (index_[entry] != 0) return false;
  if (count_ == capacity_) {
    forget_oldest();
    entry = find(id, hash);  // the deletion may have shifted entries into the free one
  }
  const std::size_t position = (oldest_ + count_) % capacity_;
  Slot& slot = ring_[position];
  slot.at = now;
  slot.hash = hash;
  if (id.size() <= kInlineBytes) {
    slot.length = static_cast<std::uint16_t>(id.size());
    std::copy(id.begin(), id.end(), slot.text.begin());
  } else {
    slot.length = kLongId;
    long_ids_.insert_or_assign(position, std::string(id));
  }
  index_[entry] = static_cast<std::uint32_t>(position + 1);
  ++count_;
  return true;
}

}  // namespace desk::bot::slack
