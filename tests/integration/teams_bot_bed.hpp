#pragma once
// What the integration tests need to run the desk's interactive Teams bot against the Teams emulator:
// the people the example config links to Teams, the config's teams: section, the port the desk logs
// for /api/messages, the environment that points the desk at the emulator, and a card's verbs.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/emulator/teams_bot_emulator.hpp"
#include "tests/integration/desk_process.hpp"
#include "tests/support/teams_bot_config.hpp"

namespace desk::integration::teams_bot_bed {

using desk::testing::append_teams_section;
using desk::testing::kDanaInTeams;
using desk::testing::kErinInTeams;
using desk::testing::teams_people_edits;

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
