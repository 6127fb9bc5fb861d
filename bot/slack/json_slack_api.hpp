#pragma once
/// Shared half of every SlackApi implementation: turns each typed call into one `ApiCall` (method,
/// JSON arguments, body encoding, queue key) and each JSON answer back into typed results. The
/// real client and the fake both derive from it, so the fake exercises the same encoding.
#include <string>

#include "bot/slack/slack_api.hpp"

namespace desk::bot::slack {

/// How the arguments travel. Write methods (chat.*, views.*) take JSON; Slack's read methods do
/// not read JSON bodies, so they go form-encoded (the Python SDK makes the same split).
enum class BodyEncoding { json, form };

struct ApiCall {
  std::string method;
  nlohmann::json args = nlohmann::json::object();
  BodyEncoding encoding = BodyEncoding::form;
  /// Calls with the same key wait in one queue, in order (per method; per channel for posts).
  std::string queue_key;
  /// True when sending the call twice cannot have a visible effect twice (reads, chat.update,
  /// views.update, usergroups.users.update, conversations.join). Posts are never resent after the
  /// request may have reached Slack.
  bool retry_safe = false;
  /// apps.connections.open authenticates with the app-level token instead of the bot token.
  std::string app_token;
};

/// Throws SlackApiError when `response` is not an object with `ok: true`.
void check_ok(const std::string& method, const nlohmann::json& response);

/// application/x-www-form-urlencoded body: strings as they are, other values as JSON text.
std::string form_encode(const nlohmann::json& args);

/// Percent-encodes one form component (RFC 3986 unreserved characters stay as they are).
std::string url_encode(std::string_view text);

class JsonSlackApi : public SlackApi {
 public:
  Task<AuthInfo> auth_test() override;
  Task<std::string> apps_connections_open(std::string app_token) override;
  Task<PostedMessage> chat_post_message(PostMessage message) override;
  Task<PostedMessage> chat_update(UpdateMessage message) override;
  Task<std::string> chat_post_ephemeral(PostEphemeral message) override;
  Task<std::string> chat_get_permalink(std::string channel, std::string message_ts) override;
  Task<ViewInfo> views_open(std::string trigger_id, nlohmann::json view) override;
  Task<ViewInfo> views_update(std::string view_id, nlohmann::json view, std::string hash = {}) override;
  Task<UserInfo> users_info(std::string user) override;
  Task<std::vector<UserGroup>> usergroups_list(bool include_users, bool include_disabled = false) override;
  Task<UserGroup> usergroups_users_update(std::string usergroup, std::vector<std::string> users) override;
  Task<ConversationPage> conversations_list(std::string cursor = {}, int limit = 200) override;
  Task<Conversation> conversations_info(std::string channel) override;
  Task<Conversation> conversations_join(std::string channel) override;
  Task<HistoryPage> conversations_history(HistoryQuery query) override;
  Task<HistoryPage> conversations_replies(HistoryQuery query) override;
  Task<std::string> conversations_open(std::string user) override;
  Task<UploadTicket> files_get_upload_url_external(std::string filename, std::size_t length,
                                                   std::string alt_text) override;
  Task<void> files_complete_upload_external(CompleteUpload upload) override;
  Task<void> pins_add(std::string channel, std::string ts) override;
  Task<void> pins_remove(std::string channel, std::string ts) override;
  Task<std::vector<PinnedMessage>> pins_list(std::string channel) override;

 protected:
  /// Sends one call and returns Slack's answer when `ok` is true; throws SlackApiError otherwise.
  virtual Task<nlohmann::json> invoke(ApiCall call) = 0;
};

}  // namespace desk::bot::slack
