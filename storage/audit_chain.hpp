#pragma once
/// The audit trail's hash chain, independent of where rows are kept: each row's hash covers the
/// previous row's hash and this row's canonical form, so an edited, deleted or re-ordered row shows.
/// Under DESK_AUDIT_KEY each hash is an HMAC and a keyed head record names the last row, so neither
/// a rehashed chain nor a truncated one verifies without the key. Rows written before the chain was
/// keyed keep their plain SHA-256; the first keyed row covers their last hash.
/// Evidence text stays out of the chain (only its digest goes in), so it can be erased on request.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/escalation.hpp"
#include "core/submission.hpp"
#include "storage/store.hpp"

namespace desk::storage {

/// prev_hash of the first row.
inline constexpr std::string_view kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event's fields as canonical JSON: one object, keys sorted, no whitespace. Invalid UTF-8 is
/// replaced (U+FFFD), so the stored text is exactly what was hashed. Throws StorageError(constraint)
/// if a key appears twice (the object form would silently lose one).
std::string canonical_fields(const core::AuditEvent& event);

/// The canonical form of a row: a JSON array [seq, at, kind, escalation_id, actor, fields], with
/// `fields_json` (canonical_fields() output when written, the stored text when verified) taken verbatim.
std::string canonical_row(std::int64_t seq, const core::AuditEvent& event, std::string_view fields_json);

/// hex SHA-256 over prev_hash + "\n" + canonical_row(...): rows chained without a key.
std::string row_hash(std::string_view prev_hash, std::int64_t seq, const core::AuditEvent& event,
                     std::string_view fields_json);

/// hex HMAC-SHA256 under `key` over the same input as row_hash: rows chained with DESK_AUDIT_KEY.
std::string keyed_row_hash(std::string_view key, std::string_view prev_hash, std::int64_t seq,
                           const core::AuditEvent& event, std::string_view fields_json);

/// hex HMAC-SHA256 under `key` over the head's seq, hash and keyed_from.
std::string head_mac(std::string_view key, const AuditHead& head);

/// Fields whose text stays out of the chained row: a person's rationale, an erasure's reason, a
/// thread reply's text.
bool is_note_field(std::string_view name);

/// The digest the chain keeps for a note: HMAC-SHA256 under `key` on keyed rows (so a short text
/// cannot be confirmed by guessing), SHA-256 on rows chained without one.
std::string note_digest(std::string_view key, std::string_view name, std::string_view text);

/// Moves the note fields of `event` out: each becomes "<name>_digest" (note_digest under `key`) in
/// the event, and its text is returned as (name, text).
std::vector<std::pair<std::string, std::string>> split_notes(core::AuditEvent& event, std::string_view key);

/// Parses stored fields text back into key/value pairs (sorted by key); non-string values keep their
/// JSON text. Throws StorageError(corrupt) if it is not a JSON object.
std::vector<std::pair<std::string, std::string>> parse_fields(std::string_view fields_json);

/// SHA-256 hex of the canonical evidence of a submission: channel, prompt, output, metadata,
/// permalink and suggested fix, each length-prefixed so no two different bundles share a form.
std::string evidence_digest(const core::Submission& s);

/// One evidence bundle as kept (or exported), to check against the digest the chain recorded.
struct EvidenceToCheck {
  std::string submission_id;
  core::Submission text;  ///< channel, prompt, output, metadata_json, permalink, suggested_fix
  std::string digest;     ///< the digest stored beside the text
  bool erased = false;    ///< the text was erased on request: only the digest is left to match
};

/// Walks rows in seq order and reports the first break: a gap in seq ("row N missing"), a prev_hash
/// that is not the previous row's hash, or a hash that does not match the row's content; then, in
/// finish(), a head that does not match the last row (truncation) and evidence that does not match
/// the chain.
class AuditChainVerifier {
 public:
  /// No key and no head: a chain written before keys (plain SHA-256 throughout). With a head, rows
  /// from head->keyed_from on are HMACs under `key`, and the head's MAC must match `key`.
  explicit AuditChainVerifier(std::string key = {}, std::optional<AuditHead> head = std::nullopt);

  /// Feeds the next stored row; `stored_fields` is the fields text exactly as stored (row.event.fields
  /// is only its parsed form, so any byte change to the stored text shows). Each of row.notes must
  /// match the digest its row chained.
  void add(const AuditRow& row, std::string_view stored_fields);
  /// Checks one evidence bundle against the chain (call after the last add()).
  void check_evidence(const EvidenceToCheck& evidence);
  /// After every row and bundle: checks the head against the last row.
  AuditVerification finish();
  /// The verdict so far, without the head check.
  AuditVerification result() const { return result_; }

 private:
  void fail(std::int64_t seq, std::string problem);

  std::string key_;
  std::optional<AuditHead> head_;
  AuditVerification result_;
  std::int64_t last_seq_ = 0;
  std::string last_hash_{kGenesisHash};
  /// submission id -> (evidence digest, seq of the first row that recorded it)
  std::map<std::string, std::pair<std::string, std::int64_t>> chained_evidence_;
  std::set<std::string> erased_digests_;  ///< digests named by a chained erasure
};

}  // namespace desk::storage
