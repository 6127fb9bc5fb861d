#pragma once
/// The end of a rota override as a person typed it, on any surface (/rota override in Slack, "rota
/// override" to the Teams bot).
#include <optional>
#include <string_view>

#include "core/clock.hpp"

namespace desk::handlers {

/// The end of an override as a person typed it, relative to `now`: "2026-12-03T18:00Z" (seconds
/// optional), "2026-12-03 18:00" (UTC), "18:00" (UTC, today or tomorrow if already past), or a
/// duration "30m", "4h", "2d". nullopt when it is none of these (no range check against `now`).
std::optional<core::TimePoint> parse_until(std::string_view text, core::TimePoint now);

}  // namespace desk::handlers
