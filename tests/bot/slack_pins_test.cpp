// The Slack deliverer keeping a channel notice pinned (the SOP), against FakeSlackApi: the new copy is
// pinned once posted, the desk's earlier copies unpinned (and nobody else's pins), a row retried after
// Slack-side trouble is pinned without being posted again, and a missing pins scope is reported once
// with what to do while the post stays delivered.
#include <gtest/gtest.h>

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bot/slack/log.hpp"
#include "bot/slack/slack_deliverer.hpp"
#include "handlers/pinned_sop.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/fakes/fake_slack_api.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot::slack {
namespace slack_pins_test {

namespace net = boost::asio;
using json = nlohmann::json;

/// The SOP notice of `text` as the handlers commit it.
handlers::ChannelNotice sop(const std::string& text) {
  return handlers::sop_notice({"https://wiki.example.com/desk-sop", text}, "");
}

class SlackPinsTest : public ::testing::Test {
 protected:
  SlackPinsTest() {
    set_log_sink([this](std::string_view line) { log_.emplace_back(line); });
    SlackDelivererOptions options;
    options.desk_channel = "C0DESK";
    options.bot_id = "B0BOT";  // who the fake says posted
    options.bot_user_id = "U0BOT";
    deliverer_ = std::make_unique<SlackDeliverer>(io_.get_executor(), *store_, api_, handlers::PolicyResolver{}, clock_,
                                                  &metrics_, options);
    net::co_spawn(io_, deliverer_->resolve_desk_channel(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io_.run();
  }
  ~SlackPinsTest() override { set_log_sink({}); }

  /// One delivery attempt of `notice` as outbox row `id`, run to its end.
  DeliveryOutcome deliver(const handlers::ChannelNotice& notice, std::int64_t id, bool in_doubt = false) {
    storage::OutboxMessage row;
    row.id = id;
    row.surface = "slack";
    row.kind = "channel_notice";
    row.payload_json = handlers::to_json(notice).dump();
    row.created_at = clock_.now();
    std::optional<DeliveryOutcome> outcome;
    net::co_spawn(io_, deliverer_->deliver(row, in_doubt), [&](std::exception_ptr e, DeliveryOutcome o) {
      if (e) std::rethrow_exception(e);
      outcome = std::move(o);
    });
    io_.restart();
    io_.run();
    return outcome.value();
  }

  static json result(const DeliveryOutcome& o) { return json::parse(o.result_json); }

  std::size_t logged(const std::string& event) const {
    std::size_t n = 0;
    for (const auto& line : log_) n += line.find("event=" + event) != std::string::npos;
    return n;
  }

  net::io_context io_;
  core::FakeClock clock_{testing::tuesday_noon()};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  FakeSlackApi api_;
  core::Metrics metrics_;
  std::unique_ptr<SlackDeliverer> deliverer_;
  std::vector<std::string> log_;
};

TEST_F(SlackPinsTest, TheNoticeIsPostedWithItsMarksThenPinned) {
  const auto outcome = deliver(sop("Decide within 30 minutes."), 1);
  ASSERT_EQ(outcome.kind, DeliveryOutcome::Kind::sent) << outcome.detail;
  const auto posts = api_.calls_to("chat.postMessage");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].args["metadata"]["event_type"], kPinnedNoticeEvent);
  EXPECT_EQ(posts[0].args["metadata"]["event_payload"], json({{"outbox_id", 1}, {"notice", "sop"}}));
  EXPECT_EQ(posts[0].args["blocks"][0]["block_id"], "desk_pinned_notice:sop");
  const std::string shown = posts[0].args.dump();
  EXPECT_NE(shown.find("Decide within 30 minutes."), std::string::npos) << shown;
  EXPECT_NE(shown.find("https://wiki.example.com/desk-sop"), std::string::npos) << shown;
  const std::string ts = result(outcome)["ts"];
  EXPECT_EQ(api_.pinned("C0DESK"), std::vector<std::string>{ts});
  EXPECT_EQ(result(outcome)["pinned"], true);
  EXPECT_EQ(deliverer_->pins_health(), "ok");
}

TEST_F(SlackPinsTest, ANewVersionIsPinnedAndTheCopyPinnedBeforeUnpinned) {
  const std::string first = result(deliver(sop("Version one."), 1))["ts"];
  const auto second = deliver(sop("Version two."), 2);
  const std::string ts = result(second)["ts"];
  EXPECT_EQ(api_.pinned("C0DESK"), std::vector<std::string>{ts}) << "one pinned copy, the new one";
  EXPECT_EQ(result(second)["unpinned"], json::array({first}));
  ASSERT_EQ(api_.calls_to("pins.add").size(), 2u);
  EXPECT_EQ(logged("slack.pins_replaced"), 1u);
}

TEST_F(SlackPinsTest, OnlyTheDesksOwnCopiesOfTheSameNoticeAreUnpinned) {
  // pins.list as Slack may answer: one copy known by its metadata only, one by its block only, and
  // pins the desk must leave alone: a person's, another app's, the desk's pin of another notice.
  api_.respond(
      "pins.list",
      {{"items",
        {{{"type", "message"},
          {"message",
           {{"ts", "1.000001"},
            {"bot_id", "B0BOT"},
            {"metadata", {{"event_type", kPinnedNoticeEvent}, {"event_payload", {{"notice", "sop"}}}}}}}},
         {{"type", "message"},
          {"message", {{"ts", "1.000002"}, {"user", "U0BOT"}, {"blocks", {{{"block_id", "desk_pinned_notice:sop"}}}}}}},
         {{"type", "message"},
          {"message",
           {{"ts", "1.000003"}, {"user", "U0USER"}, {"blocks", {{{"block_id", "desk_pinned_notice:sop"}}}}}}},
         {{"type", "message"},
          {"message",
           {{"ts", "1.000004"}, {"bot_id", "B0OTHER"}, {"blocks", {{{"block_id", "desk_pinned_notice:sop"}}}}}}},
         {{"type", "message"},
          {"message",
           {{"ts", "1.000005"}, {"bot_id", "B0BOT"}, {"blocks", {{{"block_id", "desk_pinned_notice:digest"}}}}}}},
         {{"type", "file"}, {"file", {{"id", "F1"}}}}}}});
  const auto outcome = deliver(sop("Version three."), 3);
  ASSERT_EQ(outcome.kind, DeliveryOutcome::Kind::sent) << outcome.detail;
  std::vector<std::string> removed;
  for (const auto& call : api_.calls_to("pins.remove")) removed.push_back(call.args["timestamp"]);
  EXPECT_EQ(removed, (std::vector<std::string>{"1.000001", "1.000002"}));
  EXPECT_EQ(logged("slack.pins_replaced"), 0u)
      << "the fake had neither pinned: Slack said no_pin, nothing was replaced";
}

TEST_F(SlackPinsTest, SlackSideTroubleRetriesTheRowWhichIsThenPinnedWithoutPostingAgain) {
  api_.fail("pins.add", "internal_error");
  const auto failed = deliver(sop("Decide within 30 minutes."), 4);
  EXPECT_EQ(failed.kind, DeliveryOutcome::Kind::retry) << "the post is made, its pin is not";
  EXPECT_TRUE(api_.pinned("C0DESK").empty());
  // The dispatcher hands a retried row over in doubt: the post is found by its metadata.
  const auto retried = deliver(sop("Decide within 30 minutes."), 4, true);
  ASSERT_EQ(retried.kind, DeliveryOutcome::Kind::sent) << retried.detail;
  EXPECT_EQ(api_.calls_to("chat.postMessage").size(), 1u);
  EXPECT_EQ(result(retried)["found_in_history"], true);
  EXPECT_EQ(api_.pinned("C0DESK"), std::vector<std::string>{result(retried)["ts"].get<std::string>()});
  // Once more, as after a crash between the pin and the row's mark: already pinned is pinned.
  EXPECT_EQ(deliver(sop("Decide within 30 minutes."), 4, true).kind, DeliveryOutcome::Kind::sent);
  EXPECT_EQ(api_.pinned("C0DESK").size(), 1u);
}

TEST_F(SlackPinsTest, AMissingPinsScopeIsReportedOnceWithWhatToDoAndThePostStaysDelivered) {
  api_.fail("pins.add", "missing_scope", "pins:write");
  api_.fail("pins.add", "missing_scope", "pins:write");
  const auto first = deliver(sop("Version one."), 5);
  ASSERT_EQ(first.kind, DeliveryOutcome::Kind::sent) << "never retried: the scope does not appear by itself";
  EXPECT_EQ(result(first)["pinned"], false);
  EXPECT_EQ(result(first)["pin_error"], "missing_scope");
  const std::string health = deliverer_->pins_health();
  EXPECT_NE(health.find("pins:write"), std::string::npos) << health;
  EXPECT_NE(health.find("reinstall"), std::string::npos) << health;
  EXPECT_EQ(deliver(sop("Version two."), 6).kind, DeliveryOutcome::Kind::sent);
  EXPECT_EQ(api_.calls_to("chat.postMessage").size(), 2u);
  EXPECT_EQ(logged("slack.pins_refused"), 1u) << "said once";
  EXPECT_TRUE(api_.pinned("C0DESK").empty());
  // The admin adds the scope: the next version is pinned and the report goes.
  EXPECT_EQ(result(deliver(sop("Version three."), 7))["pinned"], true);
  EXPECT_EQ(deliverer_->pins_health(), "ok");
  EXPECT_EQ(logged("slack.pins_recovered"), 1u);
}

TEST_F(SlackPinsTest, AMissingReadScopeStillPinsTheNewCopy) {
  api_.fail("pins.list", "missing_scope", "pins:read");
  const auto outcome = deliver(sop("Version one."), 8);
  ASSERT_EQ(outcome.kind, DeliveryOutcome::Kind::sent);
  EXPECT_EQ(result(outcome)["pinned"], true);
  EXPECT_EQ(result(outcome)["unpin_error"], "missing_scope");
  EXPECT_EQ(api_.pinned("C0DESK").size(), 1u);
  EXPECT_NE(deliverer_->pins_health().find("pins:read"), std::string::npos) << deliverer_->pins_health();
}

TEST_F(SlackPinsTest, ANoticeNotToPinIsNeverPinned) {
  handlers::ChannelNotice handoff;
  handoff.notice = "handoff";
  handoff.title = "Duty lead handoff";
  const auto outcome = deliver(handoff, 9);
  ASSERT_EQ(outcome.kind, DeliveryOutcome::Kind::sent);
  EXPECT_EQ(api_.calls_to("chat.postMessage")[0].args["metadata"]["event_type"], "desk_channel_notice");
  EXPECT_TRUE(api_.calls_to("pins.add").empty());
  EXPECT_TRUE(api_.calls_to("pins.list").empty());
}

TEST(SlackPinsNotice, ALongSopIsSplitIntoSectionsSlackTakes) {
  FakeSlackApi api;
  net::io_context io;
  core::FakeClock clock{testing::tuesday_noon()};
  auto store = storage::SqliteStore::open(":memory:");
  SlackDelivererOptions options;
  options.desk_channel = "C0DESK";
  SlackDeliverer deliverer(io.get_executor(), *store, api, {}, clock, nullptr, options);
  std::string text;
  for (int i = 0; i < 40; ++i) text += std::string(48, 'a' + i % 26) + "\n";  // 1,960 characters
  storage::OutboxMessage row;
  row.id = 1;
  row.kind = "channel_notice";
  row.payload_json =
      handlers::to_json(handlers::sop_notice({"https://wiki.example.com/" + std::string(900, 'p'), text}, "")).dump();
  net::co_spawn(io, deliverer.resolve_desk_channel(), [](std::exception_ptr) {});
  io.run();
  net::co_spawn(io, deliverer.deliver(row, false), [](std::exception_ptr e, DeliveryOutcome) {
    if (e) std::rethrow_exception(e);
  });
  io.restart();
  io.run();
  const auto posts = api.calls_to("chat.postMessage");
  ASSERT_EQ(posts.size(), 1u);
  const json& blocks = posts[0].args["blocks"];
  ASSERT_EQ(blocks.size(), 2u);
  std::string shown;
  for (const auto& b : blocks) {
    EXPECT_LE(b["text"]["text"].get<std::string>().size(), 3000u);
    shown += b["text"]["text"].get<std::string>();
  }
  EXPECT_NE(shown.find(std::string(900, 'p')), std::string::npos) << "nothing is cut: " << blocks.dump();
  EXPECT_NE(shown.find(std::string(48, 'n')), std::string::npos) << blocks.dump();
}

}  // namespace slack_pins_test
}  // namespace desk::bot::slack
