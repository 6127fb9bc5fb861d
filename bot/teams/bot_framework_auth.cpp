#include "bot/teams/bot_framework_auth.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <variant>

#include "bot/slack/url.hpp"
#include "bot/teams/json_fields.hpp"

namespace desk::bot::teams {
namespace {

using json = nlohmann::json;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

// The JWS a bearer header carries, or the refusal. Cheap: runs before any key is fetched.
std::variant<Jws, AuthVerdict> read_bearer(std::string_view authorization) {
  if (authorization.empty()) return AuthVerdict::refuse(401, "no Authorization header");
  const auto space = authorization.find(' ');
  // The scheme is case-insensitive (RFC 7235 §2.1).
  if (space == std::string_view::npos || !iequals(authorization.substr(0, space), "Bearer"))
    return AuthVerdict::refuse(401, "Authorization is not a bearer token");
  auto token = authorization.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  auto parsed = parse_jws(token);
  if (!parsed.jws) return AuthVerdict::refuse(401, parsed.problem);
  // Refused before the key lookup, so a token with alg "none" never makes the desk fetch keys again.
  if (parsed.jws->alg != "RS256" && parsed.jws->alg != "RS384" && parsed.jws->alg != "RS512")
    return AuthVerdict::refuse(401, "algorithm not allowed");
  if (parsed.jws->kid.empty()) return AuthVerdict::refuse(401, "token names no key");
  return std::move(*parsed.jws);
}

// A NumericDate claim (RFC 7519 §2) in seconds; nullopt when absent or not a number.
std::optional<double> numeric_date(const json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// "aud" is a string, or an array of strings (RFC 7519 §4.1.3).
bool audience_includes(const json& claims, std::string_view app_id) {
  const auto it = claims.find("aud");
  if (it == claims.end()) return false;
  if (it->is_string()) return it->get<std::string>() == app_id;
  if (!it->is_array()) return false;
  return std::any_of(it->begin(), it->end(),
                     [&](const json& a) { return a.is_string() && a.get<std::string>() == app_id; });
}

// The claims after the signature holds: who issued it, for whom, when, and for which activity.
AuthVerdict check_claims(const json& claims, const Jwk& key, const ActivityIdentity& activity, std::string_view app_id,
                         core::TimePoint now) {
  if (string_field(claims, "iss") != kBotFrameworkIssuer) return AuthVerdict::refuse(401, "wrong issuer");
  if (!audience_includes(claims, app_id)) return AuthVerdict::refuse(401, "wrong audience");
  const auto exp = numeric_date(claims, "exp");
  if (!exp) return AuthVerdict::refuse(401, "token has no expiry");
  const auto nbf = numeric_date(claims, "nbf");
  if (claims.contains("nbf") && !nbf) return AuthVerdict::refuse(401, "token nbf is not a date");
  const double at = static_cast<double>(now.time_since_epoch().count());
  const double skew = static_cast<double>(kTokenClockSkew.count());
  if (at >= *exp + skew) return AuthVerdict::refuse(401, "token expired");
  if (nbf && at + skew < *nbf) return AuthVerdict::refuse(401, "token not yet valid");
  if (activity.channel_id.empty()) return AuthVerdict::refuse(401, "activity has no channelId");
  if (std::find(key.endorsements.begin(), key.endorsements.end(), activity.channel_id) == key.endorsements.end())
    return AuthVerdict::refuse(403, "key not endorsed for the channel");
  // The Bot Connector writes the claim in lower case.
  const std::string service_url = string_field(claims, "serviceurl");
  if (service_url.empty()) return AuthVerdict::refuse(401, "token has no serviceurl");
  if (!same_service_url(service_url, activity.service_url))
    return AuthVerdict::refuse(401, "serviceurl does not match the activity");
  return AuthVerdict::accept();
}

std::string without_trailing_slash(std::string path) {
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

ActivityIdentity activity_identity(const json& activity) {
  return {string_field(activity, "channelId"), string_field(activity, "serviceUrl")};
}

bool same_service_url(std::string_view a, std::string_view b) {
  // parse_url lower-cases scheme and host and fills in the default port.
  const auto left = slack::parse_url(a);
  const auto right = slack::parse_url(b);
  return left && right && left->scheme == right->scheme && left->host == right->host && left->port == right->port &&
         without_trailing_slash(left->target) == without_trailing_slash(right->target);
}

AuthVerdict check_bot_framework_token(std::string_view authorization, const ActivityIdentity& activity,
                                      const JwkSet& keys, std::string_view app_id, core::TimePoint now) {
  auto bearer = read_bearer(authorization);
  if (auto* refused = std::get_if<AuthVerdict>(&bearer)) return std::move(*refused);
  const Jws& jws = std::get<Jws>(bearer);
  const Jwk* key = keys.find(jws.kid);
  if (key == nullptr) {
    auto verdict = AuthVerdict::refuse(401, "token signed by an unknown key");
    verdict.unknown_key = true;
    return verdict;
  }
  if (auto problem = jws_signature_problem(jws, *key); !problem.empty()) return AuthVerdict::refuse(401, problem);
  return check_claims(jws.payload, *key, activity, app_id, now);
}

BotFrameworkAuth::BotFrameworkAuth(KeySource& keys, const core::Clock& clock, std::string app_id)
    : keys_(keys), clock_(clock), app_id_(std::move(app_id)) {
  if (app_id_.empty()) throw std::invalid_argument("the Teams app id is empty");
}

boost::asio::awaitable<AuthVerdict> BotFrameworkAuth::verify(std::string authorization, ActivityIdentity activity) {
  if (auto bearer = read_bearer(authorization); std::holds_alternative<AuthVerdict>(bearer))
    co_return std::get<AuthVerdict>(std::move(bearer));
  // At most two rounds: the cached set, then (for an unknown kid) the one the source may fetch anew.
  for (int round = 0;; ++round) {
    const bool kid_unknown = round > 0;
    std::shared_ptr<const JwkSet> keys;
    try {
      keys = co_await keys_.key_set(kid_unknown);
    } catch (const KeySourceError&) {
      keys = nullptr;  // the source logged why
    }
    if (!keys) co_return AuthVerdict::refuse(503, "signing keys unavailable");
    auto verdict = check_bot_framework_token(authorization, activity, *keys, app_id_, clock_.now());
    if (!verdict.unknown_key || kid_unknown) co_return verdict;
  }
}

}  // namespace desk::bot::teams
