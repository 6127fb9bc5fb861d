// The Web API methods of the emulated workspace (WorkspaceModel), answering like Slack does.
#include <algorithm>

#include "tests/emulator/block_kit_check.hpp"
#include "tests/emulator/workspace_answers.hpp"
#include "tests/emulator/workspace_model.hpp"

namespace desk::emulator {
namespace {

using Json = nlohmann::json;
using namespace answers;

ApiResponse invalid_blocks(const std::string& message) {
  return fail("invalid_blocks", Json{{"response_metadata", {{"messages", Json::array({message})}}}});
}

// Slack message text limit on updates; posts truncate far later, updates refuse.
constexpr std::size_t kUpdateTextLimit = 4000;

std::optional<ApiResponse> check_message_content(const Json& args) {
  if (args.contains("blocks")) {
    if (auto problem = check_blocks(args["blocks"], Surface::message)) return invalid_blocks(*problem);
  } else if (arg(args, "text").empty()) {
    return fail("no_text");
  }
  return std::nullopt;
}

Json channel_json(const Channel& c) {
  return Json{{"id", c.id},
              {"name", c.name},
              {"is_channel", !c.is_private},
              {"is_private", c.is_private},
              {"is_archived", c.is_archived},
              {"is_member", c.is_member}};
}

}  // namespace

ApiResponse WorkspaceModel::post_message(const Json& args) {
  auto channel_id = arg(args, "channel");
  // Posting to a user id opens the app's direct message with that user (reference: chat.postMessage).
  if (!channel_id.empty() && (channel_id[0] == 'U' || channel_id[0] == 'W')) {
    if (!users_.contains(channel_id)) return fail("channel_not_found");
    channel_id = dm_channel(channel_id);
    if (!channels_.contains(channel_id)) add_channel(Channel{channel_id, channel_id, true, false, true});
  }
  auto it = channels_.find(channel_id);
  if (channel_id.empty() || it == channels_.end()) return fail("channel_not_found");
  if (it->second.is_archived) return fail("is_archived");
  // A private channel the bot is not in does not exist as far as the bot can tell.
  if (!it->second.is_member) return fail(it->second.is_private ? "channel_not_found" : "not_in_channel");
  if (auto problem = check_message_content(args)) return *problem;
  Json message{
      {"type", "message"}, {"user", "U0BOT"}, {"bot_id", "B0BOT"}, {"ts", next_ts()}, {"text", arg(args, "text")}};
  if (args.contains("blocks")) message["blocks"] = args["blocks"];
  if (auto thread = arg(args, "thread_ts"); !thread.empty()) message["thread_ts"] = thread;
  if (args.contains("metadata")) {
    const auto& meta = args["metadata"];
    if (!meta.is_object() || !meta.contains("event_type") || !meta.contains("event_payload")) {
      return fail("invalid_metadata_format");
    }
    message["metadata"] = meta;
  }
  messages_[channel_id].push_back(message);
  return ok({{"channel", channel_id}, {"ts", message["ts"]}, {"message", message}});
}

ApiResponse WorkspaceModel::update_message(const Json& args) {
  auto channel_id = arg(args, "channel");
  if (!channels_.contains(channel_id)) return fail("channel_not_found");
  Json* message = find_message(channel_id, arg(args, "ts"));
  if (message == nullptr) return fail("message_not_found");
  if ((*message)["user"] != "U0BOT") return fail("cant_update_message");
  if (arg(args, "text").size() > kUpdateTextLimit) return fail("msg_too_long");
  if (auto problem = check_message_content(args)) return *problem;
  (*message)["text"] = arg(args, "text");
  // Text without blocks removes the old blocks (reference §3.3, chat.update).
  if (args.contains("blocks")) {
    (*message)["blocks"] = args["blocks"];
  } else {
    message->erase("blocks");
  }
  (*message)["edited"] = {{"user", "U0BOT"}};
  return ok({{"channel", channel_id}, {"ts", (*message)["ts"]}, {"text", (*message)["text"]}, {"message", *message}});
}

ApiResponse WorkspaceModel::post_ephemeral(const Json& args) {
  auto it = channels_.find(arg(args, "channel"));
  if (it == channels_.end()) return fail("channel_not_found");
  if (!users_.contains(arg(args, "user"))) return fail("user_not_found");
  if (auto problem = check_message_content(args)) return *problem;
  return ok({{"message_ts", next_ts()}});
}

ApiResponse WorkspaceModel::permalink(const Json& args) {
  auto channel_id = arg(args, "channel");
  if (!channels_.contains(channel_id)) return fail("channel_not_found");
  auto ts = arg(args, "message_ts");
  if (find_message(channel_id, ts) == nullptr) return fail("message_not_found");
  ts.erase(std::remove(ts.begin(), ts.end(), '.'), ts.end());
  return ok({{"channel", channel_id}, {"permalink", "https://emulated.slack.com/archives/" + channel_id + "/p" + ts}});
}

ApiResponse WorkspaceModel::views_open(const Json& args, SteadyClock::time_point now) {
  auto trigger = arg(args, "trigger_id");
  auto it = triggers_.find(trigger);
  if (trigger.empty() || it == triggers_.end()) return fail("invalid_trigger_id");
  if (used_triggers_.contains(trigger)) return fail("exchanged_trigger_id");
  if (now - it->second > options_.trigger_ttl) return fail("expired_trigger_id");
  if (!args.contains("view")) return fail("invalid_arguments");
  if (auto problem = check_view(args["view"])) return invalid_blocks(*problem);
  used_triggers_.insert(trigger);
  Json view = args["view"];
  auto id = "V" + std::to_string(++counter_);
  view["id"] = id;
  view["hash"] = std::to_string(counter_) + ".h" + std::to_string(counter_ * 7);
  view["state"] = {{"values", Json::object()}};
  views_[id] = view;
  return ok({{"view", view}});
}

ApiResponse WorkspaceModel::views_update(const Json& args) {
  auto it = views_.find(arg(args, "view_id"));
  if (it == views_.end()) return fail("not_found");
  if (auto hash = arg(args, "hash"); !hash.empty() && hash != it->second["hash"]) return fail("hash_conflict");
  if (!args.contains("view")) return fail("invalid_arguments");
  if (auto problem = check_view(args["view"])) return invalid_blocks(*problem);
  Json view = args["view"];
  view["id"] = it->first;
  ++counter_;
  view["hash"] = std::to_string(counter_) + ".h" + std::to_string(counter_ * 7);
  it->second = view;
  return ok({{"view", view}});
}

ApiResponse WorkspaceModel::users_info(const Json& args) {
  auto it = users_.find(arg(args, "user"));
  if (it == users_.end()) return fail("user_not_found");
  return ok({{"user", it->second}});
}

ApiResponse WorkspaceModel::usergroups_list(const Json& args) {
  Json groups = Json::array();
  for (const auto& [id, group] : usergroups_) {
    if (group["date_delete"] != 0 && !flag(args, "include_disabled")) continue;
    Json g = group;
    if (!flag(args, "include_users")) g.erase("users");
    groups.push_back(g);
  }
  return ok({{"usergroups", groups}});
}

ApiResponse WorkspaceModel::usergroups_update(const Json& args) {
  auto it = usergroups_.find(arg(args, "usergroup"));
  if (it == usergroups_.end()) return fail("no_such_subteam");
  std::vector<std::string> users;
  if (args.contains("users") && args["users"].is_array()) {
    for (const auto& u : args["users"]) users.push_back(u.is_string() ? u.get<std::string>() : "");
  } else {
    auto list = arg(args, "users");
    for (std::size_t start = 0; start < list.size();) {
      auto comma = list.find(',', start);
      auto id = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!id.empty()) users.push_back(id);
      start = comma == std::string::npos ? list.size() : comma + 1;
    }
  }
  if (users.empty()) return fail("no_users_provided");
  for (const auto& u : users) {
    if (!users_.contains(u)) return fail("invalid_users");
  }
  it->second["users"] = users;
  it->second["user_count"] = users.size();
  return ok({{"usergroup", it->second}});
}

ApiResponse WorkspaceModel::conversations_list(const Json& args) {
  const int limit = std::clamp(int_arg(args, "limit", 100), 1, 1000);
  const int start = int_arg(args, "cursor", 0);
  const bool exclude_archived = flag(args, "exclude_archived");
  std::vector<Json> all;
  for (const auto& [id, c] : channels_) {
    if (!(exclude_archived && c.is_archived)) all.push_back(channel_json(c));
  }
  Json page = Json::array();
  int i = std::max(start, 0);
  for (; i < static_cast<int>(all.size()) && static_cast<int>(page.size()) < limit; ++i) page.push_back(all[i]);
  std::string next = i < static_cast<int>(all.size()) ? std::to_string(i) : "";
  return ok({{"channels", page}, {"response_metadata", {{"next_cursor", next}}}});
}

ApiResponse WorkspaceModel::conversations_info(const Json& args) {
  auto it = channels_.find(arg(args, "channel"));
  if (it == channels_.end() || (it->second.is_private && !it->second.is_member)) return fail("channel_not_found");
  return ok({{"channel", channel_json(it->second)}});
}

ApiResponse WorkspaceModel::conversations_join(const Json& args) {
  auto it = channels_.find(arg(args, "channel"));
  if (it == channels_.end()) return fail("channel_not_found");
  if (it->second.is_private) return fail("method_not_supported_for_channel_type");
  if (it->second.is_archived) return fail("is_archived");
  if (it->second.is_member) {
    return ok({{"channel", channel_json(it->second)},
               {"warning", "already_in_channel"},
               {"response_metadata", {{"warnings", Json::array({"already_in_channel"})}}}});
  }
  it->second.is_member = true;
  return ok({{"channel", channel_json(it->second)}});
}

// One user only: a multi-person direct message is not something the desk opens.
ApiResponse WorkspaceModel::conversations_open(const Json& args) {
  const auto user = arg(args, "users");
  if (user.empty()) return fail("users_list_not_supplied");
  if (!users_.contains(user)) return fail("user_not_found");
  const auto channel_id = dm_channel(user);
  if (!channels_.contains(channel_id)) add_channel(Channel{channel_id, channel_id, true, false, true});
  return ok({{"channel", {{"id", channel_id}}}});
}

ApiResponse WorkspaceModel::conversations_history(const Json& args) {
  auto it = channels_.find(arg(args, "channel"));
  if (it == channels_.end() || (it->second.is_private && !it->second.is_member)) return fail("channel_not_found");
  if (!it->second.is_member) return fail("not_in_channel");
  // Newest first, and only top-level messages: Slack leaves thread replies to conversations.replies.
  std::vector<const Json*> top_level;
  const auto& all = messages_[it->first];
  for (auto m = all.rbegin(); m != all.rend(); ++m)
    if (!m->contains("thread_ts") || (*m)["thread_ts"] == (*m)["ts"]) top_level.push_back(&*m);
  return message_page(top_level, args);
}

ApiResponse WorkspaceModel::conversations_replies(const Json& args) {
  auto it = channels_.find(arg(args, "channel"));
  if (it == channels_.end() || (it->second.is_private && !it->second.is_member)) return fail("channel_not_found");
  if (!it->second.is_member) return fail("not_in_channel");
  const auto parent = arg(args, "ts");
  if (parent.empty()) return fail("invalid_arguments");
  // The parent first, then its replies, oldest first.
  std::vector<const Json*> thread;
  for (const auto& m : messages_[it->first])
    if (m["ts"] == parent || m.value("thread_ts", "") == parent) thread.push_back(&m);
  if (thread.empty() || (*thread.front())["ts"] != parent) return fail("thread_not_found");
  return message_page(thread, args);
}

ApiResponse WorkspaceModel::message_page(const std::vector<const Json*>& messages, const Json& args) {
  const auto oldest = arg(args, "oldest");
  const auto latest = arg(args, "latest");
  const int limit = std::clamp(int_arg(args, "limit", 100), 1, 999);
  const int skip = int_arg(args, "cursor", 0);
  const bool with_metadata = flag(args, "include_all_metadata");
  Json page = Json::array();
  int seen = 0;
  bool more = false;
  for (const Json* m : messages) {
    // ts strings of one length compare correctly as strings.
    const std::string ts = (*m)["ts"];
    if ((!oldest.empty() && ts < oldest) || (!latest.empty() && ts > latest)) continue;
    if (seen++ < skip) continue;
    if (static_cast<int>(page.size()) == limit) {
      more = true;
      break;
    }
    Json copy = *m;
    if (!with_metadata) copy.erase("metadata");
    page.push_back(copy);
  }
  return ok({{"messages", page},
             {"has_more", more},
             {"response_metadata", {{"next_cursor", more ? std::to_string(skip + limit) : ""}}}});
}

// ---- Pins (reference: pins.add, pins.remove, pins.list; scopes pins:write and pins:read) ----

namespace {

/// The bot token's scopes as the app manifest asks for them, and the one each method needs.
const std::vector<std::string> kBotScopes = {
    "commands",    "chat:write",     "chat:write.public", "channels:join",   "channels:read",    "channels:history",
    "groups:read", "groups:history", "users:read",        "usergroups:read", "usergroups:write", "app_mentions:read",
    "im:write",    "im:history",     "pins:read",         "pins:write"};
const std::map<std::string, std::string> kScopeOfMethod = {{"chat.postMessage", "chat:write"},
                                                           {"chat.update", "chat:write"},
                                                           {"chat.postEphemeral", "chat:write"},
                                                           {"users.info", "users:read"},
                                                           {"usergroups.list", "usergroups:read"},
                                                           {"usergroups.users.update", "usergroups:write"},
                                                           {"conversations.list", "channels:read"},
                                                           {"conversations.info", "channels:read"},
                                                           {"conversations.join", "channels:join"},
                                                           {"conversations.history", "channels:history"},
                                                           {"conversations.replies", "channels:history"},
                                                           {"conversations.open", "im:write"},
                                                           {"pins.add", "pins:write"},
                                                           {"pins.remove", "pins:write"},
                                                           {"pins.list", "pins:read"}};

}  // namespace

void WorkspaceModel::withhold_scope(const std::string& scope) { withheld_scopes_.insert(scope); }

std::optional<ApiResponse> WorkspaceModel::scope_problem(const std::string& method) const {
  const auto needed = kScopeOfMethod.find(method);
  if (needed == kScopeOfMethod.end() || !withheld_scopes_.contains(needed->second)) return std::nullopt;
  std::string provided;
  for (const auto& scope : kBotScopes)
    if (!withheld_scopes_.contains(scope)) provided += (provided.empty() ? "" : ",") + scope;
  return fail("missing_scope", Json{{"needed", needed->second}, {"provided", provided}});
}

std::vector<std::string> WorkspaceModel::pinned(const std::string& channel) const {
  auto it = pins_.find(channel);
  return it == pins_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<ApiResponse> WorkspaceModel::pins_channel_problem(const std::string& channel) const {
  auto it = channels_.find(channel);
  if (channel.empty() || it == channels_.end() || (it->second.is_private && !it->second.is_member))
    return fail("channel_not_found");
  if (!it->second.is_member) return fail("not_in_channel");
  return std::nullopt;
}

ApiResponse WorkspaceModel::pins_change(const Json& args, bool pin) {
  const auto channel = arg(args, "channel");
  if (auto problem = pins_channel_problem(channel)) return *problem;
  const auto ts = arg(args, "timestamp");
  if (ts.empty()) return fail("no_item_specified");
  if (find_message(channel, ts) == nullptr) return fail("message_not_found");
  auto& pins = pins_[channel];
  const auto at = std::find(pins.begin(), pins.end(), ts);
  if (pin && at != pins.end()) return fail("already_pinned");
  if (!pin && at == pins.end()) return fail("no_pin");
  if (pin)
    pins.push_back(ts);
  else
    pins.erase(at);
  return ok();
}

ApiResponse WorkspaceModel::pins_list(const Json& args) {
  const auto channel = arg(args, "channel");
  if (auto problem = pins_channel_problem(channel)) return *problem;
  // Newest pin first. The message comes without its metadata: the desk must know its pins without it.
  Json items = Json::array();
  const auto& pins = pins_[channel];
  for (auto ts = pins.rbegin(); ts != pins.rend(); ++ts) {
    Json message = *find_message(channel, *ts);
    message.erase("metadata");
    items.push_back({{"type", "message"},
                     {"created", 1700000000},
                     {"created_by", "U0BOT"},
                     {"channel", channel},
                     {"message", std::move(message)}});
  }
  return ok({{"items", items}});
}

}  // namespace desk::emulator
