// SqliteStore: the versions of the desk's SOP posted (and pinned) in the desk channel.
#include "storage/rows.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/sqlite_store_impl.hpp"

namespace desk::storage {
namespace {

std::optional<std::string> read_last_sop(SQLite::Database& db) {
  SQLite::Statement q(db, "SELECT digest FROM sop_versions ORDER BY id DESC LIMIT 1");
  if (!q.executeStep()) return std::nullopt;
  return detail::text(q, 0);
}

}  // namespace

std::optional<std::string> SqliteStore::last_sop_digest() {
  return impl_->run("reading the SOP last posted", [&] { return read_last_sop(impl_->db); });
}

bool SqliteStore::record_sop(const std::string& digest, core::TimePoint at, const std::vector<OutboxMessage>& rows,
                             const std::vector<core::AuditEvent>& audit) {
  return impl_->run("recording an SOP version", [&] {
    // IMMEDIATE: two passes that both saw an older version cannot both post this one.
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    if (read_last_sop(impl_->db) == digest) return false;
    SQLite::Statement q(impl_->db, "INSERT INTO sop_versions (digest, posted_at) VALUES (?, ?)");
    q.bind(1, digest);
    q.bind(2, detail::epoch(at));
    q.exec();
    impl_->enqueue(rows, "");
    impl_->append_audit(audit);
    txn.commit();
    return true;
  });
}

}  // namespace desk::storage
