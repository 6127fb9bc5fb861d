#include "bot/slack/fake_slack_api.hpp"

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
    // Newest first, like Slack.
    for (auto m = it->second.rbegin(); m != it->second.rend(); ++m) messages.push_back(*m);
  }
  return {{"ok", true}, {"messages", messages}, {"has_more", false}};
}

json FakeSlackApi::default_answer(const ApiCall& call) {
  const auto& m = call.method;
  const auto& a = call.args;
  if (m == "auth.test") {
    return {{"ok", true}, {"url", "https://fake.slack.com/"}, {"team", "Fake"}, {"team_id", "T0FAKE"},
            {"user", "desk"}, {"user_id", "U0BOT"}, {"bot_id", "B0BOT"}};
  }
  if (m == "apps.connections.open") return {{"ok", true}, {"url", "wss://fake.invalid/link/?ticket=t"}};
  if (m == "chat.postMessage") {
    auto ts = std::to_string(next_ts_++) + ".000100";
    json stored{{"type", "message"}, {"ts", ts}, {"text", arg(a, "text")}, {"bot_id", "B0BOT"}};
    if (a.contains("metadata")) stored["metadata"] = a["metadata"];
    posted_[arg(a, "channel")].push_back(stored);
    return {{"ok", true}, {"channel", arg(a, "channel")}, {"ts", ts}, {"message", stored}};
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
  if (m == "conversations.info" || m == "conversations.join") {
    return {{"ok", true}, {"channel", {{"id", arg(a, "channel")}, {"name", "ai-escalation"}, {"is_member", true}}}};
  }
  if (m == "conversations.list") return {{"ok", true}, {"channels", json::array()}};
  if (m == "usergroups.list") return {{"ok", true}, {"usergroups", json::array()}};
  return {{"ok", true}};
}

SlackApi::Task<json> FakeSlackApi::invoke(ApiCall call) {
  calls_.push_back(RecordedCall{call.method, call.args, !call.app_token.empty()});
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
