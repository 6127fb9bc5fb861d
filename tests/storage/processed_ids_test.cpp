// SqliteStore's processed Slack ids in batches: mark_processed_batch (one transaction per batch) and
// processed_since (what a restarted desk reloads to keep recognising redeliveries).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "store_fixtures.hpp"
#include "wal_commits.hpp"

namespace desk::storage {
namespace {

using namespace testing;

std::vector<std::string> ids_of(const std::vector<ProcessedId>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.id);
  return out;
}

class ProcessedIdsTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("desk.db");
  std::unique_ptr<SqliteStore> store_ = SqliteStore::open(path_);
};

TEST_F(ProcessedIdsTest, ABatchIsOneCommitAndAnIdTwiceInItIsWrittenOnce) {
  ASSERT_EQ(store_->mark_processed_batch({"envelope:a"}, kT0), 1);
  const int before = wal_commits(path_ + "-wal");
  EXPECT_EQ(store_->mark_processed_batch({"envelope:a", "envelope:b", "event:Ev1", "envelope:b"}, kT0 + 5s), 3);
  EXPECT_EQ(wal_commits(path_ + "-wal"), before + 1);
  EXPECT_EQ(ids_of(store_->processed_since(kT0)), (std::vector<std::string>{"envelope:a", "envelope:b", "event:Ev1"}));
}

TEST_F(ProcessedIdsTest, AnIdRecordedAgainIsReportedOnceAtItsFirstTime) {
  ASSERT_EQ(store_->mark_processed_batch({"envelope:a"}, kT0), 1);
  ASSERT_EQ(store_->mark_processed_batch({"envelope:a"}, kT0 + 1h), 1);
  const auto rows = store_->processed_since(kT0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at, kT0);
  // Pruned up to its first record, it is still known from the later one.
  EXPECT_EQ(store_->prune_processed(kT0 + 1min), 1);
  ASSERT_EQ(store_->processed_since(kT0).size(), 1u);
  EXPECT_EQ(store_->processed_since(kT0)[0].at, kT0 + 1h);
}

TEST_F(ProcessedIdsTest, ABatchWritesAtTheEndOfTheTableNotAPagePerId) {
  // Ids arrive in random order (Slack's are UUIDs); kept in the order they were recorded, a batch of
  // them touches the last pages only. Keyed by the id, each id landed on a page of its own.
  std::vector<std::string> ids;
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<std::string> one;
    for (int i = 0; i < 200; ++i) one.push_back("envelope:" + sha256_hex(std::to_string(batch * 1000 + i)));
    ASSERT_EQ(store_->mark_processed_batch(one, kT0 + std::chrono::seconds(batch)), 200);
  }
  const auto wal_before = std::filesystem::file_size(path_ + "-wal");
  std::vector<std::string> last;
  for (int i = 0; i < 200; ++i) last.push_back("envelope:" + sha256_hex("last" + std::to_string(i)));
  ASSERT_EQ(store_->mark_processed_batch(last, kT0 + 1min), 200);
  const auto written = std::filesystem::file_size(path_ + "-wal") - wal_before;
  // 200 ids of ~75 bytes fill about four 4 KiB pages; a page per id would be 200 pages (800 KiB).
  EXPECT_LT(written, 20u * 4096) << written << " bytes of WAL for one batch";
}

TEST_F(ProcessedIdsTest, AnEmptyBatchWritesNothing) {
  const int before = wal_commits(path_ + "-wal");
  EXPECT_EQ(store_->mark_processed_batch({}, kT0), 0);
  EXPECT_EQ(wal_commits(path_ + "-wal"), before);
}

TEST_F(ProcessedIdsTest, AnEmptyIdFailsTheWholeBatch) {
  EXPECT_EQ(storage_error_code([&] {
              store_->mark_processed_batch({"envelope:a", "", "envelope:c"}, kT0);
            }),
            StorageError::Code::constraint);
  EXPECT_TRUE(store_->processed_since(kT0 - 1h).empty());
  // The store is still usable afterwards.
  EXPECT_EQ(store_->mark_processed_batch({"envelope:a"}, kT0), 1);
}

TEST_F(ProcessedIdsTest, HostileIdsAreStoredVerbatim) {
  const std::vector<std::string> ids = {"envelope:'); DROP TABLE processed_ids;--", std::string("envelope:a\0b", 12),
                                        "event:" + std::string(4096, 'x'), "envelope:\xE2\x9C\x93"};
  EXPECT_EQ(store_->mark_processed_batch(ids, kT0), 4);
  EXPECT_EQ(store_->processed_since(kT0).size(), 4u);
  std::vector<std::string> read;
  for (const auto& row : store_->processed_since(kT0)) read.push_back(row.id);
  std::vector<std::string> expected = ids;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(read, expected);
}

TEST_F(ProcessedIdsTest, ProcessedSinceIsInclusiveAndOldestFirst) {
  store_->mark_processed_batch({"envelope:late"}, kT0 + 2min);
  store_->mark_processed_batch({"envelope:old"}, kT0 - 20min);
  store_->mark_processed_batch({"envelope:edge-b", "envelope:edge-a"}, kT0);
  const auto rows = store_->processed_since(kT0);
  EXPECT_EQ(ids_of(rows), (std::vector<std::string>{"envelope:edge-a", "envelope:edge-b", "envelope:late"}));
  EXPECT_EQ(rows.back().at, kT0 + 2min);
  EXPECT_TRUE(store_->processed_since(kT0 + 3min).empty());
}

TEST_F(ProcessedIdsTest, BatchesSurviveReopeningAndPruningForgetsThem) {
  store_->mark_processed_batch({"envelope:a", "envelope:b"}, kT0);
  store_->mark_processed_batch({"envelope:c"}, kT0 + 10min);
  store_.reset();
  store_ = SqliteStore::open(path_);
  EXPECT_EQ(ids_of(store_->processed_since(kT0)), (std::vector<std::string>{"envelope:a", "envelope:b", "envelope:c"}));
  EXPECT_EQ(store_->prune_processed(kT0 + 1min), 2);
  EXPECT_EQ(ids_of(store_->processed_since(kT0)), std::vector<std::string>{"envelope:c"});
}

}  // namespace
}  // namespace desk::storage
