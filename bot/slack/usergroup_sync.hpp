#pragma once
/// Keeps the on-duty user group (`desk.oncall_usergroup`, e.g. @ai-escalation) listing whoever holds
/// the duty lead role now, across handoffs and `/rota override`s (issue 4, item 6).
///
///   find the group once (usergroups.list) ──▶ members == {duty lead}? ──no──▶ usergroups.users.update
///        ▲                                                                        │
///        └──── sleep until the rota's next change, a poke() or a wake() ◀─────────┘
///
/// Where the workspace does not allow it, the sync is *blocked*: it says so once in the log, keeps the
/// reason for `/rota` (status(), notice()) and makes no further calls until there is a reason to try
/// again: a poke() (an override was committed, or the policy changed), a new policy, or a handoff to
/// another duty lead. Those later tries are quiet: the log hears of the problem again only when it
/// changes, and once more when it is solved. Slack-side trouble and network failures are retried with
/// capped backoff instead. Nothing escapes run().
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/slack_api.hpp"
#include "core/clock.hpp"
#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::bot {

/// Where the user group stands, for `/rota` and the log.
struct UsergroupStatus {
  enum class State {
    off,          ///< no handle configured: the feature is off
    pending,      ///< not synced yet
    ok,           ///< the group lists the duty lead
    not_allowed,  ///< Slack refused (permission_denied, plan_upgrade_required, missing_scope …)
    not_found,    ///< no group with the handle in the workspace
    disabled,     ///< the group exists but is disabled
    no_member,    ///< nobody Slack can list holds the duty lead (no role, no Slack id, invalid user)
    failing,      ///< Slack or the network failed; retrying with backoff
  };
  State state = State::pending;
  std::string handle;  ///< without the '@'
  std::string error;   ///< Slack's error string or the transport failure; empty when there is none
  std::string reason;  ///< for people (Slack mrkdwn): what is wrong and what an admin can do
};

const char* to_string(UsergroupStatus::State state);

struct UsergroupSyncOptions {
  /// Delays between retries of transient failures (network, 5xx, ratelimited).
  slack::BackoffPolicy backoff{std::chrono::seconds{5}, std::chrono::minutes{10}};
  /// Longest single sleep: a steady timer does not see wall-clock steps or a suspended host, so the
  /// duty lead is recomputed at least this often (no Slack call unless it changed).
  std::chrono::seconds max_sleep{3600};
};

class UsergroupSync {
 public:
  using CurrentPolicy = std::function<std::shared_ptr<const handlers::PolicySet>()>;

  /// Every reference must outlive run(). The handle is read from the current policy at each pass
  /// (`desk.oncall_usergroup`; empty turns the feature off).
  UsergroupSync(boost::asio::any_io_executor executor, slack::SlackApi& api, storage::Store& store,
                CurrentPolicy current_policy, core::Clock& clock, UsergroupSyncOptions options = {});
  UsergroupSync(const UsergroupSync&) = delete;
  UsergroupSync& operator=(const UsergroupSync&) = delete;

  /// Syncs, then sleeps until the rota's next change, a poke() or a wake(). Returns after stop().
  boost::asio::awaitable<void> run();

  /// Overrides or the policy changed: look again now, and try once more even if the workspace
  /// refused before. Call on the io_context's thread.
  void poke();
  /// Look again now, as if the timer had fired (e.g. after the host slept): a blocked sync tries again
  /// only if the duty lead changed. Call on the io_context's thread.
  void wake();
  /// Ends run() after the call in flight, if any. Call on the io_context's thread.
  void stop();

  /// The group's id ("S…") to mention in posts: set while the group lists whoever is on duty, empty
  /// otherwise, so a post never pings a stale member list. Thread-safe.
  std::string group_id() const;
  /// The latest status. Thread-safe.
  UsergroupStatus status() const;
  /// Why the group is not kept on the duty lead, for `/rota`; nullopt when it is (or the feature is
  /// off, or the first sync has not finished). Thread-safe.
  std::optional<std::string> notice() const;

  /// The wall-clock instant of the next rota change the sync waits for; nullopt when none is ahead.
  std::optional<core::TimePoint> next_change() const { return next_change_; }

 private:
  /// What the sync wants the group to hold now, or why it cannot say.
  struct Desired {
    std::string slack_user;
    std::string problem;  ///< set when there is no one to list
  };

  /// One look: desired member, then Slack if there is a reason to. Returns how long to sleep
  /// (nullopt: until poked). Never throws.
  boost::asio::awaitable<std::optional<std::chrono::milliseconds>> pass();
  /// Finds the group if not known yet and sets its members; throws what SlackApi throws.
  boost::asio::awaitable<void> sync_members(std::string slack_user);
  Desired desired_member(const handlers::PolicySet& policy, core::TimePoint now,
                         const std::vector<core::RotaOverride>& overrides) const;

  /// Records a refusal: logs it unless the same one was logged already, and stops trying.
  void block(UsergroupStatus::State state, std::string error, std::string reason, const std::string& for_user);
  void succeed(const std::string& slack_user, bool changed);
  /// Records a transient failure and returns the delay before the next try.
  std::chrono::milliseconds fail_transiently(std::string error);
  void set_status(UsergroupStatus status, std::string mention_id);
  std::optional<std::chrono::milliseconds> sleep_until_next_change(core::TimePoint now) const;

  slack::SlackApi& api_;
  storage::Store& store_;
  CurrentPolicy current_policy_;
  core::Clock& clock_;
  UsergroupSyncOptions options_;
  boost::asio::steady_timer timer_;
  bool stopping_ = false;
  bool woken_ = false;            ///< poke() or wake() since the pass began: look again before sleeping
  bool retry_requested_ = false;  ///< poke() since the last pass: a blocked sync tries again

  // Touched on the io_context's thread only.
  std::string handle_;                                      ///< the handle the fields below belong to
  std::shared_ptr<const handlers::PolicySet> policy_seen_;  ///< to notice a new policy
  std::string known_id_;                                    ///< found by usergroups.list; empty until then
  bool known_disabled_ = false;
  std::vector<std::string> known_members_;  ///< as Slack last told us, or as we last set them
  std::optional<std::string> blocked_for_;  ///< blocked, for this desired Slack user
  std::string logged_problem_;              ///< the refusal last written to the log
  int transient_failures_ = 0;
  std::optional<core::TimePoint> next_change_;

  mutable std::mutex status_mutex_;  ///< guards the two below, read from other threads
  UsergroupStatus status_;
  std::string mention_id_;
};

}  // namespace desk::bot
