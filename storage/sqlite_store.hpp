#pragma once
/// The embedded store: one SQLite file (WAL, synchronous=FULL, foreign keys on), schema migrated in
/// code, hash-chained audit trail. Thread-safe: calls are serialised on one connection. Several
/// stores (processes) may share one file; update_escalation's version check settles races.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/store.hpp"

namespace desk::storage {

/// How the connection is set up, as SQLite reports it (for tests, `--check` and health pages).
struct ConnectionSettings {
  std::string journal_mode;  ///< "wal" for files, "memory" for ":memory:"
  int busy_timeout_ms = 0;
  bool foreign_keys = false;
  int synchronous = 0;         ///< 2 = FULL
  int schema_version = 0;      ///< PRAGMA user_version
  bool secure_delete = false;  ///< deleted content is overwritten with zeros (erasure)
};

struct StoreOptions {
  /// DESK_AUDIT_KEY: chains new audit rows with HMAC-SHA256 and keeps the keyed head. Empty: the
  /// chain can be read and checked as far as plain SHA-256 goes, and written only if it was never
  /// keyed (tests, tools); a keyed chain then refuses appends (StorageError audit_key).
  std::string audit_key;
  /// PRAGMA quick_check at open: reads every page (about 1.3 s for a 200 MB store). The desk checks
  /// at start; commands that only read figures skip it, since a damaged page they read still fails
  /// with StorageError corrupt.
  bool check_integrity = true;
  /// How long overrides_active_after answers from what it last read, without SQLite: every /rota and
  /// every click asks. This store's own add_override takes effect at once; one added by another
  /// process sharing the file shows after at most this long. Zero: every call reads.
  std::chrono::milliseconds overrides_kept_for{1000};
};

class SqliteStore final : public Store {
 public:
  /// Opens (creating if absent) and migrates the database at `path`; ":memory:" for a private one.
  /// Throws StorageError: corrupt (not a database, damaged, or another application's), newer_schema,
  /// io (cannot open). Never resets or overwrites a file it does not recognise.
  static std::unique_ptr<SqliteStore> open(const std::string& path, const StoreOptions& options = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  ConnectionSettings settings();

  SubmissionIds add_submission(const NewSubmission& s) override;
  /// One transaction for the whole batch (one fsync), each submission inside its own savepoint: a
  /// submission that fails is rolled back alone. If the transaction itself fails (e.g. the commit
  /// cannot be written), nothing of it is kept and every submission is retried in its own transaction.
  std::vector<SubmissionOutcome> add_submissions(const std::vector<NewSubmission>& batch) override;
  std::optional<StoredSubmission> submission(const std::string& id) override;
  std::optional<std::string> submission_scope(const std::string& id) override;
  std::size_t open_escalations(const std::string& scope) override;
  void set_submission_response(const std::string& submission_id, const std::string& json) override;
  std::optional<SubmissionIds> find_by_idempotency_key(const std::string& scope, const std::string& key) override;
  using Store::escalation;  // the forms that load hits
  using Store::escalations;
  using Store::undecided_escalations;
  std::optional<core::Escalation> escalation(const std::string& id, Hits hits) override;
  std::vector<core::Escalation> escalations(std::optional<core::EscalationState> state, int limit, Hits hits) override;
  std::vector<core::Escalation> undecided_escalations(Hits hits) override;
  std::vector<core::Escalation> escalations_opened_since(core::TimePoint since) override;
  /// Whole-table reads (the audit's opening events among them): at start only.
  core::MetricTotals metric_totals() override;
  std::vector<core::ShadowFacts> shadow_facts_since(core::TimePoint since) override;
  std::vector<std::string> replayable_submissions(core::TimePoint since) override;
  using Store::update_escalation;  // the two-argument form: delegates with no outbox rows
  bool update_escalation(const core::Escalation& e, const std::vector<core::AuditEvent>& audit,
                         const std::vector<OutboxMessage>& outbox, const std::optional<DrillScoring>& scoring) override;
  std::optional<EvidenceBundle> evidence(const std::string& escalation_id) override;
  /// Also clears the write-ahead log afterwards (a TRUNCATE checkpoint, when no reader holds it), so
  /// with secure_delete no copy of the erased text stays in the files.
  Erasure erase_submission(const std::string& submission_id, const std::string& by, const std::string& reason,
                           core::TimePoint at, const std::vector<OutboxMessage>& outbox) override;

  void append_audit(const std::vector<core::AuditEvent>& events) override;
  /// Rows of one escalation in seq order; an empty id gives the whole trail (for export).
  std::vector<AuditRow> audit_trail(const std::string& escalation_id) override;
  std::map<std::string, BreachCounts> breach_counts(core::TimePoint since) override;
  AuditVerification verify_audit() override;
  AuditChain audit_chain() override;
  /// Why appending to the audit trail with this store's key would fail (no key for a keyed chain, a
  /// key that does not match, an unkeyed chain of rows, a chain that no longer ends at its head), or
  /// empty when it would work. Checked at start, so the desk refuses to run rather than fail later.
  std::string audit_key_problem();
  /// Keys a chain written without a key, once: checks it as plain SHA-256 (refusing a broken one,
  /// StorageError corrupt), then appends an "audit.keyed" row under the key, whose HMAC covers the old
  /// rows' last hash, and writes the keyed head. Returns how many rows were there before; a chain
  /// already keyed with this key changes nothing (nullopt). Needs the key (StorageError audit_key).
  std::optional<std::int64_t> anchor_audit(const std::string& actor, core::TimePoint at);

  /// Renames idempotency scopes (from, to) in one transaction: the plain token digests a store kept
  /// before scopes were keyed become keyed ones. Returns how many submissions changed; a second call
  /// changes none. A row whose new scope and key already exist stays as it was (UPDATE OR IGNORE).
  std::size_t rekey_idempotency_scopes(const std::vector<std::pair<std::string, std::string>>& renames);

  void save_policy_snapshot(const std::string& digest, const std::string& text) override;
  std::optional<std::string> policy_snapshot(const std::string& digest) override;

  /// Adds "override_id" to the audit event's fields.
  std::int64_t add_override(const core::RotaOverride& o, const core::AuditEvent& audit) override;
  /// In creation order, so the latest-created override is last.
  std::vector<core::RotaOverride> overrides_active_after(core::TimePoint t) override;
  std::optional<AnnouncedHolder> announced_holder(const std::string& role) override;
  std::optional<core::TimePoint> first_recorded_at() override;
  bool digest_posted(const std::string& week) override;
  bool record_digest(const std::string& week, core::TimePoint at, const std::vector<OutboxMessage>& rows,
                     const std::vector<core::AuditEvent>& audit) override;
  std::optional<std::string> last_sop_digest() override;
  bool record_sop(const std::string& digest, core::TimePoint at, const std::vector<OutboxMessage>& rows,
                  const std::vector<core::AuditEvent>& audit) override;
  bool announce_holder(const AnnouncedHolder& holder, const std::optional<std::string>& expected,
                       const std::vector<OutboxMessage>& notice, const std::vector<core::AuditEvent>& audit) override;

  using Store::add_postmortem;  // the one-argument form: delegates with no outbox rows
  std::int64_t add_postmortem(const PostMortem& p, const std::vector<OutboxMessage>& outbox) override;
  void edit_postmortem(const PostMortem& p, const std::vector<OutboxMessage>& outbox) override;
  std::vector<PostMortem> postmortems(const std::string& escalation_id) override;
  std::vector<PostMortem> postmortems_filed_since(core::TimePoint since) override;
  using Store::add_drill;
  std::int64_t add_drill(const Drill& d, const std::vector<core::AuditEvent>& audit) override;
  using Store::drills;
  std::vector<Drill> drills(core::TimePoint since) override;
  std::optional<Drill> drill_of(const std::string& escalation_id) override;

  std::int64_t enqueue(const std::vector<OutboxMessage>& messages, const std::vector<core::AuditEvent>& audit) override;
  using Store::outbox_due;
  std::vector<OutboxMessage> outbox_due(core::TimePoint now, int limit,
                                        const std::optional<std::vector<std::string>>& surfaces) override;
  std::vector<OutboxMessage> outbox_in_doubt() override;
  std::optional<OutboxMessage> outbox_message(std::int64_t id) override;
  std::vector<OutboxMessage> outbox_history(const std::string& surface, int limit) override;
  std::vector<OutboxMessage> outbox_of_escalation(const std::string& escalation_id, int limit) override;
  std::vector<OutboxMessage> outbox_claim(core::TimePoint now, int limit,
                                          const std::optional<std::vector<std::string>>& surfaces) override;
  std::vector<std::string> outbox_settle(const std::vector<OutboxSettlement>& settlements) override;
  void outbox_mark_sending(std::int64_t id, core::TimePoint at) override;
  void outbox_mark_sent(std::int64_t id, const std::string& result_json, core::TimePoint at) override;
  /// `error` is kept to its first 2000 bytes (cut at a UTF-8 boundary), as in outbox_fail.
  void outbox_retry(std::int64_t id, core::TimePoint next_attempt_at, const std::string& error) override;
  void outbox_fail(std::int64_t id, const std::string& error) override;
  using Store::outbox_next_attempt;
  std::optional<core::TimePoint> outbox_next_attempt(const std::optional<std::vector<std::string>>& surfaces) override;
  OutboxStats outbox_stats() override;
  OutboxFailures outbox_failures(int latest) override;

  void record_message(const MessageRef& ref) override;
  std::optional<MessageRef> message(const std::string& escalation_id, const std::string& surface) override;
  std::vector<MessageRef> messages(const std::string& escalation_id) override;
  std::optional<std::string> escalation_of_message(const std::string& surface, const std::string& channel,
                                                   const std::string& message_id) override;

  int mark_processed_batch(const std::vector<std::string>& ids, core::TimePoint at) override;
  std::vector<ProcessedId> processed_since(core::TimePoint at) override;
  int prune_processed(core::TimePoint before) override;

  bool record_hotline_message(const HotlineMessage& message) override;
  std::vector<HotlineMessage> pending_hotline_messages(const std::string& surface) override;
  std::optional<HotlineMessage> hotline_message(const MessageKey& key) override;

  struct Impl;

 private:
  struct OverridesCache;
  SqliteStore(std::unique_ptr<Impl> impl, std::unique_ptr<Impl> reader, std::chrono::milliseconds overrides_kept_for);
  /// Where the reads that threads wait on most are made: a second connection to the same file, with
  /// a lock of its own. WAL lets it read the last commit while the writer is mid-transaction (a batch
  /// of submissions and its fsync), so a read never waits for a write. The writer for an in-memory store.
  Impl& reads() { return reader_ ? *reader_ : *impl_; }
  std::vector<core::RotaOverride> read_overrides_after(core::TimePoint t);
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<Impl> reader_;  ///< null for an in-memory store (a second connection would be another database)
  std::unique_ptr<OverridesCache> overrides_;
};

}  // namespace desk::storage
