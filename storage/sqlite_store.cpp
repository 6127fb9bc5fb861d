// SqliteStore: opening, submissions and escalations. The audit trail and evidence are in
// sqlite_store_audit.cpp; snapshots, overrides, learning and processed ids in sqlite_store_records.cpp;
// the outbox and Slack posts in sqlite_store_outbox.cpp.
#include "storage/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>

#include "storage/audit_chain.hpp"
#include "storage/migrations.hpp"
#include "storage/rows.hpp"
#include "storage/sqlite_store_impl.hpp"

namespace desk::storage {

using detail::StatementUse;

namespace {

constexpr int kBusyTimeoutMs = 5000;

bool is_corruption(const SQLite::Exception& e) {
  const int code = e.getErrorCode() & 0xff;
  return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

// quick_check rather than integrity_check: it finds damaged pages and a truncated file in O(N)
// without the index cross-checks that make integrity_check slow on a large history.
void check_integrity(SQLite::Database& db, const std::string& path) {
  SQLite::Statement check(db, "PRAGMA quick_check");
  while (check.executeStep()) {
    const std::string line = check.getColumn(0).getString();
    if (line != "ok")
      throw StorageError(StorageError::Code::corrupt, path + " is not a valid Escalation Desk database: " + line);
  }
}

SQLite::Database open_database(const std::string& path, bool in_memory, bool check) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, kBusyTimeoutMs);
  db.exec("PRAGMA foreign_keys = ON");
  if (!in_memory && check) check_integrity(db, path);
  check_identity(db, path);  // before anything is written: never touch a file that is not ours
  if (!in_memory) {
    const std::string mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal")
      throw StorageError(StorageError::Code::io, "cannot switch " + path + " to WAL mode (got " + mode + ")");
  }
  // FULL: with WAL, NORMAL may lose the last commits on power loss; an acknowledged write must stay.
  db.exec("PRAGMA synchronous = FULL");
  // Erasure must leave no copy of the text in free pages or cells: deleted content is zeroed.
  db.exec("PRAGMA secure_delete = ON");
  migrate(db);
  return db;
}

std::optional<SubmissionIds> find_idempotent(SqliteStore::Impl& impl, const std::string& scope,
                                             const std::string& key) {
  StatementUse q(impl.find_idempotent);
  q->bind(1, scope);
  q->bind(2, key);
  if (!q->executeStep()) return std::nullopt;
  return SubmissionIds{detail::text(*q, 0), detail::text(*q, 1), true};
}

void insert_submission_rows(SqliteStore::Impl& impl, const std::string& id, const NewSubmission& s,
                            const std::string& digest) {
  const core::Submission& sub = s.submission;
  {
    StatementUse q(impl.insert_submission);
    q->bind(":id", id);
    q->bind(":received_at", detail::epoch(sub.submitted_at));
    q->bind(":workflow", sub.workflow);
    q->bind(":channel", sub.channel);
    q->bind(":agent", sub.agent);
    q->bind(":confidence", sub.confidence);
    q->bind(":citations_json", detail::citations_to_json(sub.citations));
    q->bind(":callback_url", sub.callback_url);
    q->bind(":verdict", core::to_string(s.verdict));
    const std::size_t total = std::max(s.hits.size(), s.escalation ? s.escalation->hit_count() : 0);
    q->bind(":hits_total", static_cast<std::int64_t>(total));
    q->bind(":idempotency_scope", s.idempotency_scope);
    if (s.idempotency_key.empty())
      q->bind(":idempotency_key");
    else
      q->bind(":idempotency_key", s.idempotency_key);
    q->exec();
  }
  {
    StatementUse q(impl.insert_evidence);
    q->bind(1, id);
    q->bind(2, sub.prompt);
    q->bind(3, sub.output);
    q->bind(4, sub.metadata_json);
    q->bind(5, sub.permalink);
    q->bind(6, sub.suggested_fix);
    q->bind(7, digest);
    q->exec();
  }
  // The submission's hits; a caller that put them only on the escalation still gets them kept.
  const auto& hits = !s.hits.empty() || !s.escalation ? s.hits : s.escalation->hits;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    StatementUse q(impl.insert_hit);
    detail::bind_hit(*q, id, static_cast<int>(i), hits[i]);
    q->exec();
  }
  for (std::size_t i = 0; i < s.shadow_hits.size(); ++i) {
    StatementUse q(impl.insert_shadow_hit);
    detail::bind_hit(*q, id, static_cast<int>(i), s.shadow_hits[i]);
    q->exec();
  }
}

std::string insert_escalation_rows(SqliteStore::Impl& impl, const std::string& submission_id,
                                   const core::Escalation& e) {
  const std::string id = impl.next_id("escalation", "ESC");
  {
    StatementUse q(impl.insert_escalation);
    q->bind(":id", id);
    q->bind(":submission_id", submission_id);
    q->bind(":workflow", e.workflow);
    q->bind(":channel", e.channel);
    q->bind(":agent", e.agent);
    q->bind(":manual", e.manual ? 1 : 0);
    q->bind(":drill", e.drill ? 1 : 0);
    q->bind(":policy_digest", e.policy_digest);
    q->bind(":opened_at", detail::epoch(e.opened_at));
    detail::bind_mutable_escalation(*q, e);
    q->exec();
  }
  impl.write_deadlines(id, e.generation, e.deadlines);
  return id;
}

// Every event of the batch names the submission and the evidence digest: that is how the chain
// covers the evidence without holding its text. With no events given, the store records one itself.
std::vector<core::AuditEvent> submission_audit(const NewSubmission& s, const SubmissionIds& ids,
                                               const std::string& digest) {
  std::vector<core::AuditEvent> events = s.audit;
  if (events.empty()) events.push_back({"submission.received", "", s.submission.agent, s.submission.submitted_at, {}});
  auto add_field = [](core::AuditEvent& e, const char* key, const std::string& value) {
    for (const auto& [k, v] : e.fields)
      if (k == key) return;
    e.fields.emplace_back(key, value);
  };
  for (auto& e : events) {
    if (e.escalation_id.empty()) e.escalation_id = ids.escalation_id;
    add_field(e, "submission_id", ids.submission_id);
    add_field(e, "evidence_digest", digest);
  }
  return events;
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl, std::unique_ptr<Impl> reader,
                         std::chrono::milliseconds overrides_kept_for)
    : impl_(std::move(impl)), reader_(std::move(reader)), overrides_(std::make_unique<OverridesCache>()) {
  overrides_->kept_for = overrides_kept_for;
}
SqliteStore::~SqliteStore() = default;

std::unique_ptr<SqliteStore> SqliteStore::open(const std::string& path, const StoreOptions& options) {
  const bool in_memory = path.empty() || path == ":memory:";
  try {
    auto impl = std::make_unique<Impl>(open_database(path, in_memory, options.check_integrity));
    impl->audit_key = options.audit_key;
    std::unique_ptr<Impl> reader;
    if (!in_memory) {
      // Opened after the writer has checked and migrated the file; it never writes.
      SQLite::Database db(path, SQLite::OPEN_READWRITE, kBusyTimeoutMs);
      db.exec("PRAGMA query_only = 1");
      reader = std::make_unique<Impl>(std::move(db));
      reader->audit_key = options.audit_key;
    }
    return std::unique_ptr<SqliteStore>(
        new SqliteStore(std::move(impl), std::move(reader), options.overrides_kept_for));
  } catch (const SQLite::Exception& e) {
    if (is_corruption(e))
      throw StorageError(StorageError::Code::corrupt, path + " is not a valid Escalation Desk database: " + e.what());
    throw storage_error("opening the database " + path, e);
  }
}

ConnectionSettings SqliteStore::settings() {
  return impl_->run("reading connection settings", [&] {
    auto pragma = [&](const char* name) { return impl_->db.execAndGet(std::string("PRAGMA ") + name); };
    return ConnectionSettings{pragma("journal_mode").getString(),   pragma("busy_timeout").getInt(),
                              pragma("foreign_keys").getInt() != 0, pragma("synchronous").getInt(),
                              pragma("user_version").getInt(),      pragma("secure_delete").getInt() != 0};
  });
}

SubmissionIds SqliteStore::Impl::add_submission_rows(const NewSubmission& s) {
  if ((s.verdict == core::Verdict::escalated) != s.escalation.has_value())
    throw StorageError(StorageError::Code::constraint,
                       "adding a submission: an escalated verdict needs an escalation, an approved one none");
  // Looked up inside the write transaction, so two retries racing cannot both get through.
  if (!s.idempotency_key.empty())
    if (auto first = storage::find_idempotent(*this, s.idempotency_scope, s.idempotency_key)) return *first;
  SubmissionIds ids;
  ids.submission_id = next_id("submission", "SUB");
  const std::string digest = evidence_digest(s.submission);
  insert_submission_rows(*this, ids.submission_id, s, digest);
  if (s.escalation) ids.escalation_id = insert_escalation_rows(*this, ids.submission_id, *s.escalation);
  if (s.drill) {
    if (!s.escalation || !s.escalation->drill)
      throw StorageError(StorageError::Code::constraint, "adding a submission: a drill's needs a drill escalation");
    insert_drill(*s.drill, ids.escalation_id);
  }
  if (s.hotline_source) attach_hotline_message(*s.hotline_source, ids.escalation_id);
  append_audit(submission_audit(s, ids, digest));
  enqueue(s.outbox, ids.escalation_id);
  if (s.response) {
    StatementUse q(set_response);
    q->bind(1, s.response(ids));
    q->bind(2, ids.submission_id);
    q->exec();
  }
  return ids;
}

SubmissionIds SqliteStore::add_submission(const NewSubmission& s) {
  return impl_->run("adding a submission", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    const SubmissionIds ids = impl_->add_submission_rows(s);
    if (!ids.replayed) txn.commit();
    return ids;
  });
}

std::optional<StoredSubmission> SqliteStore::submission(const std::string& id) {
  return impl_->run("reading a submission", [&]() -> std::optional<StoredSubmission> {
    SQLite::Transaction snapshot(impl_->db, SQLite::TransactionBehavior::DEFERRED);
    SQLite::Statement q(impl_->db,
                        "SELECT s.received_at, s.workflow, s.channel, s.agent, s.confidence, s.citations_json, "
                        "s.callback_url, s.verdict, coalesce(s.idempotency_key, ''), s.response_json, ev.prompt, "
                        "ev.output, ev.metadata_json, ev.permalink, ev.suggested_fix, coalesce(e.id, ''), s.hits_total "
                        "FROM submissions s JOIN evidence ev ON ev.submission_id = s.id "
                        "LEFT JOIN escalations e ON e.submission_id = s.id WHERE s.id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    StoredSubmission out;
    out.id = id;
    core::Submission& sub = out.submission;
    sub.submitted_at = detail::time_at(q.getColumn(0).getInt64());
    sub.workflow = detail::text(q, 1);
    sub.channel = detail::text(q, 2);
    sub.agent = detail::text(q, 3);
    sub.confidence = q.getColumn(4).getDouble();
    sub.citations = detail::citations_from_json(detail::text(q, 5));
    sub.callback_url = detail::text(q, 6);
    out.verdict = detail::text(q, 7) == "escalated" ? core::Verdict::escalated : core::Verdict::approved;
    out.idempotency_key = detail::text(q, 8);
    out.response_json = detail::text(q, 9);
    sub.prompt = detail::text(q, 10);
    sub.output = detail::text(q, 11);
    sub.metadata_json = detail::text(q, 12);
    sub.permalink = detail::text(q, 13);
    sub.suggested_fix = detail::text(q, 14);
    out.escalation_id = detail::text(q, 15);
    out.hits = impl_->hits_of(id);
    out.shadow_hits = impl_->shadow_hits_of(id);
    out.hits_total = std::max(out.hits.size(), static_cast<std::size_t>(q.getColumn(16).getInt64()));
    return out;
  });
}

std::optional<std::string> SqliteStore::submission_scope(const std::string& id) {
  return impl_->run("reading who submitted a submission", [&]() -> std::optional<std::string> {
    SQLite::Statement q(impl_->db, "SELECT idempotency_scope FROM submissions WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return detail::text(q, 0);
  });
}

std::size_t SqliteStore::rekey_idempotency_scopes(const std::vector<std::pair<std::string, std::string>>& renames) {
  if (renames.empty()) return 0;
  return impl_->run("keying the stored token digests", [&]() -> std::size_t {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(impl_->db,
                        "UPDATE OR IGNORE submissions SET idempotency_scope = ? WHERE idempotency_scope = ?");
    std::size_t changed = 0;
    for (const auto& [from, to] : renames) {
      q.bind(1, to);
      q.bind(2, from);
      changed += static_cast<std::size_t>(q.exec());
      q.reset();
    }
    txn.commit();
    return changed;
  });
}

std::size_t SqliteStore::open_escalations(const std::string& scope) {
  return reads().run("counting a token's undecided escalations", [&]() -> std::size_t {
    // From the undecided escalations (a partial index keeps them few) to their submissions' scope.
    SQLite::Statement q(reads().db,
                        "SELECT count(*) FROM escalations e JOIN submissions s ON s.id = e.submission_id "
                        "WHERE e.state IN ('open', 'triaged') AND s.idempotency_scope = ?");
    q.bind(1, scope);
    q.executeStep();
    return static_cast<std::size_t>(q.getColumn(0).getInt64());
  });
}

void SqliteStore::set_submission_response(const std::string& submission_id, const std::string& json) {
  impl_->run("saving a submission's response", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(impl_->db, "UPDATE submissions SET response_json = ? WHERE id = ?");
    q.bind(1, json);
    q.bind(2, submission_id);
    if (q.exec() == 0) throw StorageError(StorageError::Code::not_found, "no submission " + submission_id);
    txn.commit();
  });
}

std::optional<SubmissionIds> SqliteStore::find_by_idempotency_key(const std::string& scope, const std::string& key) {
  if (key.empty()) return std::nullopt;
  return impl_->run("looking up an idempotency key", [&] { return find_idempotent(*impl_, scope, key); });
}

std::optional<core::Escalation> SqliteStore::escalation(const std::string& id, Hits hits) {
  return reads().run("reading an escalation", [&]() -> std::optional<core::Escalation> {
    StatementUse q(reads().select_escalation);
    q->bind(1, id);
    auto found = reads().load_escalations(*q, hits);
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
  });
}

std::vector<core::Escalation> SqliteStore::escalations(std::optional<core::EscalationState> state, int limit,
                                                       Hits hits) {
  return reads().run("listing escalations", [&] {
    // Newest first; a limit of zero or less means no limit.
    SQLite::Statement q(reads().db, std::string("SELECT ") + detail::kEscalationColumns + " FROM escalations" +
                                        (state ? " WHERE state = :state" : "") + " ORDER BY rowid DESC LIMIT :limit");
    if (state) q.bind(":state", core::to_string(*state));
    q.bind(":limit", limit > 0 ? limit : -1);
    return reads().load_escalations(q, hits);
  });
}

std::vector<core::Escalation> SqliteStore::undecided_escalations(Hits hits) {
  return reads().run("listing undecided escalations", [&] {
    SQLite::Statement q(reads().db,
                        std::string("SELECT ") + detail::kEscalationColumns +
                            " FROM escalations WHERE state IN ('open', 'triaged') ORDER BY opened_at, rowid");
    return reads().load_escalations(q, hits);
  });
}

std::vector<core::Escalation> SqliteStore::escalations_opened_since(core::TimePoint since) {
  return impl_->run("listing escalations for a report",
                    [&] { return impl_->load_escalations_opened_since(detail::epoch(since)); });
}

core::MetricTotals SqliteStore::metric_totals() {
  return impl_->run("reading the figures /metrics starts from", [&] {
    core::MetricTotals t;
    // One snapshot for every figure, so they agree with each other.
    SQLite::Transaction snapshot(impl_->db, SQLite::TransactionBehavior::DEFERRED);
    const auto count_by = [&](const char* sql, std::map<std::string, double>& into) {
      SQLite::Statement q(impl_->db, sql);
      while (q.executeStep()) into[detail::text(q, 0)] += static_cast<double>(q.getColumn(1).getInt64());
    };
    // A submission is a drill's when its escalation is.
    count_by(
        "SELECT s.verdict, count(*) FROM submissions s LEFT JOIN escalations e ON e.submission_id = s.id "
        "WHERE coalesce(e.drill, 0) = 0 GROUP BY s.verdict",
        t.submissions);
    // The role that owned it when it opened is in its opening event (the escalation holds today's owner).
    count_by(
        "SELECT json_extract(a.fields, '$.owner_role'), count(*) FROM audit a "
        "JOIN escalations e ON e.id = a.escalation_id AND e.drill = 0 "
        "WHERE a.kind = 'escalation.opened' GROUP BY 1",
        t.escalations_opened);
    count_by("SELECT state, count(*) FROM escalations WHERE drill = 0 GROUP BY state", t.escalations);
    std::map<std::string, double> fired;
    count_by(
        "SELECT d.kind, count(*) FROM deadlines d JOIN escalations e ON e.id = d.escalation_id AND e.drill = 0 "
        "WHERE d.fired_at IS NOT NULL GROUP BY d.kind",
        fired);
    for (auto& [kind, n] : fired) (kind == "backup_ping" ? t.pings : t.breaches[kind]) += n;
    count_by(
        "SELECT h.rule_id, count(*) FROM trigger_hits h LEFT JOIN escalations e ON e.submission_id = "
        "h.submission_id WHERE coalesce(e.drill, 0) = 0 GROUP BY h.rule_id",
        t.hits);
    SQLite::Statement q(impl_->db,
                        "SELECT opened_at, triaged_at, decision_at FROM escalations "
                        "WHERE drill = 0 AND (triaged_at IS NOT NULL OR decision_at IS NOT NULL) ORDER BY rowid");
    while (q.executeStep()) {
      core::Escalation e;
      e.opened_at = detail::time_at(q.getColumn(0).getInt64());
      e.triaged_at = detail::optional_time(q, 1);
      if (const auto decided = detail::optional_time(q, 2))
        e.decision = core::Decision{core::Macro::accept, {}, *decided, {}};
      if (const auto responded = e.time_to_respond())
        t.times_to_respond.push_back(static_cast<double>(responded->count()));
    }
    return t;
  });
}

std::vector<core::ShadowFacts> SqliteStore::shadow_facts_since(core::TimePoint since) {
  return impl_->run("reading shadow-mode hits", [&] {
    SQLite::Statement q(impl_->db,
                        "SELECT s.id, s.received_at, s.verdict, h.rule_id FROM shadow_hits h "
                        "JOIN submissions s ON s.id = h.submission_id "
                        "LEFT JOIN escalations e ON e.submission_id = s.id "
                        "WHERE s.received_at >= ? AND coalesce(e.drill, 0) = 0 "
                        "GROUP BY s.id, h.rule_id ORDER BY s.received_at, s.id, h.rule_id");
    q.bind(1, detail::epoch(since));
    std::vector<core::ShadowFacts> out;
    std::string current;
    while (q.executeStep()) {
      if (out.empty() || detail::text(q, 0) != current) {
        current = detail::text(q, 0);
        out.push_back({detail::time_at(q.getColumn(1).getInt64()), detail::text(q, 2) == "escalated", {}});
      }
      out.back().rule_ids.push_back(detail::text(q, 3));
    }
    return out;
  });
}

std::vector<std::string> SqliteStore::replayable_submissions(core::TimePoint since) {
  return impl_->run("listing submissions to replay", [&] {
    SQLite::Statement q(impl_->db,
                        "SELECT s.id FROM submissions s JOIN evidence ev ON ev.submission_id = s.id "
                        "LEFT JOIN escalations e ON e.submission_id = s.id "
                        "WHERE s.received_at >= ? AND ev.erased_at IS NULL AND coalesce(e.drill, 0) = 0 "
                        "AND coalesce(e.manual, 0) = 0 ORDER BY s.received_at, s.rowid");
    q.bind(1, detail::epoch(since));
    std::vector<std::string> ids;
    while (q.executeStep()) ids.push_back(detail::text(q, 0));
    return ids;
  });
}

bool SqliteStore::update_escalation(const core::Escalation& e, const std::vector<core::AuditEvent>& audit,
                                    const std::vector<OutboxMessage>& outbox,
                                    const std::optional<DrillScoring>& scoring) {
  return impl_->run("updating an escalation", [&] {
    SQLite::Transaction txn(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    int changed = 0;
    {
      StatementUse q(impl_->update_escalation);
      detail::bind_mutable_escalation(*q, e);
      q->bind(":id", e.id);
      q->bind(":version", e.version);
      changed = q->exec();
    }
    if (changed == 0) {
      StatementUse q(impl_->select_escalation);
      q->bind(1, e.id);
      if (!q->executeStep()) throw StorageError(StorageError::Code::not_found, "no escalation " + e.id);
      return false;  // someone else wrote it first; the transaction rolls back, nothing changes
    }
    impl_->write_deadlines(e.id, e.generation, e.deadlines);
    if (scoring) impl_->score_drill(e.id, *scoring);
    std::vector<core::AuditEvent> events = audit;
    for (auto& event : events)
      if (event.escalation_id.empty()) event.escalation_id = e.id;
    impl_->append_audit(events);
    impl_->enqueue(outbox, e.id);
    txn.commit();
    return true;
  });
}

}  // namespace desk::storage
