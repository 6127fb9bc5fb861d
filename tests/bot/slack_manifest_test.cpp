// The Slack app manifest asks for exactly the scopes and events the desk uses, and the README says why
// for each. The Web API calls the product makes are read from its sources (every SlackApi method
// called outside the client itself), so a new call without its scope, or a scope nothing needs any
// more, fails here.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#ifndef DESK_SOURCE_DIR
#error "DESK_SOURCE_DIR must name the source tree"
#endif

namespace desk::bot::slack_manifest_test {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// The bot scopes each SlackApi method needs (Slack's method reference); empty: none beyond the token.
const std::map<std::string, std::set<std::string>>& scopes_of_method() {
  static const std::map<std::string, std::set<std::string>> kScopes = {
      {"auth_test", {}},
      {"apps_connections_open", {}},  // the app-level token's connections:write, not a bot scope
      {"chat_post_message", {"chat:write"}},
      {"chat_update", {"chat:write"}},
      {"chat_post_ephemeral", {"chat:write"}},
      {"chat_get_permalink", {}},
      {"views_open", {}},
      {"views_update", {}},
      {"users_info", {"users:read"}},
      {"usergroups_list", {"usergroups:read"}},
      {"usergroups_users_update", {"usergroups:write"}},
      {"conversations_list", {"channels:read", "groups:read"}},
      {"conversations_info", {"channels:read", "groups:read"}},
      {"conversations_join", {"channels:join"}},
      // The desk channel, public or private, and the bot's direct messages (in-doubt lookups).
      {"conversations_history", {"channels:history", "groups:history", "im:history"}},
      {"conversations_replies", {"channels:history", "groups:history", "im:history"}},
      {"conversations_open", {"im:write"}},
      {"files_get_upload_url_external", {"files:write"}},
      {"upload_file_bytes", {}},
      {"files_complete_upload_external", {"files:write"}},
      {"pins_add", {"pins:write"}},
      {"pins_remove", {"pins:write"}},
      {"pins_list", {"pins:read"}},
  };
  return kScopes;
}

/// The scope each subscribed event needs.
const std::map<std::string, std::string> kEventScopes = {
    {"app_mention", "app_mentions:read"},
    {"message.channels", "channels:history"},
    {"message.groups", "groups:history"},
};

/// The names SlackApi declares ("virtual Task<…> name(").
std::vector<std::string> interface_methods() {
  const std::string header = read_text(fs::path(DESK_SOURCE_DIR) / "bot/slack/slack_api.hpp");
  std::vector<std::string> names;
  for (std::size_t at = header.find("virtual Task<"); at != std::string::npos;
       at = header.find("virtual Task<", at + 1)) {
    const auto open = header.find('(', at);
    auto start = open;
    while (start > at && (std::isalnum(static_cast<unsigned char>(header[start - 1])) || header[start - 1] == '_'))
      --start;
    names.push_back(header.substr(start, open - start));
  }
  return names;
}

/// The product's sources that call the Slack API (the client's own files left out).
std::string product_sources() {
  const std::set<std::string> client = {"slack_api.hpp", "json_slack_api.hpp", "json_slack_api.cpp",
                                        "web_api_client.hpp", "web_api_client.cpp"};
  std::string all;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(DESK_SOURCE_DIR) / "bot")) {
    const auto name = entry.path().filename().string();
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".cpp" || ext == ".hpp") && !client.contains(name))
      all += read_text(entry.path());
  }
  return all;
}

bool called(const std::string& sources, const std::string& method) {
  return sources.find("." + method + "(") != std::string::npos ||
         sources.find("->" + method + "(") != std::string::npos;
}

std::set<std::string> manifest_list(const YAML::Node& node) {
  std::set<std::string> out;
  for (const auto& item : node) out.insert(item.as<std::string>());
  return out;
}

TEST(SlackManifest, AsksForExactlyTheScopesAndEventsTheDeskUses) {
  const auto manifest = YAML::LoadFile(std::string(DESK_SOURCE_DIR) + "/deploy/slack-app-manifest.yaml");
  const auto scopes = manifest_list(manifest["oauth_config"]["scopes"]["bot"]);
  const auto events = manifest_list(manifest["settings"]["event_subscriptions"]["bot_events"]);

  const auto methods = interface_methods();
  ASSERT_GE(methods.size(), 20u) << "the SlackApi interface was not read";
  const std::string sources = product_sources();
  std::set<std::string> needed;
  for (const auto& method : methods) {
    const auto it = scopes_of_method().find(method);
    ASSERT_NE(it, scopes_of_method().end()) << "SlackApi::" << method << " is new: add its scopes to this test";
    if (called(sources, method))
      for (const auto& scope : it->second) needed.insert(scope);
  }
  EXPECT_TRUE(called(sources, "chat_post_message")) << "the product's calls were not found";
  if (manifest["features"]["slash_commands"].size() > 0) needed.insert("commands");
  for (const auto& event : events) {
    const auto it = kEventScopes.find(event);
    ASSERT_NE(it, kEventScopes.end()) << "event " << event << " is new: add its scope to this test";
    needed.insert(it->second);
  }
  EXPECT_EQ(events, (std::set<std::string>{"app_mention", "message.channels", "message.groups"}))
      << "the hotline needs app_mention; thread replies and the hotline need message events in a public or "
         "private desk channel";
  for (const auto& scope : needed) EXPECT_TRUE(scopes.contains(scope)) << "the manifest lacks " << scope;
  for (const auto& scope : scopes) EXPECT_TRUE(needed.contains(scope)) << "nothing the desk does needs " << scope;
}

TEST(SlackManifest, TheReadmeSaysWhyEachScopeAndEventIsAskedFor) {
  const auto manifest = YAML::LoadFile(std::string(DESK_SOURCE_DIR) + "/deploy/slack-app-manifest.yaml");
  const std::string readme = read_text(fs::path(DESK_SOURCE_DIR) / "README.md");
  for (const auto& scope : manifest_list(manifest["oauth_config"]["scopes"]["bot"]))
    EXPECT_NE(readme.find("| `" + scope + "` |"), std::string::npos) << "the README's scope table lacks " << scope;
  for (const auto& event : manifest_list(manifest["settings"]["event_subscriptions"]["bot_events"]))
    EXPECT_NE(readme.find("| `" + event + "` event |"), std::string::npos) << "the README's table lacks " << event;
}

}  // namespace desk::bot::slack_manifest_test
