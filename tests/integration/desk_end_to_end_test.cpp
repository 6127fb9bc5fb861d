// The issue's end-to-end scenarios with the real escalation-desk binary, the example config and the
// Slack emulator: a submission escalates, a wrong user's click is refused, the owner decides with a
// rationale, the message and the API show the decision; and silence until the backup ping, with
// kill -9 before and after it: nothing is lost, nothing is posted twice, the ping fires once. And an
// agent on MCP, written with the official TypeScript SDK, waits for the decision taken in Slack. And a
// desk on Slack and Teams alerts at once: a decision taken in Slack is announced in Teams too. And the
// SOP from the config, pinned once across kill -9, re-pinned when it changes, posted when it cannot be.
// And a desk on Slack and the interactive Teams bot at once: each escalation lives in both, and a
// decision taken in either updates the other.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/base64.hpp"
#include "storage/digest.hpp"
#include "tests/emulator/teams_webhook.hpp"
#include "tests/integration/desk_process.hpp"
#include "tests/integration/teams_bot_bed.hpp"
#include "tests/support/temp_dir.hpp"

namespace desk::integration {
namespace {

using json = nlohmann::json;
using desk::testing::TempDir;

constexpr const char* kAgentToken = "agent-token-e2e-0123456789";
constexpr const char* kAdminToken = "admin-token-e2e-9876543210";
constexpr const char* kErin = "U0E414005";  // community lead: owns community_replies
constexpr const char* kJo = "U0J0J0010";    // sales: no rights on community_replies
constexpr const char* kDana = "U0DA4A004";  // marketing director

/// The emulated workspace with the example config's people in it (so direct messages reach them).
void add_example_people(emu::SlackEmulator& emulator) {
  emulator.with_workspace([](emu::WorkspaceModel& w) {
    const std::pair<const char*, const char*> people[] = {
        {"U0A11CE01", "alice"}, {"U0B0B0002", "bob"}, {"U0C4E0003", "chen"}, {kDana, "dana"},       {kErin, "erin"},
        {"U0FA4A006", "farah"}, {"U06A5007", "gus"},  {"U0AA4A008", "hana"}, {"U01BA4009", "ivan"}, {kJo, "jo"}};
    for (const auto& [id, name] : people) w.add_user(id, name, "Europe/London");
  });
}

/// The real binary on `config`, up once Socket Mode said hello and the intake port is known.
struct RunningDesk {
  RunningDesk(emu::SlackEmulator& emulator, const std::string& config, std::uint64_t hellos_before,
              const std::map<std::string, std::string>& more_env = {}) {
    emu::WorkspaceOptions ws;
    auto env = desk_env(emulator, ws);
    for (const auto& [name, value] : more_env) env[name] = value;
    env["DESK_INTAKE_TOKENS"] = kAgentToken;
    env["DESK_ADMIN_TOKENS"] = kAdminToken;
    process = std::make_unique<DeskProcess>(
        env, std::getenv("E2E_GDB") ? std::vector<std::string>{"/usr/bin/gdb", "-batch", "-ex", "run", "-ex", "bt",
                                                               "--args", DESK_BINARY, "run", "--config", config}
                                    : std::vector<std::string>{DESK_BINARY, "run", "--config", config});
    up = wait_for([&] { return emulator.hellos_sent() > hellos_before && (port = intake_port(*process)) != 0; }, 20s);
  }
  std::unique_ptr<DeskProcess> process;
  std::uint16_t port = 0;
  bool up = false;
};

HttpAnswer submit(std::uint16_t port, const std::string& output, const std::string& workflow = "community_replies") {
  const json body = {{"workflow", workflow},
                     {"channel", "linkedin"},
                     {"agent", "social-agent-3"},
                     {"confidence", 0.62},
                     {"output", output}};
  return intake_request(port, "POST", "/v1/submissions", kAgentToken, body.dump());
}

/// The Slack ids of the example config's duty-lead rotation (alice, bob, chen).
const std::array<std::string, 3> kDutyLeads = {"U0A11CE01", "U0B0B0002", "U0C4E0003"};

/// Members of the emulated workspace's @ai-escalation group (S0DESK).
std::vector<std::string> group_members(emu::SlackEmulator& emulator) {
  std::vector<std::string> members;
  emulator.with_workspace([&](emu::WorkspaceModel& w) { members = w.usergroup_users("S0DESK"); });
  return members;
}

/// The Slack connection state /healthz reports (no authentication needed).
std::string slack_health(std::uint16_t port) {
  const auto answer = intake_request(port, "GET", "/healthz", "");
  return answer.body.is_object() ? answer.body.value("slack", "") : "";
}

/// Top-level messages (not thread replies) in the desk channel that carry `escalation_id`.
std::vector<json> posts_of(const emu::SlackEmulator& emulator, const std::string& escalation_id) {
  std::vector<json> out;
  for (const auto& m : emulator.messages("C0DESK"))
    if (!m.contains("thread_ts") && m.dump().find(escalation_id) != std::string::npos &&
        m.value("metadata", json::object()).value("event_type", "") != "desk_channel_notice")
      out.push_back(m);
  return out;
}

/// Top-level notices in the desk channel about no one escalation (handoffs, the published rota).
std::vector<json> channel_notices(const emu::SlackEmulator& emulator) {
  std::vector<json> out;
  for (const auto& m : emulator.messages("C0DESK"))
    if (!m.contains("thread_ts") &&
        m.value("metadata", json::object()).value("event_type", "") == "desk_channel_notice")
      out.push_back(m);
  return out;
}

/// Thread replies of one kind ("decision", "backup_ping", "triage_breach", …) for `escalation_id`.
std::vector<json> replies_of(const emu::SlackEmulator& emulator, const std::string& escalation_id,
                             const std::string& kind) {
  std::vector<json> out;
  for (const auto& m : emulator.messages("C0DESK")) {
    const auto payload = m.value("metadata", json::object()).value("event_payload", json::object());
    if (m.contains("thread_ts") && payload.value("escalation_id", "") == escalation_id &&
        payload.value("reply", "") == kind)
      out.push_back(m);
  }
  return out;
}

/// The actions block of a post: its block_id and each button's action_id, value and label.
struct Buttons {
  std::string block_id;
  std::vector<json> elements;
  const json* labelled(const std::string& label) const {
    for (const auto& e : elements)
      if (e["text"]["text"] == label) return &e;
    return nullptr;
  }
};

Buttons buttons_of(const json& message) {
  Buttons b;
  for (const auto& block : message.value("blocks", json::array()))
    if (block.value("type", "") == "actions") {
      b.block_id = block.value("block_id", "");
      b.elements = block["elements"].get<std::vector<json>>();
    }
  return b;
}

/// A click on the button labelled `label` of `post` by `user`, with a fresh trigger id.
std::string click(emu::SlackEmulator& emulator, const json& post, const std::string& label, const std::string& user,
                  std::string* trigger_id) {
  const Buttons buttons = buttons_of(post);
  const json* button = buttons.labelled(label);
  if (button == nullptr) throw std::runtime_error("no button " + label + " on " + post.dump());
  *trigger_id = emulator.issue_trigger_id();
  json payload =
      emu::block_actions_payload((*button)["action_id"], (*button)["value"], user, "C0DESK", post["ts"], *trigger_id);
  payload["actions"][0]["block_id"] = buttons.block_id;
  payload["actions"][0]["text"]["text"] = label;
  payload["message"] = post;
  return emulator.send_interactive(std::move(payload));
}

/// Calls of `method` whose arguments mention `needle`.
std::vector<emu::CallRecord> calls_with(const emu::SlackEmulator& emulator, const std::string& method,
                                        const std::string& needle) {
  std::vector<emu::CallRecord> out;
  for (const auto& c : emulator.calls())
    if (c.method == method && c.args.dump().find(needle) != std::string::npos) out.push_back(c);
  return out;
}

std::vector<std::string> timeline_kinds(const json& escalation) {
  std::vector<std::string> kinds;
  for (const auto& row : escalation.value("timeline", json::array())) kinds.push_back(row.value("kind", ""));
  return kinds;
}

std::size_t count(const std::vector<std::string>& items, const std::string& item) {
  return static_cast<std::size_t>(std::count(items.begin(), items.end(), item));
}

TEST(DeskEndToEnd, WrongUserIsRefusedThenTheOwnerDecidesWithARationale) {
  TempDir dir("e2e-decide");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path());
  RunningDesk desk(emulator, config, 0);
  ASSERT_TRUE(desk.up) << desk.process->output_so_far();
  EXPECT_TRUE(wait_for([&] { return slack_health(desk.port) == "connected"; }, 10s, 50ms))
      << desk.process->output_so_far();

  // 0. The on-duty user group is pointed at this week's duty lead before any post mentions it.
  std::string on_duty;
  ASSERT_TRUE(wait_for([&] {
    const auto members = group_members(emulator);
    if (members.size() == 1 && std::find(kDutyLeads.begin(), kDutyLeads.end(), members.front()) != kDutyLeads.end())
      on_duty = members.front();
    return !on_duty.empty();
  })) << desk.process->output_so_far();

  // 1. A low-confidence reply escalates: 201 with the escalation id, committed before the answer.
  const auto created = submit(desk.port, "Thanks for the kind words, see you at the meetup!");
  ASSERT_EQ(created.status, 201) << created.head << created.body.dump();
  const std::string id = created.body["escalation"]["id"];
  EXPECT_EQ(created.body["escalation"]["owner"]["role"], "community_lead") << created.body.dump();

  // 2. The post appears once, with the three buttons.
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; })) << desk.process->output_so_far();
  const json post = posts_of(emulator, id).front();
  std::vector<std::string> labels;
  for (const auto& e : buttons_of(post).elements) labels.push_back(e["text"]["text"]);
  EXPECT_EQ(labels, (std::vector<std::string>{"Accept", "Reject", "Escalate to legal"})) << post.dump();
  EXPECT_NE(post.dump().find(kErin), std::string::npos) << "the owner is mentioned: " << post.dump();
  EXPECT_EQ(post.dump().find("subteam"), std::string::npos) << "not the duty lead's: no group mention " << post.dump();

  // 3. Jo from sales clicks Accept: refused privately, told who may act, audited; no modal opens.
  std::string trigger;
  const auto refused_click = click(emulator, post, "Accept", kJo, &trigger);
  ASSERT_TRUE(wait_for([&] { return !calls_with(emulator, "chat.postEphemeral", kJo).empty(); }))
      << desk.process->output_so_far();
  EXPECT_TRUE(emulator.acked(refused_click));
  const auto refusal = calls_with(emulator, "chat.postEphemeral", kJo).front().args;
  EXPECT_EQ(refusal["user"], kJo);
  EXPECT_NE(refusal.dump().find("Erin Walsh"), std::string::npos) << "names who may act: " << refusal.dump();
  EXPECT_TRUE(calls_with(emulator, "views.open", trigger).empty());

  // 4. Erin clicks Accept: the rationale modal opens inside the trigger's 3 seconds.
  const auto owner_click = click(emulator, post, "Accept", kErin, &trigger);
  ASSERT_TRUE(wait_for([&] { return !calls_with(emulator, "views.open", trigger).empty(); }))
      << desk.process->output_so_far();
  const auto open = calls_with(emulator, "views.open", trigger).front();
  EXPECT_TRUE(open.error.empty()) << open.error;
  EXPECT_TRUE(emulator.acked(owner_click));
  const json view = open.args["view"];
  ASSERT_EQ(view.value("callback_id", ""), "desk.rationale") << view.dump();
  const std::string metadata = view.value("private_metadata", "");

  // 5. A too-short rationale is answered with an inline error on the field; nothing is decided.
  const auto short_submit = emulator.send_interactive(emu::view_submission_payload(
      "desk.rationale", metadata, "rationale", "rationale_input", "ok", kErin, emulator.issue_trigger_id()));
  ASSERT_TRUE(wait_for([&] { return emulator.acked(short_submit); }));
  json ack;
  for (const auto& a : emulator.acks())
    if (a.envelope_id == short_submit) ack = a.payload;
  EXPECT_EQ(ack.value("response_action", ""), "errors") << ack.dump();
  EXPECT_TRUE(ack["errors"].contains("rationale")) << ack.dump();
  EXPECT_EQ(intake_request(desk.port, "GET", "/v1/escalations/" + id, kAgentToken).body["decision"], nullptr);

  // 6. A real rationale: the decision is committed, the modal closes, the post loses its buttons and
  //    shows who decided and why, and a thread reply says the same.
  const std::string rationale = "Friendly, no claims; fine to publish as written.";
  const auto good_submit = emulator.send_interactive(emu::view_submission_payload(
      "desk.rationale", metadata, "rationale", "rationale_input", rationale, kErin, emulator.issue_trigger_id()));
  ASSERT_TRUE(wait_for([&] { return emulator.acked(good_submit); }));
  for (const auto& a : emulator.acks()) {
    if (a.envelope_id == good_submit && a.payload.is_object()) {
      EXPECT_NE(a.payload.value("response_action", ""), "errors") << a.payload.dump();
    }
  }
  ASSERT_TRUE(wait_for([&] {
    const auto now = posts_of(emulator, id);
    return now.size() == 1 && buttons_of(now.front()).elements.size() == 1 &&
           buttons_of(now.front()).labelled("Post-mortem") && now.front().dump().find(rationale) != std::string::npos;
  })) << posts_of(emulator, id).front().dump()
      << desk.process->output_so_far();
  EXPECT_NE(posts_of(emulator, id).front().dump().find("Accepted"), std::string::npos)
      << posts_of(emulator, id).front().dump();
  ASSERT_TRUE(wait_for([&] { return replies_of(emulator, id, "decision").size() == 1; }))
      << desk.process->output_so_far();

  // 7. The API shows the decision and the whole timeline.
  const auto read = intake_request(desk.port, "GET", "/v1/escalations/" + id, kAgentToken);
  ASSERT_EQ(read.status, 200) << read.head;
  EXPECT_EQ(read.body["status"], "accepted") << read.body.dump();
  EXPECT_EQ(read.body["decision"]["macro"], "accept") << read.body.dump();
  EXPECT_EQ(read.body["decision"]["rationale"], rationale);
  EXPECT_EQ(read.body["decision"]["by"]["id"], "erin") << read.body.dump();
  const auto kinds = timeline_kinds(read.body);
  for (const char* kind : {"escalation.opened", "rights.denied", "escalation.triaged", "decision.accepted"})
    EXPECT_EQ(count(kinds, kind), 1u) << kind << " in " << read.body["timeline"].dump();

  // A late click on the decided escalation gets a clear private answer, and changes nothing.
  click(emulator, post, "Reject", kErin, &trigger);
  ASSERT_TRUE(wait_for([&] { return calls_with(emulator, "chat.postEphemeral", kErin).size() == 1; }));
  EXPECT_NE(calls_with(emulator, "chat.postEphemeral", kErin).front().args.dump().find("lready decided"),
            std::string::npos);
  EXPECT_EQ(intake_request(desk.port, "GET", "/v1/escalations/" + id, kAgentToken).body["status"], "accepted");

  // An escalation the duty lead owns mentions the on-duty group, which lists them.
  const auto paid = submit(desk.port, "Our new ad copy, ready to go live.", "paid_ads");
  ASSERT_EQ(paid.status, 201) << paid.body.dump();
  const std::string paid_id = paid.body["escalation"]["id"];
  EXPECT_EQ(paid.body["escalation"]["owner"]["person"]["slack_user"], on_duty) << paid.body.dump();
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, paid_id).size() == 1; })) << desk.process->output_so_far();
  EXPECT_NE(posts_of(emulator, paid_id).front().dump().find("<!subteam^S0DESK>"), std::string::npos)
      << posts_of(emulator, paid_id).front().dump();

  // The director hands duty to another lead for an hour: the group follows at once.
  const std::string stand_in = on_duty == kDutyLeads[0] ? kDutyLeads[1] : kDutyLeads[0];
  const auto override_command =
      emulator.send_slash_command("/rota", "override <@" + stand_in + "> duty_lead 1h", kDana);
  ASSERT_TRUE(wait_for([&] { return emulator.acked(override_command); }));
  EXPECT_TRUE(wait_for([&] { return group_members(emulator) == std::vector<std::string>{stand_in}; }))
      << desk.process->output_so_far();

  // /healthz follows the Socket Mode connection: Slack gone, then back.
  emulator.stop_listening();
  EXPECT_TRUE(wait_for([&] { return slack_health(desk.port) == "connecting"; }, 10s, 50ms))
      << desk.process->output_so_far();
  emulator.resume_listening();
  EXPECT_TRUE(wait_for([&] { return slack_health(desk.port) == "connected"; }, 30s, 50ms))
      << desk.process->output_so_far();

  desk.process->signal(SIGTERM);
  const auto result = desk.process->wait(10s);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find(kAgentToken), std::string::npos);
}

/// The Rationale modal's submission by `user` for the modal the click with `trigger` opened.
std::string submit_rationale(emu::SlackEmulator& emulator, const std::string& trigger, const std::string& user,
                             const std::string& rationale) {
  const auto open = calls_with(emulator, "views.open", trigger);
  if (open.empty()) throw std::runtime_error("no modal opened for trigger " + trigger);
  const std::string metadata = open.front().args["view"].value("private_metadata", "");
  return emulator.send_interactive(emu::view_submission_payload(
      "desk.rationale", metadata, "rationale", "rationale_input", rationale, user, emulator.issue_trigger_id()));
}

/// The answer the desk acked `envelope_id` with (a view_submission's errors), or null.
json ack_of(const emu::SlackEmulator& emulator, const std::string& envelope_id) {
  for (const auto& a : emulator.acks())
    if (a.envelope_id == envelope_id) return a.payload;
  return nullptr;
}

TEST(DeskEndToEnd, TheDeciderFilesAPostMortemThatTheApiShowsAndTheExportLists) {
  TempDir dir("e2e-postmortem");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path());
  RunningDesk desk(emulator, config, 0);
  ASSERT_TRUE(desk.up) << desk.process->output_so_far();

  // Erin decides an escalation of hers; its message then offers only the Post-mortem button.
  const auto created = submit(desk.port, "Thanks for the kind words, see you at the meetup!");
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const std::string id = created.body["escalation"]["id"];
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; })) << desk.process->output_so_far();
  std::string trigger;
  click(emulator, posts_of(emulator, id).front(), "Reject", kErin, &trigger);
  ASSERT_TRUE(wait_for([&] { return !calls_with(emulator, "views.open", trigger).empty(); }))
      << desk.process->output_so_far();
  submit_rationale(emulator, trigger, kErin, "A meetup we are not running; do not promise it.");
  ASSERT_TRUE(wait_for([&] { return buttons_of(posts_of(emulator, id).front()).labelled("Post-mortem") != nullptr; }))
      << posts_of(emulator, id).front().dump() << desk.process->output_so_far();
  const json decided = posts_of(emulator, id).front();

  // Jo from sales may not file it: told privately who may.
  click(emulator, decided, "Post-mortem", kJo, &trigger);
  ASSERT_TRUE(wait_for([&] { return !calls_with(emulator, "chat.postEphemeral", kJo).empty(); }))
      << desk.process->output_so_far();
  EXPECT_NE(calls_with(emulator, "chat.postEphemeral", kJo).front().args.dump().find("may file its post-mortem"),
            std::string::npos);
  EXPECT_TRUE(calls_with(emulator, "views.open", trigger).empty());

  // Erin clicks Post-mortem: the form opens, empty.
  click(emulator, decided, "Post-mortem", kErin, &trigger);
  ASSERT_TRUE(wait_for([&] { return !calls_with(emulator, "views.open", trigger).empty(); }))
      << desk.process->output_so_far();
  const auto open = calls_with(emulator, "views.open", trigger).front();
  EXPECT_TRUE(open.error.empty()) << open.error;
  const json view = open.args["view"];
  ASSERT_EQ(view.value("callback_id", ""), "desk.postmortem") << view.dump();
  const std::string metadata = view.value("private_metadata", "");

  // Submitted without "what fixed it": the error shows under that field and nothing is filed.
  auto form = [&](bool with_fix) {
    json payload = emu::view_submission_payload("desk.postmortem", metadata, "what_triggered", "what_triggered_input",
                                                "An invitation to an event we are not running.", kErin,
                                                emulator.issue_trigger_id());
    json& values = payload["view"]["state"]["values"];
    if (with_fix)
      values["what_fixed"]["what_fixed_input"] = {{"type", "plain_text_input"},
                                                  {"value", "Rejected; the agent was told the events calendar."}};
    values["what_to_automate"]["what_to_automate_input"] = {
        {"type", "plain_text_input"}, {"value", "Give the agent the events calendar as a source."}};
    return emulator.send_interactive(std::move(payload));
  };
  const auto missing = form(false);
  ASSERT_TRUE(wait_for([&] { return emulator.acked(missing); }));
  const json errors = ack_of(emulator, missing);
  EXPECT_EQ(errors.value("response_action", ""), "errors") << errors.dump();
  EXPECT_TRUE(errors["errors"].contains("what_fixed")) << errors.dump();
  EXPECT_FALSE(errors["errors"].contains("what_triggered")) << errors.dump();
  EXPECT_EQ(intake_request(desk.port, "GET", "/v1/escalations/" + id, kAgentToken).body["postmortem"], nullptr);

  // Submitted whole: filed, the form closes, and the thread hears who filed it.
  const auto whole = form(true);
  ASSERT_TRUE(wait_for([&] { return emulator.acked(whole); }));
  const json closed = ack_of(emulator, whole);
  EXPECT_TRUE(!closed.is_object() || closed.value("response_action", "") != "errors") << closed.dump();
  ASSERT_TRUE(wait_for([&] { return replies_of(emulator, id, "postmortem").size() == 1; }))
      << desk.process->output_so_far();
  EXPECT_NE(replies_of(emulator, id, "postmortem").front().dump().find(kErin), std::string::npos);

  // The API shows it, with its author and times; the timeline has it.
  const auto read = intake_request(desk.port, "GET", "/v1/escalations/" + id, kAgentToken);
  ASSERT_EQ(read.status, 200) << read.head;
  const json& pm = read.body["postmortem"];
  EXPECT_EQ(pm["what_triggered"], "An invitation to an event we are not running.") << read.body.dump();
  EXPECT_EQ(pm["what_fixed"], "Rejected; the agent was told the events calendar.");
  EXPECT_EQ(pm["what_to_automate"], "Give the agent the events calendar as a source.");
  EXPECT_EQ(pm["author"]["id"], "erin");
  EXPECT_TRUE(pm["filed_at"].is_string());
  EXPECT_EQ(pm["edited_at"], nullptr);
  EXPECT_EQ(count(timeline_kinds(read.body), "postmortem.filed"), 1u);

  // The export lists it (the desk still running beside it).
  const auto yesterday = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) - std::chrono::days(1);
  const std::chrono::year_month_day day{yesterday};
  char since[16];
  std::snprintf(since, sizeof since, "%04d-%02u-%02u", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                static_cast<unsigned>(day.day()));
  DeskProcess exporter({{"PATH", "/usr/bin:/bin"}}, {DESK_BINARY, "postmortems", "--config", config, "--since", since});
  const ChildResult exported = exporter.wait(30s);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const json listed = json::parse(exported.output, nullptr, false);
  ASSERT_TRUE(listed.is_object()) << exported.output;
  ASSERT_EQ(listed["postmortems"].size(), 1u) << exported.output;
  EXPECT_EQ(listed["postmortems"][0]["escalation_id"], id);
  EXPECT_EQ(listed["postmortems"][0]["decision"], "rejected");
  EXPECT_EQ(listed["postmortems"][0]["author"], "erin");
  EXPECT_EQ(listed["postmortems"][0]["drill"], false);

  desk.process->signal(SIGTERM);
  EXPECT_EQ(desk.process->wait(10s).exit_code, 0);
}

TEST(DeskEndToEnd, AFireDrillFromTheCommandLineIsLabelledDecidedInSlackAndScored) {
  TempDir dir("e2e-drill");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path());
  RunningDesk desk(emulator, config, 0);
  ASSERT_TRUE(desk.up) << desk.process->output_so_far();

  // Without the admin token the command says what it needs and starts nothing.
  const std::string address = "127.0.0.1:" + std::to_string(desk.port);
  DeskProcess refused({{"PATH", "/usr/bin:/bin"}},
                      {DESK_BINARY, "drill", "start", "tos_breach", "--config", config, "--desk", address});
  const ChildResult no_token = refused.wait(30s);
  EXPECT_EQ(no_token.exit_code, 2) << no_token.output;
  EXPECT_NE(no_token.output.find("DESK_ADMIN_TOKENS"), std::string::npos) << no_token.output;

  // A terms breach (a reply that buys reviews with a fee waiver) goes to sales: Jo owns it.
  DeskProcess starter({{"PATH", "/usr/bin:/bin"}, {"DESK_ADMIN_TOKENS", kAdminToken}, {"USER", "ops"}},
                      {DESK_BINARY, "drill", "start", "tos_breach", "--config", config, "--desk", address});
  const ChildResult started = starter.wait(30s);
  ASSERT_EQ(started.exit_code, 0) << started.output << desk.process->output_so_far();
  const auto at = started.output.find("ESC-");
  ASSERT_NE(at, std::string::npos) << started.output;
  const std::string id = started.output.substr(at, 10);
  EXPECT_NE(started.output.find("Jo Mensah"), std::string::npos) << started.output;
  EXPECT_EQ(started.output.find(kAdminToken), std::string::npos);

  // Posted once, labelled FIRE DRILL for everyone in the channel.
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; })) << desk.process->output_so_far();
  const json post = posts_of(emulator, id).front();
  EXPECT_NE(post["blocks"][0]["text"]["text"].get<std::string>().find("FIRE DRILL"), std::string::npos) << post.dump();

  // Jo rejects it with a real reason: the thread gets the score, and nobody is called back.
  std::string trigger;
  click(emulator, post, "Reject", kJo, &trigger);
  ASSERT_TRUE(wait_for([&] { return !calls_with(emulator, "views.open", trigger).empty(); }))
      << desk.process->output_so_far();
  submit_rationale(emulator, trigger, kJo,
                   "Offering a fee waiver for a review breaks the app store's terms; thank them and offer nothing.");
  ASSERT_TRUE(wait_for([&] { return replies_of(emulator, id, "drill_score").size() == 1; }))
      << desk.process->output_so_far();
  const std::string score = replies_of(emulator, id, "drill_score").front().dump();
  EXPECT_NE(score.find("100/100"), std::string::npos) << score;
  EXPECT_NE(score.find("FIRE DRILL"), std::string::npos) << score;

  // The report lists it with its score and reasons.
  DeskProcess reporter({{"PATH", "/usr/bin:/bin"}},
                       {DESK_BINARY, "drill", "report", "--config", config, "--format", "json"});
  const ChildResult report = reporter.wait(30s);
  ASSERT_EQ(report.exit_code, 0) << report.output;
  const json listed = json::parse(report.output, nullptr, false);
  ASSERT_TRUE(listed.is_object()) << report.output;
  ASSERT_EQ(listed["drills"].size(), 1u) << report.output;
  EXPECT_EQ(listed["drills"][0]["escalation_id"], id);
  EXPECT_EQ(listed["drills"][0]["scenario"], "tos_breach");
  EXPECT_EQ(listed["drills"][0]["started_by"], "cli:ops");
  EXPECT_EQ(listed["drills"][0]["score"], 100);
  EXPECT_EQ(listed["drills"][0]["checks"].size(), 5u);
  EXPECT_EQ(listed["mean_score"], 100.0);

  desk.process->signal(SIGTERM);
  EXPECT_EQ(desk.process->wait(10s).exit_code, 0);
}

TEST(DeskEndToEnd, AnAgentOnMcpAwaitsTheDecisionTakenInSlack) {
#ifndef DESK_NODE
  GTEST_SKIP() << "Node.js is not installed: scripts/install-deps.sh --tests installs what this test needs";
#else
  const std::filesystem::path scripts = std::filesystem::path(DESK_SOURCE_DIR) / "tests" / "mcp";
  if (!std::filesystem::exists(scripts / "node_modules" / "@modelcontextprotocol" / "sdk"))
    GTEST_SKIP() << "the MCP SDK is not installed: run scripts/install-deps.sh --tests";
  TempDir dir("e2e-mcp");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  RunningDesk desk(emulator, write_config(dir.path()), 0);
  ASSERT_TRUE(desk.up) << desk.process->output_so_far();

  DeskProcess agent({{"PATH", "/usr/bin:/bin"}},
                    {DESK_NODE, (scripts / "sdk_client.mjs").string(),
                     "http://127.0.0.1:" + std::to_string(desk.port) + "/mcp", kAgentToken});
  std::string id;
  ASSERT_TRUE(wait_for(
      [&] {
        const std::string out = agent.output_so_far();
        const auto at = out.find("AWAITING ");
        if (at != std::string::npos) id = out.substr(at + 9, out.find('\n', at) - at - 9);
        return !id.empty();
      },
      30s))
      << agent.output_so_far() << desk.process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; })) << desk.process->output_so_far();
  // The wait has begun once the desk said what it waits on.
  ASSERT_TRUE(wait_for([&] { return agent.output_so_far().find("PROGRESS Waiting") != std::string::npos; }, 10s))
      << agent.output_so_far();

  // Erin, who owns community replies, clicks Accept: the escalation is triaged, and the waiting agent
  // hears of it as progress before anything is decided.
  std::string trigger;
  click(emulator, posts_of(emulator, id).front(), "Accept", kErin, &trigger);
  ASSERT_TRUE(wait_for([&] { return !calls_with(emulator, "views.open", trigger).empty(); }))
      << desk.process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return agent.output_so_far().find("is now triaged") != std::string::npos; }, 10s))
      << agent.output_so_far();
  EXPECT_EQ(agent.output_so_far().find("DECIDED"), std::string::npos);

  // Her rationale decides it; the agent's call returns with the decision and it reads it back.
  const std::string rationale = "Friendly, no claims; fine to publish as written.";
  submit_rationale(emulator, trigger, kErin, rationale);
  const ChildResult done = agent.wait(60s);
  EXPECT_EQ(done.exit_code, 0) << done.output << desk.process->output_so_far();
  EXPECT_NE(done.output.find("DECIDED"), std::string::npos) << done.output;
  EXPECT_NE(done.output.find(rationale), std::string::npos) << done.output;
  EXPECT_NE(done.output.find("DONE"), std::string::npos) << done.output;
  // One escalation for the two submissions with one idempotency key, posted once.
  EXPECT_EQ(posts_of(emulator, id).size(), 1u);
  EXPECT_EQ(intake_request(desk.port, "GET", "/v1/escalations?status=accepted", kAgentToken).body["escalations"].size(),
            1u);
  expect_no_secrets(desk.process->output_so_far(), emu::WorkspaceOptions{});
  EXPECT_EQ(desk.process->output_so_far().find(kAgentToken), std::string::npos);
#endif
}

TEST(DeskEndToEnd, AUserGroupTheDeskMayNotChangeIsReportedInRotaAndTheDeskCarriesOn) {
  TempDir dir("e2e-usergroup");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  emulator.fail_next("usergroups.users.update", "permission_denied");
  RunningDesk desk(emulator, write_config(dir.path()), 0);
  ASSERT_TRUE(desk.up) << desk.process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return desk.process->output_so_far().find("permission_denied") != std::string::npos; }))
      << desk.process->output_so_far();
  EXPECT_EQ(group_members(emulator), std::vector<std::string>{"U0LEAD"}) << "unchanged";

  const auto command = emulator.send_slash_command("/rota", "", kJo);
  ASSERT_TRUE(wait_for([&] { return emulator.acked(command); }));
  std::string answer;
  for (const auto& a : emulator.acks())
    if (a.envelope_id == command) answer = a.payload.dump();
  EXPECT_NE(answer.find("not updated automatically"), std::string::npos) << answer;

  // Escalations still flow, and the post does not mention a group that lists the wrong person.
  const auto created = submit(desk.port, "Thanks, see you at the meetup!");
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const std::string id = created.body["escalation"]["id"];
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; })) << desk.process->output_so_far();
  EXPECT_EQ(posts_of(emulator, id).front().dump().find("subteam"), std::string::npos);

  desk.process->signal(SIGTERM);
  const auto result = desk.process->wait(10s);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const auto logged = result.output.find("event=usergroup.blocked");
  EXPECT_NE(logged, std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("event=usergroup.blocked", logged + 1), std::string::npos)
      << "said once: " << result.output;
}

TEST(DeskEndToEnd, AStopWhileAPostWaitsOutARateLimitEndsAtOnceAndThePostGoesAfterARestart) {
  TempDir dir("e2e-stop-429");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path());
  emulator.rate_limit("chat.postMessage", 1, 120);

  RunningDesk first(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(first.up) << first.process->output_so_far();
  const auto created = submit(first.port, "Thanks, see you at the meetup!");
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const std::string id = created.body["escalation"]["id"];
  ASSERT_TRUE(wait_for([&] { return first.process->output_so_far().find("slack.rate_limited") != std::string::npos; }))
      << first.process->output_so_far();

  // The post waits out a 120 s Retry-After; a stop does not wait with it, and unwinds the call while
  // everything it uses still exists (under the sanitizers, anything else is a use after free).
  const auto asked = std::chrono::steady_clock::now();
  first.process->signal(SIGTERM);
  const auto stopped = first.process->wait(20s);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 15s);
  EXPECT_EQ(stopped.output.find("drain_incomplete"), std::string::npos) << stopped.output;
  EXPECT_TRUE(posts_of(emulator, id).empty());

  // Nothing was lost: the next desk posts it, once.
  RunningDesk second(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(second.up) << second.process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; }, 20s)) << second.process->output_so_far();
  second.process->signal(SIGTERM);
  EXPECT_EQ(second.process->wait(20s).exit_code, 0);
  EXPECT_EQ(posts_of(emulator, id).size(), 1u);
}

TEST(DeskEndToEnd, AStoreWrittenBeforeScopesWereKeyedKeepsEachAgentsSubmissions) {
  TempDir dir("e2e-keyed-scopes");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path());
  const auto database = dir.path() / "escalation-desk.db";
  const std::string plain = storage::sha256_hex(kAgentToken);
  const auto stored_scopes_keyed = [&](std::string_view keyed_scope_to_find) {
    SQLite::Database db(database.string(), SQLite::OPEN_READWRITE);
    SQLite::Statement q(db, "SELECT idempotency_scope FROM submissions");
    std::vector<std::string> scopes;
    while (q.executeStep()) scopes.push_back(q.getColumn(0).getString());
    const bool all = !scopes.empty() && std::all_of(scopes.begin(), scopes.end(), [&](const std::string& s) {
      return s.size() == 64 && s != plain && (keyed_scope_to_find.empty() || s == keyed_scope_to_find);
    });
    return std::pair{all, scopes.empty() ? std::string() : scopes.front()};
  };
  const auto submit_with_key = [&](std::uint16_t port) {
    const json body = {{"workflow", "community_replies"},
                       {"channel", "linkedin"},
                       {"agent", "social-agent-3"},
                       {"confidence", 0.62},
                       {"output", "Thanks, see you at the meetup!"}};
    std::string raw =
        "POST /v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer " +
        std::string(kAgentToken) + "\r\nIdempotency-Key: meetup-1\r\nContent-Type: application/json\r\n" +
        "Content-Length: " + std::to_string(body.dump().size()) + "\r\n\r\n" + body.dump();
    const std::string answer = http(port, raw);
    const auto at = answer.find("\r\n\r\n");
    return json::parse(answer.substr(at == std::string::npos ? answer.size() : at + 4), nullptr, false);
  };

  RunningDesk first(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(first.up) << first.process->output_so_far();
  const json created = submit_with_key(first.port);
  ASSERT_TRUE(created.is_object() && created.contains("escalation")) << created.dump();
  const std::string id = created["escalation"]["id"];
  first.process->signal(SIGTERM);
  ASSERT_EQ(first.process->wait(20s).exit_code, 0);
  // What the store keeps of the token is keyed: the file does not confirm a guessed token.
  const auto [keyed, scope] = stored_scopes_keyed("");
  ASSERT_TRUE(keyed) << scope;

  // As a store written by an earlier desk: the plain digest.
  SQLite::Database(database.string(), SQLite::OPEN_READWRITE)
      .exec("UPDATE submissions SET idempotency_scope = '" + plain + "'");
  RunningDesk second(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(second.up) << second.process->output_so_far();
  EXPECT_NE(second.process->output_so_far().find("intake.scopes_keyed"), std::string::npos)
      << second.process->output_so_far();
  // The agent still owns what it submitted, and its Idempotency-Key still answers the first escalation.
  EXPECT_EQ(intake_request(second.port, "GET", "/v1/escalations/" + id, kAgentToken).status, 200);
  const json again = submit_with_key(second.port);
  EXPECT_EQ(again.value("escalation", json::object()).value("id", ""), id) << again.dump();
  second.process->signal(SIGTERM);
  const auto stopped = second.process->wait(20s);
  ASSERT_EQ(stopped.exit_code, 0);
  EXPECT_TRUE(stored_scopes_keyed(scope).first) << "the same keyed scope as the first desk wrote";
  EXPECT_EQ(stopped.output.find(kAgentToken), std::string::npos);
  EXPECT_EQ(stopped.output.find(plain), std::string::npos);
}

/// The lines of /metrics for the work the store records (not the process's own families).
std::vector<std::string> work_figures(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    for (const char* family : {"desk_submissions_total", "desk_escalations_opened_total", "desk_escalations{",
                               "desk_pings_total", "desk_breaches_total", "desk_hits_total", "desk_time_to_respond"})
      if (line.rfind(family, 0) == 0) out.push_back(line);
  return out;
}

/// `promtool check metrics` on `text`: "" when it passes, else what it said. Debian's promtool, which
/// scripts/install-deps.sh --tests takes out of the prometheus package (DESK_PROMTOOL).
std::string promtool_problems(const std::filesystem::path& dir, const std::string& text) {
#ifdef DESK_PROMTOOL
  const auto input = dir / "metrics.txt";
  const auto output = dir / "promtool.txt";
  std::ofstream(input) << text;
  const std::string command =
      std::string(DESK_PROMTOOL) + " check metrics < '" + input.string() + "' > '" + output.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream said(output);
  const std::string what((std::istreambuf_iterator<char>(said)), std::istreambuf_iterator<char>());
  return status == 0 ? std::string() : "promtool exit " + std::to_string(status) + ": " + what;
#else
  (void)dir;
  (void)text;
  return "promtool was not found when the tests were configured: run scripts/install-deps.sh --tests";
#endif
}

TEST(DeskEndToEnd, MetricsOfTheRecordedWorkSurviveARestartAndPassPromtool) {
  TempDir dir("e2e-metrics");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path());
  const auto scrape = [](std::uint16_t port) {
    const std::string raw = http(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const auto at = raw.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : raw.substr(at + 4);
  };

  RunningDesk first(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(first.up) << first.process->output_so_far();
  ASSERT_EQ(submit(first.port, "Thanks, see you at the meetup!").status, 201);
  ASSERT_EQ(submit(first.port, "We will reply on Monday.").status, 201);
  const json approved = {{"workflow", "community_replies"},
                         {"channel", "linkedin"},
                         {"agent", "social-agent-3"},
                         {"confidence", 0.97},
                         {"output", "Thanks for the kind words!"}};
  ASSERT_EQ(intake_request(first.port, "POST", "/v1/submissions", kAgentToken, approved.dump()).status, 200);
  const std::string before = scrape(first.port);
  const auto figures = work_figures(before);
  EXPECT_NE(std::find(figures.begin(), figures.end(), "desk_submissions_total{verdict=\"escalated\"} 2"), figures.end())
      << before;
  EXPECT_NE(std::find(figures.begin(), figures.end(), "desk_submissions_total{verdict=\"approved\"} 1"), figures.end())
      << before;
  EXPECT_NE(std::find(figures.begin(), figures.end(), "desk_escalations{state=\"open\"} 2"), figures.end()) << before;
  EXPECT_NE(std::find(figures.begin(), figures.end(), "desk_escalations_opened_total{owner_role=\"community_lead\"} 2"),
            figures.end())
      << before;
  EXPECT_EQ(promtool_problems(dir.path(), before), "");
  first.process->signal(SIGTERM);
  ASSERT_EQ(first.process->wait(20s).exit_code, 0);

  RunningDesk second(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(second.up) << second.process->output_so_far();
  const std::string after = scrape(second.port);
  EXPECT_EQ(work_figures(after), figures) << after;
  EXPECT_EQ(promtool_problems(dir.path(), after), "");
  second.process->signal(SIGTERM);
  EXPECT_EQ(second.process->wait(20s).exit_code, 0);
}

TEST(DeskEndToEnd, AHandoffIsAnnouncedOnceAcrossKillNineAndTheRotaIsPublishedForEveryone) {
  TempDir dir("e2e-handoff");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path());

  // First life: an escalation is open when the director hands duty to another lead for an hour.
  RunningDesk first(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(first.up) << first.process->output_so_far();
  const auto paid = submit(first.port, "Our new ad copy, ready to go live.", "paid_ads");
  ASSERT_EQ(paid.status, 201) << paid.body.dump();
  const std::string id = paid.body["escalation"]["id"];
  const std::string on_duty = paid.body["escalation"]["owner"]["person"]["slack_user"];
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; })) << first.process->output_so_far();
  EXPECT_TRUE(channel_notices(emulator).empty()) << "a desk starting for the first time has no handoff to tell";
  const std::string stand_in = on_duty == kDutyLeads[0] ? kDutyLeads[1] : kDutyLeads[0];
  const auto override_command =
      emulator.send_slash_command("/rota", "override <@" + stand_in + "> duty_lead 1h", kDana);
  ASSERT_TRUE(wait_for([&] { return emulator.acked(override_command); }));
  ASSERT_TRUE(wait_for([&] { return channel_notices(emulator).size() == 1; })) << first.process->output_so_far();
  const std::string handoff = channel_notices(emulator).front().dump();
  EXPECT_NE(handoff.find("hands over to"), std::string::npos) << handoff;
  EXPECT_NE(handoff.find("<@" + stand_in + ">"), std::string::npos) << "the incoming lead is mentioned: " << handoff;
  EXPECT_NE(handoff.find("covering (override)"), std::string::npos) << handoff;
  EXPECT_NE(handoff.find(id), std::string::npos) << "the open escalation is listed: " << handoff;
  EXPECT_NE(handoff.find("triage by"), std::string::npos) << "with its clocks: " << handoff;
  first.process->signal(SIGKILL);
  first.process->wait(5s);

  // Second life: the handoff is not told again; /rota publish posts the rota for everyone.
  RunningDesk second(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(second.up) << second.process->output_so_far();
  const auto publish = emulator.send_slash_command("/rota", "publish", kErin);
  ASSERT_TRUE(wait_for([&] { return emulator.acked(publish); }));
  ASSERT_TRUE(wait_for([&] { return channel_notices(emulator).size() == 2; })) << second.process->output_so_far();
  const std::string rota = channel_notices(emulator).back().dump();
  EXPECT_NE(rota.find("Who is on duty"), std::string::npos) << rota;
  EXPECT_NE(rota.find("covering (override)"), std::string::npos) << "the override shows: " << rota;
  EXPECT_NE(rota.find("<@" + stand_in + ">"), std::string::npos) << rota;
  std::this_thread::sleep_for(500ms);  // room for a wrong repeat to show up before counting
  EXPECT_EQ(channel_notices(emulator).size(), 2u) << "the handoff is announced once";
  EXPECT_EQ(posts_of(emulator, id).size(), 1u);
  second.process->signal(SIGTERM);
  EXPECT_EQ(second.process->wait(20s).exit_code, 0);
}

TEST(DeskEndToEnd, AReplyInAnEscalationsThreadJoinsItsRecordMasked) {
  TempDir dir("e2e-thread");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path());
  RunningDesk desk(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(desk.up) << desk.process->output_so_far();
  const auto created = submit(desk.port, "Thanks for the kind words, see you at the meetup!");
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const std::string id = created.body["escalation"]["id"];
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; })) << desk.process->output_so_far();
  const std::string thread = posts_of(emulator, id).front()["ts"];

  auto reply = [&](json extra) {
    json event = {{"type", "message"},   {"channel", "C0DESK"},
                  {"user", kErin},       {"ts", "1799999999.000100"},
                  {"thread_ts", thread}, {"text", "Asked Jo (jo.bloggs@example.com): the meetup is real."}};
    for (auto& [k, v] : extra.items()) event[k] = v;
    return emulator.send_event(event);
  };
  // Ignored: the desk's own message, an edit, a reply in a thread that is no escalation's, and ids
  // that are not Slack's.
  for (const json& ignored : {json{{"bot_id", "B0DESK"}, {"ts", "1799999999.000001"}},
                              json{{"subtype", "message_changed"}, {"ts", "1799999999.000002"}},
                              json{{"thread_ts", "1700000000.000009"}, {"ts", "1799999999.000003"}},
                              json{{"user", "<script>"}, {"ts", "1799999999.000004"}}, json{{"ts", "not a ts"}}}) {
    const auto envelope = reply(ignored);
    ASSERT_TRUE(wait_for([&] { return emulator.acked(envelope); }));
  }
  const auto person = reply(json::object());
  ASSERT_TRUE(wait_for([&] { return emulator.acked(person); }));

  json entry;
  ASSERT_TRUE(wait_for([&] {
    const auto read = intake_request(desk.port, "GET", "/v1/escalations/" + id, kAgentToken);
    for (const auto& row : read.body.value("timeline", json::array()))
      if (row.value("kind", "") == "thread.reply") entry = row;
    return !entry.is_null();
  })) << desk.process->output_so_far();
  EXPECT_EQ(entry["actor"], "erin") << entry.dump();
  EXPECT_EQ(entry["fields"]["message_id"], "1799999999.000100");
  const std::string text = entry["fields"]["reply_text"];
  EXPECT_NE(text.find("the meetup is real"), std::string::npos) << text;
  EXPECT_EQ(text.find("jo.bloggs@example.com"), std::string::npos) << "masked like evidence: " << text;
  std::this_thread::sleep_for(300ms);
  const auto read = intake_request(desk.port, "GET", "/v1/escalations/" + id, kAgentToken);
  EXPECT_EQ(count(timeline_kinds(read.body), "thread.reply"), 1u) << read.body["timeline"].dump();
  desk.process->signal(SIGTERM);
  EXPECT_EQ(desk.process->wait(20s).exit_code, 0);
}

/// The desk's answers in the thread of the channel message `thread_ts` (the hotline's).
std::vector<json> hotline_answers(const emu::SlackEmulator& emulator, const std::string& thread_ts) {
  std::vector<json> out;
  for (const auto& m : emulator.messages("C0DESK"))
    if (m.value("thread_ts", "") == thread_ts &&
        m.value("metadata", json::object()).value("event_payload", json::object()).value("reply", "") == "hotline")
      out.push_back(m);
  return out;
}

std::string answered_escalation(const json& answer) {
  return answer["metadata"]["event_payload"].value("escalation_id", "");
}

TEST(DeskEndToEnd, AMentionInTheChannelBecomesOneEscalationAnsweredInItsThread) {
  TempDir dir("e2e-hotline");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path());
  std::string text =
      "<!subteam^S0DESK|@ai-escalation> is this OK? The post says we are the cheapest in town, "
      "call jo.bloggs@example.com";
  std::string ts, id;
  {
    RunningDesk desk(emulator, config, emulator.hellos_sent());
    ASSERT_TRUE(desk.up) << desk.process->output_so_far();
    ASSERT_TRUE(wait_for([&] {
      return intake_request(desk.port, "GET", "/healthz", "").body.dump().find("\"resolved\"") != std::string::npos;
    })) << desk.process->output_so_far();
    emulator.with_workspace([&](emu::WorkspaceModel& w) { ts = w.add_user_message("C0DESK", kErin, text); });
    const json message = {{"type", "message"}, {"channel", "C0DESK"}, {"channel_type", "channel"}, {"user", kErin},
                          {"ts", ts},          {"text", text}};
    json mention = message;
    mention["type"] = "app_mention";
    // Ignored: the same words from a bot, in another channel, and with ids that are not Slack's.
    json from_bot = message, elsewhere = message, forged = message;
    from_bot["bot_id"] = "B0OTHER";
    from_bot["ts"] = "1799999999.000001";
    elsewhere["channel"] = "C0OTHER";
    forged["user"] = "<!channel>";
    forged["ts"] = "1799999999.000002";
    for (const json& ignored : {from_bot, elsewhere, forged})
      ASSERT_TRUE(wait_for([&, e = emulator.send_event(ignored)] { return emulator.acked(e); }));
    // Slack sends one message as an app_mention and as a message event, and redelivers.
    const auto first = emulator.send_event(mention);
    const auto second = emulator.send_event(message);
    const auto again = emulator.send_event(mention);
    ASSERT_TRUE(wait_for([&] { return emulator.acked(first) && emulator.acked(second) && emulator.acked(again); }));

    ASSERT_TRUE(wait_for([&] { return hotline_answers(emulator, ts).size() == 1; })) << desk.process->output_so_far();
    const json answer = hotline_answers(emulator, ts).front();
    id = answered_escalation(answer);
    ASSERT_FALSE(id.empty()) << answer.dump();
    const std::string said = answer.dump();
    EXPECT_NE(said.find("<@" + std::string(kErin) + ">"), std::string::npos) << "the author is answered: " << said;
    EXPECT_NE(said.find(id), std::string::npos) << said;
    EXPECT_NE(said.find("owned by <@U0"), std::string::npos) << "the owner is named: " << said;
    EXPECT_NE(said.find("https://emulated.slack.com/archives/C0DESK/p"), std::string::npos)
        << "a link to the escalation's post: " << said;
    ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; })) << desk.process->output_so_far();

    const auto read = intake_request(desk.port, "GET", "/v1/escalations/" + id, kAdminToken);
    ASSERT_EQ(read.status, 200) << read.body.dump();
    const std::string record = read.body.dump();
    std::string digits = ts;
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    const std::string post = posts_of(emulator, id).front().dump();
    EXPECT_NE(post.find("https://emulated.slack.com/archives/C0DESK/p" + digits), std::string::npos)
        << "chat.getPermalink's link is the evidence's, shown on the post: " << post;
    EXPECT_EQ(post.find("jo.bloggs@example.com"), std::string::npos) << "masked: " << post;
    EXPECT_NE(record.find("\"paid_ads\""), std::string::npos) << "the hotline workflow: " << record;
    EXPECT_NE(record.find("pricing"), std::string::npos) << "scanned like any draft: " << record;
    EXPECT_EQ(record.find("jo.bloggs@example.com"), std::string::npos) << "masked: " << record;

    // The author edits the message, then deletes it: both join the timeline; an unfurl does not.
    const json before = {{"type", "message"}, {"user", kErin}, {"ts", ts}, {"text", text}};
    json edited = before;
    edited["text"] = text + " (edited: it is in the Tuesday post)";
    const json changed = {
        {"type", "message"}, {"subtype", "message_changed"}, {"channel", "C0DESK"},      {"hidden", true},
        {"message", edited}, {"previous_message", before},   {"ts", "1799999999.000500"}};
    json unfurled = changed;
    unfurled["message"] = edited;
    unfurled["previous_message"] = edited;
    const json deleted = {
        {"type", "message"}, {"subtype", "message_deleted"}, {"channel", "C0DESK"},      {"hidden", true},
        {"deleted_ts", ts},  {"previous_message", edited},   {"ts", "1799999999.000600"}};
    for (const json& event : {changed, unfurled, deleted})
      ASSERT_TRUE(wait_for([&, e = emulator.send_event(event)] { return emulator.acked(e); }));
    json timeline;
    ASSERT_TRUE(wait_for([&] {
      timeline = intake_request(desk.port, "GET", "/v1/escalations/" + id, kAdminToken).body;
      return count(timeline_kinds(timeline), "hotline.source_deleted") == 1;
    })) << desk.process->output_so_far();
    EXPECT_EQ(count(timeline_kinds(timeline), "hotline.source_edited"), 1u) << timeline["timeline"].dump();
    EXPECT_NE(timeline.dump().find("it is in the Tuesday post"), std::string::npos) << timeline["timeline"].dump();

    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(hotline_answers(emulator, ts).size(), 1u) << "one escalation, answered once";
    desk.process->signal(SIGKILL);
    desk.process->wait(20s);
  }
  // A message recorded before a crash, its escalation not yet opened: the next start opens it.
  std::string pending;
  emulator.with_workspace([&](emu::WorkspaceModel& w) {
    pending = w.add_user_message("C0DESK", kJo, "<@U0BOT> please look at the guaranteed-results ad");
  });
  {
    SQLite::Database db((dir.path() / "escalation-desk.db").string(), SQLite::OPEN_READWRITE);
    SQLite::Statement q(db,
                        "INSERT INTO hotline_messages (surface, channel, message_id, thread_id, author, text, "
                        "received_at) VALUES ('slack', 'C0DESK', ?, ?, ?, ?, strftime('%s','now'))");
    q.bind(1, pending);
    q.bind(2, pending);
    q.bind(3, kJo);
    q.bind(4, "<@U0BOT> please look at the guaranteed-results ad");
    q.exec();
  }
  RunningDesk desk(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(desk.up) << desk.process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return hotline_answers(emulator, pending).size() == 1; }))
      << desk.process->output_so_far();
  const std::string reopened = answered_escalation(hotline_answers(emulator, pending).front());
  EXPECT_NE(reopened, id);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(hotline_answers(emulator, ts).size(), 1u) << "the first message is not escalated again";
  EXPECT_EQ(posts_of(emulator, id).size(), 1u);
  desk.process->signal(SIGTERM);
  EXPECT_EQ(desk.process->wait(20s).exit_code, 0);
}

TEST(DeskEndToEnd, SilenceBringsTheBackupPingOnceAcrossKillNine) {
  TempDir dir("e2e-silence");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path(), {{"backup_ping: 3m", "backup_ping: 3s"}, {"triage: 5m", "triage: 6s"}});

  // First life: the escalation is posted, then the desk dies hard before the backup-ping deadline.
  RunningDesk first(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(first.up) << first.process->output_so_far();
  const auto created = submit(first.port, "Thanks, see you at the meetup!");
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const std::string id = created.body["escalation"]["id"];
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; })) << first.process->output_so_far();
  first.process->signal(SIGKILL);
  EXPECT_NE(first.process->wait(5s).exit_code, 0);
  EXPECT_TRUE(replies_of(emulator, id, "backup_ping").empty()) << "the ping is not due yet";

  // The deadline passes while no desk runs.
  std::this_thread::sleep_for(3500ms);

  // Second life: the overdue ping fires at start, in the thread and as direct messages to the backup
  // and the director; then this desk dies hard too.
  RunningDesk second(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(second.up) << second.process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return replies_of(emulator, id, "backup_ping").size() == 1; }))
      << second.process->output_so_far();
  const json ping = replies_of(emulator, id, "backup_ping").front();
  EXPECT_NE(ping.dump().find(std::string("<@") + kDana + ">"), std::string::npos) << ping.dump();
  ASSERT_TRUE(wait_for([&] { return emulator.messages(emu::WorkspaceModel::dm_channel(kDana)).size() == 1; }))
      << second.process->output_so_far();
  second.process->signal(SIGKILL);
  second.process->wait(5s);

  // Third life: nothing is repeated; the triage breach still comes, once.
  RunningDesk third(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(third.up) << third.process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return replies_of(emulator, id, "triage_breach").size() == 1; }, 20s))
      << third.process->output_so_far();
  std::this_thread::sleep_for(500ms);  // room for a wrong repeat to show up before counting

  EXPECT_EQ(posts_of(emulator, id).size(), 1u) << "the post is not repeated";
  EXPECT_EQ(replies_of(emulator, id, "backup_ping").size(), 1u) << "the ping fires once";
  EXPECT_EQ(replies_of(emulator, id, "triage_breach").size(), 1u);
  EXPECT_EQ(emulator.messages(emu::WorkspaceModel::dm_channel(kDana)).size(), 1u);
  const auto read = intake_request(third.port, "GET", "/v1/escalations/" + id, kAgentToken);
  ASSERT_EQ(read.status, 200) << read.head;
  EXPECT_EQ(read.body["status"], "open") << read.body.dump();
  EXPECT_TRUE(read.body.contains("backup_pinged")) << read.body.dump();
  EXPECT_EQ(read.body["backup_pinged"]["director"]["id"], "dana") << read.body.dump();
  const auto kinds = timeline_kinds(read.body);
  EXPECT_EQ(count(kinds, "escalation.opened"), 1u) << read.body["timeline"].dump();
  EXPECT_EQ(count(kinds, "sla.backup_pinged"), 1u) << read.body["timeline"].dump();
  EXPECT_EQ(count(kinds, "sla.triage_breached"), 1u) << read.body["timeline"].dump();

  // The backup named in the ping may act now, as the ping says.
  const std::string backup_slack = read.body["backup_pinged"]["backup"].value("slack_user", "");
  if (!backup_slack.empty()) {
    const auto dms = emulator.messages(emu::WorkspaceModel::dm_channel(backup_slack));
    EXPECT_EQ(dms.size(), 1u) << "the backup gets one direct message";
  }

  third.process->signal(SIGTERM);
  EXPECT_EQ(third.process->wait(10s).exit_code, 0);
}

TEST(DeskEndToEnd, ADecisionTakenInSlackIsAnnouncedInTeamsToo) {
  TempDir dir("e2e-slack-teams");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  emu::TeamsWebhook webhook(pki());
  RunningDesk desk(emulator, write_config(dir.path()), 0, {{"TEAMS_WEBHOOK_URL", webhook.url()}});
  ASSERT_TRUE(desk.up) << desk.process->output_so_far();
  const auto health = intake_request(desk.port, "GET", "/healthz", "").body;
  EXPECT_TRUE(health.contains("slack") && health.contains("teams_alerts")) << health.dump();

  const auto created = submit(desk.port, "Thanks for the kind words, see you at the meetup!");
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const std::string id = created.body["escalation"]["id"];
  ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1; })) << desk.process->output_so_far();
  const auto opened = [&] {
    std::size_t n = 0;
    for (const auto& c : webhook.cards()) n += c["body"][0].value("text", "").rfind("Escalation " + id, 0) == 0;
    return n;
  };
  ASSERT_TRUE(wait_for([&] { return opened() == 1; })) << desk.process->output_so_far();

  std::string trigger;
  click(emulator, posts_of(emulator, id).front(), "Accept", kErin, &trigger);
  ASSERT_TRUE(wait_for([&] { return !calls_with(emulator, "views.open", trigger).empty(); }))
      << desk.process->output_so_far();
  const std::string metadata = calls_with(emulator, "views.open", trigger).front().args["view"]["private_metadata"];
  const std::string rationale = "Friendly, no claims; fine to publish as written.";
  emulator.send_interactive(emu::view_submission_payload("desk.rationale", metadata, "rationale", "rationale_input",
                                                         rationale, kErin, emulator.issue_trigger_id()));
  json decided;
  ASSERT_TRUE(wait_for([&] {
    for (const auto& c : webhook.cards())
      if (c["body"][0].value("text", "") == id + " accepted") decided = c;
    return decided.is_object();
  })) << desk.process->output_so_far();
  const std::string shown = decided.dump();
  EXPECT_NE(shown.find("Erin Walsh"), std::string::npos) << shown;
  EXPECT_NE(shown.find(rationale), std::string::npos) << shown;
  EXPECT_EQ(shown.find("<@"), std::string::npos) << "no Slack syntax in Teams: " << shown;
  EXPECT_EQ(opened(), 1u) << "the post's update after the decision is not a second Teams card";
  for (const auto& p : webhook.posts()) EXPECT_TRUE(p.problem.empty()) << p.problem;
}

/// True once the Slack post of `id` shows the decision (only the Post-mortem button left) with `rationale`.
bool slack_post_decided(const emu::SlackEmulator& emulator, const std::string& id, const std::string& rationale) {
  const auto now = posts_of(emulator, id);
  return now.size() == 1 && buttons_of(now.front()).labelled("Accept") == nullptr &&
         buttons_of(now.front()).labelled("Post-mortem") != nullptr &&
         now.front().dump().find(rationale) != std::string::npos;
}

TEST(DeskEndToEnd, OnSlackAndTeamsAtOnceADecisionTakenInEitherUpdatesTheOther) {
  using namespace teams_bot_bed;
  TempDir dir("e2e-slack-teams-bot");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  emu::TeamsBotEmulator teams(pki());
  const std::string channel = teams.options().channel_id;
  const auto config = write_config(dir.path(), teams_people_edits());
  append_teams_section(config, teams);
  RunningDesk desk(emulator, config, 0, teams_env(teams));
  ASSERT_TRUE(desk.up) << desk.process->output_so_far();
  std::uint16_t bot = 0;
  ASSERT_TRUE(wait_for([&] { return (bot = teams_port(*desk.process)) != 0; })) << desk.process->output_so_far();
  const auto health = intake_request(desk.port, "GET", "/healthz", "").body;
  EXPECT_TRUE(health.contains("slack")) << health.dump();
  EXPECT_NE(health.dump().find("teams_bot"), std::string::npos) << health.dump();

  // Each escalation is posted once on each surface.
  const auto first = submit(desk.port, "Thanks for the kind words, see you at the meetup!");
  const auto second = submit(desk.port, "Glad the workshop helped; the slides are on the community page.");
  ASSERT_EQ(first.status, 201) << first.body.dump();
  ASSERT_EQ(second.status, 201) << second.body.dump();
  const std::string in_teams = first.body["escalation"]["id"], in_slack = second.body["escalation"]["id"];
  for (const auto& id : {in_teams, in_slack}) {
    ASSERT_TRUE(wait_for([&] { return posts_of(emulator, id).size() == 1 && cards_of(teams, id).size() == 1; }))
        << id << "\n"
        << desk.process->output_so_far();
    EXPECT_EQ(verbs(cards_of(teams, id).front().cards().at(0)).size(), 3u);
  }

  // Erin decides the first in Teams: the answered card, then the Slack post loses its buttons and
  // shows the decision, and both threads say so once.
  const std::string teams_rationale = "Friendly, no claims; decided from Teams.";
  const json data_first = {{"escalation_id", in_teams}, {"generation", 0}};
  const auto answered =
      teams.post_activity(messages_url(bot), teams.card_action(kErinInTeams, cards_of(teams, in_teams).front().id,
                                                               "accept", data_first, {{"rationale", teams_rationale}}));
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_TRUE(verbs(answered.json()["value"]).empty()) << answered.body;
  ASSERT_TRUE(wait_for([&] { return slack_post_decided(emulator, in_teams, teams_rationale); }))
      << posts_of(emulator, in_teams).front().dump() << desk.process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return replies_of(emulator, in_teams, "decision").size() == 1; }))
      << desk.process->output_so_far();
  EXPECT_NE(replies_of(emulator, in_teams, "decision").front().dump().find(teams_rationale), std::string::npos);

  // Erin decides the second in Slack: the Teams card is updated in place for everyone, and its
  // thread gets the decision.
  const std::string slack_rationale = "Friendly, no claims; decided from Slack.";
  std::string trigger;
  click(emulator, posts_of(emulator, in_slack).front(), "Accept", kErin, &trigger);
  ASSERT_TRUE(wait_for([&] { return !calls_with(emulator, "views.open", trigger).empty(); }))
      << desk.process->output_so_far();
  submit_rationale(emulator, trigger, kErin, slack_rationale);
  const std::string card_id = cards_of(teams, in_slack).front().id;
  ASSERT_TRUE(wait_for([&] {
    const auto now = teams.activity(channel, card_id);
    return now && now->history.size() >= 2 && verbs(now->cards().at(0)).empty() &&
           now->content.dump().find(slack_rationale) != std::string::npos;
  })) << desk.process->output_so_far();
  const auto decision_replies = [&](const std::string& id, const std::string& card) {
    std::size_t n = 0;
    for (const auto& r : teams.replies(channel, card))
      n += r.content.dump().find(id + " accepted") != std::string::npos;
    return n;
  };
  ASSERT_TRUE(wait_for([&] { return decision_replies(in_slack, card_id) == 1; })) << desk.process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return slack_post_decided(emulator, in_slack, slack_rationale); }))
      << desk.process->output_so_far();

  // A late click in Teams on what Slack decided is told who decided, and changes nothing.
  const auto late =
      teams.post_activity(messages_url(bot), teams.card_action(kErinInTeams, card_id, "reject",
                                                               {{"escalation_id", in_slack}, {"generation", 0}},
                                                               {{"rationale", "Changed my mind about this one."}}));
  ASSERT_EQ(late.status, 200) << late.body;
  EXPECT_NE(late.body.find("lready decided by Erin Walsh"), std::string::npos) << late.body;
  for (const auto& [id, rationale] : {std::pair{in_teams, teams_rationale}, std::pair{in_slack, slack_rationale}}) {
    const auto read = intake_request(desk.port, "GET", "/v1/escalations/" + id, kAgentToken).body;
    EXPECT_EQ(read.value("status", ""), "accepted") << read.dump();
    EXPECT_EQ(read["decision"].value("rationale", ""), rationale) << read.dump();
    EXPECT_EQ(read["decision"]["by"].value("id", ""), "erin") << read.dump();
  }

  // Nothing was said twice on either surface; every card parsed as Adaptive Card 1.5; no secret logged.
  // (The Teams thread of the first may still be catching up: its rows go out in order behind the
  // card's first post, whose answer can arrive after all of the above.)
  const std::string first_card = cards_of(teams, in_teams).front().id;
  ASSERT_TRUE(wait_for([&] { return decision_replies(in_teams, first_card) >= 1; })) << desk.process->output_so_far();
  EXPECT_EQ(decision_replies(in_teams, first_card), 1u);
  EXPECT_EQ(replies_of(emulator, in_slack, "decision").size(), 1u);
  for (const auto& id : {in_teams, in_slack}) {
    EXPECT_EQ(posts_of(emulator, id).size(), 1u);
    EXPECT_EQ(cards_of(teams, id).size(), 1u);
  }
  EXPECT_TRUE(teams.card_problems().empty()) << teams.card_problems().front();
  const std::string log = desk.process->output_so_far();
  expect_no_secrets(log, emu::WorkspaceOptions{});
  EXPECT_EQ(log.find(teams.options().app_password), std::string::npos);
  for (const auto& token : teams.access_tokens()) EXPECT_EQ(log.find(token), std::string::npos);
  desk.process->signal(SIGTERM);
  EXPECT_EQ(desk.process->wait(20s).exit_code, 0);
}

/// libfaketime (Debian package faketime): the desk runs at a chosen date, its clock ticking from there.
constexpr const char* kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/// The environment that starts the desk's clock at `t` (UTC); the desk is otherwise the shipped binary.
std::map<std::string, std::string> clock_at(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "@%Y-%m-%d %H:%M:%S", &utc);
  // Timers keep the real monotonic clock; a sanitized build lets the preload come first.
  return {{"LD_PRELOAD", kFaketime},
          {"FAKETIME", text},
          {"FAKETIME_DONT_FAKE_MONOTONIC", "1"},
          {"ASAN_OPTIONS", "verify_asan_link_order=0"}};
}

/// The digests among the channel's notices.
std::vector<json> digests_in(const emu::SlackEmulator& emulator) {
  std::vector<json> out;
  for (const auto& m : channel_notices(emulator))
    if (m.value("text", "").find("Weekly digest") != std::string::npos) out.push_back(m);
  return out;
}

/// Width and height from a PNG's IHDR; {0, 0} when `png` is not one.
std::pair<std::uint32_t, std::uint32_t> png_size(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) != 0 || png.compare(12, 4, "IHDR") != 0)
    return {0, 0};
  const auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

TEST(DeskEndToEnd, TheWeeklyDigestIsPostedWithItsRunChartOncePerWeekAcrossRestarts) {
  ASSERT_TRUE(std::filesystem::exists(kFaketime)) << "scripts/install-deps.sh --tests installs faketime";
  TempDir dir("e2e-digest");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  emu::TeamsWebhook webhook(pki());
  const auto config = write_config(dir.path(), {{"weekly_digest: at_handoff", "weekly_digest: monday 09:00"}});
  using std::chrono::days;
  const auto today = std::chrono::floor<days>(std::chrono::system_clock::now());
  const auto monday = today - days{(std::chrono::weekday{today}.iso_encoding() - 1)};
  auto life = [&](std::chrono::system_clock::time_point at) {
    auto env = clock_at(at);
    env["TEAMS_WEBHOOK_URL"] = webhook.url();
    return std::make_unique<RunningDesk>(emulator, config, emulator.hellos_sent(), env);
  };

  // Last week: the desk's first work.
  auto first = life(monday - days{5} + 10h);
  ASSERT_TRUE(first->up) << first->process->output_so_far();
  const auto paid = submit(first->port, "Our new ad copy, ready to go live.", "paid_ads");
  ASSERT_EQ(paid.status, 201) << paid.body.dump();
  ASSERT_TRUE(wait_for([&] { return !posts_of(emulator, paid.body["escalation"]["id"]).empty(); }))
      << first->process->output_so_far();
  EXPECT_TRUE(digests_in(emulator).empty()) << "a new desk has no last week to tell";
  first->process->signal(SIGTERM);
  ASSERT_EQ(first->process->wait(20s).exit_code, 0);

  // This Monday after 09:00: last week's digest, its text, then its chart shared in the channel.
  auto second = life(monday + 10h);
  ASSERT_TRUE(second->up) << second->process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return emulator.files().size() == 1 && emulator.files()[0].completed; }, 20s))
      << second->process->output_so_far();
  ASSERT_EQ(digests_in(emulator).size(), 1u);
  const std::string text = digests_in(emulator).front().dump();
  EXPECT_NE(text.find("1 escalations opened"), std::string::npos) << text;
  const auto chart = emulator.files()[0];
  EXPECT_EQ(chart.shared_in, std::vector<std::string>{"C0DESK"});
  EXPECT_TRUE(chart.name.starts_with("run-chart-") && chart.name.ends_with(".png")) << chart.name;
  EXPECT_EQ(png_size(chart.bytes), (std::pair<std::uint32_t, std::uint32_t>{760, 380}));
  EXPECT_NE(chart.title.find("mean time to respond"), std::string::npos) << chart.title;
  for (const auto& call : emulator.calls()) {
    if (call.method == "upload") { EXPECT_EQ(call.auth, "none") << "no token goes to an upload URL"; }
  }
  const auto channel = emulator.messages("C0DESK");
  EXPECT_TRUE(std::any_of(channel.begin(), channel.end(), [](const json& m) { return m.contains("files"); }))
      << "the chart is a message in the channel";
  // Teams shows the same chart in the digest's card.
  std::string teams_chart;
  ASSERT_TRUE(wait_for([&] {
    for (const auto& c : webhook.cards())
      if (c["body"][0].value("text", "").starts_with("Weekly digest"))
        for (const auto& block : c["body"])
          if (block.value("type", "") == "Image") teams_chart = block.value("url", "");
    return !teams_chart.empty();
  })) << second->process->output_so_far();
  EXPECT_EQ(teams_chart, "data:image/png;base64," + core::base64_encode(chart.bytes));
  second->process->signal(SIGKILL);
  second->process->wait(5s);

  // Later the same week, after kill -9: nothing is told again.
  auto third = life(monday + days{1} + 10h);
  ASSERT_TRUE(third->up) << third->process->output_so_far();
  std::this_thread::sleep_for(1s);  // room for a wrong repeat to show up before counting
  EXPECT_EQ(digests_in(emulator).size(), 1u) << third->process->output_so_far();
  EXPECT_EQ(emulator.files().size(), 1u);
  third->process->signal(SIGTERM);
  ASSERT_EQ(third->process->wait(20s).exit_code, 0);

  // Next Monday: this week's digest, with its own chart.
  auto fourth = life(monday + days{7} + 10h);
  ASSERT_TRUE(fourth->up) << fourth->process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return emulator.files().size() == 2 && emulator.files()[1].completed; }, 20s))
      << fourth->process->output_so_far();
  EXPECT_EQ(digests_in(emulator).size(), 2u);
  EXPECT_NE(emulator.files()[1].name, chart.name);
  expect_no_secrets(fourth->process->output_so_far(), emu::WorkspaceOptions{});
  fourth->process->signal(SIGTERM);
  EXPECT_EQ(fourth->process->wait(20s).exit_code, 0);
}

}  // namespace

namespace pinned_sop_e2e {

/// The example config with `desk.sop` set to the example's link and `text`.
std::vector<std::pair<std::string, std::string>> with_sop(const std::string& text) {
  return {{"  # sop:\n  #   url: https://wiki.example.com/escalation-desk-sop\n",
           "  sop:\n    url: https://wiki.example.com/escalation-desk-sop\n    text: " + text + "\n"}};
}

/// The SOP's copies posted in the desk channel, oldest first.
std::vector<json> sop_posts(const emu::SlackEmulator& emulator) {
  std::vector<json> out;
  for (const auto& m : emulator.messages("C0DESK"))
    if (!m.contains("thread_ts") && m.value("metadata", json::object()).value("event_type", "") == "desk_pinned_notice")
      out.push_back(m);
  return out;
}

std::vector<std::string> pinned(emu::SlackEmulator& emulator) {
  std::vector<std::string> ts;
  emulator.with_workspace([&](emu::WorkspaceModel& w) { ts = w.pinned("C0DESK"); });
  return ts;
}

/// What /healthz says of the desk's pins.
std::string pins_health(std::uint16_t port) {
  const auto answer = intake_request(port, "GET", "/healthz", "");
  return answer.body.is_object() ? answer.body.value("workers", json::object()).value("slack_pins", "") : "";
}

TEST(DeskEndToEnd, TheSopIsPinnedOnceAcrossKillNineAndARevisedOneReplacesThePinnedCopy) {
  TempDir dir("e2e-sop");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  const auto config = write_config(dir.path(), with_sop("Respond first, then decide with a written rationale."));

  RunningDesk first(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(first.up) << first.process->output_so_far();
  ASSERT_TRUE(wait_for([&] { return sop_posts(emulator).size() == 1 && pinned(emulator).size() == 1; }))
      << first.process->output_so_far();
  const std::string first_ts = sop_posts(emulator)[0]["ts"];
  EXPECT_EQ(pinned(emulator), std::vector<std::string>{first_ts});
  const std::string shown = sop_posts(emulator)[0].dump();
  EXPECT_NE(shown.find("Respond first, then decide"), std::string::npos) << shown;
  EXPECT_NE(shown.find("https://wiki.example.com/escalation-desk-sop"), std::string::npos) << shown;
  EXPECT_EQ(pins_health(first.port), "ok");
  first.process->signal(SIGKILL);
  first.process->wait(5s);

  // Second life on the same SOP: it is neither posted nor pinned again.
  RunningDesk second(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(second.up) << second.process->output_so_far();
  std::this_thread::sleep_for(1s);  // the notifier's pass at start would have posted it by now
  EXPECT_EQ(sop_posts(emulator).size(), 1u) << second.process->output_so_far();
  EXPECT_EQ(emulator.count_calls("pins.add"), 1u);
  second.process->signal(SIGKILL);
  second.process->wait(5s);

  // Third life on a revised SOP: the new copy is posted and pinned, the old one unpinned.
  write_config(dir.path(), with_sop("Revised, legal decides what sits with legal."));
  RunningDesk third(emulator, config, emulator.hellos_sent());
  ASSERT_TRUE(third.up) << third.process->output_so_far();
  ASSERT_TRUE(wait_for([&] {
    return sop_posts(emulator).size() == 2 && pinned(emulator).size() == 1 && pinned(emulator)[0] != first_ts;
  })) << third.process->output_so_far();
  const std::string second_ts = sop_posts(emulator)[1]["ts"];
  EXPECT_EQ(pinned(emulator), std::vector<std::string>{second_ts});
  EXPECT_NE(sop_posts(emulator)[1].dump().find("Revised, legal decides"), std::string::npos);
  EXPECT_EQ(calls_with(emulator, "pins.remove", first_ts).size(), 1u);
  third.process->signal(SIGTERM);
  const auto result = third.process->wait(20s);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(sop_posts(emulator).size(), 2u);
}

TEST(DeskEndToEnd, WithoutThePinsScopeTheSopIsPostedAndTheAdminIsToldOnceWhatToDo) {
  TempDir dir("e2e-sop-scope");
  emu::SlackEmulator emulator(pki());
  add_example_people(emulator);
  emulator.with_workspace([](emu::WorkspaceModel& w) { w.withhold_scope("pins:write"); });
  RunningDesk desk(emulator, write_config(dir.path(), with_sop("Respond first, then decide.")), emulator.hellos_sent());
  ASSERT_TRUE(desk.up) << desk.process->output_so_far();
  ASSERT_TRUE(wait_for([&] {
    return sop_posts(emulator).size() == 1 &&
           desk.process->output_so_far().find("slack.pins_refused") != std::string::npos;
  })) << desk.process->output_so_far();
  EXPECT_TRUE(pinned(emulator).empty());
  const auto health = intake_request(desk.port, "GET", "/healthz", "");
  EXPECT_EQ(health.status, 200) << "not pinning is no reason to restart the desk: " << health.body.dump();
  ASSERT_TRUE(health.body.is_object());
  const std::string told = health.body.value("workers", json::object()).value("slack_pins", "");
  EXPECT_NE(told.find("missing_scope"), std::string::npos) << told;
  EXPECT_NE(told.find("pins:write"), std::string::npos) << told;
  EXPECT_NE(told.find("reinstall"), std::string::npos) << told;
  EXPECT_EQ(health.body.value("outbox", json::object()).value("failed", -1), 0) << "the post itself was delivered";
  std::this_thread::sleep_for(500ms);  // room for a wrong retry to show up before counting
  EXPECT_EQ(emulator.count_calls("pins.add"), 1u) << "a refusal is not retried";
  EXPECT_EQ(sop_posts(emulator).size(), 1u);

  desk.process->signal(SIGTERM);
  const auto result = desk.process->wait(20s);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const auto logged = result.output.find("event=slack.pins_refused");
  ASSERT_NE(logged, std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("event=slack.pins_refused", logged + 1), std::string::npos)
      << "said once: " << result.output;
  EXPECT_NE(result.output.find("pins:write", logged), std::string::npos) << result.output;
  expect_no_secrets(result.output, emu::WorkspaceOptions{});
}

}  // namespace pinned_sop_e2e
}  // namespace desk::integration
