#pragma once
/// The Bot Framework's signing keys, fetched over TLS and cached: the OpenID metadata document
/// (TEAMS_OPENID_METADATA_URL) names the key set (`jwks_uri`), which is fetched in turn. Keys change
/// rarely, so the set is kept for a day; a token naming a kid the set lacks fetches it again, at most
/// once a minute, so forged kids cannot make the desk hammer the login service.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "bot/slack/https_client.hpp"
#include "bot/slack/url.hpp"
#include "bot/teams/bot_framework_auth.hpp"
#include "bot/teams/https_origins.hpp"
#include "bot/teams/jwt.hpp"
#include "bot/teams/single_flight.hpp"
#include "core/clock.hpp"

namespace desk::bot::teams {

inline constexpr const char* kDefaultOpenIdMetadataUrl =
    "https://login.botframework.com/v1/.well-known/openidconfiguration";

/// One fetch of the current key set, without caching.
class KeySetFetcher {
 public:
  virtual ~KeySetFetcher() = default;
  /// Throws KeySourceError saying which step failed (never with a response body).
  virtual boost::asio::awaitable<JwkSet> fetch() = 0;
};

/// Fetches the metadata, then the key set it names; both must be https and answer 200 with JSON.
class OpenIdKeySetFetcher final : public KeySetFetcher {
 public:
  /// Throws std::invalid_argument when `metadata_url` is not an https URL.
  OpenIdKeySetFetcher(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
                      std::string metadata_url = kDefaultOpenIdMetadataUrl, slack::HttpTimeouts timeouts = {});

  boost::asio::awaitable<JwkSet> fetch() override;

 private:
  boost::asio::awaitable<nlohmann::json> get_json(const slack::Url& url, const char* what);

  slack::Url metadata_url_;
  HttpsOrigins origins_;
};

struct KeyCachePolicy {
  std::chrono::seconds refresh_after = std::chrono::hours{24};  ///< a set older than this is fetched again
  std::chrono::seconds min_spacing{60};                         ///< no two fetches (after the first) closer than this
};

/// A KeySource over a fetcher: one set kept, fetched on first use, when older than `refresh_after`, and
/// for an unknown kid; never twice within `min_spacing`. Callers arriving during a fetch share it. A
/// failed fetch keeps the set already held (logged); with none held, key_set throws KeySourceError.
class CachedKeySource final : public KeySource {
 public:
  /// `fetcher` and `clock` must outlive it.
  CachedKeySource(boost::asio::any_io_executor executor, KeySetFetcher& fetcher, const core::Clock& clock,
                  KeyCachePolicy policy = {});

  boost::asio::awaitable<std::shared_ptr<const JwkSet>> key_set(bool kid_unknown) override;

  /// Fetches started so far (tests).
  std::size_t fetches() const { return fetches_; }

 private:
  using SetPtr = std::shared_ptr<const JwkSet>;
  boost::asio::awaitable<SetPtr> fetch_now();
  bool fetch_due(bool kid_unknown, core::TimePoint now) const;

  KeySetFetcher& fetcher_;
  const core::Clock& clock_;
  KeyCachePolicy policy_;
  SingleFlight<SetPtr> flight_;
  SetPtr current_;
  core::TimePoint fetched_at_{};
  std::optional<core::TimePoint> last_attempt_;
  std::size_t fetches_ = 0;
};

}  // namespace desk::bot::teams
