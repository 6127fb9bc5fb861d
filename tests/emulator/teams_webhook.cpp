#include "tests/emulator/teams_webhook.hpp"

#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
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
using json = nlohmann::json;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

constexpr const char* kPath = "/workflows/0f6c/triggers/manual/paths/invoke";
constexpr const char* kQuery = "api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=emulated-signature-4f2a9c";

/// Why `body` is not a message the flow's template posts, or empty.
std::string message_problem(const json& body, std::size_t bytes) {
  if (bytes > 28 * 1024) return "larger than 28 KB";
  if (!body.is_object() || body.value("type", "") != "message") return "type is not \"message\"";
  if (!body.contains("attachments") || !body["attachments"].is_array() || body["attachments"].size() != 1)
    return "not exactly one attachment";
  const json& a = body["attachments"][0];
  if (a.value("contentType", "") != "application/vnd.microsoft.card.adaptive") return "not an Adaptive Card";
  if (!a.contains("content") || !a["content"].is_object()) return "content is not a card object";
  const json& card = a["content"];
  if (card.value("type", "") != "AdaptiveCard") return "card type is not AdaptiveCard";
  const std::string version = card.value("version", "");
  if (version != "1.0" && version != "1.1" && version != "1.2" && version != "1.3" && version != "1.4" &&
      version != "1.5")
    return "card version " + version + " is not one Teams renders (up to 1.5)";
  if (!card.contains("body") || !card["body"].is_array() || card["body"].empty()) return "card has no body";
  for (const auto& action : card.value("actions", json::array()))
    if (action.value("type", "") != "Action.OpenUrl") return "a webhook card may only carry Action.OpenUrl";
  return {};
}

}  // namespace

struct TeamsWebhook::Impl {
  explicit Impl(const TestPki& pki) : tls(net::ssl::context::tls_server), acceptor(io) {
    tls.use_certificate_chain(net::buffer(pki.trusted().server_cert_pem));
    tls.use_private_key(net::buffer(pki.trusted().server_key_pem), net::ssl::context::pem);
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    net::co_spawn(io, accept_loop(), net::detached);
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() {
    net::post(io, [this] {
      boost::system::error_code ec;
      acceptor.close(ec);
    });
    io.stop();
    thread.join();
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      net::co_spawn(io, serve(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> serve(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds{10});
    auto [hec] = co_await stream.async_handshake(net::ssl::stream_base::server, kTuple);
    if (hec) co_return;
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds{10});
      auto [rec, rn] = co_await http::async_read(stream, buffer, req, kTuple);
      if (rec) co_return;
      http::response<http::string_body> res{http::status::accepted, req.version()};
      res.keep_alive(req.keep_alive());
      const std::string target(req.target());
      {
        std::lock_guard lock(mu);
        WebhookPost post{target,     std::string(req[http::field::content_type]),
                         req.body(), json::parse(req.body(), nullptr, false),
                         {},         202};
        if (req.method() != http::verb::post || target != std::string(kPath) + "?" + kQuery) {
          post.answered = 404;
          post.problem = "no such flow";
        } else if (!answers.empty()) {
          const WebhookAnswer a = answers.front();
          answers.pop_front();
          post.answered = a.status;
          if (a.retry_after) res.set(http::field::retry_after, std::to_string(*a.retry_after));
        } else if (post.problem = message_problem(post.json, req.body().size()); !post.problem.empty()) {
          post.answered = 400;
          res.body() = R"({"error":{"code":"InvalidRequestContent","message":")" + post.problem + "\"}}";
        }
        res.result(static_cast<http::status>(post.answered));
        posts.push_back(std::move(post));
      }
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
      if (wec || !req.keep_alive()) co_return;
    }
  }

  net::io_context io{1};
  net::ssl::context tls;
  tcp::acceptor acceptor;
  unsigned short port = 0;
  std::thread thread;
  mutable std::mutex mu;
  std::vector<WebhookPost> posts;
  std::deque<WebhookAnswer> answers;
};

TeamsWebhook::TeamsWebhook(const TestPki& pki) : impl_(std::make_unique<Impl>(pki)) {}
TeamsWebhook::~TeamsWebhook() = default;

std::string TeamsWebhook::url() const {
  return "https://127.0.0.1:" + std::to_string(impl_->port) + kPath + "?" + kQuery;
}

std::vector<WebhookPost> TeamsWebhook::posts() const {
  std::lock_guard lock(impl_->mu);
  return impl_->posts;
}

std::vector<nlohmann::json> TeamsWebhook::cards() const {
  std::vector<nlohmann::json> out;
  for (const auto& p : posts())
    if (p.problem.empty() && (p.answered == 200 || p.answered == 202))
      out.push_back(p.json["attachments"][0]["content"]);
  return out;
}

void TeamsWebhook::queue(std::vector<WebhookAnswer> answers) {
  std::lock_guard lock(impl_->mu);
  for (auto& a : answers) impl_->answers.push_back(a);
}

}  // namespace desk::emulator
