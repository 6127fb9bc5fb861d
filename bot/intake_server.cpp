#include "bot/intake_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "bot/config/config_loader.hpp"
#include "bot/slack/log.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

handlers::HttpRequest to_request(const http::request<http::string_body>& req, bool from_loopback) {
  handlers::HttpRequest out;
  out.from_loopback = from_loopback;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Repeated headers are joined as HTTP allows; Authorization is never repeated legitimately.
    auto [it, fresh] = out.headers.emplace(name, std::string(field.value()));
    if (!fresh) {
      it->second += "," + std::string(field.value());
      if (!out.repeated(name)) out.repeated_headers.push_back(std::move(name));
    }
  }
  out.body = req.body();
  return out;
}

http::response<http::string_body> to_response(const handlers::HttpResponse& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "escalation-desk");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

handlers::HttpResponse json_error(int status, const char* code, const char* message) {
  nlohmann::json j = {{"error", code}, {"message", message}, {"field", nullptr}};
  return {status, "application/json", j.dump(), {}};
}

}  // namespace

struct IntakeServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(net::any_io_executor ex, IntakeServerOptions opts, Handler h, AsyncHandler a)
      : executor(std::move(ex)),
        options(std::move(opts)),
        handler(std::move(h)),
        async_handler(std::move(a)),
        acceptor(executor),
        slot_free(executor) {}

  net::awaitable<void> session(std::shared_ptr<beast::tcp_stream> stream);
  /// Closes after an answer sent before the request's body was read: stops sending, then reads and
  /// drops what the client still sends (briefly, boundedly), so the close does not reset the
  /// connection before the client has read the answer.
  net::awaitable<void> close_after_early_answer(beast::tcp_stream& stream);
  /// Resumes the accept loop when a connection closes (it waits while max_connections are open).
  void connection_closed() {
    if (open.size() < options.max_connections) slot_free.cancel();
  }
  /// Writes a streaming response on `stream` until it ends; the connection closes after it.
  net::awaitable<void> stream_out(beast::tcp_stream& stream, StreamingResponse response, unsigned version);
  net::awaitable<handlers::HttpResponse> answer(handlers::HttpRequest request);

  net::any_io_executor executor;
  IntakeServerOptions options;
  Handler handler;  // one of these two is set
  AsyncHandler async_handler;
  tcp::acceptor acceptor;
  net::steady_timer slot_free;
  std::set<std::shared_ptr<beast::tcp_stream>> open;
  bool stopping = false;
};

std::pair<std::string, std::uint16_t> split_host_port(const std::string& listen) {
  auto parsed = parse_listen_address(listen);
  if (!parsed)
    throw std::invalid_argument("listen address '" + listen + "' is not host:port with a port from 0 to 65535");
  return std::move(*parsed);
}

IntakeServer::IntakeServer(net::any_io_executor executor, IntakeServerOptions options, Handler handler)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options), std::move(handler), nullptr)) {}

IntakeServer::IntakeServer(net::any_io_executor executor, IntakeServerOptions options, AsyncHandler handler)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options), nullptr, std::move(handler))) {}

IntakeServer::~IntakeServer() { stop(); }

std::uint16_t IntakeServer::bind() {
  const auto [host, port] = split_host_port(impl_->options.listen);
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) throw std::runtime_error("intake listen address '" + impl_->options.listen + "': " + ec.message());
  const tcp::endpoint endpoint(address, port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(static_cast<int>(impl_->options.max_connections), ec);
  if (ec) throw std::runtime_error("cannot listen on " + impl_->options.listen + ": " + ec.message());
  return acceptor.local_endpoint().port();
}

net::awaitable<void> IntakeServer::run() {
  auto self = impl_;
  // After a failed accept (EMFILE: out of file descriptors) wait before trying again, doubling up to a
  // second: a tight retry loop would starve everything else on this thread, Slack's acks included.
  constexpr std::chrono::milliseconds kFirstPause{10}, kLongestPause{1000};
  std::chrono::milliseconds pause = kFirstPause;
  net::steady_timer backoff(self->executor);
  while (!self->stopping) {
    while (self->open.size() >= std::max<std::size_t>(1, self->options.max_connections) && !self->stopping) {
      self->slot_free.expires_at(std::chrono::steady_clock::time_point::max());
      co_await self->slot_free.async_wait(kTuple);
    }
    if (self->stopping) break;
    auto [ec, socket] = co_await self->acceptor.async_accept(kTuple);
    if (ec) {
      if (self->stopping || ec == net::error::operation_aborted) break;
      slack::log_warn("intake.accept_failed", {{"error", ec.message()}, {"retry_in_ms", pause.count()}});
      backoff.expires_after(pause);
      co_await backoff.async_wait(kTuple);
      pause = std::min(pause * 2, kLongestPause);
      continue;
    }
    pause = kFirstPause;
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    self->open.insert(stream);
    net::co_spawn(self->executor, self->session(stream), [self, stream](std::exception_ptr e) {
      self->open.erase(stream);
      self->connection_closed();
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) { slack::log_error("intake.session_failed", {{"error", ex.what()}}); }
    });
  }
}

void IntakeServer::stop() {
  if (!impl_ || impl_->stopping) return;
  impl_->stopping = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->slot_free.cancel();
  for (const auto& s : impl_->open) s->socket().shutdown(tcp::socket::shutdown_receive, ignored);
}

net::awaitable<handlers::HttpResponse> IntakeServer::Impl::answer(handlers::HttpRequest request) {
  if (!async_handler) co_return handler(request);
  co_return co_await net::async_initiate<const net::use_awaitable_t<>&, void(handlers::HttpResponse)>(
      [this](auto completion, handlers::HttpRequest r) {
        // Reply must be copyable (std::function) while the coroutine's handler is move-only, so it is
        // shared; `answered` makes a second call harmless. The tracked executor keeps the io_context
        // running until the answer is back on this thread.
        struct Waiting {
          decltype(completion) resume;
          std::atomic<bool> answered{false};
        };
        auto waiting = std::make_shared<Waiting>(std::move(completion));
        auto home = net::prefer(executor, net::execution::outstanding_work.tracked);
        Reply reply = [waiting, home](handlers::HttpResponse answer) {
          if (waiting->answered.exchange(true)) return;
          net::post(home, [waiting, answer = std::move(answer)]() mutable { waiting->resume(std::move(answer)); });
        };
        try {
          async_handler(std::move(r), reply);
        } catch (const std::exception& e) {
          slack::log_error("intake.handler_failed", {{"error", e.what()}});
          reply(json_error(500, "internal", "the desk could not answer; nothing was changed"));
        }
      },
      net::use_awaitable, std::move(request));
}

net::awaitable<void> IntakeServer::Impl::session(std::shared_ptr<beast::tcp_stream> stream) {
  beast::flat_buffer buffer;
  boost::system::error_code peer_ec;
  const auto peer = stream->socket().remote_endpoint(peer_ec);
  const bool from_loopback = !peer_ec && peer.address().is_loopback();
  while (!stopping) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options.body_limit);
    stream->expires_after(options.read_timeout);
    auto [ec, n] = co_await http::async_read_header(*stream, buffer, parser, kTuple);
    if (!ec && options.screen && !parser.is_done()) {
      std::optional<handlers::HttpResponse> early;
      try {
        early = options.screen(to_request(parser.get(), from_loopback));
      } catch (const std::exception& e) { slack::log_error("intake.screen_failed", {{"error", e.what()}}); }
      if (early) {
        auto res = to_response(*early, parser.get().version(), false);
        auto [wec, wn] = co_await http::async_write(*stream, res, kTuple);
        if (!wec) co_await close_after_early_answer(*stream);
        break;
      }
    }
    if (!ec && !parser.is_done()) std::tie(ec, n) = co_await http::async_read(*stream, buffer, parser, kTuple);
    handlers::HttpResponse answer;
    bool keep_alive = false;
    unsigned version = 11;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      break;
    } else if (ec == http::error::body_limit) {
      answer = json_error(413, "too_large", "the body is larger than the limit");
    } else if (ec) {
      answer = json_error(400, "bad_request", "the request is not valid HTTP/1.1");
    } else {
      const auto& req = parser.get();
      version = req.version();
      keep_alive = req.keep_alive() && !stopping;
      auto request = to_request(req, from_loopback);
      std::optional<StreamingResponse> streaming;
      if (options.stream) {
        try {
          streaming = options.stream(request);
        } catch (const std::exception& e) { slack::log_error("intake.stream_failed", {{"error", e.what()}}); }
      }
      if (streaming) {
        co_await stream_out(*stream, std::move(*streaming), version);
        break;
      }
      try {
        answer = co_await this->answer(std::move(request));
      } catch (const std::exception& e) {
        slack::log_error("intake.handler_failed", {{"error", e.what()}});
        answer = json_error(500, "internal", "the desk could not answer; nothing was changed");
      }
    }
    stream->expires_after(options.read_timeout);
    auto res = to_response(answer, version, keep_alive);
    auto [wec, wn] = co_await http::async_write(*stream, res, kTuple);
    // A body refused unread (413) may still be arriving: drain it so the client gets to read the answer.
    if (!wec && answer.status == 413) co_await close_after_early_answer(*stream);
    if (wec || !keep_alive || answer.status == 413) break;
  }
  boost::system::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream->close();
}

net::awaitable<void> IntakeServer::Impl::close_after_early_answer(beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::seconds{2});
  char sink[16 * 1024];
  std::size_t dropped = 0;
  while (dropped < options.body_limit) {
    auto [ec, n] = co_await stream.async_read_some(net::buffer(sink), kTuple);
    if (ec) break;
    dropped += n;
  }
}

net::awaitable<void> IntakeServer::Impl::stream_out(beast::tcp_stream& stream, StreamingResponse response,
                                                    unsigned version) {
  // The head is written by hand: Beast's serializer wants a length or chunked encoding, and an event
  // stream has neither (its body is delimited by the connection closing, which HTTP/1.1 allows).
  http::response<http::empty_body> head{static_cast<http::status>(response.head.status), version};
  head.set(http::field::server, "escalation-desk");
  if (!response.head.content_type.empty()) head.set(http::field::content_type, response.head.content_type);
  for (const auto& [name, value] : response.head.headers) head.set(name, value);
  head.set(http::field::connection, "close");
  std::ostringstream text;
  text << head.base();
  std::string first = text.str() + response.head.body;
  stream.expires_never();
  auto [ec, n] = co_await net::async_write(stream, net::buffer(first), kTuple);
  while (!ec && !stopping && response.next) {
    auto piece = co_await response.next();
    if (!piece || stopping) break;
    // A client that stops reading gets a minute before it is dropped; its events are not worth more.
    stream.expires_after(std::chrono::minutes{1});
    std::tie(ec, n) = co_await net::async_write(stream, net::buffer(*piece), kTuple);
  }
}

}  // namespace desk::bot
