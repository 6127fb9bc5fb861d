#pragma once
/// The Slack surface: Socket Mode inbound (slash commands, clicks, modals, events), the Web API
/// outbound (the SlackDeliverer renders the desk's effects as Block Kit), and the @ai-escalation user
/// group kept on the duty lead. Enabled by SLACK_APP_TOKEN and SLACK_BOT_TOKEN (or their _FILE forms).
#include <memory>

#include "bot/app/surface.hpp"

namespace desk::bot::slack {

/// The Slack surface when its tokens are set; nullptr when neither is. Throws SurfaceConfigError
/// when one is missing or malformed, naming it and where a workspace admin finds it.
/// Environment: SLACK_APP_TOKEN(_FILE), SLACK_BOT_TOKEN(_FILE), SLACK_API_URL, SSL_CERT_FILE.
std::unique_ptr<Surface> make_slack_surface(SurfaceContext& context);

}  // namespace desk::bot::slack
