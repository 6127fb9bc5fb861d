#include "bot/teams/alerts_surface.hpp"

#include <algorithm>
#include <cstdlib>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "bot/sla_timer.hpp"
#include "bot/slack/https_client.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/secrets.hpp"
#include "bot/slack/tls.hpp"
#include "bot/teams/alert_cards.hpp"
#include "bot/teams/bot_cards.hpp"
#include "bot/workers/deliverer.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/effects.hpp"
#include "handlers/evidence_masker.hpp"

namespace desk::bot::teams {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;

constexpr const char* kWorkflowsHelp =
    "In Teams, open the desk channel's ⋯ menu → Workflows → \"Post to a channel when a webhook request is "
    "received\", pick the team and channel, let anyone trigger it, and set TEAMS_WEBHOOK_URL to the HTTP POST URL "
    "the flow shows";

/// Teams throttles a webhook above 4 requests a second.
constexpr std::chrono::milliseconds kSendSpacing{250};
/// A Retry-After longer than this is taken as this: the outbox looks again, the row is not parked for days.
constexpr std::chrono::seconds kLongestRetryAfter{3600};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// Posts each alert row as one card, spaced so the webhook is never throttled by the desk's own pace.
class AlertsDeliverer final : public Deliverer {
 public:
  AlertsDeliverer(SurfaceContext& context, slack::Url url, std::shared_ptr<net::ssl::context> tls)
      : context_(context),
        target_(url.target),
        client_(context.executor, url, std::move(tls), slack::HttpTimeouts{}, 1),
        pace_(context.executor) {}

  std::string surface() const override { return kTeamsAlertsSurface; }

  net::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage row, bool in_doubt) override {
    auto body = message_body(row, in_doubt);
    if (auto* settled = std::get_if<DeliveryOutcome>(&body)) co_return std::move(*settled);
    co_await keep_pace();
    // A named request: GCC 12 destroys temporaries in a co_await operand twice.
    slack::HttpRequest request{target_, "application/json", std::move(std::get<std::string>(body)), ""};
    slack::HttpResponse answer;
    try {
      answer = co_await client_.post(std::move(request));
    } catch (const slack::HttpTransportError& err) {
      problem_ = std::string("cannot reach the webhook: ") + err.what();
      co_return DeliveryOutcome::retry(problem_);
    }
    co_return outcome_of(answer);
  }

  /// Empty while posting works; what went wrong last otherwise.
  const std::string& problem() const { return problem_; }

  void cancel() { pace_.cancel(); }

 private:
  /// The request body for `row`, or what becomes of the row without a request.
  std::variant<DeliveryOutcome, std::string> message_body(const storage::OutboxMessage& row, bool in_doubt) {
    const auto effect = handlers::effect_from(row.kind);
    const auto payload = json::parse(row.payload_json, nullptr, false);
    if (!effect || !payload.is_object()) return DeliveryOutcome::fail("not an alert the desk wrote: " + row.kind);
    if (*effect == handlers::Effect::channel_notice) {
      const auto notice = handlers::channel_notice_from(payload);
      if (!notice) return DeliveryOutcome::fail("not a channel notice the desk wrote");
      json card = notice_card(*notice);
      if (in_doubt) card["body"].push_back(repeat_warning());
      return webhook_message(std::move(card)).dump();
    }
    const bool alert = *effect == handlers::Effect::post_escalation ||
                       (*effect == handlers::Effect::thread_reply &&
                        (payload.value("reply", "") == "reminder" || payload.value("reply", "") == "decision"));
    // A webhook card cannot be updated or threaded: message updates, pings and other replies have no
    // counterpart in Teams alerts, and are settled without a request.
    if (!alert) return DeliveryOutcome::sent(R"({"skipped":"not announced by Teams alerts"})");
    const auto e = context_.store.escalation(row.escalation_id);
    if (!e) return DeliveryOutcome::fail("no escalation " + row.escalation_id);
    const auto set = context_.policies.resolver()(e->policy_digest);
    json card;
    try {
      card = render(*effect, payload, *e, set.get(), set ? &set->rota() : nullptr);
    } catch (const std::invalid_argument& bad) { return DeliveryOutcome::fail(bad.what()); }
    if (in_doubt) card["body"].push_back(repeat_warning());
    return webhook_message(std::move(card)).dump();
  }

  DeliveryOutcome outcome_of(const slack::HttpResponse& answer) {
    if (answer.status == 200 || answer.status == 202) {
      problem_.clear();
      return DeliveryOutcome::sent(json{{"status", answer.status}}.dump());
    }
    const std::string detail = "the webhook answered HTTP " + std::to_string(answer.status) +
                               (answer.body.empty() ? std::string() : ": " + answer.body.substr(0, 200));
    if (answer.status == 429 || answer.status >= 500) {
      problem_ = detail;
      return DeliveryOutcome::retry(detail, retry_at(answer.retry_after));
    }
    problem_ = detail + " (check the flow: it must let anyone trigger it)";
    return DeliveryOutcome::fail(problem_);
  }

  json render(handlers::Effect effect, const json& payload, const core::Escalation& e, const handlers::PolicySet* set,
              const core::Rota* rota) {
    if (effect == handlers::Effect::post_escalation)
      return opened_card(e, evidence_of(context_.store, masker_, set, e.id), rota, context_.clock.now());
    if (payload.value("reply", "") == "decision") return decision_card(e, rota);
    return reminder_card(escalation_at_reminder(payload, e), reminder_from_payload(payload, e), rota);
  }

  net::awaitable<void> keep_pace() {
    const auto now = std::chrono::steady_clock::now();
    if (next_send_ > now) {
      pace_.expires_at(next_send_);
      co_await pace_.async_wait(net::as_tuple(net::use_awaitable));
    }
    next_send_ = std::max(next_send_, std::chrono::steady_clock::now()) + kSendSpacing;
  }

  std::optional<core::TimePoint> retry_at(const std::string& retry_after) const {
    if (retry_after.empty() || retry_after.size() > 9 ||
        retry_after.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;  // absent, or an HTTP date: the dispatcher's backoff
    const auto seconds =
        std::min<std::chrono::seconds>(std::chrono::seconds{std::stol(retry_after)}, kLongestRetryAfter);
    return context_.clock.now() + std::chrono::duration_cast<core::Seconds>(seconds);
  }

  SurfaceContext& context_;
  std::string target_;
  slack::HttpsClient client_;
  net::steady_timer pace_;
  std::chrono::steady_clock::time_point next_send_{};
  handlers::EvidenceMasker masker_;
  std::string problem_;
};

class AlertsSurface final : public Surface {
 public:
  AlertsSurface(SurfaceContext& context, slack::Url url, std::shared_ptr<net::ssl::context> tls)
      : host_(url.host), deliverer_(context, std::move(url), std::move(tls)), idle_(context.executor) {
    context.outbox.add(deliverer_);
  }

  std::string name() const override { return kTeamsAlertsSurface; }

  net::awaitable<void> run() override {
    slack::log_info("teams.alerts_ready", {{"host", host_}});
    // Nothing comes in from a webhook: the surface only waits to be stopped; the outbox posts.
    idle_.expires_at(std::chrono::steady_clock::time_point::max());
    if (!stopping_) co_await idle_.async_wait(net::as_tuple(net::use_awaitable));
  }

  void stop() override {
    stopping_ = true;
    idle_.cancel();
  }

  void abandon() override { deliverer_.cancel(); }

  std::optional<int> fatal_exit() const override { return std::nullopt; }

  handlers::ComponentHealth health() const override {
    if (stopping_) return {name(), "stopped", true};
    if (!deliverer_.problem().empty()) return {name(), "retrying: " + deliverer_.problem(), true};
    return {name(), "posting", true};
  }

 private:
  std::string host_;
  AlertsDeliverer deliverer_;
  net::steady_timer idle_;
  bool stopping_ = false;
};

}  // namespace

std::string webhook_url_problem(const slack::Url& url) {
  const std::string host = lower(url.host);
  if (host == "outlook.office.com" || host == "outlook.office365.com" || ends_with(host, ".webhook.office.com") ||
      host == "webhook.office.com")
    return std::string("TEAMS_WEBHOOK_URL is an Office 365 connector URL; Microsoft retired those connectors. ") +
           kWorkflowsHelp + ".";
  if (url.scheme != "https") return std::string("TEAMS_WEBHOOK_URL must be an https URL. ") + kWorkflowsHelp + ".";
  return {};
}

std::unique_ptr<Surface> make_teams_alerts_surface(SurfaceContext& context) {
  std::optional<std::string> text;
  try {
    text = slack::read_secret("TEAMS_WEBHOOK_URL");
  } catch (const slack::SecretError& e) { throw SurfaceConfigError(e.what()); }
  if (!text) return nullptr;
  const auto url = slack::parse_url(*text);
  if (!url)
    throw SurfaceConfigError(std::string("TEAMS_WEBHOOK_URL is not an absolute https URL. ") + kWorkflowsHelp + ".");
  if (const std::string problem = webhook_url_problem(*url); !problem.empty()) throw SurfaceConfigError(problem);
  const std::string host = lower(url->host);
  if (!ends_with(host, ".logic.azure.com") && !ends_with(host, ".api.powerplatform.com"))
    slack::log_warn(
        "teams.webhook_host_unusual",
        {{"host", url->host}, {"hint", "Workflows URLs are on *.logic.azure.com or *.api.powerplatform.com"}});
  try {
    return std::make_unique<AlertsSurface>(context, *url, slack::make_client_tls_context());
  } catch (const std::exception& e) { throw SurfaceConfigError(e.what()); }
}

}  // namespace desk::bot::teams
