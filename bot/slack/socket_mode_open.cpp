// Opening one Socket Mode connection: a wss:// URL from apps.connections.open, then TCP, TLS and the
// WebSocket handshake, up to Slack's hello (socket_mode_connection.cpp). Apart from the session because
// each handshake instantiates much of Beast: two files compile side by side.
#include "bot/slack/socket_mode_impl.hpp"
#include "bot/slack/url.hpp"

namespace desk::bot::slack {

net::awaitable<std::shared_ptr<socket_mode::Conn>> SocketModeClient::Impl::connect_once() {
  auto link = co_await api.apps_connections_open(config.app_token);
  if (config.debug_reconnects)
    link += (link.find('?') == std::string::npos ? "?" : "&") + std::string("debug_reconnects=true");
  auto url = parse_url(link);
  if (!url || url->scheme != "wss") throw std::runtime_error("apps.connections.open gave a URL that is not wss://");
  auto c = std::make_shared<Conn>(executor, *tls, ++next_conn_id);
  connecting = c;
  auto& tcp_stream = beast::get_lowest_layer(c->ws);
  tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(url->host, url->port, kTuple);
  socket_mode::check(rec, "resolve");
  tcp_stream.expires_after(config.connect_timeout);
  auto [cec, endpoint] = co_await tcp_stream.async_connect(endpoints, kTuple);
  socket_mode::check(cec, "connect");
  tcp_stream.socket().set_option(tcp::no_delay(true));
  if (!configure_tls_peer(c->tls(), url->host, url->host_is_ip)) {
    throw std::runtime_error("cannot set the TLS peer name");
  }
  tcp_stream.expires_after(config.connect_timeout);
  auto [tec] = co_await c->tls().async_handshake(net::ssl::stream_base::client, kTuple);
  socket_mode::check(tec, "TLS handshake");
  c->ws.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "escalation-desk/0.1"); }));
  tcp_stream.expires_after(config.connect_timeout);
  auto [wec] = co_await c->ws.async_handshake(url->host_header(), url->target, kTuple);
  socket_mode::check(wec, "WebSocket handshake");
  co_await await_hello(*c);
  connecting.reset();
  co_return c;
}

}  // namespace desk::bot::slack
