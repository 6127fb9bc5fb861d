// The outbox sender against FakeSlackApi and an in-memory store, driven on one io_context. The fake
// answers at once, so "the sender has done all it can now" is reached by polling ready handlers
// (settle), never by sleeping; time moves only through the FakeClock and poke().
#include "bot/outbox_sender.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "bot/slack/fake_slack_api.hpp"
#include "core/lifecycle.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;
using State = storage::OutboxMessage::State;

constexpr const char* kLeakyOutput =
    "Our price is the lowest price around. Call Jo on +44 20 7946 0958 or mail jo.bloggs@example.com";

/// Forwards to a FakeSlackApi, but can lose the answer of a post that reached Slack: the request
/// was processed, then the connection failed (a timeout while reading the response).
class LossyApi final : public slack::SlackApi {
 public:
  explicit LossyApi(slack::FakeSlackApi& inner) : inner_(inner) {}
  int lose_post_answers = 0;

  Task<slack::AuthInfo> auth_test() override { return inner_.auth_test(); }
  Task<std::string> apps_connections_open(std::string t) override { return inner_.apps_connections_open(t); }
  Task<slack::PostedMessage> chat_post_message(slack::PostMessage m) override {
    auto posted = co_await inner_.chat_post_message(std::move(m));
    if (lose_post_answers > 0) {
      --lose_post_answers;
      throw slack::SlackTransportError("chat.postMessage", "read response from slack.com timed out");
    }
    co_return posted;
  }
  Task<slack::PostedMessage> chat_update(slack::UpdateMessage m) override { return inner_.chat_update(m); }
  Task<std::string> chat_post_ephemeral(slack::PostEphemeral m) override { return inner_.chat_post_ephemeral(m); }
  Task<std::string> chat_get_permalink(std::string c, std::string ts) override { return inner_.chat_get_permalink(c, ts); }
  Task<slack::ViewInfo> views_open(std::string t, json v) override { return inner_.views_open(t, v); }
  Task<slack::ViewInfo> views_update(std::string id, json v, std::string h) override { return inner_.views_update(id, v, h); }
  Task<slack::UserInfo> users_info(std::string u) override { return inner_.users_info(u); }
  Task<std::vector<slack::UserGroup>> usergroups_list(bool users, bool disabled) override {
    return inner_.usergroups_list(users, disabled);
  }
  Task<slack::UserGroup> usergroups_users_update(std::string g, std::vector<std::string> u) override {
    return inner_.usergroups_users_update(g, u);
  }
  Task<slack::ConversationPage> conversations_list(std::string c, int l) override { return inner_.conversations_list(c, l); }
  Task<slack::Conversation> conversations_info(std::string c) override { return inner_.conversations_info(c); }
  Task<slack::Conversation> conversations_join(std::string c) override { return inner_.conversations_join(c); }
  Task<slack::HistoryPage> conversations_history(slack::HistoryQuery q) override { return inner_.conversations_history(q); }
  Task<slack::HistoryPage> conversations_replies(slack::HistoryQuery q) override { return inner_.conversations_replies(q); }

 private:
  slack::FakeSlackApi& inner_;
};

class OutboxSenderTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!sender_) return;
    sender_->stop();
    EXPECT_TRUE(drive([&] { return finished_; })) << "run() did not return after stop()";
  }

  /// Opens an escalation for `output` as intake does: submission, escalation and its post row.
  std::string open_escalation(const std::string& output = kLeakyOutput) {
    core::Submission s;
    s.workflow = "community_replies";
    s.channel = "linkedin";
    s.agent = "social-agent-3";
    s.confidence = 0.95;
    s.output = output;
    s.permalink = "https://www.linkedin.com/feed/update/example";
    s.suggested_fix = "Drop the price claim";
    s.submitted_at = clock_.now();
    const auto ev = set_->engine().evaluate(s);
    EXPECT_EQ(ev.verdict, core::Verdict::escalated);
    const core::LifecycleContext ctx{set_->policy(), set_->rota(), {}};
    auto opened = core::open_escalation(s, ev, ctx, clock_.now());
    storage::NewSubmission ns;
    ns.submission = s;
    ns.verdict = ev.verdict;
    ns.hits = ev.hits;
    ns.escalation = opened.escalation;
    ns.audit = opened.audit;
    ns.outbox.push_back(row("slack.post_escalation", "slack:desk", json::object()));
    return store_->add_submission(ns).escalation_id;
  }

  storage::OutboxMessage row(const std::string& kind, const std::string& key, const json& payload,
                             const std::string& escalation_id = {}) {
    storage::OutboxMessage m;
    m.kind = kind;
    m.ordering_key = key;
    m.escalation_id = escalation_id;
    m.payload_json = payload.dump();
    m.created_at = clock_.now();
    m.next_attempt_at = clock_.now();
    return m;
  }

  std::int64_t enqueue(const std::string& kind, const std::string& key, const json& payload,
                       const std::string& escalation_id) {
    return store_->enqueue({row(kind, key, payload, escalation_id)}, {});
  }

  /// Rows of the store in id order (ids start at 1).
  storage::OutboxMessage outbox(std::int64_t id) { return store_->outbox_message(id).value(); }

  void start(OutboxSenderOptions options = {}, slack::SlackApi* api = nullptr) {
    if (options.desk_channel == "ai-escalation") options.desk_channel = "C0DESK";
    sender_ = std::make_unique<OutboxSender>(io_.get_executor(), *store_, api ? *api : api_, resolver_, clock_,
                                             &metrics_, options, nullptr);
    net::co_spawn(io_, sender_->run(), [this](std::exception_ptr p) {
      finished_ = true;
      if (p) std::rethrow_exception(p);
    });
    settle();
  }

  /// Runs every handler that is ready now, until none is: the sender is then waiting on its timer.
  void settle() {
    io_.restart();
    while (io_.poll() > 0) io_.restart();
  }

  /// Drives the io_context until `done` holds; false after a generous deadline.
  template <typename F>
  bool drive(F done) {
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io_.restart();
      io_.run_for(5ms);
    }
    return true;
  }

  void poke_and_settle() {
    sender_->poke();
    settle();
  }

  std::vector<slack::RecordedCall> posts() const { return api_.calls_to("chat.postMessage"); }

  net::io_context io_;
  core::FakeClock clock_{testing::tuesday_noon()};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  slack::FakeSlackApi api_;
  std::shared_ptr<const handlers::PolicySet> set_ = std::make_shared<handlers::PolicySet>(testing::seed_policy());
  handlers::PolicyResolver resolver_ = [this](const std::string& d) { return d == set_->digest() ? set_ : nullptr; };
  core::Metrics metrics_;
  std::unique_ptr<OutboxSender> sender_;
  bool finished_ = false;
};

TEST_F(OutboxSenderTest, PostRecordsTheTsAndShowsPersonalDataMasked) {
  const auto id = open_escalation();
  start();
  ASSERT_EQ(posts().size(), 1u);
  const json args = posts()[0].args;
  EXPECT_EQ(args["channel"], "C0DESK");
  EXPECT_EQ(args["metadata"]["event_type"], "escalation_posted");
  EXPECT_EQ(args["metadata"]["event_payload"]["escalation_id"], id);
  const std::string shown = args.dump();
  EXPECT_EQ(shown.find("7946 0958"), std::string::npos);
  EXPECT_EQ(shown.find("jo.bloggs@example.com"), std::string::npos);
  EXPECT_NE(shown.find("lowest price"), std::string::npos) << "the rest of the excerpt is shown";
  EXPECT_NE(shown.find("Drop the price claim"), std::string::npos);

  const auto post = store_->slack_post(id);
  ASSERT_TRUE(post);
  EXPECT_EQ(post->channel, "C0DESK");
  EXPECT_FALSE(post->ts.empty());
  const auto sent = outbox(1);
  EXPECT_EQ(sent.state, State::sent);
  EXPECT_EQ(json::parse(sent.result_json)["ts"], post->ts);
}

TEST_F(OutboxSenderTest, UpdateGoesToThePostAndThreadReplyUsesItsTs) {
  const auto id = open_escalation();
  start();
  const auto post = store_->slack_post(id).value();

  auto e = store_->escalation(id).value();
  e.state = core::EscalationState::accepted;
  e.decision = core::Decision{core::Macro::accept, "hana", clock_.now(), "Reviewed with legal, fine to publish."};
  ASSERT_TRUE(store_->update_escalation(e, {}, {row("slack.update_escalation", "slack:desk", json::object()),
                                                row("slack.thread_reply", "slack:desk", {{"reply", "decision"}})}));
  poke_and_settle();

  const auto updates = api_.calls_to("chat.update");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].args["channel"], post.channel);
  EXPECT_EQ(updates[0].args["ts"], post.ts);
  ASSERT_EQ(posts().size(), 2u);
  const json reply = posts()[1].args;
  EXPECT_EQ(reply["thread_ts"], post.ts);
  EXPECT_EQ(reply["channel"], post.channel);
  EXPECT_EQ(reply["metadata"]["event_type"], "escalation_reply");
  EXPECT_NE(reply["text"].get<std::string>().find("accepted"), std::string::npos);
  EXPECT_EQ(outbox(3).state, State::sent);
}

TEST_F(OutboxSenderTest, InDoubtPostFoundByItsMetadataIsNotPostedTwice) {
  const auto id = open_escalation();
  // The crash: the row was marked sending and Slack got the post, but the desk never heard back.
  store_->outbox_mark_sending(1, clock_.now());
  slack::PostMessage earlier = to_post_message("C0DESK", {{"text", "Escalation " + id},
                                                          {"metadata", {{"event_type", "escalation_posted"},
                                                                        {"event_payload", {{"escalation_id", id}}}}}});
  std::string earlier_ts;
  net::co_spawn(io_, api_.chat_post_message(earlier), [&](std::exception_ptr, slack::PostedMessage p) { earlier_ts = p.ts; });
  settle();
  api_.clear_calls();

  start();
  EXPECT_EQ(api_.calls_to("conversations.history").size(), 1u);
  EXPECT_TRUE(posts().empty());
  EXPECT_EQ(store_->slack_post(id).value().ts, earlier_ts);
  EXPECT_EQ(outbox(1).state, State::sent);
}

TEST_F(OutboxSenderTest, InDoubtPostNotFoundIsPostedOnce) {
  const auto id = open_escalation();
  store_->outbox_mark_sending(1, clock_.now());
  start();
  EXPECT_EQ(api_.calls_to("conversations.history").size(), 1u);
  EXPECT_EQ(posts().size(), 1u);
  EXPECT_TRUE(store_->slack_post(id));
  EXPECT_EQ(outbox(1).state, State::sent);
  EXPECT_EQ(outbox(1).attempts, 2);
}

TEST_F(OutboxSenderTest, InDoubtThreadReplyFoundByItsMetadataIsNotRepeated) {
  const auto id = open_escalation();
  start();
  const auto post = store_->slack_post(id).value();
  sender_->stop();
  ASSERT_TRUE(drive([&] { return finished_; }));

  auto e = store_->escalation(id).value();
  e.state = core::EscalationState::rejected;
  e.decision = core::Decision{core::Macro::reject, "hana", clock_.now(), "The licence claim is not true."};
  ASSERT_TRUE(store_->update_escalation(e, {}, {row("slack.thread_reply", "slack:desk", {{"reply", "decision"}})}));
  // The crash: the reply reached Slack, but the desk went down before it heard back.
  store_->outbox_mark_sending(2, clock_.now());
  slack::PostMessage earlier = to_post_message(post.channel, handlers::decision_reply(*store_->escalation(id), set_->rota()));
  earlier.thread_ts = post.ts;
  net::co_spawn(io_, api_.chat_post_message(earlier), net::detached);
  settle();
  ASSERT_EQ(posts().size(), 2u);

  finished_ = false;
  start();
  EXPECT_EQ(posts().size(), 2u) << "the reply was found in its thread, not posted again";
  EXPECT_EQ(api_.calls_to("conversations.replies").size(), 1u) << "history never shows thread replies";
  EXPECT_EQ(api_.calls_to("conversations.replies").front().args["ts"], post.ts);
  EXPECT_EQ(outbox(2).state, State::sent);
  EXPECT_TRUE(json::parse(outbox(2).result_json).value("found_in_history", false));
}

TEST_F(OutboxSenderTest, PermanentErrorFailsTheRowAndTheNextRowGoes) {
  open_escalation();
  const auto second = open_escalation();
  api_.fail("chat.postMessage", "invalid_blocks");
  start();
  EXPECT_EQ(outbox(1).state, State::failed);
  EXPECT_NE(outbox(1).last_error.find("invalid_blocks"), std::string::npos);
  EXPECT_EQ(outbox(2).state, State::sent);
  EXPECT_TRUE(store_->slack_post(second));
  EXPECT_EQ(metrics_.value("desk_slack_api_errors_total", {"chat.postMessage", "invalid_blocks"}), 1);
}

TEST_F(OutboxSenderTest, TransientErrorRetriesLaterWithoutOvertaking) {
  const auto id = open_escalation();
  enqueue("slack.update_escalation", "slack:desk", json::object(), id);
  enqueue("slack.dm", "slack:dm:U0B", {{"user", "U0B"}, {"text", "You are backup this week."}}, id);
  api_.fail("chat.postMessage", "service_unavailable");
  start();

  const auto waiting = outbox(1);
  EXPECT_EQ(waiting.state, State::pending);
  EXPECT_EQ(waiting.attempts, 1);
  EXPECT_GT(waiting.next_attempt_at, clock_.now());
  EXPECT_NE(waiting.last_error.find("service_unavailable"), std::string::npos);
  EXPECT_EQ(outbox(2).state, State::pending) << "the update waits behind its post";
  EXPECT_TRUE(api_.calls_to("chat.update").empty());
  EXPECT_EQ(outbox(3).state, State::sent) << "another ordering key is not held up";
  EXPECT_EQ(metrics_.value("desk_slack_api_errors_total", {"chat.postMessage", "service_unavailable"}), 0);

  poke_and_settle();
  EXPECT_EQ(outbox(1).state, State::pending) << "not before its time";

  clock_.advance(10min);
  poke_and_settle();
  EXPECT_EQ(outbox(1).state, State::sent);
  EXPECT_EQ(outbox(2).state, State::sent);
  EXPECT_EQ(api_.calls_to("conversations.history").size(), 1u) << "looked for the first attempt before posting";
  std::vector<std::string> order;
  for (const auto& c : api_.calls())
    if (c.method == "chat.postMessage" || c.method == "chat.update") order.push_back(c.method);
  EXPECT_EQ(order, (std::vector<std::string>{"chat.postMessage", "chat.postMessage", "chat.postMessage", "chat.update"}));
}

TEST_F(OutboxSenderTest, LostAnswerOfAPostThatReachedSlackDoesNotPostTwice) {
  const auto id = open_escalation();
  LossyApi lossy(api_);
  lossy.lose_post_answers = 1;
  start({}, &lossy);
  EXPECT_EQ(posts().size(), 1u) << "Slack has the post";
  EXPECT_EQ(outbox(1).state, State::pending) << "but the desk does not know: it retries later";
  EXPECT_FALSE(store_->slack_post(id));

  clock_.advance(10min);
  poke_and_settle();
  EXPECT_EQ(api_.calls_to("conversations.history").size(), 1u);
  EXPECT_EQ(posts().size(), 1u) << "found by its metadata, not posted again";
  ASSERT_TRUE(store_->slack_post(id));
  EXPECT_EQ(outbox(1).state, State::sent);
  const json result = json::parse(outbox(1).result_json);
  EXPECT_TRUE(result.value("found_in_history", false));
  EXPECT_EQ(result["ts"], store_->slack_post(id)->ts);
}

TEST_F(OutboxSenderTest, ReplyWaitingForAPostThatNeverCameFailsAfterADay) {
  const auto id = open_escalation();
  store_->outbox_fail(1, "simulated: the post failed for good");
  enqueue("slack.thread_reply", "slack:desk", {{"reply", "decision"}}, id);
  start();
  EXPECT_EQ(outbox(2).state, State::pending);
  EXPECT_NE(outbox(2).last_error.find("no Slack post yet"), std::string::npos);
  clock_.advance(25h);
  poke_and_settle();
  EXPECT_EQ(outbox(2).state, State::failed);
  EXPECT_TRUE(posts().empty());
}

TEST_F(OutboxSenderTest, DmGoesToTheUserAndBadDmFailsLoudly) {
  enqueue("slack.dm", "slack:dm:U0D", {{"user", "U0D"}, {"text", "Nobody has responded to ESC-1."}}, "");
  enqueue("slack.dm", "slack:dm:none", {{"text", "to nobody"}}, "");
  enqueue("teams.card", "teams", json::object(), "");
  start();
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_EQ(posts()[0].args["channel"], "U0D");
  EXPECT_EQ(outbox(1).state, State::sent);
  EXPECT_EQ(outbox(2).state, State::failed);
  EXPECT_EQ(outbox(3).state, State::failed) << "a kind nobody sends is failed, not dropped";
  EXPECT_NE(outbox(3).last_error.find("teams.card"), std::string::npos);
}

TEST_F(OutboxSenderTest, AddedKindIsSentByItsHandler) {
  enqueue("teams.card", "teams", {{"card", 1}}, "");
  enqueue("callback.decision", "callback:SUB-1", {{"url", "https://agents.example.com/cb"}}, "");
  sender_ = nullptr;
  int cards = 0;
  OutboxSenderOptions options;
  options.desk_channel = "C0DESK";
  sender_ = std::make_unique<OutboxSender>(io_.get_executor(), *store_, api_, resolver_, clock_, &metrics_, options);
  sender_->add_kind("teams.card", [&](storage::OutboxMessage) -> net::awaitable<DeliveryOutcome> {
    ++cards;
    co_return DeliveryOutcome{DeliveryOutcome::Kind::sent, {}, "{}", {}};
  });
  net::co_spawn(io_, sender_->run(), [this](std::exception_ptr) { finished_ = true; });
  settle();
  EXPECT_EQ(cards, 1);
  EXPECT_EQ(outbox(1).state, State::sent);
  EXPECT_EQ(outbox(2).state, State::failed) << "no callback sender: failed with a clear error";
}

TEST_F(OutboxSenderTest, NotInChannelJoinsOnceAndPostsAgain) {
  open_escalation();
  api_.fail("chat.postMessage", "not_in_channel");
  start();
  EXPECT_EQ(api_.calls_to("conversations.join").size(), 1u);
  EXPECT_EQ(posts().size(), 2u);
  EXPECT_EQ(outbox(1).state, State::sent);
}

TEST_F(OutboxSenderTest, ChannelNameIsLookedUpAcrossPagesAndJoined) {
  open_escalation();
  api_.respond("conversations.list", {{"channels", {{{"id", "C0GEN"}, {"name", "general"}, {"is_member", true}}}},
                                      {"response_metadata", {{"next_cursor", "page2"}}}});
  api_.respond("conversations.list",
               {{"channels", {{{"id", "C0AIE"}, {"name", "ai-escalation"}, {"is_member", false}}}}});
  OutboxSenderOptions options;
  options.desk_channel = "#ai-escalation";
  start(options);
  EXPECT_EQ(sender_->desk_channel_id(), "C0AIE");
  const auto lists = api_.calls_to("conversations.list");
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[1].args["cursor"], "page2");
  ASSERT_EQ(api_.calls_to("conversations.join").size(), 1u);
  EXPECT_EQ(api_.calls_to("conversations.join")[0].args["channel"], "C0AIE");
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_EQ(posts()[0].args["channel"], "C0AIE");
}

TEST_F(OutboxSenderTest, MissingChannelIsRetriedWithBackoffUntilItAppears) {
  open_escalation();
  api_.respond("conversations.list", {{"channels", json::array()}});
  api_.respond("conversations.list",
               {{"channels", {{{"id", "G0PRIV"}, {"name", "ai-escalation"}, {"is_private", true}}}}});
  api_.respond("conversations.list",
               {{"channels", {{{"id", "G0PRIV"}, {"name", "ai-escalation"}, {"is_private", true}, {"is_member", true}}}}});
  OutboxSenderOptions options;
  options.desk_channel = "ai-escalation";
  options.backoff = {10ms, 20ms};
  sender_ = std::make_unique<OutboxSender>(io_.get_executor(), *store_, api_, resolver_, clock_, &metrics_, options);
  net::co_spawn(io_, sender_->run(), [this](std::exception_ptr) { finished_ = true; });
  ASSERT_TRUE(drive([&] { return !posts().empty(); }));
  EXPECT_EQ(api_.calls_to("conversations.list").size(), 3u);
  EXPECT_TRUE(api_.calls_to("conversations.join").empty()) << "a private channel cannot be joined, only invited to";
  EXPECT_EQ(posts()[0].args["channel"], "G0PRIV");
}

TEST_F(OutboxSenderTest, IdleSenderMakesNoCallsUntilPoked) {
  start();
  EXPECT_TRUE(api_.calls().empty());
  open_escalation();
  poke_and_settle();
  EXPECT_EQ(posts().size(), 1u);
}

TEST(OutboxSenderErrors, TransientAndPermanentSlackErrorsAreToldApart) {
  for (const char* e : {"internal_error", "service_unavailable", "fatal_error", "request_timeout", "ratelimited"})
    EXPECT_TRUE(is_transient_slack_error(e)) << e;
  for (const char* e : {"invalid_blocks", "channel_not_found", "is_archived", "not_in_channel", "msg_too_long",
                        "no_text", "invalid_auth", "account_inactive", "token_revoked", "missing_scope", ""})
    EXPECT_FALSE(is_transient_slack_error(e)) << e;
}

TEST(OutboxSenderChannels, IdsAreToldFromNames) {
  EXPECT_TRUE(looks_like_channel_id("C0123ABCD"));
  EXPECT_TRUE(looks_like_channel_id("G0PRIV"));
  EXPECT_FALSE(looks_like_channel_id("ai-escalation"));
  EXPECT_FALSE(looks_like_channel_id("#C0123"));
  EXPECT_FALSE(looks_like_channel_id("Cats"));
  EXPECT_FALSE(looks_like_channel_id("C"));
}

}  // namespace
}  // namespace desk::bot
