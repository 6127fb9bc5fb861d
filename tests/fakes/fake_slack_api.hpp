#pragma once
/// A SlackApi for handler tests: records every call with its arguments and answers from canned
/// responses (or plausible defaults), through the same encoding as the real client.
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/slack/json_slack_api.hpp"

namespace desk::bot::slack {

struct RecordedCall {
  std::string method;
  nlohmann::json args;          ///< the arguments as they would be sent
  bool used_app_token = false;  ///< apps.connections.open authenticates with the app token
};

class FakeSlackApi final : public JsonSlackApi {
 public:
  /// Queues one answer for the next call of `method`. `response` is merged over {"ok": true}.
  void respond(const std::string& method, nlohmann::json response);
  /// Queues a failure (`ok:false` with `error`) for the next call of `method`.
  void fail(const std::string& method, const std::string& error, const std::string& needed = {});
  /// Queues a transport failure (SlackTransportError: no answer at all) for the next call of `method`;
  /// it is taken before any queued answer.
  void fail_transport(const std::string& method, const std::string& what = "connection reset by peer");
  /// Adds a user group to the fake workspace (or replaces the one with its id). Once a group exists,
  /// usergroups.list answers with the workspace's groups (disabled ones only with include_disabled,
  /// members only with include_users) and usergroups.users.update on its id sets its members.
  void add_usergroup(UserGroup group);
  /// The members of the fake workspace's group `id` (empty when there is no such group).
  std::vector<std::string> usergroup_users(const std::string& id) const;
  /// The ts of the messages pinned in `channel`, in the order they were pinned.
  std::vector<std::string> pinned(const std::string& channel) const;
  /// Every call so far, in order.
  const std::vector<RecordedCall>& calls() const { return calls_; }
  /// The calls of one method, in order.
  std::vector<RecordedCall> calls_to(const std::string& method) const;
  void clear_calls() { calls_.clear(); }
  /// The bytes uploaded for file `id` (empty when none were).
  std::string uploaded_bytes(const std::string& id) const;

  /// Recorded as a call of method "upload" with args {url, length}; fail_transport("upload") applies.
  Task<void> upload_file_bytes(std::string upload_url, std::string bytes) override;

 protected:
  Task<nlohmann::json> invoke(ApiCall call) override;

 private:
  nlohmann::json default_answer(const ApiCall& call);
  nlohmann::json history_answer(const nlohmann::json& args) const;
  nlohmann::json replies_answer(const nlohmann::json& args) const;
  nlohmann::json usergroups_answer(const nlohmann::json& args) const;
  /// usergroups.users.update on a group added with add_usergroup; nullopt for an unknown id.
  std::optional<nlohmann::json> update_usergroup(const nlohmann::json& args);
  nlohmann::json upload_ticket_answer(const nlohmann::json& args);
  /// files.completeUploadExternal: each file must have its bytes; shared as a message in the channel.
  nlohmann::json complete_upload_answer(const nlohmann::json& args);
  /// Takes the transport failure queued for `method`, if any (thrown by the caller).
  std::optional<std::string> take_transport_failure(const std::string& method);
  /// pins.add, pins.remove and pins.list on the posts remembered, with Slack's errors.
  nlohmann::json pins_answer(const std::string& method, const nlohmann::json& args);

  std::vector<RecordedCall> calls_;
  std::map<std::string, std::deque<nlohmann::json>> canned_;
  std::map<std::string, std::deque<std::string>> transport_failures_;
  std::vector<UserGroup> usergroups_;  ///< the fake workspace's groups, in the order added
  // Posts remembered per channel so conversations.history can find them by metadata.
  std::map<std::string, std::vector<nlohmann::json>> posted_;
  struct FakeFile {
    std::string name;
    std::string bytes;
    bool uploaded = false;
  };
  std::map<std::string, FakeFile> files_;  ///< by file id, from files.getUploadURLExternal on
  std::map<std::string, std::vector<std::string>> pins_;  ///< channel -> pinned ts, oldest pin first
  long long next_ts_ = 1700000000;
  int next_view_ = 1;
};

}  // namespace desk::bot::slack
