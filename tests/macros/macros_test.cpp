#include "macros/macros.hpp"

#include <gtest/gtest.h>

#include "tests/support/test_policy.hpp"

namespace desk::macros {
namespace {

using namespace std::chrono_literals;
using core::EscalationState;
using core::Macro;

class MacrosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core::Submission s;
    s.workflow = "paid_ads";
    s.channel = "meta";
    s.agent = "ads-agent";
    s.confidence = 0.4;
    s.output = "Try it today.";
    s.submitted_at = now_;
    auto opened = core::open_escalation(s, engine_.evaluate(s), ctx(), now_);
    e_ = opened.escalation;
    e_.id = "ESC-000007";
  }
  core::LifecycleContext ctx() { return {policy_, rota_, {}}; }

  core::Policy policy_ = testing::seed_policy();
  core::PolicyEngine engine_{policy_};
  core::Rota rota_{policy_.roles, policy_.people};
  core::TimePoint now_ = testing::tuesday_noon();
  core::Escalation e_;
};

TEST(ButtonLabels, ReadExactly) {
  EXPECT_STREQ(button_label(Macro::accept), "Accept");
  EXPECT_STREQ(button_label(Macro::reject), "Reject");
  EXPECT_STREQ(button_label(Macro::escalate_to_legal), "Escalate to legal");
}

TEST(RationaleCheck, RefusesEmptyAndWhitespace) {
  EXPECT_FALSE(check_rationale("", 10).ok);
  const auto r = check_rationale(" \n\t ", 10);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("rationale"), std::string::npos);
}

TEST(RationaleCheck, CountsCharactersNotBytes) {
  EXPECT_TRUE(check_rationale("Überprüft.", 10).ok) << "10 characters, 12 bytes";
  EXPECT_FALSE(check_rationale("Überprüf", 10).ok);
  const auto r = check_rationale("too short", 10);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("9 characters"), std::string::npos) << r.error;
}

TEST(RationaleCheck, TrimsAndCapsLength) {
  const auto r = check_rationale("   A fine reason here.  \n", 10);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.text, "A fine reason here.");
  EXPECT_FALSE(check_rationale(std::string(3001, 'x'), 10).ok);
  EXPECT_TRUE(check_rationale(std::string(3000, 'x'), 10).ok);
}

TEST_F(MacrosTest, OfferedMacrosFollowState) {
  EXPECT_EQ(available_macros(e_), (std::vector<Macro>{Macro::accept, Macro::reject, Macro::escalate_to_legal}));
  ASSERT_TRUE(apply(e_, {Macro::escalate_to_legal, "alice", "Needs a legal read.", ""}, ctx(), now_).ok());
  EXPECT_EQ(available_macros(e_), (std::vector<Macro>{Macro::accept, Macro::reject}));
  ASSERT_TRUE(apply(e_, {Macro::reject, "hana", "Claim is unsupported.", ""}, ctx(), now_).ok());
  EXPECT_TRUE(available_macros(e_).empty());
}

TEST_F(MacrosTest, ClickByOwnerTriagesAndAllowsTheForm) {
  const auto out = click(e_, Macro::accept, "alice", ctx(), now_ + 1min);
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(e_.state, EscalationState::triaged);
  ASSERT_EQ(out.audit.size(), 1u);
  EXPECT_EQ(out.audit[0].kind, "escalation.triaged");
}

TEST_F(MacrosTest, ClickByBystanderIsRefusedAndAudited) {
  const auto out = click(e_, Macro::reject, "erin", ctx(), now_);
  EXPECT_EQ(out.status, MacroOutcome::Status::refused);
  EXPECT_NE(out.message.find("may act"), std::string::npos) << out.message;
  ASSERT_EQ(out.audit.size(), 1u);
  EXPECT_EQ(out.audit[0].kind, "rights.denied");
  EXPECT_EQ(e_.state, EscalationState::open);
}

TEST_F(MacrosTest, ShortRationaleIsAnInlineErrorAndChangesNothing) {
  const auto out = apply(e_, {Macro::accept, "alice", "ok", ""}, ctx(), now_);
  EXPECT_EQ(out.status, MacroOutcome::Status::invalid);
  EXPECT_EQ(out.field, "rationale");
  EXPECT_EQ(e_.state, EscalationState::open);
  EXPECT_TRUE(out.audit.empty());
}

TEST_F(MacrosTest, AcceptRecordsTheTrimmedRationale) {
  const auto out = apply(e_, {Macro::accept, "alice", "  Tone only; facts checked.  ", ""}, ctx(), now_);
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(e_.state, EscalationState::accepted);
  EXPECT_EQ(e_.decision->rationale, "Tone only; facts checked.");
}

TEST_F(MacrosTest, ClickOnDecidedEscalationSaysWhoDecided) {
  ASSERT_TRUE(apply(e_, {Macro::reject, "dana", "Off-brand, do not publish.", ""}, ctx(), now_).ok());
  const auto out = click(e_, Macro::accept, "alice", ctx(), now_ + 1min);
  EXPECT_EQ(out.status, MacroOutcome::Status::already_decided);
  EXPECT_NE(out.message.find("Already decided by Dana at 2026-12-01T12:00:00Z"), std::string::npos) << out.message;
  EXPECT_TRUE(out.audit.empty());
}

TEST_F(MacrosTest, RouteNeedsARole) {
  auto out = apply(e_, {Macro::route, "alice", "This is a sales question.", ""}, ctx(), now_);
  EXPECT_EQ(out.field, "route_to");
  out = apply(e_, {Macro::route, "alice", "This is a sales question.", "nonexistent"}, ctx(), now_);
  EXPECT_EQ(out.field, "route_to");
  out = apply(e_, {Macro::route, "alice", "This is a sales question.", "sales"}, ctx(), now_);
  ASSERT_TRUE(out.ok()) << out.message;
  EXPECT_EQ(e_.owner_role, "sales");
}

TEST_F(MacrosTest, RightsAreRecheckedAtSubmission) {
  ASSERT_TRUE(click(e_, Macro::accept, "alice", ctx(), now_).ok());
  // A week later the rota has moved on, but alice stays the assigned owner: still allowed.
  EXPECT_TRUE(apply(e_, {Macro::accept, "alice", "Still my escalation.", ""}, ctx(), now_ + std::chrono::days(7)).ok());
}

TEST_F(MacrosTest, NoPostmortemBeforeTheDecision) {
  const auto out = may_file_postmortem(e_, "alice", ctx(), now_);
  EXPECT_EQ(out.status, MacroOutcome::Status::invalid);
  EXPECT_NE(out.message.find("no decision yet"), std::string::npos) << out.message;
  EXPECT_TRUE(out.audit.empty());
}

TEST_F(MacrosTest, TheDeciderAndThoseWithRightsMayFileThePostmortem) {
  ASSERT_TRUE(apply(e_, {Macro::reject, "dana", "Off-brand, do not publish.", ""}, ctx(), now_).ok());
  EXPECT_TRUE(may_file_postmortem(e_, "dana", ctx(), now_ + 1h).ok());   // decided it (the director)
  EXPECT_TRUE(may_file_postmortem(e_, "alice", ctx(), now_ + 1h).ok());  // its owner
}

TEST_F(MacrosTest, ABystanderMayNotFileThePostmortemAndLearnsWhoMay) {
  ASSERT_TRUE(apply(e_, {Macro::accept, "alice", "Tone only; facts checked.", ""}, ctx(), now_).ok());
  const auto out = may_file_postmortem(e_, "erin", ctx(), now_ + 1h);
  EXPECT_EQ(out.status, MacroOutcome::Status::refused);
  const std::string alice = core::display_name(rota_, "alice");
  EXPECT_NE(out.message.find(alice), std::string::npos) << out.message;
  EXPECT_NE(out.message.find(core::display_name(rota_, "dana")), std::string::npos) << out.message;
  EXPECT_EQ(out.message.find(alice, out.message.find(alice) + 1), std::string::npos) << "named once: " << out.message;
  ASSERT_EQ(out.audit.size(), 1u);
  EXPECT_EQ(out.audit[0].kind, "rights.denied");
  EXPECT_EQ(out.audit[0].actor, "erin");
  EXPECT_EQ(out.audit[0].fields[0], (std::pair<std::string, std::string>{"attempted", "postmortem"}));
  EXPECT_FALSE(may_file_postmortem(e_, "", ctx(), now_ + 1h).ok());
}

}  // namespace
}  // namespace desk::macros
