#pragma once
/// Erasing a submission's personal data on request (GDPR art. 17), whatever asks for it (the `erase`
/// command today): the input checked, the store's erasure, and an update of the escalation's message
/// on every surface that shows one, enqueued in the same transaction, so each says it was erased.
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

struct ErasureRequest {
  std::string submission_id;  ///< "SUB-000123"
  std::string by;             ///< who asks (kept in the tombstone and the audit trail)
  std::string reason;         ///< why, e.g. a ticket number (kept beside the chain, not in it)
};

struct ErasureResult {
  enum class Status { erased, already_erased, invalid, not_found };
  Status status = Status::invalid;
  std::string field;    ///< for invalid: which input is wrong
  std::string message;  ///< for invalid and not_found: what is wrong, nothing changed
  storage::Erasure erasure;
  std::vector<std::string> updated_surfaces;  ///< where an update of the escalation's message is enqueued
};

/// The longest reason kept; a ticket reference and a few words, not a copy of the request.
inline constexpr std::size_t kMaxErasureReason = 500;

/// Checks the request (the id's form, a reason of 1 to kMaxErasureReason bytes of valid UTF-8 without
/// control characters) and erases. StorageError other than not_found propagates.
ErasureResult erase_submission(storage::Store& store, const ErasureRequest& request, core::TimePoint now);

}  // namespace desk::handlers
