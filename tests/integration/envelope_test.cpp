#include "bot/slack/envelope.hpp"

#include <gtest/gtest.h>

namespace desk::bot::slack {
namespace {

using nlohmann::json;

TEST(EnvelopeParsing, HelloCarriesConnectionCountAndDebugInfo) {
  auto frame = parse_frame(R"({"type":"hello","num_connections":2,"connection_info":{"app_id":"A0123ABCD"},
    "debug_info":{"host":"applink-7fc4","started":"2026-01-10 12:12:12.120","build_number":54,
    "approximate_connection_time":18060}})");
  auto* hello = std::get_if<Hello>(&frame);
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->num_connections, 2);
  EXPECT_EQ(hello->app_id, "A0123ABCD");
  EXPECT_EQ(hello->host, "applink-7fc4");
  EXPECT_EQ(hello->approximate_connection_time, 18060);
}

TEST(EnvelopeParsing, HelloWithoutOptionalFieldsStillParses) {
  auto frame = parse_frame(R"({"type":"hello"})");
  auto* hello = std::get_if<Hello>(&frame);
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->num_connections, 0);
  EXPECT_FALSE(hello->approximate_connection_time);
}

TEST(EnvelopeParsing, DisconnectCarriesItsReason) {
  auto frame = parse_frame(R"({"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"wss-111"}})");
  auto* d = std::get_if<Disconnect>(&frame);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->reason, "refresh_requested");
  EXPECT_EQ(d->host, "wss-111");
}

TEST(EnvelopeParsing, EventsApiEnvelopeExposesEventIdRetryAndEventType) {
  auto frame = parse_frame(R"({"envelope_id":"e-1","type":"events_api","accepts_response_payload":false,
    "retry_attempt":2,"retry_reason":"timeout",
    "payload":{"type":"event_callback","event_id":"Ev123","event":{"type":"app_mention","text":"hi"}}})");
  auto* e = std::get_if<Envelope>(&frame);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EnvelopeKind::events_api);
  EXPECT_EQ(e->envelope_id, "e-1");
  EXPECT_EQ(e->event_id, "Ev123");
  EXPECT_EQ(e->event_type, "app_mention");
  EXPECT_EQ(e->payload_type, "event_callback");
  EXPECT_EQ(e->retry_attempt, 2);
  EXPECT_EQ(e->retry_reason, "timeout");
  EXPECT_FALSE(e->accepts_response_payload);
}

TEST(EnvelopeParsing, SlashCommandAcceptsAResponsePayload) {
  auto frame = parse_frame(R"({"envelope_id":"e-2","type":"slash_commands","accepts_response_payload":true,
    "payload":{"command":"/rota","text":"","user_id":"U1","trigger_id":"1.2.3"}})");
  auto* e = std::get_if<Envelope>(&frame);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EnvelopeKind::slash_commands);
  EXPECT_TRUE(e->accepts_response_payload);
  EXPECT_EQ(e->payload["command"], "/rota");
}

TEST(EnvelopeParsing, InteractiveEnvelopeKeepsTheInteractionType) {
  auto frame = parse_frame(R"({"envelope_id":"e-3","type":"interactive","accepts_response_payload":true,
    "payload":{"type":"view_submission","view":{"id":"V1"}}})");
  auto* e = std::get_if<Envelope>(&frame);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EnvelopeKind::interactive);
  EXPECT_EQ(e->payload_type, "view_submission");
}

TEST(EnvelopeParsing, UnknownEnvelopeTypeIsAckedButNotHandled) {
  auto frame = parse_frame(R"({"envelope_id":"e-4","type":"brand_new_thing","payload":{}})");
  auto* a = std::get_if<AckOnly>(&frame);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->envelope_id, "e-4");
}

TEST(EnvelopeParsing, PayloadThatIsNotAnObjectIsAckedButNotHandled) {
  for (const char* text : {R"({"envelope_id":"e-5","type":"events_api","payload":"oops"})",
                           R"({"envelope_id":"e-5","type":"events_api"})",
                           R"({"envelope_id":"e-5","type":"slash_commands","payload":[1,2]})"}) {
    auto frame = parse_frame(text);
    EXPECT_TRUE(std::holds_alternative<AckOnly>(frame)) << text;
  }
}

TEST(EnvelopeParsing, GarbageIsRecognisedWithoutThrowing) {
  for (const char* text : {"", "not json", "[1,2,3]", "42", R"("string")", R"({"type":42})", R"({})",
                           R"({"type":"party"})", "{\"envelope_id\":\"x\"", "\xff\xfe"}) {
    auto frame = parse_frame(text);
    EXPECT_TRUE(std::holds_alternative<Garbage>(frame)) << text;
  }
}

TEST(EnvelopeParsing, AbsurdlyLongEnvelopeIdIsGarbage) {
  json frame{{"envelope_id", std::string(5000, 'a')}, {"type", "events_api"}, {"payload", json::object()}};
  EXPECT_TRUE(std::holds_alternative<Garbage>(parse_frame(frame.dump())));
}

TEST(EnvelopeParsing, WrongFieldTypesFallBackToDefaults) {
  auto frame = parse_frame(R"({"envelope_id":"e-6","type":"events_api","retry_attempt":"two",
    "accepts_response_payload":"yes","payload":{"event_id":17}})");
  auto* e = std::get_if<Envelope>(&frame);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->retry_attempt, 0);
  EXPECT_FALSE(e->accepts_response_payload);
  EXPECT_EQ(e->event_id, "");
}

TEST(EnvelopeDedupe, EventsAreKeyedByEventIdSoRetriesWithNewEnvelopeIdsMatch) {
  Envelope first{"env-1", EnvelopeKind::events_api, false, 0, "", "Ev9", "", "", json::object()};
  Envelope retry{"env-2", EnvelopeKind::events_api, false, 1, "timeout", "Ev9", "", "", json::object()};
  EXPECT_EQ(first.dedupe_key(), retry.dedupe_key());
  EXPECT_EQ(first.dedupe_key(), "event:Ev9");
}

TEST(EnvelopeDedupe, EventWithoutEventIdFallsBackToEnvelopeId) {
  Envelope e{"env-3", EnvelopeKind::events_api, false, 0, "", "", "", "", json::object()};
  EXPECT_EQ(e.dedupe_key(), "envelope:env-3");
}

TEST(EnvelopeDedupe, InteractionsAndCommandsAreKeyedByEnvelopeId) {
  Envelope click{"env-4", EnvelopeKind::interactive, false, 0, "", "", "", "", json::object()};
  Envelope command{"env-5", EnvelopeKind::slash_commands, true, 0, "", "", "", "", json::object()};
  EXPECT_EQ(click.dedupe_key(), "envelope:env-4");
  EXPECT_EQ(command.dedupe_key(), "envelope:env-5");
}

TEST(AckBuilding, PlainAckHoldsOnlyTheEnvelopeId) {
  EXPECT_EQ(json::parse(build_ack("abc")), (json{{"envelope_id", "abc"}}));
}

TEST(AckBuilding, AckCarriesTheResponsePayload) {
  json payload{{"response_action", "errors"}, {"errors", {{"rationale", "Please give a reason"}}}};
  auto ack = json::parse(build_ack("abc", &payload));
  EXPECT_EQ(ack["envelope_id"], "abc");
  EXPECT_EQ(ack["payload"], payload);
}

TEST(AckBuilding, QuotesInIdsAreEscaped) {
  auto ack = json::parse(build_ack("a\"b\\c"));
  EXPECT_EQ(ack["envelope_id"], "a\"b\\c");
}

TEST(AckBuilding, InvalidUtf8InAPayloadDoesNotThrow) {
  json payload{{"text", std::string("bad \xff byte")}};
  std::string ack;
  EXPECT_NO_THROW(ack = build_ack("abc", &payload));
  EXPECT_TRUE(json::accept(ack));
}

TEST(AckBuilding, NullPayloadIsLeftOut) {
  json null_payload;
  EXPECT_EQ(json::parse(build_ack("abc", &null_payload)), (json{{"envelope_id", "abc"}}));
}

}  // namespace
}  // namespace desk::bot::slack
