#pragma once
/// Time for the domain: every instant is UTC seconds on the system clock, and the domain never reads
/// the wall clock itself. `bot/` passes a SystemClock; tests pass a FakeClock and move it by hand.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace desk::core {

using TimePoint = std::chrono::sys_seconds;
using Seconds = std::chrono::seconds;

/// Source of "now" for code that needs it (the SLA timer, the CLI). Core functions take `now` as an argument.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }
};

/// "2026-11-30T09:00:00Z": how instants appear in audit records, exports and the API.
std::string format_utc(TimePoint t);

/// "2024-06-01": calendar dates in citations, the config, the API and the database.
std::string format_date(std::chrono::year_month_day day);

/// Parses exactly "YYYY-MM-DD" (digits only, a real day); nullopt for anything else.
std::optional<std::chrono::year_month_day> parse_date(std::string_view text);

/// "40 s", "3 min 20 s", "2 h 5 min": durations for people.
std::string format_duration(Seconds d);

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint now() const override { return now_; }
  void set(TimePoint t) { now_ = t; }
  void advance(Seconds d) { now_ += d; }

 private:
  TimePoint now_;
};

}  // namespace desk::core
