#pragma once
/// The agent intake API's HTTP/1.1 server: reads requests with a body limit and a read timeout,
/// hands each to a handler function (handlers::IntakeHandler in the desk) and writes back its answer.
/// Routing and validation live in the handler; this file only speaks HTTP.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "handlers/intake_handler.hpp"

namespace desk::bot {

/// A response that stays open (server-sent events): the server writes `head` (status, content type,
/// headers and any first bytes of the body, with no length: the body ends when the connection does),
/// then each piece `next` gives, until `next` gives nullopt, the client goes away or the server stops.
struct StreamingResponse {
  handlers::HttpResponse head;
  std::function<boost::asio::awaitable<std::optional<std::string>>()> next;
};

struct IntakeServerOptions {
  std::string listen = "127.0.0.1:8080";  ///< host:port; port 0 picks a free one (tests)
  std::chrono::seconds read_timeout{30};  ///< per request, headers and body
  std::size_t body_limit = 1024 * 1024;   ///< larger bodies get 413 without being read
  std::size_t max_connections = 512;      ///< open at once; further ones wait in the backlog until one closes
  /// Asked first, on the server's thread, for every request: a StreamingResponse takes the connection
  /// over; nullopt passes the request to the handler. Unset: no request streams.
  std::function<std::optional<StreamingResponse>(const handlers::HttpRequest&)> stream;
  /// Asked with a request's head (no body yet), on the server's thread: an answer here is sent without
  /// the body ever being read (e.g. a 401), and the connection closes. Unset: every body is read.
  std::function<std::optional<handlers::HttpResponse>(const handlers::HttpRequest&)> screen;
};

class IntakeServer {
 public:
  /// Answers on the server's own thread (a slow answer holds up everything else on it).
  using Handler = std::function<handlers::HttpResponse(const handlers::HttpRequest&)>;
  /// Called exactly once with the answer, from any thread; the server writes it from its own.
  using Reply = std::function<void(handlers::HttpResponse)>;
  /// Hands the request on (e.g. to an IntakeCommitter) and returns at once; the connection waits for
  /// `reply` while the server's thread goes on with other work.
  using AsyncHandler = std::function<void(handlers::HttpRequest, Reply)>;

  IntakeServer(boost::asio::any_io_executor executor, IntakeServerOptions options, Handler handler);
  IntakeServer(boost::asio::any_io_executor executor, IntakeServerOptions options, AsyncHandler handler);
  ~IntakeServer();
  IntakeServer(const IntakeServer&) = delete;
  IntakeServer& operator=(const IntakeServer&) = delete;

  /// Binds and listens; throws std::runtime_error naming the address when that fails.
  /// Returns the port bound (useful with port 0).
  std::uint16_t bind();

  /// Accepts connections until stop(); each connection runs as its own coroutine.
  boost::asio::awaitable<void> run();

  /// Stops accepting and closes open connections after their current response.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// Splits "host:port" (IPv6 as "[::1]:8080"); throws std::invalid_argument on a malformed address.
std::pair<std::string, std::uint16_t> split_host_port(const std::string& listen);

}  // namespace desk::bot
