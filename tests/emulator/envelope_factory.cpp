#include "tests/emulator/envelope_factory.hpp"

#include <cstdio>
#include <mutex>
#include <random>

namespace desk::emulator {

using Json = nlohmann::json;

std::string new_envelope_id() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(mutex);
  auto a = rng();
  auto b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-%04llx-%012llx", static_cast<unsigned long long>(a >> 32),
                static_cast<unsigned long long>((a >> 16) & 0xffff), static_cast<unsigned long long>(a & 0xfff),
                static_cast<unsigned long long>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

Json hello_frame(int num_connections, const std::string& app_id) {
  return Json{{"type", "hello"},
              {"num_connections", num_connections},
              {"connection_info", {{"app_id", app_id}}},
              {"debug_info",
               {{"host", "applink-emulator"},
                {"started", "2026-01-10 12:12:12.120"},
                {"build_number", 54},
                {"approximate_connection_time", 18060}}}};
}

Json disconnect_frame(const std::string& reason, int num_connections) {
  Json frame{{"type", "disconnect"}, {"reason", reason}, {"debug_info", {{"host", "wss-emulator"}}}};
  if (reason == "too_many_websockets") frame["num_connections"] = num_connections;
  return frame;
}

Json envelope_frame(const std::string& envelope_id, const std::string& type, Json payload,
                    bool accepts_response_payload, int retry_attempt, const std::string& retry_reason) {
  Json frame{{"envelope_id", envelope_id},
             {"type", type},
             {"accepts_response_payload", accepts_response_payload},
             {"payload", std::move(payload)}};
  if (type == "events_api") {
    frame["retry_attempt"] = retry_attempt;
    frame["retry_reason"] = retry_reason;
  }
  return frame;
}

Json event_callback(Json event, const std::string& event_id, const std::string& app_id) {
  return Json{{"token", "emulated-verification-token"},
              {"team_id", "T0EMU"},
              {"api_app_id", app_id},
              {"event", std::move(event)},
              {"type", "event_callback"},
              {"event_id", event_id},
              {"event_time", 1767225600},
              {"event_context", "4-eyJldCI6Im1lc3NhZ2UifQ"},
              {"authorizations", Json::array({{{"enterprise_id", nullptr},
                                               {"team_id", "T0EMU"},
                                               {"user_id", "U0BOT"},
                                               {"is_bot", true},
                                               {"is_enterprise_install", false}}})},
              {"is_ext_shared_channel", false}};
}

Json message_event(const std::string& channel, const std::string& user, const std::string& text, const std::string& ts,
                   const std::string& thread_ts) {
  Json event{{"type", "message"}, {"channel", channel}, {"channel_type", "channel"}, {"user", user}, {"text", text},
             {"ts", ts},          {"event_ts", ts}};
  if (!thread_ts.empty()) event["thread_ts"] = thread_ts;
  return event;
}

Json slash_command_payload(const std::string& command, const std::string& text, const std::string& user,
                           const std::string& channel, const std::string& trigger_id, const std::string& app_id) {
  return Json{{"token", "emulated-verification-token"},
              {"team_id", "T0EMU"},
              {"team_domain", "emulated"},
              {"channel_id", channel},
              {"channel_name", "ai-escalation"},
              {"user_id", user},
              {"user_name", "someone"},
              {"command", command},
              {"text", text},
              {"api_app_id", app_id},
              {"is_enterprise_install", "false"},
              {"response_url", "https://hooks.emulated.slack.com/commands/T0EMU/1234/abcd"},
              {"trigger_id", trigger_id}};
}

Json block_actions_payload(const std::string& action_id, const std::string& value, const std::string& user,
                           const std::string& channel, const std::string& message_ts, const std::string& trigger_id) {
  return Json{
      {"type", "block_actions"},
      {"team", {{"id", "T0EMU"}, {"domain", "emulated"}}},
      {"user", {{"id", user}, {"username", "someone"}, {"name", "someone"}, {"team_id", "T0EMU"}}},
      {"api_app_id", "A0EMU"},
      {"token", "emulated-verification-token"},
      {"container",
       {{"type", "message"}, {"message_ts", message_ts}, {"channel_id", channel}, {"is_ephemeral", false}}},
      {"trigger_id", trigger_id},
      {"channel", {{"id", channel}, {"name", "ai-escalation"}}},
      {"message", {{"type", "message"}, {"bot_id", "B0BOT"}, {"user", "U0BOT"}, {"ts", message_ts}, {"text", ""}}},
      {"state", {{"values", Json::object()}}},
      {"response_url", "https://hooks.emulated.slack.com/actions/A0EMU/1/abc"},
      {"actions", Json::array({{{"type", "button"},
                                {"action_id", action_id},
                                {"block_id", "actions-1"},
                                {"text", {{"type", "plain_text"}, {"text", "Accept"}, {"emoji", true}}},
                                {"value", value},
                                {"action_ts", "1548426417.840180"}}})},
      {"enterprise", nullptr},
      {"is_enterprise_install", false}};
}

Json view_submission_payload(const std::string& callback_id, const std::string& private_metadata,
                             const std::string& block_id, const std::string& action_id, const std::string& value,
                             const std::string& user, const std::string& trigger_id) {
  Json values = Json::object();
  values[block_id][action_id] = {{"type", "plain_text_input"}, {"value", value}};
  return Json{{"type", "view_submission"},
              {"team", {{"id", "T0EMU"}, {"domain", "emulated"}}},
              {"user", {{"id", user}, {"username", "someone"}, {"name", "someone"}, {"team_id", "T0EMU"}}},
              {"api_app_id", "A0EMU"},
              {"token", "emulated-verification-token"},
              {"trigger_id", trigger_id},
              {"view",
               {{"id", "V0EMU"},
                {"team_id", "T0EMU"},
                {"type", "modal"},
                {"callback_id", callback_id},
                {"private_metadata", private_metadata},
                {"title", {{"type", "plain_text"}, {"text", "Decision"}}},
                {"blocks", Json::array()},
                {"state", {{"values", values}}},
                {"hash", "156663117.cd33ad1f"},
                {"root_view_id", "V0EMU"},
                {"previous_view_id", nullptr},
                {"app_id", "A0EMU"},
                {"bot_id", "B0BOT"},
                {"external_id", ""},
                {"clear_on_close", false},
                {"notify_on_close", false}}},
              {"response_urls", Json::array()},
              {"is_enterprise_install", false},
              {"enterprise", nullptr}};
}

}  // namespace desk::emulator
