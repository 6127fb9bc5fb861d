// Post-mortems from Slack: the button on decided messages, who may file, the form and its validation,
// filing (audit, thread reply), editing by the author within a week, and the export forms.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bot/slack/interaction_handler.hpp"
#include "bot/slack/slack_messages.hpp"
#include "handlers/postmortems.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/open_as_intake.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot::slack::postmortem_test {

using json = nlohmann::json;
using namespace desk::handlers;  // the use cases these Slack views and payloads drive
using namespace std::chrono_literals;

constexpr const char* kDeskChannel = "C0DESK";
constexpr const char* kAliceId = "U0A";  // duty lead in the week of 2026-11-30: owns paid ads
constexpr const char* kDanaId = "U0D";   // marketing director
constexpr const char* kErinId = "U0E";   // community lead: a bystander for paid ads

class PostMortemTest : public ::testing::Test {
 protected:
  PostMortemTest() { store_->save_policy_snapshot("testdigest", "seed policy"); }

  /// An escalation of a paid ad (owner alice), decided by `decider` with `macro` at now_.
  std::string decided_escalation(const std::string& decider = kAliceId, core::Macro macro = core::Macro::accept) {
    const std::string id =
        testing::open_as_intake(*store_, *policy_, testing::low_confidence_ad(now_), now_,
                                {false, {effect_row(Effect::post_escalation, "slack", "", json::object(), now_)}});
    if (decider.empty()) return id;
    handler_.on_block_actions(button(id, action_id(macro), decider), now_);
    ViewSubmission v;
    v.user_id = decider;
    v.view_id = "V1";
    v.callback_id = kRationaleCallbackId;
    v.private_metadata = json{{"escalation_id", id}, {"macro", core::to_string(macro)}, {"generation", 0}}.dump();
    v.text_values["rationale"]["rationale_input"] = "Checked the plan page; the claim holds.";
    const auto r = handler_.on_view_submission(v, now_);
    EXPECT_FALSE(r.ack_payload) << r.ack_payload->dump();
    EXPECT_TRUE(core::is_decided(store_->escalation(id)->state));
    return id;
  }

  static BlockAction button(const std::string& id, const std::string& action, const std::string& user) {
    BlockAction a;
    a.user_id = user;
    a.trigger_id = "trigger." + user;
    a.channel_id = kDeskChannel;
    a.message_ts = "1700000000.000100";
    a.action_id = action;
    a.block_id = "esc:" + id + ":g0:actions";
    a.value = id;
    return a;
  }

  InteractionResult click(const std::string& id, const std::string& user, core::TimePoint at) {
    return handler_.on_block_actions(button(id, kPostMortemActionId, user), at);
  }

  static ViewSubmission form(const std::string& id, const std::string& user, const PostMortemText& text) {
    ViewSubmission v;
    v.user_id = user;
    v.view_id = "V2";
    v.callback_id = kPostMortemCallbackId;
    v.private_metadata = json{{"escalation_id", id}}.dump();
    // Slack leaves an input that was left empty out of the state.
    if (!text.what_triggered.empty()) v.text_values[kWhatTriggered]["what_triggered_input"] = text.what_triggered;
    if (!text.what_fixed.empty()) v.text_values[kWhatFixed]["what_fixed_input"] = text.what_fixed;
    if (!text.what_to_automate.empty())
      v.text_values[kWhatToAutomate]["what_to_automate_input"] = text.what_to_automate;
    return v;
  }

  InteractionResult submit(const std::string& id, const std::string& user, const PostMortemText& text,
                           core::TimePoint at) {
    return handler_.on_view_submission(form(id, user, text), at);
  }

  static std::string refusal_text(const InteractionResult& r) {
    EXPECT_EQ(r.calls.size(), 1u);
    if (r.calls.size() != 1) return {};
    EXPECT_EQ(r.calls[0].kind, SlackCall::Kind::chat_post_ephemeral);
    return r.calls[0].body.value("text", "");
  }

  static json modal_of(const InteractionResult& r) {
    EXPECT_EQ(r.calls.size(), 1u);
    if (r.calls.size() != 1) return {};
    EXPECT_EQ(r.calls[0].kind, SlackCall::Kind::views_open);
    EXPECT_TRUE(block_kit_problems(r.calls[0].body).empty()) << r.calls[0].body.dump();
    return r.calls[0].body;
  }

  static json field_errors(const InteractionResult& r) {
    EXPECT_TRUE(r.ack_payload != nullptr);
    if (!r.ack_payload) return json::object();
    EXPECT_EQ(r.ack_payload->value("response_action", ""), "errors") << r.ack_payload->dump();
    return r.ack_payload->value("errors", json::object());
  }

  std::vector<std::string> audit_kinds(const std::string& id) {
    std::vector<std::string> out;
    for (const auto& row : store_->audit_trail(id)) out.push_back(row.event.kind);
    return out;
  }

  std::vector<storage::OutboxMessage> thread_replies(const std::string& id) {
    std::vector<storage::OutboxMessage> out;
    for (const auto& row : store_->outbox_of_escalation(id, 100))
      if (row.kind == "thread_reply") out.push_back(row);
    return out;
  }

  const PostMortemText good_{"  A price claim without a source.  ", "The agent cited the price page.",
                             "Check price claims against the page before submitting."};

  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  std::shared_ptr<const PolicySet> policy_ = std::make_shared<const PolicySet>(testing::seed_policy());
  InteractionHandler handler_{{*store_,
                               [this](const std::string& d) { return d == "testdigest" ? policy_ : nullptr; },
                               [this] { return policy_; },
                               nullptr,
                               {},
                               {"slack", "console"}}};
  core::TimePoint now_ = testing::tuesday_noon();
};

TEST_F(PostMortemTest, ADecidedMessageCarriesThePostMortemButtonAndAnOpenOneDoesNot) {
  const std::string id = decided_escalation("");
  const auto open = escalation_update(*store_->escalation(id), {}, policy_->rota());
  EXPECT_EQ(open.dump().find(kPostMortemActionId), std::string::npos);
  const std::string decided = decided_escalation();
  const auto body = escalation_update(*store_->escalation(decided), {}, policy_->rota());
  EXPECT_TRUE(block_kit_problems(body).empty()) << body.dump();
  json actions;
  for (const auto& block : body["blocks"])
    if (block["type"] == "actions") actions = block;
  ASSERT_TRUE(actions.is_object()) << body.dump();
  ASSERT_EQ(actions["elements"].size(), 1u);
  EXPECT_EQ(actions["elements"][0]["action_id"], kPostMortemActionId);
  EXPECT_EQ(actions["elements"][0]["text"]["text"], "Post-mortem");
  EXPECT_EQ(actions["elements"][0]["value"], decided);
  EXPECT_EQ(actions["block_id"], "esc:" + decided + ":g0:actions");
}

TEST_F(PostMortemTest, BeforeTheDecisionTheButtonIsAnsweredAndNothingOpens) {
  const std::string id = decided_escalation("");
  const auto r = click(id, kAliceId, now_);
  EXPECT_NE(refusal_text(r).find("no decision yet"), std::string::npos);
  const auto kinds = audit_kinds(id);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "rights.denied"), 0);
}

TEST_F(PostMortemTest, TheDeciderGetsAnEmptyFormOfThreeRequiredFields) {
  const std::string id = decided_escalation();
  const json view = modal_of(click(id, kAliceId, now_ + 1h));
  EXPECT_EQ(view["callback_id"], kPostMortemCallbackId);
  EXPECT_EQ(json::parse(view["private_metadata"].get<std::string>()), (json{{"escalation_id", id}}));
  std::vector<std::string> inputs;
  for (const auto& block : view["blocks"])
    if (block["type"] == "input") {
      inputs.push_back(block["block_id"]);
      EXPECT_EQ(block["element"]["action_id"], block["block_id"].get<std::string>() + "_input");
      EXPECT_EQ(block["element"]["max_length"], kMaxPostMortemChars);
      EXPECT_TRUE(block["element"]["multiline"].get<bool>());
      EXPECT_FALSE(block["element"].contains("initial_value"));
      EXPECT_FALSE(block.value("optional", false));
    }
  EXPECT_EQ(inputs, (std::vector<std::string>{kWhatTriggered, kWhatFixed, kWhatToAutomate}));
}

TEST_F(PostMortemTest, AnyoneWithRightsMayFileWhenSomeoneElseDecided) {
  const std::string id = decided_escalation(kDanaId, core::Macro::reject);  // the director decided
  modal_of(click(id, kAliceId, now_ + 1h));                                 // the owner may file
  const auto r = submit(id, kAliceId, good_, now_ + 1h);
  EXPECT_FALSE(r.ack_payload);
  ASSERT_EQ(store_->postmortems(id).size(), 1u);
  EXPECT_EQ(store_->postmortems(id)[0].author, "alice");
}

TEST_F(PostMortemTest, ABystanderIsRefusedPrivatelyToldWhoMayAndAudited) {
  const std::string id = decided_escalation();
  const std::string text = refusal_text(click(id, kErinId, now_ + 1h));
  EXPECT_NE(text.find(core::display_name(policy_->rota(), "alice")), std::string::npos) << text;
  EXPECT_NE(text.find(core::display_name(policy_->rota(), "dana")), std::string::npos) << text;
  const auto trail = store_->audit_trail(id);
  ASSERT_EQ(trail.back().event.kind, "rights.denied");
  EXPECT_EQ(trail.back().event.actor, "erin");
  // The form itself re-checks: a crafted submission is refused inline and writes nothing.
  const auto r = submit(id, kErinId, good_, now_ + 1h);
  EXPECT_NE(field_errors(r).value(kWhatTriggered, "").find("may file"), std::string::npos);
  EXPECT_TRUE(store_->postmortems(id).empty());
  EXPECT_TRUE(thread_replies(id).size() == 2u) << "the decision's replies only";
}

TEST_F(PostMortemTest, MissingFieldsAreAnsweredInlineEachUnderItsOwnInputAndNothingIsWritten) {
  const std::string id = decided_escalation();
  const auto audit_before = store_->audit_trail(id).size();
  const auto r = submit(id, kAliceId, {"A price claim.", "", "   \n\t "}, now_ + 1h);
  const json errors = field_errors(r);
  EXPECT_FALSE(errors.contains(kWhatTriggered)) << errors.dump();
  EXPECT_EQ(errors.value(kWhatFixed, ""), "Say what fixed it.");
  EXPECT_NE(errors.value(kWhatToAutomate, "").find("automate"), std::string::npos) << errors.dump();
  EXPECT_FALSE(r.changed);
  EXPECT_TRUE(store_->postmortems(id).empty());
  EXPECT_EQ(store_->audit_trail(id).size(), audit_before);
}

TEST_F(PostMortemTest, HostileTextsAreRefusedWithTheReasonAndTheLimitCountsCharacters) {
  EXPECT_TRUE(postmortem_errors({"a", "b", "c"}).empty());
  std::string accents;
  for (std::size_t i = 0; i < kMaxPostMortemChars; ++i) accents += "\xC3\xA9";  // é: 2 bytes, 1 character
  EXPECT_TRUE(postmortem_errors({accents, "b", "c"}).empty());
  const auto long_one = postmortem_errors({accents + "e", "b", "c"});
  ASSERT_EQ(long_one.size(), 1u);
  EXPECT_NE(long_one.at(kWhatTriggered).find("too long (3001 characters)"), std::string::npos);
  const auto huge = postmortem_errors({"a", std::string(1 << 20, 'x'), "c"});
  EXPECT_NE(huge.at(kWhatFixed).find("too long"), std::string::npos);
  EXPECT_NE(postmortem_errors({"a", "b", "bad \xFF\xFE bytes"}).at(kWhatToAutomate).find("UTF-8"), std::string::npos);
  EXPECT_NE(postmortem_errors({std::string("nul\0here", 8), "b", "c"}).at(kWhatTriggered).find("NUL"),
            std::string::npos);
  EXPECT_EQ(postmortem_errors({"", "", ""}).size(), 3u);

  const std::string id = decided_escalation();
  const auto r = submit(id, kAliceId, {"a", std::string(5000, 'x'), "c"}, now_ + 1h);
  EXPECT_NE(field_errors(r).value(kWhatFixed, "").find("too long"), std::string::npos);
  EXPECT_TRUE(store_->postmortems(id).empty());
}

TEST_F(PostMortemTest, FilingStoresTheTrimmedTextsAuditsAndRepliesInTheThreadOnEverySurface) {
  const std::string id = decided_escalation();
  const auto r = submit(id, kAliceId, good_, now_ + 1h);
  EXPECT_FALSE(r.ack_payload);  // a plain ack closes the form
  EXPECT_TRUE(r.changed);
  const auto stored = store_->postmortems(id);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].author, "alice");
  EXPECT_EQ(stored[0].at, now_ + 1h);
  EXPECT_EQ(stored[0].what_triggered, "A price claim without a source.");
  EXPECT_EQ(stored[0].what_fixed, good_.what_fixed);
  EXPECT_EQ(stored[0].what_to_automate, good_.what_to_automate);
  EXPECT_FALSE(stored[0].edited_at);
  EXPECT_EQ(audit_kinds(id).back(), "postmortem.filed");
  const auto replies = thread_replies(id);
  ASSERT_EQ(replies.size(), 4u);  // the decision's on both surfaces, then the post-mortem's
  for (std::size_t i = 2; i < 4; ++i) {
    EXPECT_EQ(json::parse(replies[i].payload_json), (json{{"reply", "postmortem"}, {"actor", "alice"}}));
    EXPECT_EQ(replies[i].payload_json.find("price"), std::string::npos) << "the texts are not quoted";
  }
  EXPECT_EQ(replies[2].surface, "slack");
  EXPECT_EQ(replies[3].surface, "console");

  const json reply = postmortem_reply(*store_->escalation(id), policy_->rota(), "alice");
  EXPECT_TRUE(block_kit_problems(reply).empty()) << reply.dump();
  EXPECT_NE(reply["text"].get<std::string>().find("Post-mortem of *" + id + "* filed by <@U0A>"), std::string::npos)
      << reply.dump();
  EXPECT_EQ(reply["metadata"]["event_payload"]["reply"], "postmortem");
}

TEST_F(PostMortemTest, TheAuthorEditsTheirOwnWithinAWeekFromAPrefilledForm) {
  const std::string id = decided_escalation();
  ASSERT_FALSE(submit(id, kAliceId, good_, now_ + 1h).ack_payload);
  const auto later = now_ + 1h + kPostMortemEditWindow;  // the last second it may be edited
  const json view = modal_of(click(id, kAliceId, later));
  std::vector<std::string> prefilled;
  for (const auto& block : view["blocks"])
    if (block["type"] == "input") prefilled.push_back(block["element"].value("initial_value", ""));
  EXPECT_EQ(prefilled,
            (std::vector<std::string>{"A price claim without a source.", good_.what_fixed, good_.what_to_automate}));
  EXPECT_EQ(view["submit"]["text"], "Save");

  PostMortemText edit = good_;
  edit.what_to_automate = "A lexicon entry for unsourced prices.";
  const auto r = submit(id, kAliceId, edit, later);
  EXPECT_FALSE(r.ack_payload);
  EXPECT_TRUE(r.changed);
  const auto stored = store_->postmortems(id);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].what_to_automate, "A lexicon entry for unsourced prices.");
  EXPECT_EQ(stored[0].at, now_ + 1h);
  EXPECT_EQ(stored[0].edited_at, later);
  EXPECT_EQ(stored[0].edited_by, "alice");
  const auto trail = store_->audit_trail(id);
  EXPECT_EQ(trail.back().event.kind, "postmortem.edited");
  EXPECT_EQ(trail.back().event.fields.front(), (std::pair<std::string, std::string>{"changed", "what_to_automate"}));
  EXPECT_EQ(thread_replies(id).size(), 4u) << "an edit is audited, not announced";

  // Saving it again unchanged records nothing.
  const auto rows = trail.size();
  const auto again = submit(id, kAliceId, edit, later);
  EXPECT_FALSE(again.ack_payload);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(store_->audit_trail(id).size(), rows);
}

TEST_F(PostMortemTest, AfterAWeekTheAuthorIsToldItIsClosedAndNothingChanges) {
  const std::string id = decided_escalation();
  ASSERT_FALSE(submit(id, kAliceId, good_, now_ + 1h).ack_payload);
  const auto too_late = now_ + 1h + kPostMortemEditWindow + 1s;
  const std::string text = refusal_text(click(id, kAliceId, too_late));
  EXPECT_NE(text.find("closed now"), std::string::npos) << text;
  EXPECT_NE(text.find(core::format_utc(now_ + 1h + kPostMortemEditWindow)), std::string::npos) << text;
  // A form left open past the week is refused at submission too.
  PostMortemText edit = good_;
  edit.what_fixed = "Something else.";
  EXPECT_NE(field_errors(submit(id, kAliceId, edit, too_late)).value(kWhatTriggered, "").find("closed now"),
            std::string::npos);
  EXPECT_EQ(store_->postmortems(id)[0].what_fixed, good_.what_fixed);
  EXPECT_FALSE(store_->postmortems(id)[0].edited_at);
  const auto trail = store_->audit_trail(id);
  EXPECT_EQ(trail.back().event.kind, "rights.denied");  // each refused attempt is audited, nothing else
  const auto kinds = audit_kinds(id);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "postmortem.edited"), 0);
}

TEST_F(PostMortemTest, SomeoneElseMayNotEditItEvenWithRightsOnTheEscalation) {
  const std::string id = decided_escalation();
  ASSERT_FALSE(submit(id, kAliceId, good_, now_ + 1h).ack_payload);
  const std::string text = refusal_text(click(id, kDanaId, now_ + 2h));
  EXPECT_NE(text.find(core::display_name(policy_->rota(), "alice") + " filed the post-mortem"), std::string::npos)
      << text;
  EXPECT_NE(text.find("only they may edit it"), std::string::npos) << text;
  const auto r = submit(id, kDanaId, {"x", "y", "z"}, now_ + 2h);
  EXPECT_NE(field_errors(r).value(kWhatTriggered, "").find("only they may edit it"), std::string::npos);
  ASSERT_EQ(store_->postmortems(id).size(), 1u);
  EXPECT_EQ(store_->postmortems(id)[0].what_fixed, good_.what_fixed);
  EXPECT_EQ(store_->audit_trail(id).back().event.actor, "dana");
  EXPECT_EQ(store_->audit_trail(id).back().event.kind, "rights.denied");
}

TEST_F(PostMortemTest, UnreadableOrForeignFormsAreAnsweredInline) {
  const std::string id = decided_escalation();
  ViewSubmission v = form(id, kAliceId, good_);
  for (const char* metadata : {"", "not json", "[]", "{\"escalation_id\":42}", "{\"escalation_id\":\"\"}"}) {
    v.private_metadata = metadata;
    EXPECT_NE(
        field_errors(handler_.on_view_submission(v, now_ + 1h)).value(kWhatTriggered, "").find("could not be read"),
        std::string::npos)
        << metadata;
  }
  EXPECT_NE(
      field_errors(submit("ESC-999999", kAliceId, good_, now_ + 1h)).value(kWhatTriggered, "").find("no escalation"),
      std::string::npos);
  EXPECT_TRUE(store_->postmortems(id).empty());
  // A Post-mortem button whose block does not belong to the escalation it names changes nothing.
  BlockAction a = button(id, kPostMortemActionId, kAliceId);
  a.block_id = "esc:ESC-000999:g0:actions";
  EXPECT_NE(refusal_text(handler_.on_block_actions(a, now_ + 1h)).find("does not belong"), std::string::npos);
}

TEST_F(PostMortemTest, TheApiFormShowsAuthorTimesAndTexts) {
  storage::PostMortem p{7, "ESC-000001", "alice", now_, "a", "b", "c"};
  json j = postmortem_json(p, policy_->rota());
  EXPECT_EQ(j["what_triggered"], "a");
  EXPECT_EQ(j["what_fixed"], "b");
  EXPECT_EQ(j["what_to_automate"], "c");
  EXPECT_EQ(j["author"]["id"], "alice");
  EXPECT_EQ(j["filed_at"], core::format_utc(now_));
  EXPECT_EQ(j["edited_at"], nullptr);
  EXPECT_EQ(j["edited_by"], nullptr);
  p.edited_at = now_ + 1h;
  p.edited_by = "alice";
  j = postmortem_json(p, policy_->rota());
  EXPECT_EQ(j["edited_at"], core::format_utc(now_ + 1h));
  EXPECT_EQ(j["edited_by"]["id"], "alice");
}

TEST_F(PostMortemTest, TheExportListsDecisionAndDrillAndQuotesCsvFields) {
  const std::string id = decided_escalation();
  ASSERT_FALSE(
      submit(id, kAliceId, {"=HYPERLINK(\"x\")", "Said \"no\", then\r\nrewrote it", "plain"}, now_ + 1h).ack_payload);
  const auto records = read_postmortems(*store_, now_);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(read_postmortems(*store_, now_ + 2h).empty());

  const json j = postmortems_json(records, now_);
  ASSERT_EQ(j["postmortems"].size(), 1u);
  const json& row = j["postmortems"][0];
  EXPECT_EQ(row["escalation_id"], id);
  EXPECT_EQ(row["workflow"], "paid_ads");
  EXPECT_EQ(row["decision"], "accepted");
  EXPECT_EQ(row["decided_by"], "alice");
  EXPECT_EQ(row["drill"], false);
  EXPECT_EQ(row["author"], "alice");
  EXPECT_EQ(row["what_triggered"], "=HYPERLINK(\"x\")");

  const std::string csv = postmortems_csv(records);
  EXPECT_EQ(csv.rfind("escalation_id,workflow,decision,decided_by,decided_at,drill,author,filed_at,edited_at,"
                      "edited_by,what_triggered,what_fixed,what_to_automate\r\n",
                      0),
            0u)
      << csv;
  const std::string expected_row = id + ",paid_ads,accepted,alice," + core::format_utc(now_) + ",false,alice," +
                                   core::format_utc(now_ + 1h) +
                                   ",,,\"'=HYPERLINK(\"\"x\"\")\",\"Said \"\"no\"\", then\r\nrewrote it\",plain\r\n";
  EXPECT_NE(csv.find(expected_row), std::string::npos) << csv;
}

}  // namespace desk::bot::slack::postmortem_test
