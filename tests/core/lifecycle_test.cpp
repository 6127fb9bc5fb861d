#include "core/lifecycle.hpp"

#include <gtest/gtest.h>

#include "tests/support/test_policy.hpp"

namespace desk::core {
namespace {

using namespace std::chrono_literals;
using testing::seed_policy;
using testing::tuesday_noon;

class LifecycleTest : public ::testing::Test {
 protected:
  Escalation open(const char* workflow, double confidence, const char* output, TimePoint at) {
    Submission s;
    s.workflow = workflow;
    s.channel = "linkedin";
    s.agent = "agent-1";
    s.confidence = confidence;
    s.output = output;
    s.submitted_at = at;
    auto opened = open_escalation(s, engine_.evaluate(s), ctx(), at);
    opened.escalation.id = "ESC-000001";
    last_open_audit_ = opened.audit;
    return opened.escalation;
  }
  Escalation open_paid_ad() { return open("paid_ads", 0.5, "Nice day.", clock_.now()); }
  LifecycleContext ctx() { return {policy_, rota_, overrides_}; }

  Policy policy_ = seed_policy();
  PolicyEngine engine_{policy_};
  Rota rota_{policy_.roles, policy_.people};
  std::vector<RotaOverride> overrides_;
  FakeClock clock_{tuesday_noon()};
  std::vector<AuditEvent> last_open_audit_;
};

TEST_F(LifecycleTest, OpensWithOwnerDeadlinesAndAudit) {
  const auto e = open_paid_ad();
  EXPECT_EQ(e.state, EscalationState::open);
  EXPECT_EQ(e.owner_role, "duty_lead");
  EXPECT_EQ(e.owner_person, "alice");
  EXPECT_EQ(e.deadline(DeadlineKind::backup_ping)->due, clock_.now() + 3min);
  EXPECT_EQ(e.deadline(DeadlineKind::triage)->due, clock_.now() + 5min);
  EXPECT_EQ(e.deadline(DeadlineKind::decision)->due, clock_.now() + 30min);
  EXPECT_EQ(e.policy_digest, "testdigest");
  ASSERT_EQ(last_open_audit_.size(), 1u);
  EXPECT_EQ(last_open_audit_[0].kind, "escalation.opened");
  EXPECT_EQ(next_deadline(e), clock_.now() + 3min);
}

TEST_F(LifecycleTest, NothingFiresBeforeTheFirstDeadline) {
  auto e = open_paid_ad();
  clock_.advance(2min + 59s);
  EXPECT_TRUE(fire_due(e, ctx(), clock_.now()).reminders.empty());
}

TEST_F(LifecycleTest, BackupPingAtThreeMinutesNamesBackupAndDirector) {
  auto e = open_paid_ad();
  clock_.advance(3min);
  const auto fired = fire_due(e, ctx(), clock_.now());
  ASSERT_EQ(fired.reminders.size(), 1u);
  EXPECT_EQ(fired.reminders[0].kind, DeadlineKind::backup_ping);
  EXPECT_EQ(fired.reminders[0].notify, (std::vector<std::string>{"bob", "dana"}));
  EXPECT_EQ(fired.reminders[0].late_by, 0s);
  EXPECT_EQ(e.backup_person, "bob");
  EXPECT_TRUE(e.backup_pinged_at);
  ASSERT_EQ(fired.audit.size(), 1u);
  EXPECT_EQ(fired.audit[0].kind, "sla.backup_pinged");
  EXPECT_EQ(next_deadline(e), e.opened_at + 5min);
}

TEST_F(LifecycleTest, EachReminderFiresExactlyOnce) {
  auto e = open_paid_ad();
  clock_.advance(3min);
  EXPECT_EQ(fire_due(e, ctx(), clock_.now()).reminders.size(), 1u);
  EXPECT_TRUE(fire_due(e, ctx(), clock_.now()).reminders.empty());
  clock_.advance(10s);
  EXPECT_TRUE(fire_due(e, ctx(), clock_.now()).reminders.empty());
}

TEST_F(LifecycleTest, AfterDowntimeOverdueRemindersFireOnceSayingHowLate) {
  auto e = open_paid_ad();
  // The desk was down from 2 minutes to 40 minutes after opening.
  clock_.advance(40min);
  const auto fired = fire_due(e, ctx(), clock_.now());
  ASSERT_EQ(fired.reminders.size(), 3u);
  EXPECT_EQ(fired.reminders[0].kind, DeadlineKind::backup_ping);
  EXPECT_EQ(fired.reminders[0].late_by, 37min);
  EXPECT_EQ(fired.reminders[1].kind, DeadlineKind::triage);
  EXPECT_EQ(fired.reminders[2].kind, DeadlineKind::decision);
  EXPECT_EQ(describe_lateness(fired.reminders[2].late_by), "sent 10 min late: the desk was down");
  EXPECT_EQ(e.state, EscalationState::open) << "a missed deadline never decides anything";
  EXPECT_FALSE(e.decision);
  EXPECT_FALSE(next_deadline(e));
  EXPECT_TRUE(fire_due(e, ctx(), clock_.now() + 1h).reminders.empty());
}

TEST_F(LifecycleTest, DescribeLatenessIsEmptyWhenOnTime) {
  EXPECT_EQ(describe_lateness(0s), "");
  EXPECT_EQ(describe_lateness(5s), "");
  EXPECT_EQ(describe_lateness(40s), "sent 40 s late: the desk was down");
}

TEST_F(LifecycleTest, TriageStopsThePingAndTheTriageClockButNotTheDecisionClock) {
  auto e = open_paid_ad();
  clock_.advance(1min);
  ASSERT_TRUE(triage(e, "alice", ctx(), clock_.now()).ok);
  EXPECT_EQ(e.state, EscalationState::triaged);
  EXPECT_EQ(next_deadline(e), e.opened_at + 30min);
  clock_.advance(10min);
  EXPECT_TRUE(fire_due(e, ctx(), clock_.now()).reminders.empty());
  clock_.advance(20min);
  const auto fired = fire_due(e, ctx(), clock_.now());
  ASSERT_EQ(fired.reminders.size(), 1u);
  EXPECT_EQ(fired.reminders[0].kind, DeadlineKind::decision);
  EXPECT_EQ(fired.audit[0].kind, "sla.decision_breached");
}

TEST_F(LifecycleTest, ThirtyMinuteSlaInMicroseconds) {
  auto e = open_paid_ad();
  ASSERT_TRUE(triage(e, "alice", ctx(), clock_.now()).ok);
  clock_.advance(29min);
  EXPECT_TRUE(fire_due(e, ctx(), clock_.now()).reminders.empty());
  clock_.advance(2min);
  EXPECT_EQ(fire_due(e, ctx(), clock_.now()).reminders.size(), 1u);
}

TEST_F(LifecycleTest, DecidedEscalationFiresNothing) {
  auto e = open_paid_ad();
  ASSERT_TRUE(decide(e, Macro::reject, "alice", "Claim is unsupported.", ctx(), clock_.now()).ok);
  EXPECT_FALSE(next_deadline(e));
  EXPECT_TRUE(fire_due(e, ctx(), clock_.now() + 2h).reminders.empty());
}

struct RightsCase {
  const char* name;
  const char* actor;
  bool backup_pinged;
  bool with_legal;
  Rights::Status expected;
};

class DecisionRightsTest : public LifecycleTest, public ::testing::WithParamInterface<RightsCase> {};

TEST_P(DecisionRightsTest, FollowsTheRules) {
  const auto& c = GetParam();
  auto e = c.with_legal ? open("community_replies", 0.99, "Clinically proven.", clock_.now()) : open_paid_ad();
  if (c.backup_pinged) {
    clock_.advance(3min);
    fire_due(e, ctx(), clock_.now());
  }
  const auto r = check_rights(e, c.actor, ctx(), clock_.now());
  EXPECT_EQ(r.status, c.expected) << c.name << ": " << r.reason;
  if (r.status == Rights::Status::denied) {
    EXPECT_FALSE(r.reason.empty());
    EXPECT_FALSE(r.may_act.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Roles, DecisionRightsTest,
    ::testing::Values(RightsCase{"owner", "alice", false, false, Rights::Status::allowed},
                      RightsCase{"director", "dana", false, false, Rights::Status::allowed},
                      RightsCase{"backup before ping", "bob", false, false, Rights::Status::denied},
                      RightsCase{"backup after ping", "bob", true, false, Rights::Status::allowed},
                      RightsCase{"bystander", "erin", false, false, Rights::Status::denied},
                      RightsCase{"bystander after ping", "chen", true, false, Rights::Status::denied},
                      RightsCase{"legal on a normal one", "hana", false, false, Rights::Status::denied},
                      RightsCase{"unknown slack user", "U999", false, false, Rights::Status::denied},
                      RightsCase{"empty actor", "", false, false, Rights::Status::denied},
                      RightsCase{"legal on legal", "hana", false, true, Rights::Status::allowed},
                      RightsCase{"off-duty legal", "ivan", false, true, Rights::Status::denied},
                      RightsCase{"director on legal", "dana", false, true, Rights::Status::denied},
                      RightsCase{"duty lead on legal", "alice", false, true, Rights::Status::denied},
                      RightsCase{"backup on legal after ping", "bob", true, true, Rights::Status::denied}),
    [](const ::testing::TestParamInfo<RightsCase>& param_info) {
      std::string n = param_info.param.name;
      for (auto& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST_F(LifecycleTest, OverrideHolderOfTheOwnerRoleMayAct) {
  auto e = open_paid_ad();
  EXPECT_FALSE(check_rights(e, "chen", ctx(), clock_.now()).allowed());
  overrides_.push_back({1, "duty_lead", "chen", clock_.now(), clock_.now() + 2h, "alice at the dentist", "dana"});
  const auto r = check_rights(e, "chen", ctx(), clock_.now());
  EXPECT_TRUE(r.allowed());
  EXPECT_EQ(r.capacity, Capacity::owner);
  EXPECT_TRUE(check_rights(e, "alice", ctx(), clock_.now()).allowed()) << "the assigned owner keeps the right";
}

TEST_F(LifecycleTest, DeniedAttemptIsAuditedAndChangesNothing) {
  auto e = open_paid_ad();
  const auto before = e.state;
  const auto r = decide(e, Macro::accept, "erin", "Looks fine to me.", ctx(), clock_.now());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(e.state, before);
  EXPECT_FALSE(e.decision);
  ASSERT_EQ(r.audit.size(), 1u);
  EXPECT_EQ(r.audit[0].kind, "rights.denied");
  EXPECT_EQ(r.audit[0].actor, "erin");
  EXPECT_NE(r.error.find("Alice"), std::string::npos) << r.error;
}

TEST_F(LifecycleTest, DecisionRecordsWhoWhenWhyAndPolicyOverride) {
  auto e = open_paid_ad();
  clock_.advance(2min);
  const auto r = decide(e, Macro::accept, "alice", "Benign; confidence was low on tone only.", ctx(), clock_.now());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(e.state, EscalationState::accepted);
  ASSERT_TRUE(e.decision);
  EXPECT_EQ(e.decision->by, "alice");
  EXPECT_EQ(e.decision->at, clock_.now());
  EXPECT_EQ(e.decision->rationale, "Benign; confidence was low on tone only.");
  ASSERT_EQ(r.audit.size(), 2u);
  EXPECT_EQ(r.audit[0].kind, "escalation.triaged");
  EXPECT_EQ(r.audit[1].kind, "decision.accepted");
  const auto& f = r.audit[1].fields;
  EXPECT_NE(std::find(f.begin(), f.end(), std::pair<std::string, std::string>{"overrides_policy", "true"}), f.end());
}

TEST_F(LifecycleTest, SecondDecisionIsRefusedWithWhoAndWhen) {
  auto e = open_paid_ad();
  ASSERT_TRUE(decide(e, Macro::reject, "alice", "Unsupported claim.", ctx(), clock_.now()).ok);
  const auto r = decide(e, Macro::accept, "dana", "Overruling.", ctx(), clock_.now() + 1min);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("Already decided by Alice"), std::string::npos) << r.error;
  EXPECT_EQ(e.state, EscalationState::rejected);
  EXPECT_EQ(check_rights(e, "dana", ctx(), clock_.now()).status, Rights::Status::already_decided);
}

TEST_F(LifecycleTest, DecisionWithoutRationaleIsRefused) {
  auto e = open_paid_ad();
  const auto r = decide(e, Macro::accept, "alice", "", ctx(), clock_.now());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(e.state, EscalationState::open);
}

TEST_F(LifecycleTest, EscalateToLegalReownsWithFreshDeadlines) {
  auto e = open_paid_ad();
  clock_.advance(4min);
  fire_due(e, ctx(), clock_.now());  // backup pinged
  ASSERT_TRUE(triage(e, "alice", ctx(), clock_.now()).ok);
  const auto r =
      reown(e, Macro::escalate_to_legal, kLegalRole, "alice", "Pricing claim needs legal.", ctx(), clock_.now());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(e.owner_role, kLegalRole);
  EXPECT_EQ(e.owner_person, "hana");
  EXPECT_EQ(e.state, EscalationState::open);
  EXPECT_EQ(e.generation, 1);
  EXPECT_FALSE(e.backup_pinged_at);
  EXPECT_EQ(e.deadline(DeadlineKind::triage)->due, clock_.now() + 5min);
  EXPECT_FALSE(e.deadline(DeadlineKind::backup_ping)->fired_at);
  EXPECT_EQ(r.audit.at(0).kind, "escalation.escalated_to_legal");
  // Now only legal decides.
  EXPECT_FALSE(decide(e, Macro::accept, "alice", "Fine after all.", ctx(), clock_.now()).ok);
  EXPECT_TRUE(decide(e, Macro::reject, "hana", "Claim cannot be substantiated.", ctx(), clock_.now()).ok);
}

TEST_F(LifecycleTest, EscalateToLegalTwiceIsRefused) {
  auto e = open("community_replies", 0.99, "Clinically proven.", clock_.now());
  ASSERT_TRUE(e.with_legal());
  const auto r = reown(e, Macro::escalate_to_legal, kLegalRole, "hana", "Again please.", ctx(), clock_.now());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("already sits with"), std::string::npos);
}

TEST_F(LifecycleTest, LegalPingGoesToDirectorOnly) {
  auto e = open("community_replies", 0.99, "Clinically proven.", clock_.now());
  clock_.advance(3min);
  const auto fired = fire_due(e, ctx(), clock_.now());
  ASSERT_EQ(fired.reminders.size(), 1u);
  EXPECT_EQ(fired.reminders[0].notify, std::vector<std::string>{"dana"});
}

TEST_F(LifecycleTest, RouteToUnknownRoleIsRefused) {
  auto e = open_paid_ad();
  EXPECT_FALSE(reown(e, Macro::route, "nobody", "alice", "Wrong desk.", ctx(), clock_.now()).ok);
  const auto r = reown(e, Macro::route, "sales", "alice", "Fee question for sales.", ctx(), clock_.now());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(e.owner_person, "jo");
  EXPECT_EQ(r.audit.at(0).kind, "escalation.routed");
}

TEST(FormatTest, DatesRoundTripAndParsingIsStrict) {
  using namespace std::chrono;
  EXPECT_EQ(format_date(year{2024} / June / 1), "2024-06-01");
  EXPECT_EQ(parse_date("2024-06-01"), year{2024} / June / 1);
  EXPECT_EQ(parse_date(format_date(year{2028} / February / 29)), year{2028} / February / 29);
  for (const char* bad : {"2024-02-30", "2024- 6-01", " 024-06-01", "+024-06-01", "2024-6-1", "2024-06-01x",
                          "2024/06/01", "", "2024-13-01"})
    EXPECT_FALSE(parse_date(bad)) << bad;
}

TEST(FormatTest, UtcAndDurations) {
  EXPECT_EQ(format_utc(tuesday_noon()), "2026-12-01T12:00:00Z");
  EXPECT_EQ(format_duration(std::chrono::seconds(40)), "40 s");
  EXPECT_EQ(format_duration(std::chrono::seconds(200)), "3 min 20 s");
  EXPECT_EQ(format_duration(std::chrono::seconds(7500)), "2 h 5 min");
  EXPECT_EQ(format_duration(std::chrono::seconds(3600)), "1 h");
}

}  // namespace
}  // namespace desk::core
