#pragma once
/// The audit trail's hash chain, independent of where rows are kept: each row's hash covers the
/// previous row's hash and this row's canonical form, so an edited, deleted or re-ordered row shows.
/// Evidence text stays out of the chain (only its digest goes in), so it can be erased on request.
#include <cstdint>
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

/// hex SHA-256 over prev_hash + "\n" + canonical_row(...).
std::string row_hash(std::string_view prev_hash, std::int64_t seq, const core::AuditEvent& event,
                     std::string_view fields_json);

/// Parses stored fields text back into key/value pairs (sorted by key); non-string values keep their
/// JSON text. Throws StorageError(corrupt) if it is not a JSON object.
std::vector<std::pair<std::string, std::string>> parse_fields(std::string_view fields_json);

/// SHA-256 hex of the canonical evidence of a submission: channel, prompt, output, metadata,
/// permalink and suggested fix, each length-prefixed so no two different bundles share a form.
std::string evidence_digest(const core::Submission& s);

/// Walks rows in seq order and reports the first break: a gap in seq ("row N missing"), a prev_hash
/// that is not the previous row's hash, or a hash that does not match the row's content.
class AuditChainVerifier {
 public:
  /// Feeds the next stored row; `stored_fields` is the fields text exactly as stored (row.event.fields
  /// is only its parsed form, so any byte change to the stored text shows).
  void add(const AuditRow& row, std::string_view stored_fields);
  AuditVerification result() const { return result_; }

 private:
  void fail(std::int64_t seq, std::string problem);

  AuditVerification result_;
  std::int64_t last_seq_ = 0;
  std::string last_hash_{kGenesisHash};
};

}  // namespace desk::storage
