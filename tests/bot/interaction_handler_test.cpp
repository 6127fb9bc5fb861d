#include "bot/slack/interaction_handler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bot/slack/slack_messages.hpp"
#include "core/lifecycle.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/open_as_intake.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot::slack::interaction_handler_test {

using json = nlohmann::json;
using namespace desk::handlers;  // the use cases these Slack views and payloads drive
using namespace std::chrono_literals;
using storage::OutboxMessage;

/// A real SqliteStore with hooks: `before_update` runs just before each update_escalation (to commit
/// a competing change in between, as another desk or person would), `fail_reads` makes reads throw.
class HookedStore final : public desk::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::function<void()> before_update;
  bool fail_reads = false;

  using Store::escalation;
  std::optional<core::Escalation> escalation(const std::string& id, storage::Hits hits) override {
    if (fail_reads) throw storage::StorageError(storage::StorageError::Code::io, "disk on fire");
    return inner_.escalation(id, hits);
  }
  using Store::update_escalation;
  bool update_escalation(const core::Escalation& e, const std::vector<core::AuditEvent>& audit,
                         const std::vector<OutboxMessage>& outbox,
                         const std::optional<storage::DrillScoring>& scoring) override {
    if (auto hook = std::exchange(before_update, nullptr)) hook();
    return inner_.update_escalation(e, audit, outbox, scoring);
  }
};

constexpr const char* kChannel = "C0DESK";
constexpr const char* kAlice = "U0A";  // duty lead in the week of 2026-11-30
constexpr const char* kBob = "U0B";    // backup
constexpr const char* kDana = "U0D";   // marketing director
constexpr const char* kErin = "U0E";   // community lead: a bystander for duty-lead escalations
constexpr const char* kHana = "U0H";   // legal on-call

class InteractionHandlerTest : public ::testing::Test {
 protected:
  InteractionHandlerTest() { sqlite_->save_policy_snapshot("testdigest", "seed policy"); }

  /// Opens an escalation the way intake does; a paid ad at 0.62 goes to the duty lead (alice).
  std::string open_escalation(const std::string& callback_url = "",
                              const std::string& output = "Our new plan is here.") {
    core::Submission s;
    s.workflow = "paid_ads";
    s.channel = "linkedin";
    s.agent = "ads-agent-1";
    s.confidence = 0.62;
    s.output = output;
    s.callback_url = callback_url;
    s.submitted_at = now_;
    return testing::open_as_intake(*sqlite_, *policy_, s, now_,
                                   {false, {effect_row(Effect::post_escalation, "slack", "", json::object(), now_)}});
  }

  BlockAction click_of(const std::string& id, core::Macro macro, const std::string& user, int generation = 0) {
    BlockAction a;
    a.user_id = user;
    a.trigger_id = "trigger." + user;
    a.channel_id = kChannel;
    a.message_ts = "1700000000.000100";
    a.action_id = action_id(macro);
    a.block_id = "esc:" + id + ":g" + std::to_string(generation) + ":actions";
    a.value = id;
    return a;
  }

  ViewSubmission form_of(const std::string& id, core::Macro macro, const std::string& user,
                         const std::string& rationale, int generation = 0) {
    ViewSubmission v;
    v.user_id = user;
    v.view_id = "V" + user;
    v.callback_id = kRationaleCallbackId;
    v.private_metadata =
        json{{"escalation_id", id}, {"macro", core::to_string(macro)}, {"generation", generation}}.dump();
    if (!rationale.empty()) v.text_values["rationale"]["rationale_input"] = rationale;
    return v;
  }

  /// Click then submit: the whole macro as one person does it.
  InteractionResult act(const std::string& id, core::Macro macro, const std::string& user,
                        const std::string& rationale) {
    const auto e = sqlite_->escalation(id);
    handler_.on_block_actions(click_of(id, macro, user, e->generation), now_);
    return handler_.on_view_submission(form_of(id, macro, user, rationale, e->generation), now_);
  }

  core::Escalation stored(const std::string& id) { return *sqlite_->escalation(id); }

  /// Every outbox row, in id order (ids are dense from 1).
  std::vector<OutboxMessage> outbox() {
    std::vector<OutboxMessage> out;
    for (std::int64_t i = 1; auto m = sqlite_->outbox_message(i); ++i) out.push_back(*m);
    return out;
  }
  std::size_t audit_rows() { return sqlite_->audit_trail("").size(); }
  std::vector<std::string> audit_kinds(const std::string& id) {
    std::vector<std::string> out;
    for (const auto& row : sqlite_->audit_trail(id)) out.push_back(row.event.kind);
    return out;
  }

  static std::string ephemeral_text(const InteractionResult& r) {
    EXPECT_EQ(r.calls.size(), 1u);
    if (r.calls.empty()) return {};
    EXPECT_EQ(r.calls[0].kind, SlackCall::Kind::chat_post_ephemeral);
    EXPECT_EQ(r.calls[0].channel, kChannel);
    EXPECT_TRUE(block_kit_problems(r.calls[0].body).empty()) << r.calls[0].body.dump();
    return r.calls[0].body.value("text", "");
  }

  static std::string inline_error(const InteractionResult& r, const std::string& field = "rationale") {
    EXPECT_TRUE(r.ack_payload != nullptr);
    if (!r.ack_payload) return {};
    EXPECT_EQ(r.ack_payload->value("response_action", ""), "errors") << r.ack_payload->dump();
    EXPECT_TRUE(r.ack_payload->at("errors").contains(field)) << r.ack_payload->dump();
    return r.ack_payload->at("errors").value(field, "");
  }

  std::unique_ptr<storage::SqliteStore> sqlite_ = storage::SqliteStore::open(":memory:");
  HookedStore store_{*sqlite_};
  std::shared_ptr<const PolicySet> policy_ = std::make_shared<const PolicySet>(testing::seed_policy());
  core::Metrics metrics_;
  InteractionHandler handler_{{store_,
                               [this](const std::string& d) { return d == "testdigest" ? policy_ : nullptr; },
                               [this] { return policy_; },
                               &metrics_,
                               {},
                               {"slack"}}};
  core::TimePoint now_ = testing::tuesday_noon();
};

TEST_F(InteractionHandlerTest, OwnerClickCommitsTriageAndOpensRationaleModal) {
  const std::string id = open_escalation();
  const std::size_t audit_before = audit_rows();
  const auto r = handler_.on_block_actions(click_of(id, core::Macro::accept, kAlice), now_ + 90s);

  EXPECT_FALSE(r.ack_payload);
  EXPECT_TRUE(r.changed);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].kind, SlackCall::Kind::views_open);
  EXPECT_EQ(r.calls[0].trigger_id, "trigger.U0A");
  const json& view = r.calls[0].body;
  EXPECT_EQ(view.value("callback_id", ""), kRationaleCallbackId);
  EXPECT_TRUE(block_kit_problems(view).empty()) << view.dump();
  const auto meta = parse_rationale_metadata(view.value("private_metadata", ""));
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->escalation_id, id);
  EXPECT_EQ(meta->macro, core::Macro::accept);
  EXPECT_EQ(meta->generation, 0);

  const auto e = stored(id);
  EXPECT_EQ(e.state, core::EscalationState::triaged);
  EXPECT_EQ(e.triaged_by, "alice");
  EXPECT_EQ(e.triaged_at, now_ + 90s);
  EXPECT_EQ(audit_rows(), audit_before + 1);
  EXPECT_EQ(audit_kinds(id).back(), "escalation.triaged");
  const auto rows = outbox();
  ASSERT_EQ(rows.size(), 2u);  // the post from intake, then the update
  EXPECT_EQ(rows[1].kind, "update_escalation");
  EXPECT_EQ(rows[1].surface, "slack");
  EXPECT_EQ(rows[1].escalation_id, id);
  EXPECT_EQ(rows[1].ordering_key, "slack:" + id);
  EXPECT_EQ(json::parse(rows[1].payload_json), json::object());
  ASSERT_NE(metrics_.histogram("desk_time_to_respond_seconds"), nullptr);
  EXPECT_EQ(metrics_.histogram("desk_time_to_respond_seconds")->count(), 1u);
  EXPECT_DOUBLE_EQ(metrics_.histogram("desk_time_to_respond_seconds")->sum(), 90.0);
}

TEST_F(InteractionHandlerTest, SecondClickOpensTheFormAgainWithoutWriting) {
  const std::string id = open_escalation();
  handler_.on_block_actions(click_of(id, core::Macro::accept, kAlice), now_);
  const auto version = stored(id).version;
  const auto r = handler_.on_block_actions(click_of(id, core::Macro::reject, kAlice), now_ + 10s);
  EXPECT_FALSE(r.changed);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].kind, SlackCall::Kind::views_open);
  EXPECT_EQ(parse_rationale_metadata(r.calls[0].body.value("private_metadata", ""))->macro, core::Macro::reject);
  EXPECT_EQ(stored(id).version, version);
  EXPECT_EQ(outbox().size(), 2u);
}

TEST_F(InteractionHandlerTest, DirectorMayActOnTheDutyLeadsEscalation) {
  const std::string id = open_escalation();
  const auto r = handler_.on_block_actions(click_of(id, core::Macro::reject, kDana), now_);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].kind, SlackCall::Kind::views_open);
  EXPECT_EQ(stored(id).triaged_by, "dana");
}

TEST_F(InteractionHandlerTest, BystanderClickIsRefusedPrivatelyAndAudited) {
  const std::string id = open_escalation();
  const auto before = stored(id);
  const std::size_t audit_before = audit_rows();
  const auto r = handler_.on_block_actions(click_of(id, core::Macro::accept, kErin), now_);

  EXPECT_FALSE(r.changed);
  const std::string text = ephemeral_text(r);
  EXPECT_EQ(r.calls[0].user, kErin);
  EXPECT_NE(text.find("Only the owner or the marketing director (Alice, Dana)"), std::string::npos) << text;
  const auto trail = sqlite_->audit_trail(id);
  ASSERT_EQ(audit_rows(), audit_before + 1);
  EXPECT_EQ(trail.back().event.kind, "rights.denied");
  EXPECT_EQ(trail.back().event.actor, "erin");
  const auto after = stored(id);
  EXPECT_EQ(after.version, before.version);
  EXPECT_EQ(after.state, core::EscalationState::open);
  EXPECT_EQ(outbox().size(), 1u);
}

TEST_F(InteractionHandlerTest, UnknownSlackUserIsRefusedUnderTheirSlackId) {
  const std::string id = open_escalation();
  const auto r = handler_.on_block_actions(click_of(id, core::Macro::accept, "U0STRANGER"), now_);
  EXPECT_NE(ephemeral_text(r).find("may act on " + id), std::string::npos);
  EXPECT_EQ(sqlite_->audit_trail(id).back().event.actor, "U0STRANGER");
  EXPECT_EQ(stored(id).state, core::EscalationState::open);
}

TEST_F(InteractionHandlerTest, ClickOnDecidedEscalationAnswersAlreadyDecided) {
  const std::string id = open_escalation();
  ASSERT_FALSE(act(id, core::Macro::accept, kAlice, "Checked the plan page: the claim holds.").ack_payload);
  const std::size_t audit_before = audit_rows(), outbox_before = outbox().size();
  for (const char* user : {kAlice, kErin}) {
    const auto r = handler_.on_block_actions(click_of(id, core::Macro::reject, user), now_ + 5min);
    EXPECT_EQ(ephemeral_text(r), "Already decided by Alice at 2026-12-01T12:00:00Z (accepted).");
    EXPECT_FALSE(r.changed);
  }
  EXPECT_EQ(audit_rows(), audit_before);
  EXPECT_EQ(outbox().size(), outbox_before);
}

TEST_F(InteractionHandlerTest, ButtonOfAnEarlierGenerationIsOutOfDate) {
  const std::string id = open_escalation();
  ASSERT_FALSE(act(id, core::Macro::escalate_to_legal, kAlice, "Pricing claim: legal must check it.").ack_payload);
  ASSERT_EQ(stored(id).generation, 1);
  const auto version = stored(id).version;
  const auto r = handler_.on_block_actions(click_of(id, core::Macro::accept, kHana, 0), now_ + 1min);
  const std::string text = ephemeral_text(r);
  EXPECT_EQ(text.rfind("This message is out of date: " + id + " was re-owned to legal_oncall (Hana)", 0), 0u) << text;
  EXPECT_EQ(stored(id).version, version);
  // The current generation's button works for legal.
  const auto ok = handler_.on_block_actions(click_of(id, core::Macro::accept, kHana, 1), now_ + 1min);
  ASSERT_EQ(ok.calls.size(), 1u);
  EXPECT_EQ(ok.calls[0].kind, SlackCall::Kind::views_open);
}

TEST_F(InteractionHandlerTest, UnknownActionIsAnsweredWithoutChangingAnything) {
  const std::string id = open_escalation();
  for (const char* action : {"desk.frobnicate", "other_app.accept", ""}) {
    BlockAction a = click_of(id, core::Macro::accept, kAlice);
    a.action_id = action;
    const auto r = handler_.on_block_actions(a, now_);
    EXPECT_NE(ephemeral_text(r).find("not one the desk knows"), std::string::npos);
    EXPECT_FALSE(r.log.empty());
  }
  EXPECT_EQ(stored(id).state, core::EscalationState::open);
}

TEST_F(InteractionHandlerTest, UnknownEscalationOrForeignBlockIsAnswered) {
  open_escalation();
  auto r = handler_.on_block_actions(click_of("ESC-999999", core::Macro::accept, kAlice), now_);
  EXPECT_EQ(ephemeral_text(r), "The desk has no escalation ESC-999999, so nothing changed.");
  r = handler_.on_block_actions(click_of("<!channel>", core::Macro::accept, kAlice), now_);
  EXPECT_EQ(ephemeral_text(r), "The desk has no escalation &lt;!channel&gt;, so nothing changed.");

  BlockAction foreign = click_of("ESC-000001", core::Macro::accept, kAlice);
  foreign.block_id = "esc-42-macros-1";
  r = handler_.on_block_actions(foreign, now_);
  EXPECT_NE(ephemeral_text(r).find("does not belong to a current desk message"), std::string::npos);

  BlockAction mismatch = click_of("ESC-000001", core::Macro::accept, kAlice);
  mismatch.value = "ESC-000002";
  r = handler_.on_block_actions(mismatch, now_);
  EXPECT_NE(ephemeral_text(r).find("does not belong"), std::string::npos);

  BlockAction no_value = click_of("ESC-000001", core::Macro::accept, kAlice);
  no_value.value.clear();  // the block id still names the escalation
  r = handler_.on_block_actions(no_value, now_);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].kind, SlackCall::Kind::views_open);
}

TEST_F(InteractionHandlerTest, UnknownPolicySnapshotIsAnsweredAndLogged) {
  const std::string id = open_escalation();
  InteractionHandler blind({store_, [](const std::string&) { return nullptr; }, [this] { return policy_; }, nullptr});
  const auto r = blind.on_block_actions(click_of(id, core::Macro::accept, kAlice), now_);
  EXPECT_NE(ephemeral_text(r).find("cannot load the policy"), std::string::npos);
  EXPECT_NE(r.log.find("testdigest"), std::string::npos);
  EXPECT_EQ(stored(id).state, core::EscalationState::open);
  const auto f = blind.on_view_submission(form_of(id, core::Macro::accept, kAlice, "A fine rationale here."), now_);
  EXPECT_NE(inline_error(f).find("cannot load the policy"), std::string::npos);
  EXPECT_EQ(stored(id).state, core::EscalationState::open);
}

TEST_F(InteractionHandlerTest, ClickWithoutChannelIsLoggedNotPosted) {
  const std::string id = open_escalation();
  BlockAction a = click_of(id, core::Macro::accept, kErin);
  a.channel_id.clear();
  const auto r = handler_.on_block_actions(a, now_);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_NE(r.log.find("U0E"), std::string::npos);
}

TEST_F(InteractionHandlerTest, StorageFailureIsAnsweredNotThrown) {
  const std::string id = open_escalation();
  store_.fail_reads = true;
  const auto r = handler_.on_block_actions(click_of(id, core::Macro::accept, kAlice), now_);
  EXPECT_NE(ephemeral_text(r).find("cannot reach its database"), std::string::npos);
  EXPECT_NE(r.log.find("disk on fire"), std::string::npos);
  const auto f = handler_.on_view_submission(form_of(id, core::Macro::accept, kAlice, "A fine rationale here."), now_);
  EXPECT_NE(inline_error(f).find("cannot reach its database"), std::string::npos);
}

TEST_F(InteractionHandlerTest, ShortRationaleKeepsTheFormOpenAndWritesNothing) {
  const std::string id = open_escalation();
  handler_.on_block_actions(click_of(id, core::Macro::accept, kAlice), now_);
  const auto before = stored(id);
  const std::size_t audit_before = audit_rows(), outbox_before = sqlite_->outbox_stats().pending;

  auto r = handler_.on_view_submission(form_of(id, core::Macro::accept, kAlice, "  ok fine "), now_ + 1min);
  EXPECT_NE(inline_error(r).find("too short"), std::string::npos);
  EXPECT_FALSE(r.changed);
  EXPECT_TRUE(r.calls.empty());
  r = handler_.on_view_submission(form_of(id, core::Macro::accept, kAlice, ""), now_ + 1min);
  EXPECT_NE(inline_error(r).find("Write a rationale"), std::string::npos);

  EXPECT_EQ(audit_rows(), audit_before);
  EXPECT_EQ(sqlite_->outbox_stats().pending, outbox_before);
  EXPECT_EQ(stored(id).version, before.version);
  EXPECT_EQ(stored(id).state, core::EscalationState::triaged);
}

TEST_F(InteractionHandlerTest, AcceptWithRationaleDecidesAndQueuesUpdateAndThreadReply) {
  const std::string id = open_escalation();
  handler_.on_block_actions(click_of(id, core::Macro::accept, kAlice), now_);
  const auto r = handler_.on_view_submission(
      form_of(id, core::Macro::accept, kAlice, "  Plan page checked; claim holds.\n"), now_ + 2min);
  EXPECT_FALSE(r.ack_payload);  // a plain ack closes the modal
  EXPECT_TRUE(r.changed);
  EXPECT_TRUE(r.calls.empty());

  const auto e = stored(id);
  EXPECT_EQ(e.state, core::EscalationState::accepted);
  ASSERT_TRUE(e.decision);
  EXPECT_EQ(e.decision->by, "alice");
  EXPECT_EQ(e.decision->at, now_ + 2min);
  EXPECT_EQ(e.decision->rationale, "Plan page checked; claim holds.");
  EXPECT_EQ(audit_kinds(id).back(), "decision.accepted");
  const auto rows = outbox();
  ASSERT_EQ(rows.size(), 4u);  // post, update (triage), update, thread reply: no callback_url
  EXPECT_EQ(rows[2].kind, "update_escalation");
  EXPECT_EQ(rows[3].kind, "thread_reply");
  EXPECT_EQ(rows[3].escalation_id, id);
  EXPECT_EQ(rows[3].ordering_key, "slack:" + id);
  EXPECT_EQ(json::parse(rows[3].payload_json),
            (json{{"reply", "decision"}, {"actor", "alice"}, {"rationale", "Plan page checked; claim holds."}}));
}

TEST_F(InteractionHandlerTest, DecisionOnSubmissionWithCallbackUrlQueuesTheCallback) {
  const std::string id = open_escalation("https://agents.example.com/desk-callback");
  ASSERT_FALSE(act(id, core::Macro::reject, kAlice, "The plan does not exist yet.").ack_payload);
  const auto rows = outbox();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[4].kind, "decision_callback");
  EXPECT_EQ(rows[4].surface, "agent");
  EXPECT_EQ(rows[4].ordering_key, "agent:" + id);
  EXPECT_EQ(rows[4].escalation_id, id);
  EXPECT_EQ(json::parse(rows[4].payload_json), (json{{"url", "https://agents.example.com/desk-callback"}}));
  EXPECT_EQ(stored(id).state, core::EscalationState::rejected);
}

TEST_F(InteractionHandlerTest, EscalateToLegalReownsWithFreshDeadlines) {
  const std::string id = open_escalation("https://agents.example.com/desk-callback");
  handler_.on_block_actions(click_of(id, core::Macro::escalate_to_legal, kAlice), now_ + 1min);
  const auto r = handler_.on_view_submission(
      form_of(id, core::Macro::escalate_to_legal, kAlice, "Pricing claim: legal must check it."), now_ + 2min);
  EXPECT_FALSE(r.ack_payload);
  EXPECT_TRUE(r.changed);

  const auto e = stored(id);
  EXPECT_EQ(e.owner_role, core::kLegalRole);
  EXPECT_EQ(e.owner_person, "hana");
  EXPECT_EQ(e.generation, 1);
  EXPECT_EQ(e.state, core::EscalationState::open);
  EXPECT_EQ(e.owned_since, now_ + 2min);
  ASSERT_NE(e.deadline(core::DeadlineKind::triage), nullptr);
  EXPECT_EQ(e.deadline(core::DeadlineKind::triage)->due, now_ + 2min + 5min);
  EXPECT_EQ(e.deadline(core::DeadlineKind::decision)->due, now_ + 2min + 30min);
  EXPECT_EQ(audit_kinds(id).back(), "escalation.escalated_to_legal");
  const auto rows = outbox();
  ASSERT_EQ(rows.size(), 4u);  // not decided: no callback yet
  EXPECT_EQ(json::parse(rows[3].payload_json).value("reply", ""), "reowned");
  EXPECT_EQ(json::parse(rows[3].payload_json).value("actor", ""), "alice");
}

TEST_F(InteractionHandlerTest, TwoDecidersAtOnceExactlyOneWins) {
  const std::string id = open_escalation();
  handler_.on_block_actions(click_of(id, core::Macro::accept, kAlice), now_);
  handler_.on_block_actions(click_of(id, core::Macro::reject, kDana), now_);
  // Dana's desk reads the escalation, then Alice's decision commits before Dana's write.
  store_.before_update = [&] {
    InteractionHandler other(
        {*sqlite_, [this](const std::string&) { return policy_; }, [this] { return policy_; }, nullptr, {}, {"slack"}});
    EXPECT_FALSE(other.on_view_submission(form_of(id, core::Macro::accept, kAlice, "Claim checked, it holds."), now_)
                     .ack_payload);
  };
  const auto r =
      handler_.on_view_submission(form_of(id, core::Macro::reject, kDana, "Too risky for this week."), now_ + 30s);
  EXPECT_EQ(inline_error(r), "Already decided by Alice at 2026-12-01T12:00:00Z (accepted).");
  EXPECT_FALSE(r.changed);
  const auto e = stored(id);
  EXPECT_EQ(e.state, core::EscalationState::accepted);
  EXPECT_EQ(e.decision->by, "alice");
  const auto kinds = audit_kinds(id);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "decision.accepted"), 1);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "decision.rejected"), 0);
  EXPECT_EQ(outbox().size(), 4u);  // post, triage update, Alice's update and reply
}

TEST_F(InteractionHandlerTest, FormOfAnEarlierGenerationIsRefusedInline) {
  const std::string id = open_escalation();
  handler_.on_block_actions(click_of(id, core::Macro::accept, kAlice), now_);  // form for generation 0 is open
  ASSERT_FALSE(act(id, core::Macro::escalate_to_legal, kDana, "Director: legal must see this.").ack_payload);
  const auto version = stored(id).version;
  const auto r = handler_.on_view_submission(form_of(id, core::Macro::accept, kAlice, "It is fine as it is."), now_);
  EXPECT_EQ(inline_error(r).rfind(
                "This escalation changed while the form was open: " + id + " was re-owned to legal_oncall", 0),
            0u);
  EXPECT_EQ(stored(id).version, version);
}

TEST_F(InteractionHandlerTest, FormFromSomeoneWithoutRightsIsRefusedAndAudited) {
  const std::string id = open_escalation();
  const std::size_t audit_before = audit_rows();
  const auto r = handler_.on_view_submission(form_of(id, core::Macro::accept, kErin, "I think it is fine."), now_);
  EXPECT_NE(inline_error(r).find("may act on " + id), std::string::npos);
  EXPECT_EQ(audit_rows(), audit_before + 1);
  EXPECT_EQ(sqlite_->audit_trail(id).back().event.kind, "rights.denied");
  EXPECT_EQ(stored(id).state, core::EscalationState::open);
}

TEST_F(InteractionHandlerTest, UnreadableFormMetadataIsRefusedInline) {
  const std::string id = open_escalation();
  for (const char* meta :
       {"", "{}", "not json", R"({"escalation_id":"ESC-000001","macro":"explode","generation":0})"}) {
    ViewSubmission v = form_of(id, core::Macro::accept, kAlice, "A fine rationale here.");
    v.private_metadata = meta;
    const auto r = handler_.on_view_submission(v, now_);
    EXPECT_NE(inline_error(r).find("could not be read"), std::string::npos) << meta;
    EXPECT_FALSE(r.log.empty());
  }
  const auto r =
      handler_.on_view_submission(form_of("ESC-424242", core::Macro::accept, kAlice, "A fine rationale."), now_);
  EXPECT_NE(inline_error(r).find("no escalation ESC-424242"), std::string::npos);
  EXPECT_EQ(stored(id).state, core::EscalationState::open);
}

TEST_F(InteractionHandlerTest, RouteNeedsARoleChosen) {
  const std::string id = open_escalation();
  const auto click = handler_.on_block_actions(click_of(id, core::Macro::route, kAlice), now_);
  ASSERT_EQ(click.calls.size(), 1u);
  EXPECT_NE(click.calls[0].body.dump().find("route_select"), std::string::npos);
  auto r = handler_.on_view_submission(form_of(id, core::Macro::route, kAlice, "Fee question: sales owns it."), now_);
  EXPECT_NE(inline_error(r, "route_to").find("Choose the role"), std::string::npos);
  ViewSubmission v = form_of(id, core::Macro::route, kAlice, "Fee question: sales owns it.");
  v.selected_values["route_to"]["route_select"] = "sales";
  r = handler_.on_view_submission(v, now_);
  EXPECT_FALSE(r.ack_payload);
  EXPECT_EQ(stored(id).owner_role, "sales");
  EXPECT_EQ(stored(id).owner_person, "jo");
}

TEST_F(InteractionHandlerTest, UnknownCallbackIdAndClosedViewsAreAckedPlainly) {
  ViewSubmission v;
  v.user_id = kAlice;
  v.view_id = "V1";
  v.callback_id = "someone.else";
  const auto r = handler_.on_view_submission(v, now_);
  EXPECT_FALSE(r.ack_payload);
  EXPECT_FALSE(r.changed);
  EXPECT_NE(r.log.find("someone.else"), std::string::npos);
  const auto closed = handler_.on_view_closed(ViewClosed{kAlice, "T1", "V1", kRationaleCallbackId, "{}", false}, now_);
  EXPECT_FALSE(closed.ack_payload);
  EXPECT_TRUE(closed.calls.empty());
  EXPECT_FALSE(closed.changed);
}

TEST_F(InteractionHandlerTest, RawPayloadsAreParsedThenHandled) {
  const std::string id = open_escalation();
  const json click = {{"type", "block_actions"},
                      {"user", {{"id", kAlice}, {"username", "alice"}}},
                      {"trigger_id", "t.1"},
                      {"container", {{"type", "message"}, {"channel_id", kChannel}, {"message_ts", "1.2"}}},
                      {"actions", json::array({{{"type", "button"},
                                                {"action_id", "desk.accept"},
                                                {"block_id", "esc:" + id + ":g0:actions"},
                                                {"value", id}}})}};
  const auto r = handler_.on_payload(click, now_);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].trigger_id, "t.1");
  EXPECT_EQ(stored(id).state, core::EscalationState::triaged);

  const auto bad = handler_.on_payload(json{{"type", "block_actions"}, {"user", {{"id", 5}}}}, now_);
  EXPECT_TRUE(bad.calls.empty());
  EXPECT_FALSE(bad.changed);
  EXPECT_NE(bad.log.find("user.id"), std::string::npos);
  EXPECT_NE(handler_.on_payload(json("garbage"), now_).log.find("refused"), std::string::npos);
}

}  // namespace desk::bot::slack::interaction_handler_test
