#include "tests/emulator/teams_activity_factory.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace desk::emulator {
namespace {

using Json = nlohmann::json;

// "2024-05-01T09:30:00.123Z", the timestamp format of activities.
std::string iso_timestamp_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03lldZ", text, static_cast<long long>(ms));
  return out;
}

Json from_json(const TeamsUser& user) {
  return Json{{"id", teams_user_id(user)}, {"name", user.name}, {"aadObjectId", user.aad_object_id}};
}

Json client_info() {
  return Json{{"type", "clientInfo"},
              {"locale", "en-GB"},
              {"country", "GB"},
              {"platform", "Web"},
              {"timezone", "Europe/London"}};
}

// The parts every activity shares; `conversation` and `channelData` differ by where it was sent.
Json base_activity(const TeamsScene& scene, const TeamsUser& from, const std::string& type, const std::string& id) {
  return Json{{"type", type},
              {"id", id},
              {"timestamp", iso_timestamp_now()},
              {"localTimestamp", iso_timestamp_now()},
              {"serviceUrl", scene.service_url},
              {"channelId", "msteams"},
              {"from", from_json(from)},
              {"recipient", {{"id", "28:" + scene.app_id}, {"name", scene.bot_name}}},
              {"locale", "en-GB"},
              {"entities", Json::array({client_info()})}};
}

Json channel_conversation(const TeamsScene& scene, const std::string& thread_root_id) {
  return Json{{"isGroup", true},
              {"conversationType", "channel"},
              {"tenantId", scene.tenant_id},
              {"id", scene.channel_id + ";messageid=" + thread_root_id}};
}

Json channel_data(const TeamsScene& scene) {
  return Json{{"teamsChannelId", scene.channel_id},
              {"teamsTeamId", scene.team_id},
              {"channel", {{"id", scene.channel_id}}},
              {"team", {{"id", scene.team_id}}},
              {"tenant", {{"id", scene.tenant_id}}}};
}

}  // namespace

// A counter keeps two ids made in the same millisecond apart.
std::string new_message_id() {
  static std::atomic<long long> last{0};
  const long long now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  long long prev = last.load();
  long long next = 0;
  do next = std::max(prev + 1, now);
  while (!last.compare_exchange_weak(prev, next));
  return std::to_string(next);
}

std::string teams_user_id(const TeamsUser& user) { return user.id.empty() ? "29:1" + user.aad_object_id : user.id; }

Json card_action_invoke(const TeamsScene& scene, const TeamsUser& from, const std::string& card_activity_id,
                        const std::string& verb, const Json& data, const Json& inputs) {
  Json merged = data.is_object() ? data : Json::object();
  if (inputs.is_object()) merged.update(inputs);
  Json activity = base_activity(scene, from, "invoke", "f:" + new_message_id());
  activity["name"] = "adaptiveCard/action";
  activity["replyToId"] = card_activity_id;
  activity["conversation"] = channel_conversation(scene, card_activity_id);
  activity["channelData"] = channel_data(scene);
  activity["channelData"]["source"] = {{"name", "message"}};
  activity["value"] = {{"action", {{"type", "Action.Execute"}, {"verb", verb}, {"data", merged}}},
                       {"trigger", "manual"}};
  return activity;
}

Json channel_mention_message(const TeamsScene& scene, const TeamsUser& from, const std::string& text,
                             const std::string& thread_root_id, const std::vector<TeamsUser>& mentioned) {
  const std::string id = new_message_id();
  const std::string mention = "<at>" + scene.bot_name + "</at>";
  Json activity = base_activity(scene, from, "message", id);
  activity["text"] = mention + " " + text;
  activity["textFormat"] = "plain";
  activity["conversation"] = channel_conversation(scene, thread_root_id.empty() ? id : thread_root_id);
  activity["channelData"] = channel_data(scene);
  activity["entities"].push_back({{"type", "mention"},
                                  {"text", mention},
                                  {"mentioned", {{"id", "28:" + scene.app_id}, {"name", scene.bot_name}}}});
  for (const auto& user : mentioned)
    activity["entities"].push_back({{"type", "mention"},
                                    {"text", "<at>" + user.name + "</at>"},
                                    {"mentioned", {{"id", teams_user_id(user)}, {"name", user.name}}}});
  if (!thread_root_id.empty()) activity["replyToId"] = thread_root_id;
  return activity;
}

Json personal_message(const TeamsScene& scene, const TeamsUser& from, const std::string& text) {
  Json activity = base_activity(scene, from, "message", new_message_id());
  activity["text"] = text;
  activity["textFormat"] = "plain";
  activity["conversation"] = {{"conversationType", "personal"},
                              {"tenantId", scene.tenant_id},
                              {"id", "a:1personal-" + from_json(from)["id"].get<std::string>()}};
  activity["channelData"] = {{"tenant", {{"id", scene.tenant_id}}}};
  return activity;
}

}  // namespace desk::emulator
