#include "storage/audit_chain.hpp"

#include <nlohmann/json.hpp>

#include "storage/digest.hpp"

namespace desk::storage {
namespace {

using nlohmann::json;

// Replace rather than throw on invalid UTF-8: an audit append must not fail on odd bytes, and the
// replaced text is what gets both stored and hashed.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void append_prefixed(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(" ").append(std::to_string(value.size())).append("\n");
  out.append(value).append("\n");
}

}  // namespace

std::string canonical_fields(const core::AuditEvent& event) {
  json object = json::object();  // std::map underneath: keys come out sorted
  for (const auto& [key, value] : event.fields) {
    if (object.contains(key))
      throw StorageError(StorageError::Code::constraint,
                         "audit event '" + event.kind + "' has the field '" + key + "' twice");
    object[key] = value;
  }
  return dump(object);
}

std::string canonical_row(std::int64_t seq, const core::AuditEvent& event, std::string_view fields_json) {
  json head = json::array({seq, event.at.time_since_epoch().count(), event.kind, event.escalation_id, event.actor});
  std::string out = dump(head);
  out.pop_back();  // drop the closing bracket: the fields text goes in verbatim as the last element
  out.append(",").append(fields_json).append("]");
  return out;
}

namespace {

std::string hash_input(std::string_view prev_hash, std::int64_t seq, const core::AuditEvent& event,
                       std::string_view fields_json) {
  std::string input(prev_hash);
  input.append("\n").append(canonical_row(seq, event, fields_json));
  return input;
}

std::string field_of(const AuditRow& row, std::string_view key) {
  for (const auto& [k, v] : row.event.fields)
    if (k == key) return v;
  return {};
}

}  // namespace

std::string row_hash(std::string_view prev_hash, std::int64_t seq, const core::AuditEvent& event,
                     std::string_view fields_json) {
  return sha256_hex(hash_input(prev_hash, seq, event, fields_json));
}

std::string keyed_row_hash(std::string_view key, std::string_view prev_hash, std::int64_t seq,
                           const core::AuditEvent& event, std::string_view fields_json) {
  return hmac_sha256_hex(key, hash_input(prev_hash, seq, event, fields_json));
}

std::string head_mac(std::string_view key, const AuditHead& head) {
  return hmac_sha256_hex(key, "escalation-desk audit head v1\n" + std::to_string(head.seq) + "\n" + head.hash + "\n" +
                                  std::to_string(head.keyed_from));
}

bool is_note_field(std::string_view name) {
  return name == "rationale" || name == "erase_reason" || name == "reply_text" || name == "source_text";
}

std::string note_digest(std::string_view key, std::string_view name, std::string_view text) {
  std::string input = "escalation-desk audit note v1\n";
  input.append(name).append("\n").append(text);
  return key.empty() ? sha256_hex(input) : hmac_sha256_hex(key, input);
}

std::vector<std::pair<std::string, std::string>> split_notes(core::AuditEvent& event, std::string_view key) {
  std::vector<std::pair<std::string, std::string>> notes;
  for (auto& [name, value] : event.fields) {
    if (!is_note_field(name)) continue;
    notes.emplace_back(name, value);
    value = note_digest(key, name, value);
    name += "_digest";
  }
  return notes;
}

std::vector<std::pair<std::string, std::string>> parse_fields(std::string_view fields_json) {
  json object = json::parse(fields_json, nullptr, false);
  if (!object.is_object()) throw StorageError(StorageError::Code::corrupt, "audit fields are not a JSON object");
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& [key, value] : object.items())
    fields.emplace_back(key, value.is_string() ? value.get<std::string>() : dump(value));
  return fields;
}

std::string evidence_digest(const core::Submission& s) {
  std::string canonical = "escalation-desk evidence v1\n";
  append_prefixed(canonical, "channel", s.channel);
  append_prefixed(canonical, "prompt", s.prompt);
  append_prefixed(canonical, "output", s.output);
  append_prefixed(canonical, "metadata", s.metadata_json);
  append_prefixed(canonical, "permalink", s.permalink);
  append_prefixed(canonical, "suggested_fix", s.suggested_fix);
  return sha256_hex(canonical);
}

AuditChainVerifier::AuditChainVerifier(std::string key, std::optional<AuditHead> head)
    : key_(std::move(key)), head_(std::move(head)) {
  if (!head_) return;
  if (key_.empty()) {
    fail(0, "the chain is keyed: set DESK_AUDIT_KEY (or DESK_AUDIT_KEY_FILE) to verify it");
    result_.needs_key = true;
  } else if (head_mac(key_, *head_) != head_->mac)
    fail(0, "the head record does not match DESK_AUDIT_KEY: a wrong key, or the record was forged");
  else
    result_.keyed = true;
}

void AuditChainVerifier::add(const AuditRow& row, std::string_view stored_fields) {
  ++result_.rows;
  if (result_.ok) {
    const bool keyed = head_ && row.seq >= head_->keyed_from;
    if (row.seq != last_seq_ + 1)
      fail(last_seq_ + 1,
           "row " + std::to_string(last_seq_ + 1) + " missing (next row is " + std::to_string(row.seq) + ")");
    else if (row.prev_hash != last_hash_)
      fail(row.seq, "prev_hash does not match the hash of row " + std::to_string(last_seq_));
    else if ((keyed ? keyed_row_hash(key_, row.prev_hash, row.seq, row.event, stored_fields)
                    : row_hash(row.prev_hash, row.seq, row.event, stored_fields)) != row.hash)
      fail(row.seq, "hash mismatch: the row was changed after it was written");
    for (const auto& [name, text] : row.notes)
      if (note_digest(keyed ? key_ : "", name, text) != field_of(row, name + "_digest"))
        fail(row.seq, "the " + name + " kept beside row " + std::to_string(row.seq) +
                          " does not match the digest the row chained");
  }
  // Which evidence the chain vouches for: the first row naming a submission fixes its digest.
  if (const std::string submission = field_of(row, "submission_id"); !submission.empty()) {
    const std::string digest = field_of(row, "evidence_digest");
    if (!digest.empty()) chained_evidence_.try_emplace(submission, digest, row.seq);
  }
  if (row.event.kind == "submission.erased" || row.event.kind == "evidence.erased")
    erased_digests_.insert(field_of(row, "evidence_digest"));
  last_seq_ = row.seq;
  last_hash_ = row.hash;
}

void AuditChainVerifier::check_evidence(const EvidenceToCheck& ev) {
  ++result_.evidence_checked;
  const auto chained = chained_evidence_.find(ev.submission_id);
  if (chained == chained_evidence_.end())
    return fail(0, "the evidence of " + ev.submission_id + " is not recorded in the chain");
  const auto& [digest, seq] = chained->second;
  if (ev.digest != digest)
    return fail(seq, "the evidence digest of " + ev.submission_id + " differs from the one chained at row " +
                         std::to_string(seq));
  if (ev.erased) {
    if (!erased_digests_.count(digest))
      fail(seq, "the evidence of " + ev.submission_id + " is marked erased, but no erasure is in the chain");
  } else if (evidence_digest(ev.text) != digest) {
    fail(seq, "the evidence of " + ev.submission_id + " was changed after it was recorded (digest mismatch)");
  }
}

AuditVerification AuditChainVerifier::finish() {
  if (!head_) {
    // Rows under a key but no head: the record was removed. Rows without either: an old, unkeyed chain,
    // which can be checked only as far as plain SHA-256 goes.
    if (!key_.empty() && result_.rows > 0)
      fail(0,
           "the chain is not keyed: its rows carry plain SHA-256, which anyone with the file can recompute "
           "(run `escalation-desk audit anchor` once with DESK_AUDIT_KEY set)");
    return result_;
  }
  if (last_seq_ < head_->seq)
    fail(last_seq_ + 1, "rows " + std::to_string(last_seq_ + 1) + " to " + std::to_string(head_->seq) +
                            " missing: the keyed head records " + std::to_string(head_->seq) +
                            " rows (the chain was truncated)");
  else if (last_seq_ > head_->seq)
    fail(head_->seq + 1, "row " + std::to_string(head_->seq + 1) + " is past the keyed head (row " +
                             std::to_string(head_->seq) + "): it was added without the key");
  else if (last_hash_ != head_->hash)
    fail(last_seq_, "the last row's hash differs from the keyed head's");
  return result_;
}

void AuditChainVerifier::fail(std::int64_t seq, std::string problem) {
  if (!result_.ok) return;  // the first break is the one worth reading
  result_.ok = false;
  result_.keyed = false;
  result_.first_bad_seq = seq;
  result_.problem = std::move(problem);
}

}  // namespace desk::storage
