#include "bot/slack/usergroup_sync.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/slack_deliverer.hpp"
#include "bot/slack/slack_messages.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using State = UsergroupStatus::State;

bool same_handle(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

/// Slack errors that mean the user cannot be a member (guest, bot, deactivated, unknown id).
bool is_member_refusal(const std::string& error) {
  return error == "invalid_users" || error == "invalid_user" || error == "user_not_found" ||
         error == "failed_for_some_users" || error == "single_channel_guests_cannot_be_added" ||
         error == "no_users_provided";
}

/// The group id the desk cached is gone (deleted and recreated, or never valid).
bool is_group_gone(const std::string& error) {
  return error == "no_such_subteam" || error == "subteam_not_found" || error == "invalid_usergroup";
}

/// `text` as inline code in mrkdwn, escaped and kept short.
std::string code(const std::string& text) { return "`" + bot::slack::fit_text(text, 200) + "`"; }

std::string turn_off_hint() { return "or remove `desk.oncall_usergroup` from the config to turn this off."; }

/// What an admin can do about a refusal, in words for `/rota`.
std::string refusal_reason(const slack::SlackApiError& e) {
  const std::string& error = e.error();
  const std::string refused = "Slack refused (" + code(error) + "): ";
  if (error == "permission_denied")
    return refused +
           "only admins may change user groups in this workspace. An admin can set *Who can manage "
           "user groups* to everyone (workspace settings → Permissions → User Groups), " +
           turn_off_hint();
  if (error == "plan_upgrade_required" || error == "paid_only" || error == "paid_teams_only")
    return refused + "user groups need a paid Slack plan. Upgrade the workspace, " + turn_off_hint();
  if (error == "missing_scope")
    return refused + "the app lacks the scope " + code(e.needed().empty() ? "usergroups:write" : e.needed()) +
           ". Reinstall it from `deploy/slack-app-manifest.yaml` (it asks for `usergroups:read` and "
           "`usergroups:write`), " +
           turn_off_hint();
  if (error == "not_allowed_token_type")
    return refused +
           "this workspace does not let an app's bot token manage user groups. Keep the group up to "
           "date by hand, " +
           turn_off_hint();
  return refused + "check the app's installation and the workspace's user group settings, " + turn_off_hint();
}

}  // namespace

const char* to_string(UsergroupStatus::State state) {
  switch (state) {
    case State::off:
      return "off";
    case State::pending:
      return "pending";
    case State::ok:
      return "ok";
    case State::not_allowed:
      return "not_allowed";
    case State::not_found:
      return "not_found";
    case State::disabled:
      return "disabled";
    case State::no_member:
      return "no_member";
    case State::failing:
      return "failing";
  }
  return "unknown";
}

UsergroupSync::UsergroupSync(net::any_io_executor executor, slack::SlackApi& api, storage::Store& store,
                             CurrentPolicy current_policy, core::Clock& clock, UsergroupSyncOptions options)
    : api_(api),
      store_(store),
      current_policy_(std::move(current_policy)),
      clock_(clock),
      options_(options),
      timer_(std::move(executor)) {}

void UsergroupSync::poke() {
  retry_requested_ = true;
  woken_ = true;
  timer_.cancel();
}

void UsergroupSync::wake() {
  woken_ = true;
  timer_.cancel();
}

void UsergroupSync::stop() {
  stopping_ = true;
  timer_.cancel();
}

std::string UsergroupSync::group_id() const {
  std::lock_guard lock(status_mutex_);
  return mention_id_;
}

UsergroupStatus UsergroupSync::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

std::optional<std::string> UsergroupSync::notice() const {
  std::lock_guard lock(status_mutex_);
  if (status_.state == State::off || status_.state == State::pending || status_.state == State::ok) return std::nullopt;
  return status_.reason;
}

void UsergroupSync::set_status(UsergroupStatus status, std::string mention_id) {
  std::lock_guard lock(status_mutex_);
  status_ = std::move(status);
  mention_id_ = std::move(mention_id);
}

net::awaitable<void> UsergroupSync::run() {
  while (!stopping_) {
    woken_ = false;
    std::optional<std::chrono::milliseconds> sleep;
    try {
      sleep = co_await pass();
    } catch (const std::exception& e) {  // pass() handles what it expects; this is a last guard
      sleep = fail_transiently(std::string("unexpected failure: ") + e.what());
    }
    if (stopping_) break;
    if (woken_) continue;  // poked while a call was in flight: that poke found no timer to cancel
    if (sleep)
      timer_.expires_after(*sleep);
    else
      timer_.expires_at(std::chrono::steady_clock::time_point::max());
    // Cancelled by poke(), wake() or stop(): the loop looks again or ends.
    co_await timer_.async_wait(net::as_tuple(net::use_awaitable));
  }
}

UsergroupSync::Desired UsergroupSync::desired_member(const handlers::PolicySet& policy, core::TimePoint now,
                                                     const std::vector<core::RotaOverride>& overrides) const {
  const auto holding = policy.rota().holder(core::kDutyLeadRole, now, overrides);
  if (!holding)
    return {{}, "the policy has no `" + std::string(core::kDutyLeadRole) + "` role, so there is nobody to list."};
  const core::Person* person = policy.rota().person(holding->person);
  if (!person || person->slack_user.empty()) {
    const std::string name = person ? person->name : holding->person;
    return {{},
            bot::slack::escape_mrkdwn(name) + ", the duty lead now, has no Slack user id in the config (`people." +
                bot::slack::escape_mrkdwn(holding->person) + ".slack`)."};
  }
  return {person->slack_user, {}};
}

std::optional<std::chrono::milliseconds> UsergroupSync::sleep_until_next_change(core::TimePoint now) const {
  if (!next_change_) return std::nullopt;  // nothing changes by itself: only a poke can matter
  const auto until = std::max(core::Seconds{0}, *next_change_ - now);
  return std::min<std::chrono::milliseconds>(until, options_.max_sleep);
}

net::awaitable<std::optional<std::chrono::milliseconds>> UsergroupSync::pass() {
  const bool retry = std::exchange(retry_requested_, false);
  const auto policy = current_policy_ ? current_policy_() : nullptr;
  if (!policy) {
    next_change_.reset();
    co_return std::nullopt;
  }
  const std::string& handle = policy->policy().desk.oncall_usergroup;
  if (handle != handle_) {  // another group: nothing known about the old one applies
    handle_ = handle;
    known_id_.clear();
    known_members_.clear();
    blocked_for_.reset();
    logged_problem_.clear();
  }
  if (policy != policy_seen_ || retry) blocked_for_.reset();  // a new policy or override: worth a try
  policy_seen_ = policy;
  if (handle_.empty()) {
    next_change_.reset();
    set_status({State::off, {}, {}, {}}, {});
    co_return std::nullopt;
  }

  const core::TimePoint now = clock_.now();
  std::vector<core::RotaOverride> overrides;
  try {
    overrides = store_.overrides_active_after(now);
  } catch (const storage::StorageError& e) { co_return fail_transiently(std::string("database: ") + e.what()); }
  next_change_ = policy->rota().next_change(now, overrides);
  const Desired desired = desired_member(*policy, now, overrides);
  if (!desired.problem.empty()) {
    block(State::no_member, {}, desired.problem, {});
    co_return sleep_until_next_change(now);
  }
  // Refused for this duty lead already: wait for a reason (poke, policy, a handoff to someone else).
  if (blocked_for_ && *blocked_for_ == desired.slack_user) co_return sleep_until_next_change(now);

  std::optional<std::chrono::milliseconds> retry_in;
  try {
    co_await sync_members(desired.slack_user);
  } catch (const slack::SlackApiError& e) {
    if (slack::is_transient_slack_error(e.error())) {
      retry_in = fail_transiently(e.error());
    } else if (is_group_gone(e.error())) {
      known_id_.clear();  // look it up again, after a pause in case the answer repeats
      retry_in = fail_transiently(e.error());
    } else if (is_member_refusal(e.error())) {
      block(State::no_member, e.error(),
            "Slack refused to list <@" + desired.slack_user + "> (" + code(e.error()) +
                "): guests, bots and deactivated accounts cannot be in a user group. Check the duty lead's `slack` id "
                "in the config.",
            desired.slack_user);
    } else {
      block(State::not_allowed, e.error(), refusal_reason(e), desired.slack_user);
    }
  } catch (const slack::SlackTransportError& e) { retry_in = fail_transiently(e.what()); }
  if (retry_in) {
    const auto until_change = sleep_until_next_change(now);
    co_return until_change ? std::min(*retry_in, *until_change) : *retry_in;
  }
  co_return sleep_until_next_change(now);
}

net::awaitable<void> UsergroupSync::sync_members(std::string slack_user) {
  if (known_id_.empty()) {
    // include_users: the answer says whether an update is needed at all; include_disabled: so a
    // disabled group is reported as such rather than as missing.
    const auto groups = co_await api_.usergroups_list(true, true);
    const auto found = std::find_if(groups.begin(), groups.end(),
                                    [&](const slack::UserGroup& g) { return same_handle(g.handle, handle_); });
    const std::string shown = code("@" + handle_);
    if (found == groups.end()) {
      block(State::not_found, {},
            "there is no user group " + shown +
                " in this workspace. Create it in Slack (People → User groups → "
                "Create user group, handle " +
                code(handle_) + "), then run `/rota override` or restart the desk; " + turn_off_hint(),
            slack_user);
      co_return;
    }
    if (found->disabled) {
      // Not remembered: the next try lists again and sees whether it was re-enabled.
      block(State::disabled, {},
            "the user group " + shown + " is disabled. Re-enable it in Slack (People → User groups → " + shown +
                " → Enable), then run `/rota override` or restart the desk; " + turn_off_hint(),
            slack_user);
      co_return;
    }
    known_id_ = found->id;
    known_members_ = found->users;
  }
  if (known_members_.size() == 1 && known_members_.front() == slack_user) {
    succeed(slack_user, false);
    co_return;
  }
  // The whole list is replaced: the group lists the duty lead and nobody else.
  std::vector<std::string> members{slack_user};
  co_await api_.usergroups_users_update(known_id_, members);
  known_members_ = std::move(members);
  succeed(slack_user, true);
}

void UsergroupSync::succeed(const std::string& slack_user, bool changed) {
  blocked_for_.reset();
  transient_failures_ = 0;
  if (!logged_problem_.empty()) {
    slack::log_info("usergroup.recovered", {{"handle", handle_}, {"usergroup", known_id_}});
    logged_problem_.clear();
  }
  if (changed)
    slack::log_info("usergroup.updated", {{"handle", handle_}, {"usergroup", known_id_}, {"user", slack_user}});
  set_status({State::ok, handle_, {}, {}}, known_id_);
}

void UsergroupSync::block(State state, std::string error, std::string reason, const std::string& for_user) {
  blocked_for_ = for_user;
  transient_failures_ = 0;
  // Logged once per problem: later tries at handoffs or pokes stay quiet while the answer is the same.
  std::string problem = std::string(to_string(state)) + ":" + error;
  if (state == State::no_member) problem += ":" + reason;
  if (problem != logged_problem_) {
    slack::log_warn("usergroup.blocked",
                    {{"handle", handle_},
                     {"state", to_string(state)},
                     {"error", error},
                     {"problem", reason},
                     {"effect", "the group is not updated until a poke (override, policy change) or a handoff"}});
    logged_problem_ = std::move(problem);
  }
  set_status({state, handle_, std::move(error), std::move(reason)}, {});
}

std::chrono::milliseconds UsergroupSync::fail_transiently(std::string error) {
  ++transient_failures_;
  const auto delay =
      slack::backoff_delay(options_.backoff, static_cast<unsigned>(transient_failures_ - 1), slack::random_jitter());
  // The first failure and every tenth after it: an outage of hours does not flood the log.
  if (transient_failures_ % 10 == 1)
    slack::log_warn("usergroup.retry", {{"handle", handle_},
                                        {"error", error},
                                        {"failures", transient_failures_},
                                        {"retry_in_ms", static_cast<std::int64_t>(delay.count())}});
  std::string reason = "the last try failed (" + code(slack::redact(error)) + "); the desk keeps trying.";
  set_status({State::failing, handle_, std::move(error), std::move(reason)}, {});
  return delay;
}

}  // namespace desk::bot
