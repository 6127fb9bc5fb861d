#pragma once
// What the integration tests need to run the desk's interactive Teams bot against the Teams emulator:
// the people the example config links to Teams, the config's teams: section, the port the desk logs
// for /api/messages, the environment that points the desk at the emulator, and a card's verbs.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/emulator/teams_bot_emulator.hpp"
#include "tests/integration/desk_process.hpp"

namespace desk::integration::teams_bot_bed {

/// Erin (community lead, owns community_replies) and Dana (the director), as Teams knows them.
inline const emu::TeamsUser kErinInTeams{"7e1a0c55-2b9d-4c3e-8f10-aa00bb11cc22", "Erin Walsh", ""};
inline const emu::TeamsUser kDanaInTeams{"9d2b1e66-3c0e-4d4f-9021-bb11cc22dd33", "Dana Ruiz", ""};

/// Config edits linking Erin and Dana to their Teams ids (besides their Slack ids).
inline std::vector<std::pair<std::string, std::string>> teams_people_edits() {
  return {{"slack: U0E414005,", "slack: U0E414005, teams: " + kErinInTeams.aad_object_id + ","},
          {"slack: U0DA4A004,", "slack: U0DA4A004, teams: " + kDanaInTeams.aad_object_id + ","}};
}

/// Appends the bot's teams: section (the emulator's app, tenant, connector and channel; a port the OS
/// picks) to the config at `path`.
inline void append_teams_section(const std::string& path, const emu::TeamsBotEmulator& teams) {
  std::ofstream(path, std::ios::app) << "\nteams:\n  app_id: " << teams.options().app_id
                                     << "\n  tenant_id: " << teams.options().tenant_id
                                     << "\n  service_url: " << teams.service_url()
                                     << "\n  channel: " << teams.options().channel_id << "\n  listen: 127.0.0.1:0\n";
}

/// The secret and the emulator's addresses the desk needs to run the bot.
inline std::map<std::string, std::string> teams_env(const emu::TeamsBotEmulator& teams) {
  return {{"TEAMS_APP_PASSWORD", teams.options().app_password},
          {"TEAMS_OPENID_METADATA_URL", teams.openid_metadata_url()},
          {"TEAMS_TOKEN_URL", teams.token_url()}};
}

/// The port a desk logged for its Teams endpoint; 0 until it has.
inline std::uint16_t teams_port(const DeskProcess& desk) {
  const std::string out = desk.output_so_far();
  const auto line = out.rfind("teams.bot_listening");
  const auto at = line == std::string::npos ? line : out.find(" port=", line);
  return at == std::string::npos ? 0 : static_cast<std::uint16_t>(std::stoi(out.substr(at + 6)));
}

inline std::string messages_url(std::uint16_t port) {
  return "http://127.0.0.1:" + std::to_string(port) + "/api/messages";
}

/// The verbs of a card's Action.Execute buttons, in order (none once decided).
inline std::vector<std::string> verbs(const nlohmann::json& card) {
  std::vector<std::string> out;
  for (const auto& a : card.value("actions", nlohmann::json::array()))
    if (a.value("type", "") == "Action.Execute") out.push_back(a.value("verb", ""));
  return out;
}

/// The channel's top-level cards (not thread replies) that carry `escalation_id`.
inline std::vector<emu::BotActivity> cards_of(const emu::TeamsBotEmulator& teams, const std::string& escalation_id) {
  std::vector<emu::BotActivity> out;
  const std::string channel = teams.options().channel_id;
  for (const auto& a : teams.activities(channel))
    if (a.thread_id == a.id && a.content.dump().find(escalation_id) != std::string::npos) out.push_back(a);
  return out;
}

}  // namespace desk::integration::teams_bot_bed
