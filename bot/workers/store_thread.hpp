#pragma once
/// Where the I/O thread's store work runs. A store call can wait: for the disk (every commit is
/// fsynced) and for the store's lock while the intake committer writes a batch. The thread that acks
/// every surface's events and answers every agent must never wait so; its workers (the outbox above
/// all) hand each store call to this thread and resume once it is done, their thread free meanwhile.
///
///   co_await on_store(store_thread, [&] { return store.outbox_claim(now, 8, surfaces); });
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace desk::bot {

/// One thread running store calls in the order they come. Destroy it after every coroutine that
/// uses it has ended (the desk drains its workers first); a call in progress finishes before the
/// destructor returns.
class StoreThread {
 public:
  StoreThread() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~StoreThread() {
    work_.reset();
    thread_.join();
  }
  StoreThread(const StoreThread&) = delete;
  StoreThread& operator=(const StoreThread&) = delete;

  boost::asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

namespace detail {
template <typename F>
boost::asio::awaitable<std::invoke_result_t<F&>> call_in_coroutine(F call) {
  co_return call();
}
}  // namespace detail

/// Runs `call` on `where` and resumes the caller on its own executor with the result (or the
/// exception). No `where`: runs it right here (tests, and tools without a store thread). `call` may
/// capture the caller's locals by reference: the caller waits for it.
template <typename F>
boost::asio::awaitable<std::invoke_result_t<F&>> on_store(const std::optional<boost::asio::any_io_executor>& where,
                                                          F call) {
  if (!where) co_return call();
  co_return co_await boost::asio::co_spawn(*where, detail::call_in_coroutine(std::move(call)),
                                           boost::asio::use_awaitable);
}

}  // namespace desk::bot
