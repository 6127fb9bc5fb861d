#pragma once
/// Who may POST to /api/messages: only the Bot Connector, proven by the `Authorization: Bearer <JWT>`
/// it sends with every activity (Bot Framework "connector authentication", reference/teams.md §9.1).
/// The token must be signed (RS256/384/512) by the key its `kid` names in the Bot Framework's key set,
/// issued by https://api.botframework.com for this bot's app id, within its lifetime (5 minutes of
/// skew), by a key endorsed for the activity's channel, and for the activity's service URL.
///
/// Fetching the key set (KeySource, see openid_key_source.hpp) is split from checking a token against
/// it (check_bot_framework_token, pure), so the checks are unit-tested with keys a test makes.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "bot/teams/jwt.hpp"
#include "core/clock.hpp"

namespace desk::bot::teams {

inline constexpr const char* kBotFrameworkIssuer = "https://api.botframework.com";
/// How far the desk's clock and the issuer's may disagree on `exp` and `nbf`.
inline constexpr std::chrono::seconds kTokenClockSkew{300};

/// What an inbound token is checked against, read from the activity in the request's body.
struct ActivityIdentity {
  std::string channel_id;   ///< "channelId": "msteams"
  std::string service_url;  ///< "serviceUrl": where replies to this activity go
};

/// Reads `channelId` and `serviceUrl` from an activity (each empty when absent or not a string; the
/// check then refuses).
ActivityIdentity activity_identity(const nlohmann::json& activity);

/// The verdict on one inbound request.
struct AuthVerdict {
  unsigned status = 200;     ///< 200 accepted; 401 refused; 403 the key is not endorsed for the channel;
                             ///< 503 no key set could be had (the desk's trouble, not the caller's)
  std::string cause;         ///< why refused: a short fixed phrase, never the token; empty when accepted
  bool unknown_key = false;  ///< refused only because no key in the set has the token's kid

  bool accepted() const { return status == 200; }
  static AuthVerdict accept() { return {}; }
  static AuthVerdict refuse(unsigned status, std::string cause) { return {status, std::move(cause), false}; }
};

/// The whole check of an `Authorization` header value against a key set, at `now`. Pure.
AuthVerdict check_bot_framework_token(std::string_view authorization, const ActivityIdentity& activity,
                                      const JwkSet& keys, std::string_view app_id, core::TimePoint now);

/// True when two service URLs name the same endpoint: scheme and host compared case-insensitively,
/// the default port written or not, the path exactly but for one trailing slash.
bool same_service_url(std::string_view a, std::string_view b);

/// No key set can be had (the metadata or the keys cannot be fetched or read, and none is cached).
class KeySourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where the verifier gets the Bot Framework's signing keys.
class KeySource {
 public:
  virtual ~KeySource() = default;
  /// The key set to verify with (never null). `kid_unknown` says the caller met a kid the set it last
  /// got lacks: a source fetches again when it may (sources rate-limit this). Throws KeySourceError.
  virtual boost::asio::awaitable<std::shared_ptr<const JwkSet>> key_set(bool kid_unknown) = 0;
};

/// Verifies inbound requests. Construct with the key source, the clock and the bot's app id (the
/// token's audience); all three must outlive it.
class BotFrameworkAuth {
 public:
  /// Throws std::invalid_argument for an empty app id.
  BotFrameworkAuth(KeySource& keys, const core::Clock& clock, std::string app_id);

  /// The verdict on a request whose `Authorization` header is `authorization` (empty when absent) and
  /// whose activity is `activity`. A malformed header is refused before any key is fetched; an unknown
  /// kid asks the source once more. Never throws for a bad token.
  boost::asio::awaitable<AuthVerdict> verify(std::string authorization, ActivityIdentity activity);

 private:
  KeySource& keys_;
  const core::Clock& clock_;
  std::string app_id_;
};

}  // namespace desk::bot::teams
