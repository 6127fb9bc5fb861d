#pragma once
// Agents for the load drivers: keep-alive HTTP/1.1 connections on 127.0.0.1 POSTing drafts to the
// intake API, each sending its next submission as soon as the previous one is answered (closed
// loop), or at a fixed rate in all (open loop: a late send counts against the desk). They run on
// their own thread; intake_bench drives an in-process intake server with them, desk_bench the
// shipped binary.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/intake/intake_drafts.hpp"

namespace desk::bench {

inline constexpr const char* kIntakeToken = "bench-agent-token-0123456789";

struct IntakeLoadOptions {
  std::size_t connections = 32;
  double rate = 0;              ///< submissions per second in all; 0: closed loop
  std::size_t submissions = 0;  ///< how many to send (drafts are reused in turn); 0: until stop()
  std::string token = kIntakeToken;
  std::string key_prefix = "bench";  ///< Idempotency-Key prefix: each submission's key is unique
  /// Keep retrying a refused connect this long: the desk may still be starting.
  std::chrono::milliseconds connect_for{0};
};

/// What the agents saw.
struct IntakeResults {
  std::vector<double> latencies;      ///< seconds, from the request's write to the full answer
  std::vector<double> from_schedule;  ///< seconds, from when it was due (open loop only)
  std::size_t ok = 0, created = 0, other = 0, escalate_expected = 0;
  std::vector<std::string> escalation_ids;
  std::string first_other;  ///< the first unexpected answer, for the report
  double cpu = 0;           ///< the agents' thread's CPU seconds
  double elapsed = 0;       ///< seconds from the first scheduled send to the last answer
  std::size_t answered() const { return latencies.size(); }
};

class IntakeLoad {
 public:
  /// Starts the agents against 127.0.0.1:`port` at once.
  IntakeLoad(std::uint16_t port, std::vector<Draft> drafts, IntakeLoadOptions options);
  /// Stops them (as stop()).
  ~IntakeLoad();
  IntakeLoad(const IntakeLoad&) = delete;
  IntakeLoad& operator=(const IntakeLoad&) = delete;

  /// No new submission after this; waits for the ones in flight to be answered.
  void stop();
  /// Waits until every submission was answered (with options.submissions > 0).
  void wait();
  /// Valid after stop() or wait().
  const IntakeResults& results() const { return results_; }

 private:
  struct Run;
  std::unique_ptr<Run> run_;
  IntakeResults results_;
  std::thread thread_;
};

/// A loopback port nobody listens on right now, for a desk the bench starts: its clients can then
/// connect the moment the desk listens, without waiting for its log line.
std::uint16_t free_loopback_port();

/// The value at fraction `p` of `seconds`, in milliseconds; 0 when empty.
double percentile_ms(std::vector<double> seconds, double p);

}  // namespace desk::bench
