#include "bot/slack/https_client.hpp"

#include <deque>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "bot/slack/tls.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// conversations.history pages can be large; anything above this is not a Web API answer.
constexpr std::uint64_t kMaxResponseBytes = 16 * 1024 * 1024;
// Idle keep-alive connections older than this are dropped rather than risked: servers close idle
// connections after a while, and a request written into a closing socket is ambiguous.
constexpr auto kMaxIdleAge = std::chrono::seconds{30};

struct Connection {
  Connection(net::any_io_executor ex, net::ssl::context& tls) : stream(ex, tls) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since{};
};

std::string describe(const char* step, const Url& origin, const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return std::string(step) + " to " + origin.host_header() + " timed out";
  return std::string(step) + " to " + origin.host_header() + " failed: " + ec.message();
}

}  // namespace

struct HttpsClient::Impl {
  net::any_io_executor executor;
  Url origin;
  std::shared_ptr<net::ssl::context> tls;
  HttpTimeouts timeouts;
  std::size_t max_idle;
  std::deque<std::unique_ptr<Connection>> idle;
  std::size_t opened = 0;

  std::unique_ptr<Connection> take_idle() {
    auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
      auto conn = std::move(idle.back());
      idle.pop_back();
      if (now - conn->idle_since < kMaxIdleAge) return conn;
    }
    return nullptr;
  }

  net::awaitable<std::unique_ptr<Connection>> connect() {
    tcp::resolver resolver(executor);
    auto [rec, endpoints] = co_await resolver.async_resolve(origin.host, origin.port, kTuple);
    if (rec) throw HttpTransportError(describe("resolve", origin, rec), false);
    auto conn = std::make_unique<Connection>(executor, *tls);
    if (!configure_tls_peer(conn->stream, origin.host, origin.host_is_ip)) {
      throw HttpTransportError("cannot set TLS peer name for " + origin.host, false);
    }
    auto& tcp_stream = beast::get_lowest_layer(conn->stream);
    tcp_stream.expires_after(timeouts.connect);
    auto [cec, endpoint] = co_await tcp_stream.async_connect(endpoints, kTuple);
    if (cec) throw HttpTransportError(describe("connect", origin, cec), false);
    tcp_stream.socket().set_option(tcp::no_delay(true));
    tcp_stream.expires_after(timeouts.handshake);
    auto [hec] = co_await conn->stream.async_handshake(net::ssl::stream_base::client, kTuple);
    if (hec) throw HttpTransportError(describe("TLS handshake", origin, hec), false);
    ++opened;
    co_return conn;
  }

  http::request<http::string_body> build(http::verb verb, const HttpRequest& request) const {
    http::request<http::string_body> req{verb, request.target, 11};
    // The Host header carries the port when it is not the default (RFC 7230 §5.4).
    req.set(http::field::host, origin.host_header());
    req.set(http::field::user_agent, "escalation-desk/0.1");
    if (!request.content_type.empty()) req.set(http::field::content_type, request.content_type);
    if (!request.bearer_token.empty()) req.set(http::field::authorization, "Bearer " + request.bearer_token);
    req.keep_alive(true);
    req.body() = request.body;
    // A GET carries no Content-Length: 0 (prepare_payload leaves it out for an empty GET body).
    req.prepare_payload();
    return req;
  }

  // One exchange on one connection. `fresh` is false for a reused keep-alive connection.
  net::awaitable<std::pair<HttpResponse, bool>> exchange(Connection& conn, const http::request<http::string_body>& req,
                                                         bool fresh, bool& stale) {
    auto& tcp_stream = beast::get_lowest_layer(conn.stream);
    tcp_stream.expires_after(timeouts.write);
    auto [wec, written] = co_await http::async_write(conn.stream, req, kTuple);
    if (wec) {
      stale = !fresh;
      throw HttpTransportError(describe("write", origin, wec), true);
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    tcp_stream.expires_after(timeouts.response);
    auto [rec, read] = co_await http::async_read(conn.stream, conn.buffer, parser, kTuple);
    if (rec) {
      // A reused connection that the server had already closed answers with EOF before a single
      // byte: the request was never read, so it is safe to send it again on a new connection.
      stale = !fresh && read == 0 &&
              (rec == http::error::end_of_stream || rec == net::error::eof || rec == net::error::connection_reset ||
               rec == net::ssl::error::stream_truncated);
      throw HttpTransportError(describe("read response", origin, rec), true);
    }
    tcp_stream.expires_never();
    auto res = parser.release();
    HttpResponse out;
    out.status = res.result_int();
    out.retry_after = std::string(res[http::field::retry_after]);
    out.body = std::move(res.body());
    co_return std::pair{std::move(out), res.keep_alive()};
  }
};

HttpsClient::HttpsClient(net::any_io_executor executor, Url origin, std::shared_ptr<net::ssl::context> tls,
                         HttpTimeouts timeouts, std::size_t max_idle)
    : impl_(std::make_unique<Impl>(
          Impl{std::move(executor), std::move(origin), std::move(tls), timeouts, max_idle, {}, 0})) {}

HttpsClient::~HttpsClient() = default;

void HttpsClient::close_idle() { impl_->idle.clear(); }

std::size_t HttpsClient::connections_opened() const { return impl_->opened; }

net::awaitable<HttpResponse> HttpsClient::post(HttpRequest request) { return send(Method::post, std::move(request)); }

net::awaitable<HttpResponse> HttpsClient::put(HttpRequest request) { return send(Method::put, std::move(request)); }

net::awaitable<HttpResponse> HttpsClient::get(std::string target, std::string bearer_token) {
  HttpRequest request;
  request.target = std::move(target);
  request.bearer_token = std::move(bearer_token);
  return send(Method::get, std::move(request));
}

net::awaitable<HttpResponse> HttpsClient::send(Method method, HttpRequest request) {
  auto& impl = *impl_;
  const auto verb = method == Method::get   ? http::verb::get
                    : method == Method::put ? http::verb::put
                                            : http::verb::post;
  const auto req = impl.build(verb, request);
  for (int attempt = 0;; ++attempt) {
    auto conn = attempt == 0 ? impl.take_idle() : nullptr;
    const bool fresh = conn == nullptr;
    if (fresh) conn = co_await impl.connect();
    bool stale = false;
    try {
      auto [response, keep_alive] = co_await impl.exchange(*conn, req, fresh, stale);
      if (keep_alive && impl.idle.size() < impl.max_idle && conn->buffer.size() == 0) {
        conn->idle_since = std::chrono::steady_clock::now();
        impl.idle.push_back(std::move(conn));
      }
      co_return response;
    } catch (const HttpTransportError&) {
      if (!stale || attempt > 0) throw;
    }
  }
}

}  // namespace desk::bot::slack
