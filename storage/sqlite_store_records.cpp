// SqliteStore: policy snapshots, rota overrides, post-mortems, fire drills and processed Slack ids.
#include <algorithm>
#include <tuple>

#include <nlohmann/json.hpp>

#include "storage/rows.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/sqlite_store_impl.hpp"

namespace desk::storage {

using detail::StatementUse;

void SqliteStore::save_policy_snapshot(const std::string& digest, const std::string& text) {
  impl_->run("saving a policy snapshot", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    // ON CONFLICT rather than INSERT OR IGNORE: OR IGNORE would swallow CHECK failures too.
    SQLite::Statement q(impl_->db,
                        "INSERT INTO policy_snapshots (digest, text) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING");
    q.bind(1, digest);
    q.bind(2, text);
    q.exec();
    txn.commit();
  });
}

std::optional<std::string> SqliteStore::policy_snapshot(const std::string& digest) {
  return impl_->run("reading a policy snapshot", [&]() -> std::optional<std::string> {
    SQLite::Statement q(impl_->db, "SELECT text FROM policy_snapshots WHERE digest = ?");
    q.bind(1, digest);
    if (!q.executeStep()) return std::nullopt;
    return detail::text(q, 0);
  });
}

std::int64_t SqliteStore::add_override(const core::RotaOverride& o, const core::AuditEvent& audit) {
  return impl_->run("adding a rota override", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(impl_->db,
                        "INSERT INTO rota_overrides (role, person, from_at, until_at, reason, created_by) "
                        "VALUES (?, ?, ?, ?, ?, ?)");
    q.bind(1, o.role);
    q.bind(2, o.person);
    q.bind(3, detail::epoch(o.from));
    q.bind(4, detail::epoch(o.until));
    q.bind(5, o.reason);
    q.bind(6, o.created_by);
    q.exec();
    const std::int64_t id = impl_->db.getLastInsertRowid();
    core::AuditEvent event = audit;
    if (std::none_of(event.fields.begin(), event.fields.end(), [](const auto& f) { return f.first == "override_id"; }))
      event.fields.emplace_back("override_id", std::to_string(id));
    impl_->append_audit({event});
    txn.commit();
    std::lock_guard lock(overrides_->mutex);
    overrides_->valid = false;
    ++overrides_->generation;
    return id;
  });
}

namespace {

std::optional<AnnouncedHolder> read_announced(SQLite::Database& db, const std::string& role) {
  SQLite::Statement q(db, "SELECT person, since, announced_at FROM duty_announcements WHERE role = ?");
  q.bind(1, role);
  if (!q.executeStep()) return std::nullopt;
  return AnnouncedHolder{role, detail::text(q, 0), detail::time_at(q.getColumn(1).getInt64()),
                         detail::time_at(q.getColumn(2).getInt64())};
}

}  // namespace

std::optional<core::TimePoint> SqliteStore::first_recorded_at() {
  return impl_->run("reading when the store began", [&]() -> std::optional<core::TimePoint> {
    SQLite::Statement q(impl_->db, "SELECT at FROM audit ORDER BY seq LIMIT 1");
    if (!q.executeStep()) return std::nullopt;
    return detail::time_at(q.getColumn(0).getInt64());
  });
}

bool SqliteStore::digest_posted(const std::string& week) {
  return impl_->run("reading the weekly digests", [&] {
    SQLite::Statement q(impl_->db, "SELECT 1 FROM weekly_digests WHERE week = ?");
    q.bind(1, week);
    return q.executeStep();
  });
}

bool SqliteStore::record_digest(const std::string& week, core::TimePoint at, const std::vector<OutboxMessage>& rows,
                                const std::vector<core::AuditEvent>& audit) {
  return impl_->run("recording a weekly digest", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(impl_->db,
                        "INSERT INTO weekly_digests (week, posted_at) VALUES (?, ?) ON CONFLICT (week) DO NOTHING");
    q.bind(1, week);
    q.bind(2, detail::epoch(at));
    if (q.exec() == 0) return false;  // posted already: the transaction rolls back, nothing written
    impl_->enqueue(rows, "");
    impl_->append_audit(audit);
    txn.commit();
    return true;
  });
}

std::optional<AnnouncedHolder> SqliteStore::announced_holder(const std::string& role) {
  return impl_->run("reading the announced duty holder", [&] { return read_announced(impl_->db, role); });
}

bool SqliteStore::announce_holder(const AnnouncedHolder& holder, const std::optional<std::string>& expected,
                                  const std::vector<OutboxMessage>& notice,
                                  const std::vector<core::AuditEvent>& audit) {
  return impl_->run("announcing a duty holder", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    const auto current = read_announced(impl_->db, holder.role);
    if ((current ? std::optional<std::string>(current->person) : std::nullopt) != expected) return false;
    SQLite::Statement q(impl_->db,
                        "INSERT INTO duty_announcements (role, person, since, announced_at) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (role) DO UPDATE SET person = excluded.person, since = excluded.since, "
                        "announced_at = excluded.announced_at");
    q.bind(1, holder.role);
    q.bind(2, holder.person);
    q.bind(3, detail::epoch(holder.since));
    q.bind(4, detail::epoch(holder.announced_at));
    q.exec();
    impl_->enqueue(notice, "");
    impl_->append_audit(audit);
    txn.commit();
    return true;
  });
}

std::vector<core::RotaOverride> SqliteStore::overrides_active_after(core::TimePoint t) {
  OverridesCache& cache = *overrides_;
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(cache.mutex);
    // What ends after t is among what ends after any earlier time.
    if (cache.valid && t >= cache.after && now - cache.read_at < cache.kept_for) {
      std::vector<core::RotaOverride> out;
      for (const auto& o : cache.rows)
        if (o.until > t) out.push_back(o);
      return out;
    }
    generation = cache.generation;
  }
  auto rows = read_overrides_after(t);
  std::lock_guard lock(cache.mutex);
  if (cache.generation == generation && cache.kept_for.count() > 0) {
    cache.valid = true;
    cache.after = t;
    cache.read_at = now;
    cache.rows = rows;
  }
  return rows;
}

std::vector<core::RotaOverride> SqliteStore::read_overrides_after(core::TimePoint t) {
  return reads().run("reading rota overrides", [&] {
    StatementUse use(reads().select_overrides);
    SQLite::Statement& q = *use;
    q.bind(1, detail::epoch(t));
    std::vector<core::RotaOverride> out;
    while (q.executeStep())
      out.push_back({q.getColumn(0).getInt64(), detail::text(q, 1), detail::text(q, 2),
                     detail::time_at(q.getColumn(3).getInt64()), detail::time_at(q.getColumn(4).getInt64()),
                     detail::text(q, 5), detail::text(q, 6)});
    return out;
  });
}

namespace {

constexpr const char* kSelectPostMortems =
    "SELECT id, escalation_id, author, at, what_triggered, what_fixed, what_to_automate, edited_at, edited_by "
    "FROM postmortems ";

PostMortem postmortem_row(SQLite::Statement& q) {
  PostMortem p;
  p.id = q.getColumn(0).getInt64();
  p.escalation_id = detail::text(q, 1);
  p.author = detail::text(q, 2);
  p.at = detail::time_at(q.getColumn(3).getInt64());
  p.what_triggered = detail::text(q, 4);
  p.what_fixed = detail::text(q, 5);
  p.what_to_automate = detail::text(q, 6);
  p.edited_at = detail::optional_time(q, 7);
  p.edited_by = detail::text(q, 8);
  return p;
}

std::vector<PostMortem> postmortem_rows(SQLite::Statement& q) {
  std::vector<PostMortem> out;
  while (q.executeStep()) out.push_back(postmortem_row(q));
  return out;
}

}  // namespace

std::int64_t SqliteStore::add_postmortem(const PostMortem& p, const std::vector<OutboxMessage>& outbox) {
  return impl_->run("adding a post-mortem", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement existing(impl_->db, "SELECT id FROM postmortems WHERE escalation_id = ? LIMIT 1");
    existing.bind(1, p.escalation_id);
    if (existing.executeStep())
      throw StorageError(StorageError::Code::conflict, p.escalation_id + " has a post-mortem already (" +
                                                           std::to_string(existing.getColumn(0).getInt64()) +
                                                           "): edit that one");
    SQLite::Statement q(impl_->db,
                        "INSERT INTO postmortems (escalation_id, author, at, what_triggered, what_fixed, "
                        "what_to_automate) VALUES (?, ?, ?, ?, ?, ?)");
    q.bind(1, p.escalation_id);
    q.bind(2, p.author);
    q.bind(3, detail::epoch(p.at));
    q.bind(4, p.what_triggered);
    q.bind(5, p.what_fixed);
    q.bind(6, p.what_to_automate);
    q.exec();
    const std::int64_t id = impl_->db.getLastInsertRowid();
    impl_->append_audit(
        {{"postmortem.filed", p.escalation_id, p.author, p.at, {{"postmortem_id", std::to_string(id)}}}});
    impl_->enqueue(outbox, p.escalation_id);
    txn.commit();
    return id;
  });
}

void SqliteStore::edit_postmortem(const PostMortem& p, const std::vector<OutboxMessage>& outbox) {
  impl_->run("editing a post-mortem", [&] {
    if (!p.edited_at || p.edited_by.empty())
      throw StorageError(StorageError::Code::constraint, "a post-mortem edit needs its time and who made it");
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement read(impl_->db, std::string(kSelectPostMortems) + "WHERE id = ? AND escalation_id = ?");
    read.bind(1, p.id);
    read.bind(2, p.escalation_id);
    if (!read.executeStep())
      throw StorageError(StorageError::Code::not_found,
                         "no post-mortem " + std::to_string(p.id) + " of " + p.escalation_id + " to edit");
    const PostMortem before = postmortem_row(read);
    read.reset();
    std::string changed;
    for (const auto& [name, was, now] : {std::tuple{"what_triggered", &before.what_triggered, &p.what_triggered},
                                         std::tuple{"what_fixed", &before.what_fixed, &p.what_fixed},
                                         std::tuple{"what_to_automate", &before.what_to_automate, &p.what_to_automate}})
      if (*was != *now) changed += (changed.empty() ? "" : ",") + std::string(name);
    SQLite::Statement q(impl_->db,
                        "UPDATE postmortems SET what_triggered = ?, what_fixed = ?, what_to_automate = ?, "
                        "edited_at = ?, edited_by = ? WHERE id = ?");
    q.bind(1, p.what_triggered);
    q.bind(2, p.what_fixed);
    q.bind(3, p.what_to_automate);
    q.bind(4, detail::epoch(*p.edited_at));
    q.bind(5, p.edited_by);
    q.bind(6, p.id);
    q.exec();
    impl_->append_audit({{"postmortem.edited",
                          p.escalation_id,
                          p.edited_by,
                          *p.edited_at,
                          {{"postmortem_id", std::to_string(p.id)}, {"changed", changed}}}});
    impl_->enqueue(outbox, p.escalation_id);
    txn.commit();
  });
}

std::vector<PostMortem> SqliteStore::postmortems(const std::string& escalation_id) {
  return impl_->run("reading post-mortems", [&] {
    SQLite::Statement q(impl_->db, std::string(kSelectPostMortems) + "WHERE escalation_id = ? ORDER BY id");
    q.bind(1, escalation_id);
    return postmortem_rows(q);
  });
}

std::vector<PostMortem> SqliteStore::postmortems_filed_since(core::TimePoint since) {
  return impl_->run("reading post-mortems", [&] {
    SQLite::Statement q(impl_->db, std::string(kSelectPostMortems) + "WHERE at >= ? ORDER BY at, id");
    q.bind(1, detail::epoch(since));
    return postmortem_rows(q);
  });
}

namespace {

std::string checks_json(const core::DrillScore& score) {
  auto checks = nlohmann::json::array();
  for (const auto& c : score.checks)
    checks.push_back({{"name", c.name}, {"points", c.points}, {"max", c.max}, {"reason", c.reason}});
  return checks.dump();
}

/// The checks as stored; a row that does not parse (edited by hand) reads as having none.
std::vector<core::DrillCheck> parse_checks(const std::string& text) {
  std::vector<core::DrillCheck> out;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& c : j) {
    if (!c.is_object()) continue;
    out.push_back({c.value("name", ""), c.value("points", 0), c.value("max", 0), c.value("reason", "")});
  }
  return out;
}

constexpr const char* kSelectDrills =
    "SELECT id, scenario, workflow, started_by, started_at, coalesce(escalation_id, ''), scored_at, score, "
    "checks_json FROM drills ";

std::vector<Drill> drill_rows(SQLite::Statement& q) {
  std::vector<Drill> out;
  while (q.executeStep()) {
    Drill d;
    d.id = q.getColumn(0).getInt64();
    d.scenario = detail::text(q, 1);
    d.workflow = detail::text(q, 2);
    d.started_by = detail::text(q, 3);
    d.started_at = detail::time_at(q.getColumn(4).getInt64());
    d.escalation_id = detail::text(q, 5);
    d.scored_at = detail::optional_time(q, 6);
    if (!q.isColumnNull(7)) d.score = core::DrillScore{q.getColumn(7).getInt(), parse_checks(detail::text(q, 8))};
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

std::int64_t SqliteStore::Impl::insert_drill(const Drill& d, const std::string& escalation_id) {
  if (d.score && (d.score->points < 0 || d.score->points > 100))
    throw StorageError(StorageError::Code::constraint, "a drill's score is 0 to 100");
  SQLite::Statement q(db,
                      "INSERT INTO drills (scenario, workflow, started_by, started_at, escalation_id, scored_at, "
                      "score, checks_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, d.scenario);
  q.bind(2, d.workflow);
  q.bind(3, d.started_by);
  q.bind(4, detail::epoch(d.started_at));
  if (escalation_id.empty())
    q.bind(5);
  else
    q.bind(5, escalation_id);
  if (d.score)
    q.bind(6, detail::epoch(d.scored_at.value_or(d.started_at)));
  else
    q.bind(6);
  if (d.score)
    q.bind(7, d.score->points);
  else
    q.bind(7);
  q.bind(8, d.score ? checks_json(*d.score) : std::string("[]"));
  q.exec();
  return db.getLastInsertRowid();
}

void SqliteStore::Impl::score_drill(const std::string& escalation_id, const DrillScoring& scoring) {
  if (scoring.score.points < 0 || scoring.score.points > 100)
    throw StorageError(StorageError::Code::constraint, "a drill's score is 0 to 100");
  SQLite::Statement q(db,
                      "UPDATE drills SET scored_at = max(started_at, ?), score = ?, checks_json = ? "
                      "WHERE escalation_id = ? AND scored_at IS NULL");
  q.bind(1, detail::epoch(scoring.at));
  q.bind(2, scoring.score.points);
  q.bind(3, checks_json(scoring.score));
  q.bind(4, escalation_id);
  if (q.exec() == 1) return;
  SQLite::Statement any(db, "SELECT 1 FROM drills WHERE escalation_id = ?");
  any.bind(1, escalation_id);
  if (any.executeStep())
    throw StorageError(StorageError::Code::conflict, "the drill of " + escalation_id + " was scored already");
  throw StorageError(StorageError::Code::not_found, escalation_id + " is no fire drill's escalation");
}

std::int64_t SqliteStore::add_drill(const Drill& d, const std::vector<core::AuditEvent>& audit) {
  return impl_->run("adding a fire drill", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    const std::int64_t id = impl_->insert_drill(d, d.escalation_id);
    impl_->append_audit(audit);
    txn.commit();
    return id;
  });
}

std::vector<Drill> SqliteStore::drills(core::TimePoint since) {
  return impl_->run("reading fire drills", [&] {
    SQLite::Statement q(impl_->db, std::string(kSelectDrills) + "WHERE started_at >= ? ORDER BY started_at, id");
    q.bind(1, detail::epoch(since));
    return drill_rows(q);
  });
}

std::optional<Drill> SqliteStore::drill_of(const std::string& escalation_id) {
  return impl_->run("reading a fire drill", [&]() -> std::optional<Drill> {
    SQLite::Statement q(impl_->db, std::string(kSelectDrills) + "WHERE escalation_id = ?");
    q.bind(1, escalation_id);
    auto rows = drill_rows(q);
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
  });
}

int SqliteStore::mark_processed_batch(const std::vector<std::string>& ids, core::TimePoint at) {
  if (ids.empty()) return 0;
  return impl_->run("recording processed ids", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    int added = 0;
    for (const auto& id : ids) {
      StatementUse q(impl_->mark_processed);
      q->bind(1, id);
      q->bind(2, detail::epoch(at));
      added += q->exec();
    }
    txn.commit();
    return added;
  });
}

std::vector<ProcessedId> SqliteStore::processed_since(core::TimePoint at) {
  return impl_->run("reading processed ids", [&] {
    // The key (at, id) serves the range; an id recorded twice in it counts from its first time.
    SQLite::Statement q(impl_->db,
                        "SELECT id, min(at) AS first FROM processed_ids WHERE at >= ? GROUP BY id ORDER BY first, id");
    q.bind(1, detail::epoch(at));
    std::vector<ProcessedId> out;
    while (q.executeStep()) out.push_back({detail::text(q, 0), detail::time_at(q.getColumn(1).getInt64())});
    return out;
  });
}

int SqliteStore::prune_processed(core::TimePoint before) {
  return impl_->run("pruning processed ids", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(impl_->db, "DELETE FROM processed_ids WHERE at < ?");
    q.bind(1, detail::epoch(before));
    const int removed = q.exec();
    txn.commit();
    return removed;
  });
}

}  // namespace desk::storage
