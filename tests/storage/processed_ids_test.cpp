// SqliteStore's processed Slack ids in batches: mark_processed_batch (one transaction per batch) and
// processed_since (what a restarted desk reloads to keep recognising redeliveries).
#include <gtest/gtest.h>

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

TEST_F(ProcessedIdsTest, ABatchIsOneCommitAndCountsOnlyNewIds) {
  ASSERT_TRUE(store_->mark_processed("envelope:a", kT0));
  const int before = wal_commits(path_ + "-wal");
  EXPECT_EQ(store_->mark_processed_batch({"envelope:a", "envelope:b", "event:Ev1", "envelope:b"}, kT0 + 5s), 2);
  EXPECT_EQ(wal_commits(path_ + "-wal"), before + 1);
  EXPECT_FALSE(store_->mark_processed("envelope:b", kT0 + 6s));
  EXPECT_FALSE(store_->mark_processed("event:Ev1", kT0 + 6s));
}

TEST_F(ProcessedIdsTest, AnIdAlreadyRecordedKeepsItsTime) {
  ASSERT_TRUE(store_->mark_processed("envelope:a", kT0));
  ASSERT_EQ(store_->mark_processed_batch({"envelope:a"}, kT0 + 1h), 0);
  const auto rows = store_->processed_since(kT0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at, kT0);
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
  for (const auto& id : ids) EXPECT_FALSE(store_->mark_processed(id, kT0)) << id.size();
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
