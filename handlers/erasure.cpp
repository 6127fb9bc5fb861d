#include "handlers/erasure.hpp"

#include <algorithm>

#include "handlers/effects.hpp"

namespace desk::handlers {
namespace {

bool is_submission_id(const std::string& id) {
  if (id.size() < 10 || id.size() > 24 || id.rfind("SUB-", 0) != 0) return false;
  return std::all_of(id.begin() + 4, id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Valid UTF-8 with no control character (a reason is one line of text).
bool is_plain_text(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += len;
  }
  return true;
}

ErasureResult invalid(std::string field, std::string message) {
  ErasureResult r;
  r.status = ErasureResult::Status::invalid;
  r.field = std::move(field);
  r.message = std::move(message);
  return r;
}

}  // namespace

ErasureResult erase_submission(storage::Store& store, const ErasureRequest& request, core::TimePoint now) {
  if (!is_submission_id(request.submission_id))
    return invalid("submission", "'" + request.submission_id + "' is not a submission id (like SUB-000123)");
  if (request.reason.empty()) return invalid("reason", "give the reason for the erasure (e.g. the request's ticket)");
  if (request.reason.size() > kMaxErasureReason)
    return invalid("reason", "the reason has " + std::to_string(request.reason.size()) + " bytes; at most " +
                                 std::to_string(kMaxErasureReason) + " are kept");
  if (!is_plain_text(request.reason))
    return invalid("reason", "the reason must be one line of UTF-8 text without control characters");
  if (request.by.empty()) return invalid("by", "say who asks for the erasure");

  ErasureResult r;
  const auto stored = store.submission(request.submission_id);
  if (!stored) {
    r.status = ErasureResult::Status::not_found;
    r.message = "no submission " + request.submission_id + ": nothing was changed";
    return r;
  }
  // The escalation's message on each surface that shows one is drawn again from the store, as a
  // decision redraws it: with the evidence erased, it says so.
  std::vector<storage::OutboxMessage> updates;
  if (!stored->escalation_id.empty()) {
    for (const auto& ref : store.messages(stored->escalation_id)) r.updated_surfaces.push_back(ref.surface);
    updates = effect_rows(Effect::update_escalation, r.updated_surfaces, stored->escalation_id,
                          nlohmann::json::object(), now);
  }
  r.erasure = store.erase_submission(request.submission_id, request.by, request.reason, now, updates);
  r.status = r.erasure.already_erased ? ErasureResult::Status::already_erased : ErasureResult::Status::erased;
  if (r.erasure.already_erased) r.updated_surfaces.clear();
  return r;
}

}  // namespace desk::handlers
