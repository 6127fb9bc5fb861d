#pragma once
/// The database schema as an ordered list of steps. `PRAGMA user_version` records how many have run;
/// the pending steps run in one transaction, so a crash or a failed step mid-upgrade leaves the
/// version from before the upgrade intact.
/// Internal to storage/ (and its tests): it works on a raw SQLiteCpp connection.
#include <cstdint>
#include <span>
#include <string>

namespace SQLite {
class Database;
}

namespace desk::storage {

/// `PRAGMA application_id` of every Escalation Desk database ("ESCD"): tells ours from other SQLite files.
inline constexpr std::int32_t kApplicationId = 0x45534344;

struct Migration {
  int version;          ///< user_version after this step
  const char* summary;  ///< what it adds, for humans
  const char* sql;      ///< one or more statements
};

/// Every step, oldest first: migrations()[i].version == i + 1.
std::span<const Migration> migrations();

/// The schema version this binary writes and understands.
int latest_schema_version();

/// Runs the steps after the database's user_version up to `target` (default: all) in one
/// transaction, setting application_id and user_version inside it. Throws SQLite::Exception on failure.
void migrate(SQLite::Database& db, int target = latest_schema_version());

/// Refuses a database that is not ours or is too new, before anything is written to it:
/// StorageError(corrupt) for another application's file, StorageError(newer_schema) for a newer one.
/// Returns its user_version (0 for a fresh, empty file).
int check_identity(SQLite::Database& db, const std::string& path);

}  // namespace desk::storage
