// SqliteStore: the hash-chained audit trail and the evidence locker (with erasure tombstones).
#include "storage/audit_chain.hpp"
#include "storage/rows.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/sqlite_store_impl.hpp"

namespace desk::storage {

using detail::StatementUse;

namespace {

// The last column: the row's notes as one JSON object ('{}' when it has none or they were erased).
constexpr const char* kAuditColumns =
    "seq, at, kind, escalation_id, actor, fields, prev_hash, hash, "
    "(SELECT json_group_object(n.name, n.text) FROM audit_notes n WHERE n.seq = audit.seq)";

/// The row on `q` (kAuditColumns) without its fields parsed; the stored fields text goes to `fields`.
AuditRow read_audit_row(const SQLite::Statement& q, std::string& fields) {
  AuditRow row;
  row.seq = q.getColumn(0).getInt64();
  row.event.at = detail::time_at(q.getColumn(1).getInt64());
  row.event.kind = detail::text(q, 2);
  row.event.escalation_id = detail::text(q, 3);
  row.event.actor = detail::text(q, 4);
  fields = detail::text(q, 5);
  row.prev_hash = detail::text(q, 6);
  row.hash = detail::text(q, 7);
  row.notes = parse_fields(detail::text(q, 8));
  return row;
}

/// Calls `f` with each row on `q` (kAuditColumns), fields parsed and kept as stored, one at a time.
template <typename F>
void each_audit_row(SQLite::Statement& q, F&& f) {
  std::string fields;
  while (q.executeStep()) {
    AuditRow row = read_audit_row(q, fields);
    row.event.fields = parse_fields(fields);
    row.event.fields.insert(row.event.fields.end(), row.notes.begin(), row.notes.end());
    row.stored_fields = std::move(fields);
    f(std::move(row));
  }
}

std::vector<AuditRow> read_audit_rows(SQLite::Statement& q) {
  std::vector<AuditRow> rows;
  each_audit_row(q, [&](AuditRow row) { rows.push_back(std::move(row)); });
  return rows;
}

/// Feeds the whole chain, in seq order, to `verifier`.
void verify_rows(SQLite::Database& db, AuditChainVerifier& verifier) {
  SQLite::Statement q(db, std::string("SELECT ") + kAuditColumns + " FROM audit ORDER BY seq");
  each_audit_row(q, [&](const AuditRow& row) { verifier.add(row, row.stored_fields); });
}

}  // namespace

std::pair<std::int64_t, std::string> SqliteStore::Impl::audit_last() {
  StatementUse q(audit_last_row);
  if (!q->executeStep()) return {0, std::string(kGenesisHash)};
  return {q->getColumn(0).getInt64(), detail::text(*q, 1)};
}

std::optional<AuditHead> SqliteStore::Impl::read_audit_head() {
  StatementUse q(select_audit_head);
  if (!q->executeStep()) return std::nullopt;
  return AuditHead{q->getColumn(0).getInt64(), detail::text(*q, 1), q->getColumn(2).getInt64(), detail::text(*q, 3)};
}

std::optional<AuditHead> SqliteStore::Impl::writable_head() {
  std::optional<AuditHead> head = read_audit_head();
  const auto [seq, hash] = audit_last();
  if (!head) {
    if (audit_key.empty()) return std::nullopt;  // a chain never keyed, written without a key (tests, tools)
    if (seq > 0)
      throw StorageError(StorageError::Code::audit_key,
                         "the audit trail's " + std::to_string(seq) +
                             " rows were chained without a key: check them with `escalation-desk audit verify`, "
                             "then key them once with `escalation-desk audit anchor` (DESK_AUDIT_KEY set)");
    return AuditHead{0, std::string(kGenesisHash), 1, ""};
  }
  if (audit_key.empty())
    throw StorageError(StorageError::Code::audit_key,
                       "the audit trail is keyed: set DESK_AUDIT_KEY (or DESK_AUDIT_KEY_FILE) to write to it");
  if (head_mac(audit_key, *head) != head->mac)
    throw StorageError(StorageError::Code::audit_key,
                       "DESK_AUDIT_KEY is not the key the audit trail was chained with (or its head record was "
                       "altered): nothing is written");
  // Appending now would rewrite the head over the damage and hide it: stop, and let audit verify say why.
  if (head->seq != seq || head->hash != hash)
    throw StorageError(StorageError::Code::corrupt,
                       "the audit trail ends at row " + std::to_string(seq) + " but its keyed head records row " +
                           std::to_string(head->seq) +
                           ": rows were removed or added behind the desk's back (see `escalation-desk audit verify`)");
  return head;
}

void SqliteStore::Impl::append_audit_rows(const std::vector<core::AuditEvent>& events, std::optional<AuditHead> head) {
  auto [seq, prev] = audit_last();
  for (const auto& given : events) {
    ++seq;
    core::AuditEvent e = given;
    const auto notes = split_notes(e, head ? audit_key : std::string());
    const std::string fields = canonical_fields(e);
    std::string hash = head ? keyed_row_hash(audit_key, prev, seq, e, fields) : row_hash(prev, seq, e, fields);
    StatementUse q(insert_audit);
    q->bind(1, seq);
    q->bind(2, detail::epoch(e.at));
    q->bind(3, e.kind);
    q->bind(4, e.escalation_id);
    q->bind(5, e.actor);
    q->bind(6, fields);
    q->bind(7, prev);
    q->bind(8, hash);
    q->exec();
    for (const auto& [name, text] : notes) {
      StatementUse n(insert_audit_note);
      n->bind(1, seq);
      n->bind(2, name);
      n->bind(3, text);
      n->exec();
    }
    prev = std::move(hash);
  }
  if (!head) return;
  head->seq = seq;
  head->hash = prev;
  head->mac = head_mac(audit_key, *head);
  StatementUse q(write_audit_head);
  q->bind(1, head->seq);
  q->bind(2, head->hash);
  q->bind(3, head->keyed_from);
  q->bind(4, head->mac);
  q->exec();
}

void SqliteStore::Impl::append_audit(const std::vector<core::AuditEvent>& events) {
  if (events.empty()) return;
  append_audit_rows(events, writable_head());
}

void SqliteStore::append_audit(const std::vector<core::AuditEvent>& events) {
  impl_->run("appending to the audit trail", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    impl_->append_audit(events);
    txn.commit();
  });
}

std::string SqliteStore::audit_key_problem() {
  return impl_->run("checking the audit key", [&]() -> std::string {
    SQLite::Transaction snapshot(impl_->db, SQLite::TransactionBehavior::DEFERRED);
    try {
      impl_->writable_head();
      return {};
    } catch (const StorageError& e) { return e.what(); }
  });
}

std::optional<std::int64_t> SqliteStore::anchor_audit(const std::string& actor, core::TimePoint at) {
  return impl_->run("keying the audit trail", [&]() -> std::optional<std::int64_t> {
    if (impl_->audit_key.empty())
      throw StorageError(StorageError::Code::audit_key, "keying the audit trail needs DESK_AUDIT_KEY");
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    if (impl_->read_audit_head()) {
      impl_->writable_head();  // a wrong key or a damaged chain still says so
      return std::nullopt;
    }
    AuditChainVerifier plain;
    verify_rows(impl_->db, plain);
    const AuditVerification v = plain.finish();
    if (!v.ok)
      throw StorageError(StorageError::Code::corrupt, "refusing to key a broken audit trail: row " +
                                                          std::to_string(v.first_bad_seq) + ": " + v.problem);
    const auto [seq, hash] = impl_->audit_last();
    impl_->append_audit_rows(
        {{"audit.keyed", "", actor, at, {{"unkeyed_rows", std::to_string(seq)}, {"unkeyed_head", hash}}}},
        AuditHead{seq, hash, seq + 1, ""});
    txn.commit();
    return seq;
  });
}

std::vector<AuditRow> SqliteStore::audit_trail(const std::string& escalation_id) {
  return impl_->run("reading the audit trail", [&] {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kAuditColumns + " FROM audit" +
                                       (escalation_id.empty() ? "" : " WHERE escalation_id = ?") + " ORDER BY seq");
    if (!escalation_id.empty()) q.bind(1, escalation_id);
    return read_audit_rows(q);
  });
}

std::map<std::string, BreachCounts> SqliteStore::breach_counts(core::TimePoint since) {
  return impl_->run("counting breaches for a report", [&] {
    SQLite::Statement q(impl_->db,
                        "SELECT a.escalation_id, sum(a.kind = 'sla.triage_breached'), "
                        "sum(a.kind = 'sla.decision_breached') FROM audit a "
                        "JOIN escalations e ON e.id = a.escalation_id AND e.opened_at >= ? "
                        "WHERE a.kind IN ('sla.triage_breached', 'sla.decision_breached') GROUP BY a.escalation_id");
    q.bind(1, detail::epoch(since));
    std::map<std::string, BreachCounts> out;
    while (q.executeStep())
      out.emplace(detail::text(q, 0), BreachCounts{q.getColumn(1).getInt(), q.getColumn(2).getInt()});
    return out;
  });
}

AuditChain SqliteStore::audit_chain() {
  return impl_->run("reading the audit chain", [&] {
    SQLite::Transaction snapshot(impl_->db, SQLite::TransactionBehavior::DEFERRED);
    AuditChain chain;
    chain.head = impl_->read_audit_head();
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kAuditColumns + " FROM audit ORDER BY seq");
    chain.rows = read_audit_rows(q);
    return chain;
  });
}

AuditVerification SqliteStore::verify_audit() {
  return impl_->run("verifying the audit trail", [&] {
    SQLite::Transaction snapshot(impl_->db, SQLite::TransactionBehavior::DEFERRED);
    AuditChainVerifier verifier(impl_->audit_key, impl_->read_audit_head());
    verify_rows(impl_->db, verifier);
    SQLite::Statement ev(impl_->db,
                         "SELECT ev.submission_id, s.channel, ev.prompt, ev.output, ev.metadata_json, ev.permalink, "
                         "ev.suggested_fix, ev.digest, ev.erased_at IS NOT NULL FROM evidence ev "
                         "JOIN submissions s ON s.id = ev.submission_id ORDER BY ev.submission_id");
    while (ev.executeStep()) {
      EvidenceToCheck e;
      e.submission_id = detail::text(ev, 0);
      e.text.channel = detail::text(ev, 1);
      e.text.prompt = detail::text(ev, 2);
      e.text.output = detail::text(ev, 3);
      e.text.metadata_json = detail::text(ev, 4);
      e.text.permalink = detail::text(ev, 5);
      e.text.suggested_fix = detail::text(ev, 6);
      e.digest = detail::text(ev, 7);
      e.erased = ev.getColumn(8).getInt() != 0;
      verifier.check_evidence(e);
    }
    return verifier.finish();
  });
}

std::optional<EvidenceBundle> SqliteStore::evidence(const std::string& escalation_id) {
  return reads().run("reading evidence", [&]() -> std::optional<EvidenceBundle> {
    SQLite::Statement q(reads().db,
                        "SELECT s.channel, ev.prompt, ev.output, ev.metadata_json, ev.permalink, ev.suggested_fix, "
                        "ev.digest, ev.erased_at, ev.erased_by, ev.erase_reason, ev.submission_id FROM escalations e "
                        "JOIN evidence ev ON ev.submission_id = e.submission_id "
                        "JOIN submissions s ON s.id = e.submission_id WHERE e.id = ?");
    q.bind(1, escalation_id);
    if (!q.executeStep()) return std::nullopt;
    EvidenceBundle b;
    b.escalation_id = escalation_id;
    b.channel = detail::text(q, 0);
    b.prompt = detail::text(q, 1);
    b.output = detail::text(q, 2);
    b.metadata_json = detail::text(q, 3);
    b.permalink = detail::text(q, 4);
    b.suggested_fix = detail::text(q, 5);
    b.digest = detail::text(q, 6);
    b.erased_at = detail::optional_time(q, 7);
    b.erased_by = detail::text(q, 8);
    b.erase_reason = detail::text(q, 9);
    b.submission_id = detail::text(q, 10);
    return b;
  });
}

namespace {

constexpr const char* kErasedText = "(erased on request)";

/// Runs `sql` with `id` bound to every parameter; returns how many rows it changed.
int exec_for(SQLite::Database& db, const std::string& sql, const std::string& id) {
  SQLite::Statement q(db, sql);
  for (int i = 1; i <= q.getBindParameterCount(); ++i) q.bind(i, id);
  return q.exec();
}

}  // namespace

// The permalink stays: it locates the published post for auditors and is not the agent's text.
Erasure SqliteStore::erase_submission(const std::string& submission_id, const std::string& by,
                                      const std::string& reason, core::TimePoint at,
                                      const std::vector<OutboxMessage>& outbox) {
  Erasure out = impl_->run("erasing a submission", [&] {
    if (by.empty() || reason.empty())
      throw StorageError(StorageError::Code::constraint, "an erasure needs who asks for it and why");
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    Erasure e;
    e.submission_id = submission_id;
    std::string digest;
    {
      SQLite::Statement find(impl_->db,
                             "SELECT ev.digest, ev.erased_at, ev.erased_by, coalesce(e.id, '') FROM evidence ev "
                             "LEFT JOIN escalations e ON e.submission_id = ev.submission_id "
                             "WHERE ev.submission_id = ?");
      find.bind(1, submission_id);
      if (!find.executeStep()) throw StorageError(StorageError::Code::not_found, "no submission " + submission_id);
      digest = detail::text(find, 0);
      e.erased_at = detail::optional_time(find, 1);
      e.erased_by = detail::text(find, 2);
      e.escalation_id = detail::text(find, 3);
    }
    if (e.erased_at) {
      e.already_erased = true;
      return e;
    }
    {
      SQLite::Statement q(impl_->db,
                          "UPDATE evidence SET prompt = '', output = '', metadata_json = '{}', suggested_fix = '', "
                          "erased_at = ?, erased_by = ?, erase_reason = ? WHERE submission_id = ?");
      q.bind(1, detail::epoch(at));
      q.bind(2, by);
      q.bind(3, reason);
      q.bind(4, submission_id);
      q.exec();
    }
    // What was found stays (the rule, its category and route): what it matched, and where, goes.
    for (const char* table : {"trigger_hits", "shadow_hits"})
      e.hits += exec_for(impl_->db,
                         std::string("UPDATE ") + table +
                             " SET matched = '', explanation = '(erased on request)', "
                             "begin_offset = NULL, end_offset = NULL WHERE submission_id = ?",
                         submission_id);
    // A replay rebuilds the answer from what is left.
    exec_for(impl_->db, "UPDATE submissions SET response_json = '' WHERE id = ?", submission_id);
    if (!e.escalation_id.empty()) {
      const std::string& id = e.escalation_id;
      // The version moves on, so a writer holding the old rationale in memory retries from the store.
      SQLite::Statement rationale(impl_->db,
                                  "UPDATE escalations SET decision_rationale = ?, version = version + 1 "
                                  "WHERE id = ? AND decision_rationale IS NOT NULL");
      rationale.bind(1, kErasedText);
      rationale.bind(2, id);
      e.rationale = rationale.exec() > 0;
      e.notes = exec_for(impl_->db,
                         "DELETE FROM audit_notes WHERE seq IN (SELECT seq FROM audit WHERE escalation_id = ?)", id);
      // What people wrote afterwards may quote the draft (a name, an address): it goes too.
      SQLite::Statement postmortems(
          impl_->db,
          "UPDATE postmortems SET what_triggered = ?1, what_fixed = ?1, what_to_automate = ?1 "
          "WHERE escalation_id = ?2");
      postmortems.bind(1, kErasedText);
      postmortems.bind(2, id);
      e.postmortems = postmortems.exec();
      for (const char* path : {"$.rationale", "$.text"}) {
        SQLite::Statement q(impl_->db,
                            "UPDATE outbox SET payload_json = json_set(payload_json, ?1, ?2) "
                            "WHERE escalation_id = ?3 AND json_type(payload_json, ?1) = 'text'");
        q.bind(1, path);
        q.bind(2, kErasedText);
        q.bind(3, id);
        e.outbox_rows += q.exec();
      }
    }
    impl_->append_audit(
        {{"submission.erased",
          e.escalation_id,
          by,
          at,
          {{"submission_id", submission_id},
           {"evidence_digest", digest},
           {"erased", "evidence,trigger_hits,shadow_hits,stored_answer,rationales,outbox_texts,postmortems"},
           {"hits", std::to_string(e.hits)},
           {"notes", std::to_string(e.notes)},
           {"outbox_rows", std::to_string(e.outbox_rows)},
           {"postmortems", std::to_string(e.postmortems)},
           {"erase_reason", reason}}}});
    impl_->enqueue(outbox, e.escalation_id);
    txn.commit();
    e.erased_at = at;
    e.erased_by = by;
    return e;
  });
  if (!out.already_erased) {
    // Old copies of the pages sit in the write-ahead log until a checkpoint: copy back and empty it
    // now. A reader in another process may hold it; then the desk's next checkpoint does.
    impl_->run("checkpointing after an erasure", [&] { impl_->db.exec("PRAGMA wal_checkpoint(TRUNCATE)"); });
  }
  return out;
}

}  // namespace desk::storage
