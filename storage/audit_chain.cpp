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

std::string row_hash(std::string_view prev_hash, std::int64_t seq, const core::AuditEvent& event,
                     std::string_view fields_json) {
  std::string input(prev_hash);
  input.append("\n").append(canonical_row(seq, event, fields_json));
  return sha256_hex(input);
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

void AuditChainVerifier::add(const AuditRow& row, std::string_view stored_fields) {
  ++result_.rows;
  if (result_.ok) {
    if (row.seq != last_seq_ + 1)
      fail(last_seq_ + 1,
           "row " + std::to_string(last_seq_ + 1) + " missing (next row is " + std::to_string(row.seq) + ")");
    else if (row.prev_hash != last_hash_)
      fail(row.seq, "prev_hash does not match the hash of row " + std::to_string(last_seq_));
    else if (row_hash(row.prev_hash, row.seq, row.event, stored_fields) != row.hash)
      fail(row.seq, "hash mismatch: the row was changed after it was written");
  }
  last_seq_ = row.seq;
  last_hash_ = row.hash;
}

void AuditChainVerifier::fail(std::int64_t seq, std::string problem) {
  result_.ok = false;
  result_.first_bad_seq = seq;
  result_.problem = std::move(problem);
}

}  // namespace desk::storage
