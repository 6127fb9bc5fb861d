#include "bot/slack/envelope.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

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
  EXPECT_EQ(e->payload()["command"], "/rota");
}

TEST(EnvelopeParsing, ASlashCommandIsReadFromTheFrameAsTheHandlersWouldReadItsPayload) {
  // The ack path reads a command from the frame's own parse; it must agree with the payload's.
  const std::vector<std::string> payloads = {
      R"({"command":"/rota","text":"override backup <@U0B2>","user_id":"U0A1","channel_id":"C1","trigger_id":"1.2.3",
          "team_id":"T1","response_url":"https://hooks.slack.com/commands/1"})",
      R"({"command":"/rota","text":"café ✓","user_id":"U0A1","channel_id":"C1","trigger_id":"1.2.3"})",
      R"({"command":"/rota","user_id":12,"channel_id":"C1","trigger_id":"1.2.3"})",
      R"({"command":"rota","user_id":"U0A1","channel_id":"C1","trigger_id":"1.2.3"})",
      R"({"command":"/rota","user_id":"not-a-user","channel_id":"C1","trigger_id":"1.2.3"})",
      R"({"command":"/rota","user_id":"U0A1","channel_id":"C1"})",
      R"({"command":"/rota","text":null,"user_id":"U0A1","channel_id":"C1","trigger_id":"1.2.3","response_url":"ftp://x"})",
      "{}"};
  for (const auto& payload : payloads) {
    auto frame = parse_frame(R"({"envelope_id":"e-9","type":"slash_commands","payload":)" + payload + "}");
    auto* e = std::get_if<Envelope>(&frame);
    ASSERT_NE(e, nullptr) << payload;
    ASSERT_TRUE(e->command.has_value()) << payload;
    const auto expected = parse_slash_command(e->payload());
    ASSERT_EQ(e->command->index(), expected.index()) << payload;
    if (const auto* c = std::get_if<SlashCommand>(&*e->command)) {
      const auto& x = std::get<SlashCommand>(expected);
      EXPECT_EQ(std::tie(c->command, c->text, c->user_id, c->channel_id, c->trigger_id, c->team_id, c->response_url),
                std::tie(x.command, x.text, x.user_id, x.channel_id, x.trigger_id, x.team_id, x.response_url))
          << payload;
    } else {
      const auto& got = std::get<PayloadError>(*e->command);
      const auto& want = std::get<PayloadError>(expected);
      EXPECT_EQ(got.field, want.field) << payload;
      EXPECT_EQ(got.message, want.message) << payload;
    }
  }
  // Other kinds carry no command.
  auto event = parse_frame(R"({"envelope_id":"e-10","type":"events_api","payload":{"event_id":"Ev1"}})");
  EXPECT_FALSE(std::get<Envelope>(event).command.has_value());
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
  for (const char* text :
       {R"({"envelope_id":"e-5","type":"events_api","payload":"oops"})", R"({"envelope_id":"e-5","type":"events_api"})",
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

Envelope make(const std::string& id, EnvelopeKind kind, const std::string& event_id = {}) {
  Envelope e;
  e.envelope_id = id;
  e.kind = kind;
  e.event_id = event_id;
  return e;
}

TEST(EnvelopeDedupe, EventsAreKeyedByEventIdSoRetriesWithNewEnvelopeIdsMatch) {
  auto first = make("env-1", EnvelopeKind::events_api, "Ev9");
  auto retry = make("env-2", EnvelopeKind::events_api, "Ev9");
  EXPECT_EQ(first.dedupe_key(), retry.dedupe_key());
  EXPECT_EQ(first.dedupe_key(), "event:Ev9");
}

TEST(EnvelopeDedupe, EventWithoutEventIdFallsBackToEnvelopeId) {
  auto e = make("env-3", EnvelopeKind::events_api);
  EXPECT_EQ(e.dedupe_key(), "envelope:env-3");
}

TEST(EnvelopeDedupe, InteractionsAndCommandsAreKeyedByEnvelopeId) {
  auto click = make("env-4", EnvelopeKind::interactive);
  auto command = make("env-5", EnvelopeKind::slash_commands);
  EXPECT_EQ(click.dedupe_key(), "envelope:env-4");
  EXPECT_EQ(command.dedupe_key(), "envelope:env-5");
}

TEST(EnvelopePayload, PayloadIsParsedOnFirstUseAndKeepsEveryField) {
  auto frame = parse_frame(R"({"envelope_id":"e-7","type":"interactive","payload":
    {"type":"block_actions","actions":[{"action_id":"desk.accept","value":"esc-42"}],"n":0.62,"big":18446744073709551615}})");
  auto* e = std::get_if<Envelope>(&frame);
  ASSERT_NE(e, nullptr);
  const auto& payload = e->payload();
  EXPECT_EQ(payload["actions"][0]["value"], "esc-42");
  EXPECT_DOUBLE_EQ(payload["n"].get<double>(), 0.62);
  EXPECT_EQ(payload["big"].get<std::uint64_t>(), 18446744073709551615ULL);
  EXPECT_EQ(&payload, &e->payload());  // cached
  Envelope copy = *e;
  EXPECT_EQ(copy.payload()["type"], "block_actions");
}

TEST(EnvelopePayload, NonAsciiTextSurvives) {
  auto frame = parse_frame(R"({"envelope_id":"e-8","type":"slash_commands","payload":{"text":"café ✓ 日本"}})");
  auto* e = std::get_if<Envelope>(&frame);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->payload()["text"], "café ✓ 日本");
}

TEST(EnvelopePayload, SetPayloadKeepsTextAndValueInStep) {
  Envelope e;
  e.set_payload(json{{"command", "/rota"}});
  EXPECT_EQ(json::parse(e.frame_text)["payload"]["command"], "/rota");
  EXPECT_EQ(e.payload()["command"], "/rota");
  e.set_payload(json::array());
  EXPECT_TRUE(e.payload().is_object());
}

TEST(EnvelopePayload, DeeplyNestedButLegalPayloadsParse) {
  std::string nested = "{\"envelope_id\":\"e-9\",\"type\":\"interactive\",\"payload\":";
  for (int i = 0; i < 40; ++i) nested += "{\"a\":";
  nested += "1";
  for (int i = 0; i < 40; ++i) nested += "}";
  nested += "}";
  EXPECT_TRUE(std::holds_alternative<Envelope>(parse_frame(nested)));
  std::string absurd(10000, '[');
  EXPECT_TRUE(std::holds_alternative<Garbage>(parse_frame(absurd)));
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

TEST(AckBuilding, QuotesBackslashesAndControlCharactersInIdsAreEscaped) {
  for (std::string id :
       {std::string("a\"b\\c"), std::string("tab\there\nnl"), std::string("nul\0x", 5), std::string("é")}) {
    auto text = build_ack(id);
    ASSERT_TRUE(json::accept(text)) << text;
    EXPECT_EQ(json::parse(text)["envelope_id"], id);
  }
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
