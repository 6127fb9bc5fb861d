#pragma once
/// One kept HttpsClient per origin (scheme, host, port): the Bot Framework calls go to a few hosts
/// (the login service, the Bot Connector's regional service URLs), each reused with keep-alive.
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bot/slack/https_client.hpp"
#include "bot/slack/url.hpp"

namespace desk::bot::teams {

class HttpsOrigins {
 public:
  HttpsOrigins(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
               slack::HttpTimeouts timeouts, std::size_t max_idle_per_origin = 2);

  /// The client for `url`'s origin, made on first use and kept. Throws std::invalid_argument for a
  /// URL that is not https: no token travels in the clear.
  slack::HttpsClient& client_for(const slack::Url& url);

  /// Closes every kept client's idle connections (shutdown, tests).
  void close_idle();

  /// Connections opened so far over every origin (tests check reuse).
  std::size_t connections_opened() const;

 private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  slack::HttpTimeouts timeouts_;
  std::size_t max_idle_;
  std::map<std::string, std::unique_ptr<slack::HttpsClient>> clients_;
};

}  // namespace desk::bot::teams
