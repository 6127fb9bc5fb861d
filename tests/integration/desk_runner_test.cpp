// The shipped escalation-desk binary as a child process against the emulator. Start-up checks exit 2
// with a clear message and no token in the output; a healthy desk connects, answers, stays up through
// a refresh and exits 0 on SIGTERM after closing its socket properly.
#include "tests/integration/desk_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace desk::integration {
namespace {

TEST(DeskProcess, ConnectsAnswersSurvivesARefreshAndExitsZeroOnSigterm) {
  const desk::testing::TempDir dir("runner");
  emu::SlackEmulator emulator(pki());
  emu::WorkspaceOptions ws;
  DeskProcess desk(desk_env(emulator, ws), run_desk_args(dir.path()));
  ASSERT_TRUE(wait_for([&] { return emulator.hellos_sent() == 1; }));
  EXPECT_EQ(emulator.count_calls("auth.test"), 1u);

  auto command = emulator.send_slash_command("/rota", "");
  ASSERT_TRUE(wait_for([&] { return emulator.acked(command); }));
  auto acks = emulator.acks();
  ASSERT_FALSE(acks.empty());
  EXPECT_EQ(acks.back().payload["response_type"], "ephemeral");
  EXPECT_NE(acks.back().payload.dump().find("Dana Ruiz"), std::string::npos) << acks.back().payload.dump();

  emulator.send_disconnect("refresh_requested");
  ASSERT_TRUE(wait_for([&] { return emulator.hellos_sent() == 2 && emulator.open_sockets() == 1; }));
  auto event = emulator.send_event(sample_message(1));
  ASSERT_TRUE(wait_for([&] { return emulator.acked(event); }));

  desk.signal(SIGTERM);
  auto result = desk.wait(10s);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(wait_for([&] { return emulator.open_sockets() == 0; }));
  EXPECT_GE(emulator.close_frames_received(), 2u);  // the refreshed socket and the last one
  expect_no_secrets(result.output, ws);
}

TEST(DeskProcess, MissingAppTokenExitsTwoAndSaysWhereToGetIt) {
  const desk::testing::TempDir dir("runner");
  emu::SlackEmulator emulator(pki());
  emu::WorkspaceOptions ws;
  auto env = desk_env(emulator, ws);
  env.erase("SLACK_APP_TOKEN");
  DeskProcess desk(env, run_desk_args(dir.path()));
  auto result = desk.wait(10s);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("SLACK_APP_TOKEN is not set"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("App-Level Tokens"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("connections:write"), std::string::npos) << result.output;
  EXPECT_TRUE(emulator.calls().empty());
  expect_no_secrets(result.output, ws);
}

TEST(DeskProcess, NoSurfaceEnabledRefusesToStartAndNamesWhatToSet) {
  const desk::testing::TempDir dir("runner");
  DeskProcess desk(
      {{"DESK_LOG_LEVEL", "info"}, {"DESK_INTAKE_TOKENS", "agent-token-abcdef"}, {"DESK_AUDIT_KEY", kTestAuditKey}},
      run_desk_args(dir.path()));
  auto result = desk.wait(10s);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("no surface is enabled"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("SLACK_APP_TOKEN"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("SLACK_BOT_TOKEN"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("intake.listening"), std::string::npos) << "refused before taking any work";
  EXPECT_EQ(result.output.find("agent-token-abcdef"), std::string::npos) << result.output;
}

TEST(DeskProcess, TokenWithTheWrongPrefixExitsTwoWithoutEchoingIt) {
  const desk::testing::TempDir dir("runner");
  emu::SlackEmulator emulator(pki());
  emu::WorkspaceOptions ws;
  auto env = desk_env(emulator, ws);
  env["SLACK_APP_TOKEN"] = ws.bot_token;  // a bot token pasted into the app-token slot
  DeskProcess desk(env, run_desk_args(dir.path()));
  auto result = desk.wait(10s);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("must start with xapp-"), std::string::npos) << result.output;
  EXPECT_TRUE(emulator.calls().empty());
  expect_no_secrets(result.output, ws);
}

TEST(DeskProcess, BotTokenRefusedByAuthTestExitsTwo) {
  const desk::testing::TempDir dir("runner");
  emu::SlackEmulator emulator(pki());
  emu::WorkspaceOptions ws;
  auto env = desk_env(emulator, ws);
  env["SLACK_BOT_TOKEN"] = "xoxb-1111-2222-revokedtokenvalue";
  DeskProcess desk(env, run_desk_args(dir.path()));
  auto result = desk.wait(10s);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("invalid_auth"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Bot User OAuth Token"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("revokedtokenvalue"), std::string::npos) << result.output;
  expect_no_secrets(result.output, ws);
}

TEST(DeskProcess, AppTokenRefusedBySlackExitsTwo) {
  const desk::testing::TempDir dir("runner");
  emu::SlackEmulator emulator(pki());
  emu::WorkspaceOptions ws;
  auto env = desk_env(emulator, ws);
  env["SLACK_APP_TOKEN"] = "xapp-1-A0EMU-9999-revokedapptoken";
  DeskProcess desk(env, run_desk_args(dir.path()));
  auto result = desk.wait(10s);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("App-Level Tokens"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("revokedapptoken"), std::string::npos) << result.output;
}

TEST(DeskProcess, TokenGivenBothWaysExitsTwo) {
  const desk::testing::TempDir dir("runner");
  emu::SlackEmulator emulator(pki());
  emu::WorkspaceOptions ws;
  auto env = desk_env(emulator, ws);
  env["SLACK_BOT_TOKEN_FILE"] = pki().dir() + "/no-such-file";
  DeskProcess desk(env, run_desk_args(dir.path()));
  auto result = desk.wait(10s);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("SLACK_BOT_TOKEN_FILE"), std::string::npos) << result.output;
  expect_no_secrets(result.output, ws);
}

TEST(DeskProcess, UntrustedCertificateIsRefusedAtStart) {
  const desk::testing::TempDir dir("runner");
  emu::EmulatorOptions options;
  options.present_rogue_certificate = true;
  emu::SlackEmulator emulator(pki(), options);
  DeskProcess desk(desk_env(emulator, options.workspace), run_desk_args(dir.path()));
  auto result = desk.wait(20s);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("certificate verify failed"), std::string::npos) << result.output;
  EXPECT_TRUE(emulator.calls().empty());
}

// The real escalation-desk binary with the example policy: an agent's submission becomes a post with
// the three buttons, /rota is answered from the rota, and the desk survives a refresh and SIGTERM.
TEST(DeskBinary, SubmissionBecomesAPostAndTheDeskSurvivesARefresh) {
  const desk::testing::TempDir dir("binary");
  emu::SlackEmulator emulator(pki());
  emu::WorkspaceOptions ws;
  auto env = desk_env(emulator, ws);
  env["DESK_INTAKE_TOKENS"] = "agent-token-abcdef";
  DeskProcess desk(env, {DESK_BINARY, "run", "--config", write_config(dir.path())});
  ASSERT_TRUE(wait_for([&] { return emulator.hellos_sent() == 1; })) << desk.output_so_far();

  std::uint16_t port = 0;
  ASSERT_TRUE(wait_for([&] {
    const auto out = desk.output_so_far();
    const auto line = out.find("intake.listening");
    const auto at = line == std::string::npos ? line : out.find(" port=", line);
    if (at == std::string::npos) return false;
    port = static_cast<std::uint16_t>(std::stoi(out.substr(at + 6)));
    return port != 0;
  })) << desk.output_so_far();

  const std::string body =
      R"({"workflow":"community_replies","channel":"linkedin","agent":"social-agent-3","confidence":0.62,)"
      R"("output":"Thanks for the kind words, see you at the meetup!"})";
  const auto answer = http(port,
                           "POST /v1/submissions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                           "Authorization: Bearer agent-token-abcdef\r\nContent-Type: application/json\r\n"
                           "Content-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_EQ(answer.rfind("HTTP/1.1 201", 0), 0u) << answer;

  ASSERT_TRUE(wait_for([&] { return !emulator.messages("C0DESK").empty(); })) << desk.output_so_far();
  const auto post = emulator.messages("C0DESK").front();
  std::vector<std::string> labels;
  for (const auto& block : post.value("blocks", nlohmann::json::array()))
    if (block.value("type", "") == "actions")
      for (const auto& element : block["elements"]) labels.push_back(element["text"]["text"]);
  EXPECT_EQ(labels, (std::vector<std::string>{"Accept", "Reject", "Escalate to legal"})) << post.dump();

  auto command = emulator.send_slash_command("/rota", "");
  ASSERT_TRUE(wait_for([&] { return emulator.acked(command); }));
  const auto ack = emulator.acks().back();
  EXPECT_NE(ack.payload.dump().find("Dana Ruiz"), std::string::npos) << ack.payload.dump();

  emulator.send_disconnect("refresh_requested");
  ASSERT_TRUE(wait_for([&] { return emulator.hellos_sent() == 2 && emulator.open_sockets() == 1; }));

  desk.signal(SIGTERM);
  const auto result = desk.wait(10s);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  expect_no_secrets(result.output, ws);
  EXPECT_EQ(result.output.find("agent-token-abcdef"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace desk::integration
