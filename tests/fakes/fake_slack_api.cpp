#include "tests/fakes/fake_slack_api.hpp"

#include <algorithm>

namespace desk::bot::slack {
namespace {

using json = nlohmann::json;

std::string arg(const json& args, const char* key) {
  auto it = args.find(key);
  return (it != args.end() && it->is_string()) ? it->get<std::string>() : std::string{};
}

}  // namespace

void FakeSlackApi::respond(const std::string& method, json response) {
  json answer{{"ok", true}};
  if (response.is_object()) answer.update(response);
  canned_[method].push_back(std::move(answer));
}

void FakeSlackApi::fail(const std::string& method, const std::string& error, const std::string& needed) {
  json answer{{"ok", false}, {"error", error}};
  if (!needed.empty()) answer["needed"] = needed;
  canned_[method].push_back(std::move(answer));
}

void FakeSlackApi::fail_transport(const std::string& method, const std::string& what) {
  transport_failures_[method].push_back(what);
}

void FakeSlackApi::add_usergroup(UserGroup group) {
  for (auto& g : usergroups_) {
    if (g.id == group.id) {
      g = std::move(group);
      return;
    }
  }
  usergroups_.push_back(std::move(group));
}

std::vector<std::string> FakeSlackApi::usergroup_users(const std::string& id) const {
  for (const auto& g : usergroups_)
    if (g.id == id) return g.users;
  return {};
}

json FakeSlackApi::usergroups_answer(const json& args) const {
  const bool users = args.value("include_users", false);
  const bool disabled = args.value("include_disabled", false);
  json groups = json::array();
  for (const auto& g : usergroups_) {
    if (g.disabled && !disabled) continue;  // Slack hides disabled groups unless asked
    json entry{{"id", g.id}, {"handle", g.handle}, {"name", g.name}, {"date_delete", g.disabled ? 1700000000 : 0}};
    if (users) entry["users"] = g.users;
    groups.push_back(std::move(entry));
  }
  return {{"ok", true}, {"usergroups", groups}};
}

std::optional<json> FakeSlackApi::update_usergroup(const json& args) {
  const std::string id = arg(args, "usergroup");
  for (auto& g : usergroups_) {
    if (g.id != id) continue;
    // The encoder sends the members as one comma-separated string, as Slack's form API takes them.
    const std::string list = arg(args, "users");
    if (list.empty()) return json{{"ok", false}, {"error", "no_users_provided"}};
    g.users.clear();
    for (std::size_t start = 0; start <= list.size();) {
      const auto comma = list.find(',', start);
      g.users.push_back(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return json{{"ok", true},
                {"usergroup", {{"id", g.id}, {"handle", g.handle}, {"name", g.name}, {"users", g.users}}}};
  }
  return std::nullopt;
}

std::vector<RecordedCall> FakeSlackApi::calls_to(const std::string& method) const {
  std::vector<RecordedCall> out;
  for (const auto& c : calls_) {
    if (c.method == method) out.push_back(c);
  }
  return out;
}

json FakeSlackApi::history_answer(const json& args) const {
  json messages = json::array();
  auto it = posted_.find(arg(args, "channel"));
  if (it != posted_.end()) {
    // Newest first and without thread replies, like Slack.
    for (auto m = it->second.rbegin(); m != it->second.rend(); ++m)
      if (!m->contains("thread_ts")) messages.push_back(*m);
  }
  return {{"ok", true}, {"messages", messages}, {"has_more", false}};
}

json FakeSlackApi::replies_answer(const json& args) const {
  json messages = json::array();
  const std::string parent = arg(args, "ts");
  auto it = posted_.find(arg(args, "channel"));
  if (it != posted_.end()) {
    // The parent, then its replies, oldest first.
    for (const auto& m : it->second)
      if (m.value("ts", "") == parent || m.value("thread_ts", "") == parent) messages.push_back(m);
  }
  if (messages.empty()) return {{"ok", false}, {"error", "thread_not_found"}};
  return {{"ok", true}, {"messages", messages}, {"has_more", false}};
}

std::vector<std::string> FakeSlackApi::pinned(const std::string& channel) const {
  auto it = pins_.find(channel);
  return it == pins_.end() ? std::vector<std::string>{} : it->second;
}

json FakeSlackApi::pins_answer(const std::string& method, const json& args) {
  const std::string channel = arg(args, "channel");
  auto& pins = pins_[channel];
  if (method == "pins.list") {
    json items = json::array();
    for (const auto& m : posted_[channel])
      if (std::find(pins.begin(), pins.end(), m.value("ts", "")) != pins.end())
        items.push_back({{"type", "message"}, {"channel", channel}, {"message", m}});
    return {{"ok", true}, {"items", items}};
  }
  const std::string ts = arg(args, "timestamp");
  const auto& messages = posted_[channel];
  const bool exists = std::any_of(messages.begin(), messages.end(), [&](const json& m) { return m["ts"] == ts; });
  if (!exists) return {{"ok", false}, {"error", "message_not_found"}};
  const auto at = std::find(pins.begin(), pins.end(), ts);
  if (method == "pins.add") {
    if (at != pins.end()) return {{"ok", false}, {"error", "already_pinned"}};
    pins.push_back(ts);
  } else {
    if (at == pins.end()) return {{"ok", false}, {"error", "no_pin"}};
    pins.erase(at);
  }
  return {{"ok", true}};
}

json FakeSlackApi::default_answer(const ApiCall& call) {
  const auto& m = call.method;
  const auto& a = call.args;
  if (m == "auth.test") {
    return {{"ok", true},       {"url", "https://fake.slack.com/"},
            {"team", "Fake"},   {"team_id", "T0FAKE"},
            {"user", "desk"},   {"user_id", "U0BOT"},
            {"bot_id", "B0BOT"}};
  }
  if (m == "apps.connections.open") return {{"ok", true}, {"url", "wss://fake.invalid/link/?ticket=t"}};
  if (m == "chat.postMessage") {
    auto ts = std::to_string(next_ts_++) + ".000100";
    json stored{{"type", "message"}, {"ts", ts}, {"text", arg(a, "text")}, {"bot_id", "B0BOT"}};
    if (a.contains("metadata")) stored["metadata"] = a["metadata"];
    if (a.contains("blocks")) stored["blocks"] = a["blocks"];
    if (const auto thread = arg(a, "thread_ts"); !thread.empty()) stored["thread_ts"] = thread;
    // As in Slack, posting to a user id lands in the bot's direct message channel with them.
    std::string channel = arg(a, "channel");
    if (!channel.empty() && (channel[0] == 'U' || channel[0] == 'W')) channel = "D" + channel;
    posted_[channel].push_back(stored);
    return {{"ok", true}, {"channel", channel}, {"ts", ts}, {"message", stored}};
  }
  if (m == "chat.update") return {{"ok", true}, {"channel", arg(a, "channel")}, {"ts", arg(a, "ts")}};
  if (m == "chat.postEphemeral") return {{"ok", true}, {"message_ts", std::to_string(next_ts_++) + ".000200"}};
  if (m == "chat.getPermalink") {
    return {{"ok", true}, {"permalink", "https://fake.slack.com/archives/" + arg(a, "channel") + "/p1"}};
  }
  if (m == "views.open" || m == "views.update") {
    auto id = m == "views.open" ? "V" + std::to_string(next_view_++) : arg(a, "view_id");
    json view = a.value("view", json::object());
    view["id"] = id;
    view["hash"] = "hash-" + std::to_string(next_view_++);
    return {{"ok", true}, {"view", view}};
  }
  if (m == "users.info") {
    return {{"ok", true}, {"user", {{"id", arg(a, "user")}, {"name", "user"}, {"tz", "Europe/London"}}}};
  }
  if (m == "conversations.history") return history_answer(a);
  if (m == "conversations.replies") return replies_answer(a);
  if (m == "conversations.info" || m == "conversations.join") {
    return {{"ok", true}, {"channel", {{"id", arg(a, "channel")}, {"name", "ai-escalation"}, {"is_member", true}}}};
  }
  if (m == "conversations.open") return {{"ok", true}, {"channel", {{"id", "D" + arg(a, "users")}}}};
  if (m == "conversations.list") return {{"ok", true}, {"channels", json::array()}};
  if (m == "usergroups.list") return usergroups_answer(a);
  if (m == "files.getUploadURLExternal") return upload_ticket_answer(a);
  if (m == "files.completeUploadExternal") return complete_upload_answer(a);
  if (m == "pins.add" || m == "pins.remove" || m == "pins.list") return pins_answer(m, a);
  if (m == "usergroups.users.update") {
    if (auto answer = update_usergroup(a)) return *answer;
  }
  return {{"ok", true}};
}

std::optional<std::string> FakeSlackApi::take_transport_failure(const std::string& method) {
  auto lost = transport_failures_.find(method);
  if (lost == transport_failures_.end() || lost->second.empty()) return std::nullopt;
  std::string what = std::move(lost->second.front());
  lost->second.pop_front();
  return what;
}

std::string FakeSlackApi::uploaded_bytes(const std::string& id) const {
  const auto it = files_.find(id);
  return it == files_.end() ? std::string() : it->second.bytes;
}

SlackApi::Task<void> FakeSlackApi::upload_file_bytes(std::string upload_url, std::string bytes) {
  calls_.push_back(RecordedCall{"upload", {{"url", upload_url}, {"length", bytes.size()}}, false});
  if (auto what = take_transport_failure("upload")) throw SlackTransportError("file upload", *what);
  const auto slash = upload_url.rfind('/');
  const auto it = files_.find(slash == std::string::npos ? std::string() : upload_url.substr(slash + 1));
  if (it == files_.end()) throw SlackTransportError("file upload", "HTTP 404");
  it->second.bytes = std::move(bytes);
  it->second.uploaded = true;
  co_return;
}

json FakeSlackApi::upload_ticket_answer(const json& args) {
  const std::string id = "F" + std::to_string(next_ts_++);
  files_[id] = FakeFile{arg(args, "filename"), {}, false};
  return {{"ok", true}, {"upload_url", "https://files.fake.invalid/upload/v1/" + id}, {"file_id", id}};
}

json FakeSlackApi::complete_upload_answer(const json& args) {
  // The call's arguments before encoding: `files` is the array the form carries as JSON text.
  const json files = args.contains("files") && args["files"].is_array() ? args["files"] : json();
  if (!files.is_array() || files.empty()) return {{"ok", false}, {"error", "invalid_arguments"}};
  json shared = json::array();
  for (const auto& f : files) {
    const auto it = files_.find(f.is_object() ? f.value("id", "") : "");
    if (it == files_.end() || !it->second.uploaded) return {{"ok", false}, {"error", "file_not_found"}};
    shared.push_back({{"id", it->first}, {"name", it->second.name}, {"title", f.value("title", it->second.name)}});
  }
  if (const auto channel = arg(args, "channel_id"); !channel.empty()) {
    json message{{"type", "message"},
                 {"ts", std::to_string(next_ts_++) + ".000300"},
                 {"text", arg(args, "initial_comment")},
                 {"user", "U0BOT"},
                 {"files", shared},
                 {"upload", true}};
    if (const auto thread = arg(args, "thread_ts"); !thread.empty()) message["thread_ts"] = thread;
    posted_[channel].push_back(message);
  }
  return {{"ok", true}, {"files", shared}};
}

SlackApi::Task<json> FakeSlackApi::invoke(ApiCall call) {
  calls_.push_back(RecordedCall{call.method, call.args, !call.app_token.empty()});
  if (auto what = take_transport_failure(call.method)) throw SlackTransportError(call.method, *what);
  json answer;
  auto queued = canned_.find(call.method);
  if (queued != canned_.end() && !queued->second.empty()) {
    answer = std::move(queued->second.front());
    queued->second.pop_front();
  } else {
    answer = default_answer(call);
  }
  check_ok(call.method, answer);
  co_return answer;
}

}  // namespace desk::bot::slack
