#include "handlers/intake_handler.hpp"
#include "handlers/weekly_report.hpp"

#include "handlers/callback_signing.hpp"
#include "handlers/desk_actions.hpp"
#include "handlers/drills.hpp"
#include "handlers/http_text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <variant>

#include "core/text_scan.hpp"
#include "handlers/intake_responses.hpp"
#include "handlers/postmortems.hpp"
#include "handlers/verdict_json.hpp"
#include "storage/digest.hpp"

namespace desk::handlers {

namespace intake {

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

HttpResponse json_response(int status, const nlohmann::json& body) { return {status, kJson, dump(body), {}}; }

HttpResponse error(int status, const std::string& code, const std::string& message, const std::string& field) {
  nlohmann::json body = {{"error", code},
                         {"message", message},
                         {"field", field.empty() ? nlohmann::json(nullptr) : nlohmann::json(field)}};
  return json_response(status, body);
}

HttpResponse unavailable() {
  HttpResponse r = error(503, "unavailable", "the desk cannot reach its database; retry later");
  r.headers.emplace_back("Retry-After", "5");
  return r;
}

HttpResponse internal_error() { return error(500, "internal", "the desk failed to handle this request"); }

HttpResponse failure_answer() {
  try {
    throw;
  } catch (const storage::StorageError&) { return unavailable(); } catch (...) {
    return internal_error();
  }
}

}  // namespace intake

namespace {

using json = nlohmann::json;
using Query = std::map<std::string, std::string>;
using intake::error;
using intake::json_response;
using intake::kJson;

constexpr const char* kPrometheus = "text/plain; version=0.0.4; charset=utf-8";

HttpResponse not_allowed(const char* allow) {
  HttpResponse r = error(405, "method_not_allowed", std::string("this path allows ") + allow + " only");
  r.headers.emplace_back("Allow", allow);
  return r;
}

// Shape problems are 400; a well-formed value the desk cannot accept is 422; size is 413.
int status_for(const ValidationError& e) {
  if (e.code == "too_large") return 413;
  if (e.code == "out_of_range" || e.code == "unknown_workflow" || e.code == "invalid_date" || e.code == "invalid_url")
    return 422;
  return 400;
}

/// Strict: every pair is name=value, names and values percent-decode, no name twice, only `allowed` names.
std::variant<Query, HttpResponse> parse_query(std::string_view query, std::initializer_list<const char*> allowed) {
  Query out;
  if (query.empty()) return out;
  std::size_t start = 0;
  while (start <= query.size()) {
    const auto end = std::min(query.find('&', start), query.size());
    const std::string_view pair = query.substr(start, end - start);
    const auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (pair.empty() || eq == std::string_view::npos || !name || !value || name->empty())
      return error(400, "invalid_query", "the query string must be name=value pairs joined by '&', percent-encoded");
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return *name == a; }))
      return error(400, "unknown_parameter", "unknown query parameter '" + *name + "'", *name);
    if (!out.emplace(*name, *value).second)
      return error(400, "invalid_query", "the query parameter '" + *name + "' appears twice", *name);
    start = end + 1;
  }
  return out;
}

/// Parses the query strictly, then goes on with `f(query)`; a bad query answers 400 instead.
template <typename F>
PreparedRequest with_query(std::string_view query, std::initializer_list<const char*> allowed, F&& f) {
  auto q = parse_query(query, allowed);
  if (auto* e = std::get_if<HttpResponse>(&q)) return std::move(*e);
  return f(std::get<Query>(q));
}

bool is_submission(const HttpRequest& r) {
  const std::string_view target = r.target;
  return r.method == "POST" && target.substr(0, target.find('?')) == "/v1/submissions";
}

/// The escalation id in a path segment: percent-decoded, letters, digits and '-' only.
std::optional<std::string> escalation_id_in(std::string_view segment) {
  auto id = percent_decode(segment, false);
  if (!id || id->empty() || id->size() > 64) return std::nullopt;
  if (!std::all_of(id->begin(), id->end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
    return std::nullopt;
  return id;
}

bool is_json_content_type(std::string_view value) {
  if (media_type(value) != kJson) return false;
  const auto semi = value.find(';');
  if (semi == std::string_view::npos) return true;
  // One parameter is allowed: charset=utf-8 (JSON is UTF-8 by RFC 8259).
  std::string param = lower_ascii(trim_spaces(value.substr(semi + 1)));
  param.erase(std::remove(param.begin(), param.end(), ' '), param.end());
  return param == "charset=utf-8" || param == "charset=\"utf-8\"";
}

bool is_valid_key(const std::string& key, std::size_t max) {
  return !key.empty() && key.size() <= max &&
         std::all_of(key.begin(), key.end(), [](unsigned char c) { return c >= 0x20 && c <= 0x7e; });
}

/// A query parameter that must be a whole number from `min` to `max` (at most three digits).
std::optional<int> bounded_number(const std::string& v, int min, int max) {
  const bool digits =
      !v.empty() && v.size() <= 3 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return std::nullopt;
  const int n = std::stoi(v);
  return n >= min && n <= max ? std::optional<int>(n) : std::nullopt;
}

/// One outbox row as the API shows it: never its payload, only where it stands.
json delivery_json(const storage::OutboxMessage& row) {
  json d = {{"surface", row.surface},
            {"kind", row.kind},
            {"state", storage::to_string(row.state)},
            {"attempts", row.attempts},
            {"created_at", core::format_utc(row.created_at)}};
  if (!row.escalation_id.empty()) d["escalation_id"] = row.escalation_id;
  if (row.sent_at) d["sent_at"] = core::format_utc(*row.sent_at);
  if (row.state != storage::OutboxMessage::State::sent && !row.last_error.empty()) d["error"] = row.last_error;
  return d;
}

}  // namespace

const std::string* HttpRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

bool HttpRequest::repeated(std::string_view name) const {
  return std::find(repeated_headers.begin(), repeated_headers.end(), name) != repeated_headers.end();
}

const std::string* HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (lower_ascii(k) == lower_ascii(name)) return &v;
  return nullptr;
}

IntakeHandler::IntakeHandler(IntakeDependencies deps)
    : policy_(deps.policy),
      engine_(deps.engine),
      rota_(deps.rota),
      store_(deps.store),
      metrics_(deps.metrics),
      tokens_(deps.token_scope_key, deps.tokens, deps.admin_tokens),
      health_(std::move(deps.health)),
      surfaces_(std::move(deps.surfaces)),
      limits_(deps.limits),
      limiter_(deps.limits.requests_per_minute, deps.limits.burst),
      callback_secrets_(std::move(deps.callback_secrets)) {}

HttpResponse IntakeHandler::handle(const HttpRequest& request, core::TimePoint now) {
  PreparedRequest prepared = prepare(request, now);
  if (auto* pending = std::get_if<PendingSubmission>(&prepared)) {
    std::vector<PendingSubmission> one;
    one.push_back(std::move(*pending));
    return std::move(commit(std::move(one)).front());
  }
  if (const auto* work = std::get_if<StoreRead>(&prepared)) return read(*work);
  return std::get<HttpResponse>(std::move(prepared));
}

PreparedRequest IntakeHandler::prepare(const HttpRequest& request, core::TimePoint now) {
  const auto started = std::chrono::steady_clock::now();
  PreparedRequest prepared;
  try {
    prepared = route(request, now);
  } catch (...) { prepared = intake::failure_answer(); }
  if (auto* answer = std::get_if<HttpResponse>(&prepared))
    return counted(std::move(*answer), is_submission(request), started);
  if (auto* pending = std::get_if<PendingSubmission>(&prepared)) pending->started = started;
  return prepared;
}

HttpResponse IntakeHandler::read(const StoreRead& work) {
  HttpResponse response;
  try {
    response = work.run ? work.run() : intake::internal_error();
  } catch (...) { response = intake::failure_answer(); }
  return work.count ? counted(std::move(response), false, {}) : response;
}

HttpResponse IntakeHandler::counted(HttpResponse response, bool submission,
                                    std::chrono::steady_clock::time_point started) {
  metrics_.count_intake_request(response.status);
  if (submission)
    metrics_.observe_intake_latency(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return response;
}

PreparedRequest IntakeHandler::route(const HttpRequest& request, core::TimePoint now) {
  const std::string_view target = request.target;
  if (target.empty() || target.front() != '/' || target.find('#') != std::string_view::npos)
    return error(400, "invalid_target", "the request target must be a path with an optional query");
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string_view query = qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);
  const bool get = request.method == "GET";

  if (path == "/healthz")
    return !get ? not_allowed("GET") : with_query(query, {}, [&](const Query&) {
      // Read here, on the caller's thread (the one the surfaces and workers live on).
      DeskHealth health = health_ ? health_() : DeskHealth{};
      return StoreRead{[this, health = std::move(health)] { return healthz(health); }};
    });
  if (path == "/metrics") {
    // The figures say how busy the desk is and who escalates what: local readers, or a token.
    if (!request.from_loopback && !authenticate(request)) return unauthorized();
    return !get ? not_allowed("GET") : with_query(query, {}, [&](const Query&) { return metrics_text(); });
  }
  if (path.rfind("/v1/", 0) != 0) return error(404, "not_found", "no such path");

  // Authentication comes before anything else about a /v1 request, the body above all.
  const auto scope = authenticate(request);
  if (!scope) return unauthorized();
  if (!request.internal)
    if (auto refused = over_rate(*scope, now)) return std::move(*refused);
  if (path == "/v1/checks")
    return request.method != "POST" ? not_allowed("POST")
                                    : with_query(query, {}, [&](const Query&) { return check_draft(request, now); });
  if (path == "/v1/submissions")
    return request.method != "POST"
               ? not_allowed("POST")
               : with_query(query, {}, [&](const Query&) { return check_submission(request, *scope, now); });
  if (path == "/v1/drills")
    return request.method != "POST"
               ? not_allowed("POST")
               : with_query(query, {}, [&](const Query&) { return check_drill(request, *scope, now); });
  if (path == "/v1/escalations")
    return !get ? not_allowed("GET") : with_query(query, {"status", "limit"}, [&](const Query& q) {
      return StoreRead{[this, q, scope = *scope] { return list_escalations(q, scope); }};
    });
  if (path == "/v1/reports/weekly")
    return !get ? not_allowed("GET") : with_query(query, {"weeks"}, [&](const Query& q) -> PreparedRequest {
      // Figures over every agent's escalations: for admins, as reading all escalations is.
      if (!tokens_.is_admin(*scope))
        return error(403, "forbidden", "the weekly report needs a token from DESK_ADMIN_TOKENS");
      int weeks = 8;
      if (auto it = q.find("weeks"); it != q.end()) {
        const auto n = bounded_number(it->second, 1, kMaxReportWeeks);
        if (!n)
          return error(400, "invalid_parameter",
                       "weeks must be a whole number from 1 to " + std::to_string(kMaxReportWeeks), "weeks");
        weeks = *n;
      }
      return StoreRead{[this, weeks, now] {
        return json_response(200, report_json(read_weekly_report(store_, policy_, now, weeks)));
      }};
    });
  if (path == "/v1/callback-key")
    return !get ? not_allowed("GET")
                : with_query(query, {}, [&](const Query&) -> PreparedRequest { return callback_key(*scope); });
  constexpr std::string_view kPrefix = "/v1/escalations/";
  if (path.rfind(kPrefix, 0) != 0) return error(404, "not_found", "no such path");
  const auto id = escalation_id_in(path.substr(kPrefix.size()));
  if (!id) return error(404, "not_found", "no such escalation");
  return !get ? not_allowed("GET") : with_query(query, {}, [&](const Query&) {
    return StoreRead{[this, id = *id, scope = *scope] { return get_escalation(id, scope); }};
  });
}

HttpResponse IntakeHandler::unauthorized() {
  HttpResponse r = error(401, "unauthorized", "a valid 'Authorization: Bearer <token>' header is required");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

std::optional<HttpResponse> IntakeHandler::over_rate(const std::string& scope, core::TimePoint now) {
  const auto wait = limiter_.admit(scope, now);
  if (!wait) return std::nullopt;
  HttpResponse r =
      error(429, "rate_limited",
            "this token sent more than " + std::to_string(limits_.requests_per_minute) +
                " requests a minute (limits.requests_per_minute); retry in " + std::to_string(wait->count()) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(wait->count()));
  return r;
}

std::optional<HttpResponse> IntakeHandler::throttle(const HttpRequest& request, core::TimePoint now) {
  try {
    const auto scope = authenticate(request);
    if (!scope) return std::nullopt;  // refused as unauthenticated elsewhere
    if (auto refused = over_rate(*scope, now)) return counted(std::move(*refused), false, {});
  } catch (...) {}  // a limiter that fails lets the request through rather than refuse everyone
  return std::nullopt;
}

std::optional<HttpResponse> IntakeHandler::screen(const HttpRequest& headers) {
  const std::string_view target = headers.target;
  if (target.rfind("/v1/", 0) != 0 || authenticate(headers)) return std::nullopt;
  return counted(unauthorized(), false, {});
}

std::optional<std::string> IntakeHandler::authenticate(const HttpRequest& request) const {
  if (request.repeated("authorization")) return std::nullopt;  // two credentials: neither is taken
  const std::string* header = request.header("authorization");
  if (!header) return std::nullopt;
  const std::string_view value = trim_spaces(*header);
  if (value.size() < 7 || lower_ascii(value.substr(0, 7)) != "bearer ") return std::nullopt;
  const std::string_view token = trim_spaces(value.substr(7));
  if (token.empty()) return std::nullopt;
  // Digests have one length whatever the token's, and every configured one is compared in full,
  // so neither the length nor which token matched shows in the time taken.
  return tokens_.scope_of(token);
}

std::variant<core::Submission, HttpResponse> IntakeHandler::parse_body(const HttpRequest& request,
                                                                       core::TimePoint now) const {
  const std::string* type = request.header("content-type");
  if (!type || !is_json_content_type(*type))
    return error(415, "unsupported_media_type", "the body must be sent as 'Content-Type: application/json'",
                 "Content-Type");
  if (request.body.size() > limits_.max_body_bytes)
    return error(413, "too_large", "the body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
  if (!core::is_valid_utf8(request.body)) return error(400, "invalid_text", "the body is not valid UTF-8");
  auto parsed = parse_submission(request.body, policy_, now, limits_.submission);
  if (auto* e = std::get_if<ValidationError>(&parsed)) return error(status_for(*e), e->code, e->message, e->field);
  return std::get<core::Submission>(std::move(parsed));
}

PreparedRequest IntakeHandler::check_draft(const HttpRequest& request, core::TimePoint now) {
  auto parsed = parse_body(request, now);
  if (auto* refused = std::get_if<HttpResponse>(&parsed)) return std::move(*refused);
  // The verdict the draft would get now, and nothing else: no row, no escalation, no metric.
  return json_response(200, to_json(engine_.get().evaluate(std::get<core::Submission>(parsed))));
}

std::variant<std::string, HttpResponse> IntakeHandler::idempotency_key(const HttpRequest& request) const {
  if (request.repeated("idempotency-key"))
    return error(400, "invalid_header", "'Idempotency-Key' is given more than once: send one", "Idempotency-Key");
  const std::string* k = request.header("idempotency-key");
  if (!k) return std::string();
  if (!is_valid_key(*k, limits_.max_idempotency_key))
    return error(
        400, "invalid_header",
        "'Idempotency-Key' must be 1 to " + std::to_string(limits_.max_idempotency_key) + " printable ASCII characters",
        "Idempotency-Key");
  return *k;
}

PreparedRequest IntakeHandler::check_submission(const HttpRequest& request, const std::string& scope,
                                                core::TimePoint now) {
  auto key = idempotency_key(request);
  if (auto* refused = std::get_if<HttpResponse>(&key)) return std::move(*refused);
  auto parsed = parse_body(request, now);
  if (auto* refused = std::get_if<HttpResponse>(&parsed)) return std::move(*refused);

  // No look-up of the key here: the store checks it inside its write transaction, so a sequential
  // retry and one racing the first request (even in the same batch) take the same path.
  PendingSubmission pending;
  pending.submission = std::get<core::Submission>(std::move(parsed));
  pending.evaluation = engine_.get().evaluate(pending.submission);
  pending.scope = scope;
  pending.key = std::get<std::string>(std::move(key));
  pending.now = now;
  return pending;
}

PreparedRequest IntakeHandler::check_drill(const HttpRequest& request, const std::string& scope, core::TimePoint now) {
  // A drill pages the people on duty: for whoever runs the desk, as reading every escalation is.
  if (!tokens_.is_admin(scope))
    return error(403, "forbidden", "starting a fire drill needs a token from DESK_ADMIN_TOKENS");
  auto key = idempotency_key(request);
  if (auto* refused = std::get_if<HttpResponse>(&key)) return std::move(*refused);
  const std::string* type = request.header("content-type");
  if (!type || !is_json_content_type(*type))
    return error(415, "unsupported_media_type", "the body must be sent as 'Content-Type: application/json'",
                 "Content-Type");
  constexpr std::size_t kMaxDrillBody = 4096;
  if (request.body.size() > kMaxDrillBody)
    return error(413, "too_large", "a drill's body is at most " + std::to_string(kMaxDrillBody) + " bytes");
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return error(400, "invalid_json", "the body must be a JSON object {\"scenario\": …}");
  DrillRequest ask{"", "", "admin"};
  for (const auto& [name, value] : body.items()) {
    std::string* field = name == "scenario"     ? &ask.scenario
                         : name == "workflow"   ? &ask.workflow
                         : name == "started_by" ? &ask.actor
                                                : nullptr;
    if (!field)
      return error(400, "unknown_field", "'" + name.substr(0, 100) + "' is not a drill field", name.substr(0, 100));
    if (!value.is_string()) return error(400, "invalid_type", "'" + name + "' must be a string", name);
    *field = value.get<std::string>();
    if (field->size() > 200 || !core::is_valid_utf8(*field) || field->find('\0') != std::string::npos)
      return error(422, "invalid_value", "'" + name + "' must be valid text of at most 200 bytes", name);
  }
  if (ask.scenario.empty())
    return error(400, "missing_field", "'scenario' is required: one of " + core::drill_scenario_names(), "scenario");
  if (trimmed(ask.actor).empty()) return error(422, "invalid_value", "'started_by' must not be blank", "started_by");
  auto planned = plan_drill(policy_, ask, now);
  if (const auto* problem = std::get_if<DrillProblem>(&planned))
    return error(422, "invalid_value", problem->message, problem->field);
  const DrillPlan& plan = std::get<DrillPlan>(planned);
  core::Evaluation evaluation = engine_.get().evaluate(plan.draft);
  if (evaluation.verdict == core::Verdict::approved)
    // Nothing for anyone to decide: the drill is recorded as missed (no submission, no figure) and
    // answered at once. Written where the store may be waited for.
    return StoreRead{[this, drill = missed_drill(plan, trimmed(ask.actor), now)] {
      storage::Drill stored = drill;
      stored.id = store_.add_drill(drill, {drill_missed_event(drill)});
      return json_response(200, {{"verdict", "approved"}, {"drill", drill_json(stored)}});
    }};
  PendingSubmission pending;
  pending.submission = plan.draft;
  pending.evaluation = std::move(evaluation);
  pending.scope = scope;
  pending.key = std::get<std::string>(std::move(key));
  pending.now = now;
  pending.drill = drill_record(plan, trimmed(ask.actor), now);
  return pending;
}

bool IntakeHandler::may_read(const core::Escalation& e, const std::string& scope) {
  if (tokens_.is_admin(scope)) return true;
  const auto owner = store_.submission_scope(e.submission_id);
  return owner && same_digest(*owner, scope);
}

HttpResponse IntakeHandler::get_escalation(const std::string& id, const std::string& scope) {
  auto e = store_.escalation(id);
  // Another agent's escalation is "not found" too: whether it exists is not theirs to learn.
  if (!e || !may_read(*e, scope)) return error(404, "not_found", "no escalation " + id);
  json j = to_json(*e, rota_);
  json timeline = json::array();
  for (const auto& row : store_.audit_trail(id)) {
    json fields = json::object();
    for (const auto& [k, v] : row.event.fields) fields[k] = v;
    timeline.push_back({{"at", core::format_utc(row.event.at)},
                        {"kind", row.event.kind},
                        {"actor", row.event.actor},
                        {"fields", std::move(fields)}});
  }
  j["timeline"] = std::move(timeline);
  const auto postmortems = store_.postmortems(id);
  j["postmortem"] = postmortems.empty() ? json(nullptr) : postmortem_json(postmortems.front(), rota_);
  // What each surface (and the agent's callback) was asked to show, and whether it did: a post that
  // failed for good is visible here, not only in the log.
  json deliveries = json::array();
  for (const auto& row : store_.outbox_of_escalation(id, 100)) deliveries.push_back(delivery_json(row));
  j["deliveries"] = std::move(deliveries);
  return json_response(200, j);
}

HttpResponse IntakeHandler::list_escalations(const Query& query, const std::string& scope) {
  std::optional<core::EscalationState> state;
  if (auto it = query.find("status"); it != query.end()) {
    state = core::escalation_state_from(it->second);
    if (!state) return error(400, "invalid_parameter", "status must be open, triaged, accepted or rejected", "status");
  }
  int limit = 100;
  if (auto it = query.find("limit"); it != query.end()) {
    const auto n = bounded_number(it->second, 1, 500);
    if (!n) return error(400, "invalid_parameter", "limit must be a whole number from 1 to 500", "limit");
    limit = *n;
  }
  json list = json::array();
  // An ordinary token sees its own among the latest 5,000: reading the list filters, it never leaks.
  const bool admin = tokens_.is_admin(scope);
  // Read without hits (thousands of rows may be filtered); those listed then bring theirs.
  for (const auto& e : store_.escalations(state, admin ? limit : 5000, storage::Hits::skip)) {
    if (static_cast<int>(list.size()) >= limit) break;
    if (!admin && !may_read(e, scope)) continue;
    const auto with_hits = store_.escalation(e.id);
    list.push_back(to_json(with_hits ? *with_hits : e, rota_));
  }
  return json_response(200, {{"escalations", std::move(list)}});
}

HttpResponse IntakeHandler::healthz(const DeskHealth& health) {
  bool database = true;
  storage::OutboxFailures failures;
  try {
    (void)store_.policy_snapshot(policy_.source_digest.empty() ? "healthz" : policy_.source_digest);
    failures = store_.outbox_failures(3);
  } catch (const storage::StorageError&) { database = false; }
  // The process answers and its database reads, else 503. A worker that is down (the outbox, the
  // clocks, the intake: what keeps promises to people and agents) also answers 503, naming it, so a
  // supervisor or load balancer acts; a surface reconnecting is "degraded" with 200 (it heals itself,
  // and restarting the desk would only cut the other surfaces off).
  bool all_up = true, workers_up = true;
  json surfaces = json::object(), workers = json::object();
  for (const auto& s : health.surfaces) {
    surfaces[s.name] = s.state;
    all_up = all_up && s.ok;
  }
  for (const auto& w : health.workers) {
    workers[w.name] = w.state;
    workers_up = workers_up && w.ok;
  }
  all_up = all_up && workers_up;
  json body = {{"status", !database ? "unavailable"
                          : all_up  ? "ok"
                                    : "degraded"},
               {"database", database ? "ok" : "unavailable"},
               {"surfaces", std::move(surfaces)},
               {"workers", std::move(workers)}};
  // Messages that failed for good never heal by themselves: shown (without changing the status, since
  // the desk itself is fine) so an operator sees which escalation lacks its post and why.
  json latest = json::array();
  // Open to probes, so which ones and not why: the error is in the escalation's own (authorised) answer.
  for (const auto& row : failures.latest) {
    json d = delivery_json(row);
    d.erase("error");
    latest.push_back(std::move(d));
  }
  body["outbox"] = {{"failed", failures.count}, {"latest_failed", std::move(latest)}};
  // Each surface's state also at the top level ("slack": "connected"), as monitors already read it.
  for (const auto& s : health.surfaces) body[s.name] = s.state;
  return json_response(database && workers_up ? 200 : 503, body);
}

HttpResponse IntakeHandler::callback_key(const std::string& scope) const {
  if (callback_secrets_.empty())
    return error(409, "not_configured",
                 "the desk has no DESK_CALLBACK_SECRET, so it sends no decision callbacks: there is no key to verify");
  // From the token's plain digest, not its (keyed) scope: keying the store changed no agent's key.
  const std::string plain = tokens_.plain_digest(scope).value_or(scope);
  json body = {{"scheme", kCallbackScheme},
               {"key", agent_callback_key(callback_secrets_.front(), plain)},
               {"previous_key",
                callback_secrets_.size() > 1 ? json(agent_callback_key(callback_secrets_[1], plain)) : json(nullptr)},
               {"signed",
                "HMAC-SHA256(key, X-Desk-Timestamp + \".\" + callback_url + \".\" + body), hex, as "
                "X-Desk-Signature: v2=<hex> (one per key during a rotation, comma-separated)"}};
  HttpResponse r = json_response(200, body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

HttpResponse IntakeHandler::metrics_text() const { return {200, kPrometheus, metrics_.prometheus_text(), {}}; }

}  // namespace desk::handlers
