// The emulator's Web API answers, checked without sockets: the integration tests rely on them.
#include "tests/emulator/workspace_model.hpp"
#include "tests/emulator/block_kit_check.hpp"

#include <gtest/gtest.h>

namespace desk::emulator {
namespace {

using nlohmann::json;

struct WorkspaceTest : ::testing::Test {
  WorkspaceOptions options;
  WorkspaceModel model{options};
  SteadyClock::time_point now = SteadyClock::now();

  ApiResponse call(const std::string& method, const json& args, const std::string& token = {}) {
    ApiRequest r;
    r.method = method;
    r.http_method = "POST";
    r.authorization = "Bearer " + (token.empty() ? options.bot_token : token);
    r.content_type = "application/json; charset=utf-8";
    r.body = args.dump();
    return model.handle(r, now);
  }
  ApiResponse form(const std::string& method, const std::string& body, const std::string& token = {}) {
    ApiRequest r;
    r.method = method;
    r.http_method = "POST";
    r.authorization = "Bearer " + (token.empty() ? options.bot_token : token);
    r.content_type = "application/x-www-form-urlencoded";
    r.body = body;
    return model.handle(r, now);
  }
  static std::string error(const ApiResponse& r) { return r.body.value("error", ""); }
};

TEST_F(WorkspaceTest, MissingOrWrongTokensAreRefusedLikeSlack) {
  ApiRequest r;
  r.method = "auth.test";
  r.http_method = "POST";
  EXPECT_EQ(error(model.handle(r, now)), "not_authed");
  EXPECT_EQ(error(form("auth.test", "", "xoxb-wrong")), "invalid_auth");
  EXPECT_EQ(error(form("auth.test", "", options.app_token)), "not_allowed_token_type");
  EXPECT_EQ(error(form("apps.connections.open", "")), "not_allowed_token_type");
  EXPECT_EQ(model.calls().back().auth, "bot");
  EXPECT_EQ(model.calls()[1].auth, "invalid");
}

TEST_F(WorkspaceTest, ConnectionTicketsAreSingleUse) {
  model.socket_url = [](const std::string& t) { return "wss://localhost:1/link/?ticket=" + t; };
  auto r = form("apps.connections.open", "", options.app_token);
  ASSERT_TRUE(r.body["ok"].get<bool>());
  std::string url = r.body["url"];
  auto ticket = url.substr(url.find("ticket=") + 7);
  EXPECT_TRUE(model.redeem_ticket(ticket));
  EXPECT_FALSE(model.redeem_ticket(ticket));
  EXPECT_FALSE(model.redeem_ticket("made-up"));
}

TEST_F(WorkspaceTest, PostingAnswersChannelErrors) {
  EXPECT_EQ(error(call("chat.postMessage", {{"channel", "C404"}, {"text", "x"}})), "channel_not_found");
  EXPECT_EQ(error(call("chat.postMessage", {{"channel", "C0PUBLIC"}, {"text", "x"}})), "not_in_channel");
  EXPECT_EQ(error(call("chat.postMessage", {{"channel", "G0PRIVATE"}, {"text", "x"}})), "channel_not_found");
  EXPECT_EQ(error(call("chat.postMessage", {{"channel", "C0ARCHIVED"}, {"text", "x"}})), "is_archived");
  EXPECT_EQ(error(call("chat.postMessage", {{"channel", "C0DESK"}})), "no_text");
  EXPECT_TRUE(call("chat.postMessage", {{"channel", "C0DESK"}, {"text", "x"}}).body["ok"].get<bool>());
}

TEST_F(WorkspaceTest, BrokenBlockKitLimitsGiveInvalidBlocksWithAPointer) {
  json blocks = json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", std::string(3001, 'a')}}}}});
  auto r = call("chat.postMessage", {{"channel", "C0DESK"}, {"text", "x"}, {"blocks", blocks}});
  EXPECT_EQ(error(r), "invalid_blocks");
  std::string message = r.body["response_metadata"]["messages"][0];
  EXPECT_NE(message.find("must be less than 3001 characters"), std::string::npos) << message;
  EXPECT_NE(message.find("json-pointer:/blocks/0/text/text"), std::string::npos) << message;
}

TEST_F(WorkspaceTest, TriggerIdsExpireAndAreSingleUse) {
  json view{{"type", "modal"}, {"title", {{"type", "plain_text"}, {"text", "Accept"}}}, {"blocks", json::array()}};
  auto trigger = model.issue_trigger_id(now);
  EXPECT_TRUE(call("views.open", {{"trigger_id", trigger}, {"view", view}}).body["ok"].get<bool>());
  EXPECT_EQ(error(call("views.open", {{"trigger_id", trigger}, {"view", view}})), "exchanged_trigger_id");
  auto old = model.issue_trigger_id(now - std::chrono::milliseconds{3001});
  EXPECT_EQ(error(call("views.open", {{"trigger_id", old}, {"view", view}})), "expired_trigger_id");
  EXPECT_EQ(error(call("views.open", {{"trigger_id", "1.2.3"}, {"view", view}})), "invalid_trigger_id");
}

TEST_F(WorkspaceTest, ViewsUpdateRefusesAStaleHash) {
  json view{{"type", "modal"}, {"title", {{"type", "plain_text"}, {"text", "Accept"}}}, {"blocks", json::array()}};
  auto opened = call("views.open", {{"trigger_id", model.issue_trigger_id(now)}, {"view", view}});
  std::string id = opened.body["view"]["id"];
  std::string hash = opened.body["view"]["hash"];
  EXPECT_TRUE(call("views.update", {{"view_id", id}, {"hash", hash}, {"view", view}}).body["ok"].get<bool>());
  EXPECT_EQ(error(call("views.update", {{"view_id", id}, {"hash", hash}, {"view", view}})), "hash_conflict");
  EXPECT_EQ(error(call("views.update", {{"view_id", "V404"}, {"view", view}})), "not_found");
}

TEST_F(WorkspaceTest, RateLimitAnswers429WithRetryAfterThenRecovers) {
  model.rate_limit("chat.postMessage", 1, 2);
  auto limited = call("chat.postMessage", {{"channel", "C0DESK"}, {"text", "x"}});
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(limited.retry_after, 2);
  EXPECT_EQ(error(limited), "ratelimited");
  EXPECT_EQ(call("chat.postMessage", {{"channel", "C0DESK"}, {"text", "x"}}).status, 200u);
}

TEST_F(WorkspaceTest, HistoryFindsPostsByMetadataOnlyWhenAskedFor) {
  call("chat.postMessage",
       {{"channel", "C0DESK"},
        {"text", "esc"},
        {"metadata", {{"event_type", "escalation_posted"}, {"event_payload", {{"escalation_id", "esc-1"}}}}}});
  call("chat.postMessage", {{"channel", "C0DESK"}, {"text", "later"}});
  auto with = form("conversations.history", "channel=C0DESK&include_all_metadata=true");
  ASSERT_EQ(with.body["messages"].size(), 2u);
  EXPECT_EQ(with.body["messages"][0]["text"], "later");  // newest first
  EXPECT_EQ(with.body["messages"][1]["metadata"]["event_payload"]["escalation_id"], "esc-1");
  auto without = form("conversations.history", "channel=C0DESK");
  EXPECT_FALSE(without.body["messages"][1].contains("metadata"));
  EXPECT_EQ(error(form("conversations.history", "channel=C0PUBLIC")), "not_in_channel");
}

TEST_F(WorkspaceTest, ThreadRepliesAreInRepliesNotInHistory) {
  const std::string parent = call("chat.postMessage", {{"channel", "C0DESK"}, {"text", "esc"}}).body["ts"];
  call("chat.postMessage",
       {{"channel", "C0DESK"},
        {"text", "reply"},
        {"thread_ts", parent},
        {"metadata", {{"event_type", "escalation_reply"}, {"event_payload", {{"reply", "decision"}}}}}});
  call("chat.postMessage", {{"channel", "C0DESK"}, {"text", "other"}});
  auto history = form("conversations.history", "channel=C0DESK");
  ASSERT_EQ(history.body["messages"].size(), 2u);
  for (const auto& m : history.body["messages"]) EXPECT_NE(m["text"], "reply");

  auto thread = form("conversations.replies", "channel=C0DESK&include_all_metadata=true&ts=" + parent);
  ASSERT_EQ(thread.body["messages"].size(), 2u) << thread.body.dump();
  EXPECT_EQ(thread.body["messages"][0]["text"], "esc");  // the parent first
  EXPECT_EQ(thread.body["messages"][1]["metadata"]["event_payload"]["reply"], "decision");
  EXPECT_EQ(error(form("conversations.replies", "channel=C0DESK&ts=1.000001")), "thread_not_found");
  EXPECT_EQ(error(form("conversations.replies", "channel=C0DESK")), "invalid_arguments");
}

TEST_F(WorkspaceTest, PostingToAUserIdLandsInTheirDirectMessage) {
  auto posted = call("chat.postMessage", {{"channel", "U0LEAD"}, {"text", "you are on duty"}});
  EXPECT_EQ(posted.body["channel"], WorkspaceModel::dm_channel("U0LEAD")) << posted.body.dump();
  EXPECT_EQ(model.messages(WorkspaceModel::dm_channel("U0LEAD")).size(), 1u);
  EXPECT_EQ(error(call("chat.postMessage", {{"channel", "U0NOBODY"}, {"text", "x"}})), "channel_not_found");
}

TEST_F(WorkspaceTest, ReadMethodsIgnoreJsonBodies) {
  EXPECT_EQ(error(call("users.info", {{"user", "U0LEAD"}})), "user_not_found");
  EXPECT_TRUE(form("users.info", "user=U0LEAD").body["ok"].get<bool>());
}

TEST_F(WorkspaceTest, JoinWarnsWhenAlreadyInTheChannel) {
  auto r = form("conversations.join", "channel=C0DESK");
  EXPECT_TRUE(r.body["ok"].get<bool>());
  EXPECT_EQ(r.body["warning"], "already_in_channel");
  EXPECT_EQ(error(form("conversations.join", "channel=G0PRIVATE")), "method_not_supported_for_channel_type");
}

TEST_F(WorkspaceTest, UsergroupUpdateReplacesTheMemberList) {
  EXPECT_TRUE(form("usergroups.users.update", "usergroup=S0DESK&users=U0BACKUP%2CU0LEAD").body["ok"].get<bool>());
  EXPECT_EQ(model.usergroup_users("S0DESK"), (std::vector<std::string>{"U0BACKUP", "U0LEAD"}));
  EXPECT_EQ(error(form("usergroups.users.update", "usergroup=S0DESK&users=")), "no_users_provided");
  EXPECT_EQ(error(form("usergroups.users.update", "usergroup=S0DESK&users=U404")), "invalid_users");
}

TEST_F(WorkspaceTest, BadBodiesAreRefused) {
  ApiRequest r;
  r.method = "chat.postMessage";
  r.http_method = "POST";
  r.authorization = "Bearer " + options.bot_token;
  r.content_type = "application/json; charset=utf-8";
  r.body = "{not json";
  EXPECT_EQ(error(model.handle(r, now)), "invalid_json");
  r.body = "[1]";
  EXPECT_EQ(error(model.handle(r, now)), "json_not_object");
  r.content_type = "text/plain";
  EXPECT_EQ(error(model.handle(r, now)), "invalid_post_type");
  r.content_type = "application/json; charset=klingon";
  r.body = "{}";
  EXPECT_EQ(error(model.handle(r, now)), "invalid_charset");
}

TEST(FormDecoding, NestedJsonValuesAreDecoded) {
  auto args = decode_form("channel=C1&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D&text=a+b%21&flag");
  EXPECT_EQ(args["channel"], "C1");
  EXPECT_TRUE(args["blocks"].is_array());
  EXPECT_EQ(args["text"], "a b!");
  EXPECT_EQ(args["flag"], "");
}

TEST(BlockKitCheck, TypicalEscalationMessagePasses) {
  json blocks = json::parse(R"([
    {"type":"header","text":{"type":"plain_text","text":"Escalation esc-42"}},
    {"type":"section","text":{"type":"mrkdwn","text":"*Triggers:* lexicon"}},
    {"type":"context","elements":[{"type":"mrkdwn","text":"Triage due"}]},
    {"type":"actions","block_id":"esc-42-macros-1","elements":[
      {"type":"button","action_id":"desk.accept","text":{"type":"plain_text","text":"Accept"},"style":"primary","value":"esc-42"},
      {"type":"button","action_id":"desk.reject","text":{"type":"plain_text","text":"Reject"},"style":"danger","value":"esc-42"},
      {"type":"button","action_id":"desk.legal","text":{"type":"plain_text","text":"Escalate to legal"},"value":"esc-42"}]}])");
  EXPECT_EQ(check_blocks(blocks, Surface::message), std::nullopt);
}

TEST(BlockKitCheck, EachLimitIsEnforced) {
  auto button = [](json b) { return json::array({{{"type", "actions"}, {"elements", json::array({b})}}}); };
  json ok_button{{"type", "button"}, {"action_id", "a"}, {"text", {{"type", "plain_text"}, {"text", "Go"}}}};
  EXPECT_EQ(check_blocks(button(ok_button), Surface::message), std::nullopt);
  auto bad_style = ok_button;
  bad_style["style"] = "green";
  EXPECT_TRUE(check_blocks(button(bad_style), Surface::message));
  auto long_text = ok_button;
  long_text["text"]["text"] = std::string(76, 'x');
  EXPECT_TRUE(check_blocks(button(long_text), Surface::message));
  auto mrkdwn_button = ok_button;
  mrkdwn_button["text"]["type"] = "mrkdwn";
  EXPECT_TRUE(check_blocks(button(mrkdwn_button), Surface::message));
  EXPECT_TRUE(check_blocks(
      json::array({{{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", std::string(151, 'h')}}}}}),
      Surface::message));
  EXPECT_TRUE(
      check_blocks(json::array({{{"type", "divider"}, {"block_id", "x"}}, {{"type", "divider"}, {"block_id", "x"}}}),
                   Surface::message));
  json many = json::array();
  for (int i = 0; i < 51; ++i) many.push_back({{"type", "divider"}});
  EXPECT_TRUE(check_blocks(many, Surface::message));
  EXPECT_FALSE(check_blocks(many, Surface::modal));
  EXPECT_TRUE(check_blocks(json::object(), Surface::message));
  EXPECT_TRUE(check_blocks(json::array({{{"type", "marquee"}}}), Surface::message));
}

TEST(BlockKitCheck, ModalRulesAreEnforced) {
  json view = json::parse(R"({"type":"modal","callback_id":"desk.rationale",
    "title":{"type":"plain_text","text":"Accept esc-42"},"submit":{"type":"plain_text","text":"Record decision"},
    "blocks":[{"type":"input","block_id":"rationale","label":{"type":"plain_text","text":"Rationale"},
      "element":{"type":"plain_text_input","action_id":"rationale_input","multiline":true}}]})");
  EXPECT_EQ(check_view(view), std::nullopt);
  auto no_submit = view;
  no_submit.erase("submit");
  EXPECT_TRUE(check_view(no_submit));
  auto long_title = view;
  long_title["title"]["text"] = "This title is far too long for Slack";
  EXPECT_TRUE(check_view(long_title));
  auto big_metadata = view;
  big_metadata["private_metadata"] = std::string(3001, 'm');
  EXPECT_TRUE(check_view(big_metadata));
  EXPECT_TRUE(check_blocks(view["blocks"], Surface::message));  // input blocks only in views
}

}  // namespace
}  // namespace desk::emulator
