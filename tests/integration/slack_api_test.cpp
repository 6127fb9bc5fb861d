// The typed SlackApi surface, through FakeSlackApi (same encoding and decoding as the real client).
#include "bot/slack/web_api_client.hpp"
#include "tests/fakes/fake_slack_api.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace desk::bot::slack {
namespace {

using nlohmann::json;

template <typename T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run();
  return future.get();
}

TEST(SlackApiEncoding, PostMessageCarriesMetadataForCrashRecovery) {
  FakeSlackApi api;
  PostMessage post;
  post.channel = "C0DESK";
  post.text = "Escalation esc-42";
  post.blocks = json::array({{{"type", "divider"}}});
  post.metadata = MessageMetadata{kEscalationPostedEvent, {{"escalation_id", "esc-42"}}};
  auto posted = run(api.chat_post_message(post));
  EXPECT_EQ(posted.channel, "C0DESK");
  EXPECT_FALSE(posted.ts.empty());
  auto calls = api.calls_to("chat.postMessage");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].args["metadata"]["event_type"], "escalation_posted");
  EXPECT_EQ(calls[0].args["metadata"]["event_payload"]["escalation_id"], "esc-42");
  EXPECT_EQ(calls[0].args["unfurl_links"], false);
  EXPECT_FALSE(calls[0].args.contains("thread_ts"));
}

TEST(SlackApiEncoding, PostIsFoundAgainByItsMetadata) {
  FakeSlackApi api;
  PostMessage other{"C0DESK", "unrelated", nullptr, "", false, std::nullopt};
  PostMessage mine{"C0DESK", "esc-7", nullptr,
                   "",       false,   MessageMetadata{kEscalationPostedEvent, {{"escalation_id", "esc-7"}}}};
  auto posted = run(api.chat_post_message(mine));
  run(api.chat_post_message(other));
  auto found = run(find_escalation_post(api, "C0DESK", "esc-7"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->ts, posted.ts);
  EXPECT_FALSE(run(find_escalation_post(api, "C0DESK", "esc-8")));
  EXPECT_EQ(api.calls_to("conversations.history").back().args["include_all_metadata"], true);
}

TEST(SlackApiEncoding, OkFalseBecomesATypedErrorKeepingSlackDetails) {
  FakeSlackApi api;
  api.fail("chat.postMessage", "missing_scope", "chat:write");
  try {
    run(api.chat_post_message(PostMessage{"C1", "x", nullptr, "", false, std::nullopt}));
    FAIL() << "expected SlackApiError";
  } catch (const SlackApiError& e) {
    EXPECT_EQ(e.method(), "chat.postMessage");
    EXPECT_EQ(e.error(), "missing_scope");
    EXPECT_EQ(e.needed(), "chat:write");
    EXPECT_NE(std::string(e.what()).find("missing_scope"), std::string::npos);
  }
}

TEST(SlackApiEncoding, AppsConnectionsOpenUsesTheAppToken) {
  FakeSlackApi api;
  auto url = run(api.apps_connections_open("xapp-1-A1-2-secret"));
  EXPECT_TRUE(url.starts_with("wss://"));
  ASSERT_EQ(api.calls().size(), 1u);
  EXPECT_TRUE(api.calls()[0].used_app_token);
  EXPECT_EQ(api.calls()[0].args, json::object());  // the token never goes in the body
}

TEST(SlackApiEncoding, UsergroupUpdateSendsTheWholeListCommaSeparated) {
  FakeSlackApi api;
  api.respond("usergroups.users.update",
              {{"usergroup", {{"id", "S1"}, {"handle", "ai-escalation"}, {"users", {"U1", "U2"}}}}});
  auto group = run(api.usergroups_users_update("S1", {"U1", "U2"}));
  EXPECT_EQ(api.calls()[0].args["users"], "U1,U2");
  EXPECT_EQ(group.users, (std::vector<std::string>{"U1", "U2"}));
  EXPECT_EQ(group.handle, "ai-escalation");
}

TEST(SlackApiEncoding, UserInfoDecodesTimeZoneAndGuestFlags) {
  FakeSlackApi api;
  api.respond("users.info", {{"user",
                              {{"id", "U9"},
                               {"tz", "Europe/Amsterdam"},
                               {"tz_offset", 3600},
                               {"is_ultra_restricted", true},
                               {"profile", {{"display_name", "lead"}}}}}});
  auto user = run(api.users_info("U9"));
  EXPECT_EQ(user.tz, "Europe/Amsterdam");
  EXPECT_EQ(user.tz_offset, 3600);
  EXPECT_TRUE(user.is_restricted);
  EXPECT_EQ(user.display_name, "lead");
}

TEST(SlackApiEncoding, MalformedAnswersDecodeToEmptyValuesNotCrashes) {
  FakeSlackApi api;
  api.respond("users.info", {{"user", "not an object"}});
  api.respond("usergroups.list", {{"usergroups", {1, "two", {{"id", 3}}}}});
  api.respond("conversations.history", {{"messages", {{{"ts", 5}, {"metadata", "x"}}}}});
  EXPECT_EQ(run(api.users_info("U1")).id, "");
  EXPECT_EQ(run(api.usergroups_list(true)).size(), 3u);
  HistoryQuery query;
  query.channel = "C1";
  auto page = run(api.conversations_history(query));
  ASSERT_EQ(page.messages.size(), 1u);
  EXPECT_FALSE(page.messages[0].metadata);
}

TEST(SlackApiEncoding, ViewsOpenReturnsIdAndHash) {
  FakeSlackApi api;
  auto view = run(api.views_open("1.2.3", json{{"type", "modal"}}));
  EXPECT_FALSE(view.id.empty());
  EXPECT_FALSE(view.hash.empty());
  api.fail("views.open", "expired_trigger_id");
  EXPECT_THROW(run(api.views_open("1.2.3", json{{"type", "modal"}})), SlackApiError);
}

TEST(SlackApiEncoding, CheckOkRefusesNonObjects) {
  EXPECT_THROW(check_ok("auth.test", json::array()), SlackApiError);
  EXPECT_THROW(check_ok("auth.test", json{{"ok", "true"}}), SlackApiError);
  EXPECT_NO_THROW(check_ok("auth.test", json{{"ok", true}}));
  try {
    check_ok("chat.update", json{{"ok", false},
                                 {"error", "invalid_blocks"},
                                 {"response_metadata", {{"messages", {"[ERROR] too long [json-pointer:/blocks/0]"}}}}});
  } catch (const SlackApiError& e) {
    ASSERT_EQ(e.messages().size(), 1u);
    EXPECT_NE(std::string(e.what()).find("json-pointer:/blocks/0"), std::string::npos);
  }
}

TEST(FormEncoding, NestedValuesBecomeJsonAndEverythingIsPercentEncoded) {
  json args{{"channel", "C1"}, {"text", "a b&c=d/é"}, {"limit", 200}, {"skip", nullptr}};
  EXPECT_EQ(form_encode(args), "channel=C1&limit=200&text=a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(url_encode("~-._"), "~-._");
  EXPECT_EQ(form_encode(json::array()), "");
}

TEST(RetryAfter, SecondsParseAndJunkIsRefused) {
  EXPECT_EQ(parse_retry_after("30"), std::chrono::seconds{30});
  EXPECT_EQ(parse_retry_after(" 1 "), std::chrono::seconds{1});
  EXPECT_FALSE(parse_retry_after(""));
  EXPECT_FALSE(parse_retry_after("soon"));
  EXPECT_FALSE(parse_retry_after("-5"));
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
  EXPECT_FALSE(parse_retry_after("99999999999999"));
}

TEST(WebApiClientConfig, NonHttpsBaseUrlIsRefused) {
  boost::asio::io_context io;
  WebApiConfig config;
  config.bot_token = "xoxb-1";
  config.api_url = "http://slack.com/api/";
  EXPECT_THROW(WebApiClient(io.get_executor(), config), std::invalid_argument);
  config.api_url = "not a url";
  EXPECT_THROW(WebApiClient(io.get_executor(), config), std::invalid_argument);
}

TEST(WebApiClientConfig, MissingExtraCaFileIsAClearError) {
  boost::asio::io_context io;
  WebApiConfig config;
  config.extra_ca_file = "/nonexistent/ca.pem";
  try {
    WebApiClient client(io.get_executor(), config);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos);
  }
}

}  // namespace
}  // namespace desk::bot::slack
