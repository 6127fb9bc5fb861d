// SlackDeliverer: keeping a channel notice pinned (the SOP) — pin the new copy, then unpin the copies
// the desk pinned before, found through pins.list by their marks.
#include <algorithm>

#include "bot/slack/log.hpp"
#include "bot/slack/slack_deliverer.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;

/// Answers to pins.remove that mean the copy is no longer pinned anyway.
bool already_unpinned(const std::string& error) {
  return error == "no_pin" || error == "not_pinned" || error == "message_not_found";
}

/// Refusals that stay until someone changes the app or the workspace: reported once, never retried.
bool is_refusal(const std::string& error) {
  return error == "missing_scope" || error == "not_allowed_token_type" || error == "permission_denied" ||
         error == "restricted_action" || error == "no_permission";
}

/// What an admin must do about a refusal, and what it leaves undone, in words for the log and /healthz.
std::string what_to_do(const SlackApiError& e) {
  const std::string refused = "Slack refused " + e.method() + " (" + e.error() + "): ";
  std::string fix;
  if (e.error() == "missing_scope")
    fix = "the app lacks the scope " + (e.needed().empty() ? std::string("pins:write") : e.needed()) +
          ". Add pins:write and pins:read to the app's bot token scopes (deploy/slack-app-manifest.yaml has them) "
          "and reinstall the app to the workspace.";
  else if (e.error() == "not_allowed_token_type")
    fix = "pinning needs the app's bot token (xoxb-) with pins:write in SLACK_BOT_TOKEN.";
  else
    fix = "the workspace or the channel does not let the app pin messages; a workspace admin can allow it.";
  const std::string left = e.method() == "pins.add"
                               ? " The SOP is posted but not pinned: pin it by hand; the desk pins its next version."
                               : " The new SOP is pinned, but earlier copies stay pinned: unpin them by hand.";
  return refused + fix + left;
}

}  // namespace

json pinned_notice_metadata(const std::string& notice, std::int64_t outbox_id) {
  return {{"event_type", kPinnedNoticeEvent}, {"event_payload", {{"outbox_id", outbox_id}, {"notice", notice}}}};
}

std::string pinned_block_id(const std::string& notice) { return std::string(kPinnedNoticeEvent) + ":" + notice; }

bool is_desk_pin(const PinnedMessage& pin, const std::string& notice, const SlackDelivererOptions& options) {
  const bool known_bot = !options.bot_id.empty() || !options.bot_user_id.empty();
  const bool by_desk = !known_bot || (!options.bot_id.empty() && pin.bot_id == options.bot_id) ||
                       (!options.bot_user_id.empty() && pin.user == options.bot_user_id);
  if (!by_desk) return false;
  if (pin.metadata && pin.metadata->event_type == kPinnedNoticeEvent) {
    const auto it = pin.metadata->event_payload.find("notice");
    if (it != pin.metadata->event_payload.end() && *it == notice) return true;
  }
  return std::find(pin.block_ids.begin(), pin.block_ids.end(), pinned_block_id(notice)) != pin.block_ids.end();
}

net::awaitable<json> SlackDeliverer::keep_pinned(const storage::OutboxMessage& row, const std::string& notice,
                                                 const std::string& channel, const std::string& ts) {
  // Pin first, then unpin: the channel is never without a pinned copy. Slack-side trouble throws
  // (the row is retried); any other answer leaves the message posted and says what became of the pin.
  std::string error;
  try {
    co_await api_.pins_add(channel, ts);
  } catch (const SlackApiError& e) {
    if (e.error() != "already_pinned") {
      pin_not_kept(row, e);
      error = e.error();
    }
  }
  if (!error.empty()) co_return json{{"pinned", false}, {"pin_error", error}};
  json unpinned = json::array();
  try {
    const auto pins = co_await api_.pins_list(channel);
    for (const auto& pin : pins) {
      if (pin.ts == ts || !is_desk_pin(pin, notice, options_)) continue;
      try {
        co_await api_.pins_remove(channel, pin.ts);
        unpinned.push_back(pin.ts);
      } catch (const SlackApiError& e) {
        if (!already_unpinned(e.error())) throw;
      }
    }
  } catch (const SlackApiError& e) {
    pin_not_kept(row, e);
    error = e.error();
  }
  if (!error.empty()) co_return json{{"pinned", true}, {"unpinned", std::move(unpinned)}, {"unpin_error", error}};
  if (!pins_problem_.empty()) {
    log_info("slack.pins_recovered", {{"id", row.id}, {"notice", notice}});
    pins_problem_.clear();
  }
  if (!unpinned.empty())
    log_info("slack.pins_replaced", {{"id", row.id}, {"notice", notice}, {"ts", ts}, {"unpinned", unpinned.size()}});
  co_return json{{"pinned", true}, {"unpinned", std::move(unpinned)}};
}

void SlackDeliverer::pin_not_kept(const storage::OutboxMessage& row, const SlackApiError& e) {
  if (is_transient_slack_error(e.error())) throw e;
  if (metrics_) metrics_->count_slack_api_error(e.method(), e.error());
  if (!is_refusal(e.error())) {
    // The message went away, or the channel cannot pin more: nothing an admin setting mends.
    log_warn("slack.pin_failed", {{"id", row.id}, {"method", e.method()}, {"error", e.error()}});
    return;
  }
  std::string problem = what_to_do(e);
  if (problem == pins_problem_) return;  // said already: each later notice meets the same refusal quietly
  log_warn(
      "slack.pins_refused",
      {{"id", row.id}, {"method", e.method()}, {"error", e.error()}, {"needed", e.needed()}, {"what_to_do", problem}});
  pins_problem_ = std::move(problem);
}
}  // namespace desk::bot::slack
