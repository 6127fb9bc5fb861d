#include "bot/app/desk_app.hpp"

#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/app/policy_cache.hpp"
#include "bot/app/surfaces.hpp"
#include "bot/callback_sender.hpp"
#include "bot/console/console_app.hpp"
#include "bot/console/event_hub.hpp"
#include "bot/console/sandbox.hpp"
#include "bot/intake_committer.hpp"
#include "bot/intake_server.hpp"
#include "bot/mcp/await_stream.hpp"
#include "bot/mcp/decision_watch.hpp"
#include "bot/mcp/json_rpc.hpp"
#include "bot/mcp/mcp_endpoint.hpp"
#include "bot/sla_timer.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/secrets.hpp"
#include "bot/workers/handoff_notifier.hpp"
#include "bot/workers/outbox_dispatcher.hpp"
#include "bot/workers/store_thread.hpp"
#include "handlers/intake_handler.hpp"
#include "storage/digest.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using slack::log_error;
using slack::log_info;
using slack::log_warn;

/// Secrets the desk itself needs, whatever the surfaces.
struct DeskSecrets {
  std::vector<std::string> intake_tokens;
  std::optional<std::string> callback_secret;
  std::optional<std::string> previous_callback_secret;  ///< during a rotation
  std::vector<std::string> console_tokens;
  std::vector<std::string> admin_tokens;
  std::string token_scope_key;  ///< handlers::token_scope_key(DESK_AUDIT_KEY); empty without the key
  /// The agents' and admins' tokens as digests under token_scope_key: built once, for the start-up
  /// rewrite of older scopes and for the callbacks' keys (the intake builds its own from the same).
  std::shared_ptr<const handlers::AgentTokens> agent_tokens;
};

/// Tokens shorter than this are refused at start: they could be guessed.
constexpr std::size_t kMinTokenLength = 16;

/// What kind of desk runs: the real one, or the sandbox (console only, demo cases, faster clocks).
struct DeskMode {
  bool sandbox = false;
  bool demo = false;
  int speed = 1;
  std::string demo_token;  ///< the sandbox's own intake token for its demo cases
};

/// True when the listen address is on this machine's loopback.
bool loopback_listen(const std::string& listen) {
  try {
    const auto [host, port] = split_host_port(listen);
    if (host == "localhost") return true;
    boost::system::error_code ec;
    const auto address = net::ip::make_address(host, ec);
    return !ec && address.is_loopback();
  } catch (const std::exception&) { return false; }
}

/// The running desk: everything `escalation-desk run` owns, on one io_context and one thread, besides
/// the intake committer's own thread and the thread the outboxes' store calls run on.
class Desk {
 public:
  /// At most this long for in-flight work to unwind after the surfaces stopped: longer than any
  /// request's own timeouts (connect, handshake, write, response), so only a bug reaches it.
  static constexpr std::chrono::seconds kDrainLimit{30};

  Desk(const core::Policy& policy, std::shared_ptr<const core::LexiconMatcher> lexicon, storage::Store& store,
       DeskSecrets secrets, DeskMode mode = {})
      : mode_(std::move(mode)),
        policy_(policy),
        store_(store),
        secrets_(std::move(secrets)),
        policies_(store, handlers::PolicySet::compiling_in_background(policy, std::move(lexicon))),
        outbox_(io_.get_executor(), store, clock_, people_dispatch()),
        callback_outbox_(io_.get_executor(), store, clock_, callback_dispatch()),
        callbacks_(io_.get_executor(), store, policies_.resolver(), clock_, secrets_.callback_secret,
                   callback_options(policy, secrets_)),
        context_{io_.get_executor(), store,   clock_,         metrics_,
                 policies_,          outbox_, surface_names_, [this] { changed(); }} {}

  /// Posts, updates and pings go up to 4 at once, each of another escalation (one escalation's stay in
  /// order): a burst of escalations reaches the channel in a few round trips, not one after another.
  static OutboxDispatcherOptions people_dispatch() {
    OutboxDispatcherOptions options;
    options.concurrency = 4;
    return options;
  }

  /// Callbacks go up to 8 at once (one per escalation at most, so each agent's order holds): a receiver
  /// that answers slowly or never holds one slot for its 10 s, not every agent's callbacks behind it.
  static OutboxDispatcherOptions callback_dispatch() {
    OutboxDispatcherOptions options;
    options.concurrency = 8;
    return options;
  }

  static CallbackOptions callback_options(const core::Policy& policy, const DeskSecrets& secrets) {
    CallbackOptions options;
    options.allow_loopback = policy.desk.callbacks_allow_loopback;
    options.previous_secret = secrets.previous_callback_secret.value_or("");
    options.tokens = secrets.agent_tokens;
    return options;
  }

  /// The secrets agents' callback keys derive from, the current one first (GET /v1/callback-key).
  std::vector<std::string> callback_secrets() const {
    std::vector<std::string> out;
    if (secrets_.callback_secret) out.push_back(*secrets_.callback_secret);
    if (secrets_.callback_secret && secrets_.previous_callback_secret)
      out.push_back(*secrets_.previous_callback_secret);
    return out;
  }

  /// Starts the enabled surfaces and the workers, runs until stopped; returns the exit code.
  int run() {
    // The figures of the work the store records pick up where the last process left them: read
    // before any surface exists, so a database that does not read stops nothing half-started.
    try {
      metrics_.restore(store_.metric_totals());
    } catch (const storage::StorageError& e) {
      std::cerr << "escalation-desk: " << e.what() << "\n";
      return kExitNotConfigured;
    }
    if (const int code = make_surfaces(); code != kExitStopped) return code;
    timer_.emplace(
        io_.get_executor(), store_, policies_.resolver(), clock_, &metrics_,
        [this] {
          poke_outboxes();
          if (watch_) watch_->notify("");                     // a breach may have re-owned one
          hub_.publish("escalation", {{"change", "clock"}});  // a reminder or breach fired
        },
        sla_options());
    handoffs_.emplace(io_.get_executor(), store_, policies_, clock_, surface_names_, &metrics_, [this] {
      poke_outboxes();
      hub_.publish("escalation", {{"change", "notice"}});
    });
    // Callbacks have a dispatcher of their own: an agent's receiver that answers slowly (or never,
    // until the 10 s timeout) holds back other callbacks at most, never a post or a ping to people.
    callback_outbox_.add(callbacks_);
    outbox_.count_errors_in(&metrics_);
    callback_outbox_.count_errors_in(&metrics_, "callbacks");
    // Their commits wait for the disk and for the intake committer's: not on this thread.
    outbox_.run_store_calls_on(store_thread_.executor());
    callback_outbox_.run_store_calls_on(store_thread_.executor());
    const auto current = policies_.current();
    intake_.emplace(handlers::IntakeDependencies{current->policy(), *current, current->rota(), store_, metrics_,
                                                 secrets_.intake_tokens, [this] { return health(); }, surface_names_,
                                                 intake_limits(), secrets_.admin_tokens, callback_secrets(),
                                                 secrets_.token_scope_key});
    // Intake commits run on their own thread, many submissions per transaction (one fsync), so this
    // thread, which also acks every surface's events, never waits for the disk on the agents' behalf.
    IntakeCommitterOptions committer_options;
    committer_options.max_queue = static_cast<std::size_t>(policy_.limits.queued_requests);
    committer_.emplace(*intake_, clock_, committer_options);
    console_.emplace(
        console::ConsoleDependencies{store_, policies_, clock_, &metrics_, surface_names_,
                                     [this](const std::string& id) {
                                       net::post(io_, [this, id] { id.empty() ? changed() : opened_or_changed(id); });
                                     }},
        console::ConsoleOptions{mode_.sandbox, mode_.speed, secrets_.console_tokens,
                                loopback_listen(policy_.desk.intake_listen)});
    make_mcp();
    if (const int code = start_intake(); code != kExitStopped) return code;

    spawn_worker("outbox", outbox_.run());
    spawn_worker("callbacks", callback_outbox_.run());
    spawn_worker("sla_clock", timer_->run());
    spawn_worker("handoffs", handoffs_->run());
    for (auto& surface : surfaces_) spawn_surface(*surface);
    net::signal_set signals(io_, SIGINT, SIGTERM);
    net::co_spawn(io_, watch_signals(signals), net::detached);
    log_info("desk.started", {{"surfaces", join(surface_names_)}, {"channel", policy_.desk.channel}});
    io_.run();
    signals.cancel();
    const bool drained = drain();
    // Release what lives on the io_context before it goes (committer first: it posts to it).
    server_.reset();
    committer_->stop();
    if (!drained) {
      // Something still waits and would unwind only when the io_context is destroyed, after the objects
      // it refers to: leave now instead. Every acknowledged change is committed (the committer stopped
      // above); a message caught mid-send is looked up again at the next start.
      log_error("desk.drain_incomplete", {{"limit_s", static_cast<long>(kDrainLimit.count())}});
      std::_Exit(exit_code_ == kExitStopped ? kExitSurfaceFailed : exit_code_);
    }
    if (exit_code_ == kExitStopped) log_info("desk.stopped");
    return exit_code_;
  }

 private:
  static std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
  }

  int make_surfaces() {
    if (mode_.sandbox) {
      // The sandbox's only channel is the console, whatever secrets the environment holds.
      auto surface = std::make_unique<console::ConsoleSurface>(context_, hub_);
      surface_names_.push_back(surface->name());
      surfaces_.push_back(std::move(surface));
      return kExitStopped;
    }
    std::string how;
    try {
      for (const SurfaceEntry& entry : known_surfaces()) {
        if (auto surface = entry.make(context_)) {
          surface_names_.push_back(surface->name());
          surfaces_.push_back(std::move(surface));
        } else {
          how += std::string(how.empty() ? "" : "; or ") + entry.how_to_enable;
        }
      }
    } catch (const SurfaceConfigError& e) {
      slack::report_fatal(e.what());
      return kExitNotConfigured;
    }
    if (surfaces_.empty()) {
      slack::report_fatal("no surface is enabled, so nobody would see an escalation. Set " + how +
                          ". Without any account, `escalation-desk demo --config FILE` shows what the desk decides.");
      return kExitNotConfigured;
    }
    return kExitStopped;
  }

  SlaTimerOptions sla_options() const {
    SlaTimerOptions options;
    options.surfaces = surface_names_;
    return options;
  }

  /// The MCP endpoint for agents, and the watch that wakes its await_decision calls.
  void make_mcp() {
    watch_.emplace(io_.get_executor(), [this](std::vector<std::string> ids,
                                              std::function<void(std::optional<mcp::Fingerprints>)> done) {
      auto found = std::make_shared<mcp::Fingerprints>();
      handlers::StoreRead read{
          [this, ids = std::move(ids), found] {
            for (const auto& id : ids) {
              const auto e = store_.escalation(id);
              (*found)[id] = e ? mcp::escalation_fingerprint(core::to_string(e->state), e->owner_role) : std::string{};
            }
            return handlers::HttpResponse{200, "", "", {}};
          },
          false};
      committer_->read(std::move(read), [found, done = std::move(done)](handlers::HttpResponse answer) {
        done(answer.status == 200 ? std::optional<mcp::Fingerprints>(*found) : std::nullopt);
      });
    });
    mcp::McpEndpointOptions options;
    options.server_version = DESK_VERSION;
    options.loopback_listener = loopback_listen(policy_.desk.intake_listen);
    options.allowed_origins = policy_.desk.mcp_allowed_origins;
    mcp_.emplace(
        std::move(options),
        [this] {
          std::vector<mcp::WorkflowChoice> out;
          for (const auto& [id, w] : policies_.current()->policy().workflows) out.push_back({id, w.description});
          return out;
        },
        [this](const handlers::HttpRequest& r) { return intake_->accepts(r); },
        [this](const handlers::HttpRequest& r) { return intake_->throttle(r, clock_.now()); });
  }

  handlers::IntakeLimits intake_limits() const {
    handlers::IntakeLimits limits;
    limits.requests_per_minute = policy_.limits.requests_per_minute;
    limits.burst = policy_.limits.burst;
    limits.open_escalations_per_token = policy_.limits.open_escalations_per_token;
    return limits;
  }

  /// Runs an intake API request (from REST or MCP) where it may wait for the disk; `reply` gets its
  /// answer on the committer's thread.
  void run_intake(handlers::HttpRequest request, std::function<void(handlers::HttpResponse)> reply) {
    committer_->submit(std::move(request), [this, reply = std::move(reply)](handlers::HttpResponse answer) {
      // Called on the committer thread: the clocks and the outbox are woken on the desk's own.
      if (answer.status == 201) {
        const std::string* location = answer.header("Location");  // "/v1/escalations/<id>"
        std::string id = location ? location->substr(location->rfind('/') + 1) : std::string{};
        net::post(io_, [this, id = std::move(id)] { opened(id); });  // post it, start its clock
      }
      reply(std::move(answer));
    });
  }

  std::optional<StreamingResponse> mcp_stream(const handlers::HttpRequest& request) {
    // Only an await_decision call streams; anything else goes the usual way (parsed once more there).
    if (!mcp::McpEndpoint::may_await(request)) return std::nullopt;
    auto step = mcp_->handle(request);
    auto* await = std::get_if<mcp::McpAwait>(&step);
    if (!await) return std::nullopt;
    return mcp::await_decision_response(
        io_.get_executor(), *watch_,
        [this](handlers::HttpRequest r, std::function<void(handlers::HttpResponse)> done) {
          run_intake(std::move(r), std::move(done));
        },
        std::move(await->call), std::move(await->headers));
  }

  void answer_mcp(handlers::HttpRequest request, IntakeServer::Reply reply) {
    auto step = mcp_->handle(request);
    if (auto* answer = std::get_if<handlers::HttpResponse>(&step)) return reply(std::move(*answer));
    if (auto* call = std::get_if<mcp::McpRestCall>(&step))
      return run_intake(std::move(call->rest), [finish = std::move(call->finish), reply = std::move(reply)](
                                                   handlers::HttpResponse answer) { reply(finish(answer)); });
    // An await that may_await() missed cannot happen (it looks for the tool's name in the body);
    // answer it as a protocol error rather than hold the connection without a stream.
    reply({400,
           "application/json",
           mcp::dump_message(
               mcp::rpc_error(nullptr, mcp::rpc_code::kInternalError, "the desk could not handle this message")),
           {}});
  }

  /// The connections the listener may hold: the configured number, within the open-file limit (raised
  /// to the hard limit first), keeping some descriptors for the database, Slack and the callbacks.
  std::size_t intake_connections() const {
    constexpr rlim_t kReserve = 128;
    auto wanted = static_cast<rlim_t>(std::max(1, policy_.limits.connections));
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return static_cast<std::size_t>(wanted);
    if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < files.rlim_max) {
      rlimit raised = files;
      raised.rlim_cur = files.rlim_max;
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) files = raised;
    }
    if (files.rlim_cur != RLIM_INFINITY && wanted + kReserve > files.rlim_cur) {
      const rlim_t allowed = files.rlim_cur > 2 * kReserve ? files.rlim_cur - kReserve : files.rlim_cur / 2;
      log_warn("intake.connections_capped",
               {{"configured", static_cast<long long>(wanted)},
                {"allowed", static_cast<long long>(allowed)},
                {"hint", "raise the open-file limit (LimitNOFILE in the systemd unit, ulimit -n)"}});
      wanted = std::max<rlim_t>(1, allowed);
    }
    return static_cast<std::size_t>(wanted);
  }

  int start_intake() {
    IntakeServerOptions options;
    options.listen = policy_.desk.intake_listen;
    options.max_connections = intake_connections();
    // A /v1 or /mcp request without an accepted token is refused on its head, before its body is read.
    options.screen = [this](const handlers::HttpRequest& head) {
      return mcp::McpEndpoint::owns(head.target) ? mcp_->screen(head) : intake_->screen(head);
    };
    options.stream = [this](const handlers::HttpRequest& request) -> std::optional<StreamingResponse> {
      if (mcp::McpEndpoint::owns(request.target)) return mcp_stream(request);
      if (request.target != "/v1/events" && request.target.rfind("/v1/events?", 0) != 0) return std::nullopt;
      return console_->events(request, hub_);
    };
    server_.emplace(io_.get_executor(), options, [this](handlers::HttpRequest request, IntakeServer::Reply reply) {
      if (mcp::McpEndpoint::owns(request.target)) return answer_mcp(std::move(request), std::move(reply));
      if (console::ConsoleApp::owns(request.target)) {
        // Console pages read the store: on the committer's thread, like the API's reads.
        auto shared = std::make_shared<handlers::HttpRequest>(std::move(request));
        committer_->read(handlers::StoreRead{[this, shared] { return console_->handle(*shared); }}, std::move(reply));
        return;
      }
      run_intake(std::move(request), std::move(reply));
    });
    try {
      const auto port = server_->bind();
      log_info("intake.listening", {{"address", policy_.desk.intake_listen}, {"port", port}});
      port_ = port;
    } catch (const std::exception& e) {
      slack::report_fatal(e.what());
      return kExitSurfaceFailed;
    }
    if (secrets_.intake_tokens.empty())
      log_warn("intake.no_tokens",
               {{"hint",
                 "set DESK_INTAKE_TOKENS (comma-separated bearer tokens): until then every agent request is refused"}});
    spawn_worker("intake", server_->run());
    if (mode_.sandbox) announce_sandbox();
    return kExitStopped;
  }

  void announce_sandbox() {
    const auto [host, configured_port] = split_host_port(policy_.desk.intake_listen);
    std::string shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
    if (shown.find(':') != std::string::npos) shown = "[" + shown + "]";
    const std::string url = "http://" + shown + ":" + std::to_string(port_) + "/";
    std::cout << "Escalation Desk sandbox: open " << url << " in a browser (Ctrl-C stops it)." << std::endl;
    log_info("sandbox.console", {{"url", url}, {"speed", mode_.speed}, {"demo", mode_.demo}});
    if (mode_.demo)
      // Not a worker: it ends by design once the cases are in.
      net::co_spawn(io_,
                    console::feed_demo(io_.get_executor(), port_, mode_.demo_token, console::demo_submissions(policy_),
                                       std::chrono::milliseconds{1500}),
                    net::detached);
  }

  void poke_outboxes() {
    outbox_.poke();
    callback_outbox_.poke();
  }

  /// The store changed: the clocks and the outbox look again.
  void changed() {
    if (timer_) timer_->poke();
    if (handoffs_) handoffs_->poke();  // an override may have changed who is on duty
    if (watch_) watch_->notify("");
    poke_outboxes();
    hub_.publish("escalation", {{"change", "changed"}});
  }

  void opened_or_changed(const std::string& escalation_id) {
    if (timer_) timer_->poke(escalation_id);
    if (watch_) watch_->notify(escalation_id);
    poke_outboxes();
    hub_.publish("escalation", {{"id", escalation_id}, {"change", "changed"}});
  }

  /// An escalation was opened: its clock starts (the others are already scheduled) and its post goes
  /// out. Without its id, everything is looked at again.
  void opened(const std::string& escalation_id) {
    if (escalation_id.empty()) return changed();
    if (timer_) timer_->poke(escalation_id);
    poke_outboxes();
    hub_.publish("escalation", {{"id", escalation_id}, {"change", "opened"}});
  }

  /// A worker whose run() ends while the desk is not stopping is down, and /healthz says so.
  void spawn_worker(std::string name, net::awaitable<void> work) {
    worker_ends_.erase(name);
    net::co_spawn(io_, std::move(work), [this, name](std::exception_ptr e) {
      std::string why = "stopped";
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) { why = std::string("stopped: ") + x.what(); }
      }
      if (!stopping_) {
        log_error("desk.worker_stopped", {{"worker", name}, {"error", why}});
        metrics_.count_worker_error(name);
      }
      worker_ends_[name] = why;
    });
  }

  void spawn_surface(Surface& surface) {
    ++running_surfaces_;
    net::co_spawn(io_, surface.run(), [this, &surface](std::exception_ptr e) {
      --running_surfaces_;
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) { slack::report_fatal(surface.name() + ": unexpected error: " + x.what()); }
      }
      if (auto code = surface.fatal_exit(); code || e) {
        if (exit_code_ == kExitStopped) exit_code_ = code.value_or(kExitSurfaceFailed);
        begin_stop();  // a surface that cannot go on ends the desk: its supervisor restarts it
      }
      if (stopping_ && running_surfaces_ == 0) io_.stop();
    });
  }

  net::awaitable<void> watch_signals(net::signal_set& signals) {
    for (int count = 0;; ++count) {
      auto [ec, signo] = co_await signals.async_wait(net::as_tuple(net::use_awaitable));
      if (ec) co_return;
      if (count > 0) {
        log_warn("desk.signal_again", {{"signal", signo}});
        io_.stop();  // a second signal: the operator wants out now
        co_return;
      }
      log_info("desk.stopping", {{"signal", signo}});
      begin_stop();
      if (running_surfaces_ == 0) io_.stop();
    }
  }

  /// Once the surfaces have stopped: ends what is still in flight (a Web API call waiting out a 429's
  /// Retry-After, a backoff, a request on the wire within its timeouts) and lets it unwind while every
  /// object it refers to still exists. Destroying the desk first and the io_context last would let those
  /// frames write freed memory. True when nothing is left.
  bool drain() {
    begin_stop();
    for (auto& surface : surfaces_) surface->abandon();
    io_.restart();
    io_.run_for(kDrainLimit);
    return io_.stopped();
  }

  /// Stop taking new work everywhere; each surface finishes what is in flight, then the desk exits.
  void begin_stop() {
    if (stopping_) return;
    stopping_ = true;
    if (server_) server_->stop();
    hub_.close();
    if (watch_) watch_->close();
    if (timer_) timer_->stop();
    if (handoffs_) handoffs_->stop();
    outbox_.stop();
    callback_outbox_.stop();
    for (auto& surface : surfaces_) surface->stop();
  }

  handlers::DeskHealth health() const {
    handlers::DeskHealth h;
    for (const auto& surface : surfaces_) {
      h.surfaces.push_back(surface->health());
      for (auto& w : surface->workers()) h.workers.push_back(std::move(w));
    }
    auto worker = [&](const std::string& name, std::pair<std::string, bool> alive) {
      if (auto it = worker_ends_.find(name); it != worker_ends_.end()) alive = {it->second, stopping_};
      h.workers.push_back({name, alive.first, alive.second});
    };
    worker("intake", {"running", true});
    worker("outbox", outbox_.health());
    worker("sla_clock", timer_ ? timer_->health() : std::pair<std::string, bool>{"starting", true});
    worker("handoffs", handoffs_ ? handoffs_->health() : std::pair<std::string, bool>{"starting", true});
    if (callbacks_.configured())
      worker("callbacks", callback_outbox_.health());
    else
      h.workers.push_back({"callbacks", "unsigned: DESK_CALLBACK_SECRET is not set", true});
    return h;
  }

  DeskMode mode_;
  const core::Policy& policy_;
  storage::Store& store_;
  DeskSecrets secrets_;
  net::io_context io_{1};
  /// The workers' store calls run here (bot/workers/store_thread.hpp); after io_, so it goes first.
  StoreThread store_thread_;
  console::EventHub hub_{io_.get_executor()};
  core::SystemClock clock_;
  core::Metrics metrics_;
  PolicyCache policies_;
  OutboxDispatcher outbox_;           ///< posts, updates, replies, pings: what people see
  OutboxDispatcher callback_outbox_;  ///< decision callbacks to agents, apart (see run())
  CallbackSender callbacks_;
  handlers::SurfaceNames surface_names_;
  SurfaceContext context_;
  std::vector<std::unique_ptr<Surface>> surfaces_;
  std::optional<SlaTimer> timer_;
  std::optional<HandoffNotifier> handoffs_;
  std::optional<handlers::IntakeHandler> intake_;
  std::optional<IntakeCommitter> committer_;
  std::optional<console::ConsoleApp> console_;
  std::optional<mcp::DecisionWatch> watch_;
  std::optional<mcp::McpEndpoint> mcp_;
  std::optional<IntakeServer> server_;
  std::uint16_t port_ = 0;
  std::map<std::string, std::string> worker_ends_;
  int running_surfaces_ = 0;
  bool stopping_ = false;
  int exit_code_ = kExitStopped;
};

/// Opens the store and reads the desk's own secrets, then runs the desk; messages on stderr.
int open_and_run(const core::Policy& policy, std::shared_ptr<const core::LexiconMatcher> lexicon, DeskMode mode) {
  if (const char* level = std::getenv("DESK_LOG_LEVEL"))
    slack::set_log_level(slack::parse_log_level(level, slack::LogLevel::info));
  // The audit chain's key: required to run the desk for real; the sandbox may run without it on a
  // chain that was never keyed (its own scratch database), saying so.
  storage::StoreOptions store_options;
  try {
    if (auto key = slack::read_audit_key()) store_options.audit_key = std::move(*key);
  } catch (const std::exception& e) {
    std::cerr << "escalation-desk: " << e.what() << "\n";
    return kExitNotConfigured;
  }
  if (store_options.audit_key.empty() && !mode.sandbox) {
    std::cerr << "escalation-desk: DESK_AUDIT_KEY is not set: the audit trail is chained with it (HMAC-SHA256), "
                 "so that nobody with the database file alone can rewrite or truncate it. Set DESK_AUDIT_KEY (or "
                 "DESK_AUDIT_KEY_FILE) to a secret of at least 32 characters, e.g. from `openssl rand -hex 32`, and "
                 "keep it apart from the database\n";
    return kExitNotConfigured;
  }
  std::unique_ptr<storage::SqliteStore> store;
  try {
    store = storage::SqliteStore::open(policy.desk.database, store_options);
    if (const std::string problem = store->audit_key_problem(); !problem.empty())
      throw storage::StorageError(storage::StorageError::Code::audit_key, problem);
    store->save_policy_snapshot(policy.source_digest, policy.source_text);
  } catch (const storage::StorageError& e) {
    std::cerr << "escalation-desk: " << e.what() << "\n";
    return kExitNotConfigured;
  }
  if (store_options.audit_key.empty())
    std::cerr << "escalation-desk: sandbox without DESK_AUDIT_KEY: its audit trail is chained with plain SHA-256 "
                 "(not tamper-evident); the real desk refuses to run without the key\n";
  DeskSecrets secrets;
  try {
    if (auto tokens = slack::read_secret("DESK_INTAKE_TOKENS")) secrets.intake_tokens = slack::split_tokens(*tokens);
    if (auto tokens = slack::read_secret("DESK_ADMIN_TOKENS")) secrets.admin_tokens = slack::split_tokens(*tokens);
    if (auto tokens = slack::read_secret("DESK_CONSOLE_TOKENS")) secrets.console_tokens = slack::split_tokens(*tokens);
    // A short token can be guessed: refuse it at start, naming the variable (never the token).
    for (const auto& [name, list] : {std::pair{"DESK_INTAKE_TOKENS", &secrets.intake_tokens},
                                     std::pair{"DESK_ADMIN_TOKENS", &secrets.admin_tokens},
                                     std::pair{"DESK_CONSOLE_TOKENS", &secrets.console_tokens}})
      for (const auto& token : *list)
        if (token.size() < kMinTokenLength)
          throw std::runtime_error(std::string(name) + " holds a token of " + std::to_string(token.size()) +
                                   " characters: each must have at least " + std::to_string(kMinTokenLength) +
                                   " (e.g. from `openssl rand -hex 24`)");
    secrets.callback_secret = CallbackSender::secret_from_env();
    secrets.previous_callback_secret = CallbackSender::previous_secret_from_env();
  } catch (const std::exception& e) {
    std::cerr << "escalation-desk: " << e.what() << "\n";
    return kExitNotConfigured;
  }
  if (mode.sandbox && mode.demo) secrets.intake_tokens.push_back(mode.demo_token);
  secrets.token_scope_key = handlers::token_scope_key(store_options.audit_key);
  secrets.agent_tokens = std::make_shared<const handlers::AgentTokens>(secrets.token_scope_key, secrets.intake_tokens,
                                                                       secrets.admin_tokens);
  // A store written before scopes were keyed keeps each configured token's submissions: their plain
  // digests become keyed ones, once (a token no longer configured keeps its rows as they were).
  try {
    if (const std::size_t moved = store->rekey_idempotency_scopes(secrets.agent_tokens->unkeyed_scopes()); moved > 0)
      slack::log_info("intake.scopes_keyed", {{"submissions", std::to_string(moved)}});
  } catch (const storage::StorageError& e) {
    std::cerr << "escalation-desk: " << e.what() << "\n";
    return kExitNotConfigured;
  }
  Desk desk(policy, std::move(lexicon), *store, std::move(secrets), std::move(mode));
  return desk.run();
}

}  // namespace

int run_desk_app(const core::Policy& policy, std::shared_ptr<const core::LexiconMatcher> lexicon) {
  return open_and_run(policy, std::move(lexicon), {});
}

int run_sandbox_app(const core::Policy& base, const SandboxSettings& settings,
                    std::shared_ptr<const core::LexiconMatcher> lexicon) {
  if (settings.speed < 1 || settings.speed > 600) {
    std::cerr << "escalation-desk: --speed must be between 1 and 600\n";
    return kExitNotConfigured;
  }
  core::Policy policy = console::sped_up(base, settings.speed);
  if (!settings.listen.empty()) policy.desk.intake_listen = settings.listen;
  // Its database is its own: a fresh one in a temporary folder unless a path is given.
  std::filesystem::path scratch;
  if (settings.database.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "escalation-desk-sandbox-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      std::cerr << "escalation-desk: cannot make a temporary folder for the sandbox's database\n";
      return kExitNotConfigured;
    }
    scratch = pattern;
    policy.desk.database = (scratch / "sandbox.db").string();
  } else {
    policy.desk.database = settings.database;
  }
  DeskMode mode{true, settings.demo, settings.speed, "sandbox-" + storage::random_hex(24)};
  const int code = open_and_run(policy, std::move(lexicon), std::move(mode));
  if (!scratch.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(scratch, ignored);
  }
  return code;
}

}  // namespace desk::bot
