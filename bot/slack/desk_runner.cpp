#include "bot/slack/desk_runner.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/slack/log.hpp"
#include "bot/slack/recent_ids.hpp"
#include "bot/slack/secrets.hpp"
#include "bot/slack/socket_mode_client.hpp"
#include "bot/slack/tls.hpp"
#include "bot/slack/web_api_client.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;

constexpr const char* kAppTokenHelp =
    "(a workspace admin creates it under App settings -> Basic Information -> App-Level Tokens, "
    "with the connections:write scope)";
constexpr const char* kBotTokenHelp =
    "(a workspace admin finds it under App settings -> OAuth & Permissions -> Bot User OAuth Token, "
    "once the app is installed to the workspace)";

// A message for a person at a terminal, on stderr, then the same as a log event for journald.
void report_fatal(const std::string& message) {
  auto line = "escalation-desk: " + redact(message) + "\n";
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
  log_error("desk.fatal", {{"message", message}});
}

struct Tokens {
  std::string app;
  std::string bot;
};

// Returns an error message, or nullopt when the token is usable. `kind` reads "an app-level token".
std::optional<std::string> check_token(const std::optional<std::string>& value, const char* name,
                                       const char* prefix, const char* kind, const char* help) {
  const std::string var(name);
  if (!value) {
    return var + " is not set. Set " + var + " (or " + var + "_FILE, naming a file that holds it) to " + kind +
           ", which starts with " + prefix + " " + help + ".";
  }
  if (!value->starts_with(prefix)) {
    return var + " does not hold " + kind + ": it must start with " + prefix + " " + help + ".";
  }
  return std::nullopt;
}

std::optional<Tokens> read_tokens() {
  try {
    auto app = read_secret("SLACK_APP_TOKEN");
    auto bot = read_secret("SLACK_BOT_TOKEN");
    auto app_error = check_token(app, "SLACK_APP_TOKEN", "xapp-", "an app-level token", kAppTokenHelp);
    auto bot_error = check_token(bot, "SLACK_BOT_TOKEN", "xoxb-", "a bot token", kBotTokenHelp);
    if (app_error) report_fatal(*app_error);
    if (bot_error) report_fatal(*bot_error);
    if (app_error || bot_error) return std::nullopt;
    return Tokens{*app, *bot};
  } catch (const SecretError& e) {
    report_fatal(e.what());
    return std::nullopt;
  }
}

class DefaultHandler final : public EnvelopeHandler {
 public:
  AckReply on_envelope(const Envelope& envelope) override {
    // Debug level: Slack can deliver bursts, and the handlers that come later log what they do.
    if (log_enabled(LogLevel::debug)) {
      log_debug("envelope.received", {{"envelope_id", envelope.envelope_id},
                                   {"type", to_string(envelope.kind)},
                                   {"payload_type", envelope.payload_type},
                                   {"retry_attempt", envelope.retry_attempt}});
    }
    AckReply reply;
    if (envelope.kind == EnvelopeKind::slash_commands) {
      reply.payload = nlohmann::json{{"response_type", "ephemeral"},
                                     {"text", "The desk is up; this command is not wired yet."}};
    }
    return reply;
  }
};

struct RunState {
  int exit_code = kExitOk;
  SocketModeClient* client = nullptr;
  bool stop_requested = false;
};

int exit_code_for(const SocketModeClient& client) {
  switch (client.stop_cause()) {
    case StopCause::app_token_refused: return kExitConfigError;
    case StopCause::link_disabled: return kExitFailure;
    default: return kExitOk;
  }
}

net::awaitable<void> serve(WebApiClient& api, std::shared_ptr<net::ssl::context> tls, const Tokens& tokens,
                           const DeskHooks& hooks, RunState& run) {
  auto executor = co_await net::this_coro::executor;
  AuthInfo bot;
  try {
    bot = co_await api.auth_test();
  } catch (const SlackApiError& e) {
    run.exit_code = kExitConfigError;
    report_fatal("SLACK_BOT_TOKEN was refused by Slack auth.test (" + e.error() +
                 "); set it to the bot token, which starts with xoxb- " + kBotTokenHelp + ".");
    co_return;
  } catch (const std::exception& e) {
    run.exit_code = kExitFailure;
    report_fatal(std::string("cannot reach the Slack Web API: ") + e.what());
    co_return;
  }
  log_info("desk.authenticated", {{"team_id", bot.team_id}, {"bot_user_id", bot.user_id}, {"bot_id", bot.bot_id}});
  if (run.stop_requested) co_return;

  std::unique_ptr<EnvelopeHandler> handler =
      hooks.make_handler ? hooks.make_handler(executor, api, bot) : std::make_unique<DefaultHandler>();
  auto recent = std::make_shared<RecentIds>();
  DedupeFn dedupe = hooks.dedupe ? hooks.dedupe : DedupeFn([recent](const std::string& id) { return recent->insert(id); });

  SocketModeConfig config;
  config.app_token = tokens.app;
  config.tls_context = std::move(tls);
  SocketModeClient client(executor, config, api, *handler, dedupe);
  run.client = &client;
  if (hooks.on_client) hooks.on_client(&client);
  co_await client.run();
  if (hooks.on_client) hooks.on_client(nullptr);
  run.client = nullptr;
  run.exit_code = exit_code_for(client);
  if (!client.stop_reason().empty()) report_fatal(client.stop_reason());
}

net::awaitable<void> watch_signals(net::signal_set& signals, RunState& run, net::io_context& io,
                                   const DeskHooks& hooks) {
  for (int count = 0;; ++count) {
    auto [ec, signo] = co_await signals.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    if (count > 0) {
      log_warn("desk.signal_again", {{"signal", signo}});
      io.stop();  // a second signal: the operator wants out now
      co_return;
    }
    log_info("desk.stopping", {{"signal", signo}});
    run.stop_requested = true;
    if (hooks.on_stop) hooks.on_stop();
    if (run.client != nullptr) run.client->stop();
  }
}

}  // namespace

int run_desk(const desk::core::Policy& policy) { return run_desk(policy, DeskHooks{}); }

int run_desk(const desk::core::Policy& policy, const DeskHooks& hooks) {
  if (const char* level = std::getenv("DESK_LOG_LEVEL")) set_log_level(parse_log_level(level, LogLevel::info));
  auto tokens = read_tokens();
  if (!tokens) return kExitConfigError;

  net::io_context io(1);
  net::signal_set signals(io, SIGINT, SIGTERM);
  WebApiConfig api_config;
  if (const char* url = std::getenv("SLACK_API_URL"); url != nullptr && *url != '\0') api_config.api_url = url;
  api_config.bot_token = tokens->bot;
  std::unique_ptr<WebApiClient> api;
  try {
    // One trust store for both clients: loading it is the slowest step of start-up.
    api_config.tls_context = make_client_tls_context();
    api = std::make_unique<WebApiClient>(io.get_executor(), api_config);
  } catch (const std::exception& e) {
    report_fatal(e.what());
    return kExitConfigError;
  }
  log_info("desk.starting", {{"channel", policy.desk.channel}});

  RunState run;
  net::co_spawn(io, watch_signals(signals, run, io, hooks), net::detached);
  net::co_spawn(io, serve(*api, api_config.tls_context, *tokens, hooks, run), [&](std::exception_ptr e) {
    if (e) {
      run.exit_code = kExitFailure;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        report_fatal(std::string("unexpected error: ") + x.what());
      }
    }
    io.stop();
  });
  io.run();
  if (hooks.on_exit) hooks.on_exit();
  if (run.exit_code == kExitOk) log_info("desk.stopped");
  return run.exit_code;
}

}  // namespace desk::bot::slack
