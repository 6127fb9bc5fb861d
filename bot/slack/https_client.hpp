#pragma once
/// HTTPS client for the Web API (and Teams' Bot Framework endpoints): keep-alive connections to one
/// host, a timeout on every step (connect, TLS handshake, write, response). POST, GET (OpenID metadata,
/// key sets) and PUT (the Bot Connector's update). Beast stays behind the pimpl.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bot/slack/url.hpp"

namespace desk::bot::slack {

struct HttpTimeouts {
  std::chrono::milliseconds connect{5000};  ///< name resolution is bounded by the system resolver
  std::chrono::milliseconds handshake{5000};
  std::chrono::milliseconds write{5000};
  std::chrono::milliseconds response{15000};  ///< from request sent to the whole response read
};

struct HttpRequest {
  std::string target;        ///< path and query, e.g. "/api/chat.postMessage"
  std::string content_type;  ///< e.g. "application/json; charset=utf-8"; no header when empty (a GET)
  std::string body;
  std::string bearer_token;  ///< sent as "Authorization: Bearer …"; never logged
};

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::string retry_after;  ///< the Retry-After header, if any
};

/// No response. `request_sent` is false when the request certainly never reached the server
/// (connect or TLS failed), so any call may be retried; true when it may have been processed.
class HttpTransportError : public std::runtime_error {
 public:
  HttpTransportError(const std::string& what, bool request_sent)
      : std::runtime_error(what), request_sent_(request_sent) {}
  bool request_sent() const { return request_sent_; }

 private:
  bool request_sent_;
};

class HttpsClient {
 public:
  /// `origin` gives scheme, host and port (its target is ignored). Keeps up to `max_idle`
  /// connections open for reuse.
  HttpsClient(boost::asio::any_io_executor executor, Url origin, std::shared_ptr<boost::asio::ssl::context> tls,
              HttpTimeouts timeouts, std::size_t max_idle = 4);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  /// POSTs `request` and reads the whole response. Throws HttpTransportError.
  boost::asio::awaitable<HttpResponse> post(HttpRequest request);
  /// PUTs `request` (a whole replacement) and reads the whole response. Throws HttpTransportError.
  boost::asio::awaitable<HttpResponse> put(HttpRequest request);
  /// GETs `target` (no body), with `bearer_token` when not empty. Throws HttpTransportError.
  boost::asio::awaitable<HttpResponse> get(std::string target, std::string bearer_token);

  /// Closes every idle keep-alive connection (shutdown, tests).
  void close_idle();

  /// Connections opened so far (tests check that keep-alive reuses them).
  std::size_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;

  enum class Method { get, post, put };
  boost::asio::awaitable<HttpResponse> send(Method method, HttpRequest request);
};

}  // namespace desk::bot::slack
