// The interactive Teams bot's answers to activities (already authenticated): a decision clicked on a
// card, by someone without rights, with a short rationale, by the owner, too late; hostile activities;
// and messages: the rota, someone covering a role (rota override, by @mention or by id, refused
// without rights, hostile forms changing nothing), escalate. Against an in-memory store and the seed policy.
#include "bot/teams/teams_bot_activities.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "storage/sqlite_store.hpp"
#include "tests/support/open_as_intake.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot::teams::teams_bot_activities_test {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kChannel = "19:deskchannel0123@thread.tacv2";
constexpr const char* kAlice = "5f1e2d3c-aaaa-4bbb-8ccc-0123456789ab";  // the duty lead, owner of paid ads
constexpr const char* kStranger = "0d0d0d0d-1111-4222-8333-444444444444";
constexpr const char* kDana = "7a7a7a7a-dddd-4ddd-8ddd-000000000004";  // the marketing director
constexpr const char* kBob = "b0b0b0b0-bbbb-4bbb-8bbb-000000000002";
constexpr const char* kBot = "28:5c0f7e2a-3b1d-4e8f-9a6c-2d4b8e1f0a37";

/// A mention entity as Teams sends it: the Teams user id ("29:…"), the name, no object id unless given.
json mention(const std::string& id, const std::string& name, const std::string& aad_object_id = {}) {
  json mentioned = {{"id", id}, {"name", name}};
  if (!aad_object_id.empty()) mentioned["aadObjectId"] = aad_object_id;
  return {{"type", "mention"}, {"text", "<at>" + name + "</at>"}, {"mentioned", mentioned}};
}

/// A channel message @mentioning the bot, from `who`, with `mentions` (besides the bot's).
json channel_message(const std::string& who, const std::string& text, json mentions = json::array()) {
  json entities = json::array({mention(kBot, "Escalation Desk")});
  for (auto& m : mentions) entities.push_back(m);
  return {{"type", "message"},
          {"id", "1700000000123"},
          {"text", "<at>Escalation Desk</at> " + text},
          {"from", {{"id", "29:1x"}, {"aadObjectId", who}, {"name", "Someone"}}},
          {"recipient", {{"id", kBot}, {"name", "Escalation Desk"}}},
          {"conversation", {{"id", std::string(kChannel) + ";messageid=1700000000123"}}},
          {"entities", entities}};
}

/// Every TextBlock's and Input's text of a card, joined: what a person reads.
std::string texts(const json& card) {
  std::string out;
  for (const auto& block : card.value("body", json::array())) {
    out += block.value("text", "") + " | " + block.value("value", "");
    for (const auto& run : block.value("inlines", json::array())) out += run.value("text", "");
    out += "\n";
  }
  return out;
}

std::vector<std::string> verbs(const json& card) {
  std::vector<std::string> out;
  for (const auto& a : card.value("actions", json::array()))
    if (a.value("type", "") == "Action.Execute") out.push_back(a.value("verb", ""));
  return out;
}

class TeamsBotActivitiesTest : public ::testing::Test {
 protected:
  TeamsBotActivitiesTest() {
    auto policy = testing::seed_policy();
    policy.people.at("alice").teams_user = kAlice;
    policy.people.at("dana").teams_user = kDana;
    policy.people.at("bob").teams_user = kBob;
    policy.desk.hotline_workflow = "paid_ads";  // what "escalate …" opens under
    set_ = std::make_shared<const handlers::PolicySet>(std::move(policy));
    store_->save_policy_snapshot(set_->digest(), "seed policy");
    id_ = testing::open_as_intake(*store_, *set_, testing::low_confidence_ad(now_), now_);
  }

  json click(const std::string& verb, const std::string& who, const std::string& rationale, int generation = 0,
             const std::string& conversation = std::string(kChannel) + ";messageid=1700000000001") {
    json data = {{"escalation_id", id_}, {"generation", generation}};
    if (!rationale.empty()) data["rationale"] = rationale;
    return {
        {"type", "invoke"},
        {"name", "adaptiveCard/action"},
        {"channelId", "msteams"},
        {"from", {{"id", "29:1abc"}, {"name", "Someone"}, {"aadObjectId", who}}},
        {"conversation", {{"id", conversation}, {"conversationType", "channel"}}},
        {"value", {{"action", {{"type", "Action.Execute"}, {"verb", verb}, {"data", data}}}, {"trigger", "manual"}}}};
  }

  ActivityAnswer handle(const json& activity) { return bot_.handle(activity, now_); }
  core::Escalation escalation() { return store_->escalation(id_).value(); }

  core::TimePoint now_ = testing::tuesday_noon();
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  std::shared_ptr<const handlers::PolicySet> set_;
  std::string id_;
  TeamsBotActivities bot_{
      {*store_, [this](const std::string&) { return set_; }, [this] { return set_; }, nullptr, {"teams_bot"}},
      kChannel};
};

TEST_F(TeamsBotActivitiesTest, ABystandersClickIsRefusedOnTheCardAndChangesNothing) {
  ASSERT_FALSE(id_.empty());
  const auto answer = handle(click("accept", kStranger, "Looks fine to me, ship it as written."));
  EXPECT_EQ(answer.status, 200);
  ASSERT_EQ(answer.body["statusCode"], 200) << answer.body.dump();
  EXPECT_EQ(answer.body["type"], "application/vnd.microsoft.card.adaptive");
  const json& card = answer.body["value"];
  EXPECT_NE(texts(card).find("Alice"), std::string::npos) << "the refusal names who may act: " << texts(card);
  EXPECT_FALSE(answer.refusal.empty());
  EXPECT_EQ(verbs(card), (std::vector<std::string>{"accept", "reject", "escalate_legal"})) << "the card stays usable";
  EXPECT_EQ(escalation().state, core::EscalationState::open);
  EXPECT_FALSE(escalation().triaged_at) << "a refused click is no response";
}

TEST_F(TeamsBotActivitiesTest, AShortRationaleComesBackBesideTheFieldAndTheOwnerThenDecides) {
  const auto short_one = handle(click("reject", kAlice, "no"));
  const json& again = short_one.body["value"];
  const json& body = again["body"];
  const auto field = std::find_if(body.begin(), body.end(), [](const json& b) {
    return b.value("type", "") == "Input.Text" && b.value("id", "") == "rationale";
  });
  ASSERT_NE(field, body.end()) << again.dump();
  EXPECT_EQ(field->value("value", ""), "no") << "what was typed stays in the field";
  ASSERT_NE(field + 1, body.end());
  EXPECT_EQ((field + 1)->value("color", ""), "Attention") << "the error sits under the field: " << again.dump();
  EXPECT_NE((field + 1)->value("text", "").find("ationale"), std::string::npos) << (field + 1)->dump();
  EXPECT_FALSE(core::is_decided(escalation().state));
  EXPECT_TRUE(escalation().triaged_at) << "the click was the first response";

  const auto decided = handle(click("reject", kAlice, "The price claim is not approved for this quarter."));
  EXPECT_TRUE(decided.changed);
  const json& card = decided.body["value"];
  EXPECT_TRUE(verbs(card).empty()) << "a decided card has no buttons: " << card.dump();
  EXPECT_NE(texts(card).find(id_ + " rejected"), std::string::npos) << texts(card);
  EXPECT_NE(texts(card).find("The price claim is not approved"), std::string::npos) << texts(card);
  EXPECT_EQ(escalation().state, core::EscalationState::rejected);
  EXPECT_EQ(escalation().decision->by, "alice");
  bool update_queued = false;
  for (const auto& row : store_->outbox_due(now_ + 1h, 0))
    update_queued = update_queued || (row.surface == "teams_bot" && row.kind == "update_escalation");
  EXPECT_TRUE(update_queued) << "the card is updated for everyone";

  const auto late = handle(click("accept", kAlice, "Changed my mind, it is fine after all."));
  EXPECT_NE(texts(late.body["value"]).find("Already decided by Alice"), std::string::npos) << texts(late.body["value"]);
  EXPECT_EQ(escalation().state, core::EscalationState::rejected);
}

TEST_F(TeamsBotActivitiesTest, HostileActivitiesGetAnErrorAndChangeNothing) {
  auto wrong_verb = click("approve", kAlice, "Fine as written, nothing to add here.");
  EXPECT_EQ(handle(wrong_verb).body["statusCode"], 400);
  auto no_id = click("accept", kAlice, "Fine as written, nothing to add here.");
  no_id["value"]["action"]["data"].erase("escalation_id");
  EXPECT_EQ(handle(no_id).body["statusCode"], 400);
  auto string_generation = click("accept", kAlice, "Fine as written, nothing to add here.");
  string_generation["value"]["action"]["data"]["generation"] = "0";
  EXPECT_EQ(handle(string_generation).body["statusCode"], 400);
  const auto elsewhere = handle(
      click("accept", kAlice, "Fine as written, nothing to add here.", 0, "19:otherchannel@thread.tacv2;messageid=1"));
  EXPECT_EQ(elsewhere.body["statusCode"], 400);
  auto unknown = click("accept", kAlice, "Fine as written, nothing to add here.");
  unknown["value"]["action"]["data"]["escalation_id"] = std::string(5000, 'E');
  EXPECT_EQ(handle(unknown).body["statusCode"], 400);
  EXPECT_EQ(handle(json::array()).status, 200) << "not an object: nothing to do";
  EXPECT_EQ(handle({{"type", "invoke"}, {"name", "composeExtension/query"}}).status, 200);
  EXPECT_EQ(escalation().state, core::EscalationState::open);
  EXPECT_FALSE(escalation().triaged_at);
}

TEST_F(TeamsBotActivitiesTest, AMessageIsAnsweredWithAReplyInItsThreadNotInTheHttpBody) {
  const auto answer = handle({{"type", "message"},
                              {"text", "<at>Escalation Desk</at> rota"},
                              {"from", {{"aadObjectId", kAlice}}},
                              {"conversation", {{"id", kChannel}}}});
  EXPECT_EQ(answer.status, 200);
  EXPECT_TRUE(answer.body.is_null()) << "Teams shows nothing of a message's HTTP answer";
  ASSERT_TRUE(answer.reply.is_object());
  EXPECT_EQ(answer.reply.value("type", ""), "message");
  const std::string text = answer.reply.value("text", "");
  EXPECT_NE(text.find("Who is on duty"), std::string::npos) << text;
  EXPECT_NE(text.find("Alice"), std::string::npos) << text;
  const auto escalated =
      handle({{"type", "message"},
              {"text", "<at>Escalation Desk</at> escalate https://www.linkedin.com/feed/update/123 promises 50% off"},
              {"from", {{"aadObjectId", kAlice}, {"name", "Alice"}}},
              {"conversation", {{"id", kChannel}}}});
  EXPECT_TRUE(escalated.changed);
  const std::string said = escalated.reply.value("text", "");
  ASSERT_EQ(said.rfind("Escalated as ESC-", 0), 0u) << said;
  const auto opened = store_->escalation(said.substr(13, said.find(';') - 13));
  ASSERT_TRUE(opened) << said;
  EXPECT_EQ(opened->workflow, "paid_ads");
  const auto evidence = store_->evidence(opened->id);
  ASSERT_TRUE(evidence);
  EXPECT_EQ(evidence->permalink, "https://www.linkedin.com/feed/update/123");
  const auto help = handle({{"type", "message"}, {"text", "hello?"}});
  EXPECT_NE(help.reply.value("text", "").find("rota override"), std::string::npos);
}

TEST_F(TeamsBotActivitiesTest, TheDirectorSetsAnOverrideByMentioningWhoCovers) {
  const auto by_dana = channel_message(kDana, "Rota Override <at>Bob</at> duty_lead 4h",
                                       json::array({mention("29:1bobteamsid", "Bob", kBob)}));
  const auto answer = handle(by_dana);
  EXPECT_TRUE(answer.changed);
  const std::string text = answer.reply.value("text", "");
  EXPECT_NE(text.find("**Bob** covers duty_lead from now until Tue 1 Dec 16:00 UTC"), std::string::npos) << text;
  const auto overrides = store_->overrides_active_after(now_);
  ASSERT_EQ(overrides.size(), 1u);
  EXPECT_EQ(overrides[0].person, "bob");
  EXPECT_EQ(overrides[0].role, "duty_lead");
  EXPECT_EQ(overrides[0].until, now_ + 4h);
  EXPECT_EQ(overrides[0].created_by, "dana");
  EXPECT_EQ(store_->audit_trail("").back().event.kind, "rota.override");
  EXPECT_EQ(set_->rota().holder("duty_lead", now_ + 1h, overrides)->person, "bob");

  // By the person's id in the config, with a UTC date and time (two words).
  const auto typed = handle(channel_message(kDana, "rota override chen backup 2026-12-01 18:00"));
  EXPECT_TRUE(typed.changed) << typed.reply.dump();
  EXPECT_EQ(store_->overrides_active_after(now_).size(), 2u);
  // A mention whose id is the object id itself (some clients send that) needs no look-up.
  const auto direct =
      channel_message(kDana, "rota override <at>Bob</at> legal_oncall 30m", json::array({mention(kBob, "Bob")}));
  EXPECT_TRUE(bot_.mentions_to_look_up(direct).empty());
  EXPECT_TRUE(handle(direct).changed);
  EXPECT_EQ(store_->overrides_active_after(now_).size(), 3u);
}

TEST_F(TeamsBotActivitiesTest, AMentionWithoutAnObjectIdIsLeftForTheSurfaceToLookUp) {
  const auto message = channel_message(kDana, "rota override <at>Bob</at> duty_lead 4h",
                                       json::array({mention("29:1bobteamsid", "Bob")}));
  EXPECT_EQ(bot_.mentions_to_look_up(message), std::vector<std::string>{"29:1bobteamsid"});
  const auto unplaced = handle(message);
  EXPECT_FALSE(unplaced.changed);
  EXPECT_NE(unplaced.reply.value("text", "").find("Bob is not one of the desk's people"), std::string::npos)
      << unplaced.reply.dump();
  auto placed = message;
  placed["entities"][1]["mentioned"]["aadObjectId"] = kBob;  // what the surface writes after its look-up
  EXPECT_TRUE(bot_.mentions_to_look_up(placed).empty());
  EXPECT_TRUE(handle(placed).changed);
  EXPECT_TRUE(bot_.mentions_to_look_up(channel_message(kDana, "rota", json::array({mention("29:1x", "X")}))).empty())
      << "only an override looks anyone up";
  EXPECT_TRUE(
      bot_.mentions_to_look_up(channel_message(kDana, "rota override <at>Escalation Desk</at> duty_lead 4h")).empty())
      << "the bot's own mention is not a person";
  const auto two = channel_message(kDana, "rota override <at>Bob</at> <at>Chen</at> duty_lead 4h",
                                   json::array({mention("29:1bobteamsid", "Bob"), mention("29:1chenteamsid", "Chen")}));
  EXPECT_TRUE(bot_.mentions_to_look_up(two).empty()) << "two people: refused, so nobody is looked up";
  const auto refused = handle(two);
  EXPECT_FALSE(refused.changed);
  EXPECT_NE(refused.reply.value("text", "").find("Mention one person only"), std::string::npos) << refused.reply.dump();
}

TEST_F(TeamsBotActivitiesTest, AnOverrideWithoutRightsIsRefusedNamingWhoMayAndAudited) {
  const auto answer = handle(channel_message(kAlice, "rota override <at>Bob</at> duty_lead 4h",
                                             json::array({mention("29:1bob", "Bob", kBob)})));
  EXPECT_FALSE(answer.changed);
  const std::string text = answer.reply.value("text", "");
  EXPECT_NE(text.find("Only Dana (marketing director) may override duty_lead"), std::string::npos) << text;
  EXPECT_NE(text.find("The attempt was logged"), std::string::npos) << text;
  EXPECT_FALSE(answer.refusal.empty());
  EXPECT_TRUE(store_->overrides_active_after(now_).empty());
  const auto audit = store_->audit_trail("");
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back().event.kind, "rights.denied");
  EXPECT_EQ(audit.back().event.actor, "alice");
  // Someone not in the config has no rights either.
  EXPECT_FALSE(handle(channel_message(kStranger, "rota override bob duty_lead 4h")).changed);
  EXPECT_TRUE(store_->overrides_active_after(now_).empty());
}

TEST_F(TeamsBotActivitiesTest, HostileOverridesAreAnsweredPlainlyAndChangeNothing) {
  const auto says = [&](const json& message) {
    const auto answer = handle(message);
    EXPECT_FALSE(answer.changed) << message.dump();
    EXPECT_TRUE(answer.body.is_null());
    return answer.reply.value("text", "");
  };
  const json bob = mention("29:1bob", "Bob", kBob);
  EXPECT_NE(says(channel_message(kDana, "rota override")).find("Say who covers which role"), std::string::npos);
  EXPECT_NE(says(channel_message(kDana, "rota override <at>Bob</at>", json::array({bob}))).find("Say who covers"),
            std::string::npos);
  EXPECT_NE(says(channel_message(kDana, "rota override <at>Bob</at> <at>Chen</at> duty_lead 4h",
                                 json::array({bob, mention("29:1chen", "Chen")})))
                .find("Mention one person only"),
            std::string::npos);
  EXPECT_NE(says(channel_message(kDana, "rota override <at>Bob</at> night_watch 4h", json::array({bob})))
                .find("There is no role `night_watch`. Roles: backup, community_lead, duty_lead"),
            std::string::npos);
  EXPECT_NE(says(channel_message(kDana, "rota override <at>Bob</at> duty_lead soonish", json::array({bob})))
                .find("I could not read the end time `soonish`"),
            std::string::npos);
  EXPECT_NE(says(channel_message(kDana, "rota override <at>Bob</at> duty_lead 2020-01-01T00:00Z", json::array({bob})))
                .find("has passed"),
            std::string::npos);
  EXPECT_NE(says(channel_message(kDana, "rota override <at>Bob</at> duty_lead 40d", json::array({bob})))
                .find("at most 31 days"),
            std::string::npos);
  EXPECT_NE(says(channel_message(kDana, "rota override zed duty_lead 4h")).find("zed is not one of the desk's people"),
            std::string::npos);
  EXPECT_NE(says(channel_message(kDana, "rota override " + std::string(10000, 'x') + " duty_lead 4h"))
                .find("is not one of the desk's people"),
            std::string::npos);
  // Entities of the wrong shape read as no mention.
  auto odd = channel_message(kDana, "rota override <at>Bob</at> duty_lead 4h");
  odd["entities"] = json::array({{{"type", "mention"}, {"mentioned", "29:1bob"}}, 42, nullptr});
  EXPECT_NE(says(odd).find("Say who covers"), std::string::npos);
  odd["entities"] = "not a list";
  EXPECT_NE(says(odd).find("Say who covers"), std::string::npos);
  EXPECT_TRUE(bot_.mentions_to_look_up(odd).empty());
  EXPECT_TRUE(store_->overrides_active_after(now_).empty());
}

}  // namespace desk::bot::teams::teams_bot_activities_test
