#include "handlers/intake_handler.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <variant>

#include "core/lifecycle.hpp"
#include "core/text_scan.hpp"
#include "handlers/verdict_json.hpp"
#include "storage/digest.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;
using Query = std::map<std::string, std::string>;

constexpr const char* kJson = "application/json";
constexpr const char* kPrometheus = "text/plain; version=0.0.4; charset=utf-8";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Invalid UTF-8 cannot reach here (bodies are checked first), but a dump must never throw.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpResponse json_response(int status, const json& body) { return {status, kJson, dump(body), {}}; }

HttpResponse error(int status, const std::string& code, const std::string& message, const std::string& field = {}) {
  json body = {{"error", code}, {"message", message}, {"field", field.empty() ? json(nullptr) : json(field)}};
  return json_response(status, body);
}

HttpResponse not_allowed(const char* allow) {
  HttpResponse r = error(405, "method_not_allowed", std::string("this path allows ") + allow + " only");
  r.headers.emplace_back("Allow", allow);
  return r;
}

HttpResponse unavailable() {
  HttpResponse r = error(503, "unavailable", "the desk cannot reach its database; retry later");
  r.headers.emplace_back("Retry-After", "5");
  return r;
}

// Shape problems are 400; a well-formed value the desk cannot accept is 422; size is 413.
int status_for(const ValidationError& e) {
  if (e.code == "too_large") return 413;
  if (e.code == "out_of_range" || e.code == "unknown_workflow" || e.code == "invalid_date" || e.code == "invalid_url")
    return 422;
  return 400;
}

// Compares every byte of two digests of equal length, with no early exit: the time taken does not
// depend on where they differ.
bool same_digest(const std::string& a, const std::string& b) {
  volatile unsigned diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
  return diff == 0;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  if (!core::is_valid_utf8(out) || out.find('\0') != std::string::npos) return std::nullopt;
  return out;
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

/// Parses the query strictly, then answers with `f(query)`; a bad query answers 400 instead.
template <typename F>
HttpResponse with_query(std::string_view query, std::initializer_list<const char*> allowed, F&& f) {
  auto q = parse_query(query, allowed);
  if (auto* e = std::get_if<HttpResponse>(&q)) return std::move(*e);
  return f(std::get<Query>(q));
}

/// The escalation id in a path segment: percent-decoded, letters, digits and '-' only.
std::optional<std::string> escalation_id_in(std::string_view segment) {
  auto id = percent_decode(segment, false);
  if (!id || id->empty() || id->size() > 64) return std::nullopt;
  if (!std::all_of(id->begin(), id->end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
    return std::nullopt;
  return id;
}

bool is_json_content_type(std::string_view value) {
  const auto semi = value.find(';');
  if (lower(trim(value.substr(0, semi))) != kJson) return false;
  if (semi == std::string_view::npos) return true;
  // One parameter is allowed: charset=utf-8 (JSON is UTF-8 by RFC 8259).
  std::string param = lower(trim(value.substr(semi + 1)));
  param.erase(std::remove(param.begin(), param.end(), ' '), param.end());
  return param == "charset=utf-8" || param == "charset=\"utf-8\"";
}

bool is_valid_key(const std::string& key, std::size_t max) {
  return !key.empty() && key.size() <= max &&
         std::all_of(key.begin(), key.end(), [](unsigned char c) { return c >= 0x20 && c <= 0x7e; });
}

// What a retry with the same Idempotency-Key must repeat. The stored submission's own fields serve as
// the body's digest: they are committed with the key in one transaction, so no crash or race can
// leave a key without them (a response_json envelope would be written a transaction later).
// Compared after parsing, so re-serialised JSON (other key order or spacing) still counts as the same;
// what the desk does not keep (a citation's title) cannot tell two bodies apart.
bool same_request(const core::Submission& a, const core::Submission& b) {
  auto citations_equal = [](const core::Citation& x, const core::Citation& y) {
    return x.url == y.url && x.published_at == y.published_at;
  };
  return a.workflow == b.workflow && a.channel == b.channel && a.agent == b.agent && a.confidence == b.confidence &&
         a.prompt == b.prompt && a.output == b.output && a.permalink == b.permalink &&
         a.suggested_fix == b.suggested_fix && a.metadata_json == b.metadata_json && a.callback_url == b.callback_url &&
         std::equal(a.citations.begin(), a.citations.end(), b.citations.begin(), b.citations.end(), citations_equal);
}

const std::string* find_header(const HttpRequest& r, const char* name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? nullptr : &it->second;
}

}  // namespace

const char* to_string(SlackConnection state) {
  switch (state) {
    case SlackConnection::connected: return "connected";
    case SlackConnection::connecting: return "connecting";
    default: return "disconnected";
  }
}

const std::string* HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (lower(k) == lower(name)) return &v;
  return nullptr;
}

IntakeHandler::IntakeHandler(IntakeDependencies deps)
    : policy_(deps.policy), engine_(deps.engine), rota_(deps.rota), store_(deps.store), metrics_(deps.metrics),
      slack_state_(std::move(deps.slack_state)), limits_(deps.limits) {
  for (const auto& t : deps.tokens)
    if (!t.empty()) token_digests_.push_back(storage::sha256_hex(t));
}

HttpResponse IntakeHandler::handle(const HttpRequest& request, core::TimePoint now) {
  const auto started = std::chrono::steady_clock::now();
  HttpResponse response;
  try {
    response = route(request, now);
  } catch (const storage::StorageError&) {
    response = unavailable();
  } catch (const std::exception&) {
    // No detail: an exception text could quote the request.
    response = error(500, "internal", "the desk failed to handle this request");
  }
  metrics_.count_intake_request(response.status);
  const std::string_view target = request.target;
  if (request.method == "POST" && target.substr(0, target.find('?')) == "/v1/submissions")
    metrics_.observe_intake_latency(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return response;
}

HttpResponse IntakeHandler::route(const HttpRequest& request, core::TimePoint now) {
  const std::string_view target = request.target;
  if (target.empty() || target.front() != '/' || target.find('#') != std::string_view::npos)
    return error(400, "invalid_target", "the request target must be a path with an optional query");
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string_view query = qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);
  const bool get = request.method == "GET";

  if (path == "/healthz") return !get ? not_allowed("GET") : with_query(query, {}, [&](const Query&) { return healthz(); });
  if (path == "/metrics")
    return !get ? not_allowed("GET") : with_query(query, {}, [&](const Query&) { return metrics_text(); });
  if (path.rfind("/v1/", 0) != 0) return error(404, "not_found", "no such path");

  // Authentication comes before anything else about a /v1 request, the body above all.
  const auto scope = authenticate(request);
  if (!scope) {
    HttpResponse r = error(401, "unauthorized", "a valid 'Authorization: Bearer <token>' header is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (path == "/v1/submissions")
    return request.method != "POST" ? not_allowed("POST")
                                     : with_query(query, {}, [&](const Query&) { return submit(request, *scope, now); });
  if (path == "/v1/escalations")
    return !get ? not_allowed("GET")
                : with_query(query, {"status", "limit"}, [&](const Query& q) { return list_escalations(q); });
  constexpr std::string_view kPrefix = "/v1/escalations/";
  if (path.rfind(kPrefix, 0) != 0) return error(404, "not_found", "no such path");
  const auto id = escalation_id_in(path.substr(kPrefix.size()));
  if (!id) return error(404, "not_found", "no such escalation");
  return !get ? not_allowed("GET") : with_query(query, {}, [&](const Query&) { return get_escalation(*id); });
}

std::optional<std::string> IntakeHandler::authenticate(const HttpRequest& request) const {
  const std::string* header = find_header(request, "authorization");
  if (!header) return std::nullopt;
  const std::string_view value = trim(*header);
  if (value.size() < 7 || lower(value.substr(0, 7)) != "bearer ") return std::nullopt;
  const std::string_view token = trim(value.substr(7));
  if (token.empty()) return std::nullopt;
  // Digests have one length whatever the token's, and every configured one is compared in full,
  // so neither the length nor which token matched shows in the time taken.
  std::string digest = storage::sha256_hex(token);
  unsigned matched = 0;
  for (const auto& d : token_digests_) matched |= same_digest(d, digest) ? 1u : 0u;
  if (matched == 0) return std::nullopt;
  return digest;
}

HttpResponse IntakeHandler::submit(const HttpRequest& request, const std::string& scope, core::TimePoint now) {
  const std::string* type = find_header(request, "content-type");
  if (!type || !is_json_content_type(*type))
    return error(415, "unsupported_media_type", "the body must be sent as 'Content-Type: application/json'",
                 "Content-Type");
  if (request.body.size() > limits_.max_body_bytes)
    return error(413, "too_large", "the body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
  std::string key;
  if (const std::string* k = find_header(request, "idempotency-key")) {
    key = *k;
    if (!is_valid_key(key, limits_.max_idempotency_key))
      return error(400, "invalid_header",
                   "'Idempotency-Key' must be 1 to " + std::to_string(limits_.max_idempotency_key) +
                       " printable ASCII characters", "Idempotency-Key");
  }
  if (!core::is_valid_utf8(request.body)) return error(400, "invalid_text", "the body is not valid UTF-8");

  auto parsed = parse_submission(request.body, policy_, now, limits_.submission);
  if (auto* e = std::get_if<ValidationError>(&parsed)) return error(status_for(*e), e->code, e->message, e->field);
  const core::Submission& s = std::get<core::Submission>(parsed);

  // No separate look-up of the key first: the store checks it inside its write transaction, so a
  // sequential retry and one racing the first request take the same path, and the first commit wins.
  const core::Evaluation ev = engine_.evaluate(s);
  storage::NewSubmission ns = prepare(s, ev, scope, key, now);
  const storage::SubmissionIds ids = store_.add_submission(ns);
  if (ids.replayed) return replay(ids, s);
  count(ev);

  core::Escalation* e = nullptr;
  if (ns.escalation) {
    e = &*ns.escalation;
    e->id = ids.escalation_id;
    e->submission_id = ids.submission_id;
  }
  HttpResponse r{e ? 201 : 200, kJson, answer(ids.submission_id, ev.verdict, ev.hits, e), {}};
  if (e) r.headers.emplace_back("Location", "/v1/escalations/" + e->id);
  try {
    store_.set_submission_response(ids.submission_id, r.body);
  } catch (const storage::StorageError&) {
    // The submission is committed, so the agent gets its answer; a replay rebuilds it from the store.
  }
  return r;
}

storage::NewSubmission IntakeHandler::prepare(const core::Submission& s, const core::Evaluation& ev,
                                              const std::string& scope, const std::string& key, core::TimePoint now) {
  storage::NewSubmission ns;
  ns.submission = s;
  ns.verdict = ev.verdict;
  ns.hits = ev.hits;
  ns.idempotency_key = key;
  ns.idempotency_scope = scope;
  ns.audit.push_back({"submission.received", "", s.agent.empty() ? "desk" : s.agent, now,
                      {{"workflow", s.workflow}, {"verdict", core::to_string(ev.verdict)}}});
  if (ev.verdict != core::Verdict::escalated) return ns;

  const auto overrides = store_.overrides_active_after(now);
  const core::LifecycleContext ctx{policy_, rota_, overrides};
  core::Opened opened = core::open_escalation(s, ev, ctx, now);
  // Saved before the submission, in its own transaction: if the submission then fails, an unused
  // content-addressed snapshot is all that is left, never an escalation without its snapshot.
  if (!policy_.source_digest.empty() && !snapshot_saved_.load()) {
    store_.save_policy_snapshot(policy_.source_digest, policy_.source_text);
    snapshot_saved_.store(true);
  }
  ns.escalation = std::move(opened.escalation);
  ns.audit.insert(ns.audit.end(), opened.audit.begin(), opened.audit.end());
  // The escalation id is assigned inside add_submission, so the store fills it into the row's
  // escalation_id; the payload cannot name it and carries nothing else the sender needs.
  storage::OutboxMessage post;
  post.kind = "slack.post_escalation";
  post.ordering_key = "slack:desk";
  post.payload_json = "{}";
  post.created_at = now;
  post.next_attempt_at = now;
  ns.outbox.push_back(std::move(post));
  return ns;
}

HttpResponse IntakeHandler::replay(const storage::SubmissionIds& ids, const core::Submission& parsed) {
  auto stored = store_.submission(ids.submission_id);
  if (!stored) throw storage::StorageError(storage::StorageError::Code::not_found, "replayed submission missing");
  if (!same_request(stored->submission, parsed))
    return error(422, "idempotency_key_reused",
                 "this Idempotency-Key was used for a different submission; use a new key for a new draft",
                 "Idempotency-Key");
  std::string body = stored->response_json;
  if (body.empty()) {
    // The first request committed but its answer was not saved (a crash, or it is still on its way):
    // rebuild it from the store, as the first request built it, and keep it for later retries.
    std::optional<core::Escalation> e;
    if (!ids.escalation_id.empty() && !(e = store_.escalation(ids.escalation_id)))
      throw storage::StorageError(storage::StorageError::Code::not_found, "replayed escalation missing");
    body = answer(ids.submission_id, stored->verdict, stored->hits, e ? &*e : nullptr);
    store_.set_submission_response(ids.submission_id, body);
  }
  HttpResponse r{ids.escalation_id.empty() ? 200 : 201, kJson, std::move(body), {}};
  if (!ids.escalation_id.empty()) r.headers.emplace_back("Location", "/v1/escalations/" + ids.escalation_id);
  r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

std::string IntakeHandler::answer(const std::string& submission_id, core::Verdict verdict,
                                  const std::vector<core::TriggerHit>& hits, const core::Escalation* e) const {
  json hit_list = json::array();
  for (const auto& h : hits) hit_list.push_back(to_json(h));
  json j = {{"submission_id", submission_id}, {"verdict", core::to_string(verdict)}, {"hits", std::move(hit_list)}};
  if (e) {
    json full = to_json(*e, rota_);
    j["escalation"] = {{"id", full["id"]}, {"status", full["status"]}, {"owner", full["owner"]},
                       {"deadlines", full["deadlines"]}};
  }
  return dump(j);
}

void IntakeHandler::count(const core::Evaluation& ev) {
  metrics_.count_submission(ev.verdict);
  for (const auto& h : ev.hits) metrics_.count_hit(h.rule_id);
  if (ev.verdict == core::Verdict::escalated) metrics_.count_escalation_opened(ev.owner_role);
}

HttpResponse IntakeHandler::get_escalation(const std::string& id) {
  auto e = store_.escalation(id);
  if (!e) return error(404, "not_found", "no escalation " + id);
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
  return json_response(200, j);
}

HttpResponse IntakeHandler::list_escalations(const Query& query) {
  std::optional<core::EscalationState> state;
  if (auto it = query.find("status"); it != query.end()) {
    state = core::escalation_state_from(it->second);
    if (!state) return error(400, "invalid_parameter", "status must be open, triaged, accepted or rejected", "status");
  }
  int limit = 100;
  if (auto it = query.find("limit"); it != query.end()) {
    const std::string& v = it->second;
    const bool digits = !v.empty() && v.size() <= 3 && std::all_of(v.begin(), v.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    limit = digits ? std::stoi(v) : 0;
    if (limit < 1 || limit > 500) return error(400, "invalid_parameter", "limit must be a whole number from 1 to 500", "limit");
  }
  json list = json::array();
  for (const auto& e : store_.escalations(state, limit)) list.push_back(to_json(e, rota_));
  return json_response(200, {{"escalations", std::move(list)}});
}

HttpResponse IntakeHandler::healthz() {
  const SlackConnection slack = slack_state_ ? slack_state_() : SlackConnection::disconnected;
  bool database = true;
  try {
    (void)store_.policy_snapshot(policy_.source_digest.empty() ? "healthz" : policy_.source_digest);
  } catch (const storage::StorageError&) {
    database = false;
  }
  // Liveness: the process answers and its database reads; a Slack outage is reported, not fatal.
  return json_response(database ? 200 : 503, {{"status", database ? "ok" : "unavailable"},
                                               {"slack", to_string(slack)},
                                               {"database", database ? "ok" : "unavailable"}});
}

HttpResponse IntakeHandler::metrics_text() const { return {200, kPrometheus, metrics_.prometheus_text(), {}}; }

}  // namespace desk::handlers
