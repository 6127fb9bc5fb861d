#pragma once
/// The token the desk shows the Bot Connector: OAuth 2.0 client credentials (RFC 6749 §4.4) against
/// the Microsoft identity platform (TEAMS_TOKEN_URL), scope https://api.botframework.com/.default.
/// Cached until five minutes before it expires; callers arriving while one is being fetched share that
/// request. Neither the app password nor a token ever appears in an error or a log line.
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bot/slack/https_client.hpp"
#include "bot/teams/single_flight.hpp"
#include "core/clock.hpp"

namespace desk::bot::teams {

inline constexpr const char* kBotFrameworkScope = "https://api.botframework.com/.default";

/// "https://login.microsoftonline.com/<tenant_id>/oauth2/v2.0/token". Throws std::invalid_argument for
/// a tenant id that is empty or holds anything but letters, digits, '-' and '.' (a GUID or a domain).
std::string default_token_url(std::string_view tenant_id);

struct BotTokenConfig {
  std::string token_url;     ///< TEAMS_TOKEN_URL, else default_token_url(tenant id); https only
  std::string app_id;        ///< the bot's Microsoft app id (client_id)
  std::string app_password;  ///< TEAMS_APP_PASSWORD (client_secret); never logged
  slack::HttpTimeouts timeouts;
};

/// No token. `permanent()` when the login service refused the request itself (a 4xx other than 429:
/// wrong app id or password, unknown tenant), so asking again will not help until the config changes.
class BotTokenError : public std::runtime_error {
 public:
  BotTokenError(const std::string& what, bool permanent, std::string oauth_error = {})
      : std::runtime_error(what), permanent_(permanent), oauth_error_(std::move(oauth_error)) {}
  bool permanent() const { return permanent_; }
  /// The OAuth "error" code (RFC 6749 §5.2), e.g. "invalid_client"; empty when there was none.
  const std::string& oauth_error() const { return oauth_error_; }

 private:
  bool permanent_;
  std::string oauth_error_;
};

/// Where the Bot Connector client gets its bearer token (tests pass their own).
class BotTokenSource {
 public:
  virtual ~BotTokenSource() = default;
  /// A token believed valid. Throws BotTokenError.
  virtual boost::asio::awaitable<std::string> token() = 0;
  /// The service refused `token` (401): it is not handed out again.
  virtual void invalidate(const std::string& token) = 0;
};

class BotTokenClient final : public BotTokenSource {
 public:
  /// `clock` must outlive it. Throws std::invalid_argument when the token URL is not https or the app
  /// id or password is empty (the message never holds the password).
  BotTokenClient(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
                 const core::Clock& clock, BotTokenConfig config);
  ~BotTokenClient() override;

  boost::asio::awaitable<std::string> token() override;
  void invalidate(const std::string& token) override;

  /// Token requests sent so far (tests).
  std::size_t requests() const { return requests_; }

 private:
  boost::asio::awaitable<std::string> request_token();

  const core::Clock& clock_;
  BotTokenConfig config_;
  slack::Url url_;
  slack::HttpsClient client_;
  SingleFlight<std::string> flight_;
  std::string token_;
  core::TimePoint renew_at_{};
  std::size_t requests_ = 0;
};

}  // namespace desk::bot::teams
