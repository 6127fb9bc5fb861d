#include "bot/callback_sender.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/tls.hpp"
#include "bot/slack/url.hpp"
#include "handlers/callback_signing.hpp"
#include "handlers/callback_target.hpp"
#include "handlers/verdict_json.hpp"
#include "storage/digest.hpp"

// GCC 12 false positive on inlined Asio coroutine frames (see bot/outbox_sender.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace desk::bot {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// The answer is not used beyond its status; a receiver that streams megabytes back is cut off.
constexpr std::uint64_t kMaxAnswerBytes = 64 * 1024;

/// A failed attempt, described by step and host only: the URL's path or query may carry an agent's
/// own token, so it never reaches a log line or the outbox row.
class AttemptError : public std::runtime_error {
 public:
  AttemptError(const char* step, const slack::Url& url, const boost::system::error_code& ec)
      : std::runtime_error(std::string(step) + " to " + url.host_header() +
                           (ec == beast::error::timeout ? " timed out" : " failed: " + ec.message())) {}
};

/// A target the desk must not call (a name that resolves into its own network): fails for good.
class ForbiddenTarget : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Each step gets what is left of one deadline, so the attempt as a whole is bounded by the timeout.
class AttemptDeadline {
 public:
  explicit AttemptDeadline(std::chrono::milliseconds timeout) : end_(std::chrono::steady_clock::now() + timeout) {}
  void arm(beast::tcp_stream& stream) const { stream.expires_at(end_); }

 private:
  std::chrono::steady_clock::time_point end_;
};

template <typename Stream>
net::awaitable<unsigned> exchange(Stream& stream, const http::request<http::string_body>& request,
                                  const slack::Url& url, const AttemptDeadline& deadline) {
  deadline.arm(beast::get_lowest_layer(stream));
  auto [wec, written] = co_await http::async_write(stream, request, kTuple);
  if (wec) throw AttemptError("write", url, wec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);
  deadline.arm(beast::get_lowest_layer(stream));
  auto [rec, read] = co_await http::async_read(stream, buffer, parser, kTuple);
  // The status line is what counts: a body over the limit still leaves a usable answer.
  if (rec && !(rec == http::error::body_limit && parser.is_header_done())) throw AttemptError("read answer", url, rec);
  co_return parser.get().result_int();
}

/// The look-up of `url`'s host, within the attempt's deadline, with every address it gave checked:
/// the connection then goes only to these, so a name cannot answer "public" to the check and
/// "private" to the connect (DNS rebinding).
net::awaitable<tcp::resolver::results_type> resolve_checked(net::any_io_executor executor, const slack::Url& url,
                                                            std::chrono::steady_clock::time_point end,
                                                            bool allow_loopback) {
  tcp::resolver resolver(executor);
  net::steady_timer limit(executor, end);
  limit.async_wait([&resolver](boost::system::error_code ec) {
    if (!ec) resolver.cancel();
  });
  auto [rec, endpoints] = co_await resolver.async_resolve(url.host, url.port, kTuple);
  limit.cancel();
  if (rec == net::error::operation_aborted) throw AttemptError("resolve", url, beast::error::timeout);
  if (rec) throw AttemptError("resolve", url, rec);
  for (const auto& entry : endpoints) {
    const auto address = entry.endpoint().address();
    if (allow_loopback && address.is_loopback()) continue;
    if (const std::string problem = handlers::address_problem(address.to_string()); !problem.empty())
      throw ForbiddenTarget("callback host " + url.host + " resolves to " + problem +
                            "; callbacks go to public addresses only");
  }
  co_return endpoints;
}

/// One POST on a fresh connection (callback URLs differ per agent, so there is nothing to keep alive).
net::awaitable<unsigned> post_once(net::any_io_executor executor, const slack::Url& url,
                                   http::request<http::string_body> request, std::chrono::milliseconds timeout,
                                   net::ssl::context* tls, bool allow_loopback) {
  const AttemptDeadline deadline(timeout);
  const auto endpoints =
      co_await resolve_checked(executor, url, std::chrono::steady_clock::now() + timeout, allow_loopback);
  if (!url.secure()) {
    beast::tcp_stream stream(executor);
    deadline.arm(stream);
    auto [cec, endpoint] = co_await stream.async_connect(endpoints, kTuple);
    if (cec) throw AttemptError("connect", url, cec);
    co_return co_await exchange(stream, request, url, deadline);
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
  if (!slack::configure_tls_peer(stream, url.host, url.host_is_ip))
    throw std::runtime_error("cannot set the TLS peer name for " + url.host);
  deadline.arm(beast::get_lowest_layer(stream));
  auto [cec, endpoint] = co_await beast::get_lowest_layer(stream).async_connect(endpoints, kTuple);
  if (cec) throw AttemptError("connect", url, cec);
  deadline.arm(beast::get_lowest_layer(stream));
  auto [hec] = co_await stream.async_handshake(net::ssl::stream_base::client, kTuple);
  if (hec) throw AttemptError("TLS handshake", url, hec);
  co_return co_await exchange(stream, request, url, deadline);
}

}  // namespace

std::string decision_callback_body(const core::Escalation& e, const core::Rota* rota) {
  json body = {{"escalation_id", e.id}, {"submission_id", e.submission_id}, {"status", core::to_string(e.state)}};
  if (e.decision) {
    json by = rota ? handlers::person_json(*rota, e.decision->by) : json{{"id", e.decision->by}};
    body["decision"] = {{"macro", core::to_string(e.decision->macro)},
                        {"by", std::move(by)},
                        {"at", core::format_utc(e.decision->at)},
                        {"rationale", e.decision->rationale}};
  } else {
    body["decision"] = nullptr;
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

CallbackSender::CallbackSender(net::any_io_executor executor, storage::Store& store, handlers::PolicyResolver resolver,
                               core::Clock& clock, std::optional<std::string> secret, CallbackOptions options)
    : executor_(std::move(executor)),
      store_(store),
      resolver_(std::move(resolver)),
      clock_(clock),
      secret_(secret.value_or("")),
      options_(std::move(options)) {
  if (secret_.empty()) {
    slack::log_warn("callback.secret_missing",
                    {{"hint", std::string("set ") + kCallbackSecretEnv + " (or " + kCallbackSecretEnv +
                                  "_FILE); decision callbacks fail until then instead of going out unsigned"}});
  } else {
    slack::register_secret(secret_);
  }
  if (!options_.previous_secret.empty()) slack::register_secret(options_.previous_secret);
}

CallbackSender::~CallbackSender() = default;

std::optional<std::string> CallbackSender::secret_from_env(const slack::EnvLookup& env) {
  return slack::read_secret(kCallbackSecretEnv, env);
}

std::optional<std::string> CallbackSender::previous_secret_from_env(const slack::EnvLookup& env) {
  return slack::read_secret(kPreviousCallbackSecretEnv, env);
}

std::string CallbackSender::target_url(const storage::OutboxMessage& row) const {
  const json payload = json::parse(row.payload_json, nullptr, false);
  if (payload.is_object()) {
    if (auto it = payload.find("url"); it != payload.end() && it->is_string()) return it->get<std::string>();
  }
  const auto e = store_.escalation(row.escalation_id);
  if (!e) return {};
  const auto submission = store_.submission(e->submission_id);
  return submission ? submission->submission.callback_url : std::string{};
}

DeliveryOutcome CallbackSender::retry_or_give_up(const storage::OutboxMessage& row, std::string detail) const {
  const core::TimePoint now = clock_.now();
  if (now - row.created_at >= options_.give_up_after)
    return {DeliveryOutcome::Kind::fail,
            "gave up after " + core::format_duration(now - row.created_at) + ": " + detail,
            {},
            {}};
  const unsigned attempt = row.attempts > 0 ? static_cast<unsigned>(row.attempts - 1) : 0U;
  const auto delay = slack::backoff_delay(options_.backoff, attempt, slack::random_jitter());
  const auto wait = std::max(core::Seconds{1}, std::chrono::ceil<core::Seconds>(delay));
  return {DeliveryOutcome::Kind::retry, std::move(detail), {}, now + wait};
}

net::awaitable<DeliveryOutcome> CallbackSender::deliver(storage::OutboxMessage row, bool /*in_doubt*/) {
  using Kind = DeliveryOutcome::Kind;
  if (secret_.empty())
    co_return DeliveryOutcome{
        Kind::fail, std::string(kCallbackSecretEnv) + " is not set; decision callbacks are not sent unsigned", {}, {}};
  const auto e = store_.escalation(row.escalation_id);
  if (!e) co_return DeliveryOutcome{Kind::fail, "escalation " + row.escalation_id + " not found", {}, {}};
  const std::string url_text = target_url(row);
  if (url_text.empty()) co_return DeliveryOutcome{Kind::fail, "no callback_url for " + e->id, {}, {}};
  // Checked again here: the row may predate the rules, or the config's testing setting may have changed.
  if (auto problem = handlers::callback_url_problem(url_text, options_.allow_loopback); !problem.empty())
    co_return DeliveryOutcome{Kind::fail, std::move(problem), {}, {}};
  const auto parsed = slack::parse_url(url_text);
  if (!parsed) co_return DeliveryOutcome{Kind::fail, "callback_url is not a URL the desk can call", {}, {}};
  const slack::Url url = *parsed;

  const auto policy = resolver_ ? resolver_(e->policy_digest) : nullptr;
  const std::string body = decision_callback_body(*e, policy ? &policy->rota() : nullptr);
  const std::string timestamp = std::to_string(clock_.now().time_since_epoch().count());
  // The agent's own key (from the token it submitted with), under each secret in use.
  const auto scope = store_.submission_scope(e->submission_id);
  if (!scope) co_return DeliveryOutcome{Kind::fail, "submission " + e->submission_id + " not found", {}, {}};
  const auto plain = options_.tokens ? options_.tokens->plain_digest(*scope) : scope;
  if (!plain)
    co_return DeliveryOutcome{Kind::fail,
                              "submitted with a token the desk no longer accepts (removed from DESK_INTAKE_TOKENS "
                              "or DESK_ADMIN_TOKENS): there is no agent key to sign its callback with",
                              {},
                              {}};
  std::vector<std::string> keys;
  for (const std::string* secret : {&secret_, &options_.previous_secret})
    if (!secret->empty()) keys.push_back(handlers::agent_callback_key(*secret, *plain));
  http::request<http::string_body> request{http::verb::post, url.target, 11};
  request.set(http::field::host, url.host_header());
  request.set(http::field::user_agent, "escalation-desk/0.1");
  request.set(http::field::content_type, "application/json");
  request.set("X-Desk-Timestamp", timestamp);
  request.set("X-Desk-Signature", handlers::callback_signature_header(keys, timestamp, url_text, body));
  request.keep_alive(false);
  request.body() = body;
  request.prepare_payload();

  unsigned status = 0;
  std::string error;
  try {
    if (url.secure() && !options_.tls) options_.tls = slack::make_client_tls_context();
    status = co_await post_once(executor_, url, std::move(request), options_.timeout, options_.tls.get(),
                                options_.allow_loopback);
  } catch (const ForbiddenTarget& refused) {
    co_return DeliveryOutcome{Kind::fail, refused.what(), {}, {}};
  } catch (const std::exception& ex) { error = ex.what(); }
  if (!error.empty()) co_return retry_or_give_up(row, std::move(error));
  if (status >= 200 && status < 300) co_return DeliveryOutcome{Kind::sent, {}, json{{"status", status}}.dump(), {}};
  co_return retry_or_give_up(row, "callback to " + url.host_header() + " answered HTTP " + std::to_string(status));
}

}  // namespace desk::bot
