#pragma once
/// One request for many callers: while a fetch (a token, a key set) is in flight, later callers wait
/// for its outcome instead of sending the same request again. For one io_context thread, like the
/// rest of the desk's I/O: no locks.
#include <chrono>
#include <exception>
#include <memory>
#include <optional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace desk::bot::teams {

template <typename T>
class SingleFlight {
 public:
  explicit SingleFlight(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  /// True while a run is in flight.
  bool in_flight() const { return current_ != nullptr; }

  /// Awaits `work`; when a run is already in flight, awaits that run's outcome (value or exception)
  /// instead and drops `work` unstarted. Pass `work` as a named local (GCC 12 and co_await operands).
  boost::asio::awaitable<T> run(boost::asio::awaitable<T> work) {
    if (auto flight = current_) co_return co_await join(flight);
    auto flight = std::make_shared<Flight>(executor_);
    current_ = flight;
    try {
      flight->value.emplace(co_await std::move(work));
    } catch (...) { flight->error = std::current_exception(); }
    flight->done = true;
    current_.reset();
    flight->finished.cancel();  // wakes every joined caller
    if (flight->error) std::rethrow_exception(flight->error);
    co_return *flight->value;
  }

 private:
  struct Flight {
    explicit Flight(const boost::asio::any_io_executor& ex)
        : finished(ex, std::chrono::steady_clock::time_point::max()) {}
    std::optional<T> value;
    std::exception_ptr error;
    bool done = false;
    boost::asio::steady_timer finished;  // never expires: cancelled when the run ends
  };

  // Shares the flight, so a joined caller outlives nothing it reads.
  static boost::asio::awaitable<T> join(std::shared_ptr<Flight> flight) {
    while (!flight->done) {
      auto [ec] = co_await flight->finished.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      // The timer is cancelled only once the run is done; an abort before that is this caller's own
      // cancellation, which must end the wait rather than spin.
      if (!flight->done && ec) throw boost::system::system_error(ec);
    }
    if (flight->error) std::rethrow_exception(flight->error);
    co_return *flight->value;
  }

  boost::asio::any_io_executor executor_;
  std::shared_ptr<Flight> current_;
};

}  // namespace desk::bot::teams
