#include "bot/console/console_app.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "bot/console/console_assets.hpp"
#include "bot/console/console_deliverer.hpp"
#include "bot/slack/log.hpp"
#include "core/base64.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/http_text.hpp"
#include "storage/digest.hpp"

namespace desk::bot::console {
namespace {

using handlers::HttpRequest;
using handlers::HttpResponse;

constexpr std::string_view kSessionCookie = "desk_console";
constexpr std::string_view kActingCookie = "desk_acting_as";
constexpr std::size_t kMaxSessions = 1000;
constexpr std::size_t kMaxFailedLoginsPerMinute = 10;

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

HttpResponse html(int status, std::string body) {
  HttpResponse r{status, "text/html; charset=utf-8", std::move(body), {}};
  // The pages load only their own assets; nothing may frame them; no referrer leaves the console.
  r.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on form posts.
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

HttpResponse redirect(const std::string& to) {
  HttpResponse r{303, "text/plain; charset=utf-8", "See " + to + "\n", {}};
  r.headers.emplace_back("Location", to);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

HttpResponse plain(int status, const std::string& text) {
  return {status, "text/plain; charset=utf-8", text + "\n", {}};
}

std::string cookie(std::string_view name, const std::string& value, std::chrono::seconds max_age) {
  return std::string(name) + "=" + value +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age.count());
}

/// Sorted durations' value at quantile q (0..1), nearest rank.
core::Seconds quantile(std::vector<core::Seconds> v, double q) {
  std::sort(v.begin(), v.end());
  std::size_t rank = static_cast<std::size_t>(q * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return v[rank - 1];
}

}  // namespace

std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto amp = body.find('&', start);
    const auto pair = body.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      auto key = handlers::percent_decode(pair.substr(0, eq), true);
      auto value =
          handlers::percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
      if (!key || !value) return std::nullopt;
      out.emplace(std::move(*key), std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

std::optional<std::string> cookie_value(std::string_view header_value, std::string_view name) {
  std::size_t start = 0;
  while (start < header_value.size()) {
    auto end = header_value.find(';', start);
    if (end == std::string_view::npos) end = header_value.size();
    auto part = header_value.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    start = end + 1;
  }
  return std::nullopt;
}

ConsoleApp::ConsoleApp(ConsoleDependencies deps, ConsoleOptions options)
    : deps_(std::move(deps)), options_(std::move(options)) {
  for (const auto& t : options_.tokens)
    if (!t.empty()) token_digests_.push_back(storage::sha256_hex(t));
  if (options_.sandbox) {
    auto& policies = deps_.policies;
    actions_ = std::make_unique<handlers::DeskActions>(handlers::DeskActionDependencies{
        deps_.store, policies.resolver(), [&policies] { return policies.current(); }, deps_.metrics, deps_.surfaces});
  }
}

bool ConsoleApp::owns(std::string_view target) {
  const auto path = path_of(target);
  if (path == "/" || path == "/rota" || path == "/figures" || path == "/channel" || path == "/login" ||
      path == "/logout")
    return true;
  for (std::string_view prefix : {"/escalations/", "/assets/", "/sandbox/"})
    if (path.substr(0, prefix.size()) == prefix) return true;
  return false;
}

bool ConsoleApp::token_matches(std::string_view token) const {
  if (token.empty()) return false;
  const std::string digest = storage::sha256_hex(token);
  return handlers::matches_any(token_digests_, digest);
}

std::optional<std::string> ConsoleApp::session_of(const HttpRequest& request) {
  const std::string* cookies = request.header("cookie");
  if (!cookies) return std::nullopt;
  auto sid = cookie_value(*cookies, kSessionCookie);
  if (!sid) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(*sid);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second <= deps_.clock.now()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return sid;
}

ConsoleApp::Access ConsoleApp::check_access(const HttpRequest& request, bool html_page) {
  Access a;
  if (token_digests_.empty()) {
    if (!options_.loopback_listener) {
      a.refusal = plain(403,
                        "The console is off: the listener is not on loopback and DESK_CONSOLE_TOKENS is not set. Set "
                        "DESK_CONSOLE_TOKENS (comma-separated tokens) to open it with a login.");
      return a;
    }
    const std::string* host = request.header("host");
    if (!host || !handlers::loopback_host(*host)) {
      a.refusal = plain(403, "The console answers under a loopback name only (localhost, 127.0.0.1, [::1]).");
      return a;
    }
    a.allowed = true;
    return a;
  }
  if (session_of(request)) {
    a.allowed = a.logged_in = true;
    return a;
  }
  if (const std::string* auth = request.header("authorization");
      auth && auth->size() > 7 && (auth->rfind("Bearer ", 0) == 0 || auth->rfind("bearer ", 0) == 0) &&
      token_matches(std::string_view(*auth).substr(7))) {
    a.allowed = true;
    return a;
  }
  a.refusal = html_page ? redirect("/login") : plain(401, "Log in to the console first (/login).");
  if (!html_page) a.refusal.headers.emplace_back("WWW-Authenticate", "Bearer");
  return a;
}

handlers::HttpResponse ConsoleApp::handle(const HttpRequest& request) {
  try {
    const auto path = std::string(path_of(request.target));
    if (path.rfind("/assets/", 0) == 0) {
      // The stylesheet and script hold nothing private: served to anyone, so the login page has its style.
      if (request.method != "GET" && request.method != "HEAD") return plain(405, "GET only");
      const ConsoleAsset* asset = find_asset(path.substr(8));
      if (!asset) return plain(404, "no such asset");
      HttpResponse r{200, std::string(asset->content_type), std::string(asset->body), {}};
      r.headers.emplace_back("Cache-Control", "no-cache");
      r.headers.emplace_back("X-Content-Type-Options", "nosniff");
      return r;
    }
    if (request.method == "POST") {
      // Forms post to their own origin; anything else is a cross-site request and changes nothing.
      const std::string* origin = request.header("origin");
      const std::string* host = request.header("host");
      if (!origin || !host || (*origin != "http://" + *host && *origin != "https://" + *host))
        return plain(403, "Refused: the request does not come from the console's own page (Origin).");
      if (path == "/login") return login(request);
      if (path == "/logout") return logout(request);
    }
    if (path == "/login") {
      if (request.method != "GET") return plain(405, "GET or POST only");
      if (token_digests_.empty()) return redirect("/");
      return html(200, login_page(""));
    }
    const bool page = request.method == "GET";
    Access access = check_access(request, page);
    if (!access.allowed) return access.refusal;
    return route(request, access);
  } catch (const storage::StorageError& e) {
    slack::log_error("console.storage_failed", {{"error", e.what()}});
    return plain(503, "The desk's store is not available right now; nothing was changed. Try again shortly.");
  } catch (const std::exception& e) {
    slack::log_error("console.failed", {{"error", e.what()}});
    return plain(500, "The console could not answer; nothing was changed.");
  }
}

HttpResponse ConsoleApp::route(const HttpRequest& request, const Access& access) {
  const std::string path(path_of(request.target));
  Viewer viewer = viewer_for(request, access);
  const auto now = deps_.clock.now();
  if (request.method == "POST") {
    if (path.rfind("/sandbox/", 0) == 0) {
      if (!options_.sandbox)
        return html(403, message_page(viewer, "Read-only",
                                      "Outside the sandbox the console is read-only: decide in Slack or Teams, "
                                      "where people's identity is known."));
      return sandbox_post(request, path, std::move(viewer));
    }
    return plain(405, "This page does not take a POST.");
  }
  if (request.method != "GET") return plain(405, "GET only");
  if (path == "/") {
    std::vector<EscalationCard> open, decided;
    auto undecided = deps_.store.undecided_escalations();
    std::sort(undecided.begin(), undecided.end(),
              [](const auto& a, const auto& b) { return a.opened_at > b.opened_at; });
    for (const auto& e : undecided) open.push_back(card(e, false));
    std::vector<core::Escalation> done = deps_.store.escalations(core::EscalationState::accepted, 10);
    for (auto& e : deps_.store.escalations(core::EscalationState::rejected, 10)) done.push_back(std::move(e));
    std::sort(done.begin(), done.end(), [](const auto& a, const auto& b) {
      return (a.decision ? a.decision->at : a.opened_at) > (b.decision ? b.decision->at : b.opened_at);
    });
    if (done.size() > 10) done.resize(10);
    for (const auto& e : done) decided.push_back(card(e, false));
    return html(200, board_page(viewer, open, decided, now));
  }
  if (path.rfind("/escalations/", 0) == 0) {
    const std::string id = path.substr(13);
    auto d = detail(id);
    if (!d) return html(404, message_page(viewer, "Not found", "There is no escalation " + id + "."));
    return html(200, escalation_page(viewer, *d, now));
  }
  if (path == "/rota") return html(200, rota_page(viewer, rota_view(now), std::nullopt, now));
  if (path == "/figures") return html(200, figures_page(viewer, figures(), now));
  if (path == "/channel") {
    if (!options_.sandbox)
      return html(404,
                  message_page(viewer, "No channel here",
                               "The console is the channel only in the sandbox; this desk posts in Slack or Teams."));
    return channel(viewer, std::nullopt, 200);
  }
  return html(404, message_page(viewer, "Not found", "There is no such page."));
}

HttpResponse ConsoleApp::channel(const Viewer& viewer, const std::optional<Notice>& notice, int status) {
  std::vector<std::string> workflows;
  for (const auto& [id, w] : deps_.policies.current()->policy().workflows) workflows.push_back(id);
  return html(status, channel_page(viewer, channel_view(viewer.people), workflows, notice, deps_.clock.now()));
}

HttpResponse ConsoleApp::login(const HttpRequest& request) {
  if (token_digests_.empty()) return redirect("/");
  const auto now = deps_.clock.now();
  {
    std::lock_guard lock(mutex_);
    std::erase_if(failed_logins_, [&](core::TimePoint t) { return t < now - std::chrono::minutes{1}; });
    if (failed_logins_.size() >= kMaxFailedLoginsPerMinute) {
      HttpResponse r = html(429, login_page("Too many wrong tokens in the last minute. Wait a minute and try again."));
      r.headers.emplace_back("Retry-After", "60");
      return r;
    }
  }
  const auto form = parse_form(request.body);
  const std::string token = form && form->contains("token") ? form->at("token") : std::string();
  if (!token_matches(token)) {
    std::lock_guard lock(mutex_);
    failed_logins_.push_back(now);
    slack::log_warn("console.login_refused", {});
    return html(401, login_page("That token is not one of the console's tokens."));
  }
  const std::string sid = storage::random_hex(32);
  {
    std::lock_guard lock(mutex_);
    std::erase_if(sessions_, [&](const auto& s) { return s.second <= now; });
    if (sessions_.size() >= kMaxSessions) {
      // Drop the session that expires first: a flood of logins cannot grow memory without bound.
      auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
      sessions_.erase(oldest);
    }
    sessions_[sid] = now + std::chrono::duration_cast<core::Seconds>(options_.session_lifetime);
  }
  slack::log_info("console.login", {});
  HttpResponse r = redirect("/");
  r.headers.emplace_back(
      "Set-Cookie",
      cookie(kSessionCookie, sid, std::chrono::duration_cast<std::chrono::seconds>(options_.session_lifetime)));
  return r;
}

HttpResponse ConsoleApp::logout(const HttpRequest& request) {
  if (auto sid = session_of(request)) {
    std::lock_guard lock(mutex_);
    sessions_.erase(*sid);
  }
  HttpResponse r = redirect(token_digests_.empty() ? "/" : "/login");
  r.headers.emplace_back("Set-Cookie", cookie(kSessionCookie, "", std::chrono::seconds{0}));
  return r;
}

Viewer ConsoleApp::viewer_for(const HttpRequest& request, const Access& access) {
  Viewer v;
  v.sandbox = options_.sandbox;
  v.speed = options_.speed;
  v.logged_in = access.logged_in;
  if (!options_.sandbox) return v;
  const auto set = deps_.policies.current();
  for (const auto& [id, person] : set->policy().people)
    v.people.push_back({id, person.name.empty() ? id : person.name});
  if (const std::string* cookies = request.header("cookie"))
    if (auto acting = cookie_value(*cookies, kActingCookie); acting && set->rota().person(*acting))
      v.acting_as = *acting;
  return v;
}

HttpResponse ConsoleApp::sandbox_post(const HttpRequest& request, const std::string& path, Viewer viewer) {
  const auto form = parse_form(request.body);
  if (!form) return channel(viewer, Notice{"The form could not be read (malformed encoding).", true}, 400);
  auto field = [&](const char* name) {
    auto it = form->find(name);
    return it == form->end() ? std::string() : it->second;
  };
  const auto now = deps_.clock.now();
  if (path == "/sandbox/acting-as") {
    const std::string person = field("person");
    if (!deps_.policies.current()->rota().person(person))
      return channel(viewer, Notice{"Choose a person of the config to act as.", true}, 422);
    HttpResponse r = redirect("/channel");
    r.headers.emplace_back("Set-Cookie", cookie(kActingCookie, person, std::chrono::hours{24 * 30}));
    return r;
  }
  if (viewer.acting_as.empty())
    return channel(viewer, Notice{"Choose who you are acting as first (the Acting as selector).", true}, 422);
  auto changed = [&](const std::string& id) {
    if (deps_.changed) deps_.changed(id);
  };
  if (path == "/sandbox/escalate") {
    handlers::ManualEscalation m;
    m.what = field("what");
    m.where = field("where");
    m.workflow = field("workflow");
    m.why = field("why");
    m.actor = viewer.acting_as;
    m.surface = std::string(kConsoleSurface);
    m.surface_user = viewer.acting_as;
    auto result = actions_->escalate(m, now);
    if (result.changed) changed(result.escalation_id);
    if (!result.ok()) {
      std::string text;
      for (const auto& [f, message] : result.errors) text += (text.empty() ? "" : " ") + f + ": " + message;
      if (text.empty()) text = "The escalation could not be opened; nothing was changed.";
      return channel(viewer, Notice{text, true}, 422);
    }
    return channel(viewer, Notice{result.escalation_id + " is open; it is with " + result.owner_name + ".", false},
                   200);
  }
  if (path == "/sandbox/drill") {
    const auto result = actions_->start_drill({field("scenario"), field("workflow"), viewer.acting_as}, now);
    if (result.changed) changed(result.escalation_id);
    using Status = handlers::DrillStartResult::Status;
    switch (result.status) {
      case Status::started:
        return channel(viewer,
                       Notice{"Fire drill " + result.escalation_id + " is open in " + result.workflow +
                                  "; it is with " + result.owner_name + ". It is scored when decided.",
                              false},
                       200);
      case Status::missed:
        return channel(viewer, Notice{"Fire drill missed (score 0): " + result.message, true}, 200);
      case Status::refused:
        return channel(viewer, Notice{result.message + " The attempt was logged.", true}, 403);
      case Status::invalid:
        break;
    }
    return channel(viewer, Notice{result.message, true}, 422);
  }
  if (path == "/sandbox/publish-rota") {
    // What `/rota publish` does in Slack: the rota posted in the channel, on every surface.
    if (!actions_->publish_rota(viewer.acting_as, now))
      return html(503, rota_page(viewer, rota_view(now), Notice{"The desk has no policy loaded.", true}, now));
    changed("");
    return html(
        200, rota_page(viewer, rota_view(now), Notice{"The rota is posted in the channel, for everyone.", false}, now));
  }
  if (path == "/sandbox/override") {
    int hours = 0;
    try {
      std::size_t used = 0;
      hours = std::stoi(field("hours"), &used);
      if (used != field("hours").size()) hours = 0;
    } catch (const std::exception&) {}
    std::optional<core::TimePoint> until;
    if (hours > 0) until = now + std::chrono::hours{hours};
    auto result = actions_->override_role(
        {field("role"), field("person"), until, viewer.acting_as, "set in the sandbox console"}, now);
    if (result.changed) changed("");
    const Notice notice =
        result.ok() ? Notice{"The override is set.", false}
        : result.status == handlers::RotaOverrideResult::Status::refused
            ? Notice{result.message + " The attempt was logged.", true}
            : Notice{(hours <= 0 ? std::string("Give a whole number of hours from 1 to 744. ") : "") + result.message,
                     true};
    const int status = result.ok() ? 200 : result.status == handlers::RotaOverrideResult::Status::refused ? 403 : 422;
    return html(status, rota_page(viewer, rota_view(now), notice, now));
  }
  const std::string id = field("escalation");
  const auto macro = core::macro_from(field("macro"));
  int generation = -1;
  try {
    generation = std::stoi(field("generation"));
  } catch (const std::exception&) {}
  if (id.empty() || !macro || generation < 0 || *macro == core::Macro::route)
    return channel(viewer, Notice{"The form is incomplete: escalation, generation and macro are needed.", true}, 400);
  if (path == "/sandbox/begin") {
    auto result = actions_->begin(id, generation, *macro, viewer.acting_as, now);
    if (result.changed) changed(id);
    if (!result.outcome.ok()) return channel(viewer, Notice{result.outcome.message, true}, 403);
    auto c = card(id);
    if (!c) return channel(viewer, Notice{"There is no escalation " + id + ".", true}, 404);
    return html(200, decide_page(viewer, *c, field("macro"), "", "", now));
  }
  if (path == "/sandbox/decide") {
    macros::MacroRequest req{*macro, viewer.acting_as, field("rationale"), {}};
    auto result = actions_->decide(id, generation, req, now);
    if (result.changed) changed(id);
    if (result.outcome.status == macros::MacroOutcome::Status::invalid && result.outcome.field == "rationale") {
      auto c = card(id);
      if (c) return html(422, decide_page(viewer, *c, field("macro"), req.rationale, result.outcome.message, now));
    }
    if (!result.outcome.ok()) return channel(viewer, Notice{result.outcome.message, true}, 403);
    return channel(viewer, Notice{result.outcome.message.empty() ? id + " is decided." : result.outcome.message, false},
                   200);
  }
  return plain(404, "no such sandbox action");
}

std::string ConsoleApp::person_name(const handlers::PolicySet* set, const std::string& person_id) const {
  if (person_id.empty()) return {};
  if (set)
    if (const core::Person* p = set->rota().person(person_id)) return p->name.empty() ? p->id : p->name;
  return person_id;
}

EscalationCard ConsoleApp::card(const core::Escalation& e, bool with_evidence) {
  EscalationCard c;
  c.escalation = e;
  const auto set = deps_.policies.resolve(e.policy_digest);
  c.owner_name = person_name(set.get(), e.owner_person);
  if (e.decision) c.decided_by_name = person_name(set.get(), e.decision->by);
  c.backup_name = person_name(set.get(), e.backup_person);
  c.director_name = person_name(set.get(), e.director_person);
  if (!with_evidence) return c;
  if (const auto evidence = deps_.store.evidence(e.id)) {
    c.erased = evidence->erased_at.has_value();
    auto masked = masker_.mask_evidence(set.get(), *evidence);
    c.masked_excerpt = std::move(masked.output);
    c.permalink = std::move(masked.permalink);
    c.suggested_fix = std::move(masked.suggested_fix);
  }
  return c;
}

std::optional<EscalationCard> ConsoleApp::card(const std::string& escalation_id) {
  auto e = deps_.store.escalation(escalation_id);
  if (!e) return std::nullopt;
  return card(*e);
}

std::optional<EscalationDetail> ConsoleApp::detail(const std::string& escalation_id) {
  auto e = deps_.store.escalation(escalation_id);
  if (!e) return std::nullopt;
  EscalationDetail d;
  d.card = card(*e);
  const auto set = deps_.policies.resolve(e->policy_digest);
  if (set)
    if (auto w = set->policy().workflows.find(e->workflow); w != set->policy().workflows.end())
      d.workflow_description = w->second.description;
  if (const auto evidence = deps_.store.evidence(e->id); evidence && !evidence->erased_at) {
    auto masked = masker_.mask_evidence(set.get(), *evidence);
    d.prompt = std::move(masked.prompt);
    if (masked.metadata_json != "{}") d.metadata_json = std::move(masked.metadata_json);
  }
  for (const auto& row : deps_.store.audit_trail(e->id))
    d.timeline.push_back({row.event.at, row.event.kind, person_name(set.get(), row.event.actor), row.event.fields});
  d.postmortems = deps_.store.postmortems(e->id);
  return d;
}

RotaView ConsoleApp::rota_view(core::TimePoint now) {
  RotaView v;
  const auto set = deps_.policies.current();
  const core::Rota& rota = set->rota();
  const auto overrides = deps_.store.overrides_active_after(now);
  auto title = [&](const std::string& role) {
    auto it = rota.roles().find(role);
    return it == rota.roles().end() || it->second.title.empty() ? role : it->second.title;
  };
  for (const auto& [role, spec] : rota.roles()) {
    v.roles.push_back({role, title(role)});
    RotaRow row{role, title(role), {}, {}, {}, {}};
    if (auto h = rota.holder(role, now, overrides)) {
      row.holder_name = person_name(set.get(), h->person);
      row.how = core::to_string(h->source);
      row.until = h->until;
    }
    v.now.push_back(std::move(row));
    core::TimePoint t = now;
    for (int i = 0; i < 3; ++i) {
      auto next = rota.next_handoff(role, t, overrides);
      if (!next || *next > now + std::chrono::days{28}) break;
      if (auto h = rota.holder(role, *next, overrides))
        v.upcoming.push_back({*next, title(role), person_name(set.get(), h->person)});
      t = *next;
    }
  }
  std::sort(v.upcoming.begin(), v.upcoming.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  if (v.upcoming.size() > 12) v.upcoming.resize(12);
  for (const auto& o : overrides)
    v.overrides.push_back({title(o.role), person_name(set.get(), o.person), person_name(set.get(), o.created_by),
                           o.reason, o.from, o.until});
  return v;
}

Figures ConsoleApp::figures() {
  Figures f;
  std::vector<core::Seconds> respond, decide;
  std::map<std::string, int> hits;
  for (const auto& e : deps_.store.escalations(std::nullopt, 5000)) {
    if (e.drill) continue;
    ++f.opened;
    if (e.manual) ++f.manual;
    if (e.with_legal()) ++f.with_legal;
    if (core::is_decided(e.state)) {
      ++f.decided;
      (e.state == core::EscalationState::accepted ? f.accepted : f.rejected) += 1;
    } else {
      ++f.open;
    }
    if (e.triaged_at) respond.push_back(*e.triaged_at - e.opened_at);
    if (e.decision) decide.push_back(e.decision->at - e.opened_at);
    for (const auto& d : e.deadlines) {
      if (!d.fired_at) continue;
      if (d.kind == core::DeadlineKind::triage) ++f.triage_breaches;
      if (d.kind == core::DeadlineKind::decision) ++f.decision_breaches;
    }
    std::set<std::string> rules;
    for (const auto& h : e.hits) rules.insert(h.rule_id.empty() ? core::to_string(h.kind) : h.rule_id);
    for (const auto& r : rules) ++hits[r];
  }
  auto mean = [](const std::vector<core::Seconds>& v) -> std::optional<core::Seconds> {
    if (v.empty()) return std::nullopt;
    core::Seconds sum{0};
    for (auto s : v) sum += s;
    return sum / static_cast<long>(v.size());
  };
  f.responded = static_cast<int>(respond.size());
  f.mean_time_to_respond = mean(respond);
  f.mean_time_to_decide = mean(decide);
  if (!respond.empty()) f.p90_time_to_respond = quantile(respond, 0.9);
  for (const auto& [rule, n] : hits) f.hits_per_rule.emplace_back(rule, n);
  std::stable_sort(f.hits_per_rule.begin(), f.hits_per_rule.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return f;
}

ChannelView ConsoleApp::channel_view(const std::vector<PersonOption>& people) {
  ChannelView view;
  std::vector<ChannelPost>& posts = view.posts;
  std::map<std::string, std::size_t> index;
  for (const auto& row : deps_.store.outbox_history(std::string(kConsoleSurface), 2000)) {
    if (row.escalation_id.empty()) {
      if (row.kind != handlers::to_string(handlers::Effect::channel_notice)) continue;
      ChannelMessage m{row.kind, describe_message(row.kind, row.payload_json, people), row.created_at,
                       storage::to_string(row.state), {}, {}};
      auto notice = handlers::channel_notice_from(nlohmann::json::parse(row.payload_json, nullptr, false));
      // The image (the digest's run chart) is shown inline: data: images are all the page allows besides its own.
      if (notice && notice->image) {
        m.image_uri = "data:image/png;base64," + core::base64_encode(notice->image->png);
        m.image_alt = notice->image->alt;
      }
      view.notices.push_back(std::move(m));
      // Rows come oldest first: the last notice to pin is the copy that stays pinned.
      if (notice && notice->pin) view.pinned = std::move(notice);
      continue;
    }
    auto it = index.find(row.escalation_id);
    if (row.kind == "post_escalation") {
      if (it != index.end()) continue;
      auto c = card(row.escalation_id);
      if (!c) continue;
      index[row.escalation_id] = posts.size();
      posts.push_back({std::move(*c), {}, storage::to_string(row.state)});
      continue;
    }
    if (it == index.end() || row.kind == "update_escalation") continue;  // updates show in the post itself
    posts[it->second].thread.push_back({row.kind, describe_message(row.kind, row.payload_json, people), row.created_at,
                                        storage::to_string(row.state), {}, {}});
  }
  std::reverse(posts.begin(), posts.end());  // newest first
  if (posts.size() > 50) posts.resize(50);
  std::reverse(view.notices.begin(), view.notices.end());
  if (view.notices.size() > 10) view.notices.resize(10);
  return view;
}

StreamingResponse ConsoleApp::events(const HttpRequest& request, EventHub& hub) {
  StreamingResponse out;
  if (request.method != "GET") {
    out.head = plain(405, "GET only");
    return out;
  }
  Access access = check_access(request, false);
  if (!access.allowed) {
    out.head = access.refusal;
    return out;
  }
  std::optional<std::uint64_t> last;
  if (const std::string* id = request.header("last-event-id")) {
    try {
      last = std::stoull(*id);
    } catch (const std::exception&) {}
  }
  auto stream = hub.open(last);
  out.head = {200, "text/event-stream; charset=utf-8", stream->preamble, {}};
  out.head.headers.emplace_back("Cache-Control", "no-store");
  out.head.headers.emplace_back("X-Accel-Buffering", "no");  // a proxy in front must not hold events back
  out.next = [stream]() { return stream->next(); };
  return out;
}

}  // namespace desk::bot::console
