// The Slack deliverer behind the outbox dispatcher, against FakeSlackApi and an in-memory store,
// driven on one io_context. The fake answers at once, so "the dispatcher has done all it can now" is
// reached by polling ready handlers (settle), never by sleeping; time moves only through the
// FakeClock and poke().
#include "bot/slack/slack_deliverer.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "bot/workers/outbox_dispatcher.hpp"
#include "core/lifecycle.hpp"
#include "handlers/channel_notices.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/fakes/fake_slack_api.hpp"
#include "tests/support/open_as_intake.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;
using State = storage::OutboxMessage::State;

constexpr const char* kLeakyOutput =
    "Our price is the lowest price around. Call Jo on +44 20 7946 0958 or mail jo.bloggs@example.com";

/// Forwards to a FakeSlackApi, but can lose the answer of a post that reached Slack: the request
/// was processed, then the connection failed (a timeout while reading the response).
class LossyApi final : public SlackApi {
 public:
  explicit LossyApi(FakeSlackApi& inner) : inner_(inner) {}
  int lose_post_answers = 0;

  Task<AuthInfo> auth_test() override { return inner_.auth_test(); }
  Task<std::string> apps_connections_open(std::string t) override { return inner_.apps_connections_open(t); }
  Task<PostedMessage> chat_post_message(PostMessage m) override {
    auto posted = co_await inner_.chat_post_message(std::move(m));
    if (lose_post_answers > 0) {
      --lose_post_answers;
      throw SlackTransportError("chat.postMessage", "read response from slack.com timed out");
    }
    co_return posted;
  }
  Task<PostedMessage> chat_update(UpdateMessage m) override { return inner_.chat_update(m); }
  Task<std::string> chat_post_ephemeral(PostEphemeral m) override { return inner_.chat_post_ephemeral(m); }
  Task<std::string> chat_get_permalink(std::string c, std::string ts) override {
    return inner_.chat_get_permalink(c, ts);
  }
  Task<ViewInfo> views_open(std::string t, json v) override { return inner_.views_open(t, v); }
  Task<ViewInfo> views_update(std::string id, json v, std::string h) override { return inner_.views_update(id, v, h); }
  Task<UserInfo> users_info(std::string u) override { return inner_.users_info(u); }
  Task<std::vector<UserGroup>> usergroups_list(bool users, bool disabled) override {
    return inner_.usergroups_list(users, disabled);
  }
  Task<UserGroup> usergroups_users_update(std::string g, std::vector<std::string> u) override {
    return inner_.usergroups_users_update(g, u);
  }
  Task<ConversationPage> conversations_list(std::string c, int l) override { return inner_.conversations_list(c, l); }
  Task<Conversation> conversations_info(std::string c) override { return inner_.conversations_info(c); }
  Task<Conversation> conversations_join(std::string c) override { return inner_.conversations_join(c); }
  Task<HistoryPage> conversations_history(HistoryQuery q) override { return inner_.conversations_history(q); }
  Task<HistoryPage> conversations_replies(HistoryQuery q) override { return inner_.conversations_replies(q); }
  Task<std::string> conversations_open(std::string user) override { return inner_.conversations_open(user); }
  Task<UploadTicket> files_get_upload_url_external(std::string name, std::size_t length, std::string alt) override {
    return inner_.files_get_upload_url_external(name, length, alt);
  }
  Task<void> upload_file_bytes(std::string url, std::string bytes) override {
    return inner_.upload_file_bytes(url, bytes);
  }
  Task<void> files_complete_upload_external(CompleteUpload upload) override {
    co_await inner_.files_complete_upload_external(std::move(upload));
    if (lose_complete_answers > 0) {
      --lose_complete_answers;
      throw SlackTransportError("files.completeUploadExternal", "read response from slack.com timed out");
    }
  }
  int lose_complete_answers = 0;
  Task<void> pins_add(std::string c, std::string ts) override { return inner_.pins_add(c, ts); }
  Task<void> pins_remove(std::string c, std::string ts) override { return inner_.pins_remove(c, ts); }
  Task<std::vector<PinnedMessage>> pins_list(std::string c) override { return inner_.pins_list(c); }

 private:
  FakeSlackApi& inner_;
};

class SlackDelivererTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!outbox_) return;
    stop();
  }

  void stop() {
    outbox_->stop();
    deliverer_->stop();
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
    auto id =
        testing::open_as_intake(*store_, *set_, s, clock_.now(), {false, {row("post_escalation", json::object())}});
    EXPECT_FALSE(id.empty()) << "the policy escalates this draft";
    return id;
  }

  storage::OutboxMessage row(const std::string& kind, const json& payload, const std::string& escalation_id = {},
                             const std::string& surface = "slack") {
    storage::OutboxMessage m;
    m.surface = surface;
    m.kind = kind;
    m.escalation_id = escalation_id;
    m.payload_json = payload.dump();
    m.created_at = clock_.now();
    m.next_attempt_at = clock_.now();
    return m;
  }

  std::int64_t enqueue(const std::string& kind, const json& payload, const std::string& escalation_id,
                       const std::string& ordering_key = {}) {
    auto m = row(kind, payload, escalation_id);
    m.ordering_key = ordering_key;
    return store_->enqueue({m}, {});
  }

  /// Rows of the store in id order (ids start at 1).
  storage::OutboxMessage outbox(std::int64_t id) { return store_->outbox_message(id).value(); }

  /// The deliverer and the dispatcher as the desk runs them: the channel is resolved first, and the
  /// dispatcher is poked when it is.
  void start_unsettled(SlackDelivererOptions options, SlackApi* api = nullptr) {
    finished_ = false;
    outbox_ = std::make_unique<OutboxDispatcher>(io_.get_executor(), *store_, clock_);
    deliverer_ = std::make_unique<SlackDeliverer>(io_.get_executor(), *store_, api ? *api : api_, resolver_, clock_,
                                                  &metrics_, options, [this] { outbox_->poke(); });
    outbox_->add(*deliverer_);
    net::co_spawn(io_, deliverer_->resolve_desk_channel(), net::detached);
    net::co_spawn(io_, outbox_->run(), [this](std::exception_ptr p) {
      finished_ = true;
      if (p) std::rethrow_exception(p);
    });
  }

  /// As start_unsettled, then settled; the default options name the channel by its id, C0DESK.
  void start(SlackDelivererOptions options = {}, SlackApi* api = nullptr) {
    if (options.desk_channel == "ai-escalation") options.desk_channel = "C0DESK";
    start_unsettled(std::move(options), api);
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
    outbox_->poke();
    settle();
  }

  std::vector<RecordedCall> posts() const { return api_.calls_to("chat.postMessage"); }

  /// A digest-like notice with a (tiny, made-up) PNG, queued as the handlers queue notices.
  std::int64_t enqueue_notice_with_image() {
    handlers::ChannelNotice n;
    n.notice = "digest";
    n.title = "Weekly digest, 2026-W48";
    n.lines = {"3 escalations opened, 3 of them decided by now."};
    n.image = handlers::NoticeImage{kPng, "Run chart: weekly mean time to respond", "run-chart-2026-W48.png"};
    return enqueue("channel_notice", handlers::to_json(n), "", "slack:channel-notices");
  }
  inline static const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "not really a chart";

  std::optional<storage::MessageRef> slack_post(const std::string& id) { return store_->message(id, "slack"); }

  net::io_context io_;
  core::FakeClock clock_{testing::tuesday_noon()};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  FakeSlackApi api_;
  std::shared_ptr<const handlers::PolicySet> set_ = std::make_shared<handlers::PolicySet>(testing::seed_policy());
  handlers::PolicyResolver resolver_ = [this](const std::string& d) { return d == set_->digest() ? set_ : nullptr; };
  core::Metrics metrics_;
  std::unique_ptr<OutboxDispatcher> outbox_;
  std::unique_ptr<SlackDeliverer> deliverer_;
  bool finished_ = false;
};

TEST_F(SlackDelivererTest, PostRecordsTheTsAndShowsPersonalDataMasked) {
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

  const auto post = slack_post(id);
  ASSERT_TRUE(post);
  EXPECT_EQ(post->channel, "C0DESK");
  EXPECT_FALSE(post->message_id.empty());
  const auto sent = outbox(1);
  EXPECT_EQ(sent.state, State::sent);
  EXPECT_EQ(json::parse(sent.result_json)["ts"], post->message_id);
}

TEST_F(SlackDelivererTest, PersonalDataInThePermalinkAndSuggestedFixIsPostedMasked) {
  // Found in review: only the output was masked; the permalink and the fix were posted as sent.
  core::Submission s = testing::clean_reply(clock_.now());
  s.permalink = "https://example.com/thread?from=jane.doe@example.com";
  s.suggested_fix = "Ask mo.farah@example.org before posting";
  const auto id =
      testing::open_as_intake(*store_, *set_, s, clock_.now(), {false, {row("post_escalation", json::object())}});
  ASSERT_FALSE(id.empty()) << "personal data in any field escalates";
  EXPECT_EQ(store_->escalation(id)->owner_role, "legal_oncall");
  start();
  ASSERT_EQ(posts().size(), 1u);
  const std::string shown = posts()[0].args.dump();
  EXPECT_EQ(shown.find("jane.doe@"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("mo.farah@"), std::string::npos) << shown;
  EXPECT_NE(shown.find("j***@example.com"), std::string::npos) << shown;
  EXPECT_NE(shown.find("Ask m***@example.org before posting"), std::string::npos) << shown;
}

TEST_F(SlackDelivererTest, UpdateGoesToThePostAndThreadReplyUsesItsTs) {
  const auto id = open_escalation();
  start();
  const auto post = slack_post(id).value();

  auto e = store_->escalation(id).value();
  e.state = core::EscalationState::accepted;
  e.decision = core::Decision{core::Macro::accept, "hana", clock_.now(), "Reviewed with legal, fine to publish."};
  ASSERT_TRUE(store_->update_escalation(
      e, {}, {row("update_escalation", json::object()), row("thread_reply", {{"reply", "decision"}})}));
  poke_and_settle();

  const auto updates = api_.calls_to("chat.update");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].args["channel"], post.channel);
  EXPECT_EQ(updates[0].args["ts"], post.message_id);
  ASSERT_EQ(posts().size(), 2u);
  const json reply = posts()[1].args;
  EXPECT_EQ(reply["thread_ts"], post.message_id);
  EXPECT_EQ(reply["channel"], post.channel);
  EXPECT_EQ(reply["metadata"]["event_type"], "escalation_reply");
  EXPECT_NE(reply["text"].get<std::string>().find("accepted"), std::string::npos);
  EXPECT_EQ(outbox(3).state, State::sent);
}

TEST_F(SlackDelivererTest, InDoubtPostFoundByItsMetadataIsNotPostedTwice) {
  const auto id = open_escalation();
  // The crash: the row was marked sending and Slack got the post, but the desk never heard back.
  store_->outbox_mark_sending(1, clock_.now());
  PostMessage earlier = to_post_message(
      "C0DESK", {{"text", "Escalation " + id},
                 {"metadata", {{"event_type", "escalation_posted"}, {"event_payload", {{"escalation_id", id}}}}}});
  std::string earlier_ts;
  net::co_spawn(io_, api_.chat_post_message(earlier), [&](std::exception_ptr, PostedMessage p) { earlier_ts = p.ts; });
  settle();
  api_.clear_calls();

  start();
  EXPECT_EQ(api_.calls_to("conversations.history").size(), 1u);
  EXPECT_TRUE(posts().empty());
  EXPECT_EQ(slack_post(id).value().message_id, earlier_ts);
  EXPECT_EQ(outbox(1).state, State::sent);
}

TEST_F(SlackDelivererTest, InDoubtPostNotFoundIsPostedOnce) {
  const auto id = open_escalation();
  store_->outbox_mark_sending(1, clock_.now());
  start();
  EXPECT_EQ(api_.calls_to("conversations.history").size(), 1u);
  EXPECT_EQ(posts().size(), 1u);
  EXPECT_TRUE(slack_post(id));
  EXPECT_EQ(outbox(1).state, State::sent);
  EXPECT_EQ(outbox(1).attempts, 2);
}

TEST_F(SlackDelivererTest, InDoubtThreadReplyFoundByItsMetadataIsNotRepeated) {
  const auto id = open_escalation();
  start();
  const auto post = slack_post(id).value();
  stop();

  auto e = store_->escalation(id).value();
  e.state = core::EscalationState::rejected;
  e.decision = core::Decision{core::Macro::reject, "hana", clock_.now(), "The licence claim is not true."};
  ASSERT_TRUE(store_->update_escalation(e, {}, {row("thread_reply", {{"reply", "decision"}})}));
  // The crash: the reply reached Slack, but the desk went down before it heard back.
  store_->outbox_mark_sending(2, clock_.now());
  PostMessage earlier = to_post_message(post.channel, decision_reply(*store_->escalation(id), set_->rota()));
  earlier.thread_ts = post.message_id;
  net::co_spawn(io_, api_.chat_post_message(earlier), net::detached);
  settle();
  ASSERT_EQ(posts().size(), 2u);

  start();
  EXPECT_EQ(posts().size(), 2u) << "the reply was found in its thread, not posted again";
  EXPECT_EQ(api_.calls_to("conversations.replies").size(), 1u) << "history never shows thread replies";
  EXPECT_EQ(api_.calls_to("conversations.replies").front().args["ts"], post.message_id);
  EXPECT_EQ(outbox(2).state, State::sent);
  EXPECT_TRUE(json::parse(outbox(2).result_json).value("found_in_history", false));
}

TEST_F(SlackDelivererTest, PermanentErrorFailsTheRowAndTheNextRowGoes) {
  open_escalation();
  const auto second = open_escalation();
  api_.fail("chat.postMessage", "invalid_blocks");
  start();
  EXPECT_EQ(outbox(1).state, State::failed);
  EXPECT_NE(outbox(1).last_error.find("invalid_blocks"), std::string::npos);
  EXPECT_EQ(outbox(2).state, State::sent);
  EXPECT_TRUE(slack_post(second));
  EXPECT_EQ(metrics_.value("desk_slack_api_errors_total", {"chat.postMessage", "invalid_blocks"}), 1);
}

TEST_F(SlackDelivererTest, TransientErrorRetriesLaterWithoutOvertakingOrHoldingOthersBack) {
  const auto id = open_escalation();
  const auto other = open_escalation("The second draft: our price is the lowest price around.");
  enqueue("update_escalation", json::object(), id);
  api_.fail("chat.postMessage", "service_unavailable");
  start();

  const auto waiting = outbox(1);
  EXPECT_EQ(waiting.state, State::pending);
  EXPECT_EQ(waiting.attempts, 1);
  EXPECT_GT(waiting.next_attempt_at, clock_.now());
  EXPECT_NE(waiting.last_error.find("service_unavailable"), std::string::npos);
  EXPECT_EQ(outbox(3).state, State::pending) << "the update waits behind its post";
  EXPECT_TRUE(api_.calls_to("chat.update").empty());
  EXPECT_EQ(outbox(2).state, State::sent) << "another escalation's post is not held up";
  EXPECT_TRUE(slack_post(other));
  EXPECT_EQ(metrics_.value("desk_slack_api_errors_total", {"chat.postMessage", "service_unavailable"}), 0);

  poke_and_settle();
  EXPECT_EQ(outbox(1).state, State::pending) << "not before its time";

  clock_.advance(10min);
  poke_and_settle();
  EXPECT_EQ(outbox(1).state, State::sent);
  EXPECT_EQ(outbox(3).state, State::sent);
  EXPECT_EQ(api_.calls_to("conversations.history").size(), 1u) << "looked for the first attempt before posting";
  std::vector<std::string> order;
  for (const auto& c : api_.calls())
    if (c.method == "chat.postMessage" || c.method == "chat.update") order.push_back(c.method);
  EXPECT_EQ(order,
            (std::vector<std::string>{"chat.postMessage", "chat.postMessage", "chat.postMessage", "chat.update"}));
}

TEST_F(SlackDelivererTest, LostAnswerOfAPostThatReachedSlackDoesNotPostTwice) {
  const auto id = open_escalation();
  LossyApi lossy(api_);
  lossy.lose_post_answers = 1;
  start({}, &lossy);
  EXPECT_EQ(posts().size(), 1u) << "Slack has the post";
  EXPECT_EQ(outbox(1).state, State::pending) << "but the desk does not know: it retries later";
  EXPECT_FALSE(slack_post(id));

  clock_.advance(10min);
  poke_and_settle();
  EXPECT_EQ(api_.calls_to("conversations.history").size(), 1u);
  EXPECT_EQ(posts().size(), 1u) << "found by its metadata, not posted again";
  ASSERT_TRUE(slack_post(id));
  EXPECT_EQ(outbox(1).state, State::sent);
  const json result = json::parse(outbox(1).result_json);
  EXPECT_TRUE(result.value("found_in_history", false));
  EXPECT_EQ(result["ts"], slack_post(id)->message_id);
}

TEST_F(SlackDelivererTest, ANoticesImageIsUploadedAndSharedInTheChannelAfterItsText) {
  const auto id = enqueue_notice_with_image();
  start();
  ASSERT_EQ(outbox(id).state, State::sent) << outbox(id).last_error;
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_NE(posts()[0].args.dump().find("Weekly digest, 2026-W48"), std::string::npos);
  const auto tickets = api_.calls_to("files.getUploadURLExternal");
  ASSERT_EQ(tickets.size(), 1u);
  const std::string name = "run-chart-2026-W48-" + std::to_string(id) + ".png";
  EXPECT_EQ(tickets[0].args["filename"], name) << "the row's id marks the file for an in-doubt lookup";
  EXPECT_EQ(tickets[0].args["length"], kPng.size());
  EXPECT_EQ(tickets[0].args["alt_txt"], "Run chart: weekly mean time to respond");
  const auto shares = api_.calls_to("files.completeUploadExternal");
  ASSERT_EQ(shares.size(), 1u);
  EXPECT_EQ(shares[0].args["channel_id"], "C0DESK");
  const std::string file_id = shares[0].args["files"][0]["id"];
  EXPECT_EQ(api_.uploaded_bytes(file_id), kPng);
  // The text first: it never waits on its picture.
  const auto& calls = api_.calls();
  const auto at = [&](const std::string& method) {
    return std::find_if(calls.begin(), calls.end(), [&](const RecordedCall& c) { return c.method == method; });
  };
  EXPECT_LT(at("chat.postMessage"), at("files.getUploadURLExternal"));
  EXPECT_LT(at("upload"), at("files.completeUploadExternal"));
}

TEST_F(SlackDelivererTest, ALostAnswerOfTheShareNeitherRepostsTheNoticeNorSharesTheImageTwice) {
  const auto id = enqueue_notice_with_image();
  LossyApi lossy(api_);
  lossy.lose_complete_answers = 1;
  start({}, &lossy);
  EXPECT_EQ(outbox(id).state, State::pending) << "the share reached Slack, but the desk cannot know";
  clock_.advance(10min);
  poke_and_settle();
  EXPECT_EQ(outbox(id).state, State::sent) << outbox(id).last_error;
  EXPECT_EQ(posts().size(), 1u) << "the notice is found by its metadata";
  EXPECT_EQ(api_.calls_to("files.completeUploadExternal").size(), 1u) << "the file is found by its name";
  EXPECT_EQ(api_.calls_to("files.getUploadURLExternal").size(), 1u);
}

TEST_F(SlackDelivererTest, AFailedUploadIsTriedAgainWithoutRepostingTheText) {
  const auto id = enqueue_notice_with_image();
  api_.fail_transport("upload");
  start();
  EXPECT_EQ(outbox(id).state, State::pending);
  clock_.advance(10min);
  poke_and_settle();
  EXPECT_EQ(outbox(id).state, State::sent) << outbox(id).last_error;
  EXPECT_EQ(posts().size(), 1u);
  EXPECT_EQ(api_.calls_to("upload").size(), 2u);
  ASSERT_EQ(api_.calls_to("files.completeUploadExternal").size(), 1u);
}

TEST_F(SlackDelivererTest, WithoutTheFilesScopeTheNoticeStandsWithoutItsImage) {
  api_.fail("files.getUploadURLExternal", "missing_scope", "files:write");
  api_.fail("files.getUploadURLExternal", "missing_scope", "files:write");
  const auto first = enqueue_notice_with_image();
  const auto second = enqueue_notice_with_image();
  start();
  EXPECT_EQ(outbox(first).state, State::sent) << outbox(first).last_error;
  EXPECT_EQ(outbox(second).state, State::sent) << outbox(second).last_error;
  EXPECT_EQ(posts().size(), 2u) << "both texts are posted";
  EXPECT_EQ(api_.calls_to("upload").size(), 0u);
  EXPECT_EQ(api_.calls_to("files.completeUploadExternal").size(), 0u);
}

TEST_F(SlackDelivererTest, RepliesOfAPostThatFailedForGoodFailAtOnceAndHoldNothingBack) {
  const auto refused = open_escalation();
  enqueue("update_escalation", json::object(), refused);
  enqueue("thread_reply", {{"reply", "decision"}}, refused);
  const auto other = open_escalation("The second draft: our price is the lowest price around.");
  api_.fail("chat.postMessage", "invalid_blocks");
  start();
  EXPECT_EQ(outbox(1).state, State::failed);
  for (std::int64_t id : {2, 3}) {
    EXPECT_EQ(outbox(id).state, State::failed) << "row " << id << " does not wait a day for a post that cannot come";
    EXPECT_NE(outbox(id).last_error.find("posting it failed for good"), std::string::npos) << outbox(id).last_error;
    EXPECT_NE(outbox(id).last_error.find("invalid_blocks"), std::string::npos);
  }
  EXPECT_EQ(outbox(4).state, State::sent) << "another escalation's post goes";
  EXPECT_TRUE(slack_post(other));
  EXPECT_TRUE(api_.calls_to("chat.update").empty());
}

TEST_F(SlackDelivererTest, ReplyWaitingForAPostThatNeverCameFailsAfterADay) {
  const auto id = open_escalation();
  store_->outbox_retry(1, clock_.now() + 48h, "simulated: the post keeps failing");
  enqueue("thread_reply", {{"reply", "decision"}}, id, "slack:reply-first");
  start();
  EXPECT_EQ(outbox(2).state, State::pending);
  EXPECT_NE(outbox(2).last_error.find("no Slack post yet"), std::string::npos);
  clock_.advance(25h);
  poke_and_settle();
  EXPECT_EQ(outbox(2).state, State::failed);
  EXPECT_NE(outbox(2).last_error.find("never posted"), std::string::npos);
  EXPECT_TRUE(posts().empty());
}

TEST_F(SlackDelivererTest, DirectMessageGoesToTheUserAndBadOnesFailLoudly) {
  const auto id = open_escalation();
  enqueue("direct_message", {{"user", "U0D"}, {"text", "Nobody has responded to ESC-1."}}, "", "slack:dm:U0D");
  enqueue("direct_message", {{"text", "to nobody"}}, "", "slack:dm:none");
  enqueue("announce_weather", json::object(), id);
  start();
  ASSERT_EQ(posts().size(), 2u);  // the escalation's post and the DM
  EXPECT_EQ(posts()[1].args["channel"], "U0D");
  EXPECT_EQ(outbox(2).state, State::sent);
  EXPECT_EQ(outbox(3).state, State::failed);
  EXPECT_EQ(outbox(4).state, State::failed) << "a kind Slack cannot deliver is failed, not dropped";
  EXPECT_NE(outbox(4).last_error.find("announce_weather"), std::string::npos);
}

TEST_F(SlackDelivererTest, ABodySlackWouldRefuseIsDegradedAndSentRatherThanFailed) {
  json blocks = json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", std::string(5000, 'x')}}}}});
  enqueue("direct_message", {{"user", "U0D"}, {"text", "Shortened"}, {"blocks", blocks}}, "", "slack:dm:U0D");
  start();
  EXPECT_EQ(outbox(1).state, State::sent);
  ASSERT_EQ(posts().size(), 1u);
  const json sent_blocks = posts()[0].args["blocks"];
  EXPECT_EQ(block_kit_problems(json{{"text", "t"}, {"blocks", sent_blocks}}), std::vector<std::string>{});
  EXPECT_LE(slack_length(sent_blocks[0]["text"]["text"].get<std::string>()), 3000u);
}

TEST_F(SlackDelivererTest, PingReachesEachPersonWithASlackIdDirectly) {
  const auto id = open_escalation();
  const std::string backup = set_->rota().holder(core::kBackupRole, clock_.now(), {})->person;
  json ping = {{"reply", "reminder"}, {"deadline", "backup_ping"}, {"late_by_s", 40}, {"person", backup}};
  enqueue("ping", ping, id);
  ping["person"] = "someone-unknown";
  enqueue("ping", ping, id);
  start();
  ASSERT_EQ(posts().size(), 2u);
  EXPECT_EQ(posts()[1].args["channel"], set_->rota().person(backup)->slack_user);
  EXPECT_NE(posts()[1].args["text"].get<std::string>().find(id), std::string::npos) << posts()[1].args.dump();
  EXPECT_EQ(outbox(2).state, State::sent);
  EXPECT_EQ(outbox(3).state, State::sent) << "nobody to DM is not a failure: the thread mention reaches them";
  EXPECT_TRUE(json::parse(outbox(3).result_json).contains("skipped"));
}

TEST_F(SlackDelivererTest, InDoubtPingFoundInTheDirectMessageIsNotSentTwice) {
  const auto id = open_escalation();
  const std::string backup = set_->rota().holder(core::kBackupRole, clock_.now(), {})->person;
  const std::string user = set_->rota().person(backup)->slack_user;
  enqueue("ping", {{"reply", "reminder"}, {"deadline", "backup_ping"}, {"late_by_s", 0}, {"person", backup}}, id);
  // The crash: the ping reached the person, the desk never heard back.
  store_->outbox_mark_sending(2, clock_.now());
  PostMessage earlier = to_post_message(
      user, {{"text", "Nobody has responded to " + id},
             {"metadata", {{"event_type", "desk_direct_message"}, {"event_payload", {{"outbox_id", 2}}}}}});
  net::co_spawn(io_, api_.chat_post_message(earlier), net::detached);
  settle();
  api_.clear_calls();

  start();
  ASSERT_EQ(api_.calls_to("conversations.open").size(), 1u);
  EXPECT_EQ(api_.calls_to("conversations.open")[0].args["users"], user);
  EXPECT_EQ(posts().size(), 1u) << "only the escalation's post: the ping was found, not sent again";
  EXPECT_EQ(outbox(2).state, State::sent);
  EXPECT_TRUE(json::parse(outbox(2).result_json).value("found_in_history", false));
}

TEST_F(SlackDelivererTest, InDoubtDirectMessageNotFoundIsSentOnceWithItsRowInTheMetadata) {
  open_escalation();
  enqueue("direct_message", {{"user", "U0D"}, {"text", "Nobody has responded."}}, "", "slack:dm:U0D");
  store_->outbox_mark_sending(2, clock_.now());
  start();
  EXPECT_EQ(api_.calls_to("conversations.open").size(), 1u);
  const auto all = posts();
  const auto dm =
      std::find_if(all.begin(), all.end(), [](const RecordedCall& c) { return c.args["channel"] == "U0D"; });
  ASSERT_NE(dm, all.end());
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const RecordedCall& c) { return c.args["channel"] == "U0D"; }), 1);
  EXPECT_EQ(dm->args["metadata"]["event_type"], "desk_direct_message");
  EXPECT_EQ(dm->args["metadata"]["event_payload"]["outbox_id"], 2);
  EXPECT_EQ(outbox(2).state, State::sent);
}

TEST_F(SlackDelivererTest, RowsWaitWhileTheChannelIsUnresolvedAndOtherSurfacesGoOn) {
  const auto id = open_escalation();
  store_->enqueue({row("post_escalation", json::object(), id, "teams")}, {});
  api_.respond("conversations.list", {{"channels", json::array()}});
  SlackDelivererOptions options;
  options.desk_channel = "ai-escalation-missing";
  options.backoff = {std::chrono::hours{1}, std::chrono::hours{1}};
  start(options);
  EXPECT_FALSE(deliverer_->ready());
  EXPECT_TRUE(posts().empty());
  EXPECT_EQ(outbox(1).state, State::pending);
  EXPECT_EQ(outbox(1).attempts, 0) << "a surface that is not ready leaves its rows untouched";
  EXPECT_EQ(outbox(2).attempts, 0) << "no Teams deliverer here: its row waits for one";
}

TEST_F(SlackDelivererTest, NotInChannelJoinsOnceAndPostsAgain) {
  open_escalation();
  api_.fail("chat.postMessage", "not_in_channel");
  start();
  EXPECT_EQ(api_.calls_to("conversations.join").size(), 1u);
  EXPECT_EQ(posts().size(), 2u);
  EXPECT_EQ(outbox(1).state, State::sent);
}

TEST_F(SlackDelivererTest, ChannelNameIsLookedUpAcrossPagesAndJoined) {
  open_escalation();
  api_.respond("conversations.list", {{"channels", {{{"id", "C0GEN"}, {"name", "general"}, {"is_member", true}}}},
                                      {"response_metadata", {{"next_cursor", "page2"}}}});
  api_.respond("conversations.list",
               {{"channels", {{{"id", "C0AIE"}, {"name", "ai-escalation"}, {"is_member", false}}}}});
  SlackDelivererOptions options;
  options.desk_channel = "#ai-escalation";
  start(options);
  EXPECT_EQ(deliverer_->desk_channel_id(), "C0AIE");
  const auto lists = api_.calls_to("conversations.list");
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[1].args["cursor"], "page2");
  ASSERT_EQ(api_.calls_to("conversations.join").size(), 1u);
  EXPECT_EQ(api_.calls_to("conversations.join")[0].args["channel"], "C0AIE");
  ASSERT_EQ(posts().size(), 1u);
  EXPECT_EQ(posts()[0].args["channel"], "C0AIE");
}

TEST_F(SlackDelivererTest, MissingChannelIsRetriedWithBackoffUntilItAppears) {
  open_escalation();
  api_.respond("conversations.list", {{"channels", json::array()}});
  api_.respond("conversations.list",
               {{"channels", {{{"id", "G0PRIV"}, {"name", "ai-escalation"}, {"is_private", true}}}}});
  api_.respond(
      "conversations.list",
      {{"channels", {{{"id", "G0PRIV"}, {"name", "ai-escalation"}, {"is_private", true}, {"is_member", true}}}}});
  SlackDelivererOptions options;
  options.desk_channel = "ai-escalation";
  options.backoff = {10ms, 20ms};
  start_unsettled(options);
  ASSERT_TRUE(drive([&] { return !posts().empty(); }));
  EXPECT_EQ(api_.calls_to("conversations.list").size(), 3u);
  EXPECT_TRUE(api_.calls_to("conversations.join").empty()) << "a private channel cannot be joined, only invited to";
  EXPECT_EQ(posts()[0].args["channel"], "G0PRIV");
}

TEST_F(SlackDelivererTest, IdleDelivererMakesNoCallsUntilPoked) {
  start();
  EXPECT_TRUE(api_.calls().empty());
  open_escalation();
  poke_and_settle();
  EXPECT_EQ(posts().size(), 1u);
}

TEST(SlackDelivererErrors, TransientAndPermanentSlackErrorsAreToldApart) {
  for (const char* e : {"internal_error", "service_unavailable", "fatal_error", "request_timeout", "ratelimited"})
    EXPECT_TRUE(is_transient_slack_error(e)) << e;
  for (const char* e : {"invalid_blocks", "channel_not_found", "is_archived", "not_in_channel", "msg_too_long",
                        "no_text", "invalid_auth", "account_inactive", "token_revoked", "missing_scope", ""})
    EXPECT_FALSE(is_transient_slack_error(e)) << e;
}

TEST(SlackDelivererChannels, IdsAreToldFromNames) {
  EXPECT_TRUE(looks_like_channel_id("C0123ABCD"));
  EXPECT_TRUE(looks_like_channel_id("G0PRIV"));
  EXPECT_FALSE(looks_like_channel_id("ai-escalation"));
  EXPECT_FALSE(looks_like_channel_id("#C0123"));
  EXPECT_FALSE(looks_like_channel_id("Cats"));
  EXPECT_FALSE(looks_like_channel_id("C"));
}

}  // namespace
}  // namespace desk::bot::slack
