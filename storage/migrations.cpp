#include "storage/migrations.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>

#include "storage/store.hpp"

namespace desk::storage {
namespace {

// Times are INTEGER UTC epoch seconds; dates are 'YYYY-MM-DD' text; enums are their to_string() names.
// Never edit a step that has shipped: add a new one.
constexpr const char* kBaseSchema = R"sql(
CREATE TABLE id_sequences (
  name TEXT PRIMARY KEY CHECK (name IN ('submission', 'escalation')),
  last INTEGER NOT NULL CHECK (last >= 0)
) WITHOUT ROWID;
INSERT INTO id_sequences (name, last) VALUES ('submission', 0), ('escalation', 0);

CREATE TABLE policy_snapshots (
  digest TEXT PRIMARY KEY CHECK (digest <> ''),
  text TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE submissions (
  id TEXT PRIMARY KEY CHECK (id GLOB 'SUB-[0-9][0-9][0-9][0-9][0-9][0-9]*'),
  received_at INTEGER NOT NULL,
  workflow TEXT NOT NULL,
  channel TEXT NOT NULL,
  agent TEXT NOT NULL,
  confidence REAL NOT NULL CHECK (confidence BETWEEN 0.0 AND 1.0),
  citations_json TEXT NOT NULL CHECK (json_valid(citations_json) AND json_type(citations_json) = 'array'),
  callback_url TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('approved', 'escalated')),
  idempotency_scope TEXT NOT NULL,
  idempotency_key TEXT CHECK (idempotency_key <> ''),  -- NULL: none given
  response_json TEXT NOT NULL DEFAULT '',
  UNIQUE (idempotency_scope, idempotency_key)
);

-- The agent's text, kept apart from the audit chain (which holds only `digest`) so that it can be
-- erased on request, leaving a tombstone.
CREATE TABLE evidence (
  submission_id TEXT PRIMARY KEY REFERENCES submissions (id),
  prompt TEXT NOT NULL,
  output TEXT NOT NULL,
  metadata_json TEXT NOT NULL,
  permalink TEXT NOT NULL,
  suggested_fix TEXT NOT NULL,
  digest TEXT NOT NULL CHECK (length(digest) = 64),
  erased_at INTEGER,
  erased_by TEXT NOT NULL DEFAULT '',
  erase_reason TEXT NOT NULL DEFAULT '',
  CONSTRAINT tombstone_complete CHECK ((erased_at IS NULL) = (erased_by = ''))
) WITHOUT ROWID;

CREATE TABLE trigger_hits (
  submission_id TEXT NOT NULL REFERENCES submissions (id),
  ordinal INTEGER NOT NULL CHECK (ordinal >= 0),
  kind TEXT NOT NULL
    CHECK (kind IN ('low_confidence', 'lexicon', 'personal_data', 'stale_citation', 'manual')),
  rule_id TEXT NOT NULL,
  category TEXT NOT NULL,
  route TEXT NOT NULL,
  explanation TEXT NOT NULL,
  begin_offset INTEGER CHECK (begin_offset >= 0),
  end_offset INTEGER CHECK (end_offset >= begin_offset),
  matched TEXT NOT NULL,
  threshold REAL CHECK (threshold BETWEEN 0.0 AND 1.0),
  value REAL CHECK (value BETWEEN 0.0 AND 1.0),
  citation_url TEXT NOT NULL,
  citation_date TEXT CHECK (date(citation_date) IS citation_date),
  oldest_allowed TEXT CHECK (date(oldest_allowed) IS oldest_allowed),
  PRIMARY KEY (submission_id, ordinal)
) WITHOUT ROWID;

CREATE TABLE escalations (
  id TEXT PRIMARY KEY CHECK (id GLOB 'ESC-[0-9][0-9][0-9][0-9][0-9][0-9]*'),
  submission_id TEXT NOT NULL UNIQUE REFERENCES submissions (id),
  workflow TEXT NOT NULL,
  channel TEXT NOT NULL,
  agent TEXT NOT NULL,
  manual INTEGER NOT NULL CHECK (manual IN (0, 1)),
  drill INTEGER NOT NULL CHECK (drill IN (0, 1)),
  policy_digest TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'triaged', 'accepted', 'rejected')),
  owner_role TEXT NOT NULL,
  owner_person TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  owned_since INTEGER NOT NULL,
  generation INTEGER NOT NULL CHECK (generation >= 0),
  backup_pinged_at INTEGER,
  backup_person TEXT NOT NULL,
  director_person TEXT NOT NULL,
  triaged_at INTEGER,
  triaged_by TEXT NOT NULL,
  decision_macro TEXT CHECK (decision_macro IN ('accept', 'reject', 'escalate_to_legal', 'route')),
  decision_by TEXT,
  decision_at INTEGER,
  decision_rationale TEXT,
  version INTEGER NOT NULL CHECK (version >= 0),
  CONSTRAINT decision_complete CHECK ((decision_macro IS NULL) = (decision_by IS NULL)
    AND (decision_by IS NULL) = (decision_at IS NULL)
    AND (decision_at IS NULL) = (decision_rationale IS NULL)),
  CONSTRAINT decided_has_decision CHECK (state IN ('open', 'triaged') OR decision_macro IS NOT NULL)
);

-- One row per escalation, owner generation and kind; older generations stay as history.
CREATE TABLE deadlines (
  escalation_id TEXT NOT NULL REFERENCES escalations (id),
  generation INTEGER NOT NULL CHECK (generation >= 0),
  kind TEXT NOT NULL CHECK (kind IN ('backup_ping', 'triage', 'decision')),
  due_at INTEGER NOT NULL,
  fired_at INTEGER,
  PRIMARY KEY (escalation_id, generation, kind)
) WITHOUT ROWID;

CREATE TABLE rota_overrides (
  id INTEGER PRIMARY KEY,
  role TEXT NOT NULL CHECK (role <> ''),
  person TEXT NOT NULL CHECK (person <> ''),
  from_at INTEGER NOT NULL,
  until_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  created_by TEXT NOT NULL,
  CHECK (until_at > from_at)
);
CREATE INDEX rota_overrides_by_until ON rota_overrides (until_at);

CREATE TABLE postmortems (
  id INTEGER PRIMARY KEY,
  escalation_id TEXT NOT NULL REFERENCES escalations (id),
  author TEXT NOT NULL CHECK (author <> ''),
  at INTEGER NOT NULL,
  what_triggered TEXT NOT NULL,
  what_fixed TEXT NOT NULL,
  what_to_automate TEXT NOT NULL
);
CREATE INDEX postmortems_by_escalation ON postmortems (escalation_id);

CREATE TABLE processed_ids (
  id TEXT PRIMARY KEY CHECK (id <> ''),
  at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX processed_ids_by_at ON processed_ids (at);

-- Append-only, hash-chained. escalation_id is '' for events not about one escalation, and has no
-- foreign key: a denied click on an unknown id is worth recording too.
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY CHECK (seq >= 1),
  at INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind <> ''),
  escalation_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  fields TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object'),
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL CHECK (length(hash) = 64)
);
CREATE INDEX audit_by_escalation ON audit (escalation_id, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be changed'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be deleted'); END;
)sql";

constexpr const char* kDrills = R"sql(
CREATE TABLE drills (
  id INTEGER PRIMARY KEY,
  scenario TEXT NOT NULL
    CHECK (scenario IN ('rogue_pricing_claim', 'personal_data_leak', 'platform_terms_breach')),
  escalation_id TEXT REFERENCES escalations (id),  -- NULL until the drill's escalation exists
  started_at INTEGER NOT NULL,
  responded_at INTEGER CHECK (responded_at >= started_at),
  score INTEGER CHECK (score BETWEEN 0 AND 100),
  notes TEXT NOT NULL
);

-- What the SLA timer reloads after a restart: keep it cheap however long the history grows.
CREATE INDEX escalations_undecided ON escalations (opened_at) WHERE state IN ('open', 'triaged');
)sql";

// The transactional outbox: effects written with the change that caused them, sent from here.
constexpr const char* kOutbox = R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: an id is never reused, so order is send order
  kind TEXT NOT NULL CHECK (kind <> ''),
  escalation_id TEXT REFERENCES escalations (id),  -- NULL: not about one escalation
  ordering_key TEXT NOT NULL CHECK (ordering_key <> ''),
  payload_json TEXT NOT NULL CHECK (json_valid(payload_json) AND json_type(payload_json) = 'object'),
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- sending: committed before the network call, so after a crash the outcome is known to be unknown.
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
  last_error TEXT NOT NULL DEFAULT '',
  result_json TEXT NOT NULL DEFAULT '' CHECK (result_json = '' OR json_valid(result_json)),
  last_attempt_at INTEGER,
  sent_at INTEGER,
  CONSTRAINT sent_has_time CHECK ((state = 'sent') = (sent_at IS NOT NULL)),
  CONSTRAINT attempted_has_time CHECK ((attempts = 0) = (last_attempt_at IS NULL))
);
-- What the sender polls; partial, so sent history does not slow it down.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
-- The first unsent row of each ordering key: the only one of its key that may go next.
CREATE INDEX outbox_unsent_by_key ON outbox (ordering_key, id) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_by_escalation ON outbox (escalation_id) WHERE escalation_id IS NOT NULL;

-- Where each escalation's main Slack post is, so updates and thread replies know where to go.
CREATE TABLE slack_messages (
  escalation_id TEXT PRIMARY KEY REFERENCES escalations (id),
  channel TEXT NOT NULL CHECK (channel <> ''),
  ts TEXT NOT NULL CHECK (ts <> ''),
  permalink TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
)sql";

// One desk, many surfaces: each outbox row names the surface that delivers it and a transport-neutral
// effect; rows are ordered per escalation, so one escalation's trouble never holds another's back; and
// each escalation keeps its main message's reference per surface.
constexpr const char* kSurfaces = R"sql(
ALTER TABLE outbox ADD COLUMN surface TEXT NOT NULL DEFAULT 'slack' CHECK (surface <> '');
UPDATE outbox SET surface = 'agent', kind = 'decision_callback' WHERE kind = 'callback.decision';
UPDATE outbox SET kind = substr(kind, 7)
  WHERE kind IN ('slack.post_escalation', 'slack.update_escalation', 'slack.thread_reply');
UPDATE outbox SET kind = 'direct_message' WHERE kind = 'slack.dm';
UPDATE outbox SET ordering_key = surface || ':' || escalation_id
  WHERE state IN ('pending', 'sending') AND escalation_id IS NOT NULL;

CREATE TABLE surface_messages (
  escalation_id TEXT NOT NULL REFERENCES escalations (id),
  surface TEXT NOT NULL CHECK (surface <> ''),
  channel TEXT NOT NULL CHECK (channel <> ''),
  message_id TEXT NOT NULL CHECK (message_id <> ''),
  permalink TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (escalation_id, surface)
) WITHOUT ROWID;
INSERT INTO surface_messages (escalation_id, surface, channel, message_id, permalink)
  SELECT escalation_id, 'slack', channel, ts, permalink FROM slack_messages;
DROP TABLE slack_messages;
)sql";

// Messages that failed for good are few and wanted by /healthz on every probe: counted from an index
// of their own, never by scanning every row ever sent.
constexpr const char* kOutboxFailures = R"sql(
CREATE INDEX outbox_failed ON outbox (id) WHERE state = 'failed';
)sql";

// The audit chain's keyed head (see storage/audit_chain.hpp): one row, rewritten with each append, outside
// the chained rows so that deleting the last rows shows. No row: the chain was never keyed.
constexpr const char* kAuditHead = R"sql(
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  hash TEXT NOT NULL CHECK (length(hash) = 64),
  keyed_from INTEGER NOT NULL CHECK (keyed_from >= 1),
  mac TEXT NOT NULL CHECK (length(mac) = 64)
);
)sql";

// Text people wrote that audit events refer to (rationales, erasure reasons), beside the chain, which
// holds only their digests: erasing a note never breaks the chain.
constexpr const char* kAuditNotes = R"sql(
CREATE TABLE audit_notes (
  seq INTEGER NOT NULL REFERENCES audit (seq),
  name TEXT NOT NULL CHECK (name <> ''),
  text TEXT NOT NULL,
  PRIMARY KEY (seq, name)
) WITHOUT ROWID;
)sql";

// A submission keeps a bounded number of trigger hits (core::kHitsKeptPerEvaluation) and the count
// of every hit found; submissions stored before this kept all of theirs.
constexpr const char* kHitsTotal = R"sql(
ALTER TABLE submissions ADD COLUMN hits_total INTEGER NOT NULL DEFAULT 0 CHECK (hits_total >= 0);
UPDATE submissions SET hits_total = (SELECT count(*) FROM trigger_hits h WHERE h.submission_id = submissions.id);
)sql";

// Personal data is looked for in every free-text field of a submission, not only the output: each
// text hit names the field its offsets index. Earlier text hits were all in the output.
constexpr const char* kHitFields = R"sql(
ALTER TABLE trigger_hits ADD COLUMN field TEXT NOT NULL DEFAULT '';
UPDATE trigger_hits SET field = 'output' WHERE kind IN ('lexicon', 'personal_data');
)sql";

// A post-mortem is edited by its author for a week after it was filed: when and by whom it was last
// edited (the texts are rewritten in place; each edit is audited as "postmortem.edited").
constexpr const char* kPostMortemEdits = R"sql(
ALTER TABLE postmortems ADD COLUMN edited_at INTEGER CHECK (edited_at IS NULL OR edited_at >= at);
ALTER TABLE postmortems ADD COLUMN edited_by TEXT NOT NULL DEFAULT '';
CREATE INDEX postmortems_by_at ON postmortems (at);
)sql";

// Fire drills as the desk runs them: the SPEC's scenario names, who started each and in which
// workflow, and the score with the reasons for each of its parts. A drill whose draft the policy let
// through has no escalation. Rows of the first table (none were ever written outside tests) are kept.
constexpr const char* kDrillRuns = R"sql(
CREATE TABLE drill_runs (
  id INTEGER PRIMARY KEY,
  scenario TEXT NOT NULL CHECK (scenario IN ('pricing_claim', 'data_leak', 'tos_breach')),
  workflow TEXT NOT NULL,
  started_by TEXT NOT NULL CHECK (started_by <> ''),
  started_at INTEGER NOT NULL,
  escalation_id TEXT UNIQUE REFERENCES escalations (id),
  scored_at INTEGER CHECK (scored_at IS NULL OR scored_at >= started_at),
  score INTEGER CHECK (score BETWEEN 0 AND 100),
  checks_json TEXT NOT NULL DEFAULT '[]',  -- [{"name","points","max","reason"}]: why the score is what it is
  CHECK ((score IS NULL) = (scored_at IS NULL))
);
INSERT INTO drill_runs (id, scenario, workflow, started_by, started_at, escalation_id, scored_at, score)
  SELECT id,
         CASE scenario WHEN 'rogue_pricing_claim' THEN 'pricing_claim'
                       WHEN 'personal_data_leak' THEN 'data_leak' ELSE 'tos_breach' END,
         '', 'desk', started_at, escalation_id,
         CASE WHEN score IS NULL THEN NULL ELSE max(started_at, coalesce(responded_at, started_at)) END, score
  FROM drills;
DROP TABLE drills;
ALTER TABLE drill_runs RENAME TO drills;
CREATE INDEX drills_by_start ON drills (started_at);
)sql";

// Hits of lexicon categories in `mode: shadow`: recorded with each submission, never escalating, so
// reports and backtests can show what a category would do before it is enforced. Columns as
// trigger_hits, so one row format serves both; erased like them.
constexpr const char* kShadowHits = R"sql(
CREATE TABLE shadow_hits (
  submission_id TEXT NOT NULL REFERENCES submissions (id),
  ordinal INTEGER NOT NULL CHECK (ordinal >= 0),
  kind TEXT NOT NULL CHECK (kind = 'lexicon'),
  rule_id TEXT NOT NULL,
  category TEXT NOT NULL,
  route TEXT NOT NULL,
  explanation TEXT NOT NULL,
  begin_offset INTEGER CHECK (begin_offset >= 0),
  end_offset INTEGER CHECK (end_offset >= begin_offset),
  matched TEXT NOT NULL,
  threshold REAL,
  value REAL,
  citation_url TEXT NOT NULL,
  citation_date TEXT,
  oldest_allowed TEXT,
  field TEXT NOT NULL,
  PRIMARY KEY (submission_id, ordinal)
) WITHOUT ROWID;
)sql";

// The duty holder last announced in the desk channel, per role: the handoff notices' durable
// schedule. A notice is enqueued in the same transaction that moves this row on, so each handoff is
// announced once across restarts.
constexpr const char* kDutyAnnouncements = R"sql(
CREATE TABLE duty_announcements (
  role TEXT PRIMARY KEY,
  person TEXT NOT NULL CHECK (person <> ''),
  since INTEGER NOT NULL,
  announced_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// A reply in a surface's thread names the message it answers: the escalation is found from it.
constexpr const char* kMessagesByReference = R"sql(
CREATE INDEX surface_messages_by_reference ON surface_messages (surface, channel, message_id);
)sql";

// The weekly digests posted, by ISO week: each is posted once, in the transaction that records it.
constexpr const char* kWeeklyDigests = R"sql(
CREATE TABLE weekly_digests (
  week TEXT PRIMARY KEY CHECK (week GLOB '[0-9][0-9][0-9][0-9]-W[0-9][0-9]'),
  posted_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Messages people raised in the desk channel by mentioning the desk (the hotline), by their surface
// reference: the same message delivered twice is recorded once. Its text waits here only until its
// escalation opens (then the submission holds it, erasable); a row without an escalation is pending.
constexpr const char* kHotlineMessages = R"sql(
CREATE TABLE hotline_messages (
  surface TEXT NOT NULL CHECK (surface <> ''),
  channel TEXT NOT NULL CHECK (channel <> ''),
  message_id TEXT NOT NULL CHECK (message_id <> ''),
  thread_id TEXT NOT NULL,
  author TEXT NOT NULL,
  text TEXT,
  received_at INTEGER NOT NULL,
  escalation_id TEXT,
  PRIMARY KEY (surface, channel, message_id)
) WITHOUT ROWID;
CREATE INDEX hotline_messages_pending ON hotline_messages (surface, received_at) WHERE escalation_id IS NULL;
)sql";

// The versions of the desk's SOP posted (and pinned) in the desk channel, by the SHA-256 of its link and
// text: a version is posted once, in the transaction that records it; the newest row is the current one.
constexpr const char* kSopVersions = R"sql(
CREATE TABLE sop_versions (
  id INTEGER PRIMARY KEY,
  digest TEXT NOT NULL CHECK (length(digest) = 64),
  posted_at INTEGER NOT NULL
);
)sql";

// Processed Slack ids in the order they were recorded: a batch of ids writes to the end of the table,
// one or two pages, where a table keyed by the (random) id wrote a page for nearly every id (tens of
// megabytes a second at ten thousand envelopes a second). Recognising an id needs no index here: the
// desk checks ids in memory and reloads the last window at start.
constexpr const char* kProcessedIdsInOrder = R"sql(
CREATE TABLE processed_ids_in_order (
  at INTEGER NOT NULL,
  id TEXT NOT NULL CHECK (id <> ''),
  PRIMARY KEY (at, id)
) WITHOUT ROWID;
INSERT INTO processed_ids_in_order (at, id) SELECT at, id FROM processed_ids;
DROP TABLE processed_ids;
ALTER TABLE processed_ids_in_order RENAME TO processed_ids;
)sql";

constexpr std::array<Migration, 18> kMigrations{{
    {1, "base schema: submissions, evidence, escalations, deadlines, audit chain", kBaseSchema},
    {2, "fire drills table and an index on undecided escalations", kDrills},
    {3, "transactional outbox and the Slack post of each escalation", kOutbox},
    {4, "surfaces: outbox rows per surface and effect, ordered per escalation; message references per surface",
     kSurfaces},
    {5, "an index of outbox messages that failed for good", kOutboxFailures},
    {6, "the audit chain's keyed head record", kAuditHead},
    {7, "notes beside the audit chain: rationales and reasons, erasable", kAuditNotes},
    {8, "the count of every trigger hit a submission had, beside the bounded number kept", kHitsTotal},
    {9, "the field each text hit was found in (output, prompt, metadata.…)", kHitFields},
    {10, "post-mortems keep when and by whom they were last edited", kPostMortemEdits},
    {11, "fire drills as run: scenario, workflow, who started it, and the score with its reasons", kDrillRuns},
    {12, "hits of lexicon categories in shadow mode, recorded without escalating", kShadowHits},
    {13, "the duty holder last announced in the desk channel, per role (handoff notices)", kDutyAnnouncements},
    {14, "escalation messages found by their surface reference (thread replies)", kMessagesByReference},
    {15, "the weekly digests posted, by ISO week", kWeeklyDigests},
    {16, "messages raised in the desk channel by mentioning the desk (the hotline)", kHotlineMessages},
    {17, "the versions of the desk's SOP pinned in the desk channel", kSopVersions},
    {18, "processed Slack ids kept in the order they were recorded", kProcessedIdsInOrder},
}};

int pragma_int(SQLite::Database& db, const char* pragma) {
  return db.execAndGet(std::string("PRAGMA ") + pragma).getInt();
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

// One transaction for every pending step: a new database costs one commit (and its fsync) instead of
// one per step, which was most of the desk's start-up; and an upgrade is all or nothing.
void migrate(SQLite::Database& db, int target) {
  const int current = pragma_int(db, "user_version");
  int reached = current;
  SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
  for (const Migration& step : kMigrations) {
    if (step.version <= current || step.version > target) continue;
    db.exec(step.sql);
    reached = step.version;
  }
  if (reached == current) return;  // nothing to do: the transaction rolls back, having written nothing
  db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
  db.exec("PRAGMA user_version = " + std::to_string(reached));
  txn.commit();
}

int check_identity(SQLite::Database& db, const std::string& path) {
  const int app_id = pragma_int(db, "application_id");
  const int version = pragma_int(db, "user_version");
  if (app_id == kApplicationId) {
    if (version > latest_schema_version())
      throw StorageError(StorageError::Code::newer_schema, "database schema version " + std::to_string(version) +
                                                               " is newer than this binary supports (" +
                                                               std::to_string(latest_schema_version()) +
                                                               "): upgrade escalation-desk");
    return version;
  }
  const int objects = db.execAndGet("SELECT count(*) FROM sqlite_schema").getInt();
  if (app_id == 0 && version == 0 && objects == 0) return 0;  // a new, empty file: ours to create
  throw StorageError(StorageError::Code::corrupt,
                     path +
                         " is not a valid Escalation Desk database: it belongs to another application "
                         "(application_id " +
                         std::to_string(app_id) + ", " + std::to_string(objects) + " schema objects)");
}

}  // namespace desk::storage
