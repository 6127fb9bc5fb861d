#include "bot/slack/recent_ids.hpp"

namespace desk::bot::slack {

RecentIds::RecentIds(std::chrono::seconds ttl, std::size_t capacity)
    : ttl_(ttl), capacity_(capacity == 0 ? 1 : capacity) {
  ids_.reserve(capacity_ + 1);  // no rehashing on the ack path
}

void RecentIds::expire(TimePoint now) {
  while (!order_.empty() && (order_.front().first + ttl_ <= now || order_.size() > capacity_)) {
    ids_.erase(std::string_view(order_.front().second));
    order_.pop_front();
  }
}

bool RecentIds::insert(const std::string& id, TimePoint now) {
  expire(now);
  if (ids_.contains(id)) return false;
  order_.emplace_back(now, id);
  ids_.insert(order_.back().second);
  expire(now);
  return true;
}

}  // namespace desk::bot::slack
