#pragma once
/// Time for the domain: every instant is UTC seconds on the system clock, and the domain never reads
/// the wall clock itself. `bot/` passes a SystemClock; tests pass a FakeClock and move it by hand.
#include <chrono>

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
  TimePoint now() const override {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  }
};

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
