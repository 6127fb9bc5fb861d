#pragma once
/// The desk's durable state behind one interface, so a later PostgreSQL store can sit under several
/// desks. Every method that changes something is one transaction: it happens whole or not at all.
/// Callers never see SQLite types or codes: failures are StorageError.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/drill.hpp"
#include "core/escalation.hpp"
#include "core/metrics.hpp"
#include "core/report.hpp"
#include "core/rota.hpp"
#include "core/submission.hpp"

namespace desk::storage {

class StorageError : public std::runtime_error {
 public:
  /// audit_key: the audit chain cannot be written with the key given (missing, wrong, or the chain
  /// is not keyed yet); the message says which and what to do.
  enum class Code { corrupt, newer_schema, io, constraint, not_found, conflict, audit_key };
  StorageError(Code code, const std::string& what) : std::runtime_error(what), code_(code) {}
  Code code() const { return code_; }

 private:
  Code code_;
};

/// Whether a read of escalations brings their trigger hits (Escalation::hits) or only their count
/// (Escalation::hits_total): the SLA clock and lists that show no hits need none of them.
enum class Hits { load, skip };

/// A submission as stored, with the verdict it got.
struct StoredSubmission {
  std::string id;  ///< "SUB-000123"
  core::Submission submission;
  core::Verdict verdict = core::Verdict::approved;
  std::vector<core::TriggerHit> hits;         ///< the hits kept
  std::size_t hits_total = 0;                 ///< every hit found, kept or not
  std::vector<core::TriggerHit> shadow_hits;  ///< hits of shadow-mode lexicon categories (never escalating)
  std::string escalation_id;                  ///< empty when approved
  std::string idempotency_key;
  std::string response_json;  ///< the answer given to the agent, replayed for a retried Idempotency-Key
};

/// Who the desk last announced as holding a role in the desk channel (handoff notices).
struct AnnouncedHolder {
  std::string role;
  std::string person;       ///< person id
  core::TimePoint since{};  ///< when their holding began
  core::TimePoint announced_at{};
};

/// A message or callback that follows from a committed change, written in the same transaction and
/// sent from there (the transactional outbox): a crash between commit and send delays it, never loses
/// or doubles it. Messages with the same `ordering_key` are sent in id order.
struct OutboxMessage {
  enum class State { pending, sending, sent, failed };
  std::int64_t id = 0;
  std::string surface;        ///< who delivers it: "slack", "teams", "console", "agent" (callbacks)
  std::string kind;           ///< the effect (handlers/effects.hpp): "post_escalation", "thread_reply", …
  std::string escalation_id;  ///< may be empty
  /// Rows of one key are sent in id order. Empty: "<surface>:<escalation_id>", so one escalation's
  /// messages keep their order on each surface and never wait behind another escalation's.
  std::string ordering_key;
  std::string payload_json;  ///< what the sender needs; never a secret
  core::TimePoint created_at{};
  core::TimePoint next_attempt_at{};
  int attempts = 0;
  State state = State::pending;
  std::string last_error;
  std::string result_json;                         ///< what the send returned (e.g. Slack's channel and ts)
  std::optional<core::TimePoint> last_attempt_at;  ///< when the latest send began: where an in-doubt lookup starts
  std::optional<core::TimePoint> sent_at;
};

/// "pending", "sending", "sent", "failed": as stored and as shown.
const char* to_string(OutboxMessage::State state);

/// Outbox rows per state, for /metrics.
struct OutboxStats {
  std::int64_t pending = 0;
  std::int64_t sending = 0;
  std::int64_t sent = 0;
  std::int64_t failed = 0;
  std::optional<core::TimePoint> oldest_pending_created_at;  ///< how far behind the sender is
};

/// Outbox messages that failed for good: how many, and the latest few (newest first).
struct OutboxFailures {
  std::int64_t count = 0;
  std::vector<OutboxMessage> latest;
};

/// Where an escalation's main message is on one surface: updates and thread replies go there. One
/// escalation can live on several surfaces at once, one reference each.
struct MessageRef {
  std::string escalation_id;
  std::string surface;     ///< "slack", "teams", …
  std::string channel;     ///< Slack channel id, Teams conversation id
  std::string message_id;  ///< Slack ts, Teams activity id
  std::string permalink;   ///< may be empty
};

/// What became of one delivery attempt of a `sending` outbox row (Store::outbox_settle).
struct OutboxSettlement {
  enum class Outcome { sent, retry, fail };
  std::int64_t id = 0;
  Outcome outcome = Outcome::sent;
  std::string result_json = "{}";  ///< sent: what the receiver returned
  core::TimePoint at{};            ///< sent: when; retry: not before
  std::string error;               ///< retry, fail: why
  /// sent: the escalation's main message the delivery made (or found), recorded with the row's state
  /// in one transaction, so no crash can leave a sent post without its reference.
  std::optional<MessageRef> message;
};

/// An inbound Slack envelope/event id the desk has handled, and when it was recorded.
struct ProcessedId {
  std::string id;
  core::TimePoint at{};
};

struct SubmissionIds {
  std::string submission_id;
  std::string escalation_id;  ///< empty when approved
  bool replayed = false;      ///< the idempotency key was seen before: these are the first answer's ids
};

/// A fire drill as it ran: what was injected, by whom, into which workflow, the escalation it opened
/// and, once that was decided, its score with the reasons (core::score_drill).
struct Drill {
  std::int64_t id = 0;
  std::string scenario;  ///< pricing_claim, data_leak, tos_breach (core::DrillScenario)
  std::string workflow;
  std::string started_by;  ///< person id, Slack user id, or "cli:<user>"
  core::TimePoint started_at{};
  std::string escalation_id;  ///< empty: the policy let the draft through, and the drill was scored at once
  std::optional<core::TimePoint> scored_at;
  std::optional<core::DrillScore> score;  ///< set when scored
};

/// The missed deadlines one escalation's audit trail records, over every owner generation.
struct BreachCounts {
  int triage = 0;    ///< "sla.triage_breached" events
  int decision = 0;  ///< "sla.decision_breached" events
};

/// The score of the drill an escalation belongs to, written with the decision that ends it.
struct DrillScoring {
  core::TimePoint at{};
  core::DrillScore score;
};

/// A message on a surface: where it is and its id there (Slack: channel id and ts).
struct MessageKey {
  std::string surface, channel, message_id;
};

/// A message someone wrote in the desk channel mentioning the desk (the hotline), as received.
struct HotlineMessage {
  MessageKey key;
  std::string thread_id;  ///< the thread to answer in: the message's own id, or its thread's parent
  std::string author;     ///< the surface's user id
  std::string text;       ///< empty once its escalation opened (the submission holds it)
  core::TimePoint received_at{};
  std::string escalation_id;  ///< empty while pending
};

struct NewSubmission {
  core::Submission submission;
  core::Verdict verdict = core::Verdict::approved;
  std::vector<core::TriggerHit> hits;  ///< kept as given; the count stored is escalation->hit_count() or hits.size()
  std::vector<core::TriggerHit> shadow_hits;   ///< core::Evaluation::shadow_hits, kept as given
  std::optional<core::Escalation> escalation;  ///< id, submission_id left empty: the store assigns them
  std::vector<core::AuditEvent> audit;         ///< escalation_id left empty is filled in by the store
  std::string idempotency_key;                 ///< empty: none
  std::string idempotency_scope;               ///< e.g. the agent token's digest; keys are unique per scope
  std::vector<OutboxMessage> outbox;           ///< escalation_id left empty is filled in by the store
  /// When set, builds the agent-facing answer once the ids are assigned. The store keeps it with the
  /// submission in the same transaction, so a retried Idempotency-Key repeats it even after a crash.
  /// It may be called more than once (a batch retried row by row); the last call's answer is the one kept.
  std::function<std::string(const SubmissionIds&)> response;
  /// A fire drill's submission: the drill's row, written with the escalation (its escalation_id is
  /// filled in by the store). The escalation must be one, with `drill` set.
  std::optional<Drill> drill;
  /// A hotline message's escalation: the pending message (Store::record_hotline_message) is given the
  /// escalation in the same transaction. StorageError conflict, and nothing written, when it has one.
  std::optional<MessageKey> hotline_source;
};

/// What became of one submission of a batch: committed (its ids, `replayed` as in add_submission),
/// or not committed at all, with why (a StorageError, or whatever `response` threw).
struct SubmissionOutcome {
  std::optional<SubmissionIds> ids;
  std::exception_ptr error;  ///< set exactly when `ids` is not
};

/// What was learned from one decided escalation (one per escalation), written by `author` at `at`
/// and rewritten in place by later edits.
struct PostMortem {
  std::int64_t id = 0;
  std::string escalation_id;
  std::string author;    ///< person id (or the surface's user id when the rota has no such person)
  core::TimePoint at{};  ///< when it was filed
  std::string what_triggered;
  std::string what_fixed;
  std::string what_to_automate;
  std::optional<core::TimePoint> edited_at = {};  ///< the latest edit; nullopt when never edited
  std::string edited_by = {};                     ///< who made the latest edit; empty when never edited
};

struct AuditRow {
  std::int64_t seq = 0;
  core::AuditEvent event;
  std::string prev_hash;      ///< the hash of the row before (64 zeros for the first)
  std::string hash;           ///< HMAC-SHA256 (keyed rows) or SHA-256 over prev_hash and this row's canonical form
  std::string stored_fields;  ///< the fields text exactly as stored (event.fields is its parsed form)
  /// Text people wrote that the event refers to (a rationale, an erasure's reason), kept beside the
  /// chain: the chained fields hold only "<name>_digest", so erasing the text never breaks the chain.
  /// event.fields lists these too (name -> text), for showing; an erased note is simply absent.
  std::vector<std::pair<std::string, std::string>> notes;
};

/// The chain's anchor, kept outside the chained rows: the last row's seq and hash, the first row
/// chained under the key, and an HMAC over the three with DESK_AUDIT_KEY. Rewritten with every
/// append, so deleting the last rows (or rehashing the chain) no longer matches it, and nobody
/// without the key can write a new one.
struct AuditHead {
  std::int64_t seq = 0;
  std::string hash;
  std::int64_t keyed_from = 1;
  std::string mac;
};

/// The whole chain and its head, read in one snapshot (for export).
struct AuditChain {
  std::vector<AuditRow> rows;
  std::optional<AuditHead> head;  ///< nullopt: the chain was never keyed
};

struct AuditVerification {
  bool ok = true;
  std::int64_t rows = 0;
  std::int64_t first_bad_seq = 0;     ///< 0 when ok, or when what is wrong is not one row (the head, the key)
  std::string problem;                ///< what is wrong at first_bad_seq ("hash mismatch", "row missing", …)
  bool keyed = false;                 ///< the chain is anchored by a head record checked with the key
  std::int64_t evidence_checked = 0;  ///< evidence bundles recomputed or matched against the chain
  bool needs_key = false;             ///< the chain is keyed and no key was given: nothing could be checked
};

/// What erase_submission did: the ids concerned and how much personal text it removed.
struct Erasure {
  std::string submission_id;
  std::string escalation_id;    ///< empty for an approved submission
  bool already_erased = false;  ///< erased before: nothing was changed, nothing enqueued
  std::optional<core::TimePoint> erased_at;
  std::string erased_by;
  int hits = 0;            ///< trigger hits whose matched text and explanation were removed
  int notes = 0;           ///< rationales and reasons removed from beside the audit chain
  int outbox_rows = 0;     ///< outbox payloads whose texts were replaced
  int postmortems = 0;     ///< post-mortems whose three texts were replaced
  bool rationale = false;  ///< the decision's rationale was removed
};

struct EvidenceBundle {
  std::string escalation_id;
  std::string submission_id;
  std::string channel;
  std::string prompt, output, metadata_json, permalink, suggested_fix;
  std::string digest;                        ///< SHA-256 hex of the canonical evidence; what the audit chain covers
  std::optional<core::TimePoint> erased_at;  ///< tombstone: text removed on request
  std::string erased_by, erase_reason;
};

class Store {
 public:
  virtual ~Store() = default;

  // Submissions and escalations.
  virtual SubmissionIds add_submission(const NewSubmission& s) = 0;
  /// Adds several submissions, in order, each as add_submission would (a later one sees an earlier
  /// one's idempotency key), with one outcome per submission. One failing submission fails only
  /// itself. This default commits each in its own transaction; a store may commit them together.
  virtual std::vector<SubmissionOutcome> add_submissions(const std::vector<NewSubmission>& batch) {
    std::vector<SubmissionOutcome> out(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        out[i].ids = add_submission(batch[i]);
      } catch (...) { out[i].error = std::current_exception(); }
    }
    return out;
  }
  virtual std::optional<StoredSubmission> submission(const std::string& id) = 0;
  /// Who submitted `id` (its idempotency scope: the intake token's digest), without reading its
  /// evidence; nullopt for an unknown id. For checking who may read what, once per listed row.
  virtual std::optional<std::string> submission_scope(const std::string& id) = 0;
  /// How many undecided (open or triaged) escalations came from submissions with this scope.
  virtual std::size_t open_escalations(const std::string& scope) = 0;
  /// Stores the agent-facing answer for a submission (for Idempotency-Key replays).
  virtual void set_submission_response(const std::string& submission_id, const std::string& json) = 0;
  virtual std::optional<SubmissionIds> find_by_idempotency_key(const std::string& scope, const std::string& key) = 0;
  virtual std::optional<core::Escalation> escalation(const std::string& id, Hits hits) = 0;
  std::optional<core::Escalation> escalation(const std::string& id) { return escalation(id, Hits::load); }
  /// Newest first; limit <= 0: all.
  virtual std::vector<core::Escalation> escalations(std::optional<core::EscalationState> state, int limit,
                                                    Hits hits) = 0;
  std::vector<core::Escalation> escalations(std::optional<core::EscalationState> state, int limit = 500) {
    return escalations(state, limit, Hits::load);
  }
  /// Open and triaged ones, oldest first.
  virtual std::vector<core::Escalation> undecided_escalations(Hits hits) = 0;
  std::vector<core::Escalation> undecided_escalations() { return undecided_escalations(Hits::load); }
  /// Every escalation opened at or after `since`, oldest first, with its hits (for reports).
  virtual std::vector<core::Escalation> escalations_opened_since(core::TimePoint since) = 0;
  /// What the desk's work counters have counted since the store began, fire drills left out
  /// (core::MetricTotals): read at start, so that /metrics survives a restart unchanged.
  virtual core::MetricTotals metric_totals() = 0;
  /// The submissions received at or after `since` that shadow rules fired on (fire drills left out),
  /// oldest first, each with its verdict and the rules: what the report shows of shadow mode.
  virtual std::vector<core::ShadowFacts> shadow_facts_since(core::TimePoint since) = 0;
  /// Ids of the agents' submissions received at or after `since` that a backtest can replay: their
  /// text is not erased, and they are neither a fire drill's nor a manual escalation's. Oldest first.
  virtual std::vector<std::string> replayable_submissions(core::TimePoint since) = 0;
  /// Writes the escalation if its stored version is still `e.version` (then bumps it) and appends
  /// `audit`, in one transaction. Returns false, changing nothing, if someone else changed it first.
  virtual bool update_escalation(const core::Escalation& e, const std::vector<core::AuditEvent>& audit) {
    return update_escalation(e, audit, {});
  }
  /// As above, also enqueuing `outbox` (empty escalation_id: this one) in the same transaction, so the
  /// messages exist exactly when the change does.
  bool update_escalation(const core::Escalation& e, const std::vector<core::AuditEvent>& audit,
                         const std::vector<OutboxMessage>& outbox) {
    return update_escalation(e, audit, outbox, std::nullopt);
  }
  /// As above, also writing `scoring` into the fire drill of `e` in the same transaction, so a drill is
  /// scored exactly when its decision is committed (StorageError not_found when `e` is no drill's).
  virtual bool update_escalation(const core::Escalation& e, const std::vector<core::AuditEvent>& audit,
                                 const std::vector<OutboxMessage>& outbox,
                                 const std::optional<DrillScoring>& scoring) = 0;
  virtual std::optional<EvidenceBundle> evidence(const std::string& escalation_id) = 0;
  /// Erases the personal data a submission left in the store, in one transaction: its evidence text
  /// (prompt, output, metadata, suggested fix; the digest stays, with a tombstone of who, when and
  /// why), its trigger hits' matched text, explanations and offsets, the answer kept for Idempotency-Key
  /// replays, its escalation's decision rationale and the rationales kept beside the audit chain, and the
  /// texts in its escalation's outbox payloads; then appends a "submission.erased" event (who, when,
  /// what: counts and the digest, the reason only as a note) and enqueues `outbox` (e.g. updates of
  /// the escalation's messages; an empty escalation_id is this one). Already erased: changes nothing.
  /// StorageError not_found for an unknown submission, constraint for an empty `by` or `reason`.
  virtual Erasure erase_submission(const std::string& submission_id, const std::string& by, const std::string& reason,
                                   core::TimePoint at, const std::vector<OutboxMessage>& outbox) = 0;

  // Audit trail.
  virtual void append_audit(const std::vector<core::AuditEvent>& events) = 0;
  virtual std::vector<AuditRow> audit_trail(const std::string& escalation_id) = 0;
  /// The breaches recorded in the audit trail of every escalation opened at or after `since`, by
  /// escalation id; one with none is absent. What audit_trail() would give for each, in one read (reports).
  virtual std::map<std::string, BreachCounts> breach_counts(core::TimePoint since) = 0;
  /// Walks the chain (with the store's audit key, if any), checks its head and every evidence
  /// bundle against the digest the chain recorded for it.
  virtual AuditVerification verify_audit() = 0;
  virtual AuditChain audit_chain() = 0;

  // Policy snapshots (the config text each escalation keeps), by SHA-256 digest.
  virtual void save_policy_snapshot(const std::string& digest, const std::string& text) = 0;
  virtual std::optional<std::string> policy_snapshot(const std::string& digest) = 0;

  // Rota overrides.
  virtual std::int64_t add_override(const core::RotaOverride& o, const core::AuditEvent& audit) = 0;
  virtual std::vector<core::RotaOverride> overrides_active_after(core::TimePoint t) = 0;
  /// When the store first recorded anything (its first audit row); nullopt while it has recorded nothing.
  virtual std::optional<core::TimePoint> first_recorded_at() = 0;
  /// Whether the weekly digest of ISO week `week` ("2026-W48") was posted.
  virtual bool digest_posted(const std::string& week) = 0;
  /// Records the digest of `week` as posted at `at`, with its rows and audit events, in one
  /// transaction; false, with nothing written, when it was posted already.
  virtual bool record_digest(const std::string& week, core::TimePoint at, const std::vector<OutboxMessage>& rows,
                             const std::vector<core::AuditEvent>& audit) = 0;
  /// The digest of the SOP version last posted in the desk channel; nullopt before the first.
  virtual std::optional<std::string> last_sop_digest() = 0;
  /// Records SOP version `digest` (64 hex characters: StorageError constraint otherwise) as posted at
  /// `at`, with its rows and audit events, in one transaction; false, with nothing written, when it
  /// is the version last posted already.
  virtual bool record_sop(const std::string& digest, core::TimePoint at, const std::vector<OutboxMessage>& rows,
                          const std::vector<core::AuditEvent>& audit) = 0;
  /// The holder of `role` the desk last announced; nullopt before the first announcement.
  virtual std::optional<AnnouncedHolder> announced_holder(const std::string& role) = 0;
  /// Records `holder` as announced when the person last announced for its role is still `expected`
  /// (nullopt: none yet), enqueuing `notice` (rows without an escalation need an ordering key) and
  /// appending `audit` in the same transaction, so a handoff is announced once even when two passes
  /// (or a restart) race. False, with nothing written, when `expected` no longer holds.
  virtual bool announce_holder(const AnnouncedHolder& holder, const std::optional<std::string>& expected,
                               const std::vector<OutboxMessage>& notice,
                               const std::vector<core::AuditEvent>& audit) = 0;

  // Learning.
  /// Files the escalation's post-mortem (`p.id`, edited_at and edited_by are ignored) with a
  /// "postmortem.filed" audit event and `outbox` (an empty escalation_id: this one), in one
  /// transaction. An escalation has one post-mortem: StorageError conflict when it has one already,
  /// constraint for an unknown escalation or an empty author.
  virtual std::int64_t add_postmortem(const PostMortem& p, const std::vector<OutboxMessage>& outbox) = 0;
  std::int64_t add_postmortem(const PostMortem& p) { return add_postmortem(p, {}); }
  /// Rewrites post-mortem `p.id` of `p.escalation_id` with p's three texts, edited at `p.edited_at` by
  /// `p.edited_by` (both required: StorageError constraint), and appends a "postmortem.edited" audit
  /// event naming the fields that changed, with `outbox`, in one transaction. StorageError not_found
  /// when there is no such post-mortem. Author and filing time never change.
  virtual void edit_postmortem(const PostMortem& p, const std::vector<OutboxMessage>& outbox) = 0;
  /// The escalation's post-mortems, oldest first (one, since post-mortems are filed through
  /// add_postmortem; a store written before that rule may hold more).
  virtual std::vector<PostMortem> postmortems(const std::string& escalation_id) = 0;
  /// Every post-mortem filed at or after `since`, in filing order (for export).
  virtual std::vector<PostMortem> postmortems_filed_since(core::TimePoint since) = 0;
  /// Records a drill that opened no escalation (the policy let its draft through), already scored,
  /// with its audit events, in one transaction. StorageError constraint for an unknown scenario, an
  /// empty started_by or a score outside 0–100.
  virtual std::int64_t add_drill(const Drill& d, const std::vector<core::AuditEvent>& audit) = 0;
  std::int64_t add_drill(const Drill& d) { return add_drill(d, {}); }
  /// Every drill started at or after `since`, oldest first.
  virtual std::vector<Drill> drills(core::TimePoint since) = 0;
  std::vector<Drill> drills() { return drills(core::TimePoint::min()); }
  /// The drill whose escalation is `escalation_id`; nullopt when it is no drill's.
  virtual std::optional<Drill> drill_of(const std::string& escalation_id) = 0;

  // Transactional outbox. New rows always start pending with no attempts: the id, state, attempts,
  // last_error, result_json, last_attempt_at and sent_at given are ignored. payload_json must be a
  // JSON object and ordering_key non-empty (else StorageError constraint). The state changes below
  // throw not_found for an unknown id and conflict when the row's state does not allow the change.

  /// Enqueues effects not tied to an escalation update, with their audit events, in one transaction.
  /// Returns the id of the last row (0 when `messages` is empty).
  virtual std::int64_t enqueue(const std::vector<OutboxMessage>& messages,
                               const std::vector<core::AuditEvent>& audit) = 0;
  /// Pending rows with next_attempt_at <= now, longest due first (then in id order), but only the first unsent (pending
  /// or sending) row of each ordering key: a later message never overtakes an earlier one. limit <= 0: all. `surfaces`,
  /// when given, keeps only rows for those surfaces (the ones ready to deliver).
  virtual std::vector<OutboxMessage> outbox_due(core::TimePoint now, int limit,
                                                const std::optional<std::vector<std::string>>& surfaces) = 0;
  std::vector<OutboxMessage> outbox_due(core::TimePoint now, int limit) { return outbox_due(now, limit, std::nullopt); }
  /// Rows left `sending` (outcome unknown, e.g. after a crash), in id order: look them up before resending.
  virtual std::vector<OutboxMessage> outbox_in_doubt() = 0;
  virtual std::optional<OutboxMessage> outbox_message(std::int64_t id) = 0;
  /// Every row of `surface`, whatever its state, in id order: what that surface was asked to show,
  /// newest `limit` rows (limit <= 0: all). For surfaces whose "channel" is the desk itself (the console).
  virtual std::vector<OutboxMessage> outbox_history(const std::string& surface, int limit) = 0;
  /// The outbox rows of one escalation on every surface, oldest first (at most `limit`, the newest).
  virtual std::vector<OutboxMessage> outbox_of_escalation(const std::string& escalation_id, int limit) = 0;
  /// Claims what outbox_due(now, limit, surfaces) would return for sending, in one transaction: each
  /// row → sending, attempts + 1, last_attempt_at = now, returned as claimed. A crash after it leaves
  /// the rows in doubt (looked up before they go again), never silently pending.
  virtual std::vector<OutboxMessage> outbox_claim(core::TimePoint now, int limit,
                                                  const std::optional<std::vector<std::string>>& surfaces) = 0;
  /// Settles delivery attempts of `sending` rows in one transaction (one commit for many deliveries):
  /// sent (with its message reference), retry or fail, as outbox_mark_sent / outbox_retry / outbox_fail
  /// would. A row whose state no longer allows its settlement is left as it is without holding back
  /// the others: the answer says why at its position (empty: settled).
  virtual std::vector<std::string> outbox_settle(const std::vector<OutboxSettlement>& settlements) = 0;
  /// pending or sending (an in-doubt row sent again) → sending, attempts + 1. Commit it BEFORE the
  /// network call: a crash then leaves the row in doubt, never silently pending.
  virtual void outbox_mark_sending(std::int64_t id, core::TimePoint at) = 0;
  /// sending → sent, keeping what the send returned.
  virtual void outbox_mark_sent(std::int64_t id, const std::string& result_json, core::TimePoint at) = 0;
  /// pending or sending → pending, not before `next_attempt_at` (e.g. a 429's Retry-After).
  virtual void outbox_retry(std::int64_t id, core::TimePoint next_attempt_at, const std::string& error) = 0;
  /// pending or sending → failed, for good (an error retrying cannot fix). It no longer blocks its key.
  virtual void outbox_fail(std::int64_t id, const std::string& error) = 0;
  /// The earliest time outbox_due() will return something (if past: now), or nullopt when no
  /// sendable row is waiting. Rows blocked behind an earlier row of their key do not count, so a
  /// timer set to it never spins; nor do rows for surfaces outside `surfaces`, when given.
  virtual std::optional<core::TimePoint> outbox_next_attempt(
      const std::optional<std::vector<std::string>>& surfaces) = 0;
  std::optional<core::TimePoint> outbox_next_attempt() { return outbox_next_attempt(std::nullopt); }
  virtual OutboxStats outbox_stats() = 0;
  /// Messages that failed for good (indexed: cheap enough for every /healthz probe).
  virtual OutboxFailures outbox_failures(int latest) = 0;

  /// Records (or moves) an escalation's main message on one surface. Idempotent. A delivery records
  /// its message through outbox_settle instead, in the row's own transaction. An empty permalink
  /// keeps the one known for the same message.
  virtual void record_message(const MessageRef& ref) = 0;
  virtual std::optional<MessageRef> message(const std::string& escalation_id, const std::string& surface) = 0;
  /// Every surface's message of an escalation, by surface name.
  virtual std::vector<MessageRef> messages(const std::string& escalation_id) = 0;
  /// The escalation whose main message on `surface` is `message_id` in `channel`; nullopt for any
  /// other message.
  virtual std::optional<std::string> escalation_of_message(const std::string& surface, const std::string& channel,
                                                           const std::string& message_id) = 0;

  /// Records inbound Slack envelope/event ids in one transaction, all at `at`, at the end of the
  /// table (the desk recognises a redelivery in memory; this is what a restart reloads). An id given
  /// twice in the batch is written once; one recorded before is recorded again. Returns the rows
  /// written. An empty id fails the whole batch (StorageError constraint).
  virtual int mark_processed_batch(const std::vector<std::string>& ids, core::TimePoint at) = 0;
  /// Ids recorded at or after `at`, each once at its first time there, oldest first: what a
  /// restarted desk must still recognise.
  virtual std::vector<ProcessedId> processed_since(core::TimePoint at) = 0;
  /// Forgets processed ids older than `before` (Slack redelivers for minutes, not days).
  virtual int prune_processed(core::TimePoint before) = 0;

  /// Records a hotline message, pending until its escalation opens (NewSubmission::hotline_source).
  /// False when the same message was recorded before (Slack sends one message as an app_mention and
  /// a message event, and redelivers): nothing written.
  virtual bool record_hotline_message(const HotlineMessage& message) = 0;
  /// Hotline messages of `surface` whose escalation has not opened yet, oldest first.
  virtual std::vector<HotlineMessage> pending_hotline_messages(const std::string& surface) = 0;
  /// The hotline message with `key`, pending or not.
  virtual std::optional<HotlineMessage> hotline_message(const MessageKey& key) = 0;
};

}  // namespace desk::storage
