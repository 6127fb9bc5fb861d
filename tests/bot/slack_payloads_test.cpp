#include "bot/slack/slack_payloads.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace desk::bot::slack::slack_payloads_test {

using json = nlohmann::json;
using namespace desk::handlers;  // the use cases these Slack views and payloads drive

/// A button click as reference/slack.md §2.2 shows it, on a desk message.
json click_payload() {
  return json::parse(R"({
    "type": "block_actions",
    "team": {"id": "T9TK3CUKW", "domain": "example"},
    "user": {"id": "UA8RXUSPL", "username": "jtorrance", "name": "jtorrance", "team_id": "T9TK3CUKW"},
    "api_app_id": "AABA1ABCD",
    "token": "9s8d9as89d8as9d8as989",
    "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": "CBR2V3XEX", "is_ephemeral": false},
    "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
    "channel": {"id": "CBR2V3XEX", "name": "ai-escalation"},
    "message": {"type": "message", "bot_id": "BAH5CA16Z", "user": "UAJ2RU415", "ts": "1548261231.000200", "text": "x", "blocks": []},
    "state": {"values": {}},
    "response_url": "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209",
    "actions": [{
      "type": "button", "action_id": "desk.accept", "block_id": "esc:ESC-000042:g0:actions",
      "text": {"type": "plain_text", "text": "Accept", "emoji": true},
      "value": "ESC-000042", "style": "primary", "action_ts": "1548426417.840180"
    }],
    "enterprise": null,
    "is_enterprise_install": false
  })");
}

/// A rationale modal submitted, as reference/slack.md §2.3 shows it.
json submit_payload() {
  return json::parse(R"({
    "type": "view_submission",
    "team": {"id": "T1234567", "domain": "example"},
    "user": {"id": "U1234567", "username": "lead", "name": "lead", "team_id": "T1234567"},
    "api_app_id": "A123", "token": "x",
    "trigger_id": "1234.5678.abcd",
    "view": {
      "id": "VNHU13V36", "team_id": "T1234567", "type": "modal",
      "callback_id": "desk.rationale",
      "private_metadata": "{\"escalation_id\":\"ESC-000042\",\"macro\":\"accept\",\"generation\":0}",
      "title": {"type": "plain_text", "text": "Accept escalation"},
      "blocks": [],
      "state": {"values": {
        "rationale": {"rationale_input": {"type": "plain_text_input", "value": "Claim verified with legal memo 12 \u00e9"}},
        "route_to":  {"route_select": {"type": "static_select",
                      "selected_option": {"text": {"type": "plain_text", "text": "Sales"}, "value": "sales"}}},
        "note": {"note_input": {"type": "plain_text_input", "value": null}},
        "pick": {"pick_user": {"type": "users_select", "selected_user": "U999"}},
        "empty_select": {"s": {"type": "static_select", "selected_option": null}}
      }},
      "hash": "156663117.cd33ad1f",
      "root_view_id": "VNHU13V36", "previous_view_id": null,
      "app_id": "A123", "bot_id": "B123", "external_id": "",
      "clear_on_close": false, "notify_on_close": false
    },
    "response_urls": [],
    "is_enterprise_install": false, "enterprise": null
  })");
}

json slash_payload() {
  return json::parse(R"({
    "token": "gIkuvaNzQIHg97ATvDxqgjtO",
    "team_id": "T0001", "team_domain": "example",
    "enterprise_id": "E0001", "enterprise_name": "Globular Construct Inc",
    "channel_id": "C2147483705", "channel_name": "ai-escalation",
    "user_id": "U2147483697", "user_name": "steve",
    "command": "/escalate",
    "text": "https://example.slack.com/archives/C1/p123 pricing claim looks wrong",
    "api_app_id": "A123456",
    "response_url": "https://hooks.slack.com/commands/T0001/1234/abcd",
    "trigger_id": "13345224609.738474920.8088930838d88f008e0"
  })");
}

/// The error of a parse that must fail.
template <typename Parsed>
PayloadError error_of(const Parsed& parsed) {
  const auto* e = std::get_if<PayloadError>(&parsed);
  EXPECT_NE(e, nullptr) << "expected a PayloadError";
  if (!e) return {};
  EXPECT_FALSE(e->message.empty());
  return *e;
}

TEST(SlackPayloads, ParsesButtonClickFromTheReferenceShape) {
  const auto parsed = parse_interaction(click_payload());
  const auto* a = std::get_if<BlockAction>(&parsed);
  ASSERT_NE(a, nullptr) << error_of(parsed).message;
  EXPECT_EQ(a->user_id, "UA8RXUSPL");
  EXPECT_EQ(a->user_name, "jtorrance");
  EXPECT_EQ(a->team_id, "T9TK3CUKW");
  EXPECT_EQ(a->trigger_id, "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3");
  EXPECT_EQ(a->channel_id, "CBR2V3XEX");
  EXPECT_EQ(a->message_ts, "1548261231.000200");
  EXPECT_EQ(a->action_id, "desk.accept");
  EXPECT_EQ(a->block_id, "esc:ESC-000042:g0:actions");
  EXPECT_EQ(a->value, "ESC-000042");
  EXPECT_EQ(a->response_url, "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209");
}

TEST(SlackPayloads, ButtonClickFallsBackToChannelAndMessageWithoutContainer) {
  json p = click_payload();
  p.erase("container");
  p["team"] = nullptr;
  p["user"].erase("username");
  const auto parsed = parse_interaction(p);
  const auto* a = std::get_if<BlockAction>(&parsed);
  ASSERT_NE(a, nullptr) << error_of(parsed).message;
  EXPECT_EQ(a->channel_id, "CBR2V3XEX");
  EXPECT_EQ(a->message_ts, "1548261231.000200");
  EXPECT_EQ(a->user_name, "jtorrance");  // from user.name
  EXPECT_EQ(a->team_id, "T9TK3CUKW");    // from user.team_id
}

TEST(SlackPayloads, ButtonClickWithOptionalFieldsAbsentStillParses) {
  json p = click_payload();
  for (const char* k : {"container", "channel", "message", "response_url", "team"}) p.erase(k);
  p["actions"][0].erase("value");
  const auto parsed = parse_interaction(p);
  const auto* a = std::get_if<BlockAction>(&parsed);
  ASSERT_NE(a, nullptr) << error_of(parsed).message;
  EXPECT_TRUE(a->channel_id.empty());
  EXPECT_TRUE(a->value.empty());
}

struct BadField {
  const char* pointer;  ///< JSON pointer into the sample payload
  json value;           ///< what to put there; discarded json = remove it
  const char* field;    ///< the field the error must name
};

/// How a case is named in test output and in ctest (by gtest_discover_tests): what is put where, cut
/// short, so the names stay readable and the same from run to run (gtest's default is the raw bytes).
void PrintTo(const BadField& f, std::ostream* out) {
  std::string value = f.value.is_discarded() ? std::string("removed") : f.value.dump();
  if (value.size() > 24) value = value.substr(0, 20) + "…(" + std::to_string(value.size()) + ")";
  *out << f.pointer << " " << value;
}

class BrokenClick : public ::testing::TestWithParam<BadField> {};

TEST_P(BrokenClick, NamesTheField) {
  json p = click_payload();
  const json::json_pointer ptr(GetParam().pointer);
  if (GetParam().value.is_discarded())
    p[ptr.parent_pointer()].erase(ptr.back());
  else
    p[ptr] = GetParam().value;
  EXPECT_EQ(error_of(parse_interaction(p)).field, GetParam().field);
}

const json kRemove = json(json::value_t::discarded);

INSTANTIATE_TEST_SUITE_P(
    SlackPayloads, BrokenClick,
    ::testing::Values(BadField{"/user", kRemove, "user"}, BadField{"/user", "UA8RXUSPL", "user"},
                      BadField{"/user/id", kRemove, "user.id"}, BadField{"/user/id", 42, "user.id"},
                      BadField{"/user/id", "C0123", "user.id"}, BadField{"/user/id", "", "user.id"},
                      BadField{"/user/id", "U0a", "user.id"}, BadField{"/trigger_id", kRemove, "trigger_id"},
                      BadField{"/trigger_id", "has space", "trigger_id"}, BadField{"/trigger_id", true, "trigger_id"},
                      BadField{"/trigger_id", std::string(300, 'x'), "trigger_id"},
                      BadField{"/response_url", "javascript:alert(1)", "response_url"},
                      BadField{"/container", "CBR2V3XEX", "container"},
                      BadField{"/container/channel_id", 7, "container.channel_id"},
                      BadField{"/team/id", json::array(), "team.id"}, BadField{"/actions", kRemove, "actions"},
                      BadField{"/actions", json::object(), "actions"}, BadField{"/actions", json::array(), "actions"},
                      BadField{"/actions/0", "desk.accept", "actions[0]"},
                      BadField{"/actions/0/action_id", kRemove, "actions[0].action_id"},
                      BadField{"/actions/0/action_id", 1.5, "actions[0].action_id"},
                      BadField{"/actions/0/block_id", kRemove, "actions[0].block_id"},
                      BadField{"/actions/0/block_id", std::string(256, 'b'), "actions[0].block_id"},
                      BadField{"/actions/0/value", json::object(), "actions[0].value"},
                      BadField{"/actions/0/value", std::string(2001, 'v'), "actions[0].value"}));

TEST(SlackPayloads, ParsesRationaleSubmissionWithTypedInputs) {
  const auto parsed = parse_interaction(submit_payload());
  const auto* v = std::get_if<ViewSubmission>(&parsed);
  ASSERT_NE(v, nullptr) << error_of(parsed).message;
  EXPECT_EQ(v->user_id, "U1234567");
  EXPECT_EQ(v->team_id, "T1234567");
  EXPECT_EQ(v->trigger_id, "1234.5678.abcd");
  EXPECT_EQ(v->view_id, "VNHU13V36");
  EXPECT_EQ(v->view_hash, "156663117.cd33ad1f");
  EXPECT_EQ(v->callback_id, "desk.rationale");
  EXPECT_EQ(v->private_metadata, R"({"escalation_id":"ESC-000042","macro":"accept","generation":0})");
  ASSERT_NE(v->text("rationale", "rationale_input"), nullptr);
  EXPECT_EQ(*v->text("rationale", "rationale_input"), "Claim verified with legal memo 12 \xC3\xA9");
  ASSERT_NE(v->selected("route_to", "route_select"), nullptr);
  EXPECT_EQ(*v->selected("route_to", "route_select"), "sales");
  EXPECT_EQ(v->text("note", "note_input"), nullptr);  // left empty
  EXPECT_EQ(v->selected("empty_select", "s"), nullptr);
  EXPECT_EQ(v->text("pick", "pick_user"), nullptr);  // a users_select is not read
  EXPECT_EQ(v->text("rationale", "other"), nullptr);
  EXPECT_EQ(v->text("nope", "rationale_input"), nullptr);
}

TEST(SlackPayloads, SubmissionWithoutStateHasNoInputs) {
  json p = submit_payload();
  p["view"].erase("state");
  p.erase("trigger_id");
  const auto parsed = parse_interaction(p);
  const auto* v = std::get_if<ViewSubmission>(&parsed);
  ASSERT_NE(v, nullptr) << error_of(parsed).message;
  EXPECT_TRUE(v->text_values.empty());
  EXPECT_TRUE(v->selected_values.empty());
  EXPECT_TRUE(v->trigger_id.empty());
}

class BrokenSubmission : public ::testing::TestWithParam<BadField> {};

TEST_P(BrokenSubmission, NamesTheField) {
  json p = submit_payload();
  const json::json_pointer ptr(GetParam().pointer);
  if (GetParam().value.is_discarded())
    p[ptr.parent_pointer()].erase(ptr.back());
  else
    p[ptr] = GetParam().value;
  EXPECT_EQ(error_of(parse_interaction(p)).field, GetParam().field);
}

INSTANTIATE_TEST_SUITE_P(
    SlackPayloads, BrokenSubmission,
    ::testing::Values(BadField{"/view", kRemove, "view"}, BadField{"/view", "VNHU13V36", "view"},
                      BadField{"/view/id", kRemove, "view.id"}, BadField{"/view/hash", 12, "view.hash"},
                      BadField{"/view/callback_id", kRemove, "view.callback_id"},
                      BadField{"/view/callback_id", json::array(), "view.callback_id"},
                      BadField{"/view/private_metadata", std::string(3001, 'm'), "view.private_metadata"},
                      BadField{"/view/state", "x", "view.state"},
                      BadField{"/view/state/values", json::array(), "view.state.values"},
                      BadField{"/view/state/values/rationale", "text", "view.state.values.rationale"},
                      BadField{"/view/state/values/rationale/rationale_input", 3,
                               "view.state.values.rationale.rationale_input"},
                      BadField{"/view/state/values/rationale/rationale_input/type", kRemove,
                               "view.state.values.rationale.rationale_input.type"},
                      BadField{"/view/state/values/rationale/rationale_input/value", 42,
                               "view.state.values.rationale.rationale_input.value"},
                      BadField{"/view/state/values/rationale/rationale_input/value", std::string(64 * 1024 + 1, 'r'),
                               "view.state.values.rationale.rationale_input.value"},
                      BadField{"/view/state/values/route_to/route_select/selected_option", "sales",
                               "view.state.values.route_to.route_select.selected_option"},
                      BadField{"/view/state/values/route_to/route_select/selected_option/value", kRemove,
                               "view.state.values.route_to.route_select.selected_option.value"},
                      BadField{"/user/id", "B123", "user.id"}));

TEST(SlackPayloads, SubmissionWithTooManyInputsIsRefused) {
  json p = submit_payload();
  json values = json::object();
  for (int i = 0; i < 101; ++i)
    values["b" + std::to_string(i)] = {{"a", {{"type", "plain_text_input"}, {"value", "x"}}}};
  p["view"]["state"]["values"] = values;
  EXPECT_EQ(error_of(parse_interaction(p)).field, "view.state.values");
}

TEST(SlackPayloads, TextThatIsNotUtf8IsRefused) {
  json p = submit_payload();
  p["view"]["state"]["values"]["rationale"]["rationale_input"]["value"] = std::string("ok \xFF\xFE");
  EXPECT_EQ(error_of(parse_interaction(p)).field, "view.state.values.rationale.rationale_input.value");
}

TEST(SlackPayloads, ParsesViewClosed) {
  const json p =
      json::parse(R"({"type": "view_closed", "team": {"id": "T1", "domain": "x"}, "user": {"id": "U1", "name": "lead"},
    "view": {"id": "V1", "type": "modal", "callback_id": "desk.rationale", "private_metadata": "{}", "blocks": []},
    "api_app_id": "A1", "is_cleared": true})");
  const auto parsed = parse_interaction(p);
  const auto* c = std::get_if<ViewClosed>(&parsed);
  ASSERT_NE(c, nullptr) << error_of(parsed).message;
  EXPECT_EQ(c->user_id, "U1");
  EXPECT_EQ(c->team_id, "T1");
  EXPECT_EQ(c->view_id, "V1");
  EXPECT_EQ(c->callback_id, "desk.rationale");
  EXPECT_EQ(c->private_metadata, "{}");
  EXPECT_TRUE(c->is_cleared);

  json bad = p;
  bad["is_cleared"] = "yes";
  EXPECT_EQ(error_of(parse_interaction(bad)).field, "is_cleared");
  bad = p;
  bad["view"].erase("id");
  EXPECT_EQ(error_of(parse_interaction(bad)).field, "view.id");
}

TEST(SlackPayloads, InteractionTypesTheDeskDoesNotHandleAreRefused) {
  EXPECT_EQ(error_of(parse_interaction(json{{"type", "shortcut"}})).field, "type");
  EXPECT_EQ(error_of(parse_interaction(json{{"type", "block_suggestion"}})).field, "type");
  EXPECT_EQ(error_of(parse_interaction(json{{"type", 7}})).field, "type");
  EXPECT_EQ(error_of(parse_interaction(json::object())).field, "type");
  EXPECT_EQ(error_of(parse_interaction(json::array())).field, "");
  EXPECT_EQ(error_of(parse_interaction(json("block_actions"))).field, "");
}

TEST(SlackPayloads, TextFormParsesTheSameAsJson) {
  const auto parsed = parse_interaction(std::string_view(click_payload().dump()));
  ASSERT_TRUE(std::holds_alternative<BlockAction>(parsed));
  EXPECT_EQ(std::get<BlockAction>(parsed).value, "ESC-000042");
  const auto slash = parse_slash_command(std::string_view(slash_payload().dump()));
  ASSERT_TRUE(std::holds_alternative<SlashCommand>(slash));
  EXPECT_EQ(std::get<SlashCommand>(slash).command, "/escalate");
}

TEST(SlackPayloads, GarbageTextIsRefusedWithoutThrowing) {
  for (std::string_view text :
       {"", "not json", "{", "{\"type\":", "[]", "null", "\xFF\xFE", "{\"type\":\"block_actions\"}}"}) {
    EXPECT_FALSE(std::holds_alternative<BlockAction>(parse_interaction(text))) << text;
    EXPECT_FALSE(std::holds_alternative<SlashCommand>(parse_slash_command(text))) << text;
  }
  EXPECT_EQ(error_of(parse_interaction(std::string_view("not json"))).message, "the payload is not valid JSON");
}

TEST(SlackPayloads, AbsurdNestingIsRefusedBeforeParsing) {
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  EXPECT_NE(error_of(parse_interaction(std::string_view(deep))).message.find("nested"), std::string::npos);
  // Brackets inside strings do not count.
  json p = click_payload();
  p["message"]["text"] = std::string(500, '[');
  EXPECT_TRUE(std::holds_alternative<BlockAction>(parse_interaction(std::string_view(p.dump()))));
}

TEST(SlackPayloads, HugePayloadIsRefusedBeforeParsing) {
  json p = click_payload();
  p["message"]["text"] = std::string(kMaxPayloadBytes, 'x');
  EXPECT_NE(error_of(parse_interaction(std::string_view(p.dump()))).message.find("larger than"), std::string::npos);
}

TEST(SlackPayloads, ParsesSlashCommandFromTheReferenceShape) {
  const auto parsed = parse_slash_command(slash_payload());
  const auto* s = std::get_if<SlashCommand>(&parsed);
  ASSERT_NE(s, nullptr) << error_of(parsed).message;
  EXPECT_EQ(s->command, "/escalate");
  EXPECT_EQ(s->text, "https://example.slack.com/archives/C1/p123 pricing claim looks wrong");
  EXPECT_EQ(s->user_id, "U2147483697");
  EXPECT_EQ(s->channel_id, "C2147483705");
  EXPECT_EQ(s->trigger_id, "13345224609.738474920.8088930838d88f008e0");
  EXPECT_EQ(s->team_id, "T0001");
  EXPECT_EQ(s->response_url, "https://hooks.slack.com/commands/T0001/1234/abcd");
}

TEST(SlackPayloads, SlashCommandWithoutTextHasEmptyText) {
  json p = slash_payload();
  p.erase("text");
  auto parsed = parse_slash_command(p);
  ASSERT_TRUE(std::holds_alternative<SlashCommand>(parsed));
  EXPECT_EQ(std::get<SlashCommand>(parsed).text, "");
  p["text"] = nullptr;
  parsed = parse_slash_command(p);
  ASSERT_TRUE(std::holds_alternative<SlashCommand>(parsed));
}

class BrokenSlash : public ::testing::TestWithParam<BadField> {};

TEST_P(BrokenSlash, NamesTheField) {
  json p = slash_payload();
  const json::json_pointer ptr(GetParam().pointer);
  if (GetParam().value.is_discarded())
    p[ptr.parent_pointer()].erase(ptr.back());
  else
    p[ptr] = GetParam().value;
  EXPECT_EQ(error_of(parse_slash_command(p)).field, GetParam().field);
}

INSTANTIATE_TEST_SUITE_P(
    SlackPayloads, BrokenSlash,
    ::testing::Values(BadField{"/command", kRemove, "command"}, BadField{"/command", "rota", "command"},
                      BadField{"/command", 5, "command"}, BadField{"/text", 5, "text"},
                      BadField{"/text", std::string(64 * 1024 + 1, 't'), "text"},
                      BadField{"/user_id", kRemove, "user_id"}, BadField{"/user_id", "steve", "user_id"},
                      BadField{"/channel_id", kRemove, "channel_id"}, BadField{"/channel_id", "C 1", "channel_id"},
                      BadField{"/trigger_id", kRemove, "trigger_id"}, BadField{"/trigger_id", "", "trigger_id"},
                      BadField{"/team_id", false, "team_id"}, BadField{"/response_url", "ftp://x", "response_url"}));

TEST(SlackPayloads, SlashCommandMustBeAnObject) {
  EXPECT_EQ(error_of(parse_slash_command(json::array({1, 2}))).field, "");
  EXPECT_EQ(error_of(parse_slash_command(json(3))).field, "");
}

TEST(SlackPayloads, FindsTheFirstLinkInCommandText) {
  EXPECT_EQ(first_link("<https://example.slack.com/archives/C1/p123|message> pricing claim"),
            "https://example.slack.com/archives/C1/p123");
  EXPECT_EQ(first_link("<@U123> saw <#C1|general> <https://a.example/x?y=1&amp;z=2>"),
            "https://a.example/x?y=1&amp;z=2");
  EXPECT_EQ(first_link("see https://www.linkedin.com/feed/update/1 now"), "https://www.linkedin.com/feed/update/1");
  EXPECT_EQ(first_link("  http://a.example"), "http://a.example");
  EXPECT_EQ(first_link("<mailto:a@b.example|a@b.example> only"), "");
  EXPECT_EQ(first_link("no link here <unclosed"), "");
  EXPECT_EQ(first_link("https:// is not"), "https://");  // a bare word is taken as typed; the form validates it
  EXPECT_EQ(first_link(""), "");
}

TEST(SlackPayloads, ReadsMentionTokens) {
  EXPECT_EQ(mentioned_user("<@U0B>"), "U0B");
  EXPECT_EQ(mentioned_user("<@W012AB3CD|bob>"), "W012AB3CD");
  for (const char* bad :
       {"", "@bob", "bob", "<@>", "<@U0B", "U0B>", "<#C123|general>", "<!here>", "<@u0b>", "<@U0B|>x"})
    EXPECT_EQ(mentioned_user(bad), "") << bad;
}

TEST(SlackPayloads, UnescapesCommandText) {
  EXPECT_EQ(unescape_command_text("a &amp; b &lt;c&gt; <https://x.example/p|label> <@U1> <http://y.example>"),
            "a & b <c> https://x.example/p <@U1> http://y.example");
  EXPECT_EQ(unescape_command_text("&amp;lt; stays one level"), "&lt; stays one level");
  EXPECT_EQ(unescape_command_text("<unclosed &gt"), "<unclosed &gt");
  EXPECT_EQ(unescape_command_text(""), "");
}

TEST(SlackPayloads, RecognisesSlackUserIds) {
  for (const char* good : {"U0A", "W012AB3CD", "U2147483697"}) EXPECT_TRUE(is_slack_user_id(good)) << good;
  for (const char* bad : {"", "U", "C0123", "u0a", "U0a", "U0A ", "U-1", "B123", "U012345678901234567890123456789012"})
    EXPECT_FALSE(is_slack_user_id(bad)) << bad;
}

}  // namespace desk::bot::slack::slack_payloads_test
