#include "tests/emulator/workspace_model.hpp"

#include "tests/emulator/workspace_answers.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace desk::emulator {
namespace {

using Json = nlohmann::json;
using namespace answers;

// Slack reads JSON bodies only on write methods; read methods take form or query arguments.
const std::set<std::string> kJsonMethods = {"chat.postMessage",  "chat.update",  "chat.postEphemeral",
                                            "views.open",        "views.update", "usergroups.users.update",
                                            "conversations.join"};

int from_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && from_hex(s[i + 1]) >= 0 && from_hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(from_hex(s[i + 1]) * 16 + from_hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Json decode_form(std::string_view text) {
  Json out = Json::object();
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('&', start);
    auto pair = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto eq = pair.find('=');
    auto key = url_decode(pair.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    if (!key.empty()) {
      auto parsed = Json::parse(value, nullptr, false);
      out[key] = (!parsed.is_discarded() && (parsed.is_object() || parsed.is_array())) ? parsed : Json(value);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

WorkspaceModel::WorkspaceModel(WorkspaceOptions options) : options_(std::move(options)) {
  add_channel(Channel{"C0DESK", "ai-escalation", false, false, true});
  add_channel(Channel{"C0PUBLIC", "general", false, false, false});
  add_channel(Channel{"G0PRIVATE", "legal-private", true, false, false});
  add_channel(Channel{"C0ARCHIVED", "old-desk", false, true, false});
  add_user("U0LEAD", "lead", "Europe/London");
  add_user("U0BACKUP", "backup", "Europe/Amsterdam");
  add_user("U0USER", "someone", "America/New_York");
  add_usergroup("S0DESK", "ai-escalation", {"U0LEAD"});
}

void WorkspaceModel::rate_limit(const std::string& method, int times, int retry_after_s) {
  for (int i = 0; i < times; ++i) rate_limits_[method].push_back(retry_after_s);
}

void WorkspaceModel::fail_next(const std::string& method, const std::string& error) {
  failures_[method].push_back(error);
}

std::string WorkspaceModel::issue_trigger_id(SteadyClock::time_point now) {
  ++counter_;
  auto id = std::to_string(1000000 + counter_) + "." + std::to_string(333649436676ULL + counter_) + ".d8c1bb8379";
  triggers_[id] = now;
  return id;
}

void WorkspaceModel::add_channel(Channel channel) {
  messages_[channel.id];
  channels_[channel.id] = std::move(channel);
}

void WorkspaceModel::add_user(const std::string& id, const std::string& name, const std::string& tz) {
  users_[id] = Json{{"id", id},         {"name", name},    {"real_name", name},
                    {"tz", tz},         {"tz_label", tz},  {"tz_offset", 0},
                    {"deleted", false}, {"is_bot", false}, {"profile", {{"display_name", name}}}};
}

void WorkspaceModel::add_usergroup(const std::string& id, const std::string& handle, std::vector<std::string> users) {
  usergroups_[id] = Json{{"id", id},         {"handle", handle}, {"name", handle},
                         {"date_delete", 0}, {"users", users},   {"user_count", users.size()}};
}

std::string WorkspaceModel::add_user_message(const std::string& channel, const std::string& user,
                                             const std::string& text, const std::string& thread_ts) {
  Json message{{"type", "message"}, {"user", user}, {"ts", next_ts()}, {"text", text}};
  if (!thread_ts.empty()) message["thread_ts"] = thread_ts;
  messages_[channel].push_back(message);
  return message["ts"];
}

const std::vector<Json>& WorkspaceModel::messages(const std::string& channel) const {
  static const std::vector<Json> kNone;
  auto it = messages_.find(channel);
  return it == messages_.end() ? kNone : it->second;
}

std::vector<std::string> WorkspaceModel::usergroup_users(const std::string& id) const {
  auto it = usergroups_.find(id);
  if (it == usergroups_.end()) return {};
  return it->second["users"].get<std::vector<std::string>>();
}

bool WorkspaceModel::redeem_ticket(const std::string& ticket) { return tickets_.erase(ticket) == 1; }

std::string WorkspaceModel::next_ts() {
  // Like Slack's: the current Unix time in microseconds, unique and increasing within a channel, so
  // conversations.history's oldest/latest bounds work as they do against Slack.
  const auto now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  last_ts_us_ = std::max<std::int64_t>(last_ts_us_ + 1, now_us);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(last_ts_us_ / 1000000),
                static_cast<long long>(last_ts_us_ % 1000000));
  return buf;
}

Json* WorkspaceModel::find_message(const std::string& channel, const std::string& ts) {
  auto it = messages_.find(channel);
  if (it == messages_.end()) return nullptr;
  for (auto& m : it->second) {
    if (m["ts"] == ts) return &m;
  }
  return nullptr;
}

ApiResponse WorkspaceModel::handle(const ApiRequest& request, SteadyClock::time_point now) {
  CallRecord record;
  record.method = request.method;
  record.content_type = request.content_type;
  record.at = now;
  std::string token;
  if (lower(request.authorization.substr(0, 7)) == "bearer ") token = request.authorization.substr(7);
  record.auth = token.empty()                 ? "none"
                : token == options_.bot_token ? "bot"
                : token == options_.app_token ? "app"
                                              : "invalid";
  ApiResponse response;
  auto type = lower(request.content_type);
  if (request.http_method == "GET") {
    record.args = decode_form(request.query);
  } else if (type.starts_with("application/json")) {
    auto charset = type.find("charset=");
    record.args = Json::parse(request.body, nullptr, false);
    if (charset != std::string::npos && type.substr(charset + 8) != "utf-8" &&
        type.substr(charset + 8) != "iso-8859-1") {
      response = fail("invalid_charset");
    } else if (record.args.is_discarded()) {
      response = fail("invalid_json");
    } else if (!record.args.is_object()) {
      response = fail("json_not_object");
    } else if (!kJsonMethods.contains(request.method)) {
      record.args = Json::object();  // Slack ignores JSON arguments on read methods
    }
  } else if (type.starts_with("application/x-www-form-urlencoded")) {
    record.args = decode_form(request.body);
  } else if (!request.body.empty()) {
    response = fail(type.empty() ? "missing_post_type" : "invalid_post_type");
  }
  if (record.args.is_discarded() || !record.args.is_object()) record.args = Json::object();

  if (response.body.is_null()) {
    if (record.auth == "none") {
      response = fail("not_authed");
    } else if (record.auth == "invalid") {
      response = fail("invalid_auth");
    } else if ((request.method == "apps.connections.open") != (record.auth == "app")) {
      response = fail("not_allowed_token_type");
    } else if (auto missing = scope_problem(request.method)) {
      response = *missing;
    } else if (auto limit = rate_limits_.find(request.method); limit != rate_limits_.end() && !limit->second.empty()) {
      response = ApiResponse{429, Json{{"ok", false}, {"error", "ratelimited"}}, limit->second.front()};
      limit->second.pop_front();
    } else if (auto failure = failures_.find(request.method); failure != failures_.end() && !failure->second.empty()) {
      response = fail(failure->second.front());
      failure->second.pop_front();
    } else {
      response = dispatch(request.method, record.args, now);
    }
  }
  record.status = response.status;
  if (response.body.is_object() && response.body.contains("error")) record.error = response.body["error"];
  calls_.push_back(std::move(record));
  return response;
}

ApiResponse WorkspaceModel::dispatch(const std::string& method, const Json& args, SteadyClock::time_point now) {
  if (method == "auth.test") {
    return ok({{"url", "https://emulated.slack.com/"},
               {"team", "Emulated"},
               {"team_id", "T0EMU"},
               {"user", "escalation-desk"},
               {"user_id", "U0BOT"},
               {"bot_id", "B0BOT"},
               {"is_enterprise_install", false}});
  }
  if (method == "apps.connections.open") return open_connection();
  if (method == "chat.postMessage") return post_message(args);
  if (method == "chat.update") return update_message(args);
  if (method == "chat.postEphemeral") return post_ephemeral(args);
  if (method == "chat.getPermalink") return permalink(args);
  if (method == "views.open") return views_open(args, now);
  if (method == "views.update") return views_update(args);
  if (method == "users.info") return users_info(args);
  if (method == "usergroups.list") return usergroups_list(args);
  if (method == "usergroups.users.update") return usergroups_update(args);
  if (method == "conversations.list") return conversations_list(args);
  if (method == "conversations.info") return conversations_info(args);
  if (method == "conversations.join") return conversations_join(args);
  if (method == "conversations.open") return conversations_open(args);
  if (method == "conversations.history") return conversations_history(args);
  if (method == "conversations.replies") return conversations_replies(args);
  if (method == "files.getUploadURLExternal") return files_upload_url(args);
  if (method == "files.completeUploadExternal") return files_complete_upload(args);
  if (method == "pins.add" || method == "pins.remove") return pins_change(args, method == "pins.add");
  if (method == "pins.list") return pins_list(args);
  return fail("unknown_method");
}

ApiResponse WorkspaceModel::open_connection() {
  auto ticket = "tk-" + std::to_string(++counter_) + "-" + std::to_string(tickets_issued_++);
  tickets_.insert(ticket);
  return ok({{"url", socket_url ? socket_url(ticket) : "wss://localhost/link/?ticket=" + ticket}});
}

}  // namespace desk::emulator
