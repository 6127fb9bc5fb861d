#pragma once
/// Teams alerts: the desk's escalations, backup pings, missed deadlines and decisions posted as Adaptive
/// Cards to a Teams channel through a Workflows webhook (TEAMS_WEBHOOK_URL). Outbound only: a webhook
/// card cannot call back, so people act where the desk is interactive. Through the outbox like every
/// message: 200 and 202 are success, 429 and 5xx are retried honouring Retry-After, at most 4 requests a
/// second. The URL is a capability (its query carries a signature): it is never logged, only its host.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bot/app/surface.hpp"
#include "bot/slack/url.hpp"

namespace desk::bot::teams {

/// The name its outbox rows carry.
inline constexpr const char* kTeamsAlertsSurface = "teams_alerts";

/// Why `url` cannot be a Workflows webhook URL (not https, an Office 365 connector URL, which Microsoft
/// retired), saying how to make one; empty when it can.
std::string webhook_url_problem(const slack::Url& url);

/// The alerts surface when TEAMS_WEBHOOK_URL (or TEAMS_WEBHOOK_URL_FILE) is set; nullptr when not.
/// Throws SurfaceConfigError for a URL that cannot work. SSL_CERT_FILE adds a trust anchor (tests).
std::unique_ptr<Surface> make_teams_alerts_surface(SurfaceContext& context);

}  // namespace desk::bot::teams
