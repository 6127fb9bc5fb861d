// The Web API client over real HTTPS against the emulator: encoding, keep-alive, typed errors,
// 429 handling, safe retries, certificate checks and token hygiene.
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>

#include "bot/slack/log.hpp"
#include "tests/integration/slack_test_bed.hpp"

namespace desk::integration {
namespace {

using nlohmann::json;

slack::PostMessage post(const std::string& channel, const std::string& text) {
  slack::PostMessage m;
  m.channel = channel;
  m.text = text;
  return m;
}

template <typename T>
std::string error_of(SlackTestBed& bed, boost::asio::awaitable<T> task) {
  try {
    bed.await(std::move(task));
  } catch (const slack::SlackApiError& e) { return e.error(); }
  return "no error";
}

TEST(WebApi, AuthTestIdentifiesTheBotOverOneKeepAliveConnection) {
  SlackTestBed bed;
  for (int i = 0; i < 5; ++i) {
    auto who = bed.await(bed.api->auth_test());
    EXPECT_EQ(who.user_id, "U0BOT");
    EXPECT_EQ(who.team_id, "T0EMU");
  }
  EXPECT_EQ(bed.api->connections_opened(), 1u);
  EXPECT_EQ(bed.emulator.count_calls("auth.test"), 5u);
}

// Found by the sanitizer stage: the desk destroys its surfaces (and their Web API client) before its
// io_context, whose shutdown then destroys the calls still in flight; each call's turn ended on its
// queue, which had gone with the client (heap-use-after-free under ASan). The bed has the same order.
TEST(WebApi, CallsInFlightMayOutliveTheClient) {
  SlackTestBed bed;
  for (int i = 0; i < 3; ++i)  // same method, same queue: one runs, two wait for their turn
    boost::asio::co_spawn(bed.io, bed.api->auth_test(), [](std::exception_ptr, slack::AuthInfo) {});
  bed.io.run_for(std::chrono::milliseconds(1));
  bed.api.reset();
  // ~SlackTestBed destroys the io_context and, with it, the three calls' coroutines.
}

TEST(WebApi, WritesAreJsonWithCharsetAndBearerAuth) {
  SlackTestBed bed;
  auto posted = bed.await(bed.api->chat_post_message(post("C0DESK", "héllo")));
  EXPECT_EQ(posted.channel, "C0DESK");
  auto calls = bed.emulator.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].content_type, "application/json; charset=utf-8");
  EXPECT_EQ(calls[0].auth, "bot");
  EXPECT_EQ(calls[0].args["text"], "héllo");
  bed.await(bed.api->users_info("U0LEAD"));
  EXPECT_EQ(bed.emulator.calls().back().content_type, "application/x-www-form-urlencoded");
}

TEST(WebApi, OkFalseBecomesATypedErrorWithSlacksErrorString) {
  SlackTestBed bed;
  EXPECT_EQ(error_of(bed, bed.api->chat_post_message(post("C404", "x"))), "channel_not_found");
  EXPECT_EQ(error_of(bed, bed.api->chat_post_message(post("C0PUBLIC", "x"))), "not_in_channel");
  EXPECT_EQ(error_of(bed, bed.api->users_info("U404")), "user_not_found");
  auto bad = post("C0DESK", "x");
  bad.blocks = json::array({{{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", std::string(200, 'h')}}}}});
  try {
    bed.await(bed.api->chat_post_message(bad));
    FAIL() << "expected invalid_blocks";
  } catch (const slack::SlackApiError& e) {
    EXPECT_EQ(e.error(), "invalid_blocks");
    ASSERT_FALSE(e.messages().empty());
    EXPECT_NE(e.messages()[0].find("json-pointer:/blocks/0/text/text"), std::string::npos);
  }
}

TEST(WebApi, ExpiredTriggerIdIsReported) {
  emu::EmulatorOptions options;
  options.workspace.trigger_ttl = 0ms;
  SlackTestBed bed(options);
  json view{{"type", "modal"}, {"title", {{"type", "plain_text"}, {"text", "Accept"}}}, {"blocks", json::array()}};
  EXPECT_EQ(error_of(bed, bed.api->views_open(bed.emulator.issue_trigger_id(), view)), "expired_trigger_id");
}

TEST(WebApi, ModalsMessagesGroupsAndChannelsRoundTrip) {
  SlackTestBed bed;
  json view{{"type", "modal"}, {"title", {{"type", "plain_text"}, {"text", "Accept"}}}, {"blocks", json::array()}};
  auto opened = bed.await(bed.api->views_open(bed.emulator.issue_trigger_id(), view));
  auto updated = bed.await(bed.api->views_update(opened.id, view, opened.hash));
  EXPECT_NE(updated.hash, opened.hash);
  EXPECT_EQ(error_of(bed, bed.api->views_update(opened.id, view, opened.hash)), "hash_conflict");

  auto posted = bed.await(bed.api->chat_post_message(post("C0DESK", "first")));
  slack::UpdateMessage update{"C0DESK", posted.ts, "decided", json::array()};
  bed.await(bed.api->chat_update(update));
  EXPECT_EQ(bed.emulator.messages("C0DESK").back()["text"], "decided");
  auto link = bed.await(bed.api->chat_get_permalink("C0DESK", posted.ts));
  EXPECT_NE(link.find("/archives/C0DESK/p"), std::string::npos);
  slack::PostEphemeral whisper{"C0DESK", "U0LEAD", "only you", nullptr, ""};
  EXPECT_FALSE(bed.await(bed.api->chat_post_ephemeral(whisper)).empty());

  bed.await(bed.api->usergroups_users_update("S0DESK", {"U0BACKUP"}));
  auto groups = bed.await(bed.api->usergroups_list(true));
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].users, std::vector<std::string>{"U0BACKUP"});

  auto joined = bed.await(bed.api->conversations_join("C0DESK"));  // already in: a warning, not an error
  EXPECT_TRUE(joined.is_member);
  std::vector<slack::Conversation> all;
  std::string cursor;
  do {
    auto page = bed.await(bed.api->conversations_list(cursor, 2));
    all.insert(all.end(), page.channels.begin(), page.channels.end());
    cursor = page.next_cursor;
  } while (!cursor.empty());
  EXPECT_EQ(all.size(), 3u);  // the archived channel is excluded
  EXPECT_EQ(bed.await(bed.api->conversations_info("C0DESK")).name, "ai-escalation");
  EXPECT_EQ(bed.await(bed.api->users_info("U0LEAD")).tz, "Europe/London");
}

TEST(WebApi, EscalationPostIsFoundByMetadataAfterACrash) {
  SlackTestBed bed;
  auto m = post("C0DESK", "Escalation esc-42");
  m.metadata = slack::MessageMetadata{slack::kEscalationPostedEvent, {{"escalation_id", "esc-42"}}};
  auto posted = bed.await(bed.api->chat_post_message(m));
  bed.await(bed.api->chat_post_message(post("C0DESK", "chatter")));
  auto found = bed.await(slack::find_escalation_post(*bed.api, "C0DESK", "esc-42"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->ts, posted.ts);
  EXPECT_FALSE(bed.await(slack::find_escalation_post(*bed.api, "C0DESK", "esc-43")));
}

TEST(WebApi, CancelEndsCallsWaitingOutARateLimitAtOnceSoTheClientCanGo) {
  SlackTestBed bed;
  bed.emulator.rate_limit("chat.postMessage", 1, 60);
  std::vector<std::string> errors;
  for (int i = 0; i < 3; ++i) {
    boost::asio::co_spawn(bed.io, bed.api->chat_post_message(post("C0DESK", "msg " + std::to_string(i))),
                          [&](std::exception_ptr e, slack::PostedMessage) {
                            try {
                              if (e) std::rethrow_exception(e);
                              errors.push_back("sent");
                            } catch (const slack::SlackTransportError& x) { errors.push_back(x.what()); }
                          });
  }
  ASSERT_TRUE(bed.drive_until([&] { return bed.api->rate_limited_count() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  bed.api->cancel();
  ASSERT_TRUE(bed.drive_until([&] { return errors.size() == 3; }, 5s)) << "the 60 s Retry-After was not waited out";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  for (const auto& e : errors) EXPECT_NE(e.find("the desk is stopping"), std::string::npos) << e;
  EXPECT_TRUE(bed.emulator.messages("C0DESK").empty());
  EXPECT_THROW(bed.await(bed.api->auth_test()), slack::SlackTransportError) << "nothing new is sent";
  bed.api.reset();  // nothing refers to it any more: destroying it before the io_context is safe
}

TEST(WebApi, RateLimitIsHonouredInOrderAndOtherMethodsKeepFlowing) {
  SlackTestBed bed;
  bed.emulator.rate_limit("chat.postMessage", 1, 1);
  std::vector<int> completed;
  int users_done_at = -1;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    boost::asio::co_spawn(bed.io, bed.api->chat_post_message(post("C0DESK", "msg " + std::to_string(i))),
                          [&, i](std::exception_ptr e, slack::PostedMessage) {
                            EXPECT_FALSE(e);
                            completed.push_back(i);
                          });
  }
  boost::asio::co_spawn(bed.io, bed.api->users_info("U0LEAD"), [&](std::exception_ptr e, slack::UserInfo) {
    EXPECT_FALSE(e);
    users_done_at = static_cast<int>(completed.size());
  });
  ASSERT_TRUE(bed.drive_until([&] { return completed.size() == 5 && users_done_at >= 0; }));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(completed, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(users_done_at, 0);  // users.info did not wait behind the parked postMessage queue
  EXPECT_GE(elapsed, 900ms);    // Retry-After: 1 was honoured
  auto messages = bed.emulator.messages("C0DESK");
  ASSERT_EQ(messages.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(messages[i]["text"], "msg " + std::to_string(i));
  EXPECT_EQ(bed.emulator.count_calls("chat.postMessage"), 6u);  // one 429, then five posts, none dropped
  EXPECT_EQ(bed.api->rate_limited_count(), 1u);
}

TEST(WebApi, LostAnswerToAPostIsNotRetriedSoNothingIsPostedTwice) {
  SlackTestBed bed;
  bed.emulator.drop_next_response("chat.postMessage");
  EXPECT_THROW(bed.await(bed.api->chat_post_message(post("C0DESK", "once"))), slack::SlackTransportError);
  EXPECT_EQ(bed.emulator.count_calls("chat.postMessage"), 1u);
  EXPECT_EQ(bed.emulator.messages("C0DESK").size(), 1u);
}

TEST(WebApi, LostAnswerToAReadIsRetried) {
  SlackTestBed bed;
  bed.emulator.drop_next_response("users.info");
  EXPECT_EQ(bed.await(bed.api->users_info("U0LEAD")).id, "U0LEAD");
  EXPECT_EQ(bed.emulator.count_calls("users.info"), 2u);
}

TEST(WebApi, ServerRestartBetweenCallsIsAbsorbedByANewConnection) {
  SlackTestBed bed;
  bed.await(bed.api->auth_test());
  bed.emulator.stop_listening();
  bed.emulator.resume_listening();
  EXPECT_EQ(bed.await(bed.api->chat_post_message(post("C0DESK", "after restart"))).channel, "C0DESK");
  EXPECT_EQ(bed.emulator.messages("C0DESK").size(), 1u);
}

TEST(WebApi, UnreachableServerIsATransportError) {
  SlackTestBed bed;
  bed.emulator.stop_listening();
  EXPECT_THROW(bed.await(bed.api->auth_test()), slack::SlackTransportError);
}

TEST(WebApi, CertificateFromAnUntrustedCaIsRefused) {
  emu::EmulatorOptions options;
  options.present_rogue_certificate = true;
  SlackTestBed bed(options);
  try {
    bed.await(bed.api->auth_test());
    FAIL() << "expected a TLS failure";
  } catch (const slack::SlackTransportError& e) {
    EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(bed.emulator.calls().empty());
}

TEST(WebApi, TokensNeverAppearInLogsOrErrors) {
  SlackTestBed bed;
  std::vector<std::string> lines;
  slack::set_log_sink([&](std::string_view line) { lines.emplace_back(line); });
  std::vector<std::string> errors;
  {
    slack::WebApiConfig config;
    config.api_url = bed.emulator.api_url();
    config.bot_token = "xoxb-1111-2222-wrongbottoken";
    config.extra_ca_file = pki().trusted().ca_cert;
    slack::WebApiClient wrong(bed.io.get_executor(), config);
    try {
      bed.await(wrong.auth_test());
    } catch (const std::exception& e) { errors.emplace_back(e.what()); }
  }
  auto config = bed.socket_config();
  config.app_token = "xapp-1-A0EMU-9999-wrongapptoken";
  bed.start(config);
  bed.drive_until([&] { return bed.run_done; });
  errors.push_back(bed.client->stop_reason());
  bed.emulator.stop_listening();
  try {
    bed.await(bed.api->auth_test());
  } catch (const std::exception& e) { errors.emplace_back(e.what()); }
  slack::set_log_sink({});
  const auto& ws = bed.options_.workspace;
  for (const std::string secret : {"wrongbottoken", "wrongapptoken", ws.bot_token.c_str(), ws.app_token.c_str()}) {
    for (const auto& line : lines) EXPECT_EQ(line.find(secret), std::string::npos) << line;
    for (const auto& e : errors) EXPECT_EQ(e.find(secret), std::string::npos) << e;
  }
  EXPECT_EQ(errors.size(), 3u);
}

}  // namespace
}  // namespace desk::integration
