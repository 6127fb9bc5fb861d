// SqliteStore's small tables: processed ids, rota overrides, post-mortems, drills, policy snapshots, SOP versions.
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

TEST_F(StoreRecordsTest, ProcessedIdsAreReportedOnceAndPruned) {
  EXPECT_EQ(store_->mark_processed_batch({"env-1"}, kT0), 1);
  EXPECT_EQ(store_->mark_processed_batch({"env-1"}, kT0 + 1s), 1);  // recorded again, reported once
  EXPECT_EQ(store_->mark_processed_batch({"env-2"}, kT0 + 1h), 1);
  ASSERT_EQ(store_->processed_since(kT0).size(), 2u);
  EXPECT_EQ(store_->processed_since(kT0)[0].at, kT0) << "from its first time";
  EXPECT_EQ(store_->prune_processed(kT0 + 1min), 2);
  ASSERT_EQ(store_->processed_since(kT0).size(), 1u);
  EXPECT_EQ(store_->processed_since(kT0)[0].id, "env-2");
  EXPECT_EQ(store_->prune_processed(kT0), 0);
  EXPECT_EQ(storage_error_code([&] { store_->mark_processed_batch({""}, kT0); }), StorageError::Code::constraint);
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

// overrides_active_after answers from what it last read for StoreOptions::overrides_kept_for; two
// stores on one file show which answers come from SQLite and which from memory.
class OverridesKeptTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> open(std::chrono::milliseconds kept_for) {
    StoreOptions options;
    options.overrides_kept_for = kept_for;
    return SqliteStore::open(path_, options);
  }
  static std::int64_t add(SqliteStore& store, const char* person, core::TimePoint from, core::TimePoint until) {
    return store.add_override({0, "duty_lead", person, from, until, "", "dana"},
                              core::AuditEvent{"rota.override", "", "dana", kT0, {}});
  }
  static std::vector<std::string> people(const std::vector<core::RotaOverride>& overrides) {
    std::vector<std::string> out;
    for (const auto& o : overrides) out.push_back(o.person);
    return out;
  }
  TempDir dir_;
  std::string path_ = dir_.file("desk.db");
};

TEST_F(OverridesKeptTest, ALaterInstantIsAnsweredFromWhatWasReadAndItsOwnWritesShowAtOnce) {
  auto desk = open(1h);
  auto other = open(1h);
  add(*desk, "carol", kT0, kT0 + 8h);
  add(*desk, "erin", kT0, kT0 + 2h);
  EXPECT_EQ(people(desk->overrides_active_after(kT0)), (std::vector<std::string>{"carol", "erin"}));
  add(*other, "frank", kT0, kT0 + 4h);  // another process: not seen while the answer is kept
  EXPECT_EQ(people(desk->overrides_active_after(kT0 + 1h)), (std::vector<std::string>{"carol", "erin"}));
  EXPECT_EQ(people(desk->overrides_active_after(kT0 + 2h)), (std::vector<std::string>{"carol"}));  // until is exclusive
  add(*desk, "gina", kT0, kT0 + 3h);  // its own write: read again, the other process's with it
  EXPECT_EQ(people(desk->overrides_active_after(kT0 + 1h)),
            (std::vector<std::string>{"carol", "erin", "frank", "gina"}));
  // An earlier instant than the one read is read again: what ended in between is not in memory.
  add(*other, "hal", kT0 - 2h, kT0 - 1h);
  EXPECT_EQ(people(desk->overrides_active_after(kT0 - 90min)),
            (std::vector<std::string>{"carol", "erin", "frank", "gina", "hal"}));
}

TEST_F(OverridesKeptTest, KeptForZeroReadsEveryTime) {
  auto desk = open(0ms);
  auto other = open(0ms);
  add(*desk, "carol", kT0, kT0 + 8h);
  EXPECT_EQ(people(desk->overrides_active_after(kT0)), (std::vector<std::string>{"carol"}));
  add(*other, "frank", kT0, kT0 + 4h);
  EXPECT_EQ(people(desk->overrides_active_after(kT0 + 1h)), (std::vector<std::string>{"carol", "frank"}));
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

TEST_F(StoreRecordsTest, ASecondPostmortemForOneEscalationIsAConflictAndChangesNothing) {
  const auto ids = store_->add_submission(escalated_submission());
  store_->add_postmortem({0, ids.escalation_id, "lee", kT0, "a", "b", "c"});
  const auto audit_rows = store_->audit_trail(ids.escalation_id).size();
  EXPECT_EQ(storage_error_code([&] {
              store_->add_postmortem({0, ids.escalation_id, "sam", kT0, "x", "y", "z"});
            }),
            StorageError::Code::conflict);
  ASSERT_EQ(store_->postmortems(ids.escalation_id).size(), 1u);
  EXPECT_EQ(store_->postmortems(ids.escalation_id)[0].author, "lee");
  EXPECT_EQ(store_->audit_trail(ids.escalation_id).size(), audit_rows);
}

TEST_F(StoreRecordsTest, AFiledPostmortemEnqueuesItsOutboxRowsWithTheFiling) {
  const auto ids = store_->add_submission(escalated_submission());
  OutboxMessage reply;
  reply.surface = "slack";
  reply.kind = "thread_reply";
  reply.payload_json = R"({"reply":"postmortem","actor":"lee"})";
  reply.created_at = reply.next_attempt_at = kT0;
  store_->add_postmortem({0, ids.escalation_id, "lee", kT0, "a", "b", "c"}, {reply});
  const auto rows = store_->outbox_of_escalation(ids.escalation_id, 100);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().kind, "thread_reply");
  EXPECT_EQ(rows.back().escalation_id, ids.escalation_id);
}

TEST_F(StoreRecordsTest, AnEditRewritesTheTextsKeepsAuthorAndFilingTimeAndIsAudited) {
  const auto ids = store_->add_submission(escalated_submission());
  const auto id = store_->add_postmortem({0, ids.escalation_id, "lee", kT0, "a claim", "rewrote it", "lexicon"});
  PostMortem edit{id, ids.escalation_id, "someone-else", kT0 + 5h, "a claim", "rewrote it twice", "a new rule"};
  edit.edited_at = kT0 + 2h;
  edit.edited_by = "lee";
  store_->edit_postmortem(edit, {});
  const auto list = store_->postmortems(ids.escalation_id);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].author, "lee");
  EXPECT_EQ(list[0].at, kT0);
  EXPECT_EQ(list[0].what_triggered, "a claim");
  EXPECT_EQ(list[0].what_fixed, "rewrote it twice");
  EXPECT_EQ(list[0].what_to_automate, "a new rule");
  EXPECT_EQ(list[0].edited_at, kT0 + 2h);
  EXPECT_EQ(list[0].edited_by, "lee");
  const auto last = store_->audit_trail(ids.escalation_id).back().event;
  EXPECT_EQ(last.kind, "postmortem.edited");
  EXPECT_EQ(last.actor, "lee");
  EXPECT_EQ(last.at, kT0 + 2h);
  // Fields come back in their canonical (sorted) order.
  EXPECT_EQ(last.fields, (std::vector<std::pair<std::string, std::string>>{{"changed", "what_fixed,what_to_automate"},
                                                                           {"postmortem_id", std::to_string(id)}}));
  EXPECT_TRUE(store_->verify_audit().ok);
}

TEST_F(StoreRecordsTest, AnEditOfAnUnknownPostmortemOrWithoutWhoAndWhenChangesNothing) {
  const auto ids = store_->add_submission(escalated_submission());
  const auto id = store_->add_postmortem({0, ids.escalation_id, "lee", kT0, "a", "b", "c"});
  PostMortem edit{id + 1, ids.escalation_id, "lee", kT0, "x", "y", "z"};
  edit.edited_at = kT0 + 1h;
  edit.edited_by = "lee";
  EXPECT_EQ(storage_error_code([&] { store_->edit_postmortem(edit, {}); }), StorageError::Code::not_found);
  edit.id = id;
  edit.escalation_id = "ESC-000404";
  EXPECT_EQ(storage_error_code([&] { store_->edit_postmortem(edit, {}); }), StorageError::Code::not_found);
  edit.escalation_id = ids.escalation_id;
  edit.edited_by.clear();
  EXPECT_EQ(storage_error_code([&] { store_->edit_postmortem(edit, {}); }), StorageError::Code::constraint);
  edit.edited_by = "lee";
  edit.edited_at.reset();
  EXPECT_EQ(storage_error_code([&] { store_->edit_postmortem(edit, {}); }), StorageError::Code::constraint);
  const auto list = store_->postmortems(ids.escalation_id);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].what_triggered, "a");
  EXPECT_FALSE(list[0].edited_at);
  EXPECT_EQ(store_->audit_trail(ids.escalation_id).back().event.kind, "postmortem.filed");
}

TEST_F(StoreRecordsTest, PostmortemsFiledSinceAreListedInFilingOrder) {
  const auto first = store_->add_submission(escalated_submission());
  const auto second = store_->add_submission(escalated_submission());
  const auto third = store_->add_submission(escalated_submission());
  store_->add_postmortem({0, second.escalation_id, "lee", kT0 + 3h, "a", "b", "c"});
  store_->add_postmortem({0, first.escalation_id, "lee", kT0 + 2h, "a", "b", "c"});
  store_->add_postmortem({0, third.escalation_id, "lee", kT0 - 1h, "a", "b", "c"});
  const auto since = store_->postmortems_filed_since(kT0);
  ASSERT_EQ(since.size(), 2u);
  EXPECT_EQ(since[0].escalation_id, first.escalation_id);
  EXPECT_EQ(since[1].escalation_id, second.escalation_id);
  EXPECT_EQ(store_->postmortems_filed_since(kT0 - 1h).size(), 3u);
  EXPECT_TRUE(store_->postmortems_filed_since(kT0 + 4h).empty());
}

TEST_F(StoreRecordsTest, ADrillIsStoredWithItsEscalationAndScoredWithItsDecision) {
  NewSubmission s = escalated_submission();
  s.escalation->drill = true;
  s.drill = Drill{0, "pricing_claim", "paid_ads", "dana", kT0, "", std::nullopt, std::nullopt};
  const auto ids = store_->add_submission(s);
  auto e = store_->escalation(ids.escalation_id);
  ASSERT_TRUE(e && e->drill);
  auto drill = store_->drill_of(ids.escalation_id);
  ASSERT_TRUE(drill);
  EXPECT_EQ(drill->escalation_id, ids.escalation_id) << "the store fills in the escalation it opened";
  EXPECT_EQ(drill->started_by, "dana");
  EXPECT_EQ(drill->workflow, "paid_ads");
  EXPECT_FALSE(drill->score);

  const core::DrillScore score{85, {{"triage", 25, 25, "on time"}, {"rationale", 0, 15, "too thin"}}};
  e->state = core::EscalationState::rejected;
  e->decision = core::Decision{core::Macro::reject, "lee", kT0 + 12min, "no"};
  ASSERT_TRUE(store_->update_escalation(*e, {}, {}, DrillScoring{kT0 + 12min, score}));
  drill = store_->drill_of(ids.escalation_id);
  ASSERT_TRUE(drill && drill->score);
  EXPECT_EQ(drill->score->points, 85);
  ASSERT_EQ(drill->score->checks.size(), 2u);
  EXPECT_EQ(drill->score->checks[1].reason, "too thin");
  EXPECT_EQ(drill->score->checks[1].max, 15);
  EXPECT_EQ(*drill->scored_at, kT0 + 12min);

  // Scored once: a second scoring fails and takes the escalation change with it.
  e = store_->escalation(ids.escalation_id);
  e->decision->rationale = "changed";
  EXPECT_EQ(storage_error_code([&] {
              store_->update_escalation(*e, {}, {}, DrillScoring{kT0 + 13min, score});
            }),
            StorageError::Code::conflict);
  EXPECT_EQ(store_->escalation(ids.escalation_id)->decision->rationale, "no");
}

TEST_F(StoreRecordsTest, DrillsAreValidatedAndListedInOrder) {
  // A drill's submission needs a drill escalation.
  NewSubmission plain = escalated_submission();
  plain.drill = Drill{0, "data_leak", "paid_ads", "dana", kT0, "", std::nullopt, std::nullopt};
  EXPECT_EQ(storage_error_code([&] { store_->add_submission(plain); }), StorageError::Code::constraint);
  // Scoring an escalation that is no drill's changes nothing.
  const auto ids = store_->add_submission(escalated_submission());
  auto e = store_->escalation(ids.escalation_id);
  EXPECT_EQ(storage_error_code([&] {
              store_->update_escalation(*e, {}, {}, DrillScoring{kT0, {}});
            }),
            StorageError::Code::not_found);
  EXPECT_EQ(store_->escalation(ids.escalation_id)->version, e->version);

  const core::DrillScore missed{0, {{"policy", 0, 100, "let through"}}};
  const auto later = store_->add_drill({0, "tos_breach", "paid_ads", "cli:ops", kT0 + 1h, "", kT0 + 1h, missed},
                                       {{"drill.missed", "", "cli:ops", kT0 + 1h, {{"scenario", "tos_breach"}}}});
  const auto earlier = store_->add_drill({0, "data_leak", "paid_ads", "dana", kT0, "", kT0, missed});
  const auto drills = store_->drills();
  ASSERT_EQ(drills.size(), 2u);
  EXPECT_EQ(drills[0].id, earlier) << "oldest first";
  EXPECT_EQ(drills[1].id, later);
  EXPECT_TRUE(drills[1].escalation_id.empty());
  EXPECT_EQ(drills[1].score->checks[0].reason, "let through");
  EXPECT_EQ(store_->drills(kT0 + 30min).size(), 1u);

  EXPECT_EQ(storage_error_code([&] {
              store_->add_drill({0, "alien_invasion", "paid_ads", "dana", kT0, "", {}, {}});
            }),
            StorageError::Code::constraint);
  EXPECT_EQ(storage_error_code([&] {
              store_->add_drill({0, "data_leak", "paid_ads", "", kT0, "", {}, {}});
            }),
            StorageError::Code::constraint);
  EXPECT_EQ(storage_error_code([&] {
              store_->add_drill({0, "data_leak", "paid_ads", "dana", kT0, "", kT0, core::DrillScore{101, {}}});
            }),
            StorageError::Code::constraint);
  EXPECT_EQ(store_->drills().size(), 2u);
  EXPECT_FALSE(store_->drill_of(ids.escalation_id));
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

TEST_F(StoreRecordsTest, EachSopVersionIsRecordedOnceWithItsNoticeAndAudit) {
  const std::string first(64, 'a'), second(64, 'b');
  OutboxMessage notice;
  notice.surface = "slack";
  notice.kind = "channel_notice";
  notice.ordering_key = "slack:channel-notices";
  notice.payload_json = "{}";
  const core::AuditEvent posted{"sop.posted", "", "desk", kT0, {{"digest", first}}};
  EXPECT_FALSE(store_->last_sop_digest());
  EXPECT_TRUE(store_->record_sop(first, kT0, {notice}, {posted}));
  EXPECT_EQ(store_->last_sop_digest(), first);
  EXPECT_FALSE(store_->record_sop(first, kT0 + 1h, {notice}, {posted})) << "the version posted last";
  EXPECT_EQ(store_->outbox_stats().pending, 1);
  EXPECT_TRUE(store_->record_sop(second, kT0 + 2h, {notice}, {}));
  EXPECT_TRUE(store_->record_sop(first, kT0 + 3h, {notice}, {})) << "going back to an earlier text is a change too";
  EXPECT_EQ(store_->last_sop_digest(), first);
  EXPECT_EQ(storage_error_code([&] { store_->record_sop("not-a-digest", kT0, {notice}, {posted}); }),
            StorageError::Code::constraint);
  EXPECT_EQ(store_->last_sop_digest(), first) << "nothing of a refused version is written";
  EXPECT_EQ(store_->outbox_stats().pending, 3);
  int audited = 0;
  for (const auto& row : store_->audit_trail("")) audited += row.event.kind == "sop.posted";
  EXPECT_EQ(audited, 1);
}

}  // namespace
}  // namespace desk::storage

namespace desk::storage {
namespace report_reads {

using namespace testing;

/// Three escalations an hour apart; the first and last with breaches in their audit trails.
std::vector<std::string> opened_hourly(Store& store) {
  std::vector<std::string> ids;
  for (int h = 0; h < 3; ++h) {
    NewSubmission s = escalated_submission();
    s.escalation->opened_at = s.escalation->owned_since = kT0 + std::chrono::hours{h};
    ids.push_back(store.add_submission(s).escalation_id);
  }
  store.append_audit({{"sla.triage_breached", ids[0], "desk", kT0 + 5min, {}},
                      {"sla.triage_breached", ids[0], "desk", kT0 + 40min, {}},
                      {"sla.decision_breached", ids[0], "desk", kT0 + 30min, {}},
                      {"sla.backup_pinged", ids[1], "desk", kT0 + 63min, {}},
                      {"sla.decision_breached", ids[2], "desk", kT0 + 150min, {}}});
  return ids;
}

TEST(StoreReportReads, BreachCountsAreWhatEachAuditTrailRecordsForEscalationsOpenedSince) {
  auto store = SqliteStore::open(":memory:");
  const auto ids = opened_hourly(*store);
  const auto all = store->breach_counts(kT0);
  ASSERT_EQ(all.size(), 2u);  // none for the second
  EXPECT_EQ(all.at(ids[0]).triage, 2);
  EXPECT_EQ(all.at(ids[0]).decision, 1);
  EXPECT_EQ(all.at(ids[2]).triage, 0);
  EXPECT_EQ(all.at(ids[2]).decision, 1);
  const auto later = store->breach_counts(kT0 + 30min);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later.count(ids[2]), 1u);
}

TEST(StoreReportReads, EscalationsOpenedSinceComeWithTheirHitsAndCurrentDeadlines) {
  auto store = SqliteStore::open(":memory:");
  const auto ids = opened_hourly(*store);
  const auto read = store->escalations_opened_since(kT0 + 30min);
  ASSERT_EQ(read.size(), 2u);
  for (std::size_t i = 0; i < read.size(); ++i) {
    const auto one = *store->escalation(ids[i + 1]);
    EXPECT_EQ(read[i].id, one.id);
    ASSERT_EQ(read[i].hits.size(), one.hits.size());
    for (std::size_t k = 0; k < one.hits.size(); ++k) {
      EXPECT_EQ(read[i].hits[k].rule_id, one.hits[k].rule_id);
      EXPECT_EQ(read[i].hits[k].matched, one.hits[k].matched);
    }
    ASSERT_EQ(read[i].deadlines.size(), one.deadlines.size());
    for (std::size_t k = 0; k < one.deadlines.size(); ++k) {
      EXPECT_EQ(read[i].deadlines[k].kind, one.deadlines[k].kind);
      EXPECT_EQ(read[i].deadlines[k].due, one.deadlines[k].due);
    }
  }
}

}  // namespace report_reads
}  // namespace desk::storage
