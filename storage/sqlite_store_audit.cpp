// SqliteStore: the hash-chained audit trail and the evidence locker (with erasure tombstones).
#include "storage/audit_chain.hpp"
#include "storage/rows.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/sqlite_store_impl.hpp"

namespace desk::storage {

using detail::StatementUse;

namespace {

constexpr const char* kAuditColumns = "seq, at, kind, escalation_id, actor, fields, prev_hash, hash";

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
  return row;
}

}  // namespace

void SqliteStore::Impl::append_audit(const std::vector<core::AuditEvent>& events) {
  std::int64_t seq = 0;
  std::string prev(kGenesisHash);
  {
    StatementUse head(audit_head);
    if (head->executeStep()) {
      seq = head->getColumn(0).getInt64();
      prev = detail::text(*head, 1);
    }
  }
  for (const auto& e : events) {
    ++seq;
    const std::string fields = canonical_fields(e);
    std::string hash = row_hash(prev, seq, e, fields);
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
    prev = std::move(hash);
  }
}

void SqliteStore::append_audit(const std::vector<core::AuditEvent>& events) {
  impl_->run("appending to the audit trail", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    impl_->append_audit(events);
    txn.commit();
  });
}

std::vector<AuditRow> SqliteStore::audit_trail(const std::string& escalation_id) {
  return impl_->run("reading the audit trail", [&] {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kAuditColumns + " FROM audit" +
                                       (escalation_id.empty() ? "" : " WHERE escalation_id = ?") + " ORDER BY seq");
    if (!escalation_id.empty()) q.bind(1, escalation_id);
    std::vector<AuditRow> rows;
    std::string fields;
    while (q.executeStep()) {
      rows.push_back(read_audit_row(q, fields));
      rows.back().event.fields = parse_fields(fields);
    }
    return rows;
  });
}

AuditVerification SqliteStore::verify_audit() {
  return impl_->run("verifying the audit trail", [&] {
    SQLite::Transaction snapshot(impl_->db, SQLite::TransactionBehavior::DEFERRED);
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kAuditColumns + " FROM audit ORDER BY seq");
    AuditChainVerifier verifier;
    std::string fields;
    while (q.executeStep()) {
      const AuditRow row = read_audit_row(q, fields);
      verifier.add(row, fields);
    }
    return verifier.result();
  });
}

std::optional<EvidenceBundle> SqliteStore::evidence(const std::string& escalation_id) {
  return impl_->run("reading evidence", [&]() -> std::optional<EvidenceBundle> {
    SQLite::Statement q(impl_->db,
                        "SELECT e.channel, ev.prompt, ev.output, ev.metadata_json, ev.permalink, ev.suggested_fix, "
                        "ev.digest, ev.erased_at, ev.erased_by, ev.erase_reason FROM escalations e "
                        "JOIN evidence ev ON ev.submission_id = e.submission_id WHERE e.id = ?");
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
    return b;
  });
}

// The permalink stays: it locates the published post for auditors and is not the personal text.
void SqliteStore::erase_evidence(const std::string& escalation_id, const std::string& by, const std::string& reason,
                                 core::TimePoint at) {
  impl_->run("erasing evidence", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement find(impl_->db,
                           "SELECT ev.submission_id, ev.digest, ev.erased_at IS NOT NULL FROM escalations e "
                           "JOIN evidence ev ON ev.submission_id = e.submission_id WHERE e.id = ?");
    find.bind(1, escalation_id);
    if (!find.executeStep()) throw StorageError(StorageError::Code::not_found, "no escalation " + escalation_id);
    if (find.getColumn(2).getInt() != 0) return;  // already erased: nothing left to remove
    const std::string submission_id = detail::text(find, 0);
    const std::string digest = detail::text(find, 1);
    find.reset();
    SQLite::Statement erase(impl_->db,
                            "UPDATE evidence SET prompt = '', output = '', metadata_json = '{}', suggested_fix = '', "
                            "erased_at = ?, erased_by = ?, erase_reason = ? WHERE submission_id = ?");
    erase.bind(1, detail::epoch(at));
    erase.bind(2, by);
    erase.bind(3, reason);
    erase.bind(4, submission_id);
    erase.exec();
    impl_->append_audit(
        {{"evidence.erased", escalation_id, by, at, {{"evidence_digest", digest}, {"reason", reason}}}});
    txn.commit();
  });
}

}  // namespace desk::storage
