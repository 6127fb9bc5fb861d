// SqliteStore::Impl: the prepared statements and the row helpers the store's methods share.
#include "storage/sqlite_store_impl.hpp"

#include <sqlite3.h>

#include <unordered_map>

#include "storage/rows.hpp"

namespace desk::storage {

using detail::StatementUse;

namespace {

/// trigger_hits and shadow_hits share their columns (detail::bind_hit binds them).
std::string insert_hit_sql(const char* table) {
  return std::string("INSERT INTO ") + table +
         " (submission_id, ordinal, kind, rule_id, category, route, explanation, begin_offset, end_offset, matched, "
         "threshold, value, citation_url, citation_date, oldest_allowed, field) VALUES (:submission_id, :ordinal, "
         ":kind, :rule_id, :category, :route, :explanation, :begin_offset, :end_offset, :matched, :threshold, "
         ":value, :citation_url, :citation_date, :oldest_allowed, :field)";
}

}  // namespace

StorageError storage_error(const std::string& action, const SQLite::Exception& e) {
  const int code = e.getErrorCode() & 0xff;
  StorageError::Code ours = StorageError::Code::io;
  if (code == SQLITE_CONSTRAINT)
    ours = StorageError::Code::constraint;
  else if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
    ours = StorageError::Code::corrupt;
  return StorageError(ours, action + ": " + e.what());
}

SqliteStore::Impl::Impl(SQLite::Database database)
    : db(std::move(database)),
      next_id_stmt(db, "UPDATE id_sequences SET last = last + 1 WHERE name = ? RETURNING last"),
      find_idempotent(db,
                      "SELECT s.id, coalesce(e.id, '') FROM submissions s LEFT JOIN escalations e "
                      "ON e.submission_id = s.id WHERE s.idempotency_scope = ? AND s.idempotency_key = ?"),
      insert_submission(db,
                        "INSERT INTO submissions (id, received_at, workflow, channel, agent, confidence, "
                        "citations_json, callback_url, verdict, idempotency_scope, idempotency_key, hits_total) VALUES "
                        "(:id, :received_at, :workflow, :channel, :agent, :confidence, :citations_json, "
                        ":callback_url, :verdict, :idempotency_scope, :idempotency_key, :hits_total)"),
      set_response(db, "UPDATE submissions SET response_json = ? WHERE id = ?"),
      insert_evidence(db,
                      "INSERT INTO evidence (submission_id, prompt, output, metadata_json, permalink, "
                      "suggested_fix, digest) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      insert_hit(db, insert_hit_sql("trigger_hits")),
      insert_shadow_hit(db, insert_hit_sql("shadow_hits")),
      select_hits(db, std::string("SELECT ") + detail::kHitColumns +
                          " FROM trigger_hits WHERE submission_id = ? ORDER BY ordinal"),
      insert_escalation(db,
                        "INSERT INTO escalations (id, submission_id, workflow, channel, agent, manual, drill, "
                        "policy_digest, opened_at, version, state, owner_role, owner_person, owned_since, "
                        "generation, backup_pinged_at, backup_person, director_person, triaged_at, "
                        "triaged_by, decision_macro, decision_by, decision_at, decision_rationale) VALUES "
                        "(:id, :submission_id, :workflow, :channel, :agent, :manual, :drill, :policy_digest, "
                        ":opened_at, 0, :state, :owner_role, :owner_person, :owned_since, :generation, "
                        ":backup_pinged_at, :backup_person, :director_person, :triaged_at, :triaged_by, "
                        ":decision_macro, :decision_by, :decision_at, :decision_rationale)"),
      update_escalation(db,
                        "UPDATE escalations SET state = :state, owner_role = :owner_role, "
                        "owner_person = :owner_person, owned_since = :owned_since, generation = :generation, "
                        "backup_pinged_at = :backup_pinged_at, backup_person = :backup_person, "
                        "director_person = :director_person, triaged_at = :triaged_at, "
                        "triaged_by = :triaged_by, decision_macro = :decision_macro, "
                        "decision_by = :decision_by, decision_at = :decision_at, "
                        "decision_rationale = :decision_rationale, version = version + 1 "
                        "WHERE id = :id AND version = :version"),
      select_escalation(db, std::string("SELECT ") + detail::kEscalationColumns + " FROM escalations WHERE id = ?"),
      delete_deadlines(db, "DELETE FROM deadlines WHERE escalation_id = ? AND generation = ?"),
      insert_deadline(db,
                      "INSERT INTO deadlines (escalation_id, generation, kind, due_at, fired_at) "
                      "VALUES (:escalation_id, :generation, :kind, :due_at, :fired_at)"),
      select_deadlines(db,
                       "SELECT kind, due_at, fired_at FROM deadlines WHERE escalation_id = ? "
                       "AND generation = ? ORDER BY due_at, kind"),
      audit_last_row(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"),
      insert_audit(db,
                   "INSERT INTO audit (seq, at, kind, escalation_id, actor, fields, prev_hash, hash) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      insert_audit_note(db, "INSERT INTO audit_notes (seq, name, text) VALUES (?, ?, ?)"),
      select_audit_head(db, "SELECT seq, hash, keyed_from, mac FROM audit_head WHERE id = 1"),
      write_audit_head(db,
                       "INSERT INTO audit_head (id, seq, hash, keyed_from, mac) VALUES (1, ?, ?, ?, ?) "
                       "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
                       "keyed_from = excluded.keyed_from, mac = excluded.mac"),
      mark_processed(db, "INSERT INTO processed_ids (id, at) VALUES (?, ?) ON CONFLICT DO NOTHING"),
      select_overrides(db,
                       "SELECT id, role, person, from_at, until_at, reason, created_by FROM rota_overrides "
                       "WHERE until_at > ? ORDER BY id"),
      insert_outbox(db,
                    "INSERT INTO outbox (kind, escalation_id, ordering_key, payload_json, created_at, "
                    "next_attempt_at, surface) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      // A row goes only when no earlier row of its key is still unsent (pending or sending).
      outbox_due(db, std::string("SELECT ") + detail::kOutboxColumns +
                         " FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= :now AND " +
                         detail::kOutboxForSurfaces + " AND " + detail::kOutboxIsHead +
                         // The partial index's order: a pass stops after `limit` rows instead of
                         // sorting every due row (a backlog of thousands, read again each pass).
                         " ORDER BY o.next_attempt_at, o.id LIMIT :limit"),
      // Only the rows outbox_due could return: a row blocked behind its key's head would wake the
      // sender for nothing, over and over. In index order, so the first head found is the answer.
      outbox_next_attempt(db, std::string("SELECT o.next_attempt_at FROM outbox o WHERE o.state = 'pending' AND ") +
                                  detail::kOutboxForSurfaces + " AND " + detail::kOutboxIsHead +
                                  " ORDER BY o.next_attempt_at, o.id LIMIT 1"),
      outbox_state(db, "SELECT state FROM outbox WHERE id = ?"),
      outbox_sending(db,
                     "UPDATE outbox SET state = 'sending', attempts = attempts + 1, last_attempt_at = ?2 "
                     "WHERE id = ?1 AND state IN ('pending', 'sending')"),
      outbox_sent(db,
                  "UPDATE outbox SET state = 'sent', result_json = ?2, sent_at = ?3 "
                  "WHERE id = ?1 AND state = 'sending'"),
      outbox_retry(db,
                   "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, last_error = ?3 "
                   "WHERE id = ?1 AND state IN ('pending', 'sending')"),
      outbox_fail(db,
                  "UPDATE outbox SET state = 'failed', last_error = ?2 "
                  "WHERE id = ?1 AND state IN ('pending', 'sending')"),
      // A permalink belongs to one message: a moved message loses the old one unless a new one is given.
      upsert_message(db,
                     "INSERT INTO surface_messages (escalation_id, surface, channel, message_id, permalink) "
                     "VALUES (?1, ?2, ?3, ?4, ?5) "
                     "ON CONFLICT (escalation_id, surface) DO UPDATE SET channel = excluded.channel, "
                     "message_id = excluded.message_id, "
                     "permalink = CASE WHEN excluded.permalink <> '' THEN excluded.permalink "
                     "WHEN surface_messages.channel = excluded.channel "
                     "AND surface_messages.message_id = excluded.message_id "
                     "THEN surface_messages.permalink ELSE '' END") {}

std::string SqliteStore::Impl::next_id(const char* sequence, const char* prefix) {
  StatementUse q(next_id_stmt);
  q->bind(1, sequence);
  if (!q->executeStep())
    throw StorageError(StorageError::Code::corrupt, std::string("id sequence '") + sequence + "' is missing");
  return detail::format_id(prefix, q->getColumn(0).getInt64());
}

namespace {

/// Every row of `q` (kHitColumns, one submission's) as hits, with `submission_id` bound.
std::vector<core::TriggerHit> read_hits(SQLite::Statement& q, const std::string& submission_id) {
  std::vector<core::TriggerHit> hits;
  q.bind(1, submission_id);
  while (q.executeStep()) hits.push_back(detail::read_hit(q));
  return hits;
}

}  // namespace

std::vector<core::TriggerHit> SqliteStore::Impl::shadow_hits_of(const std::string& submission_id) {
  SQLite::Statement q(
      db, std::string("SELECT ") + detail::kHitColumns + " FROM shadow_hits WHERE submission_id = ? ORDER BY ordinal");
  return read_hits(q, submission_id);
}

std::vector<core::TriggerHit> SqliteStore::Impl::hits_of(const std::string& submission_id) {
  StatementUse q(select_hits);
  return read_hits(*q, submission_id);
}

namespace {

/// A deadline from its kind, due_at and fired_at columns, starting at column `first`.
core::Deadline read_deadline(const SQLite::Statement& q, int first) {
  const std::string kind = detail::text(q, first);
  return {detail::stored_enum(core::deadline_kind_from(kind), "deadline kind", kind),
          detail::time_at(q.getColumn(first + 1).getInt64()), detail::optional_time(q, first + 2)};
}

}  // namespace

std::vector<core::Deadline> SqliteStore::Impl::deadlines_of(const std::string& escalation_id, int generation) {
  std::vector<core::Deadline> deadlines;
  StatementUse q(select_deadlines);
  q->bind(1, escalation_id);
  q->bind(2, generation);
  while (q->executeStep()) deadlines.push_back(read_deadline(*q, 0));
  return deadlines;
}

void SqliteStore::Impl::write_deadlines(const std::string& escalation_id, int generation,
                                        const std::vector<core::Deadline>& ds) {
  {
    StatementUse q(delete_deadlines);
    q->bind(1, escalation_id);
    q->bind(2, generation);
    q->exec();
  }
  for (const auto& d : ds) {
    StatementUse q(insert_deadline);
    q->bind(":escalation_id", escalation_id);
    q->bind(":generation", generation);
    q->bind(":kind", core::to_string(d.kind));
    q->bind(":due_at", detail::epoch(d.due));
    detail::bind_time(*q, ":fired_at", d.fired_at);
    q->exec();
  }
}

core::Escalation SqliteStore::Impl::load_escalation(const SQLite::Statement& s, Hits hits) {
  core::Escalation e = detail::read_escalation(s);
  if (hits == Hits::load) e.hits = hits_of(e.submission_id);
  e.deadlines = deadlines_of(e.id, e.generation);
  return e;
}

std::vector<core::Escalation> SqliteStore::Impl::load_escalations(SQLite::Statement& s, Hits hits) {
  // One read transaction: the rows, hits and deadlines come from the same snapshot.
  SQLite::Transaction snapshot(db, SQLite::TransactionBehavior::DEFERRED);
  std::vector<core::Escalation> out;
  while (s.executeStep()) out.push_back(load_escalation(s, hits));
  return out;
}

std::vector<core::Escalation> SqliteStore::Impl::load_escalations_opened_since(std::int64_t since) {
  SQLite::Transaction snapshot(db, SQLite::TransactionBehavior::DEFERRED);
  std::vector<core::Escalation> out;
  std::unordered_map<std::string, std::size_t> by_id, by_submission;
  SQLite::Statement rows(db, std::string("SELECT ") + detail::kEscalationColumns +
                                 " FROM escalations WHERE opened_at >= ? ORDER BY opened_at, rowid");
  rows.bind(1, since);
  while (rows.executeStep()) {
    out.push_back(detail::read_escalation(rows));
    by_id.emplace(out.back().id, out.size() - 1);
    by_submission.emplace(out.back().submission_id, out.size() - 1);
  }
  // kHitColumns, then the submission (column 14); in ordinal order within each submission.
  SQLite::Statement hits(db, std::string("SELECT ") + detail::kHitColumns +
                                 ", submission_id FROM trigger_hits WHERE submission_id IN "
                                 "(SELECT submission_id FROM escalations WHERE opened_at >= ?) "
                                 "ORDER BY submission_id, ordinal");
  hits.bind(1, since);
  while (hits.executeStep())
    if (const auto e = by_submission.find(detail::text(hits, 14)); e != by_submission.end())
      out[e->second].hits.push_back(detail::read_hit(hits));
  // The current generation's deadlines, as deadlines_of reads them.
  SQLite::Statement deadlines(db,
                              "SELECT d.escalation_id, d.kind, d.due_at, d.fired_at FROM deadlines d "
                              "JOIN escalations e ON e.id = d.escalation_id AND d.generation = e.generation "
                              "WHERE e.opened_at >= ? ORDER BY d.escalation_id, d.due_at, d.kind");
  deadlines.bind(1, since);
  while (deadlines.executeStep())
    if (const auto e = by_id.find(detail::text(deadlines, 0)); e != by_id.end())
      out[e->second].deadlines.push_back(read_deadline(deadlines, 1));
  return out;
}

}  // namespace desk::storage
