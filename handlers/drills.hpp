#pragma once
/// Fire drills in the handlers (SPEC, "Command line": drill start, drill report): a request checked and
/// turned into the draft it injects; the records and audit events of a drill that opened an
/// escalation or that the policy let through; what a decision on a drill adds to its commit (the
/// score, stored and announced in the thread); and `drill report` as text, JSON and CSV.
/// Drills never count in real metrics and never call an agent back: the callers leave them out.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/drill.hpp"
#include "core/lifecycle.hpp"
#include "handlers/effects.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

/// A drill as asked for (POST /v1/drills, /drill in Slack), before any check.
struct DrillRequest {
  std::string scenario;  ///< pricing_claim, data_leak, tos_breach
  std::string workflow;  ///< optional: the scenario's usual kind of workflow when empty
  std::string actor;     ///< who started it, for the record and the audit trail
};

/// A drill ready to run: its script, and its draft in the chosen workflow, received `now`.
struct DrillPlan {
  core::DrillScript script;
  std::string workflow;
  core::Submission draft;
};

/// What is wrong with a DrillRequest: the field and a sentence saying what is allowed.
struct DrillProblem {
  std::string field;
  std::string message;
};

std::variant<DrillPlan, DrillProblem> plan_drill(const core::Policy& policy, const DrillRequest& request,
                                                 core::TimePoint now);

/// The record a drill's submission carries (the store adds the escalation it opens), and the
/// "drill.started" audit event that goes with it.
storage::Drill drill_record(const DrillPlan& plan, const std::string& actor, core::TimePoint now);
core::AuditEvent drill_started_event(const storage::Drill& record);

/// A drill whose draft the policy let through: scored 0 at once, with its "drill.missed" audit event.
/// Nothing else is stored: no submission, so no figure counts it.
storage::Drill missed_drill(const DrillPlan& plan, const std::string& actor, core::TimePoint now);
core::AuditEvent drill_missed_event(const storage::Drill& record);

/// What the decision that ends a drill adds to its commit: the score, a "drill.scored" audit event
/// and a thread reply with the score on every surface.
struct DrillScoringStep {
  storage::DrillScoring scoring;
  core::AuditEvent audit;
  std::vector<storage::OutboxMessage> outbox;
};

/// For a decision of `actor` that takes `before` to `decided`: the step, or nullopt when `decided` is no
/// decided drill or its drill was scored already. `ctx` is the decision's (the capacity the actor acted
/// in is read from it, on `before`).
std::optional<DrillScoringStep> drill_scoring(storage::Store& store, const core::Escalation& before,
                                              const core::Escalation& decided, const std::string& actor,
                                              const core::LifecycleContext& ctx, const SurfaceNames& surfaces,
                                              core::TimePoint now);

/// The score a "drill_score" thread reply carries. Throws std::invalid_argument when it has none.
core::DrillScore drill_score_from_payload(const nlohmann::json& payload);

/// {"id", "scenario", "workflow", "started_by", "started_at", "escalation_id" (or null),
///  "outcome": "open" | "scored" | "missed", "scored_at", "score", "checks": [{name, points, max, reason}]}
nlohmann::json drill_json(const storage::Drill& d);

/// `drill report`: every drill started at or after `since`, oldest first, with the mean score.
nlohmann::json drills_report_json(const std::vector<storage::Drill>& drills, core::TimePoint since);
std::string drills_report_text(const std::vector<storage::Drill>& drills, core::TimePoint since);
/// One row per drill and check (a drill not yet scored has one row with empty check columns); RFC 4180.
std::string drills_report_csv(const std::vector<storage::Drill>& drills);

}  // namespace desk::handlers
