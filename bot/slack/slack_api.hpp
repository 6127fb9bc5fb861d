#pragma once
/// The seam between the desk and Slack's Web API. Handlers, the Socket Mode client and the runner
/// depend on this interface only; `WebApiClient` is the real one and `FakeSlackApi` (tests/fakes/)
/// records calls for tests. Every method is a coroutine that throws `SlackApiError` when Slack
/// answers `ok:false`, and `SlackTransportError` when no answer could be had. Arguments are taken by
/// value on purpose: a coroutine frame outlives the caller's temporaries
/// (`co_spawn(ex, api.chat_post_message({…}))`).
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

namespace desk::bot::slack {

/// Slack answered `ok:false`. Keeps Slack's error string, the `needed` scope of `missing_scope`
/// and `response_metadata.messages` (Block Kit validation details).
class SlackApiError : public std::runtime_error {
 public:
  SlackApiError(std::string method, std::string error, std::string needed = {}, std::vector<std::string> messages = {});
  const std::string& method() const { return method_; }
  const std::string& error() const { return error_; }
  const std::string& needed() const { return needed_; }
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::string method_;
  std::string error_;
  std::string needed_;
  std::vector<std::string> messages_;
};

/// No usable answer: connect/TLS/HTTP failure, timeout, non-JSON body, or a 5xx that was not retried.
class SlackTransportError : public std::runtime_error {
 public:
  SlackTransportError(std::string method, const std::string& what)
      : std::runtime_error(method + ": " + what), method_(std::move(method)) {}
  const std::string& method() const { return method_; }

 private:
  std::string method_;
};

struct AuthInfo {
  std::string url, team, team_id, user, user_id, bot_id;
};

/// Slack message metadata; the desk tags each escalation post with event_type "escalation_posted"
/// and the escalation id in the payload, so a post can be found after a crash.
struct MessageMetadata {
  std::string event_type;
  nlohmann::json event_payload = nlohmann::json::object();
};

struct PostMessage {
  std::string channel;
  std::string text;       ///< fallback text; always sent
  nlohmann::json blocks;  ///< array or null
  std::string thread_ts;
  bool unfurl_links = false;
  std::optional<MessageMetadata> metadata;
};

struct UpdateMessage {
  std::string channel;
  std::string ts;
  std::string text;
  nlohmann::json blocks;  ///< array, or null to leave blocks out (Slack then removes them)
};

struct PostEphemeral {
  std::string channel;
  std::string user;
  std::string text;
  nlohmann::json blocks;
  std::string thread_ts;
};

struct PostedMessage {
  std::string channel;
  std::string ts;
};

struct ViewInfo {
  std::string id;
  std::string hash;
  nlohmann::json view;
};

struct UserInfo {
  std::string id, name, real_name, display_name, tz, tz_label;
  int tz_offset = 0;
  bool deleted = false, is_bot = false, is_restricted = false;
};

struct UserGroup {
  std::string id, handle, name;
  std::vector<std::string> users;
  bool disabled = false;  ///< date_delete != 0
};

struct Conversation {
  std::string id, name;
  bool is_private = false, is_archived = false, is_member = false;
};

struct ConversationPage {
  std::vector<Conversation> channels;
  std::string next_cursor;  ///< empty at the end
};

struct HistoryQuery {
  std::string channel;
  std::string thread_ts;  ///< conversations.replies only (required there): the thread's parent ts
  std::string oldest;     ///< ts strings, optional
  std::string latest;
  int limit = 100;
  std::string cursor;
  bool include_all_metadata = true;
};

struct HistoryMessage {
  std::string ts, text, user, bot_id, thread_ts;
  std::optional<MessageMetadata> metadata;
  std::vector<std::string> file_names;  ///< the names of the files the message shares, if any
};

/// files.getUploadURLExternal's answer: where to send the bytes, and the file they become.
struct UploadTicket {
  std::string upload_url;
  std::string file_id;
};

/// files.completeUploadExternal for one uploaded file, shared in `channel_id` (in the thread under
/// `thread_ts` when set) with `initial_comment` as its message text.
struct CompleteUpload {
  std::string file_id;
  std::string title;
  std::string channel_id;
  std::string thread_ts;
  std::string initial_comment;
};

struct HistoryPage {
  std::vector<HistoryMessage> messages;
  bool has_more = false;
  std::string next_cursor;
};

/// A message pinned in a channel, as pins.list gives it (pinned files are left out).
struct PinnedMessage {
  std::string ts, user, bot_id;
  std::optional<MessageMetadata> metadata;  ///< when Slack includes it
  std::vector<std::string> block_ids;       ///< of its top-level blocks
};

class SlackApi {
 public:
  template <typename T>
  using Task = boost::asio::awaitable<T>;

  virtual ~SlackApi() = default;

  /// auth.test with the bot token: who the bot is. Fails with invalid_auth on a bad token.
  virtual Task<AuthInfo> auth_test() = 0;
  /// apps.connections.open with the app-level token: a single-use wss:// URL.
  virtual Task<std::string> apps_connections_open(std::string app_token) = 0;
  virtual Task<PostedMessage> chat_post_message(PostMessage message) = 0;
  virtual Task<PostedMessage> chat_update(UpdateMessage message) = 0;
  /// Returns the ephemeral message_ts (it cannot be updated later).
  virtual Task<std::string> chat_post_ephemeral(PostEphemeral message) = 0;
  virtual Task<std::string> chat_get_permalink(std::string channel, std::string message_ts) = 0;
  /// views.open: `trigger_id` is valid for 3 s and once only.
  virtual Task<ViewInfo> views_open(std::string trigger_id, nlohmann::json view) = 0;
  /// views.update; `hash` (optional) refuses a stale overwrite with hash_conflict.
  virtual Task<ViewInfo> views_update(std::string view_id, nlohmann::json view, std::string hash = {}) = 0;
  virtual Task<UserInfo> users_info(std::string user) = 0;
  virtual Task<std::vector<UserGroup>> usergroups_list(bool include_users, bool include_disabled = false) = 0;
  /// Replaces the whole member list of `usergroup` (it cannot be emptied).
  virtual Task<UserGroup> usergroups_users_update(std::string usergroup, std::vector<std::string> users) = 0;
  virtual Task<ConversationPage> conversations_list(std::string cursor = {}, int limit = 200) = 0;
  virtual Task<Conversation> conversations_info(std::string channel) = 0;
  /// Joining a channel the bot is already in succeeds (Slack adds a warning).
  virtual Task<Conversation> conversations_join(std::string channel) = 0;
  virtual Task<HistoryPage> conversations_history(HistoryQuery query) = 0;
  /// conversations.open for one user: the id of the bot's direct message channel with them (the one
  /// a chat.postMessage to the user id lands in), so the desk can look a direct message up.
  virtual Task<std::string> conversations_open(std::string user) = 0;
  /// A thread: its parent, then the replies, oldest first. conversations.history never returns
  /// replies, so this is the only way to find a reply the desk may already have posted.
  virtual Task<HistoryPage> conversations_replies(HistoryQuery query) = 0;
  /// files.getUploadURLExternal: the first step of a file upload (scope files:write).
  virtual Task<UploadTicket> files_get_upload_url_external(std::string filename, std::size_t length,
                                                           std::string alt_text) = 0;
  /// The second step: the file's bytes POSTed to the ticket's upload URL (an https URL Slack chose;
  /// no token is sent there). Throws SlackTransportError unless the answer is HTTP 200.
  virtual Task<void> upload_file_bytes(std::string upload_url, std::string bytes) = 0;
  /// files.completeUploadExternal: the file exists and is shared as asked. Sending it twice could
  /// share it twice, so it is never resent after it may have reached Slack.
  virtual Task<void> files_complete_upload_external(CompleteUpload upload) = 0;
  /// pins.add (scope pins:write). Pinning a message pinned already fails with already_pinned.
  virtual Task<void> pins_add(std::string channel, std::string ts) = 0;
  /// pins.remove (scope pins:write). A message not pinned fails with no_pin.
  virtual Task<void> pins_remove(std::string channel, std::string ts) = 0;
  /// pins.list (scope pins:read): the messages pinned in `channel` (Slack does not page it).
  virtual Task<std::vector<PinnedMessage>> pins_list(std::string channel) = 0;
};

/// The metadata event type of escalation posts.
inline constexpr const char* kEscalationPostedEvent = "escalation_posted";

/// Finds the desk's post for `escalation_id` (metadata event_type "escalation_posted", payload
/// field "escalation_id") in `channel`, newest first, looking at most `max_pages` pages back from
/// `oldest` (a ts string, may be empty). Used after a crash before posting again.
boost::asio::awaitable<std::optional<HistoryMessage>> find_escalation_post(SlackApi& api, std::string channel,
                                                                           std::string escalation_id,
                                                                           std::string oldest = {}, int max_pages = 5);

}  // namespace desk::bot::slack
