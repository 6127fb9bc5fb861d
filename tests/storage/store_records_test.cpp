// SqliteStore's small tables: processed ids, rota overrides, post-mortems, drills, policy snapshots.
#include <gtest/gtest.h>

#include "store_fixtures.hpp"

namespace desk::storage {
namespace {

using namespace testing;
using core::DeadlineKind;
using core::EscalationState;

class StoreRecordsTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> store_ = SqliteStore::open(":memory:");
};

TEST_F(StoreRecordsTest, ProcessedIdsAreRecordedOnceAndPruned) {
  EXPECT_TRUE(store_->mark_processed("env-1", kT0));
  EXPECT_FALSE(store_->mark_processed("env-1", kT0 + 1s));
  EXPECT_TRUE(store_->mark_processed("env-2", kT0 + 1h));
  EXPECT_EQ(store_->prune_processed(kT0 + 1min), 1);
  EXPECT_TRUE(store_->mark_processed("env-1", kT0 + 2h));  // forgotten, so new again
  EXPECT_FALSE(store_->mark_processed("env-2", kT0 + 2h));
  EXPECT_EQ(store_->prune_processed(kT0), 0);
  EXPECT_EQ(storage_error_code([&] { store_->mark_processed("", kT0); }), StorageError::Code::constraint);
}

TEST_F(StoreRecordsTest, OverridesActiveAfterAnInstantInCreationOrder) {
  const core::AuditEvent audit{"rota.override", "", "dana", kT0, {{"role", "duty_lead"}}};
  const auto ended = store_->add_override({0, "duty_lead", "bob", kT0 - 2h, kT0 - 1h, "dentist", "dana"}, audit);
  const auto a = store_->add_override({0, "duty_lead", "carol", kT0, kT0 + 8h, "holiday", "dana"}, audit);
  const auto b = store_->add_override({0, "backup", "erin", kT0 + 1h, kT0 + 2h, "", "U123"}, audit);
  EXPECT_LT(ended, a);
  const auto active = store_->overrides_active_after(kT0);
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0].id, a);
  EXPECT_EQ(active[0].person, "carol");
  EXPECT_EQ(active[0].until, kT0 + 8h);
  EXPECT_EQ(active[1].id, b);
  EXPECT_EQ(active[1].created_by, "U123");
  EXPECT_EQ(store_->overrides_active_after(kT0 + 2h).size(), 1u);  // until is exclusive

  const auto trail = store_->audit_trail("");
  ASSERT_EQ(trail.size(), 3u);
  EXPECT_EQ(trail[1].event.fields, (std::vector<std::pair<std::string, std::string>>{{"override_id", std::to_string(a)},
                                                                                     {"role", "duty_lead"}}));
}

TEST_F(StoreRecordsTest, OverrideThatEndsBeforeItStartsIsRefused) {
  const core::AuditEvent audit{"rota.override", "", "dana", kT0, {}};
  EXPECT_EQ(storage_error_code([&] {
              store_->add_override({0, "duty_lead", "bob", kT0, kT0, "", "dana"}, audit);
            }),
            StorageError::Code::constraint);
  EXPECT_TRUE(store_->overrides_active_after(kT0 - 24h).empty());
  EXPECT_TRUE(store_->audit_trail("").empty());
}

TEST_F(StoreRecordsTest, PostmortemsAreKeptPerEscalationAndAudited) {
  const auto ids = store_->add_submission(escalated_submission());
  const auto id = store_->add_postmortem(
      {0, ids.escalation_id, "lee", kT0 + 1h, "a licence claim", "rewrote the claim", "add 'licensed' to the lexicon"});
  const auto list = store_->postmortems(ids.escalation_id);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, id);
  EXPECT_EQ(list[0].at, kT0 + 1h);
  EXPECT_EQ(list[0].what_to_automate, "add 'licensed' to the lexicon");
  EXPECT_EQ(store_->audit_trail(ids.escalation_id).back().event.kind, "postmortem.filed");
  EXPECT_TRUE(store_->postmortems("ESC-000404").empty());
}

TEST_F(StoreRecordsTest, PostmortemForUnknownEscalationIsRefusedByForeignKey) {
  EXPECT_EQ(storage_error_code([&] {
              store_->add_postmortem({0, "ESC-000404", "lee", kT0, "", "", ""});
            }),
            StorageError::Code::constraint);
}

TEST_F(StoreRecordsTest, DrillsRoundTripAndAreValidated) {
  NewSubmission s = escalated_submission();
  s.escalation->drill = true;
  const auto ids = store_->add_submission(s);
  EXPECT_TRUE(store_->escalation(ids.escalation_id)->drill);
  const auto scored = store_->add_drill({0, "rogue_pricing_claim", ids.escalation_id, kT0, kT0 + 4min, 85, "fast"});
  const auto pending = store_->add_drill({0, "personal_data_leak", "", kT0 + 1h, std::nullopt, std::nullopt, ""});
  const auto drills = store_->drills();
  ASSERT_EQ(drills.size(), 2u);
  EXPECT_EQ(drills[0].id, scored);
  EXPECT_EQ(*drills[0].score, 85);
  EXPECT_EQ(*drills[0].responded_at, kT0 + 4min);
  EXPECT_EQ(drills[0].escalation_id, ids.escalation_id);
  EXPECT_EQ(drills[1].id, pending);
  EXPECT_FALSE(drills[1].score);
  EXPECT_TRUE(drills[1].escalation_id.empty());

  EXPECT_EQ(storage_error_code([&] {
              store_->add_drill({0, "alien_invasion", "", kT0, {}, {}, ""});
            }),
            StorageError::Code::constraint);
  EXPECT_EQ(storage_error_code([&] {
              store_->add_drill({0, "personal_data_leak", "", kT0, {}, 101, ""});
            }),
            StorageError::Code::constraint);
  EXPECT_EQ(store_->drills().size(), 2u);
}

TEST_F(StoreRecordsTest, PolicySnapshotsAreKeptOncePerDigest) {
  const std::string text = "desk:\n  channel: ai-escalation\n";
  const std::string digest = sha256_hex(text);
  store_->save_policy_snapshot(digest, text);
  store_->save_policy_snapshot(digest, text);
  EXPECT_EQ(store_->policy_snapshot(digest), text);
  EXPECT_FALSE(store_->policy_snapshot(sha256_hex("another")));
  EXPECT_EQ(storage_error_code([&] { store_->save_policy_snapshot("", text); }), StorageError::Code::constraint);
}

}  // namespace
}  // namespace desk::storage
