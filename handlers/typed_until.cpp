#include "handlers/typed_until.hpp"

#include <chrono>
#include <string>

#include "core/text_scan.hpp"

namespace desk::handlers {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

/// Reads `count` digits at `pos`, advancing it.
std::optional<int> digits(std::string_view s, std::size_t& pos, std::size_t count) {
  if (pos + count > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += count;
  return v;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

/// "HH:MM" (or "H:MM") at `pos`, optionally ":SS", as a time of day.
std::optional<core::Seconds> time_of_day(std::string_view s, std::size_t& pos) {
  const std::size_t colon = s.find(':', pos);
  const auto h = colon == pos + 1 ? digits(s, pos, 1) : digits(s, pos, 2);
  if (!h || !expect(s, pos, ':')) return std::nullopt;
  const auto m = digits(s, pos, 2);
  if (!m || *h > 23 || *m > 59) return std::nullopt;
  int sec = 0;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    const auto v = digits(s, pos, 2);
    if (!v || *v > 59) return std::nullopt;
    sec = *v;
  }
  return hours(*h) + minutes(*m) + core::Seconds(sec);
}

std::optional<core::TimePoint> duration_after(std::string_view s, core::TimePoint now) {
  if (s.size() < 2 || s.size() > 6) return std::nullopt;
  std::size_t pos = 0;
  const auto n = digits(s, pos, s.size() - 1);
  if (!n || *n <= 0) return std::nullopt;
  switch (s.back()) {
    case 'm':
      return now + minutes(*n);
    case 'h':
      return now + hours(*n);
    case 'd':
      return now + days(*n);
    default:
      return std::nullopt;
  }
}

std::optional<core::TimePoint> date_time(std::string_view s) {
  std::size_t pos = 0;
  const auto y = digits(s, pos, 4);
  if (!y || !expect(s, pos, '-')) return std::nullopt;
  const auto mo = digits(s, pos, 2);
  if (!mo || !expect(s, pos, '-')) return std::nullopt;
  const auto d = digits(s, pos, 2);
  if (!d || pos >= s.size() || (s[pos] != 'T' && s[pos] != ' ')) return std::nullopt;
  ++pos;
  const auto tod = time_of_day(s, pos);
  if (!tod) return std::nullopt;
  const std::string_view rest = s.substr(pos);
  if (!rest.empty() && rest != "Z" && rest != " UTC") return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*mo)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return core::TimePoint{std::chrono::sys_days(ymd)} + *tod;
}

}  // namespace

std::optional<core::TimePoint> parse_until(std::string_view text, core::TimePoint now) {
  const std::string kept = core::trimmed(text);
  text = kept;
  if (text.empty() || text.size() > 32) return std::nullopt;
  if (std::isalpha(static_cast<unsigned char>(text.back())) && text.find(':') == std::string_view::npos &&
      text.find('-') == std::string_view::npos)
    return duration_after(text, now);
  if (text.size() <= 8) {  // "18:00", "8:30", "18:00:30": UTC, the next time the clock shows it
    std::size_t pos = 0;
    const auto tod = time_of_day(text, pos);
    if (!tod || pos != text.size()) return std::nullopt;
    core::TimePoint t = core::TimePoint{std::chrono::floor<days>(now)} + *tod;
    return t <= now ? t + days(1) : t;
  }
  return date_time(text);
}

}  // namespace desk::handlers
