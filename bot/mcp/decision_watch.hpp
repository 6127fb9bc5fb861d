#pragma once
/// Wakes MCP await_decision calls when their escalation changes, without polling and without a thread
/// per waiter: a waiter is a timer on the desk's executor. When the desk says something changed (one
/// escalation, or "something"), ONE read of the store (on the committer's thread) fetches a fingerprint
/// (state and owner) of every escalation being waited on, and only waiters whose fingerprint moved
/// wake up. A thousand waiters cost a thousand idle timers; a change costs one read.
///
/// Everything runs on the executor given; notify() from elsewhere must be posted there.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace desk::bot::mcp {

/// Escalation id → its fingerprint now ("" when there is no such escalation).
using Fingerprints = std::map<std::string, std::string>;

/// Reads the fingerprints of `ids` somewhere that may wait for the disk, then calls `done` with them
/// (nullopt when the read failed: the watch tries again a second later) from any thread (DecisionWatch
/// posts it back to its executor).
using FingerprintReader =
    std::function<void(std::vector<std::string> ids, std::function<void(std::optional<Fingerprints>)> done)>;

class DecisionWatch {
 public:
  DecisionWatch(boost::asio::any_io_executor executor, FingerprintReader reader);
  ~DecisionWatch();
  DecisionWatch(const DecisionWatch&) = delete;
  DecisionWatch& operator=(const DecisionWatch&) = delete;

  enum class Wake { changed, deadline, closed };

  /// Waits until escalation `id`'s fingerprint differs from `seen`, `until` passes, or close().
  /// `epoch` (optional): epoch() as it was when `seen` was read. When notifications came since, the
  /// watch reads the fingerprint once before sleeping; on return it is brought up to date when nothing
  /// was left unread, so the next wait of a quiet escalation costs no read at all.
  boost::asio::awaitable<Wake> wait(std::string id, std::string seen, std::chrono::steady_clock::time_point until,
                                    std::uint64_t* epoch = nullptr);

  /// Escalation `id` may have changed; empty: any of them may have.
  void notify(const std::string& id);

  /// Wakes every waiter with Wake::closed and refuses new waits (they return closed at once).
  void close();

  std::size_t waiting() const;

  /// Counts notify() calls; read it before reading an escalation, and hand it to wait().
  std::uint64_t epoch() const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with pending reads, which may finish after this is gone
};

}  // namespace desk::bot::mcp
