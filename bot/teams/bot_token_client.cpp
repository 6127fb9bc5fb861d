#include "bot/teams/bot_token_client.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "bot/slack/json_slack_api.hpp"
#include "bot/slack/log.hpp"
#include "bot/teams/json_fields.hpp"

namespace desk::bot::teams {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;

/// A token is renewed this long before the service says it expires: a call that starts with it still
/// has time to finish, and a clock a little off does not matter.
constexpr std::chrono::seconds kRenewBeforeExpiry{300};

slack::Url token_url_or_throw(const std::string& text) {
  auto url = slack::parse_url(text);
  if (!url || url->scheme != "https") throw std::invalid_argument("TEAMS_TOKEN_URL is not an https URL");
  return *url;
}

/// `expires_in` in seconds: a number, or a string of digits (older endpoints write it so).
std::optional<long long> expires_in_of(const json& body) {
  if (!body.is_object()) return std::nullopt;
  const auto it = body.find("expires_in");
  if (it == body.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<long long>();
  if (!it->is_string()) return std::nullopt;
  const auto text = it->get<std::string>();
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  return std::stoll(text);
}

}  // namespace

std::string default_token_url(std::string_view tenant_id) {
  if (tenant_id.empty() || !std::all_of(tenant_id.begin(), tenant_id.end(),
                                        [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; }))
    throw std::invalid_argument("the Teams tenant_id is not a tenant id or domain");
  return "https://login.microsoftonline.com/" + std::string(tenant_id) + "/oauth2/v2.0/token";
}

BotTokenClient::BotTokenClient(net::any_io_executor executor, std::shared_ptr<net::ssl::context> tls,
                               const core::Clock& clock, BotTokenConfig config)
    : clock_(clock),
      config_(std::move(config)),
      url_(token_url_or_throw(config_.token_url)),
      client_(executor, url_, std::move(tls), config_.timeouts, 1),
      flight_(executor) {
  if (config_.app_id.empty()) throw std::invalid_argument("the Teams app id is empty");
  if (config_.app_password.empty()) throw std::invalid_argument("TEAMS_APP_PASSWORD is empty");
  slack::register_secret(config_.app_password);
}

BotTokenClient::~BotTokenClient() = default;

net::awaitable<std::string> BotTokenClient::token() {
  if (!token_.empty() && clock_.now() < renew_at_) co_return token_;
  auto request = request_token();
  co_return co_await flight_.run(std::move(request));
}

void BotTokenClient::invalidate(const std::string& token) {
  // Only the token that was refused: another caller may already hold a newer one.
  if (token == token_) token_.clear();
}

net::awaitable<std::string> BotTokenClient::request_token() {
  ++requests_;
  slack::HttpRequest request;
  request.target = url_.target;
  request.content_type = "application/x-www-form-urlencoded";
  request.body = slack::form_encode({{"grant_type", "client_credentials"},
                                     {"client_id", config_.app_id},
                                     {"client_secret", config_.app_password},
                                     {"scope", kBotFrameworkScope}});
  slack::HttpResponse response;
  try {
    response = co_await client_.post(std::move(request));
  } catch (const slack::HttpTransportError& e) {
    throw BotTokenError(std::string("cannot reach the token service: ") + e.what(), false);
  }
  const json body = json::parse(response.body, nullptr, false);
  if (response.status != 200) {
    const std::string code = code_field(body, "error");
    // 429 and 5xx are the service's trouble; any other refusal is about the request: the app id, the
    // password or the tenant.
    const bool permanent = response.status >= 400 && response.status < 500 && response.status != 429;
    throw BotTokenError(
        "the token service answered HTTP " + std::to_string(response.status) + (code.empty() ? "" : " (" + code + ")"),
        permanent, code);
  }
  const auto expires_in = expires_in_of(body);
  const std::string token = string_field(body, "access_token");
  if (token.empty() || !expires_in || *expires_in <= 0)
    throw BotTokenError("the token service's answer holds no access_token and expires_in", false);
  // It goes into an Authorization header as it is: visible ASCII only, so it can never end the header.
  if (!std::all_of(token.begin(), token.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; }))
    throw BotTokenError("the token service issued a token that cannot be sent in a header", false);
  // token_type is compared case-insensitively (RFC 6749 §5.1); Microsoft writes "Bearer".
  const std::string type = string_field(body, "token_type");
  if (!type.empty() && type != "Bearer" && type != "bearer")
    throw BotTokenError("the token service issued a non-bearer token", false);
  token_ = token;
  // A token that lives less than the margin is used for the calls waiting now and fetched again next.
  renew_at_ = clock_.now() + std::chrono::seconds{*expires_in} - kRenewBeforeExpiry;
  slack::log_info("teams.token_fetched", {{"expires_in_s", *expires_in}});
  co_return token;
}

}  // namespace desk::bot::teams
