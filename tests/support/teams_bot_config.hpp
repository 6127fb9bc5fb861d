#pragma once
// The example config's people as Teams knows them and the bot's teams: section, for the tests and
// the benches that run the desk's Teams bot against the Teams emulator (no test framework needed).
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/emulator/teams_bot_emulator.hpp"

namespace desk::testing {

/// Erin (community lead, owns community_replies) and Dana (the director), as Teams knows them.
inline const emulator::TeamsUser kErinInTeams{"7e1a0c55-2b9d-4c3e-8f10-aa00bb11cc22", "Erin Walsh", ""};
inline const emulator::TeamsUser kDanaInTeams{"9d2b1e66-3c0e-4d4f-9021-bb11cc22dd33", "Dana Ruiz", ""};

/// Config edits linking Erin and Dana to their Teams ids (besides their Slack ids).
inline std::vector<std::pair<std::string, std::string>> teams_people_edits() {
  return {{"slack: U0E414005,", "slack: U0E414005, teams: " + kErinInTeams.aad_object_id + ","},
          {"slack: U0DA4A004,", "slack: U0DA4A004, teams: " + kDanaInTeams.aad_object_id + ","}};
}

/// Appends the bot's teams: section (the emulator's app, tenant, connector and channel) listening on
/// `listen` to the config at `path`.
inline void append_teams_section(const std::string& path, const emulator::TeamsBotEmulator& teams,
                                 const std::string& listen = "127.0.0.1:0") {
  std::ofstream(path, std::ios::app) << "\nteams:\n  app_id: " << teams.options().app_id
                                     << "\n  tenant_id: " << teams.options().tenant_id
                                     << "\n  service_url: " << teams.service_url()
                                     << "\n  channel: " << teams.options().channel_id << "\n  listen: " << listen
                                     << "\n";
}

}  // namespace desk::testing
