// The interactive Teams bot, with the real binary against the local Teams emulator (OpenID metadata,
// keys, token endpoint and Bot Connector over TLS on 127.0.0.1): a Teams-only desk posts the card
// once; silence brings the backup ping as a thread reply mentioning who must act, once across kill -9;
// forged, expired, wrong-audience, wrong-issuer, unendorsed and serviceUrl-mismatched tokens are
// refused and change nothing; a bystander's click is refused on the card; a short rationale comes
// back beside the field; the owner decides, and the card is updated in place for everyone; the director
// has someone cover the duty lead by @mentioning them, answered in the message's thread and announced.
#include <fstream>

#include "tests/integration/desk_process.hpp"
#include "tests/integration/teams_bot_bed.hpp"
#include "tests/support/temp_dir.hpp"

namespace desk::integration::teams_bot_end_to_end_test {

using json = nlohmann::json;
using desk::testing::TempDir;

constexpr const char* kAgentToken = "agent-token-teams-bot-0123456789";
using namespace teams_bot_bed;
const emu::TeamsUser& kErin = kErinInTeams;  // community lead
const emu::TeamsUser& kDana = kDanaInTeams;  // director
const emu::TeamsUser kStranger{"0f0f0f0f-4444-4555-8666-777777777777", "Sam Stranger", ""};

/// The example config with short clocks, Erin and Dana linked to Teams, and the bot's section.
std::string bot_config(const std::filesystem::path& dir, const emu::TeamsBotEmulator& teams) {
  auto edits = teams_people_edits();
  edits.push_back({"backup_ping: 3m", "backup_ping: 2s"});
  const auto path = write_config(dir, edits);
  append_teams_section(path, teams);
  return path;
}

struct TeamsDesk {
  TeamsDesk(const emu::TeamsBotEmulator& teams, const std::string& config) {
    std::map<std::string, std::string> env = teams_env(teams);
    env.insert({{"SSL_CERT_FILE", pki().trusted().ca_cert},
                {"DESK_INTAKE_TOKENS", kAgentToken},
                {"DESK_AUDIT_KEY", kTestAuditKey}});
    process = std::make_unique<DeskProcess>(env, std::vector<std::string>{DESK_BINARY, "run", "--config", config});
    up = wait_for([&] { return (intake = intake_port(*process)) != 0 && (bot = teams_port(*process)) != 0; }, 20s);
  }
  std::string messages_url() const { return teams_bot_bed::messages_url(bot); }
  std::unique_ptr<DeskProcess> process;
  std::uint16_t intake = 0, bot = 0;
  bool up = false;
};

TEST(TeamsBotEndToEnd, ATeamsOnlyDeskTakesTheWholeFlowAndRefusesEveryBadToken) {
  TempDir dir("teams-bot");
  emu::TeamsBotEmulator teams(pki());
  const std::string channel = teams.options().channel_id;
  const auto config = bot_config(dir.path(), teams);
  TeamsDesk first(teams, config);
  ASSERT_TRUE(first.up) << first.process->output_so_far();

  const json draft = {{"workflow", "community_replies"},
                      {"channel", "linkedin"},
                      {"agent", "social-agent-3"},
                      {"confidence", 0.62},
                      {"output", "Thanks for the kind words, see you at the meetup!"}};
  const auto created = intake_request(first.intake, "POST", "/v1/submissions", kAgentToken, draft.dump());
  ASSERT_EQ(created.status, 201) << created.body.dump();
  ASSERT_TRUE(created.body.contains("escalation")) << created.body.dump();
  const std::string id = created.body["escalation"]["id"];
  ASSERT_TRUE(wait_for([&] { return teams.activities(channel).size() == 1; }, 15s)) << first.process->output_so_far();
  const auto post = teams.activities(channel).front();
  ASSERT_EQ(post.cards().size(), 1u);
  EXPECT_EQ(verbs(post.cards()[0]), (std::vector<std::string>{"accept", "reject", "escalate_legal"}));
  EXPECT_NE(post.cards()[0].dump().find(id), std::string::npos);

  // Nobody responds within 2 s: the backup ping, in the card's thread, mentioning the director.
  const auto pings = [&] {
    std::size_t n = 0;
    for (const auto& r : teams.replies(channel, post.id))
      n += r.content.value("text", "").find("<at>Dana Ruiz</at>") != std::string::npos;
    return n;
  };
  ASSERT_TRUE(wait_for([&] { return pings() == 1; }, 15s)) << first.process->output_so_far();
  bool mentioned = false;
  for (const auto& r : teams.replies(channel, post.id))
    for (const auto& e : r.content.value("entities", json::array()))
      mentioned = mentioned || e["mentioned"].value("id", "") == kDana.aad_object_id;
  EXPECT_TRUE(mentioned) << "a real mention entity";
  // The Bot Connector cannot look a reply up: a kill between its POST and the row's commit would send
  // it again (saying so). Past that moment, the restart must not ping again.
  std::this_thread::sleep_for(500ms);
  first.process->signal(SIGKILL);
  first.process->wait(5s);

  TeamsDesk second(teams, config);
  ASSERT_TRUE(second.up) << second.process->output_so_far();
  const std::string url = second.messages_url();
  const json data = {{"escalation_id", id}, {"generation", 0}};

  // Every bad token is refused, changes nothing, and never appears in the log.
  const auto good_click = teams.card_action(kErin, post.id, "accept", data,
                                            {{"rationale", "Friendly, no claims; fine to publish as written."}});
  for (const auto& [variant, status] :
       std::vector<std::pair<emu::TokenVariant, int>>{{emu::TokenVariant::forged, 401},
                                                      {emu::TokenVariant::expired, 401},
                                                      {emu::TokenVariant::not_yet_valid, 401},
                                                      {emu::TokenVariant::wrong_audience, 401},
                                                      {emu::TokenVariant::wrong_issuer, 401},
                                                      {emu::TokenVariant::unendorsed, 403},
                                                      {emu::TokenVariant::service_url_mismatch, 401},
                                                      {emu::TokenVariant::alg_none, 401},
                                                      {emu::TokenVariant::malformed, 401},
                                                      {emu::TokenVariant::absent, 401}}) {
    const auto answer = teams.post_activity(url, good_click, variant);
    EXPECT_EQ(answer.status, status) << static_cast<int>(variant) << ": " << answer.body;
  }
  const auto after_refusals = intake_request(second.intake, "GET", "/v1/escalations/" + id, kAgentToken);
  EXPECT_EQ(after_refusals.body.value("status", ""), "open") << after_refusals.body.dump();

  // A bystander's click: the card again, naming who may act.
  const auto bystander = teams.post_activity(
      url, teams.card_action(kStranger, post.id, "accept", data, {{"rationale", "Looks fine to me."}}));
  ASSERT_EQ(bystander.status, 200) << bystander.body;
  EXPECT_EQ(bystander.json()["statusCode"], 200);
  EXPECT_NE(bystander.json()["value"].dump().find("Erin Walsh"), std::string::npos) << bystander.body;
  EXPECT_EQ(verbs(bystander.json()["value"]).size(), 3u);

  // The owner with a short rationale: the error beside the field.
  const auto short_one = teams.post_activity(
      url, teams.card_action(kErin, post.id, "accept", data, {{"rationale", "ok"}}), emu::TokenVariant::rs384);
  ASSERT_EQ(short_one.status, 200) << short_one.body;
  EXPECT_EQ(verbs(short_one.json()["value"]).size(), 3u) << "still undecided";
  EXPECT_NE(short_one.json()["value"].dump().find("\"Attention\""), std::string::npos) << short_one.body;

  // The owner decides: the decided card in the answer, the card updated in place, a thread reply.
  const auto decided = teams.post_activity(url, good_click, emu::TokenVariant::rs512);
  ASSERT_EQ(decided.status, 200) << decided.body;
  const json card = decided.json()["value"];
  EXPECT_TRUE(verbs(card).empty()) << card.dump();
  EXPECT_NE(card.dump().find(id + " accepted"), std::string::npos) << card.dump();
  ASSERT_TRUE(wait_for(
      [&] {
        const auto now = teams.activity(channel, post.id);
        return now && now->history.size() >= 2 && verbs(now->cards().at(0)).empty();
      },
      15s))
      << second.process->output_so_far();
  ASSERT_TRUE(wait_for(
      [&] {
        for (const auto& r : teams.replies(channel, post.id))
          for (const auto& c : r.cards())
            if (c.dump().find(id + " accepted") != std::string::npos) return true;
        return false;
      },
      15s))
      << second.process->output_so_far();
  const auto state = intake_request(second.intake, "GET", "/v1/escalations/" + id, kAgentToken);
  EXPECT_EQ(state.body.value("status", ""), "accepted") << state.body.dump();

  EXPECT_EQ(pings(), 1u) << "the backup ping was sent once across kill -9";
  EXPECT_EQ(teams.activities(channel).size() - teams.replies(channel, post.id).size(), 1u) << "one card";

  // Dana has Erin cover the duty lead by mentioning her. Teams names Erin by her Teams id only: the
  // desk looks her up in the team, once. Every answer is a reply in the message's thread.
  teams.add_member(kErin);
  const auto answer_to = [&](const json& message, const std::string& conversation) {
    std::string text;
    wait_for(
        [&] {
          const auto replies = teams.replies(conversation, message["id"]);
          if (!replies.empty()) text = replies.back().content.value("text", "");
          return !replies.empty();
        },
        15s);
    return text;
  };
  const json cover = teams.channel_message(kDana, "rota override <at>Erin Walsh</at> duty_lead 2h", {}, {kErin});
  const auto covered = teams.post_activity(url, cover);
  ASSERT_EQ(covered.status, 200) << covered.body;
  EXPECT_TRUE(covered.body.empty()) << "the answer is a reply, not the HTTP body";
  EXPECT_NE(answer_to(cover, channel).find("**Erin Walsh** covers Duty lead (duty_lead) from now until"),
            std::string::npos)
      << second.process->output_so_far();
  EXPECT_EQ(teams.count(emu::TeamsRoute::member), 1u);
  // The handoff is announced in the channel, naming Erin.
  EXPECT_TRUE(wait_for(
      [&] {
        for (const auto& a : teams.activities(channel))
          if (a.reply_to_id.empty() && a.id != post.id && a.content.dump().find("Erin Walsh") != std::string::npos)
            return true;
        return false;
      },
      15s))
      << second.process->output_so_far();
  // Erin may not override the duty lead (its may_override), whoever she names; the rota shows her on duty.
  const json refused = teams.channel_message(kErin, "rota override alice duty_lead 1h");
  ASSERT_EQ(teams.post_activity(url, refused).status, 200);
  EXPECT_NE(answer_to(refused, channel).find("may override duty_lead"), std::string::npos);
  const json asked = teams.personal_chat_message(kErin, "rota");
  ASSERT_EQ(teams.post_activity(url, asked).status, 200);
  EXPECT_NE(answer_to(asked, asked["conversation"]["id"]).find("Duty lead: Erin Walsh"), std::string::npos)
      << second.process->output_so_far();
  EXPECT_TRUE(teams.card_problems().empty()) << teams.card_problems().front();
  const std::string log = second.process->output_so_far() + first.process->output_so_far();
  EXPECT_EQ(log.find(teams.options().app_password), std::string::npos);
  for (const auto& token : teams.access_tokens()) EXPECT_EQ(log.find(token), std::string::npos);
  second.process->signal(SIGTERM);
  EXPECT_EQ(second.process->wait(20s).exit_code, 0);
}

}  // namespace desk::integration::teams_bot_end_to_end_test
