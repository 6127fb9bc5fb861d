#pragma once
/// Internal to storage/: how domain values map to columns and back. Times are epoch seconds, dates
/// 'YYYY-MM-DD', enums their to_string() names; a value the domain cannot read is StorageError(corrupt).
#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/escalation.hpp"
#include "core/submission.hpp"
#include "storage/store.hpp"

namespace desk::storage::detail {

/// Resets a reusable prepared statement when the scope ends, even on an exception, so it never holds
/// a read lock past its use. Bindings survive a reset: every use binds all its parameters again.
class StatementUse {
 public:
  explicit StatementUse(SQLite::Statement& s) : s_(s) {}
  ~StatementUse() { s_.tryReset(); }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  SQLite::Statement& operator*() { return s_; }
  SQLite::Statement* operator->() { return &s_; }

 private:
  SQLite::Statement& s_;
};

/// A time point as stored (UTC epoch seconds), and back.
inline std::int64_t epoch(core::TimePoint t) { return t.time_since_epoch().count(); }
inline core::TimePoint time_at(std::int64_t seconds) { return core::TimePoint{core::Seconds{seconds}}; }

/// Binds a time or, for nullopt, NULL.
void bind_time(SQLite::Statement& s, const char* name, std::optional<core::TimePoint> t);
/// A nullable time column.
std::optional<core::TimePoint> optional_time(const SQLite::Statement& s, int column);
/// NULL reads as "".
std::string text(const SQLite::Statement& s, int column);

/// 'YYYY-MM-DD' (core::format_date); an invalid date is StorageError(constraint). Reading uses core::parse_date.
std::string format_date(std::chrono::year_month_day d);

/// Citations as a JSON array of {"url", "published_at"} (date or null).
std::string citations_to_json(const std::vector<core::Citation>& citations);
std::vector<core::Citation> citations_from_json(std::string_view json);

/// Binds :submission_id, :ordinal and every TriggerHit field.
void bind_hit(SQLite::Statement& s, const std::string& submission_id, int ordinal, const core::TriggerHit& h);
/// Columns as in kHitColumns.
core::TriggerHit read_hit(const SQLite::Statement& s);
inline constexpr const char* kHitColumns =
    "kind, rule_id, category, route, explanation, begin_offset, end_offset, matched, threshold, value, "
    "citation_url, citation_date, oldest_allowed, field";

/// Binds the fields an update may change (:state, :owner_role, … :decision_rationale).
void bind_mutable_escalation(SQLite::Statement& s, const core::Escalation& e);
/// Columns as in kEscalationColumns (selected FROM escalations, not aliased); hits and deadlines are
/// loaded separately.
core::Escalation read_escalation(const SQLite::Statement& s);
inline constexpr const char* kEscalationColumns =
    "id, submission_id, workflow, channel, agent, manual, drill, policy_digest, state, owner_role, "
    "owner_person, opened_at, owned_since, generation, backup_pinged_at, backup_person, director_person, "
    "triaged_at, triaged_by, decision_macro, decision_by, decision_at, decision_rationale, version, "
    "(SELECT hits_total FROM submissions WHERE submissions.id = escalations.submission_id)";

/// Columns of an outbox row `o` as read_outbox expects them.
inline constexpr const char* kOutboxColumns =
    "o.id, o.kind, coalesce(o.escalation_id, ''), o.ordering_key, o.payload_json, o.created_at, "
    "o.next_attempt_at, o.attempts, o.state, o.last_error, o.result_json, o.last_attempt_at, o.sent_at, o.surface";
/// True for an outbox row `o` that is the first unsent row of its ordering key.
inline constexpr const char* kOutboxIsHead =
    "NOT EXISTS (SELECT 1 FROM outbox b WHERE b.ordering_key = o.ordering_key AND b.id < o.id "
    "AND b.state IN ('pending', 'sending'))";
/// True for an outbox row `o` whose surface is in the JSON array bound to :surfaces (NULL: any surface).
inline constexpr const char* kOutboxForSurfaces =
    "(:surfaces IS NULL OR o.surface IN (SELECT value FROM json_each(:surfaces)))";
OutboxMessage read_outbox(const SQLite::Statement& s);

/// Parses an enum name read from the database; an unknown one is StorageError(corrupt).
template <typename Enum>
Enum stored_enum(std::optional<Enum> parsed, const char* what, const std::string& value) {
  if (!parsed)
    throw StorageError(StorageError::Code::corrupt,
                       std::string("unknown ") + what + " '" + value + "' in the database");
  return *parsed;
}

/// "SUB-000042" from ("SUB", 42): six digits at least, more when the counter outgrows them.
std::string format_id(const char* prefix, std::int64_t n);

}  // namespace desk::storage::detail
