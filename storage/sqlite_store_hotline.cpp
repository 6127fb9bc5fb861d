// SqliteStore: messages raised in the desk channel by mentioning the desk (the hotline).
#include "storage/rows.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/sqlite_store_impl.hpp"

namespace desk::storage {
namespace {

constexpr const char* kHotlineColumns =
    "SELECT surface, channel, message_id, thread_id, author, coalesce(text, ''), received_at, "
    "coalesce(escalation_id, '') FROM hotline_messages ";

HotlineMessage read_hotline(const SQLite::Statement& q) {
  HotlineMessage m;
  m.key = {detail::text(q, 0), detail::text(q, 1), detail::text(q, 2)};
  m.thread_id = detail::text(q, 3);
  m.author = detail::text(q, 4);
  m.text = detail::text(q, 5);
  m.received_at = detail::time_at(q.getColumn(6).getInt64());
  m.escalation_id = detail::text(q, 7);
  return m;
}

// Binds a message's key to three consecutive parameters from `first`.
void bind_key(SQLite::Statement& q, int first, const MessageKey& key) {
  q.bind(first, key.surface);
  q.bind(first + 1, key.channel);
  q.bind(first + 2, key.message_id);
}

}  // namespace

bool SqliteStore::record_hotline_message(const HotlineMessage& m) {
  return impl_->run("recording a hotline message", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(impl_->db,
                        "INSERT INTO hotline_messages (surface, channel, message_id, thread_id, author, text, "
                        "received_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (surface, channel, message_id) DO NOTHING");
    bind_key(q, 1, m.key);
    q.bind(4, m.thread_id);
    q.bind(5, m.author);
    q.bind(6, m.text);
    q.bind(7, detail::epoch(m.received_at));
    if (q.exec() == 0) return false;
    txn.commit();
    return true;
  });
}

std::vector<HotlineMessage> SqliteStore::pending_hotline_messages(const std::string& surface) {
  return impl_->run("reading pending hotline messages", [&] {
    SQLite::Statement q(impl_->db, std::string(kHotlineColumns) +
                                       "WHERE surface = ? AND escalation_id IS NULL ORDER BY received_at, message_id");
    q.bind(1, surface);
    std::vector<HotlineMessage> out;
    while (q.executeStep()) out.push_back(read_hotline(q));
    return out;
  });
}

std::optional<HotlineMessage> SqliteStore::hotline_message(const MessageKey& key) {
  return impl_->run("reading a hotline message", [&]() -> std::optional<HotlineMessage> {
    SQLite::Statement q(impl_->db,
                        std::string(kHotlineColumns) + "WHERE surface = ? AND channel = ? AND message_id = ?");
    bind_key(q, 1, key);
    if (!q.executeStep()) return std::nullopt;
    return read_hotline(q);
  });
}

void SqliteStore::Impl::attach_hotline_message(const MessageKey& key, const std::string& escalation_id) {
  SQLite::Statement find(db,
                         "SELECT escalation_id IS NOT NULL FROM hotline_messages "
                         "WHERE surface = ? AND channel = ? AND message_id = ?");
  bind_key(find, 1, key);
  if (!find.executeStep())
    throw StorageError(StorageError::Code::not_found, "no hotline message " + key.channel + "/" + key.message_id);
  if (find.getColumn(0).getInt() != 0)
    throw StorageError(StorageError::Code::conflict,
                       "the hotline message " + key.channel + "/" + key.message_id + " has its escalation already");
  SQLite::Statement q(db,
                      "UPDATE hotline_messages SET escalation_id = ?, text = NULL "
                      "WHERE surface = ? AND channel = ? AND message_id = ?");
  q.bind(1, escalation_id);
  bind_key(q, 2, key);
  q.exec();
}

}  // namespace desk::storage
