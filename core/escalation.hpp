#pragma once
/// An escalation and the facts that belong to it: the trigger hits that opened it, its owner, its
/// deadlines (with fired marks so a restart fires each reminder exactly once), and its decision.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"

namespace desk::core {

enum class TriggerKind { low_confidence, lexicon, personal_data, stale_citation, manual };
const char* to_string(TriggerKind kind);
std::optional<TriggerKind> trigger_kind_from(std::string_view name);

/// One reason a submission was escalated, explained.
struct TriggerHit {
  TriggerKind kind = TriggerKind::manual;
  std::string rule_id;      ///< stable id for metrics: "confidence/paid_ads", "lexicon/pricing/price", …
  std::string category;     ///< lexicon category, personal-data kind, or empty
  std::string route;        ///< role this hit routes to; empty: the workflow owner
  std::string explanation;  ///< one sentence a person can read
  // Text hits (lexicon, personal data): the field they were found in ("output", "prompt",
  // "metadata.customer.email", …; see free_text_fields), byte offsets into it and what matched
  // (masked for personal data, so the raw value never leaves the evidence).
  std::string field;
  std::optional<std::size_t> begin;
  std::optional<std::size_t> end;
  std::string matched;
  // Confidence: threshold vs value.
  std::optional<double> threshold;
  std::optional<double> value;
  // Stale citation: its date vs the oldest date allowed.
  std::string citation_url;
  std::optional<std::chrono::year_month_day> citation_date;
  std::optional<std::chrono::year_month_day> oldest_allowed;
};

enum class Verdict { approved, escalated };
const char* to_string(Verdict verdict);

enum class EscalationState { open, triaged, accepted, rejected };
const char* to_string(EscalationState state);
std::optional<EscalationState> escalation_state_from(std::string_view name);
inline bool is_decided(EscalationState s) { return s == EscalationState::accepted || s == EscalationState::rejected; }

/// The response macros (buttons) and the non-button actions that change an escalation.
enum class Macro { accept, reject, escalate_to_legal, route };
const char* to_string(Macro macro);
std::optional<Macro> macro_from(std::string_view name);

enum class DeadlineKind { backup_ping, triage, decision };
const char* to_string(DeadlineKind kind);
std::optional<DeadlineKind> deadline_kind_from(std::string_view name);

struct Deadline {
  DeadlineKind kind = DeadlineKind::triage;
  TimePoint due{};
  std::optional<TimePoint> fired_at;  ///< set once when the reminder or breach fired
};

struct Decision {
  Macro macro = Macro::accept;  ///< accept or reject
  std::string by;               ///< person id (or Slack user id if not a configured person)
  TimePoint at{};
  std::string rationale;
};

struct Escalation {
  std::string id;             ///< "ESC-000042"
  std::string submission_id;  ///< "SUB-000123"
  std::string workflow;
  std::string channel;  ///< where the agent wanted to publish (linkedin, email, …)
  std::string agent;
  bool manual = false;        ///< opened by a person with /escalate
  bool drill = false;         ///< a fire drill: kept out of real metrics
  std::string policy_digest;  ///< the policy snapshot this escalation keeps
  EscalationState state = EscalationState::open;
  std::string owner_role;
  std::string owner_person;  ///< who held owner_role when it was (re-)owned
  TimePoint opened_at{};
  TimePoint owned_since{};          ///< last (re-)owning: deadlines count from here
  int generation = 0;               ///< bumped at each re-owning (legal, route): fresh deadlines
  std::vector<Deadline> deadlines;  ///< the current generation's
  std::optional<TimePoint> backup_pinged_at;
  std::string backup_person;    ///< pinged backup (person id)
  std::string director_person;  ///< pinged director (person id)
  std::optional<TimePoint> triaged_at;
  std::string triaged_by;
  std::optional<Decision> decision;
  std::vector<TriggerHit> hits;  ///< the hits kept (core::kHitsKeptPerEvaluation at most); empty when not loaded
  std::size_t hits_total = 0;    ///< every hit found, kept or not (0 when not counted: hits.size())
  std::int64_t version = 0;      ///< storage's optimistic-concurrency counter: one concurrent decision wins

  bool with_legal() const;
  /// From opening to the first response by someone with rights (their triage, or a decision taken
  /// without one); nothing while nobody has responded. The weekly report and
  /// desk_time_to_respond_seconds both measure this.
  std::optional<Seconds> time_to_respond() const;
  /// Every hit found: hits_total, or the hits held when nobody counted more.
  std::size_t hit_count() const { return std::max(hits_total, hits.size()); }
  const Deadline* deadline(DeadlineKind kind) const;
  Deadline* deadline(DeadlineKind kind);
};

/// An entry for the append-only audit trail. `fields` are small key/value facts; large evidence is
/// referenced by digest, never copied, so it can be erased without breaking the chain.
struct AuditEvent {
  std::string kind;           ///< "escalation.opened", "decision.accepted", "rights.denied", …
  std::string escalation_id;  ///< empty for events not about one escalation
  std::string actor;          ///< person id, Slack user id, agent name, or "desk"
  TimePoint at{};
  std::vector<std::pair<std::string, std::string>> fields;
};

}  // namespace desk::core
