#include "bot/slack/envelope_dispatcher.hpp"

#include <map>
#include <set>
#include <stdexcept>

#include <gtest/gtest.h>

namespace desk::bot::slack {
namespace {

using nlohmann::json;

class ScriptedHandler : public EnvelopeHandler {
 public:
  AckReply on_envelope(const Envelope& envelope) override {
    seen.push_back(envelope.envelope_id);
    if (envelope.payload().value("explode", false)) throw std::runtime_error("handler bug");
    AckReply reply;
    if (answer) reply.payload = std::make_shared<const json>(*answer);
    if (shared_answer) reply.payload = shared_answer;
    if (with_follow_up) reply.follow_up = []() -> boost::asio::awaitable<void> { co_return; };
    return reply;
  }
  std::vector<std::string> seen;
  std::optional<json> answer;
  std::shared_ptr<const json> shared_answer;  ///< one answer for every envelope, as a cached /rota is
  bool with_follow_up = false;
};

std::string event_frame(const std::string& envelope_id, const std::string& event_id, int retry = 0) {
  return json{{"envelope_id", envelope_id},
              {"type", "events_api"},
              {"accepts_response_payload", false},
              {"retry_attempt", retry},
              {"payload", {{"type", "event_callback"}, {"event_id", event_id}, {"event", {{"type", "message"}}}}}}
      .dump();
}

std::string command_frame(const std::string& envelope_id, bool explode = false) {
  return json{{"envelope_id", envelope_id},
              {"type", "slash_commands"},
              {"accepts_response_payload", true},
              {"payload", {{"command", "/rota"}, {"explode", explode}}}}
      .dump();
}

struct DispatcherTest : ::testing::Test {
  std::set<std::string> processed;
  std::map<std::string, Remember> remembered;  ///< how long each key was asked to be recognised
  ScriptedHandler handler;
  EnvelopeDispatcher dispatcher{handler, [this](const std::string& id, Remember remember) {
                                  remembered[id] = remember;
                                  return processed.insert(id).second;
                                }};
};

TEST_F(DispatcherTest, NewEnvelopeIsHandedOnAndAcked) {
  auto r = dispatcher.on_text(event_frame("env-1", "Ev1"));
  ASSERT_TRUE(r.ack);
  EXPECT_EQ(json::parse(*r.ack), (json{{"envelope_id", "env-1"}}));
  EXPECT_EQ(handler.seen, std::vector<std::string>{"env-1"});
  EXPECT_EQ(dispatcher.counters().envelopes, 1u);
}

TEST_F(DispatcherTest, HandlerPayloadTravelsInTheAckWhenAccepted) {
  handler.answer = json{{"response_type", "ephemeral"}, {"text", "On duty: Alice"}};
  auto r = dispatcher.on_text(command_frame("env-2"));
  ASSERT_TRUE(r.ack);
  EXPECT_EQ(json::parse(*r.ack)["payload"]["text"], "On duty: Alice");
}

TEST_F(DispatcherTest, ACachedAnswerGoesIntoEachAckWithItsOwnEnvelopeId) {
  handler.shared_answer =
      std::make_shared<const json>(json{{"response_type", "ephemeral"}, {"text", "On duty: Alice"}});
  for (const std::string id : {"env-a", "env-\"b\"", "env-c"}) {
    auto r = dispatcher.on_text(command_frame(id));
    ASSERT_TRUE(r.ack);
    const auto ack = json::parse(*r.ack);
    EXPECT_EQ(ack["envelope_id"], id);
    EXPECT_EQ(ack["payload"], *handler.shared_answer);
  }
  // Another answer (the next second's, or after an override) replaces the one serialised before.
  handler.shared_answer = std::make_shared<const json>(json{{"response_type", "ephemeral"}, {"text", "On duty: Bob"}});
  auto r = dispatcher.on_text(command_frame("env-d"));
  ASSERT_TRUE(r.ack);
  EXPECT_EQ(json::parse(*r.ack)["payload"]["text"], "On duty: Bob");
  handler.shared_answer = nullptr;
  handler.answer.reset();
  r = dispatcher.on_text(command_frame("env-e"));
  EXPECT_EQ(json::parse(*r.ack), (json{{"envelope_id", "env-e"}}));
}

TEST_F(DispatcherTest, PayloadIsLeftOutWhenTheEnvelopeDoesNotAcceptOne) {
  handler.answer = json{{"text", "ignored"}};
  auto r = dispatcher.on_text(event_frame("env-3", "Ev3"));
  ASSERT_TRUE(r.ack);
  EXPECT_FALSE(json::parse(*r.ack).contains("payload"));
}

TEST_F(DispatcherTest, RedeliveredEventIsAckedButNotHandledTwice) {
  dispatcher.on_text(event_frame("env-4", "Ev4"));
  auto again = dispatcher.on_text(event_frame("env-5", "Ev4", 1));
  auto same_retry_zero = dispatcher.on_text(event_frame("env-6", "Ev4", 0));
  ASSERT_TRUE(again.ack);
  ASSERT_TRUE(same_retry_zero.ack);
  EXPECT_EQ(json::parse(*again.ack)["envelope_id"], "env-5");
  EXPECT_EQ(handler.seen.size(), 1u);
  EXPECT_EQ(dispatcher.counters().duplicates, 2u);
}

TEST_F(DispatcherTest, OnlyWhatSlackRetriesIsRememberedAcrossRestarts) {
  dispatcher.on_text(event_frame("env-20", "Ev20"));
  dispatcher.on_text(command_frame("env-21"));
  dispatcher.on_text(json{{"envelope_id", "env-22"},
                          {"type", "interactive"},
                          {"accepts_response_payload", false},
                          {"payload", {{"type", "block_actions"}}}}
                         .dump());
  EXPECT_EQ(remembered, (std::map<std::string, Remember>{{"event:Ev20", Remember::across_restarts},
                                                         {"envelope:env-21", Remember::this_run},
                                                         {"envelope:env-22", Remember::this_run}}));
  // Recognised all the same within the run.
  dispatcher.on_text(command_frame("env-21"));
  EXPECT_EQ(dispatcher.counters().duplicates, 1u);
}

TEST_F(DispatcherTest, RetryWhoseFirstCopyNeverArrivedIsHandled) {
  dispatcher.on_text(event_frame("env-7", "Ev7", 2));
  EXPECT_EQ(handler.seen, std::vector<std::string>{"env-7"});
}

TEST_F(DispatcherTest, HandlerThatThrowsCostsOnlyThatEnvelope) {
  auto bad = dispatcher.on_text(command_frame("env-8", true));
  ASSERT_TRUE(bad.ack);
  EXPECT_EQ(json::parse(*bad.ack), (json{{"envelope_id", "env-8"}}));
  auto good = dispatcher.on_text(command_frame("env-9"));
  EXPECT_TRUE(good.ack);
  EXPECT_EQ(dispatcher.counters().handler_errors, 1u);
  EXPECT_EQ(handler.seen.size(), 2u);
}

TEST_F(DispatcherTest, FollowUpWorkIsReturnedNotRun) {
  handler.with_follow_up = true;
  auto r = dispatcher.on_text(command_frame("env-10"));
  EXPECT_TRUE(r.follow_up);
  EXPECT_EQ(r.envelope_id, "env-10");
}

TEST_F(DispatcherTest, DuringShutdownEnvelopesAreNeitherHandledNorAcked) {
  dispatcher.refuse_new_work();
  auto r = dispatcher.on_text(event_frame("env-11", "Ev11"));
  EXPECT_FALSE(r.ack);
  EXPECT_TRUE(handler.seen.empty());
  EXPECT_EQ(dispatcher.counters().refused, 1u);
  // Not marked processed either, so the redelivery to the next process is handled there.
  EXPECT_TRUE(processed.empty());
}

TEST_F(DispatcherTest, UnknownTypesAreAckedAndDropped) {
  auto r = dispatcher.on_text(R"({"envelope_id":"env-12","type":"future_type","payload":{}})");
  ASSERT_TRUE(r.ack);
  EXPECT_TRUE(handler.seen.empty());
  EXPECT_EQ(dispatcher.counters().ack_only, 1u);
}

TEST_F(DispatcherTest, GarbageIsCountedAndNeverAcked) {
  EXPECT_FALSE(dispatcher.on_text("}{").ack);
  EXPECT_FALSE(dispatcher.on_text("[]").ack);
  EXPECT_EQ(dispatcher.counters().garbage, 2u);
}

TEST_F(DispatcherTest, ControlFramesAreSurfacedNotAcked) {
  auto hello = dispatcher.on_text(R"({"type":"hello","num_connections":1})");
  EXPECT_TRUE(hello.hello);
  EXPECT_FALSE(hello.ack);
  auto bye = dispatcher.on_text(R"({"type":"disconnect","reason":"warning"})");
  ASSERT_TRUE(bye.disconnect);
  EXPECT_EQ(bye.disconnect->reason, "warning");
  EXPECT_FALSE(bye.ack);
}

TEST(Dispatcher, FailingDedupeStoreLetsTheEnvelopeThrough) {
  ScriptedHandler handler;
  EnvelopeDispatcher dispatcher(handler,
                                [](const std::string&, Remember) -> bool { throw std::runtime_error("db locked"); });
  auto r = dispatcher.on_text(event_frame("env-13", "Ev13"));
  EXPECT_TRUE(r.ack);
  EXPECT_EQ(handler.seen.size(), 1u);
}

}  // namespace
}  // namespace desk::bot::slack
