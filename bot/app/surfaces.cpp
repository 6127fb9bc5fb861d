#include "bot/app/surfaces.hpp"

#include "bot/slack/slack_surface.hpp"
#include "bot/teams/alerts_surface.hpp"
#include "bot/teams/teams_bot_surface.hpp"

namespace desk::bot {

std::span<const SurfaceEntry> known_surfaces() {
  static const SurfaceEntry kSurfaces[] = {
      {"slack", slack::make_slack_surface,
       "SLACK_APP_TOKEN (xapp-…, an App-Level Token with connections:write) and SLACK_BOT_TOKEN (xoxb-…, "
       "the Bot User OAuth Token) for Slack; a workspace admin creates the app from deploy/slack-app-manifest.yaml"},
      {teams::kTeamsAlertsSurface, teams::make_teams_alerts_surface,
       "TEAMS_WEBHOOK_URL (the HTTP POST URL of a Teams Workflows flow \"Post to a channel when a webhook request "
       "is received\") for alerts in a Teams channel"},
      {teams::kTeamsBotSurface, teams::make_teams_bot_surface,
       "a teams: section in the config (app_id, tenant_id, service_url, channel) and TEAMS_APP_PASSWORD for the "
       "interactive Teams bot"},
  };
  return kSurfaces;
}

}  // namespace desk::bot
