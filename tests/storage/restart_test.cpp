// The lifecycle and the store together: each overdue reminder fires exactly once across restarts —
// never twice (the fired mark is committed with its audit event) and never zero times (a reminder whose
// commit did not happen fires again after the restart).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/lifecycle.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::storage {
namespace {

using namespace std::chrono_literals;

class RestartTest : public ::testing::Test {
 protected:
  core::LifecycleContext ctx() { return {policy_, rota_, {}}; }

  /// Opens an escalation for a low-confidence paid ad and commits it, as intake does.
  std::string open_committed(Store& store) {
    core::Submission s;
    s.workflow = "paid_ads";
    s.channel = "meta";
    s.agent = "ads-agent";
    s.confidence = 0.5;
    s.output = "Try the new plan today.";
    s.submitted_at = opened_at_;
    const auto ev = engine_.evaluate(s);
    auto opened = core::open_escalation(s, ev, ctx(), opened_at_);
    NewSubmission ns;
    ns.submission = s;
    ns.verdict = ev.verdict;
    ns.hits = ev.hits;
    ns.escalation = opened.escalation;
    ns.audit = opened.audit;
    return store.add_submission(ns).escalation_id;
  }

  /// One pass of the SLA timer: fire what is due and commit it. Returns the reminders fired.
  std::vector<core::Reminder> tick(Store& store, const std::string& id, core::TimePoint now, bool commit = true) {
    auto e = store.escalation(id);
    EXPECT_TRUE(e);
    auto fired = core::fire_due(*e, ctx(), now);
    if (commit && !fired.reminders.empty()) { EXPECT_TRUE(store.update_escalation(*e, fired.audit)); }
    return fired.reminders;
  }

  int count_audit(Store& store, const std::string& id, const std::string& kind) {
    int n = 0;
    for (const auto& row : store.audit_trail(id)) n += row.event.kind == kind;
    return n;
  }

  desk::testing::TempDir dir_{"restart"};
  std::string path_ = dir_.file("desk.db");
  core::Policy policy_ = testing::seed_policy();
  core::PolicyEngine engine_{policy_};
  core::Rota rota_{policy_.roles, policy_.people};
  core::TimePoint opened_at_ = testing::tuesday_noon();
};

TEST_F(RestartTest, PingCommittedBeforeCrashIsNotRepeated) {
  std::string id;
  {
    auto store = SqliteStore::open(path_);
    id = open_committed(*store);
    ASSERT_EQ(tick(*store, id, opened_at_ + 3min).size(), 1u);
  }  // crash: the process is gone, only the file remains
  auto store = SqliteStore::open(path_);
  EXPECT_TRUE(tick(*store, id, opened_at_ + 3min + 2s).empty());
  const auto e = store->escalation(id);
  ASSERT_TRUE(e->backup_pinged_at);
  EXPECT_EQ(e->backup_person, "bob");
  EXPECT_EQ(count_audit(*store, id, "sla.backup_pinged"), 1);
  EXPECT_TRUE(store->verify_audit().ok);
}

TEST_F(RestartTest, PingLostBeforeCommitFiresAfterRestartOnce) {
  std::string id;
  {
    auto store = SqliteStore::open(path_);
    id = open_committed(*store);
    ASSERT_EQ(tick(*store, id, opened_at_ + 3min, /*commit=*/false).size(), 1u);  // crash before commit
  }
  auto store = SqliteStore::open(path_);
  const auto reminders = tick(*store, id, opened_at_ + 3min + 40s);
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].kind, core::DeadlineKind::backup_ping);
  EXPECT_EQ(core::describe_lateness(reminders[0].late_by), "sent 40 s late: the desk was down");
  EXPECT_TRUE(tick(*store, id, opened_at_ + 4min).empty());
  EXPECT_EQ(count_audit(*store, id, "sla.backup_pinged"), 1);
}

TEST_F(RestartTest, LongDowntimeFiresEveryOverdueReminderOnceAndDecidesNothing) {
  std::string id;
  {
    auto store = SqliteStore::open(path_);
    id = open_committed(*store);
  }
  auto store = SqliteStore::open(path_);
  EXPECT_EQ(store->undecided_escalations().size(), 1u);
  EXPECT_EQ(tick(*store, id, opened_at_ + 45min).size(), 3u);
  store.reset();
  store = SqliteStore::open(path_);
  EXPECT_TRUE(tick(*store, id, opened_at_ + 46min).empty());
  const auto e = store->escalation(id);
  EXPECT_EQ(e->state, core::EscalationState::open);
  EXPECT_FALSE(e->decision);
  for (const auto& d : e->deadlines) EXPECT_TRUE(d.fired_at) << core::to_string(d.kind);
}

TEST_F(RestartTest, TwoConcurrentDecisionsExactlyOneCommits) {
  auto store = SqliteStore::open(path_);
  const auto id = open_committed(*store);
  auto mine = *store->escalation(id);
  auto theirs = *store->escalation(id);
  const auto a = core::decide(mine, core::Macro::accept, "alice", "Fine to publish as is.", ctx(), opened_at_ + 1min);
  const auto b = core::decide(theirs, core::Macro::reject, "dana", "Not on brand, hold it.", ctx(), opened_at_ + 1min);
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_TRUE(store->update_escalation(mine, a.audit));
  EXPECT_FALSE(store->update_escalation(theirs, b.audit));
  const auto stored = store->escalation(id);
  EXPECT_EQ(stored->state, core::EscalationState::accepted);
  EXPECT_EQ(stored->decision->by, "alice");
  EXPECT_EQ(count_audit(*store, id, "decision.rejected"), 0);
  // The loser reloads and is told who won.
  auto reloaded = *store->escalation(id);
  const auto again =
      core::decide(reloaded, core::Macro::reject, "dana", "Not on brand, hold it.", ctx(), opened_at_ + 2min);
  EXPECT_FALSE(again.ok);
  EXPECT_NE(again.error.find("Already decided by Alice"), std::string::npos) << again.error;
}

}  // namespace
}  // namespace desk::storage
