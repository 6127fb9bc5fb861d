#include "bot/teams/openid_key_source.hpp"

#include <stdexcept>

#include "bot/slack/log.hpp"
#include "bot/teams/json_fields.hpp"

namespace desk::bot::teams {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;

slack::Url https_url_or_throw(const std::string& text) {
  auto url = slack::parse_url(text);
  if (!url || url->scheme != "https") throw std::invalid_argument("TEAMS_OPENID_METADATA_URL is not an https URL");
  return *url;
}

}  // namespace

OpenIdKeySetFetcher::OpenIdKeySetFetcher(net::any_io_executor executor, std::shared_ptr<net::ssl::context> tls,
                                         std::string metadata_url, slack::HttpTimeouts timeouts)
    : metadata_url_(https_url_or_throw(metadata_url)), origins_(std::move(executor), std::move(tls), timeouts, 1) {}

net::awaitable<json> OpenIdKeySetFetcher::get_json(const slack::Url& url, const char* what) {
  auto& client = origins_.client_for(url);
  std::string target = url.target;
  std::string no_token;
  slack::HttpResponse response;
  try {
    response = co_await client.get(std::move(target), std::move(no_token));
  } catch (const slack::HttpTransportError& e) {
    throw KeySourceError(std::string("cannot fetch ") + what + ": " + e.what());
  }
  if (response.status != 200)
    throw KeySourceError(std::string(what) + " answered HTTP " + std::to_string(response.status));
  auto body = json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) throw KeySourceError(std::string(what) + " is not a JSON object");
  co_return body;
}

net::awaitable<JwkSet> OpenIdKeySetFetcher::fetch() {
  const json metadata = co_await get_json(metadata_url_, "the OpenID metadata");
  const auto keys_url = slack::parse_url(string_field(metadata, "jwks_uri"));
  // The keys decide whom the desk believes: they come over verified TLS or not at all.
  if (!keys_url || keys_url->scheme != "https") throw KeySourceError("the OpenID metadata names no https jwks_uri");
  const json document = co_await get_json(*keys_url, "the key set");
  auto set = parse_jwk_set(document);
  if (!set) throw KeySourceError("the key set has no keys array");
  co_return std::move(*set);
}

CachedKeySource::CachedKeySource(net::any_io_executor executor, KeySetFetcher& fetcher, const core::Clock& clock,
                                 KeyCachePolicy policy)
    : fetcher_(fetcher), clock_(clock), policy_(policy), flight_(std::move(executor)) {}

bool CachedKeySource::fetch_due(bool kid_unknown, core::TimePoint now) const {
  if (!last_attempt_) return true;
  if (now - *last_attempt_ < policy_.min_spacing) return false;
  return !current_ || kid_unknown || now - fetched_at_ >= policy_.refresh_after;
}

net::awaitable<CachedKeySource::SetPtr> CachedKeySource::key_set(bool kid_unknown) {
  if (flight_.in_flight() || fetch_due(kid_unknown, clock_.now())) {
    auto fetch = fetch_now();
    co_return co_await flight_.run(std::move(fetch));
  }
  if (!current_) throw KeySourceError("no signing keys: the last fetch failed");
  co_return current_;
}

net::awaitable<CachedKeySource::SetPtr> CachedKeySource::fetch_now() {
  last_attempt_ = clock_.now();
  ++fetches_;
  std::string failure;
  try {
    auto set = co_await fetcher_.fetch();
    current_ = std::make_shared<const JwkSet>(std::move(set));
    fetched_at_ = clock_.now();
    slack::log_info("teams.signing_keys_fetched", {{"keys", current_->keys.size()}});
    co_return current_;
  } catch (const KeySourceError& e) { failure = e.what(); }
  slack::log_warn("teams.signing_keys_unavailable", {{"reason", failure}, {"keeping_cached", current_ != nullptr}});
  if (!current_) throw KeySourceError(failure);
  co_return current_;
}

}  // namespace desk::bot::teams
