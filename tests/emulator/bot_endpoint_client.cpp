#include "tests/emulator/bot_endpoint_client.hpp"

#include <cctype>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace desk::emulator {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// The pieces of an http(s)://host:port/path URL, for the inbound client.
struct TargetUrl {
  bool tls = false;
  std::string host, port, target;
};

TargetUrl parse_target_url(const std::string& url) {
  TargetUrl out;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    out.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    throw std::invalid_argument("post_to_bot: not an http(s) URL: " + url);
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const auto colon = authority.rfind(':');
  out.host = std::string(authority.substr(0, colon));
  out.port = colon == std::string_view::npos ? (out.tls ? "443" : "80") : std::string(authority.substr(colon + 1));
  return out;
}

template <typename Stream>
net::awaitable<InboundResponse> exchange_on(Stream& stream, http::request<http::string_body>& request) {
  co_await http::async_write(stream, request, net::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(8 * 1024 * 1024);
  co_await http::async_read(stream, buffer, parser, net::use_awaitable);
  const auto& response = parser.get();
  InboundResponse out;
  out.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto& value = out.headers[name];
    value += (value.empty() ? "" : ", ") + std::string(field.value());
  }
  out.body = response.body();
  co_return out;
}

// One POST on a fresh connection (Connection: close), TLS trusting only the test CA.
net::awaitable<InboundResponse> post_once(TargetUrl url, http::request<http::string_body> request,
                                          std::chrono::milliseconds timeout, std::string ca_pem) {
  auto executor = co_await net::this_coro::executor;
  tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(url.host, url.port, net::use_awaitable);
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_after(timeout);  // one deadline for the whole exchange
  co_await tcp_stream.async_connect(endpoints, net::use_awaitable);
  if (!url.tls) co_return co_await exchange_on(tcp_stream, request);
  net::ssl::context tls(net::ssl::context::tls_client);
  tls.add_certificate_authority(net::buffer(ca_pem));
  tls.set_verify_mode(net::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), tls);
  stream.set_verify_callback(net::ssl::host_name_verification(url.host));
  boost::system::error_code not_an_address;
  net::ip::make_address(url.host, not_an_address);
  if (not_an_address) SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());  // SNI: names only
  co_await stream.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
  co_return co_await exchange_on(stream, request);
}

}  // namespace

nlohmann::json InboundResponse::json() const { return nlohmann::json::parse(body, nullptr, false); }

InboundResponse post_to_bot(const std::string& url, const std::string& body,
                            const std::optional<std::string>& authorization, std::chrono::milliseconds timeout,
                            const std::string& ca_pem) {
  const TargetUrl target = parse_target_url(url);
  http::request<http::string_body> request{http::verb::post, target.target, 11};
  request.set(http::field::host, target.host + ":" + target.port);
  request.set(http::field::user_agent, "Microsoft-SkypeBotApi (Microsoft-BotFramework 3.0)");
  request.set(http::field::content_type, "application/json; charset=utf-8");
  if (authorization) request.set(http::field::authorization, *authorization);
  request.keep_alive(false);
  request.body() = body;
  request.prepare_payload();

  // A private io_context on the caller's thread: the emulator's own thread never waits on a desk.
  net::io_context io;
  std::optional<InboundResponse> response;
  std::exception_ptr failure;
  net::co_spawn(io, post_once(target, std::move(request), timeout, ca_pem),
                [&](std::exception_ptr e, InboundResponse r) {
                  failure = e;
                  if (!e) response = std::move(r);
                });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*response);
}

}  // namespace desk::emulator
