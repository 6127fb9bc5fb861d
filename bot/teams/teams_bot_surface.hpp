#pragma once
/// The interactive Teams bot (Bot Framework) as a surface of the desk: it serves POST /api/messages on
/// teams.listen (plain HTTP behind the reverse proxy that ends TLS), verifies every request's token
/// before anything else (bot_framework_auth), answers card clicks and messages (teams_bot_activities),
/// and delivers the desk's effects to the desk channel through the Bot Connector: escalation cards,
/// their updates in place, thread replies (the SLA pings mention the backup and the director), and
/// channel notices. Each card's activity id is stored per surface, so a restart neither loses nor
/// repeats an update. Enabled by the config's teams: section with TEAMS_APP_PASSWORD.
#include <memory>

#include "bot/app/surface.hpp"

namespace desk::bot::teams {

/// The name the interactive bot's outbox rows and message references carry (the webhook alerts are "teams").
inline constexpr const char* kTeamsBotSurface = "teams_bot";

/// The surface when the config has a teams: section; nullptr otherwise. Throws SurfaceConfigError when
/// TEAMS_APP_PASSWORD (or _FILE) is missing or an endpoint URL is not https.
std::unique_ptr<Surface> make_teams_bot_surface(SurfaceContext& context);

}  // namespace desk::bot::teams
