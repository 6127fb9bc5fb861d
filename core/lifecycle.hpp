#pragma once
/// The escalation lifecycle as pure functions over an Escalation value: open it, find which reminders
/// and breaches are due, check decision rights, re-own it (legal, another role), decide it. Each step
/// returns the audit events that storage keeps in the same transaction as the new state.
///
///   open ──triage──▶ triaged ──accept/reject──▶ accepted | rejected
///     │                 │
///     └──── escalate to legal / route: re-owned, fresh deadlines, back to open ────┘
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/escalation.hpp"
#include "core/policy.hpp"
#include "core/policy_engine.hpp"
#include "core/rota.hpp"

namespace desk::core {

/// A reminder or breach that fired, for bot/ to announce.
struct Reminder {
  DeadlineKind kind = DeadlineKind::triage;
  std::string escalation_id;
  TimePoint due{};
  TimePoint fired_at{};
  Seconds late_by{0};               ///< fired_at - due: non-zero after downtime
  std::vector<std::string> notify;  ///< person ids to mention (backup and director for the ping)
};

struct Fired {
  std::vector<Reminder> reminders;
  std::vector<AuditEvent> audit;
};

/// The context every lifecycle step needs: the policy and rota snapshot the escalation keeps, and the
/// rota overrides in force.
struct LifecycleContext {
  const Policy& policy;
  const Rota& rota;
  std::span<const RotaOverride> overrides;
};

/// A new escalation for an evaluated submission; its owner is whoever holds the routed role at `now`.
/// Ids are assigned by storage. Audit: "escalation.opened" (+ "escalation.unowned" if no one holds the role).
struct Opened {
  Escalation escalation;
  std::vector<AuditEvent> audit;
};
Opened open_escalation(const Submission& s, const Evaluation& ev, const LifecycleContext& ctx, TimePoint now);

/// Deadlines that count for `e` now: none once decided; backup ping and triage only until triaged.
std::optional<TimePoint> next_deadline(const Escalation& e);

/// Fires every reminder and breach of `e` that is due at `now` and has not fired yet, marking it fired
/// in `e` (storage commits the marks with the audit events, so each fires exactly once across restarts).
/// A missed deadline never decides anything: the escalation stays held.
Fired fire_due(Escalation& e, const LifecycleContext& ctx, TimePoint now);

/// Who may act on an escalation, and in what capacity.
enum class Capacity { owner, backup, director, legal };
const char* to_string(Capacity c);

struct Rights {
  enum class Status { allowed, denied, already_decided } status = Status::denied;
  Capacity capacity = Capacity::owner;  ///< when allowed
  std::string reason;                   ///< when refused: a sentence for the person who clicked
  std::vector<std::string> may_act;     ///< person ids who may act now
  bool allowed() const { return status == Status::allowed; }
};

/// The pure decision-rights check. `actor` is a person id (or an unknown Slack user id, never allowed).
Rights check_rights(const Escalation& e, const std::string& actor, const LifecycleContext& ctx, TimePoint now);

/// Display name of a person id, or the id itself.
std::string display_name(const Rota& rota, const std::string& person);

/// Result of a step that may be refused.
struct StepResult {
  bool ok = false;
  std::string error;              ///< when refused: a sentence for the actor
  std::vector<AuditEvent> audit;  ///< also on refusal (a refused attempt is audited)
};

/// The first response of an allowed person (a click on a macro): open → triaged. Idempotent.
StepResult triage(Escalation& e, const std::string& actor, const LifecycleContext& ctx, TimePoint now);

/// Accept or reject with a rationale (validated by macros/). Checks rights; a second decision is refused.
StepResult decide(Escalation& e, Macro macro, const std::string& actor, const std::string& rationale,
                  const LifecycleContext& ctx, TimePoint now);

/// Re-owns `e` to `role` (legal on-call for Escalate to legal): fresh deadlines from `now`, back to open,
/// the backup ping re-armed. Checks rights.
StepResult reown(Escalation& e, Macro macro, const std::string& role, const std::string& actor,
                 const std::string& rationale, const LifecycleContext& ctx, TimePoint now);

/// "sent 40 s late: the desk was down" — or empty when on time (within `tolerance`).
std::string describe_lateness(Seconds late_by, Seconds tolerance = Seconds{5});

}  // namespace desk::core
