#pragma once
/// The real SlackApi: HTTPS keep-alive to SLACK_API_URL, bot-token auth, one queue per method (per
/// channel for chat.postMessage) that honours 429 Retry-After and never drops a call, and transport
/// retries only where a resend cannot post twice.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/https_client.hpp"
#include "bot/slack/json_slack_api.hpp"

namespace desk::bot::slack {

inline constexpr const char* kDefaultApiUrl = "https://slack.com/api/";

struct WebApiConfig {
  std::string api_url = kDefaultApiUrl;  ///< base of every method URL; must end with '/'
  std::string bot_token;                 ///< xoxb-…
  HttpTimeouts timeouts;
  std::string extra_ca_file;  ///< trusted in addition to the system store
  /// A client TLS context to share with the Socket Mode client; when null one is made.
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  /// Wait used when a 429 carries no usable Retry-After (it happens: node-slack-sdk#1421).
  std::chrono::seconds default_retry_after{30};
  /// Transport failures retried per call (retry-safe calls, or before the request was sent).
  int max_transport_retries = 2;
  BackoffPolicy transport_backoff{std::chrono::milliseconds{250}, std::chrono::milliseconds{5000}};
  std::size_t max_idle_connections = 4;
  /// Told the method of each 429 answer (desk_slack_rate_limited_total); on the client's thread.
  std::function<void(const std::string& method)> on_rate_limited;
};

class WebApiClient final : public JsonSlackApi {
 public:
  /// Throws std::invalid_argument when `api_url` is not an https/http URL, and std::runtime_error
  /// when a CA file cannot be loaded.
  WebApiClient(boost::asio::any_io_executor executor, WebApiConfig config);
  ~WebApiClient() override;

  /// Connections opened so far (keep-alive reuses them).
  std::size_t connections_opened() const;
  /// 429 answers seen so far.
  std::size_t rate_limited_count() const;
  /// Closes idle keep-alive connections.
  void close_idle();
  /// For a stopping desk: every call waiting (out a 429's Retry-After, a backoff, or its queue's turn)
  /// ends now with SlackTransportError, and no new request is sent; a request already on the wire
  /// finishes within its timeouts. Nothing is lost: the outbox sends it again after a restart.
  void cancel();

  Task<void> upload_file_bytes(std::string upload_url, std::string bytes) override;

 protected:
  Task<nlohmann::json> invoke(ApiCall call) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Parses a Retry-After header (delay seconds); nullopt when missing or not a number.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view header);

}  // namespace desk::bot::slack
