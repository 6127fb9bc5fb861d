// The interactive Teams bot's answers to activities (already authenticated): a decision clicked on a
// card, by someone without rights, with a short rationale, by the owner, too late; hostile activities;
// and a message asking for the rota. Against an in-memory store and the seed policy.
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

TEST_F(TeamsBotActivitiesTest, AMessageAskingForTheRotaIsAnsweredWithWhoIsOnDuty) {
  const auto answer = handle({{"type", "message"},
                              {"text", "<at>Escalation Desk</at> rota"},
                              {"from", {{"aadObjectId", kAlice}}},
                              {"conversation", {{"id", kChannel}}}});
  ASSERT_TRUE(answer.body.is_object());
  const std::string text = answer.body.value("text", "");
  EXPECT_NE(text.find("Who is on duty"), std::string::npos) << text;
  EXPECT_NE(text.find("Alice"), std::string::npos) << text;
  const auto escalated =
      handle({{"type", "message"},
              {"text", "<at>Escalation Desk</at> escalate https://www.linkedin.com/feed/update/123 promises 50% off"},
              {"from", {{"aadObjectId", kAlice}, {"name", "Alice"}}},
              {"conversation", {{"id", kChannel}}}});
  EXPECT_TRUE(escalated.changed);
  const std::string said = escalated.body.value("text", "");
  ASSERT_EQ(said.rfind("Escalated as ESC-", 0), 0u) << said;
  const auto opened = store_->escalation(said.substr(13, said.find(';') - 13));
  ASSERT_TRUE(opened) << said;
  EXPECT_EQ(opened->workflow, "paid_ads");
  const auto evidence = store_->evidence(opened->id);
  ASSERT_TRUE(evidence);
  EXPECT_EQ(evidence->permalink, "https://www.linkedin.com/feed/update/123");
  const auto help = handle({{"type", "message"}, {"text", "hello?"}});
  EXPECT_NE(help.body.value("text", "").find("rota"), std::string::npos);
}

}  // namespace desk::bot::teams::teams_bot_activities_test
