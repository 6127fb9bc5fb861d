// SqliteStore: the transactional outbox (rows written with the change that caused them, then sent
// in order per ordering key) and where each escalation's main message lives on each surface.
#include <sqlite3.h>

#include "storage/rows.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/sqlite_store_impl.hpp"

namespace desk::storage {

using detail::StatementUse;

namespace {

// Senders pass on what the far side said; a whole HTML error page is not worth keeping per attempt.
constexpr std::size_t kMaxErrorBytes = 2000;

std::string bounded_error(const std::string& error) {
  if (error.size() <= kMaxErrorBytes) return error;
  std::size_t cut = kMaxErrorBytes;
  while (cut > 0 && (static_cast<unsigned char>(error[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return error.substr(0, cut) + " [truncated]";
}

/// Runs a prepared state change of row `id`; when it changed nothing, says why: no such row, or a
/// state that does not allow `change`. The message names the id and states only, never the payload.
void change_state(SqliteStore::Impl& impl, SQLite::Statement& change, std::int64_t id, const char* what) {
  int changed = 0;
  {
    StatementUse q(change);
    changed = q->exec();
  }
  if (changed == 1) return;
  StatementUse q(impl.outbox_state);
  q->bind(1, id);
  if (!q->executeStep()) throw StorageError(StorageError::Code::not_found, "no outbox message " + std::to_string(id));
  throw StorageError(StorageError::Code::conflict,
                     "outbox message " + std::to_string(id) + " is " + detail::text(*q, 0) + ": it cannot be " + what);
}

std::vector<OutboxMessage> read_all(SQLite::Statement& q) {
  std::vector<OutboxMessage> out;
  while (q.executeStep()) out.push_back(detail::read_outbox(q));
  return out;
}

/// Binds :surfaces as a JSON array of names, or NULL for every surface.
void bind_surfaces(SQLite::Statement& q, const std::optional<std::vector<std::string>>& surfaces) {
  if (!surfaces) {
    q.bind(":surfaces");
    return;
  }
  std::string array = "[";
  for (const auto& name : *surfaces) {
    if (array.size() > 1) array += ',';
    array += '"';
    for (char c : name) {
      // Surface names are the desk's own identifiers; escape anyway so no name can break the array.
      if (c == '"' || c == '\\') array += '\\';
      array += c;
    }
    array += '"';
  }
  q.bind(":surfaces", array + "]");
}

MessageRef read_message_ref(const SQLite::Statement& q, const std::string& escalation_id) {
  return MessageRef{escalation_id, detail::text(q, 0), detail::text(q, 1), detail::text(q, 2), detail::text(q, 3)};
}

std::vector<OutboxMessage> due_rows(SqliteStore::Impl& impl, core::TimePoint now, int limit,
                                    const std::optional<std::vector<std::string>>& surfaces) {
  StatementUse q(impl.outbox_due);
  bind_surfaces(*q, surfaces);
  q->bind(":now", detail::epoch(now));
  q->bind(":limit", limit > 0 ? limit : -1);
  return read_all(*q);
}

void mark_sending(SqliteStore::Impl& impl, std::int64_t id, core::TimePoint at) {
  impl.outbox_sending.bind(1, id);
  impl.outbox_sending.bind(2, detail::epoch(at));
  change_state(impl, impl.outbox_sending, id, "sent again");
}

void mark_sent(SqliteStore::Impl& impl, std::int64_t id, const std::string& result_json, core::TimePoint at) {
  impl.outbox_sent.bind(1, id);
  impl.outbox_sent.bind(2, result_json);
  impl.outbox_sent.bind(3, detail::epoch(at));
  change_state(impl, impl.outbox_sent, id, "marked sent (only a sending one can)");
}

void retry(SqliteStore::Impl& impl, std::int64_t id, core::TimePoint next_attempt_at, const std::string& error) {
  impl.outbox_retry.bind(1, id);
  impl.outbox_retry.bind(2, detail::epoch(next_attempt_at));
  impl.outbox_retry.bind(3, bounded_error(error));
  change_state(impl, impl.outbox_retry, id, "retried");
}

void fail(SqliteStore::Impl& impl, std::int64_t id, const std::string& error) {
  impl.outbox_fail.bind(1, id);
  impl.outbox_fail.bind(2, bounded_error(error));
  change_state(impl, impl.outbox_fail, id, "failed");
}

void upsert_message(SqliteStore::Impl& impl, const MessageRef& ref) {
  StatementUse q(impl.upsert_message);
  q->bind(1, ref.escalation_id);
  q->bind(2, ref.surface);
  q->bind(3, ref.channel);
  q->bind(4, ref.message_id);
  q->bind(5, ref.permalink);
  q->exec();
}

/// Why the settlement being handled (in a catch block) failed, as a StorageError would say it.
std::string settlement_problem() {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    return storage_error("settling an outbox message", e).what();
  } catch (const std::exception& e) { return e.what(); }
}

/// One settlement inside the caller's transaction; the state change first, so a row that throws
/// (unknown, or no longer sending) has written nothing.
void settle(SqliteStore::Impl& impl, const OutboxSettlement& s) {
  switch (s.outcome) {
    case OutboxSettlement::Outcome::sent:
      mark_sent(impl, s.id, s.result_json.empty() ? "{}" : s.result_json, s.at);
      if (s.message) upsert_message(impl, *s.message);
      return;
    case OutboxSettlement::Outcome::retry:
      retry(impl, s.id, s.at, s.error);
      return;
    case OutboxSettlement::Outcome::fail:
      fail(impl, s.id, s.error);
      return;
  }
}

}  // namespace

std::int64_t SqliteStore::Impl::enqueue(const std::vector<OutboxMessage>& messages, const std::string& escalation_id) {
  std::int64_t last = 0;
  for (const OutboxMessage& m : messages) {
    const std::string& escalation = m.escalation_id.empty() ? escalation_id : m.escalation_id;
    if (m.surface.empty())
      throw StorageError(StorageError::Code::constraint, "outbox message of kind '" + m.kind + "' names no surface");
    std::string key = m.ordering_key;
    if (key.empty()) {
      if (escalation.empty())
        throw StorageError(StorageError::Code::constraint,
                           "outbox message of kind '" + m.kind + "' has neither an ordering key nor an escalation");
      key = m.surface + ":" + escalation;
    }
    StatementUse q(insert_outbox);
    q->bind(1, m.kind);
    if (escalation.empty())
      q->bind(2);
    else
      q->bind(2, escalation);
    q->bind(3, key);
    q->bind(4, m.payload_json);
    q->bind(5, detail::epoch(m.created_at));
    q->bind(6, detail::epoch(m.next_attempt_at));
    q->bind(7, m.surface);
    q->exec();
    last = db.getLastInsertRowid();
  }
  return last;
}

std::int64_t SqliteStore::enqueue(const std::vector<OutboxMessage>& messages,
                                  const std::vector<core::AuditEvent>& audit) {
  return impl_->run("enqueuing outbox messages", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    const std::int64_t last = impl_->enqueue(messages, "");
    impl_->append_audit(audit);
    txn.commit();
    return last;
  });
}

std::vector<OutboxMessage> SqliteStore::outbox_due(core::TimePoint now, int limit,
                                                   const std::optional<std::vector<std::string>>& surfaces) {
  return impl_->run("listing due outbox messages", [&] { return due_rows(*impl_, now, limit, surfaces); });
}

std::vector<OutboxMessage> SqliteStore::outbox_claim(core::TimePoint now, int limit,
                                                     const std::optional<std::vector<std::string>>& surfaces) {
  return impl_->run("claiming due outbox messages", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    auto rows = due_rows(*impl_, now, limit, surfaces);
    for (OutboxMessage& row : rows) {
      mark_sending(*impl_, row.id, now);
      ++row.attempts;
      row.state = OutboxMessage::State::sending;
      row.last_attempt_at = now;
    }
    txn.commit();
    return rows;
  });
}

std::vector<std::string> SqliteStore::outbox_settle(const std::vector<OutboxSettlement>& settlements) {
  return impl_->run("settling outbox messages", [&] {
    SQLite::Database& db = impl_->db;
    SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
    std::vector<std::string> problems;
    problems.reserve(settlements.size());
    for (const OutboxSettlement& s : settlements) {
      // A savepoint each: a row whose state moved on, or whose result the schema refuses, is left as
      // it was and says why; the others are settled all the same.
      db.exec("SAVEPOINT settlement");
      try {
        settle(*impl_, s);
        db.exec("RELEASE settlement");
        problems.emplace_back();
      } catch (...) {
        problems.push_back(settlement_problem());
        // Some failures (I/O, a full disk) end the whole transaction: then nothing is settled.
        if (sqlite3_get_autocommit(db.getHandle()) != 0) throw;
        db.exec("ROLLBACK TO settlement");
        db.exec("RELEASE settlement");
      }
    }
    txn.commit();
    return problems;
  });
}

std::vector<OutboxMessage> SqliteStore::outbox_history(const std::string& surface, int limit) {
  return impl_->run("listing a surface's outbox messages", [&] {
    // The newest `limit` rows, handed back oldest first.
    SQLite::Statement q(impl_->db, std::string("SELECT * FROM (SELECT ") + detail::kOutboxColumns +
                                       " FROM outbox o WHERE o.surface = ? ORDER BY o.id DESC LIMIT ?) ORDER BY id");
    q.bind(1, surface);
    q.bind(2, limit <= 0 ? std::int64_t{-1} : std::int64_t{limit});
    return read_all(q);
  });
}

std::vector<OutboxMessage> SqliteStore::outbox_of_escalation(const std::string& escalation_id, int limit) {
  return reads().run("listing an escalation's outbox messages", [&] {
    SQLite::Statement q(reads().db,
                        std::string("SELECT * FROM (SELECT ") + detail::kOutboxColumns +
                            " FROM outbox o WHERE o.escalation_id = ? ORDER BY o.id DESC LIMIT ?) ORDER BY id");
    q.bind(1, escalation_id);
    q.bind(2, limit <= 0 ? std::int64_t{-1} : std::int64_t{limit});
    return read_all(q);
  });
}

std::vector<OutboxMessage> SqliteStore::outbox_in_doubt() {
  return impl_->run("listing in-doubt outbox messages", [&] {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + detail::kOutboxColumns +
                                       " FROM outbox o WHERE o.state = 'sending' ORDER BY o.id");
    return read_all(q);
  });
}

std::optional<OutboxMessage> SqliteStore::outbox_message(std::int64_t id) {
  return impl_->run("reading an outbox message", [&]() -> std::optional<OutboxMessage> {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + detail::kOutboxColumns + " FROM outbox o WHERE o.id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return detail::read_outbox(q);
  });
}

void SqliteStore::outbox_mark_sending(std::int64_t id, core::TimePoint at) {
  impl_->run("marking an outbox message as sending", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    mark_sending(*impl_, id, at);
    txn.commit();
  });
}

void SqliteStore::outbox_mark_sent(std::int64_t id, const std::string& result_json, core::TimePoint at) {
  impl_->run("marking an outbox message as sent", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    mark_sent(*impl_, id, result_json, at);
    txn.commit();
  });
}

void SqliteStore::outbox_retry(std::int64_t id, core::TimePoint next_attempt_at, const std::string& error) {
  impl_->run("scheduling an outbox retry", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    retry(*impl_, id, next_attempt_at, error);
    txn.commit();
  });
}

void SqliteStore::outbox_fail(std::int64_t id, const std::string& error) {
  impl_->run("failing an outbox message", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    fail(*impl_, id, error);
    txn.commit();
  });
}

std::optional<core::TimePoint> SqliteStore::outbox_next_attempt(
    const std::optional<std::vector<std::string>>& surfaces) {
  return impl_->run("finding the next outbox attempt", [&]() -> std::optional<core::TimePoint> {
    StatementUse q(impl_->outbox_next_attempt);
    bind_surfaces(*q, surfaces);
    if (!q->executeStep()) return std::nullopt;
    return detail::optional_time(*q, 0);
  });
}

OutboxFailures SqliteStore::outbox_failures(int latest) {
  return impl_->run("counting failed outbox messages", [&] {
    SQLite::Transaction snapshot(impl_->db, SQLite::TransactionBehavior::DEFERRED);
    OutboxFailures failures;
    failures.count = impl_->db.execAndGet("SELECT count(*) FROM outbox WHERE state = 'failed'").getInt64();
    SQLite::Statement q(impl_->db, std::string("SELECT ") + detail::kOutboxColumns +
                                       " FROM outbox o WHERE o.state = 'failed' ORDER BY o.id DESC LIMIT ?");
    q.bind(1, std::int64_t{latest > 0 ? latest : 0});
    failures.latest = read_all(q);
    return failures;
  });
}

OutboxStats SqliteStore::outbox_stats() {
  return impl_->run("counting outbox messages", [&] {
    SQLite::Transaction snapshot(impl_->db, SQLite::TransactionBehavior::DEFERRED);
    OutboxStats stats;
    SQLite::Statement counts(impl_->db, "SELECT state, count(*) FROM outbox GROUP BY state");
    while (counts.executeStep()) {
      const std::string state = detail::text(counts, 0);
      const std::int64_t n = counts.getColumn(1).getInt64();
      if (state == "pending")
        stats.pending = n;
      else if (state == "sending")
        stats.sending = n;
      else if (state == "sent")
        stats.sent = n;
      else if (state == "failed")
        stats.failed = n;
    }
    SQLite::Statement oldest(impl_->db, "SELECT min(created_at) FROM outbox WHERE state = 'pending'");
    oldest.executeStep();
    stats.oldest_pending_created_at = detail::optional_time(oldest, 0);
    return stats;
  });
}

void SqliteStore::record_message(const MessageRef& ref) {
  impl_->run("recording a message reference", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    upsert_message(*impl_, ref);
    txn.commit();
  });
}

std::optional<MessageRef> SqliteStore::message(const std::string& escalation_id, const std::string& surface) {
  return reads().run("reading a message reference", [&]() -> std::optional<MessageRef> {
    SQLite::Statement q(reads().db,
                        "SELECT surface, channel, message_id, permalink FROM surface_messages "
                        "WHERE escalation_id = ? AND surface = ?");
    q.bind(1, escalation_id);
    q.bind(2, surface);
    if (!q.executeStep()) return std::nullopt;
    return read_message_ref(q, escalation_id);
  });
}

std::optional<std::string> SqliteStore::escalation_of_message(const std::string& surface, const std::string& channel,
                                                              const std::string& message_id) {
  return reads().run("finding an escalation by its message", [&]() -> std::optional<std::string> {
    SQLite::Statement q(reads().db,
                        "SELECT escalation_id FROM surface_messages WHERE surface = ? AND channel = ? AND "
                        "message_id = ? LIMIT 1");
    q.bind(1, surface);
    q.bind(2, channel);
    q.bind(3, message_id);
    if (!q.executeStep()) return std::nullopt;
    return detail::text(q, 0);
  });
}

std::vector<MessageRef> SqliteStore::messages(const std::string& escalation_id) {
  return reads().run("reading message references", [&] {
    SQLite::Statement q(reads().db,
                        "SELECT surface, channel, message_id, permalink FROM surface_messages "
                        "WHERE escalation_id = ? ORDER BY surface");
    q.bind(1, escalation_id);
    std::vector<MessageRef> out;
    while (q.executeStep()) out.push_back(read_message_ref(q, escalation_id));
    return out;
  });
}

}  // namespace desk::storage
