#include "bot/config/config_loader.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "core/rota.hpp"
#include "core/text_scan.hpp"

namespace desk::bot {
namespace {

std::string example_text() {
  std::ifstream in(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int line_of(const std::string& text, const std::string& needle) {
  const auto pos = text.find(needle);
  if (pos == std::string::npos) return -1;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "example config lacks: " << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

TEST(ConfigLoader, ExampleConfigLoadsWithTheSeedMatrix) {
  const auto p = parse_config(example_text(), "desk.example.yaml", "/etc/desk");
  EXPECT_EQ(p.workflows.size(), 4u);
  EXPECT_DOUBLE_EQ(*p.workflows.at("community_replies").confidence_threshold, 0.80);
  EXPECT_EQ(p.workflows.at("community_replies").owner, "community_lead");
  EXPECT_DOUBLE_EQ(*p.workflows.at("paid_ads").confidence_threshold, 0.90);
  EXPECT_EQ(*p.workflows.at("email_nurture").personal_data_route, "lifecycle_manager");
  EXPECT_EQ(p.workflows.at("thought_leadership").citation_max_age, std::chrono::months(12));
  EXPECT_EQ(p.sla.triage, std::chrono::minutes(5));
  EXPECT_EQ(p.sla.backup_ping, std::chrono::minutes(3));
  EXPECT_EQ(p.sla.decision, std::chrono::minutes(30));
  EXPECT_EQ(p.desk.channel, "ai-escalation");
  EXPECT_EQ(p.desk.database, "/etc/desk/escalation-desk.db");
  EXPECT_EQ(p.personal_data.detectors.size(), 6u);
  EXPECT_EQ(p.roles.at("duty_lead").rotation.time_zone, "Europe/London");
  EXPECT_EQ(p.roles.at("duty_lead").rotation.handoff_day, std::chrono::Monday);
  EXPECT_EQ(p.roles.at("backup").follows, "duty_lead");
  EXPECT_EQ(p.source_digest.size(), 64u);
  bool has_sales_route = false;
  for (const auto& c : p.lexicon) has_sales_route |= c.id == "fee_concessions" && c.route == "sales";
  EXPECT_TRUE(has_sales_route);
}

TEST(ConfigLoader, HandsOutTheLexiconItCompiledToCheckIt) {
  std::shared_ptr<const core::LexiconMatcher> lexicon;
  const auto p = parse_config(example_text(), "desk.example.yaml", "/etc/desk", &lexicon);
  ASSERT_NE(lexicon, nullptr);
  const auto hits = lexicon->scan("Our lowest price, guaranteed: $1,299 for the first year.");
  std::vector<std::string> categories;
  for (const auto& h : hits) categories.push_back(h.category);
  // "lowest price" and "price", "guaranteed", "$1,299".
  EXPECT_EQ(categories, (std::vector<std::string>{"pricing", "pricing", "guarantees", "pricing"}));
  // A config that does not parse hands out nothing.
  std::shared_ptr<const core::LexiconMatcher> none;
  EXPECT_THROW(parse_config("desk: [", "broken.yaml", ".", &none), ConfigError);
  EXPECT_EQ(none, nullptr);
}

struct BadConfig {
  const char* name;
  const char* from;
  const char* to;
  const char* message;  // substring of the error
  const char* at;       // the error's line holds this text in the mutated file
};

class ConfigLoaderBad : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigLoaderBad, RefusedWithFileLineAndWhat) {
  const auto& c = GetParam();
  const auto text = replaced(example_text(), c.from, c.to);
  try {
    parse_config(text, "desk.yaml");
    FAIL() << "accepted a config with " << c.name;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
    EXPECT_EQ(e.file(), "desk.yaml");
    EXPECT_EQ(e.line(), line_of(text, c.at)) << e.what();
    EXPECT_GT(e.column(), 0);
    EXPECT_EQ(std::string(e.what()).rfind("desk.yaml:" + std::to_string(e.line()) + ":", 0), 0u) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, ConfigLoaderBad,
    ::testing::Values(
        BadConfig{
            "unknown_key", "    confidence_threshold: 0.90", "    confidence_treshold: 0.90",
            "unknown key 'confidence_treshold' in workflow 'paid_ads' (hint: did you mean 'confidence_threshold'?)",
            "confidence_treshold"},
        BadConfig{"threshold_above_one", "confidence_threshold: 0.90", "confidence_threshold: 1.5", "outside 0–1",
                  "confidence_threshold: 1.5"},
        BadConfig{"threshold_not_number", "confidence_threshold: 0.90", "confidence_threshold: high",
                  "must be a number", "confidence_threshold: high"},
        BadConfig{"unknown_zone", "time_zone: Europe/London", "time_zone: Europe/Londn",
                  "unknown time zone 'Europe/Londn'", "Europe/Londn"},
        BadConfig{"bad_duration", "triage: 5m ", "triage: 5 minutes ", "bad duration '5 minutes'", "5 minutes"},
        BadConfig{"zero_duration", "decision: 30m", "decision: 0m", "bad duration '0m'", "decision: 0m"},
        BadConfig{"empty_rotation", "members: [alice, bob, chen]", "members: []", "has no members", "members: []"},
        BadConfig{"unknown_member", "members: [alice, bob, chen]", "members: [alice, bobby, chen]",
                  "unknown person 'bobby' in members of role 'duty_lead' (hint: did you mean 'bob'?)", "bobby"},
        BadConfig{"duplicate_member", "members: [alice, bob, chen]", "members: [alice, bob, alice]",
                  "'alice' is listed twice", "members: [alice, bob, alice]"},
        BadConfig{"role_filled_by_nobody", "  sales:\n    title: Sales\n    person: jo", "  sales:\n    title: Sales",
                  "role 'sales' is filled by nobody", "  sales:"},
        BadConfig{"owner_role_missing", "    owner: duty_lead\n", "    owner: duty_leed\n",
                  "unknown role 'duty_leed' in owner of workflow 'paid_ads'", "duty_leed"},
        BadConfig{"route_role_missing", "    route: sales", "    route: saless", "unknown role 'saless'", "saless"},
        BadConfig{"bad_handoff", "handoff: monday 09:00", "handoff: mon 9", "bad handoff 'mon 9'", "mon 9"},
        BadConfig{"bad_handoff_hour", "handoff: monday 09:00", "handoff: monday 25:00", "bad handoff", "monday 25:00"},
        BadConfig{"bad_anchor", "anchor: 2026-01-05\n      members: [alice",
                  "anchor: 2026-02-30\n      members: [alice", "bad anchor date '2026-02-30'", "2026-02-30"},
        BadConfig{"bad_pattern", R"('\d+\s?% off')", R"('(\d+')", "bad lexicon pattern in 'pricing'", R"('(\d+')"},
        BadConfig{"unknown_detector", "detectors: [email,", "detectors: [emails,",
                  "unknown personal-data detector 'emails'", "detectors: [emails,"},
        BadConfig{"bad_slack_id", "slack: U0A11CE01", "slack: alice", "'alice' is not a Slack user id", "slack: alice"},
        BadConfig{"ping_after_triage", "backup_ping: 3m", "backup_ping: 6m",
                  "sla.backup_ping must come before sla.triage", "backup_ping: 6m"},
        BadConfig{"unknown_visibility", "visibility: semi_private", "visibility: secret", "unknown visibility 'secret'",
                  "visibility: secret"},
        BadConfig{"unknown_lexicon_in_workflow", "lexicon: [pricing, guarantees,", "lexicon: [pricing, guarantes,",
                  "unknown lexicon category 'guarantes'", "guarantes"},
        BadConfig{"follows_single_member", "members: [alice, bob, chen]", "members: [alice]",
                  "follows a rotation of one person", "next_in_rotation: duty_lead"},
        BadConfig{"bad_yaml", "desk:\n", "desk: [\n", "not valid YAML", "  oncall_usergroup: ai-escalation"},
        BadConfig{"duplicate_key", "  decision: 30m", "  decision: 30m\n  decision: 40m", "duplicate key 'decision'",
                  "decision: 40m"},
        BadConfig{"bad_listen", "intake_listen: 127.0.0.1:8080", "intake_listen: localhost", "bad listen address",
                  "intake_listen: localhost"},
        BadConfig{"bad_digest_time", "weekly_digest: at_handoff", "weekly_digest: mondays",
                  "bad desk.weekly_digest 'mondays'", "weekly_digest: mondays"},
        BadConfig{"unknown_hotline_workflow", "hotline_workflow: paid_ads", "hotline_workflow: paid_adz",
                  "unknown workflow 'paid_adz' in desk.hotline_workflow", "hotline_workflow: paid_adz"},
        BadConfig{"bad_lexicon_mode", "  fee_concessions:\n    route: sales",
                  "  fee_concessions:\n    mode: quiet\n    route: sales",
                  "mode of lexicon category 'fee_concessions' must be 'enforce' or 'shadow', not 'quiet'",
                  "mode: quiet"},
        // Found by the config fuzzer: the check read the port with stol, which stops at the first
        // non-digit, so it passed addresses the intake server then refused at start.
        BadConfig{"listen_port_trailing_junk", "intake_listen: 127.0.0.1:8080", "intake_listen: 127.0.0.1:8080x",
                  "bad listen address", "intake_listen: 127.0.0.1:8080x"},
        BadConfig{"listen_port_spaced", "intake_listen: 127.0.0.1:8080", "intake_listen: '127.0.0.1: 8080'",
                  "bad listen address", "intake_listen: '127.0.0.1: 8080'"},
        BadConfig{"loopback_yes", "intake_listen: 127.0.0.1:8080",
                  "intake_listen: 127.0.0.1:8080\n  callbacks_allow_loopback: yes", "must be true or false",
                  "callbacks_allow_loopback"},
        BadConfig{"burst_zero", "  burst: 60", "  burst: 0", "limits.burst 0 is out of range", "burst: 0"},
        BadConfig{"unknown_limit", "  burst: 60", "  burst: 60\n  per_agent: 5", "per_agent", "per_agent: 5"},
        BadConfig{"origin_with_path", "intake_listen: 127.0.0.1:8080",
                  "intake_listen: 127.0.0.1:8080\n  mcp_allowed_origins: [https://agents.example.com/app]",
                  "'https://agents.example.com/app' is not an origin", "mcp_allowed_origins"},
        BadConfig{"sop_over_http", "  # sop:\n", "  sop:\n    url: http://wiki.example.com/sop\n",
                  "desk.sop.url must start with https://", "url: http://wiki"},
        BadConfig{"sop_with_password", "  # sop:\n", "  sop:\n    url: https://ops:hunter2@wiki.example.com/sop\n",
                  "desk.sop.url holds a user name or password", "url: https://ops"},
        BadConfig{"sop_without_host", "  # sop:\n",
                  "  sop:\n    text: Decide within 30 minutes.\n    url: https:///sop\n", "desk.sop.url has no host",
                  "url: https:///sop"},
        BadConfig{"sop_empty", "  # sop:\n", "  sop: {}\n", "desk.sop has neither url nor text", "sop: {}"},
        BadConfig{"sop_blank_text", "  # sop:\n", "  sop:\n    text: '   '\n", "desk.sop.text is empty", "text: '   '"},
        BadConfig{"sop_unknown_key", "  # sop:\n", "  sop:\n    link: https://wiki.example.com/sop\n",
                  "unknown key 'link' in desk.sop", "link: https"},
        BadConfig{"origin_without_scheme", "intake_listen: 127.0.0.1:8080",
                  "intake_listen: 127.0.0.1:8080\n  mcp_allowed_origins: [agents.example.com]", "is not an origin",
                  "mcp_allowed_origins"}),
    [](const ::testing::TestParamInfo<BadConfig>& param_info) { return std::string(param_info.param.name); });

TEST(ConfigLoader, LimitsAreReadWithDefaultsForWhatIsLeftOut) {
  const auto example = parse_config(example_text(), "desk.yaml");
  EXPECT_EQ(example.limits.requests_per_minute, 600);
  EXPECT_EQ(example.limits.burst, 60);
  EXPECT_EQ(example.limits.open_escalations_per_token, 200);
  EXPECT_EQ(example.limits.queued_requests, 10000);
  EXPECT_EQ(example.limits.connections, 4096);
  const auto off = parse_config(replaced(replaced(example_text(), "requests_per_minute: 600", "requests_per_minute: 0"),
                                         "  queued_requests: 10000", ""),
                                "desk.yaml");
  EXPECT_EQ(off.limits.requests_per_minute, 0);
  EXPECT_EQ(off.limits.queued_requests, core::IntakeQuotas{}.queued_requests);
}

TEST(ConfigLoader, TheWeeklyDigestFollowsTheHandoffUnlessTimedOrOff) {
  const auto with = [](const std::string& value) {
    return parse_config(replaced(example_text(), "weekly_digest: at_handoff", "weekly_digest: " + value), "desk.yaml")
        .desk;
  };
  EXPECT_EQ(parse_config(example_text(), "desk.yaml").desk.digest, core::DigestSchedule::at_handoff);
  EXPECT_EQ(with("off").digest, core::DigestSchedule::off);
  EXPECT_EQ(with("at_handoff").digest, core::DigestSchedule::at_handoff);
  const auto timed = with("'Friday 16:30'");
  EXPECT_EQ(timed.digest, core::DigestSchedule::at_time);
  EXPECT_EQ(timed.digest_day, std::chrono::Friday);
  EXPECT_EQ(timed.digest_time, std::chrono::minutes(16 * 60 + 30));
}

TEST(ConfigLoader, TheHotlineRunsUnderItsWorkflowOrIsOff) {
  EXPECT_EQ(parse_config(example_text(), "desk.yaml").desk.hotline_workflow, "paid_ads");
  const auto off = replaced(example_text(), "  hotline_workflow: paid_ads\n", "");
  EXPECT_EQ(parse_config(off, "desk.yaml").desk.hotline_workflow, "");
}

/// The example with the interactive Teams bot on and alice linked to her Teams user; `teams` replaces
/// the section's body.
std::string with_teams(const std::string& teams =
                           "  app_id: 1B2C3D4E-0000-4A5B-8C9D-0123456789AB\n"
                           "  tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47\n"
                           "  service_url: https://smba.trafficmanager.net/emea\n"
                           "  channel: 19:deskchannel0123@thread.tacv2\n") {
  auto text =
      replaced(example_text(), "slack: U0A11CE01,", "slack: U0A11CE01, teams: 5F1E2D3C-aaaa-4bbb-8ccc-0123456789ab,");
  return text + "\nteams:\n" + teams;
}

TEST(ConfigLoader, TheTeamsBotAndEachPersonsTeamsIdAreRead) {
  const auto off = parse_config(example_text(), "desk.yaml");
  EXPECT_FALSE(off.teams.enabled()) << "no teams: section, no Teams bot";
  const auto p = parse_config(with_teams(), "desk.yaml");
  ASSERT_TRUE(p.teams.enabled());
  EXPECT_EQ(p.teams.app_id, "1b2c3d4e-0000-4a5b-8c9d-0123456789ab") << "GUIDs are compared lower case";
  EXPECT_EQ(p.teams.tenant_id, "72f988bf-86f1-41af-91ab-2d7cd011db47");
  EXPECT_EQ(p.teams.service_url, "https://smba.trafficmanager.net/emea/") << "the path ends in '/'";
  EXPECT_EQ(p.teams.channel, "19:deskchannel0123@thread.tacv2");
  EXPECT_EQ(p.teams.listen, "127.0.0.1:3978");
  EXPECT_EQ(p.people.at("alice").teams_user, "5f1e2d3c-aaaa-4bbb-8ccc-0123456789ab");
  EXPECT_EQ(p.people.at("bob").teams_user, "");
  const core::Rota rota(p.roles, p.people);
  ASSERT_NE(rota.person_by_teams_user("5F1E2D3C-AAAA-4BBB-8CCC-0123456789AB"), nullptr);
  EXPECT_EQ(rota.person_by_teams_user("5F1E2D3C-AAAA-4BBB-8CCC-0123456789AB")->id, "alice");
  EXPECT_EQ(rota.person_by_teams_user(""), nullptr) << "people without a Teams id never match";
}

TEST(ConfigLoader, ATeamsMistakeIsRefusedAtItsLine) {
  const auto refused = [](const std::string& text, const std::string& message, const std::string& at) {
    try {
      parse_config(text, "desk.yaml");
      ADD_FAILURE() << "accepted: " << message;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
      EXPECT_EQ(e.line(), line_of(text, at)) << e.what();
    }
  };
  const std::string good = with_teams();
  refused(replaced(good, "app_id: 1B2C3D4E-0000-4A5B-8C9D-0123456789AB", "app_id: my-bot"),
          "teams.app_id 'my-bot' is not a Microsoft App ID", "app_id: my-bot");
  refused(replaced(good, "tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47", "tenant_id: contoso.com"),
          "is not a tenant id", "tenant_id: contoso.com");
  refused(replaced(good, "service_url: https://smba", "service_url: http://smba"),
          "teams.service_url must be an https URL", "service_url: http://smba");
  refused(replaced(good, "channel: 19:deskchannel0123@thread.tacv2", "channel: General"),
          "is not a channel's conversation id", "channel: General");
  refused(replaced(good, "  channel: 19:deskchannel0123@thread.tacv2\n", ""), "teams has no 'channel'",
          "app_id: 1B2C");  // the section, where its first key is
  refused(good + "  listen: localhost\n", "teams.listen 'localhost' is not host:port", "listen: localhost");
  refused(good + "  app_password: hunter2\n", "unknown key 'app_password'", "app_password");
  refused(replaced(good, "teams: 5F1E2D3C-aaaa-4bbb-8ccc-0123456789ab", "teams: alice@example.com"),
          "'alice@example.com' is not a Teams user's object id", "teams: alice@example.com");
  refused(replaced(good, "slack: U0B0B0002,", "slack: U0B0B0002, teams: 5f1e2d3c-AAAA-4bbb-8ccc-0123456789ab,"),
          "is given to two people", "slack: U0B0B0002");
}

TEST(ConfigLoader, TheSopIsALinkATrimmedTextOrBothAndNoneByDefault) {
  EXPECT_FALSE(parse_config(example_text(), "desk.yaml").desk.sop.configured()) << "the example's is commented out";
  const auto both = parse_config(replaced(example_text(),
                                          "  # sop:\n  #   url: https://wiki.example.com/escalation-desk-sop\n"
                                          "  #   text: |\n",
                                          "  sop:\n    url: https://wiki.example.com/escalation-desk-sop\n"
                                          "    text: |\n      First line.\n      Second line.\n\n"),
                                 "desk.yaml")
                        .desk.sop;
  EXPECT_EQ(both.url, "https://wiki.example.com/escalation-desk-sop");
  EXPECT_EQ(both.text, "First line.\nSecond line.") << "trimmed, line breaks kept";
  const auto text_only =
      parse_config(replaced(example_text(), "  # sop:\n", "  sop:\n    text: '  Decide within 30 minutes. '\n"),
                   "desk.yaml")
          .desk.sop;
  EXPECT_EQ(text_only.url, "");
  EXPECT_EQ(text_only.text, "Decide within 30 minutes.");
}

TEST(ConfigLoader, AnSopTextOverTwoThousandCharactersIsRefusedAtItsLine) {
  const std::string fits(2000, 'x');
  EXPECT_EQ(parse_config(replaced(example_text(), "  # sop:\n", "  sop:\n    text: " + fits + "\n"), "desk.yaml")
                .desk.sop.text.size(),
            2000u);
  const auto text = replaced(example_text(), "  # sop:\n", "  sop:\n    text: " + fits + "é\n");
  try {
    parse_config(text, "desk.yaml");
    FAIL() << "accepted 2,001 characters";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("desk.sop.text is 2001 characters, more than 2000"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.line(), line_of(text, "text: xxx"));
  }
}

TEST(ConfigLoader, McpAllowedOriginsAreRead) {
  const auto p = parse_config(replaced(example_text(), "intake_listen: 127.0.0.1:8080",
                                       "intake_listen: 127.0.0.1:8080\n  mcp_allowed_origins: "
                                       "[\"https://agents.example.com\", \"http://localhost:3000\"]"),
                              "desk.yaml");
  EXPECT_EQ(p.desk.mcp_allowed_origins,
            (std::vector<std::string>{"https://agents.example.com", "http://localhost:3000"}));
  EXPECT_TRUE(parse_config(example_text(), "desk.yaml").desk.mcp_allowed_origins.empty());
}

TEST(ConfigLoader, LoopbackCallbacksAreOffUnlessSetForTesting) {
  EXPECT_FALSE(parse_config(example_text(), "desk.yaml").desk.callbacks_allow_loopback);
  EXPECT_TRUE(parse_config(replaced(example_text(), "intake_listen: 127.0.0.1:8080",
                                    "intake_listen: 127.0.0.1:8080\n  callbacks_allow_loopback: true"),
                           "desk.yaml")
                  .desk.callbacks_allow_loopback);
}

TEST(ConfigLoader, MissingRequiredRoleIsNamed) {
  auto text = replaced(example_text(), "  marketing_director:\n    title: Marketing director\n    person: dana\n", "");
  try {
    parse_config(text, "desk.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("the roles have no 'marketing_director'"), std::string::npos) << e.what();
  }
}

TEST(ConfigLoader, EmptyFileIsRefused) { EXPECT_THROW(parse_config("", "desk.yaml"), ConfigError); }

TEST(ConfigLoader, NonMapTopLevelIsRefused) {
  try {
    parse_config("- a\n- b\n", "desk.yaml");
    FAIL();
  } catch (const ConfigError& e) { EXPECT_EQ(e.line(), 1); }
}

TEST(ConfigLoader, MissingFileIsAClearError) {
  try {
    load_config("/nonexistent/desk.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read the config file"), std::string::npos);
  }
}

TEST(ParseDuration, AcceptsCompoundForms) {
  EXPECT_EQ(parse_duration("30s"), core::Seconds(30));
  EXPECT_EQ(parse_duration("5m"), core::Seconds(300));
  EXPECT_EQ(parse_duration("1h30m"), core::Seconds(5400));
  EXPECT_EQ(parse_duration("2d"), core::Seconds(172800));
  for (const char* bad : {"", "5", "m", "5 m", "-5m", "5x", "0s", "1.5m", "99999999999s"})
    EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(ParseDuration, RefusesATotalPastTheLimitInsteadOfOverflowing) {
  EXPECT_EQ(parse_duration("999999999d"), core::Seconds(999'999'999LL * 86400));
  // 110,000 parts of 10^9 days each: their sum would overflow a 64-bit count of seconds (UBSan: signed
  // overflow) and wrap to any value, even a small positive one.
  std::string many;
  for (int i = 0; i < 110'000; ++i) many += "999999999d";
  EXPECT_FALSE(parse_duration(many));
  EXPECT_FALSE(parse_duration("999999999d999999999d"));
}

TEST(ParseListenAddress, SplitsHostAndPortOrRefuses) {
  using Address = std::pair<std::string, std::uint16_t>;
  EXPECT_EQ(parse_listen_address("127.0.0.1:8080"), (Address{"127.0.0.1", 8080}));
  EXPECT_EQ(parse_listen_address("[::1]:0"), (Address{"::1", 0}));
  EXPECT_EQ(parse_listen_address("localhost:65535"), (Address{"localhost", 65535}));
  for (const char* bad : {"localhost", ":80", "host:", "host:65536", "host:8o", "host:8080x", "host: 80", "host:+80",
                          "host:-1", "host:99999999999999999999"})
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
}

}  // namespace
}  // namespace desk::bot
