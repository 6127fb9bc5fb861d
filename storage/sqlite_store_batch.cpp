// SqliteStore: group commit. Several submissions share one write transaction, so they share its one
// fsync (synchronous=FULL); a savepoint per submission keeps each one all-or-nothing on its own.
#include <sqlite3.h>

#include "storage/sqlite_store.hpp"
#include "storage/sqlite_store_impl.hpp"

namespace desk::storage {

namespace {

/// The failure of one submission as add_submission would report it.
std::exception_ptr submission_error() {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    return std::make_exception_ptr(storage_error("adding a submission", e));
  } catch (...) { return std::current_exception(); }
}

/// Thrown when a failure has ended the whole transaction, not just one submission's savepoint.
struct TransactionLost {};

}  // namespace

std::vector<SubmissionOutcome> SqliteStore::add_submissions(const std::vector<NewSubmission>& batch) {
  std::vector<SubmissionOutcome> out(batch.size());
  if (batch.empty()) return out;
  if (batch.size() == 1) {
    try {
      out[0].ids = add_submission(batch[0]);
    } catch (...) { out[0].error = std::current_exception(); }
    return out;
  }
  try {
    impl_->run("adding submissions", [&] {
      SQLite::Database& db = impl_->db;
      SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        db.exec("SAVEPOINT submission");
        try {
          out[i].ids = impl_->add_submission_rows(batch[i]);
          db.exec("RELEASE submission");
        } catch (...) {
          out[i].ids.reset();
          out[i].error = submission_error();
          // A constraint failure leaves the transaction open: undo this submission only. Some
          // failures (I/O, a full disk) end the whole transaction; then retry row by row below.
          if (sqlite3_get_autocommit(db.getHandle()) != 0) throw TransactionLost{};
          db.exec("ROLLBACK TO submission");
          db.exec("RELEASE submission");
        }
      }
      txn.commit();
    });
    return out;
  } catch (...) {
    // Nothing of the batch was committed. Retrying each on its own means the failure reaches only the
    // submissions it belongs to, and every one of them gets a definite outcome.
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    out[i] = {};
    try {
      out[i].ids = add_submission(batch[i]);
    } catch (...) { out[i].error = std::current_exception(); }
  }
  return out;
}

}  // namespace desk::storage
