#pragma once
/// Small helpers for the console's HTML: escaping text and attributes, and times as people read them.
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "handlers/http_text.hpp"

namespace desk::bot::console {

/// `text` safe inside an element or a double-quoted attribute (handlers::escape_markup).
inline std::string escape(std::string_view text) { return handlers::escape_markup(text); }

/// "2026-12-03 09:41 UTC" inside a <time> element with its machine-readable datetime.
std::string time_element(core::TimePoint t);

/// Seconds since the epoch, for data-* attributes the page's script counts down from.
std::string unix_text(core::TimePoint t);

}  // namespace desk::bot::console
