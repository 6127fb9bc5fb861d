#include "bot/console/html.hpp"

#include <chrono>

namespace desk::bot::console {

std::string time_element(core::TimePoint t) {
  const std::string iso = core::format_utc(t);  // 2026-12-03T09:41:00Z
  std::string shown = iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
  return "<time datetime=\"" + iso + "\">" + shown + "</time>";
}

std::string unix_text(core::TimePoint t) { return std::to_string(t.time_since_epoch().count()); }

}  // namespace desk::bot::console
