#include "bot/slack/slack_surface.hpp"

#include <cstdlib>

#include <boost/asio/co_spawn.hpp>

#include "bot/slack/durable_dedupe.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/secrets.hpp"
#include "bot/slack/slack_deliverer.hpp"
#include "bot/slack/slack_envelope_handler.hpp"
#include "bot/slack/socket_mode_client.hpp"
#include "bot/slack/tls.hpp"
#include "bot/slack/usergroup_sync.hpp"
#include "bot/slack/web_api_client.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;

constexpr int kExitFailure = 1;
constexpr int kExitConfigError = 2;

constexpr const char* kAppTokenHelp =
    "(a workspace admin creates it under App settings -> Basic Information -> App-Level Tokens, "
    "with the connections:write scope)";
constexpr const char* kBotTokenHelp =
    "(a workspace admin finds it under App settings -> OAuth & Permissions -> Bot User OAuth Token, "
    "once the app is installed to the workspace)";

/// Why `value` cannot be used as `name` (empty when it can). `kind` reads "an app-level token".
std::string token_problem(const std::optional<std::string>& value, const std::string& name, const char* prefix,
                          const char* kind, const char* help) {
  if (!value)
    return name + " is not set. Set " + name + " (or " + name + "_FILE, naming a file that holds it) to " + kind +
           ", which starts with " + prefix + " " + help + ".";
  if (!value->starts_with(prefix))
    return name + " does not hold " + kind + ": it must start with " + prefix + " " + help + ".";
  return {};
}

/// Logs a coroutine's unexpected end; never silent.
auto log_failure(const char* event) {
  return [event](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) { log_error(event, {{"error", x.what()}}); }
  };
}

WebApiConfig with_rate_limit_count(WebApiConfig config, core::Metrics& metrics) {
  config.on_rate_limited = [&metrics](const std::string& method) { metrics.count_slack_rate_limited(method); };
  return config;
}

class SlackSurface final : public Surface {
 public:
  SlackSurface(SurfaceContext& context, std::string app_token, WebApiConfig api_config)
      : context_(context),
        app_token_(std::move(app_token)),
        tls_(api_config.tls_context),
        api_(context.executor, with_rate_limit_count(std::move(api_config), context.metrics)) {}

  std::string name() const override { return std::string(kSlackSurface); }

  net::awaitable<void> run() override {
    if (!co_await authenticate() || stopping_) co_return;
    start_workers();
    SocketModeConfig config;
    config.app_token = app_token_;
    config.tls_context = tls_;
    config.on_ack_written = [&metrics = context_.metrics](std::chrono::nanoseconds took) {
      metrics.observe_ack_latency(std::chrono::duration<double>(took).count());
    };
    // Redeliveries are recognised in memory; the ids reach the store from the dedupe's own thread.
    dedupe_ = std::make_unique<DurableDedupe>(context_.store, context_.clock);
    dedupe_->start();
    SocketModeClient client(context_.executor, config, api_, *handler_, dedupe_->dedupe_function());
    client_ = &client;
    co_await client.run();
    client_ = nullptr;
    dedupe_->stop();  // the client acks nothing more: every id it acked is written before we return
    if (client.stop_cause() == StopCause::app_token_refused)
      fatal_ = kExitConfigError;
    else if (client.stop_cause() == StopCause::link_disabled)
      fatal_ = kExitFailure;
    if (!client.stop_reason().empty()) report_fatal(client.stop_reason());
    stop_workers();
  }

  void stop() override {
    stopping_ = true;
    if (client_) client_->stop();
    stop_workers();
  }

  void abandon() override { api_.cancel(); }

  std::optional<int> fatal_exit() const override { return fatal_; }

  handlers::ComponentHealth health() const override {
    if (fatal_) return {name(), "stopped", false};
    if (!client_) return {name(), stopping_ ? "stopped" : "connecting", !stopping_};
    switch (client_->state()) {
      case SocketModeState::connected:
        return {name(), "connected", true};
      case SocketModeState::starting:
      case SocketModeState::reconnecting:
        return {name(), "connecting", true};
      default:
        return {name(), "disconnected", stopping_};
    }
  }

  std::vector<handlers::ComponentHealth> workers() const override {
    std::vector<handlers::ComponentHealth> out;
    if (deliverer_) {
      out.push_back(
          {"slack_desk_channel", deliverer_->ready() ? "resolved" : "unresolved: posts wait", deliverer_->ready()});
      // Not pinning leaves the desk working (the SOP is posted): said here, never a reason for a 503.
      out.push_back({"slack_pins", deliverer_->pins_health(), true});
    }
    if (dedupe_) {
      const auto s = dedupe_->stats();
      out.push_back({"slack_dedupe", s.failing ? "store failing: " + std::to_string(s.queued) + " ids waiting" : "ok",
                     !s.failing});
    }
    return out;
  }

 private:
  /// auth.test: who the bot is, and whether the bot token works at all.
  net::awaitable<bool> authenticate() {
    try {
      const AuthInfo bot = co_await api_.auth_test();
      bot_user_id_ = bot.user_id;
      bot_id_ = bot.bot_id;
      team_url_ = bot.url;
      log_info("desk.authenticated", {{"team_id", bot.team_id}, {"bot_user_id", bot.user_id}, {"bot_id", bot.bot_id}});
      co_return true;
    } catch (const SlackApiError& e) {
      fatal_ = kExitConfigError;
      report_fatal("SLACK_BOT_TOKEN was refused by Slack auth.test (" + e.error() +
                   "); set it to the bot token, which starts with xoxb- " + kBotTokenHelp + ".");
    } catch (const std::exception& e) {
      fatal_ = kExitFailure;
      report_fatal(std::string("cannot reach the Slack Web API: ") + e.what());
    }
    co_return false;
  }

  void start_workers() {
    auto& ctx = context_;
    usergroups_ = std::make_unique<UsergroupSync>(
        ctx.executor, api_, ctx.store, [&ctx] { return ctx.policies.current(); }, ctx.clock);
    SlackDelivererOptions options;
    options.desk_channel = ctx.policies.current()->policy().desk.channel;
    // Posts mention the on-duty group only while it really lists the duty lead.
    options.usergroup_id_source = [this] { return usergroups_->group_id(); };
    options.bot_id = bot_id_;  // only the bot's own pins are unpinned
    options.bot_user_id = bot_user_id_;
    deliverer_ = std::make_unique<SlackDeliverer>(ctx.executor, ctx.store, api_, ctx.policies.resolver(), ctx.clock,
                                                  &ctx.metrics, options, [&ctx] { ctx.outbox.poke(); });
    ctx.outbox.add(*deliverer_);
    net::co_spawn(ctx.executor, deliverer_->resolve_desk_channel(), log_failure("slack.desk_channel_stopped"));
    net::co_spawn(ctx.executor, usergroups_->run(), log_failure("usergroup.sync_stopped"));

    SlackDependencies deps{ctx.store, ctx.policies.resolver(), [&ctx] { return ctx.policies.current(); }, &ctx.metrics};
    deps.usergroup_notice = [this] { return usergroups_->notice(); };
    deps.surfaces = ctx.surfaces;
    handler_ = std::make_unique<SlackEnvelopeHandler>(
        api_, deps, ctx.clock, ctx.changed,
        [this, &ctx] {
          usergroups_->poke();
          ctx.changed();  // the handoff notices look again; a published rota goes out
        },
        [this] { return hotline_identity(); });
    net::co_spawn(ctx.executor, handler_->open_pending_hotline(), log_failure("desk.hotline_pending_stopped"));
  }

  /// Who the desk is in the workspace, for the hotline: read on the I/O thread for each message.
  HotlineIdentity hotline_identity() const {
    HotlineIdentity who;
    who.bot_user_id = bot_user_id_;
    who.team_url = team_url_;
    if (deliverer_) who.desk_channel_id = deliverer_->desk_channel_id();
    if (usergroups_) who.group_id = usergroups_->group_id();
    const auto policy = context_.policies.current();
    if (policy) {
      who.group_handle = policy->policy().desk.oncall_usergroup;
      who.enabled = !policy->policy().desk.hotline_workflow.empty();
    }
    return who;
  }

  void stop_workers() {
    if (deliverer_) deliverer_->stop();
    if (usergroups_) usergroups_->stop();
  }

  SurfaceContext& context_;
  std::string app_token_;
  std::shared_ptr<net::ssl::context> tls_;
  WebApiClient api_;
  std::unique_ptr<UsergroupSync> usergroups_;
  std::unique_ptr<SlackDeliverer> deliverer_;
  std::unique_ptr<SlackEnvelopeHandler> handler_;
  std::unique_ptr<DurableDedupe> dedupe_;
  std::string bot_user_id_, bot_id_, team_url_;  ///< from auth.test
  SocketModeClient* client_ = nullptr;
  bool stopping_ = false;
  std::optional<int> fatal_;
};

}  // namespace

std::unique_ptr<Surface> make_slack_surface(SurfaceContext& context) {
  std::optional<std::string> app, bot;
  try {
    app = read_secret("SLACK_APP_TOKEN");
    bot = read_secret("SLACK_BOT_TOKEN");
  } catch (const SecretError& e) { throw SurfaceConfigError(e.what()); }
  if (!app && !bot) return nullptr;  // Slack is not configured: not an error, another surface may be
  std::string problems = token_problem(app, "SLACK_APP_TOKEN", "xapp-", "an app-level token", kAppTokenHelp);
  if (auto bot_problem = token_problem(bot, "SLACK_BOT_TOKEN", "xoxb-", "a bot token", kBotTokenHelp);
      !bot_problem.empty())
    problems += (problems.empty() ? "" : "\n") + bot_problem;
  if (!problems.empty()) throw SurfaceConfigError(problems);

  WebApiConfig api_config;
  if (const char* url = std::getenv("SLACK_API_URL"); url != nullptr && *url != '\0') api_config.api_url = url;
  api_config.bot_token = *bot;
  try {
    // One trust store for both clients: loading it is the slowest step of start-up.
    api_config.tls_context = make_client_tls_context();
    return std::make_unique<SlackSurface>(context, *app, api_config);
  } catch (const std::exception& e) { throw SurfaceConfigError(e.what()); }
}

}  // namespace desk::bot::slack
