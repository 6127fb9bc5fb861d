#pragma once
/// The console's HTTP side, served on the intake listener beside the agent API: the pages
/// (console_pages.hpp), their assets (compiled in), the login, the sandbox's forms and the event
/// stream GET /v1/events.
///
/// Access (SPEC, "Console and sandbox"): with no console tokens on a loopback listener the console is
/// open to local users, and only under a loopback Host name (a page elsewhere cannot reach it through
/// DNS rebinding); otherwise a token from DESK_CONSOLE_TOKENS, given once at /login, opens a session
/// held in an HttpOnly, SameSite=Strict cookie (the cookie is a random session id, never the token).
/// Every POST must come from the console's own origin (Origin header). Outside the sandbox the
/// console is read-only: decisions are taken where people's identity is known.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/app/policy_cache.hpp"
#include "bot/console/console_pages.hpp"
#include "bot/console/event_hub.hpp"
#include "bot/intake_server.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "handlers/desk_actions.hpp"
#include "handlers/evidence_masker.hpp"
#include "handlers/intake_handler.hpp"
#include "storage/store.hpp"

namespace desk::bot::console {

struct ConsoleOptions {
  bool sandbox = false;             ///< the console is the channel; people act through it
  int speed = 1;                    ///< sandbox clocks run this many times faster (shown on every page)
  std::vector<std::string> tokens;  ///< DESK_CONSOLE_TOKENS; empty ones are ignored
  bool loopback_listener = true;    ///< the intake listener is on a loopback address
  std::chrono::hours session_lifetime{12};
};

struct ConsoleDependencies {
  storage::Store& store;
  PolicyCache& policies;
  core::Clock& clock;
  core::Metrics* metrics = nullptr;
  handlers::SurfaceNames surfaces;  ///< where the sandbox's actions are shown
  /// The sandbox changed the store (an action): the clocks, the outbox and the board look again.
  /// Called from whichever thread answered the request.
  std::function<void(const std::string& escalation_id)> changed;
};

class ConsoleApp {
 public:
  ConsoleApp(ConsoleDependencies deps, ConsoleOptions options);

  /// True for the paths the console answers (everything that is not the agent API or /healthz,
  /// /metrics, /v1/events).
  static bool owns(std::string_view target);

  /// Answers a console request. Reads the store (and in the sandbox writes it): run it where waiting
  /// for the disk holds nothing up. Safe from several threads. Never throws.
  handlers::HttpResponse handle(const handlers::HttpRequest& request);

  /// GET /v1/events for whoever may see the console: a stream from `hub`; anyone else gets the
  /// refusal as a finished response. Call on the hub's thread.
  StreamingResponse events(const handlers::HttpRequest& request, EventHub& hub);

 private:
  struct Access {
    bool allowed = false;
    bool logged_in = false;
    handlers::HttpResponse refusal;  ///< when not allowed
  };
  Access check_access(const handlers::HttpRequest& request, bool html);
  handlers::HttpResponse route(const handlers::HttpRequest& request, const Access& access);
  handlers::HttpResponse login(const handlers::HttpRequest& request);
  handlers::HttpResponse logout(const handlers::HttpRequest& request);
  handlers::HttpResponse sandbox_post(const handlers::HttpRequest& request, const std::string& path, Viewer viewer);
  handlers::HttpResponse channel(const Viewer& viewer, const std::optional<Notice>& notice, int status);

  Viewer viewer_for(const handlers::HttpRequest& request, const Access& access);
  std::optional<EscalationCard> card(const std::string& escalation_id);
  /// `with_evidence`: also the masked excerpt, link and fix (the board shows none of them).
  EscalationCard card(const core::Escalation& e, bool with_evidence = true);
  std::optional<EscalationDetail> detail(const std::string& escalation_id);
  RotaView rota_view(core::TimePoint now);
  Figures figures();
  ChannelView channel_view(const std::vector<PersonOption>& people);
  std::string person_name(const handlers::PolicySet* set, const std::string& person_id) const;

  std::optional<std::string> session_of(const handlers::HttpRequest& request);
  bool token_matches(std::string_view token) const;

  ConsoleDependencies deps_;
  ConsoleOptions options_;
  std::vector<std::string> token_digests_;
  std::unique_ptr<handlers::DeskActions> actions_;  ///< sandbox only
  handlers::EvidenceMasker masker_;

  std::mutex mutex_;                                 ///< guards what follows
  std::map<std::string, core::TimePoint> sessions_;  ///< session id → expiry
  std::vector<core::TimePoint> failed_logins_;       ///< the last minute's, for a brake on guessing
};

/// application/x-www-form-urlencoded fields (later duplicates ignored); nullopt when malformed.
std::optional<std::map<std::string, std::string>> parse_form(std::string_view body);
/// The value of cookie `name` in a Cookie header, if present.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

}  // namespace desk::bot::console
