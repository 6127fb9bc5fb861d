// The teams: section (the interactive Teams bot, Bot Framework) and each person's teams: id.
#include <algorithm>
#include <cctype>

#include "bot/config/config_loader.hpp"
#include "bot/config/policy_parser.hpp"

namespace desk::bot::config_parsing {
namespace {

/// 8-4-4-4-12 hexadecimal digits: how Microsoft writes app, tenant and object ids.
bool is_guid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

void PolicyParser::parse_teams(const YAML::Node& n, core::TeamsBotSettings& t) {
  r_.check_keys(n, {"app_id", "tenant_id", "service_url", "channel", "listen"}, "teams");
  for (const char* key : {"app_id", "tenant_id", "service_url", "channel"})
    if (!n[key])
      r_.fail(n, std::string("teams has no '") + key + "'",
              "the interactive Teams bot needs app_id, tenant_id, service_url and channel (see docs/config.md)");
  t.app_id = lower(r_.string(n["app_id"], "teams.app_id"));
  if (!is_guid(t.app_id))
    r_.fail(n["app_id"], "teams.app_id '" + t.app_id + "' is not a Microsoft App ID",
            "the bot's App ID, a GUID like 1b2c3d4e-0000-4a5b-8c9d-0123456789ab (Azure Bot → Configuration)");
  t.tenant_id = lower(r_.string(n["tenant_id"], "teams.tenant_id"));
  if (!is_guid(t.tenant_id))
    r_.fail(n["tenant_id"], "teams.tenant_id '" + t.tenant_id + "' is not a tenant id",
            "the Microsoft Entra tenant id, a GUID (Entra admin center → Overview)");
  t.service_url = r_.string(n["service_url"], "teams.service_url");
  if (!t.service_url.starts_with("https://") || t.service_url.size() <= 8 ||
      t.service_url.find_first_of(" \t\r\n?#") != std::string::npos)
    r_.fail(n["service_url"], "teams.service_url must be an https URL",
            "e.g. https://smba.trafficmanager.net/emea/ (the serviceUrl Teams sends with each activity)");
  if (t.service_url.back() != '/') t.service_url += '/';
  t.channel = r_.string(n["channel"], "teams.channel");
  if (!t.channel.starts_with("19:") || t.channel.find('@') == std::string::npos ||
      t.channel.find_first_of(" \t\r\n;/") != std::string::npos)
    r_.fail(n["channel"], "teams.channel '" + t.channel + "' is not a channel's conversation id",
            "it looks like 19:abc123…@thread.tacv2 (the channel's ⋯ → Get link to channel, decoded)");
  if (n["listen"]) {
    t.listen = r_.string(n["listen"], "teams.listen");
    if (!parse_listen_address(t.listen))
      r_.fail(n["listen"], "teams.listen '" + t.listen + "' is not host:port", "e.g. 127.0.0.1:3978");
  }
}

std::string PolicyParser::teams_user(const YAML::Node& n, const std::string& person) {
  const std::string id = lower(r_.string(n, "teams id of person '" + person + "'"));
  if (!is_guid(id))
    r_.fail(n, "'" + id + "' is not a Teams user's object id",
            "the Microsoft Entra object id, a GUID (Entra admin center → Users → the person → Object ID)");
  if (!teams_ids_.insert(id).second) r_.fail(n, "Teams user " + id + " is given to two people");
  return id;
}

}  // namespace desk::bot::config_parsing
