// The desk's actions without any surface: people by person id, answers as data, one outbox row per
// surface for every change.
#include "handlers/desk_actions.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "core/lifecycle.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/open_as_intake.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using Status = macros::MacroOutcome::Status;

class DeskActionsTest : public ::testing::Test {
 protected:
  DeskActionsTest() { store_->save_policy_snapshot("testdigest", "seed policy"); }

  /// A paid ad at 0.62, opened as intake opens it: it goes to the duty lead (alice).
  std::string open_escalation(const std::string& callback_url = "") {
    core::Submission s = testing::low_confidence_ad(now_);
    s.callback_url = callback_url;
    return testing::open_as_intake(*store_, *policy_, s, now_);
  }

  /// Delivers the whole outbox as a perfect surface would (each row marked sent in turn, so the rows
  /// queued behind others come due), and keeps what was delivered.
  void deliver_all() {
    for (auto due = store_->outbox_due(now_ + 1h, 0); !due.empty(); due = store_->outbox_due(now_ + 1h, 0))
      for (const auto& row : due) {
        delivered_.push_back(row);
        store_->outbox_mark_sending(row.id, now_);
        store_->outbox_mark_sent(row.id, "{}", now_);
      }
  }

  /// The surfaces that were sent rows of `kind`, sorted.
  std::vector<std::string> surfaces_of(const std::string& kind) {
    deliver_all();
    std::vector<std::string> out;
    for (const auto& row : delivered_)
      if (row.kind == kind) out.push_back(row.surface);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<storage::OutboxMessage> delivered_;

  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  std::shared_ptr<const PolicySet> policy_ = std::make_shared<const PolicySet>(testing::seed_policy());
  core::Metrics metrics_;
  DeskActions actions_{{*store_,
                        [this](const std::string& d) { return d == "testdigest" ? policy_ : nullptr; },
                        [this] { return policy_; },
                        &metrics_,
                        {"slack", "teams"}}};
  core::TimePoint now_ = testing::tuesday_noon();
};

TEST_F(DeskActionsTest, OwnersClickTriagesAndUpdatesEverySurface) {
  const auto id = open_escalation();
  const auto r = actions_.begin(id, 0, core::Macro::accept, "alice", now_ + 90s);
  ASSERT_EQ(r.outcome.status, Status::done) << r.outcome.message;
  EXPECT_TRUE(r.changed);
  ASSERT_TRUE(r.escalation);
  EXPECT_EQ(r.escalation->state, core::EscalationState::triaged);
  EXPECT_EQ(store_->escalation(id)->state, core::EscalationState::triaged);
  EXPECT_EQ(surfaces_of("update_escalation"), (std::vector<std::string>{"slack", "teams"}));
  ASSERT_TRUE(r.policy);
}

TEST_F(DeskActionsTest, BystandersClickIsRefusedAndAuditedButChangesNothing) {
  const auto id = open_escalation();
  const auto before = store_->audit_trail(id).size();
  const auto r = actions_.begin(id, 0, core::Macro::accept, "erin", now_);
  EXPECT_EQ(r.outcome.status, Status::refused);
  EXPECT_FALSE(r.outcome.message.empty());
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(store_->escalation(id)->state, core::EscalationState::open);
  EXPECT_TRUE(surfaces_of("update_escalation").empty());
  EXPECT_EQ(store_->audit_trail(id).size(), before + 1) << "the refusal is on the record";
}

TEST_F(DeskActionsTest, AClickOnAnOutOfDateMessageChangesNothing) {
  const auto id = open_escalation();
  const auto r = actions_.begin(id, 7, core::Macro::accept, "alice", now_);
  EXPECT_EQ(r.outcome.status, Status::invalid);
  EXPECT_NE(r.outcome.message.find("out of date"), std::string::npos) << r.outcome.message;
  EXPECT_EQ(store_->escalation(id)->state, core::EscalationState::open);
}

TEST_F(DeskActionsTest, UnknownAndHostileIdsAreAnsweredShortly) {
  const auto r = actions_.begin(std::string(5000, 'X'), 0, core::Macro::accept, "alice", now_);
  EXPECT_EQ(r.outcome.status, Status::invalid);
  EXPECT_LT(r.outcome.message.size(), 300u) << "a stranger's id is not echoed whole";
  const auto d =
      actions_.decide("ESC-999999", 0, {core::Macro::accept, "alice", "Looks fine to publish now.", ""}, now_);
  EXPECT_EQ(d.outcome.status, Status::invalid);
  EXPECT_EQ(d.outcome.field, "rationale");
}

TEST_F(DeskActionsTest, DecisionRepliesOnEverySurfaceAndCallsTheAgentBackOnce) {
  const auto id = open_escalation("https://agent.example.com/hook");
  ASSERT_TRUE(actions_.begin(id, 0, core::Macro::reject, "alice", now_).outcome.ok());
  const auto r =
      actions_.decide(id, 0, {core::Macro::reject, "alice", "The price claim is not approved.", ""}, now_ + 2min);
  ASSERT_EQ(r.outcome.status, Status::done) << r.outcome.message;
  EXPECT_EQ(store_->escalation(id)->state, core::EscalationState::rejected);
  EXPECT_EQ(surfaces_of("thread_reply"), (std::vector<std::string>{"slack", "teams"}));
  EXPECT_EQ(surfaces_of("decision_callback"), (std::vector<std::string>{std::string(kAgentSurface)}));
}

TEST_F(DeskActionsTest, ShortRationaleIsAFieldErrorAndNothingIsDecided) {
  const auto id = open_escalation();
  ASSERT_TRUE(actions_.begin(id, 0, core::Macro::accept, "alice", now_).outcome.ok());
  const auto r = actions_.decide(id, 0, {core::Macro::accept, "alice", "ok", ""}, now_);
  EXPECT_EQ(r.outcome.status, Status::invalid);
  EXPECT_EQ(r.outcome.field, "rationale");
  EXPECT_EQ(store_->escalation(id)->state, core::EscalationState::triaged);
}

TEST_F(DeskActionsTest, ManualEscalationReportsEveryProblemAtOnceAndStoresNothing) {
  ManualEscalation m;
  m.where = "javascript:alert(1)";
  m.workflow = "no_such_workflow";
  m.actor = "erin";
  m.surface = "teams";
  m.surface_user = "29:erin";
  const auto r = actions_.escalate(m, now_);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.errors.size(), 4u);
  for (const char* field : {kManualWhat, kManualWhere, kManualWorkflow, kManualWhy})
    EXPECT_TRUE(r.errors.count(field)) << field;
  EXPECT_TRUE(store_->escalations(std::nullopt, 10).empty());
}

TEST_F(DeskActionsTest, ManualEscalationOpensOneAndPostsItOnEverySurface) {
  ManualEscalation m{"  A partner quoted our price in a reply.  ",
                     "https://example.com/post/1",
                     "community_replies",
                     "A price was quoted without approval.",
                     "erin",
                     "teams",
                     "29:erin"};
  const auto r = actions_.escalate(m, now_);
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? r.log : r.errors.begin()->second);
  EXPECT_FALSE(r.owner_name.empty());
  const auto e = store_->escalation(r.escalation_id);
  ASSERT_TRUE(e);
  const auto s = store_->submission(e->submission_id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->submission.channel, "teams");
  EXPECT_EQ(s->submission.agent, "manual:29:erin");
  EXPECT_EQ(s->submission.output, "A partner quoted our price in a reply.");
  EXPECT_EQ(surfaces_of("post_escalation"), (std::vector<std::string>{"slack", "teams"}));
}

TEST_F(DeskActionsTest, RotaOverridesCheckTheRoleThenRightsThenPersonAndEnd) {
  // The seed's duty_lead has no may_override: the director (dana) alone may cover it.
  RotaOverrideRequest o{"duty_lead", "chen", now_ + 4h, "erin", "test"};
  auto r = actions_.override_role(o, now_);
  EXPECT_EQ(r.status, RotaOverrideResult::Status::refused);
  EXPECT_EQ(r.problem, RotaOverrideResult::Problem::refused);
  EXPECT_NE(r.message.find("Only Dana (marketing director) may override duty_lead"), std::string::npos) << r.message;
  EXPECT_EQ(store_->audit_trail("").back().event.kind, "rights.denied");
  // Rights come before the rest: a refused person learns the rule, not that the end is wrong.
  o.until.reset();
  EXPECT_EQ(actions_.override_role(o, now_).status, RotaOverrideResult::Status::refused);

  o.actor = "dana";
  using Problem = RotaOverrideResult::Problem;
  auto problem_of = [&] {
    const auto refused = actions_.override_role(o, now_);
    EXPECT_EQ(refused.status, RotaOverrideResult::Status::invalid);
    return std::pair{std::string(refused.field()), refused.problem};
  };
  EXPECT_EQ(problem_of(), std::pair(std::string("until"), Problem::unreadable_until));
  o.until = now_ - 1h;
  EXPECT_EQ(problem_of(), std::pair(std::string("until"), Problem::until_passed));
  o.until = now_ + kMaxOverrideLength + 1h;
  EXPECT_EQ(problem_of(), std::pair(std::string("until"), Problem::until_too_far));
  o.until = now_ + 4h;
  o.person = "mallory";
  EXPECT_EQ(problem_of(), std::pair(std::string("person"), Problem::unknown_person));
  o.role = "astrologer";
  EXPECT_EQ(problem_of(), std::pair(std::string("role"), Problem::unknown_role));
  EXPECT_TRUE(store_->overrides_active_after(now_).empty());

  o.role = "duty_lead";
  o.person = "chen";
  r = actions_.override_role(o, now_);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.problem, Problem::none);
  EXPECT_TRUE(r.changed);
  const auto active = store_->overrides_active_after(now_);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].person, "chen");
  EXPECT_EQ(active[0].created_by, "dana");
  EXPECT_EQ(active[0].until, now_ + 4h);
  EXPECT_EQ(store_->audit_trail("").back().event.kind, "rota.override");
}

TEST_F(DeskActionsTest, AThreadReplyJoinsTheRecordMaskedAndErasable) {
  const auto id = open_escalation();
  EXPECT_TRUE(actions_.add_thread_reply(
      {id, "erin", "Checked with Jo (jo.bloggs@example.com), fine by me.", "slack", "1700000000.000200"}, now_));
  const auto trail = store_->audit_trail(id);
  const auto& reply = trail.back();
  EXPECT_EQ(reply.event.kind, "thread.reply");
  EXPECT_EQ(reply.event.actor, "erin");
  std::map<std::string, std::string> fields(reply.event.fields.begin(), reply.event.fields.end());
  EXPECT_EQ(fields["surface"], "slack");
  EXPECT_EQ(fields["message_id"], "1700000000.000200");
  EXPECT_EQ(fields["reply_text"].find("jo.bloggs@example.com"), std::string::npos) << fields["reply_text"];
  EXPECT_NE(fields["reply_text"].find("Checked with Jo"), std::string::npos) << fields["reply_text"];
  EXPECT_TRUE(store_->verify_audit().ok);

  // A very long reply is kept cut, saying so; nothing is written for an empty one or an unknown thread.
  EXPECT_TRUE(actions_.add_thread_reply({id, "U0UNKNOWN", std::string(9000, 'x'), "slack", "2"}, now_));
  const auto long_trail = store_->audit_trail(id);
  std::map<std::string, std::string> long_fields(long_trail.back().event.fields.begin(),
                                                 long_trail.back().event.fields.end());
  EXPECT_EQ(long_fields["cut"], "true");
  EXPECT_LT(long_fields["reply_text"].size(), 4100u);
  const auto rows = store_->audit_trail("").size();
  EXPECT_FALSE(actions_.add_thread_reply({id, "erin", " \n ", "slack", "3"}, now_));
  EXPECT_FALSE(actions_.add_thread_reply({"ESC-999999", "erin", "hello", "slack", "4"}, now_));
  EXPECT_EQ(store_->audit_trail("").size(), rows);

  // Erasing the submission removes what was said in its thread, and the chain still verifies.
  const auto e = store_->escalation(id);
  store_->erase_submission(e->submission_id, "cli:dpo", "ticket", now_ + 1h, {});
  for (const auto& row : store_->audit_trail(id))
    for (const auto& [name, value] : row.event.fields) EXPECT_NE(name, "reply_text") << value;
  EXPECT_TRUE(store_->verify_audit().ok);
}

/// A hotline message as the Slack surface records it, from erin (U0E) in the desk channel.
storage::HotlineMessage hotline_message(const std::string& ts, const std::string& text, core::TimePoint at) {
  storage::HotlineMessage m;
  m.key = {"slack", "C0DESK", ts};
  m.thread_id = ts;
  m.author = "U0E";
  m.text = text;
  m.received_at = at;
  return m;
}

TEST_F(DeskActionsTest, AHotlineMessageOpensOneEscalationAnsweredInItsOwnThread) {
  core::Policy p = testing::seed_policy();
  p.desk.hotline_workflow = "paid_ads";
  policy_ = std::make_shared<const PolicySet>(p);
  const auto m = hotline_message("1700000000.000100",
                                 "<@U0BOT> the ad says lowest price guaranteed, mail jo.bloggs@example.com", now_);
  ASSERT_TRUE(store_->record_hotline_message(m));
  EXPECT_FALSE(store_->record_hotline_message(m)) << "the same message twice is recorded once";
  ASSERT_EQ(store_->pending_hotline_messages("slack").size(), 1u);

  const auto r = actions_.raise_from_channel({m, "https://team.slack.com/archives/C0DESK/p1700000000000100"}, now_);
  ASSERT_EQ(r.status, ChannelRaiseResult::Status::opened) << r.log;
  EXPECT_TRUE(r.changed);
  const auto e = store_->escalation(r.escalation_id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->workflow, "paid_ads");
  EXPECT_EQ(e->owner_role, "legal_oncall") << "a price and a guarantee route to legal";
  EXPECT_EQ(e->owner_person, "hana");
  std::vector<std::string> rules;
  for (const auto& h : e->hits) rules.push_back(h.rule_id);
  EXPECT_NE(std::find(rules.begin(), rules.end(), "manual"), rules.end());
  EXPECT_TRUE(std::any_of(rules.begin(), rules.end(), [](const auto& id) {
    return id.find("pricing") != std::string::npos;
  })) << "scanned like any draft";
  const auto s = store_->submission(e->submission_id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->submission.permalink, "https://team.slack.com/archives/C0DESK/p1700000000000100");
  EXPECT_EQ(s->submission.agent, "hotline:U0E");
  EXPECT_EQ(s->submission.channel, "slack");
  // The message now points at its escalation and no longer holds the text (the submission does).
  const auto recorded = store_->hotline_message(m.key);
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->escalation_id, r.escalation_id);
  EXPECT_TRUE(recorded->text.empty());
  EXPECT_TRUE(store_->pending_hotline_messages("slack").empty());
  // Posted on every surface; answered in the message's own thread on its surface only.
  EXPECT_EQ(surfaces_of("post_escalation"), (std::vector<std::string>{"slack", "teams"}));
  std::vector<json> answers;
  for (const auto& row : delivered_)
    if (row.kind == "thread_reply") answers.push_back(json::parse(row.payload_json));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0]["reply"], "hotline");
  EXPECT_EQ(answers[0]["channel"], "C0DESK");
  EXPECT_EQ(answers[0]["thread_id"], "1700000000.000100");
  EXPECT_EQ(answers[0]["author"], "U0E");
  const auto trail = store_->audit_trail(r.escalation_id);
  ASSERT_FALSE(trail.empty());
  EXPECT_EQ(trail.front().event.kind, "submission.received");
  EXPECT_EQ(trail.front().event.actor, "erin") << "the author, a person of the config";

  // Raised again (a second pass, a redelivery): nothing new.
  const auto again = actions_.raise_from_channel({m, ""}, now_ + 1s);
  EXPECT_EQ(again.status, ChannelRaiseResult::Status::opened_before);
  EXPECT_EQ(again.escalation_id, r.escalation_id);
  EXPECT_EQ(store_->undecided_escalations(storage::Hits::skip).size(), 1u);

  // An edit joins the timeline masked; the same text again or a deletion of an unknown message does not.
  EXPECT_TRUE(actions_.record_hotline_change(m.key, std::string("now it says risk-free, ask jo.bloggs@example.com"),
                                             "U0E", now_ + 2min));
  EXPECT_TRUE(actions_.record_hotline_change(m.key, std::nullopt, "U0E", now_ + 3min));
  EXPECT_FALSE(actions_.record_hotline_change({"slack", "C0DESK", "1700000000.999999"}, std::nullopt, "U0E", now_));
  const auto changes = store_->audit_trail(r.escalation_id);
  ASSERT_GE(changes.size(), 2u);
  EXPECT_EQ(changes[changes.size() - 2].event.kind, "hotline.source_edited");
  EXPECT_EQ(changes.back().event.kind, "hotline.source_deleted");
  std::map<std::string, std::string> fields(changes[changes.size() - 2].event.fields.begin(),
                                            changes[changes.size() - 2].event.fields.end());
  EXPECT_NE(fields["source_text"].find("risk-free"), std::string::npos);
  EXPECT_EQ(fields["source_text"].find("jo.bloggs@example.com"), std::string::npos) << fields["source_text"];
  EXPECT_TRUE(store_->verify_audit().ok);
}

TEST_F(DeskActionsTest, TheHotlineIsOffWithoutAWorkflowAndAnUnrecordedMessageOpensNothing) {
  const auto m = hotline_message("1700000000.000200", "<@U0BOT> look at this", now_);
  ASSERT_TRUE(store_->record_hotline_message(m));
  EXPECT_EQ(actions_.raise_from_channel({m, ""}, now_).status, ChannelRaiseResult::Status::off);
  EXPECT_EQ(store_->pending_hotline_messages("slack").size(), 1u) << "kept for when it is on";

  core::Policy p = testing::seed_policy();
  p.desk.hotline_workflow = "paid_ads";
  policy_ = std::make_shared<const PolicySet>(p);
  // A message the surface never recorded cannot be attached: nothing is opened.
  const auto stray = hotline_message("1700000000.000300", "<@U0BOT> hello", now_);
  const auto r = actions_.raise_from_channel({stray, ""}, now_);
  EXPECT_EQ(r.status, ChannelRaiseResult::Status::failed);
  EXPECT_FALSE(r.log.empty());
  EXPECT_TRUE(store_->undecided_escalations(storage::Hits::skip).empty());
}

}  // namespace
}  // namespace desk::handlers
