#include "bot/desk_app.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>

#include "bot/callback_sender.hpp"
#include "bot/config_loader.hpp"
#include "bot/intake_committer.hpp"
#include "bot/intake_server.hpp"
#include "bot/outbox_sender.hpp"
#include "bot/sla_timer.hpp"
#include "bot/usergroup_sync.hpp"
#include "bot/slack/desk_runner.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/secrets.hpp"
#include "bot/slack/socket_mode_client.hpp"
#include "handlers/intake_handler.hpp"
#include "handlers/interaction_handler.hpp"
#include "handlers/slash_commands.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using slack::log_error;
using slack::log_info;
using slack::log_warn;

/// Escalations keep the policy they were opened under: parse each stored snapshot once.
class PolicyCache {
 public:
  PolicyCache(storage::Store& store, std::shared_ptr<const handlers::PolicySet> current)
      : store_(store), current_(std::move(current)) {}

  std::shared_ptr<const handlers::PolicySet> current() const { return current_; }

  std::shared_ptr<const handlers::PolicySet> resolve(const std::string& digest) {
    if (digest == current_->digest()) return current_;
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(digest); it != cache_.end()) return it->second;
    std::shared_ptr<const handlers::PolicySet> set;
    try {
      if (auto text = store_.policy_snapshot(digest))
        set = std::make_shared<handlers::PolicySet>(parse_config(*text, "policy snapshot " + digest.substr(0, 12)));
    } catch (const std::exception& e) {
      log_error("policy.snapshot_unusable", {{"digest", digest.substr(0, 12)}, {"error", e.what()}});
    }
    cache_[digest] = set;  // a bad snapshot is reported once, not on every click
    return set;
  }

 private:
  storage::Store& store_;
  std::shared_ptr<const handlers::PolicySet> current_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const handlers::PolicySet>> cache_;
};

/// Completion handler for the desk's long-running coroutines: an unexpected end is logged, never silent.
auto log_failure(const char* event) {
  return [event](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      log_error(event, {{"error", x.what()}});
    }
  };
}

std::vector<std::string> split_tokens(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    auto token = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    token.erase(0, token.find_first_not_of(" \t\r\n"));
    token.erase(token.find_last_not_of(" \t\r\n") + 1);
    if (!token.empty()) out.push_back(token);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

/// Everything that runs beside the Socket Mode client once Slack has said who the bot is.
struct Services {
  Services(net::any_io_executor ex, storage::Store& store, PolicyCache& policies, core::Clock& clock,
           core::Metrics& metrics, slack::SlackApi& api, std::optional<std::string> callback_secret)
      : callbacks(ex, store, resolver(policies), clock, std::move(callback_secret)),
        usergroups(ex, api, store, [&policies] { return policies.current(); }, clock),
        sender(ex, store, api, resolver(policies), clock, &metrics, sender_options(policies), &callbacks),
        timer(ex, store, resolver(policies), clock, &metrics, [this] { sender.poke(); }) {}

  OutboxSenderOptions sender_options(PolicyCache& policies) {
    OutboxSenderOptions options;
    options.desk_channel = policies.current()->policy().desk.channel;
    // Posts mention the on-duty group only while it really lists the duty lead.
    options.usergroup_id_source = [this] { return usergroups.group_id(); };
    return options;
  }

  static handlers::PolicyResolver resolver(PolicyCache& policies) {
    return [&policies](const std::string& digest) { return policies.resolve(digest); };
  }

  void poke() {
    timer.poke();
    sender.poke();
  }

  void stop() {
    timer.stop();
    sender.stop();
    usergroups.stop();
  }

  CallbackSender callbacks;
  UsergroupSync usergroups;  // before sender: the sender asks it for the group id
  OutboxSender sender;
  SlaTimer timer;
};

/// Hands Slack envelopes to the handlers; their immediate calls (modals, ephemeral answers) run right
/// after the ack, everything else was committed to the outbox by the handler.
class DeskEnvelopeHandler final : public slack::EnvelopeHandler {
 public:
  DeskEnvelopeHandler(slack::SlackApi& api, handlers::SlackDependencies deps, core::Clock& clock,
                      std::shared_ptr<Services> services)
      : api_(api), interactions_(deps), commands_(deps), clock_(clock), services_(std::move(services)) {}

  slack::AckReply on_envelope(const slack::Envelope& envelope) override {
    handlers::InteractionResult result;
    switch (envelope.kind) {
      case slack::EnvelopeKind::interactive: result = interactions_.on_payload(envelope.payload(), clock_.now()); break;
      case slack::EnvelopeKind::slash_commands:
        result = commands_.on_payload(envelope.payload(), clock_.now());
        // The only change a command commits is a rota override: the on-duty group follows it. (Not
        // in poke(): that runs for every new escalation, and a poke retries a refused group update.)
        if (result.changed) services_->usergroups.poke();
        break;
      case slack::EnvelopeKind::events_api: return {};  // no event drives a decision yet
    }
    if (!result.log.empty()) log_warn("desk.envelope_problem", {{"envelope_id", envelope.envelope_id}, {"problem", result.log}});
    if (result.changed) services_->poke();
    slack::AckReply reply;
    reply.payload = std::move(result.ack_payload);
    if (!result.calls.empty())
      reply.follow_up = [&api = api_, calls = std::move(result.calls)] { return make_calls(api, calls); };
    return reply;
  }

 private:
  /// The calls an interaction needs right after its ack. A plain function with by-value parameters
  /// and named locals: GCC 12 mishandles braced temporaries and lambda captures across co_await.
  static net::awaitable<void> make_calls(slack::SlackApi& api, std::vector<handlers::SlackCall> calls) {
    for (auto& call : calls) {
      try {
        if (call.kind == handlers::SlackCall::Kind::views_open) {
          co_await api.views_open(std::move(call.trigger_id), std::move(call.body));
        } else {
          slack::PostEphemeral message;
          message.channel = std::move(call.channel);
          message.user = std::move(call.user);
          message.text = call.body.value("text", std::string{});
          message.blocks = call.body.value("blocks", nlohmann::json());
          co_await api.chat_post_ephemeral(std::move(message));
        }
      } catch (const std::exception& e) {
        log_warn("desk.slack_call_failed", {{"error", e.what()}});
      }
    }
  }

  slack::SlackApi& api_;
  handlers::InteractionHandler interactions_;
  handlers::SlashCommands commands_;
  core::Clock& clock_;
  std::shared_ptr<Services> services_;
};

}  // namespace

int run_desk_app(const core::Policy& policy) {
  std::unique_ptr<storage::SqliteStore> store;
  try {
    store = storage::SqliteStore::open(policy.desk.database);
    store->save_policy_snapshot(policy.source_digest, policy.source_text);
  } catch (const storage::StorageError& e) {
    std::cerr << "escalation-desk: " << e.what() << "\n";
    return slack::kExitConfigError;
  }
  std::vector<std::string> intake_tokens;
  std::optional<std::string> callback_secret;
  try {
    if (auto tokens = slack::read_secret("DESK_INTAKE_TOKENS")) intake_tokens = split_tokens(*tokens);
    callback_secret = CallbackSender::secret_from_env();
  } catch (const std::exception& e) {
    std::cerr << "escalation-desk: " << e.what() << "\n";
    return slack::kExitConfigError;
  }

  core::SystemClock clock;
  core::Metrics metrics;
  PolicyCache policies(*store, std::make_shared<handlers::PolicySet>(policy));
  const auto current = policies.current();
  // /healthz reads the Socket Mode client's state; before the client exists the desk is still connecting.
  std::atomic<const slack::SocketModeClient*> socket_client{nullptr};
  std::atomic<bool> socket_client_gone{false};
  auto slack_state = [&] {
    const slack::SocketModeClient* client = socket_client.load();
    if (client == nullptr)
      return socket_client_gone.load() ? handlers::SlackConnection::disconnected : handlers::SlackConnection::connecting;
    return client->state() == slack::SocketModeState::connected ? handlers::SlackConnection::connected
                                                                : handlers::SlackConnection::connecting;
  };
  handlers::IntakeHandler intake({current->policy(), current->engine(), current->rota(), *store, metrics,
                                  intake_tokens, slack_state, {}});
  // Intake commits run on their own thread, many submissions per transaction (one fsync), so this
  // io thread, which also acks Slack envelopes, never waits for the disk on the agents' behalf.
  IntakeCommitter committer(intake, clock);
  std::shared_ptr<Services> services;
  std::unique_ptr<IntakeServer> server;

  slack::DeskHooks hooks;
  hooks.dedupe = [&](const std::string& id) { return store->mark_processed(id, clock.now()); };
  hooks.make_handler = [&](net::any_io_executor ex, slack::SlackApi& api, const slack::AuthInfo&) {
    services = std::make_shared<Services>(ex, *store, policies, clock, metrics, api, callback_secret);
    IntakeServerOptions options;
    options.listen = policy.desk.intake_listen;
    server = std::make_unique<IntakeServer>(ex, options, [&, ex](handlers::HttpRequest r, IntakeServer::Reply reply) {
      committer.submit(std::move(r), [&, ex, reply = std::move(reply)](handlers::HttpResponse answer) {
        // Called on the committer thread: the sender and the SLA timer are woken on their own.
        if (answer.status == 201) net::post(ex, [&] { services->poke(); });  // post it, start its clock
        reply(std::move(answer));
      });
    });
    const auto port = server->bind();  // throws with the address: the runner reports it and exits 1
    if (intake_tokens.empty())
      log_warn("intake.no_tokens", {{"hint", "set DESK_INTAKE_TOKENS (comma-separated bearer tokens): until then every agent request is refused"}});
    log_info("intake.listening", {{"address", policy.desk.intake_listen}, {"port", port}});
    net::co_spawn(ex, server->run(), log_failure("intake.server_stopped"));
    net::co_spawn(ex, services->sender.run(), log_failure("outbox.sender_stopped"));
    net::co_spawn(ex, services->timer.run(), log_failure("sla.timer_stopped"));
    net::co_spawn(ex, services->usergroups.run(), log_failure("usergroup.sync_stopped"));
    handlers::SlackDependencies deps{*store, Services::resolver(policies), [&policies] { return policies.current(); }, &metrics};
    deps.usergroup_notice = [services] { return services->usergroups.notice(); };
    return std::make_unique<DeskEnvelopeHandler>(api, deps, clock, services);
  };
  hooks.on_client = [&](const slack::SocketModeClient* client) {
    if (client == nullptr) socket_client_gone = true;
    socket_client = client;
  };
  hooks.on_stop = [&] {
    if (server) server->stop();
    if (services) services->stop();
  };
  hooks.on_exit = [&] {
    server.reset();
    committer.stop();  // commits and answers what is queued; before run_desk's io_context is destroyed
    services.reset();
  };
  return slack::run_desk(policy, hooks);
}

}  // namespace desk::bot
