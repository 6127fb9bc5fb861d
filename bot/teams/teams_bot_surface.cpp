#include "bot/teams/teams_bot_surface.hpp"

#include <map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "bot/intake_server.hpp"
#include "bot/sla_timer.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/secrets.hpp"
#include "bot/slack/tls.hpp"
#include "bot/teams/alert_cards.hpp"
#include "bot/teams/bot_cards.hpp"
#include "bot/teams/bot_framework_auth.hpp"
#include "bot/teams/bot_token_client.hpp"
#include "bot/teams/connector_client.hpp"
#include "bot/teams/json_fields.hpp"
#include "bot/teams/openid_key_source.hpp"
#include "bot/teams/teams_bot_activities.hpp"
#include "bot/workers/deliverer.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/effects.hpp"

namespace desk::bot::teams {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;

constexpr const char* kPasswordHelp =
    "set TEAMS_APP_PASSWORD (or TEAMS_APP_PASSWORD_FILE) to the bot's client secret (Azure portal → the Azure Bot "
    "→ Configuration → Manage Password → New client secret)";

/// A message activity carrying one Adaptive Card, with `text` (and its mention entities) above it.
json card_message(json card, const std::string& text = {}, json entities = json::array()) {
  json activity = {
      {"type", "message"},
      {"attachments",
       json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"}, {"content", std::move(card)}}})}};
  if (!text.empty()) activity["text"] = text;
  if (!entities.empty()) activity["entities"] = std::move(entities);
  return activity;
}

/// "<at>Name</at>" mentions of the people of `ids` who have a Teams id, and their entities.
std::pair<std::string, json> mentions_of(const std::vector<std::string>& ids, const core::Rota* rota) {
  std::string text;
  json entities = json::array();
  for (const auto& id : ids) {
    const core::Person* p = rota ? rota->person(id) : nullptr;
    if (!p || p->teams_user.empty()) continue;
    const std::string at = "<at>" + p->name + "</at>";
    text += (text.empty() ? "" : " ") + at;
    entities.push_back({{"type", "mention"}, {"text", at}, {"mentioned", {{"id", p->teams_user}, {"name", p->name}}}});
  }
  return {text, entities};
}

DeliveryOutcome outcome_of(const ConnectorError& e, core::TimePoint now) {
  switch (e.kind()) {
    case ConnectorError::Kind::permanent:
      return DeliveryOutcome::fail(e.what());
    case ConnectorError::Kind::transient:
      return DeliveryOutcome::retry(e.what(), e.retry_after() ? std::optional(now + *e.retry_after()) : std::nullopt);
    case ConnectorError::Kind::in_doubt:
    case ConnectorError::Kind::credentials:
      break;
  }
  return DeliveryOutcome::retry(e.what());
}

class TeamsBotDeliverer final : public Deliverer {
 public:
  TeamsBotDeliverer(SurfaceContext& context, ConnectorClient& connector, core::TeamsBotSettings settings)
      : context_(context), connector_(connector), settings_(std::move(settings)) {}

  std::string surface() const override { return kTeamsBotSurface; }

  net::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage row, bool in_doubt) override {
    try {
      auto outcome = co_await render_and_send(row, in_doubt);
      if (outcome.kind == DeliveryOutcome::Kind::sent) problem_.clear();
      co_return outcome;
    } catch (const ConnectorError& e) {
      problem_ = e.what();
      co_return outcome_of(e, context_.clock.now());
    } catch (const std::invalid_argument& e) {
      co_return DeliveryOutcome::fail(std::string("bad payload: ") + e.what());
    }
  }

  const std::string& problem() const { return problem_; }

 private:
  net::awaitable<DeliveryOutcome> render_and_send(const storage::OutboxMessage& row, bool in_doubt) {
    const auto effect = handlers::effect_from(row.kind);
    const auto payload = json::parse(row.payload_json, nullptr, false);
    if (!effect || !payload.is_object()) co_return DeliveryOutcome::fail("not a row the desk wrote: " + row.kind);
    if (*effect == handlers::Effect::channel_notice) {
      const auto notice = handlers::channel_notice_from(payload);
      if (!notice) co_return DeliveryOutcome::fail("not a channel notice the desk wrote");
      json activity = card_message(notice_card(*notice));
      const std::string id = co_await connector_.post_activity(settings_.service_url, settings_.channel, activity);
      co_return sent(id);
    }
    if (*effect == handlers::Effect::ping || *effect == handlers::Effect::direct_message)
      co_return DeliveryOutcome::sent(R"({"skipped":"the thread reply mentions them in Teams"})");
    const auto e = context_.store.escalation(row.escalation_id);
    if (!e) co_return DeliveryOutcome::fail("no escalation " + row.escalation_id);
    const auto set = context_.policies.resolver()(e->policy_digest);
    const core::Rota* rota = set ? &set->rota() : nullptr;
    const auto now = context_.clock.now();
    const std::string surface(kTeamsBotSurface);
    if (*effect == handlers::Effect::post_escalation) {
      json card = bot_escalation_card(context_.store, masker_, *e, set.get(), now);
      // The Bot Connector has no way to look a channel's messages up: a post in doubt goes again.
      if (in_doubt) card["body"].push_back(repeat_warning());
      const std::string id =
          co_await connector_.post_activity(settings_.service_url, settings_.channel, card_message(std::move(card)));
      auto outcome = sent(id);  // its reference is recorded with the row's settlement
      outcome.message = storage::MessageRef{e->id, surface, settings_.channel, id, {}};
      co_return outcome;
    }
    const auto post = context_.store.message(e->id, surface);
    if (!post) co_return DeliveryOutcome::retry("escalation " + e->id + " has no Teams card yet");
    if (*effect == handlers::Effect::update_escalation) {
      json activity = card_message(bot_escalation_card(context_.store, masker_, *e, set.get(), now));
      co_await connector_.update_activity(settings_.service_url, settings_.channel, post->message_id, activity);
      co_return sent(post->message_id);
    }
    // Thread replies: the decision, and the SLA's pings and missed deadlines (mentioning who must act).
    const std::string reply = payload.value("reply", "");
    json activity;
    if (reply == "decision") {
      activity = card_message(decision_card(*e, rota));
    } else if (reply == "reminder") {
      const auto reminder = reminder_from_payload(payload, *e);
      auto [text, entities] = mentions_of(reminder.notify, rota);
      activity = card_message(reminder_card(escalation_at_reminder(payload, *e), reminder, rota),
                              text.empty() ? std::string() : text + ": please look at " + e->id + ".", entities);
    } else {
      co_return DeliveryOutcome::sent(R"({"skipped":"not shown by the Teams bot"})");
    }
    if (in_doubt) activity["attachments"][0]["content"]["body"].push_back(repeat_warning());
    const std::string id =
        co_await connector_.reply_to(settings_.service_url, settings_.channel, post->message_id, activity);
    co_return sent(id);
  }

  DeliveryOutcome sent(const std::string& activity_id) const {
    return DeliveryOutcome::sent(json{{"channel", settings_.channel}, {"activity_id", activity_id}}.dump());
  }

  SurfaceContext& context_;
  ConnectorClient& connector_;
  core::TeamsBotSettings settings_;
  handlers::EvidenceMasker masker_;
  std::string problem_;
};

class TeamsBotSurface final : public Surface {
 public:
  TeamsBotSurface(SurfaceContext& context, core::TeamsBotSettings settings, std::string password,
                  std::string metadata_url, std::string token_url)
      : context_(context),
        settings_(std::move(settings)),
        tls_(slack::make_client_tls_context()),
        fetcher_(context.executor, tls_, std::move(metadata_url)),
        keys_(context.executor, fetcher_, context.clock),
        auth_(keys_, context.clock, settings_.app_id),
        tokens_(context.executor, tls_, context.clock,
                BotTokenConfig{std::move(token_url), settings_.app_id, std::move(password), {}}),
        connector_(context.executor, tls_, tokens_),
        deliverer_(context, connector_, settings_),
        server_(context.executor, IntakeServerOptions{settings_.listen},
                IntakeServer::AsyncHandler([this](handlers::HttpRequest request, IntakeServer::Reply reply) {
                  on_request(std::move(request), std::move(reply));
                })) {
    context.outbox.add(deliverer_);
  }

  std::string name() const override { return kTeamsBotSurface; }

  net::awaitable<void> run() override {
    // Made here, not in the constructor: the list of surfaces is complete only once every surface exists.
    activities_.emplace(handlers::DeskActionDependencies{context_.store, context_.policies.resolver(),
                                                         [&policies = context_.policies] { return policies.current(); },
                                                         &context_.metrics, context_.surfaces},
                        settings_.channel);
    std::uint16_t port = 0;
    try {
      port = server_.bind();
    } catch (const std::exception& e) {
      slack::log_error("teams.bot_listen_failed", {{"listen", settings_.listen}, {"error", e.what()}});
      fatal_ = 2;
      co_return;
    }
    slack::log_info("teams.bot_listening", {{"listen", settings_.listen}, {"port", static_cast<std::int64_t>(port)}});
    listening_ = true;
    co_await server_.run();
    listening_ = false;
  }

  void stop() override {
    stopping_ = true;
    server_.stop();
  }

  void abandon() override { connector_.cancel(); }

  std::optional<int> fatal_exit() const override { return fatal_; }

  handlers::ComponentHealth health() const override {
    if (stopping_) return {name(), "stopped", true};
    if (!listening_) return {name(), "starting", true};
    if (!deliverer_.problem().empty()) return {name(), "retrying: " + deliverer_.problem(), true};
    return {name(), "listening", true};
  }

 private:
  void on_request(handlers::HttpRequest request, IntakeServer::Reply reply) {
    const std::string path = request.target.substr(0, request.target.find('?'));
    if (path != "/api/messages") return reply({404, "application/json", R"({"error":"not found"})", {}});
    if (request.method != "POST")
      return reply({405, "application/json", R"({"error":"POST only"})", {{"Allow", "POST"}}});
    auto activity = json::parse(request.body, nullptr, false);
    if (!activity.is_object())
      return reply({400, "application/json", R"({"error":"the body is not a JSON activity"})", {}});
    const auto header = request.headers.find("authorization");
    std::string authorization = header == request.headers.end() ? std::string() : header->second;
    net::co_spawn(context_.executor, answer(std::move(authorization), std::move(activity), std::move(reply)),
                  net::detached);
  }

  /// Verifies, then handles; a refusal changes nothing and is logged once per cause (never the token).
  net::awaitable<void> answer(std::string authorization, json activity, IntakeServer::Reply reply) {
    handlers::HttpResponse response{200, "application/json", "", {}};
    json answer_back;
    try {
      const ActivityIdentity identity = activity_identity(activity);
      const AuthVerdict verdict = co_await auth_.verify(std::move(authorization), identity);
      if (!verdict.accepted()) {
        if (refusals_logged_.insert(verdict.cause).second)
          slack::log_warn("teams.request_refused", {{"status", static_cast<std::int64_t>(verdict.status)},
                                                    {"cause", verdict.cause},
                                                    {"note", "logged once per cause"}});
        response.status = static_cast<int>(verdict.status);
        response.body = json{{"error", verdict.cause}}.dump();
        reply(std::move(response));
        co_return;
      }
      if (!activities_) throw std::runtime_error("the Teams bot is not running yet");
      co_await place_mentions(activity);
      ActivityAnswer handled = activities_->handle(activity, context_.clock.now());
      if (!handled.log.empty()) slack::log_error("teams.activity_failed", {{"error", handled.log}});
      if (handled.changed && context_.changed) context_.changed();
      response.status = handled.status;
      if (!handled.body.is_null()) response.body = handled.body.dump();
      answer_back = std::move(handled.reply);
    } catch (const std::exception& e) {
      // The desk's own trouble: Teams shows the click failed; nothing was committed half-way.
      slack::log_error("teams.activity_failed", {{"error", e.what()}});
      response = {503, "application/json", R"({"error":"the desk could not handle this now"})", {{"Retry-After", "5"}}};
    }
    reply(std::move(response));
    if (!answer_back.is_null()) co_await send_answer(activity, std::move(answer_back));
  }

  /// Writes `mentioned.aadObjectId` into the mentions the activities cannot place by themselves,
  /// looked up among the desk channel's members (remembered; a failed look-up leaves the mention
  /// unplaced, and the answer says so).
  net::awaitable<void> place_mentions(json& activity) {
    for (const auto& id : activities_->mentions_to_look_up(activity)) {
      auto known = members_.find(id);
      if (known == members_.end()) {
        try {
          const auto found = co_await connector_.member(settings_.service_url, settings_.channel, id);
          if (!found) continue;
          if (members_.size() >= kMostMembersKept) members_.clear();
          known = members_.emplace(id, found->aad_object_id).first;
        } catch (const ConnectorError& e) {
          slack::log_warn("teams.member_lookup_failed", {{"error", e.what()}});
          continue;
        }
      }
      for (auto& entity : activity["entities"]) {
        if (string_field(entity, "type") != "mention") continue;
        const auto mentioned = entity.find("mentioned");
        if (mentioned != entity.end() && string_field(*mentioned, "id") == id)
          (*mentioned)["aadObjectId"] = known->second;
      }
    }
  }

  /// Sends the answer to a message as a reply in its thread (Teams shows nothing of the HTTP answer).
  net::awaitable<void> send_answer(const json& activity, json answer) {
    const auto conversation = activity.find("conversation");
    const std::string conversation_id = conversation == activity.end() ? "" : string_field(*conversation, "id");
    const std::string message_id = string_field(activity, "id");
    answer["replyToId"] = message_id;
    try {
      co_await connector_.reply_to(settings_.service_url, conversation_id, message_id, std::move(answer));
    } catch (const ConnectorError& e) { slack::log_warn("teams.answer_not_sent", {{"error", e.what()}}); }
  }

  SurfaceContext& context_;
  core::TeamsBotSettings settings_;
  std::shared_ptr<net::ssl::context> tls_;
  OpenIdKeySetFetcher fetcher_;
  CachedKeySource keys_;
  BotFrameworkAuth auth_;
  BotTokenClient tokens_;
  ConnectorClient connector_;
  std::optional<TeamsBotActivities> activities_;
  TeamsBotDeliverer deliverer_;
  IntakeServer server_;
  std::set<std::string> refusals_logged_;
  /// Teams user ids ("29:…") → Entra object ids, from member look-ups.
  static constexpr std::size_t kMostMembersKept = 512;
  std::map<std::string, std::string> members_;
  bool listening_ = false, stopping_ = false;
  std::optional<int> fatal_;
};

}  // namespace

std::unique_ptr<Surface> make_teams_bot_surface(SurfaceContext& context) {
  const auto policy = context.policies.current();
  if (!policy || !policy->policy().teams.enabled()) return nullptr;
  const auto& settings = policy->policy().teams;
  std::optional<std::string> password, metadata_url, token_url;
  try {
    password = slack::read_secret("TEAMS_APP_PASSWORD");
    metadata_url = slack::read_secret("TEAMS_OPENID_METADATA_URL");
    token_url = slack::read_secret("TEAMS_TOKEN_URL");
  } catch (const slack::SecretError& e) { throw SurfaceConfigError(e.what()); }
  if (!password || password->empty())
    throw SurfaceConfigError(std::string("the config's teams: section turns the Teams bot on: ") + kPasswordHelp);
  try {
    return std::make_unique<TeamsBotSurface>(context, settings, std::move(*password),
                                             metadata_url.value_or(kDefaultOpenIdMetadataUrl),
                                             token_url.value_or(default_token_url(settings.tenant_id)));
  } catch (const std::invalid_argument& e) { throw SurfaceConfigError(std::string("Teams bot: ") + e.what()); }
}

}  // namespace desk::bot::teams
