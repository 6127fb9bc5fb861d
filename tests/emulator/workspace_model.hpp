#pragma once
/// The emulated workspace behind the Web API: channels, users, user groups, messages, modals and
/// trigger ids, answering each method the desk uses the way Slack does (reference/slack.md §3),
/// including its errors, switchable 429s, and a record of every call. No sockets: the server
/// hands it parsed requests. Not thread-safe; the emulator serialises access.
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace desk::emulator {

using SteadyClock = std::chrono::steady_clock;

struct ApiRequest {
  std::string method;         ///< e.g. "chat.postMessage"
  std::string http_method;    ///< "POST" or "GET"
  std::string authorization;  ///< the Authorization header as received
  std::string content_type;
  std::string body;
  std::string query;  ///< after '?', for GET
};

struct ApiResponse {
  unsigned status = 200;
  nlohmann::json body;
  std::optional<int> retry_after;  ///< seconds, for 429
};

/// One Web API call as the emulator saw it.
struct CallRecord {
  std::string method;
  std::string content_type;
  nlohmann::json args;  ///< decoded from JSON, form or query
  std::string auth;     ///< "bot", "app", "none" or "invalid" (never the token itself)
  unsigned status = 200;
  std::string error;  ///< Slack error string when ok:false
  SteadyClock::time_point at;
};

struct Channel {
  std::string id, name;
  bool is_private = false, is_archived = false, is_member = true;
};

/// A file as files.getUploadURLExternal created it, and what became of it.
struct UploadedFile {
  std::string id, name, alt_text, title;
  std::size_t declared_length = 0;
  std::string bytes;  ///< as POSTed to its upload URL
  bool uploaded = false, completed = false;
  std::vector<std::string> shared_in;  ///< channels its completeUploadExternal shared it in
};

struct WorkspaceOptions {
  std::string bot_token = "xoxb-1111-2222-emulatorbottoken";
  std::string app_token = "xapp-1-A0EMU-3333-emulatorapptoken";
  std::chrono::milliseconds trigger_ttl{3000};
};

class WorkspaceModel {
 public:
  explicit WorkspaceModel(WorkspaceOptions options);

  /// Answers one call and records it. `now` drives trigger expiry and the record's time.
  ApiResponse handle(const ApiRequest& request, SteadyClock::time_point now);

  /// Builds the wss:// URL handed out by apps.connections.open for a ticket.
  std::function<std::string(const std::string& ticket)> socket_url;
  /// Builds the upload URL files.getUploadURLExternal hands out for a file id.
  std::function<std::string(const std::string& file_id)> upload_url;
  /// A POST of a file's bytes to its upload URL: 200 once per file, when the length is the one
  /// declared; 404 for an unknown id, 400 otherwise. Recorded as a call of method "upload".
  ApiResponse receive_upload(const std::string& file_id, const std::string& bytes, SteadyClock::time_point now);
  /// The files created so far, oldest first.
  std::vector<UploadedFile> files() const;
  /// True once for each ticket issued by apps.connections.open (single use).
  bool redeem_ticket(const std::string& ticket);

  // Switches and fixtures for tests.
  /// The next `times` calls of `method` answer HTTP 429 with `Retry-After: retry_after_s`.
  void rate_limit(const std::string& method, int times, int retry_after_s);
  /// The next call of `method` answers ok:false with `error`.
  void fail_next(const std::string& method, const std::string& error);
  std::string issue_trigger_id(SteadyClock::time_point now);
  void add_channel(Channel channel);
  void add_user(const std::string& id, const std::string& name, const std::string& tz);
  void add_usergroup(const std::string& id, const std::string& handle, std::vector<std::string> users);
  /// A person's message in `channel` (a reply when `thread_ts` is given), as if they had typed it:
  /// stored like any message; returns its ts. The test then sends the events Slack would.
  std::string add_user_message(const std::string& channel, const std::string& user, const std::string& text,
                               const std::string& thread_ts = {});
  /// The bot token no longer carries `scope` (e.g. "pins:write"): each method that needs it answers
  /// missing_scope with `needed` and `provided`, as Slack does for an app installed without it.
  void withhold_scope(const std::string& scope);
  /// The ts of the messages pinned in `channel`, oldest pin first.
  std::vector<std::string> pinned(const std::string& channel) const;

  const std::vector<CallRecord>& calls() const { return calls_; }
  const std::vector<nlohmann::json>& messages(const std::string& channel) const;
  std::vector<std::string> usergroup_users(const std::string& id) const;
  /// The id of the app's direct-message channel with `user` ("D" followed by the user id).
  static std::string dm_channel(const std::string& user) { return "D" + user; }
  std::size_t tickets_issued() const { return tickets_issued_; }

 private:
  using Json = nlohmann::json;
  ApiResponse dispatch(const std::string& method, const Json& args, SteadyClock::time_point now);
  ApiResponse post_message(const Json& args);
  ApiResponse update_message(const Json& args);
  ApiResponse post_ephemeral(const Json& args);
  ApiResponse permalink(const Json& args);
  ApiResponse views_open(const Json& args, SteadyClock::time_point now);
  ApiResponse views_update(const Json& args);
  ApiResponse users_info(const Json& args);
  ApiResponse usergroups_list(const Json& args);
  ApiResponse usergroups_update(const Json& args);
  ApiResponse conversations_list(const Json& args);
  ApiResponse conversations_info(const Json& args);
  ApiResponse conversations_join(const Json& args);
  ApiResponse conversations_history(const Json& args);
  ApiResponse conversations_replies(const Json& args);
  ApiResponse conversations_open(const Json& args);
  ApiResponse files_upload_url(const Json& args);
  ApiResponse files_complete_upload(const Json& args);
  /// pins.add (`pin`) or pins.remove.
  ApiResponse pins_change(const Json& args, bool pin);
  ApiResponse pins_list(const Json& args);
  /// The channel of a pins call as the bot sees it, or the error Slack gives.
  std::optional<ApiResponse> pins_channel_problem(const std::string& channel) const;
  /// missing_scope when `method` needs a scope the bot token lacks.
  std::optional<ApiResponse> scope_problem(const std::string& method) const;
  /// One page of `messages` (in the order given) within oldest/latest, from the cursor on.
  ApiResponse message_page(const std::vector<const Json*>& messages, const Json& args);
  ApiResponse open_connection();
  Json* find_message(const std::string& channel, const std::string& ts);
  std::string next_ts();

  WorkspaceOptions options_;
  std::vector<CallRecord> calls_;
  std::map<std::string, std::deque<int>> rate_limits_;  // method -> Retry-After of each 429 to give
  std::map<std::string, std::deque<std::string>> failures_;
  std::map<std::string, Channel> channels_;
  std::map<std::string, std::vector<Json>> messages_;     // channel -> messages, oldest first
  std::map<std::string, std::vector<std::string>> pins_;  // channel -> pinned ts, oldest pin first
  std::set<std::string> withheld_scopes_;
  std::map<std::string, Json> users_;
  std::map<std::string, Json> usergroups_;
  std::map<std::string, SteadyClock::time_point> triggers_;
  std::set<std::string> used_triggers_;
  std::map<std::string, Json> views_;
  std::set<std::string> tickets_;
  std::vector<UploadedFile> files_;
  std::size_t tickets_issued_ = 0;
  std::uint64_t counter_ = 0;
  std::int64_t last_ts_us_ = 0;  // the last message ts handed out, in microseconds
};

/// Decodes an application/x-www-form-urlencoded body or query string. Values that hold JSON
/// objects or arrays (blocks, view, metadata) are decoded too, like Slack does.
nlohmann::json decode_form(std::string_view text);

}  // namespace desk::emulator
