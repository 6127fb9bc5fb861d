// Teams alerts through a Workflows webhook, with the real binary against the local webhook emulator
// (TLS on 127.0.0.1): a Teams-only desk posts each escalation's card once, after a 429 honouring its
// Retry-After, then the backup ping and the missed triage deadline; a Slack+Teams desk puts a decision
// taken in Slack on Teams too; an Office 365 connector URL is refused at start. The URL, a capability,
// never reaches the log.
#include <algorithm>

#include "tests/emulator/teams_webhook.hpp"
#include "tests/integration/desk_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace desk::integration::teams_alerts_test {

using json = nlohmann::json;
using desk::testing::TempDir;

constexpr const char* kToken = "agent-token-teams-0123456789";

std::string heading_of(const json& card) {
  return card.contains("body") && !card["body"].empty() ? card["body"][0].value("text", "") : "";
}

std::vector<json> cards_headed(const emu::TeamsWebhook& webhook, const std::string& start) {
  std::vector<json> out;
  for (const auto& c : webhook.cards())
    if (heading_of(c).rfind(start, 0) == 0) out.push_back(c);
  return out;
}

std::string fact(const json& card, const std::string& title) {
  for (const auto& block : card["body"])
    if (block.value("type", "") == "FactSet")
      for (const auto& f : block["facts"])
        if (f.value("title", "") == title) return f.value("value", "");
  return {};
}

TEST(TeamsAlerts, ATeamsOnlyDeskPostsEachCardOnceAfterA429AndAnnouncesTheClocks) {
  TempDir dir("teams-alerts");
  emu::TeamsWebhook webhook(pki());
  webhook.queue({{429, 1}});  // throttled once: the card goes a second later
  const auto config = write_config(dir.path(), {{"backup_ping: 3m", "backup_ping: 2s"}, {"triage: 5m", "triage: 4s"}});
  DeskProcess desk({{"TEAMS_WEBHOOK_URL", webhook.url()},
                    {"SSL_CERT_FILE", pki().trusted().ca_cert},
                    {"DESK_INTAKE_TOKENS", kToken},
                    {"DESK_AUDIT_KEY", kTestAuditKey}},
                   {DESK_BINARY, "run", "--config", config});
  std::uint16_t port = 0;
  ASSERT_TRUE(wait_for([&] { return (port = intake_port(desk)) != 0; }, 20s)) << desk.output_so_far();

  const json draft = {{"workflow", "community_replies"},
                      {"channel", "linkedin"},
                      {"agent", "social-agent-3"},
                      {"confidence", 0.62},
                      {"output", "Thanks! Write to sam.ortiz@example.org and we will sort it out."},
                      {"permalink", "https://drafts.example.com/post/77"}};
  const auto created = intake_request(port, "POST", "/v1/submissions", kToken, draft.dump());
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const std::string id = created.body["escalation"]["id"];

  ASSERT_TRUE(wait_for([&] { return cards_headed(webhook, "Escalation " + id).size() == 1; }, 15s))
      << desk.output_so_far();
  const auto posts = webhook.posts();
  ASSERT_GE(posts.size(), 2u);
  EXPECT_EQ(posts[0].answered, 429);
  EXPECT_EQ(posts[0].content_type, "application/json");
  const json opened = cards_headed(webhook, "Escalation " + id).front();
  EXPECT_EQ(opened["version"], "1.5");
  EXPECT_EQ(fact(opened, "Owner"), "Ivan Petrov (legal_oncall)") << opened.dump();
  EXPECT_NE(fact(opened, "Triage due").find(" UTC"), std::string::npos);
  ASSERT_EQ(opened["actions"].size(), 1u);
  EXPECT_EQ(opened["actions"][0]["type"], "Action.OpenUrl");
  EXPECT_EQ(opened["actions"][0]["url"], "https://drafts.example.com/post/77");
  const std::string shown = opened.dump();
  EXPECT_EQ(shown.find("sam.ortiz@example.org"), std::string::npos) << "personal data is masked: " << shown;
  EXPECT_EQ(shown.find("<@"), std::string::npos) << "no Slack syntax in Teams: " << shown;

  // Nobody responds: the backup ping, then the missed triage deadline, each once.
  ASSERT_TRUE(wait_for([&] { return cards_headed(webhook, "No response yet: " + id).size() == 1; }, 15s))
      << desk.output_so_far();
  EXPECT_NE(cards_headed(webhook, "No response yet: " + id).front().dump().find("Dana Ruiz"), std::string::npos);
  ASSERT_TRUE(wait_for([&] { return cards_headed(webhook, "Triage deadline missed: " + id).size() == 1; }, 15s))
      << desk.output_so_far();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(cards_headed(webhook, "Escalation " + id).size(), 1u);
  EXPECT_EQ(cards_headed(webhook, "No response yet: " + id).size(), 1u);
  for (const auto& p : webhook.posts()) EXPECT_TRUE(p.problem.empty()) << p.problem << " " << p.body;

  const auto health = intake_request(port, "GET", "/healthz", "");
  EXPECT_EQ(health.body.value("teams_alerts", ""), "posting") << health.body.dump();
  desk.signal(SIGTERM);
  const ChildResult ended = desk.wait(10s);
  EXPECT_EQ(ended.exit_code, 0) << ended.output;
  EXPECT_EQ(ended.output.find("emulated-signature"), std::string::npos) << "the webhook URL is a secret";
  EXPECT_NE(ended.output.find("teams.alerts_ready"), std::string::npos);
}

TEST(TeamsAlerts, AnOffice365ConnectorUrlIsRefusedAtStartSayingHowToMakeAWorkflowsUrl) {
  TempDir dir("teams-connector");
  const auto config = write_config(dir.path());
  for (const char* url :
       {"https://contoso.webhook.office.com/webhookb2/1a2b@3c4d/IncomingWebhook/5e6f/7a8b",
        "https://outlook.office.com/webhook/1a2b@3c4d/IncomingWebhook/5e6f/7a8b",
        "http://prod-01.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke", "not a url"}) {
    DeskProcess desk({{"TEAMS_WEBHOOK_URL", url}, {"DESK_AUDIT_KEY", kTestAuditKey}},
                     {DESK_BINARY, "run", "--config", config});
    const ChildResult ended = desk.wait(20s);
    EXPECT_EQ(ended.exit_code, 2) << url << ": " << ended.output;
    EXPECT_NE(ended.output.find("Workflows"), std::string::npos) << ended.output;
    EXPECT_EQ(ended.output.find("1a2b@3c4d"), std::string::npos) << "the URL is not echoed: " << ended.output;
  }
}

}  // namespace desk::integration::teams_alerts_test
