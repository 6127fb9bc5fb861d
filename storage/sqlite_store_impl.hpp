#pragma once
/// Internal to storage/: the connection, its prepared statements and the helpers the SqliteStore
/// methods share across sqlite_store*.cpp. Everything here runs under Impl::mutex.
#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/sqlite_store.hpp"

namespace desk::storage {

/// Translates a SQLite failure into the store's vocabulary, naming what was being done.
StorageError storage_error(const std::string& action, const SQLite::Exception& e);

struct SqliteStore::Impl {
  explicit Impl(SQLite::Database database);

  /// Runs `f` under the lock; SQLite failures leave as StorageError.
  template <typename F>
  auto run(const char* action, F&& f) -> decltype(f()) {
    std::lock_guard lock(mutex);
    try {
      return f();
    } catch (const SQLite::Exception& e) { throw storage_error(action, e); }
  }

  /// Everything add_submission writes (after its idempotency check, with the answer from
  /// `s.response`), inside the caller's transaction. A replay changes nothing.
  SubmissionIds add_submission_rows(const NewSubmission& s);
  /// The next "SUB-…"/"ESC-…" id; advances the counter inside the caller's transaction.
  std::string next_id(const char* sequence, const char* prefix);
  /// Appends events to the chain inside the caller's transaction, keyed when the chain is (see
  /// writable_head); rewrites the head. Throws StorageError audit_key/corrupt as writable_head does.
  void append_audit(const std::vector<core::AuditEvent>& events);
  /// Appends under `head` (nullopt: unkeyed) and rewrites it.
  void append_audit_rows(const std::vector<core::AuditEvent>& events, std::optional<AuditHead> head);
  /// The head to append under: nullopt for a chain never keyed and no key given; a fresh one for an
  /// empty chain and a key. Throws when appending would break or launder the chain.
  std::optional<AuditHead> writable_head();
  std::optional<AuditHead> read_audit_head();
  /// The last row's seq and hash (0 and the genesis hash for an empty chain).
  std::pair<std::int64_t, std::string> audit_last();
  std::vector<core::TriggerHit> hits_of(const std::string& submission_id);
  std::vector<core::TriggerHit> shadow_hits_of(const std::string& submission_id);
  std::vector<core::Deadline> deadlines_of(const std::string& escalation_id, int generation);
  void write_deadlines(const std::string& escalation_id, int generation, const std::vector<core::Deadline>& ds);
  /// The escalation on the current row of `s` (kEscalationColumns) with its deadlines, and its hits
  /// when asked (their count always).
  core::Escalation load_escalation(const SQLite::Statement& s, Hits hits);
  std::vector<core::Escalation> load_escalations(SQLite::Statement& s, Hits hits);
  /// Every escalation opened at or after `since` (epoch seconds), oldest first, with its hits and its
  /// current deadlines, in three reads of one snapshot rather than two per escalation (for reports).
  std::vector<core::Escalation> load_escalations_opened_since(std::int64_t since);
  /// Inserts outbox rows (pending, no attempts) inside the caller's transaction; an empty
  /// escalation_id becomes `escalation_id` (NULL if that is empty too). Returns the last row's id, or 0.
  std::int64_t enqueue(const std::vector<OutboxMessage>& messages, const std::string& escalation_id);
  /// Inserts a drill row inside the caller's transaction, for `escalation_id` (empty: none). Returns its id.
  std::int64_t insert_drill(const Drill& d, const std::string& escalation_id);
  /// Gives the pending hotline message `key` its escalation (and lets go of its text) inside the
  /// caller's transaction. StorageError not_found when there is no such message, conflict when it has one.
  void attach_hotline_message(const MessageKey& key, const std::string& escalation_id);
  /// Scores the drill of `escalation_id` inside the caller's transaction. StorageError not_found when
  /// it is no drill's, conflict when it was scored already.
  void score_drill(const std::string& escalation_id, const DrillScoring& scoring);

  SQLite::Database db;
  std::mutex mutex;
  std::string audit_key;  ///< DESK_AUDIT_KEY; empty: none
  // Prepared once, reset after each use (see detail::StatementUse): the hot paths.
  SQLite::Statement next_id_stmt;
  SQLite::Statement find_idempotent;
  SQLite::Statement insert_submission;
  SQLite::Statement set_response;
  SQLite::Statement insert_evidence;
  SQLite::Statement insert_hit;
  SQLite::Statement insert_shadow_hit;
  SQLite::Statement select_hits;
  SQLite::Statement insert_escalation;
  SQLite::Statement update_escalation;
  SQLite::Statement select_escalation;
  SQLite::Statement delete_deadlines;
  SQLite::Statement insert_deadline;
  SQLite::Statement select_deadlines;
  SQLite::Statement audit_last_row;
  SQLite::Statement insert_audit;
  SQLite::Statement insert_audit_note;
  SQLite::Statement select_audit_head;
  SQLite::Statement write_audit_head;
  SQLite::Statement mark_processed;
  SQLite::Statement select_overrides;  ///< read by every /rota and every click
  // The outbox sender's loop: poll, claim, settle.
  SQLite::Statement insert_outbox;
  SQLite::Statement outbox_due;
  SQLite::Statement outbox_next_attempt;
  SQLite::Statement outbox_state;
  SQLite::Statement outbox_sending;
  SQLite::Statement outbox_sent;
  SQLite::Statement outbox_retry;
  SQLite::Statement outbox_fail;
  SQLite::Statement upsert_message;
};

/// The overrides last read (every one ending after `after`), for overrides_active_after. `generation`
/// counts this store's own override writes: a read that began before one is not kept.
struct SqliteStore::OverridesCache {
  std::mutex mutex;
  std::chrono::milliseconds kept_for{0};
  bool valid = false;
  core::TimePoint after{};
  std::chrono::steady_clock::time_point read_at{};
  std::vector<core::RotaOverride> rows;
  std::uint64_t generation = 0;
};

}  // namespace desk::storage
