#pragma once
/// The agent intake API (SPEC, "Agent intake API") as a function from a request to a response, so
/// routing, authentication and validation are tested without sockets; the HTTP server in bot/ only
/// reads requests (with a body limit) and writes back what handle() returns.
///
///   POST /v1/submissions        evaluate a draft; 200 approved, 201 escalated (Location header)
///   POST /v1/checks             the verdict a draft would get, stored nowhere (always 200 when valid)
///   GET  /v1/escalations/{id}   one escalation with its audit timeline
///   GET  /v1/escalations        ?status=open|triaged|accepted|rejected &limit=1..500 (default 100)
///   GET  /v1/callback-key       this token's key for verifying decision callbacks
///   POST /v1/drills             admins: start a fire drill {"scenario", "workflow"?, "started_by"?};
///                               201 with its escalation, or 200 when the policy let the draft through
///   GET  /healthz               no auth: {"status","database","surfaces","workers", and each surface's state};
///                               503 when the database does not read or a worker is down
///   GET  /metrics               Prometheus text 0.0.4: open on loopback, else a token is needed
///
/// Every /v1 request is authenticated before anything else about it is looked at (its path, its
/// headers, its body). Every error is JSON {"error": code, "message": text, "field": name or null}.
/// Status codes for validation errors: 400 when the body is not the right shape (malformed JSON,
/// wrong types, missing or unknown fields, invalid UTF-8 or NUL, nesting too deep), 413 when it or one
/// of its fields is too large, 422 when it is well-formed but a value is unacceptable (confidence
/// outside 0–1, unknown workflow, bad date or URL, an Idempotency-Key reused with another body).
///
/// handle() does everything in one call. A server that must not wait for the disk on its I/O thread
/// splits it instead: prepare() (no store access) answers at once or leaves a PendingSubmission or a
/// StoreRead; commit() then commits many pending submissions in one transaction (group commit), and
/// read() runs a StoreRead, both where waiting for the database holds up nothing else.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/escalation.hpp"
#include "core/metrics.hpp"
#include "core/policy.hpp"
#include "core/policy_engine.hpp"
#include "core/rota.hpp"
#include "handlers/agent_tokens.hpp"
#include "handlers/effects.hpp"
#include "handlers/policy_set.hpp"
#include "handlers/rate_limiter.hpp"
#include "handlers/submission_parser.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

struct HttpRequest {
  std::string method;                          ///< "GET", "POST", … (case-sensitive, as HTTP says)
  std::string target;                          ///< origin form: path and optional query
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  /// The peer is on this machine's loopback (set by the server; /metrics is open only to these).
  bool from_loopback = true;
  /// Header names (lower case) that came more than once; their values above are joined with ','.
  std::vector<std::string> repeated_headers = {};
  /// Made by the desk itself, for a call already counted (an MCP wait reading its escalation again):
  /// authenticated and scoped as usual, but not counted against the token's rate. Never set from the wire.
  bool internal = false;

  bool repeated(std::string_view name) const;
  /// The value of header `name` (lower case, as the map holds it), or nullptr.
  const std::string* header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< besides Content-Type

  /// The value of the first header named `name` (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

/// One part of the running desk as /healthz reports it: a surface ("slack": "connected") or a
/// background worker ("outbox": "running").
struct ComponentHealth {
  std::string name;
  std::string state;
  bool ok = true;  ///< false: this part is down, and /healthz says "degraded"
};

/// Every surface and worker of the running desk, for /healthz.
struct DeskHealth {
  std::vector<ComponentHealth> surfaces;
  std::vector<ComponentHealth> workers;
};

struct IntakeLimits {
  std::size_t max_body_bytes = 1024 * 1024;  ///< 413 above this
  std::size_t max_idempotency_key = 200;     ///< printable ASCII characters
  SubmissionLimits submission;               ///< per-field limits of the body
  int requests_per_minute = 0;               ///< per token (429 with Retry-After beyond); 0: no limit
  int burst = 60;                            ///< requests at once before the rate applies
  int open_escalations_per_token = 0;        ///< undecided escalations per token (429 beyond); 0: no cap
};

/// What the handler works with. References must outlive the handler.
struct IntakeDependencies {
  const core::Policy& policy;
  EngineSource engine;     ///< built from `policy` (or being built)
  const core::Rota& rota;  ///< built from `policy`
  storage::Store& store;
  core::Metrics& metrics;
  std::vector<std::string> tokens;  ///< accepted bearer tokens; empty ones are ignored; none: all refused
  /// For /healthz; unset reports no surfaces and no workers. Called on the thread that calls read().
  std::function<DeskHealth()> health;
  /// Where a new escalation is posted: one post_escalation row per surface.
  SurfaceNames surfaces = {};
  IntakeLimits limits = {};
  /// DESK_ADMIN_TOKENS: read every escalation (and may submit). An ordinary token reads only what was
  /// submitted with it.
  std::vector<std::string> admin_tokens = {};
  /// DESK_CALLBACK_SECRET, then DESK_CALLBACK_SECRET_PREVIOUS during a rotation: the secrets each
  /// agent's callback key derives from (GET /v1/callback-key). Empty: callbacks are not sent.
  std::vector<std::string> callback_secrets = {};
  /// token_scope_key(DESK_AUDIT_KEY): what the stored scope of a token is keyed with (agent_tokens.hpp).
  /// Empty: plain SHA-256 (the sandbox without an audit key, tests).
  std::string token_scope_key = {};
};

/// A POST /v1/submissions that passed every check and has its verdict, waiting to be committed.
struct PendingSubmission {
  core::Submission submission;
  core::Evaluation evaluation;
  std::string scope;  ///< the token's digest: Idempotency-Keys are unique per token
  std::string key;    ///< the Idempotency-Key; empty when none was given
  /// A fire drill's draft (POST /v1/drills): its record, stored with the escalation it opens. Not
  /// counted in the real figures.
  std::optional<storage::Drill> drill = std::nullopt;
  core::TimePoint now{};
  std::chrono::steady_clock::time_point started{};  ///< when prepare() began: the latency histogram's start
};

/// A request whose answer reads the store (an escalation, the list, /healthz): run it with read().
struct StoreRead {
  std::function<HttpResponse()> run;
  /// False for the desk's own reads (not a client's request): kept out of desk_intake_requests_total.
  bool count = true;
};

/// What prepare() made of a request: its final answer, or the work still to do.
using PreparedRequest = std::variant<HttpResponse, PendingSubmission, StoreRead>;

/// Safe to call from several threads at once if the store and metrics are (SqliteStore and
/// core::Metrics are). Keeps only SHA-256 digests of the tokens, never the tokens.
/// Every answer, from whichever step gives it, is counted once in desk_intake_requests_total{status}
/// and, for POST /v1/submissions, timed in desk_intake_latency_seconds.
class IntakeHandler {
 public:
  explicit IntakeHandler(IntakeDependencies deps);

  /// prepare(), then commit() or read(), on the calling thread. Never throws: a storage failure
  /// answers 503 {"error":"unavailable"}, anything else 500.
  HttpResponse handle(const HttpRequest& request, core::TimePoint now);

  /// Looks at a request's head before its body is read: the 401 for a /v1 request without an accepted
  /// token (so nobody without a token can make the desk read a megabyte), or nullopt to read on.
  std::optional<HttpResponse> screen(const HttpRequest& headers);

  /// True when the request carries an accepted bearer token (an agent's or an admin's).
  bool accepts(const HttpRequest& request) const { return authenticate(request).has_value(); }

  /// Counts a request against its token's rate (as every /v1 request is): the 429 to answer when the
  /// token is over it, else nullopt. For requests answered elsewhere (MCP's own methods). Never throws.
  std::optional<HttpResponse> throttle(const HttpRequest& request, core::TimePoint now);

  /// Routes, authenticates, validates and evaluates without touching the store. Never throws.
  PreparedRequest prepare(const HttpRequest& request, core::TimePoint now);
  /// Commits the submissions in one transaction where the store allows it and answers each, in order,
  /// only once its commit is done. Each is judged as if sent alone, one after another: a retried key
  /// replays the first answer (also within the batch), a key reused with another body gets 422, and a
  /// submission the store refuses gets 503 without failing the others. Never throws.
  std::vector<HttpResponse> commit(std::vector<PendingSubmission> batch);
  /// Runs what prepare() left to read. Never throws.
  HttpResponse read(const StoreRead& work);

 private:
  PreparedRequest route(const HttpRequest& request, core::TimePoint now);
  /// The token's digest (the idempotency scope) when the request carries an accepted token.
  std::optional<std::string> authenticate(const HttpRequest& request) const;
  HttpResponse unauthorized();
  /// The 429 for a token over its rate, or nullopt.
  std::optional<HttpResponse> over_rate(const std::string& scope, core::TimePoint now);
  /// The body of a POST as a submission: content type, size, UTF-8 and every field checked.
  std::variant<core::Submission, HttpResponse> parse_body(const HttpRequest& request, core::TimePoint now) const;
  PreparedRequest check_draft(const HttpRequest& request, core::TimePoint now);
  PreparedRequest check_submission(const HttpRequest& request, const std::string& scope, core::TimePoint now);
  /// POST /v1/drills (admins): the scenario's draft through the policy. Escalated: a PendingSubmission
  /// carrying the drill; let through: the missed drill is recorded (a StoreRead) and answered 200.
  PreparedRequest check_drill(const HttpRequest& request, const std::string& scope, core::TimePoint now);
  /// The Idempotency-Key header (empty when none), or the 400 for a bad or repeated one.
  std::variant<std::string, HttpResponse> idempotency_key(const HttpRequest& request) const;
  /// What the store is given for `p`; its answer is built inside the commit into `*answer_out`.
  storage::NewSubmission to_new_submission(const PendingSubmission& p, std::span<const core::RotaOverride> overrides,
                                           std::string* answer_out);
  HttpResponse committed(const PendingSubmission& p, const storage::SubmissionOutcome& outcome, std::string answer);
  HttpResponse replay(const storage::SubmissionIds& ids, const core::Submission& parsed);
  std::string answer(const std::string& submission_id, core::Verdict verdict, const std::vector<core::TriggerHit>& hits,
                     std::size_t hits_total, const core::Escalation* e, const storage::Drill* drill = nullptr) const;
  void count(const core::Evaluation& ev);
  /// Which escalating submissions of `batch` would take their token past its cap of undecided ones.
  std::vector<bool> over_open_quota(const std::vector<PendingSubmission>& batch);
  HttpResponse quota_refusal() const;
  /// Counts an answer (and times it when it answers a submission) before it leaves.
  HttpResponse counted(HttpResponse response, bool submission, std::chrono::steady_clock::time_point started);
  /// True when the token with digest `scope` may read `e`: an admin token, or the one it came with.
  bool may_read(const core::Escalation& e, const std::string& scope);
  HttpResponse get_escalation(const std::string& id, const std::string& scope);
  HttpResponse list_escalations(const std::map<std::string, std::string>& query, const std::string& scope);
  HttpResponse healthz(const DeskHealth& health);
  HttpResponse callback_key(const std::string& scope) const;
  HttpResponse metrics_text() const;

  const core::Policy& policy_;
  EngineSource engine_;
  const core::Rota& rota_;
  storage::Store& store_;
  core::Metrics& metrics_;
  AgentTokens tokens_;  ///< every accepted token, admin tokens included, as digests
  std::function<DeskHealth()> health_;
  SurfaceNames surfaces_;
  IntakeLimits limits_;
  RateLimiter limiter_;
  std::vector<std::string> callback_secrets_;
  std::atomic<bool> snapshot_saved_{false};  ///< the policy snapshot is content-addressed: once is enough
};

}  // namespace desk::handlers
