#include "bot/teams/connector_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/slack/json_slack_api.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/web_api_client.hpp"
#include "bot/teams/json_fields.hpp"

namespace desk::bot::teams {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;
using Kind = ConnectorError::Kind;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// The statuses the Bot Connector asks clients to retry (rate limit, precondition on a concurrent
// update, gateway errors): the request was not carried out.
bool retryable(unsigned status) { return status == 429 || status == 412 || status == 502 || status == 504; }

bool success(unsigned status) { return status >= 200 && status < 300; }

// The service's own words, `{"error":{"code":…,"message":…}}`, shortened and redacted.
ConnectorError refusal(const char* call, const slack::HttpResponse& response) {
  const json body = json::parse(response.body, nullptr, false);
  const json error = body.is_object() && body.contains("error") ? body["error"] : json::object();
  const std::string code = code_field(error, "code");
  std::string message = string_field(error, "message");
  if (message.size() > 200) message = message.substr(0, 200) + "…";
  std::string what = std::string(call) + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) what += " " + code;
  if (!message.empty()) what += ": " + slack::redact(message);
  const Kind kind = response.status >= 400 && response.status < 500 ? Kind::permanent : Kind::transient;
  return ConnectorError(kind, what, response.status, code);
}

/// One request's outcome: the answer, or the transport failure and whether the request may have arrived.
struct Exchange {
  slack::HttpResponse response;
  std::optional<std::string> transport_failure;
  bool request_sent = false;
};

enum class Verb { post, put, get };

net::awaitable<Exchange> exchange(slack::HttpsClient& client, Verb verb, slack::HttpRequest request) {
  Exchange out;
  try {
    if (verb == Verb::get) {
      out.response = co_await client.get(std::move(request.target), std::move(request.bearer_token));
    } else {
      auto call = verb == Verb::put ? client.put(std::move(request)) : client.post(std::move(request));
      out.response = co_await std::move(call);
    }
  } catch (const slack::HttpTransportError& e) {
    out.transport_failure = e.what();
    out.request_sent = e.request_sent();
  }
  co_return out;
}

void require_id(std::string_view id, const char* what) {
  if (id.empty()) throw ConnectorError(Kind::permanent, std::string("no ") + what);
}

}  // namespace

namespace {

/// `{service_url}/v3/conversations/{conversation_id}`, for the routes under it.
slack::Url conversation_url(std::string_view service_url, std::string_view conversation_id) {
  auto url = slack::parse_url(service_url);
  // The token goes wherever this points: only https, and only a plain base (no query to smuggle a path).
  if (!url || url->scheme != "https") throw ConnectorError(Kind::permanent, "the service URL is not an https URL");
  if (url->target.find_first_of("?#") != std::string::npos)
    throw ConnectorError(Kind::permanent, "the service URL carries a query");
  require_id(conversation_id, "conversation id");
  if (url->target.back() != '/') url->target += '/';
  url->target += "v3/conversations/" + slack::url_encode(conversation_id);
  return *url;
}

}  // namespace

slack::Url activities_url(std::string_view service_url, std::string_view conversation_id,
                          std::string_view activity_id) {
  auto url = conversation_url(service_url, conversation_id);
  url.target += "/activities";
  if (!activity_id.empty()) url.target += "/" + slack::url_encode(activity_id);
  return url;
}

slack::Url member_url(std::string_view service_url, std::string_view conversation_id, std::string_view member_id) {
  require_id(member_id, "member id");
  auto url = conversation_url(service_url, conversation_id);
  url.target += "/members/" + slack::url_encode(member_id);
  return url;
}

ConnectorClient::ConnectorClient(net::any_io_executor executor, std::shared_ptr<net::ssl::context> tls,
                                 BotTokenSource& tokens, ConnectorConfig config)
    : executor_(executor),
      tokens_(tokens),
      config_(config),
      origins_(executor, std::move(tls), config.timeouts, config.max_idle_per_origin),
      pauses_(std::make_shared<std::set<net::steady_timer*>>()) {
  if (config_.max_attempts == 0) config_.max_attempts = 1;
}

ConnectorClient::~ConnectorClient() = default;

net::awaitable<std::string> ConnectorClient::post_activity(std::string service_url, std::string conversation_id,
                                                           json activity) {
  auto url = activities_url(service_url, conversation_id);
  const auto response = co_await send(Method::post, std::move(url), std::move(activity));
  co_return string_field(json::parse(response.body, nullptr, false), "id");
}

net::awaitable<std::string> ConnectorClient::reply_to(std::string service_url, std::string conversation_id,
                                                      std::string activity_id, json activity) {
  require_id(activity_id, "activity id to reply to");
  auto url = activities_url(service_url, conversation_id, activity_id);
  const auto response = co_await send(Method::post, std::move(url), std::move(activity));
  co_return string_field(json::parse(response.body, nullptr, false), "id");
}

net::awaitable<void> ConnectorClient::update_activity(std::string service_url, std::string conversation_id,
                                                      std::string activity_id, json activity) {
  require_id(activity_id, "activity id to update");
  auto url = activities_url(service_url, conversation_id, activity_id);
  co_await send(Method::put, std::move(url), std::move(activity));
}

net::awaitable<std::optional<ConversationMember>> ConnectorClient::member(std::string service_url,
                                                                          std::string conversation_id,
                                                                          std::string member_id) {
  auto url = member_url(service_url, conversation_id, member_id);
  try {
    const auto response = co_await send(Method::get, std::move(url), json::object());
    const json body = json::parse(response.body, nullptr, false);
    ConversationMember m{string_field(body, "id"), string_field(body, "name"), string_field(body, "aadObjectId")};
    if (m.aad_object_id.empty())
      throw ConnectorError(Kind::permanent, "get member: the answer names no aadObjectId", response.status);
    co_return m;
  } catch (const ConnectorError& e) {
    if (e.kind() != Kind::permanent || e.status() != 404) throw;
  }
  co_return std::nullopt;
}

void ConnectorClient::cancel() {
  stopping_ = true;
  for (auto* timer : *pauses_) timer->cancel();
  origins_.close_idle();
}

void ConnectorClient::stop_if_stopping() const {
  if (stopping_) throw ConnectorError(Kind::transient, "not sent: the desk is stopping");
}

net::awaitable<void> ConnectorClient::pause(std::chrono::milliseconds delay) {
  stop_if_stopping();
  net::steady_timer timer(executor_, delay);
  struct Unregister {
    std::shared_ptr<std::set<net::steady_timer*>> pauses;
    net::steady_timer* timer;
    ~Unregister() { pauses->erase(timer); }
  } unregister{pauses_, &timer};
  pauses_->insert(&timer);
  co_await timer.async_wait(kTuple);
  stop_if_stopping();
}

net::awaitable<std::string> ConnectorClient::bearer_token() {
  try {
    co_return co_await tokens_.token();
  } catch (const BotTokenError& e) {
    throw ConnectorError(e.permanent() ? Kind::credentials : Kind::transient,
                         std::string("no Bot Framework token: ") + e.what(), 0, e.oauth_error());
  }
}

net::awaitable<slack::HttpResponse> ConnectorClient::send(Method method, slack::Url url, json activity) {
  const char* call = method == Method::put ? "update activity" : method == Method::get ? "get member" : "post activity";
  if (!activity.is_object())
    throw ConnectorError(Kind::permanent, std::string(call) + ": the activity is not an object");
  const std::string body = activity.dump(-1, ' ', false, json::error_handler_t::replace);
  auto& client = origins_.client_for(url);
  bool token_refreshed = false;
  for (unsigned attempt = 1;; ++attempt) {
    stop_if_stopping();
    const std::string token = co_await bearer_token();
    slack::HttpRequest request;
    request.target = url.target;
    if (method != Method::get) {
      request.content_type = "application/json; charset=utf-8";
      request.body = body;
    }
    request.bearer_token = token;
    const Verb verb = method == Method::put ? Verb::put : method == Method::get ? Verb::get : Verb::post;
    const Exchange sent = co_await exchange(client, verb, std::move(request));
    const auto& response = sent.response;
    std::chrono::milliseconds wait{0};
    if (const auto& failure = sent.transport_failure) {
      // A POST that may have arrived is not sent again: the service would show the message twice.
      if (sent.request_sent && method == Method::post)
        throw ConnectorError(Kind::in_doubt, std::string(call) + ": " + *failure + " (may have been posted)");
      if (attempt >= config_.max_attempts) throw ConnectorError(Kind::transient, std::string(call) + ": " + *failure);
      wait = slack::backoff_delay(config_.backoff, attempt - 1, slack::random_jitter());
    } else if (success(response.status)) {
      co_return response;
    } else if (response.status == 401 && !token_refreshed) {
      // A token the service no longer takes (revoked, or the clocks disagree): one new token, at once.
      tokens_.invalidate(token);
      token_refreshed = true;
      --attempt;
      continue;
    } else if (retryable(response.status)) {
      const auto retry_after = slack::parse_retry_after(response.retry_after);
      const auto refused = refusal(call, response);
      if ((retry_after && *retry_after > config_.longest_retry_after) || attempt >= config_.max_attempts)
        throw ConnectorError(Kind::transient, refused.what(), response.status, refused.code(), retry_after);
      wait = retry_after ? std::chrono::milliseconds(*retry_after)
                         : slack::backoff_delay(config_.backoff, attempt - 1, slack::random_jitter());
    } else {
      throw refusal(call, response);
    }
    slack::log_warn("teams.connector_retry", {{"call", call},
                                              {"host", url.host_header()},
                                              {"status", response.status},
                                              {"reason", sent.transport_failure.value_or("")},
                                              {"attempt", attempt},
                                              {"wait_ms", static_cast<long>(wait.count())}});
    co_await pause(wait);
  }
}

}  // namespace desk::bot::teams
