#pragma once
/// The hotline in Slack: a person's message in the desk channel that mentions the bot or the on-call
/// user group becomes a tracked escalation (handlers::DeskActions::raise_from_channel), answered in
/// the message's own thread. The message is recorded before the event is acked, so an ack never
/// loses it; its permalink is fetched after the ack (chat.getPermalink), then the escalation opens.
/// Slack sends one message as both an app_mention and a message event, and redelivers: the record is
/// keyed by channel and ts, so it opens one escalation. Edits and deletions of the message are
/// recorded on the escalation's timeline.
#include <functional>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "bot/slack/slack_api.hpp"
#include "core/clock.hpp"
#include "handlers/desk_actions.hpp"
#include "storage/store.hpp"

namespace desk::bot::slack {

/// Who the desk is in the workspace, as learnt at start; empty fields are not known (yet).
struct HotlineIdentity {
  std::string bot_user_id;      ///< auth.test user_id: <@U…> mentions the desk
  std::string team_url;         ///< auth.test url, for a permalink when chat.getPermalink fails
  std::string desk_channel_id;  ///< the resolved desk channel: the only one the hotline listens in
  std::string group_id;         ///< the on-call user group's id: <!subteam^S…> mentions it
  std::string group_handle;     ///< its handle, for a mention written before its id is known
  bool enabled = false;         ///< the config names a hotline workflow
};

/// Whether `text` mentions the bot or the on-call group of `who`, in Slack's markup.
bool mentions_desk(std::string_view text, const HotlineIdentity& who);
/// `text` without the mentions of the bot and the group, trimmed: what the person asked.
std::string without_desk_mentions(std::string_view text, const HotlineIdentity& who);
/// The permalink Slack gives a message: `team_url` + "archives/<channel>/p<ts without the dot>", with
/// the thread for a reply. Used only when chat.getPermalink cannot answer.
std::string built_permalink(const std::string& team_url, const std::string& channel, const std::string& ts,
                            const std::string& thread_ts);

class SlackHotline {
 public:
  using FollowUp = std::function<boost::asio::awaitable<void>()>;

  SlackHotline(SlackApi& api, handlers::DeskActions& actions, storage::Store& store, core::Clock& clock,
               std::function<HotlineIdentity()> identity, std::function<void()> changed);

  /// Before the ack: records the event's message when it is a hotline message (or records an edit or
  /// deletion of one). Returns the work to run after the ack, or an empty function.
  FollowUp on_event(const nlohmann::json& event);

  /// Opens an escalation for every recorded message still without one (at start: a crash or the
  /// database's trouble may have left some). Runs one pass at a time.
  boost::asio::awaitable<void> open_pending();

  /// A message in an escalation's thread is a reply to it, never a new escalation: the envelope
  /// handler tells which threads are escalations'.
  std::function<bool(const std::string& channel, const std::string& thread_ts)> is_escalation_thread;

 private:
  boost::asio::awaitable<void> open_one(storage::HotlineMessage message, HotlineIdentity who);
  FollowUp on_change(const nlohmann::json& event, const std::string& subtype);

  SlackApi& api_;
  handlers::DeskActions& actions_;
  storage::Store& store_;
  core::Clock& clock_;
  std::function<HotlineIdentity()> identity_;
  std::function<void()> changed_;
  std::set<std::string> opening_;  ///< keys being opened now (I/O thread only)
};

}  // namespace desk::bot::slack
