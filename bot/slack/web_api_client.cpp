#include "bot/slack/web_api_client.hpp"

#include <map>
#include <random>
#include <set>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/slack/log.hpp"
#include "bot/slack/tls.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

constexpr auto kMinRetryAfter = std::chrono::seconds{1};
constexpr auto kMaxRetryAfter = std::chrono::seconds{3600};

// Calls sharing a key run one at a time, in the order they arrived (ticket order).
struct CallQueue {
  explicit CallQueue(const net::any_io_executor& ex) : wake(ex, SteadyClock::time_point::max()) {}
  std::uint64_t next_ticket = 0;
  std::uint64_t serving = 0;
  // Never expires; cancel() wakes every waiter, which then rechecks whose turn it is.
  net::steady_timer wake;
  SteadyClock::time_point parked_until{};
};

// Ends a turn even when the call throws, so one failure never blocks the calls behind it.
struct Turn {
  CallQueue& queue;  // kept alive by the call's own shared_ptr (see invoke)
  ~Turn() {
    ++queue.serving;
    queue.wake.cancel();
  }
};

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.empty() || header.size() > 9) return std::nullopt;
  long value = 0;
  for (char c : header) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return std::chrono::seconds{value};
}

struct WebApiClient::Impl {
  Impl(net::any_io_executor ex, WebApiConfig cfg, Url base)
      : executor(ex),
        config(std::move(cfg)),
        base_url(std::move(base)),
        tls(config.tls_context ? config.tls_context : make_client_tls_context(config.extra_ca_file)),
        http(ex, base_url, tls, config.timeouts, config.max_idle_connections),
        rng(std::random_device{}()) {}

  net::any_io_executor executor;
  WebApiConfig config;
  Url base_url;
  std::shared_ptr<net::ssl::context> tls;
  HttpsClient http;
  // Shared with the calls in flight: a call's coroutine may be destroyed after the client (when the
  // io_context goes down after the desk's surfaces), and its Turn still ends on its queue.
  std::map<std::string, std::shared_ptr<CallQueue>> queues;
  std::minstd_rand rng;
  std::size_t rate_limited = 0;
  // Set by cancel(): every wait (a 429's Retry-After, a backoff, a queue turn) ends at once and no new
  // request starts, so a stopping desk unwinds its calls while everything they use still exists.
  bool stopping = false;
  // Shared with the pausing calls, like the queues: a call's frame may be destroyed after the client.
  std::shared_ptr<std::set<net::steady_timer*>> pauses = std::make_shared<std::set<net::steady_timer*>>();

  void stop_if_stopping(const ApiCall& call) const {
    if (stopping) throw SlackTransportError(call.method, "not sent: the desk is stopping");
  }

  /// Waits `d` unless cancel() comes first (then throws).
  net::awaitable<void> pause(const ApiCall& call, SteadyClock::duration d) {
    stop_if_stopping(call);
    net::steady_timer timer(executor, d);
    pauses->insert(&timer);
    struct Unregister {
      std::shared_ptr<std::set<net::steady_timer*>> pauses;
      net::steady_timer* timer;
      ~Unregister() { pauses->erase(timer); }
    } unregister{pauses, &timer};
    co_await timer.async_wait(kTuple);
    stop_if_stopping(call);
  }

  std::shared_ptr<CallQueue> queue_for(const std::string& key) {
    auto& slot = queues[key];
    if (!slot) slot = std::make_shared<CallQueue>(executor);
    return slot;
  }

  HttpRequest build(const ApiCall& call) const {
    HttpRequest req;
    req.target = base_url.target + call.method;
    req.bearer_token = call.app_token.empty() ? config.bot_token : call.app_token;
    if (call.encoding == BodyEncoding::json) {
      req.content_type = "application/json; charset=utf-8";
      req.body = call.args.dump(-1, ' ', false, json::error_handler_t::replace);
    } else {
      req.content_type = "application/x-www-form-urlencoded";
      req.body = form_encode(call.args);
    }
    return req;
  }

  std::chrono::milliseconds jittered(unsigned attempt) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    return backoff_delay(config.transport_backoff, attempt, unit(rng));
  }

  void park(CallQueue& queue, const ApiCall& call, const HttpResponse& response) {
    ++rate_limited;
    if (config.on_rate_limited) config.on_rate_limited(call.method);
    auto wait = parse_retry_after(response.retry_after).value_or(config.default_retry_after);
    wait = std::clamp(wait, kMinRetryAfter, kMaxRetryAfter);
    queue.parked_until = SteadyClock::now() + wait;
    log_warn("slack.rate_limited",
             {{"method", call.method}, {"queue", call.queue_key}, {"retry_after_s", static_cast<long>(wait.count())}});
  }

  json parse_body(const ApiCall& call, const HttpResponse& response) const {
    auto body = json::parse(response.body, nullptr, false);
    if (body.is_discarded()) throw SlackTransportError(call.method, "response is not JSON");
    check_ok(call.method, body);
    return body;
  }

  // One call, in its queue's turn. 429s wait and resend (Slack did not process the request);
  // transport failures and 5xx are resent only when that cannot post twice.
  net::awaitable<json> run_turn(CallQueue& queue, const ApiCall& call) {
    const auto request = build(call);
    for (unsigned failures = 0;;) {
      stop_if_stopping(call);
      if (auto now = SteadyClock::now(); queue.parked_until > now) co_await pause(call, queue.parked_until - now);
      HttpResponse response;
      bool transport_failed = false;
      try {
        response = co_await http.post(request);
      } catch (const HttpTransportError& e) {
        bool may_resend = call.retry_safe || !e.request_sent();
        if (!may_resend || failures >= static_cast<unsigned>(config.max_transport_retries)) {
          throw SlackTransportError(call.method, e.what());
        }
        log_warn("slack.api_retry", {{"method", call.method}, {"reason", e.what()}});
        transport_failed = true;
      }
      if (transport_failed) {
        co_await pause(call, jittered(failures++));
        continue;
      }
      if (response.status == 429) {
        park(queue, call, response);
        continue;
      }
      if (response.status >= 500 || response.status == 408) {
        if (!call.retry_safe || failures >= static_cast<unsigned>(config.max_transport_retries)) {
          throw SlackTransportError(call.method, "HTTP " + std::to_string(response.status));
        }
        co_await pause(call, jittered(failures++));
        continue;
      }
      if (response.status != 200) { throw SlackTransportError(call.method, "HTTP " + std::to_string(response.status)); }
      co_return parse_body(call, response);
    }
  }
};

WebApiClient::WebApiClient(net::any_io_executor executor, WebApiConfig config) {
  auto url = parse_url(config.api_url);
  if (!url || (url->scheme != "https" && url->scheme != "http")) {
    throw std::invalid_argument("SLACK_API_URL is not an https URL: " + redact(config.api_url));
  }
  if (url->scheme != "https") throw std::invalid_argument("SLACK_API_URL must use https");
  if (url->target.empty() || url->target.back() != '/') url->target += '/';
  impl_ = std::make_unique<Impl>(std::move(executor), std::move(config), std::move(*url));
}

WebApiClient::~WebApiClient() = default;

std::size_t WebApiClient::connections_opened() const { return impl_->http.connections_opened(); }
std::size_t WebApiClient::rate_limited_count() const { return impl_->rate_limited; }
void WebApiClient::close_idle() { impl_->http.close_idle(); }

void WebApiClient::cancel() {
  impl_->stopping = true;
  for (auto* timer : *impl_->pauses) timer->cancel();
  for (auto& [key, queue] : impl_->queues) queue->wake.cancel();
  impl_->http.close_idle();
}

SlackApi::Task<void> WebApiClient::upload_file_bytes(std::string upload_url, std::string bytes) {
  static const std::string kStep = "file upload";
  if (impl_->stopping) throw SlackTransportError(kStep, "not sent: the desk is stopping");
  const auto url = parse_url(upload_url);
  // Slack's upload URLs are https; anything else is not sent (and no token ever goes there).
  if (!url || url->scheme != "https") throw SlackApiError("files.getUploadURLExternal", "invalid_upload_url");
  HttpsClient client(impl_->executor, *url, impl_->tls, impl_->config.timeouts, 0);
  // Named, not braced inside the co_await: GCC 12 frees such a temporary twice.
  HttpRequest request;
  request.target = url->target;
  request.content_type = "application/octet-stream";
  request.body = std::move(bytes);
  HttpResponse response;
  try {
    response = co_await client.post(std::move(request));
  } catch (const HttpTransportError& e) { throw SlackTransportError(kStep, e.what()); }
  if (response.status != 200) throw SlackTransportError(kStep, "HTTP " + std::to_string(response.status));
}

SlackApi::Task<json> WebApiClient::invoke(ApiCall call) {
  const std::shared_ptr<CallQueue> held = impl_->queue_for(call.queue_key);
  CallQueue& queue = *held;
  const auto ticket = queue.next_ticket++;
  while (queue.serving != ticket) {
    impl_->stop_if_stopping(call);           // every waiter gives up: no turn is left waiting for one that never comes
    co_await queue.wake.async_wait(kTuple);  // woken (aborted) when a turn ends
  }
  Turn turn{queue};
  co_return co_await impl_->run_turn(queue, call);
}

}  // namespace desk::bot::slack
