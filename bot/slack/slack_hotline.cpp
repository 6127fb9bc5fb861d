#include "bot/slack/slack_hotline.hpp"

#include "bot/slack/log.hpp"
#include "bot/slack/slack_deliverer.hpp"
#include "bot/slack/slack_payloads.hpp"
#include "core/text_scan.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;

/// The longest message text the hotline keeps (bytes, cut at a character): Slack's own limit is
/// 40,000 characters, which UTF-8 can make longer.
constexpr std::size_t kHotlineTextLimit = 40000;

std::string str(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_channel_id(std::string_view id) {
  return id.size() > 1 && id.size() <= 32 &&
         id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == std::string_view::npos;
}

/// Whether the markup token `inner` (between '<' and '>') mentions the bot or the on-call group.
bool is_desk_mention(std::string_view inner, const HotlineIdentity& who) {
  const auto bar = inner.find('|');
  const std::string_view target = inner.substr(0, bar);
  const std::string_view label = bar == std::string_view::npos ? std::string_view{} : inner.substr(bar + 1);
  if (target.starts_with("@")) return !who.bot_user_id.empty() && target.substr(1) == who.bot_user_id;
  if (!target.starts_with("!subteam^")) return false;
  const std::string_view group = target.substr(9);
  if (!who.group_id.empty() && group == who.group_id) return true;
  return !who.group_handle.empty() && label.size() == who.group_handle.size() + 1 && label.front() == '@' &&
         label.substr(1) == who.group_handle;
}

/// Calls `token` for each <…> markup token of `text` (its inside) and `plain` for the text between.
template <typename Token, typename Plain>
void scan_markup(std::string_view text, Token token, Plain plain) {
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find('<', at);
    const auto close = open == std::string_view::npos ? std::string_view::npos : text.find('>', open);
    if (close == std::string_view::npos) {
      plain(text.substr(at));
      return;
    }
    plain(text.substr(at, open - at));
    token(text.substr(open + 1, close - open - 1), text.substr(open, close - open + 1));
    at = close + 1;
  }
}

net::awaitable<void> tell_privately(SlackApi& api, PostEphemeral message) {
  try {
    co_await api.chat_post_ephemeral(std::move(message));
  } catch (const std::exception& e) { log_warn("desk.hotline_hint_failed", {{"error", e.what()}}); }
}

}  // namespace

bool mentions_desk(std::string_view text, const HotlineIdentity& who) {
  bool found = false;
  scan_markup(
      text, [&](std::string_view inner, std::string_view) { found = found || is_desk_mention(inner, who); },
      [](std::string_view) {});
  return found;
}

std::string without_desk_mentions(std::string_view text, const HotlineIdentity& who) {
  std::string out;
  scan_markup(
      text,
      [&](std::string_view inner, std::string_view whole) {
        if (!is_desk_mention(inner, who)) out += whole;
      },
      [&](std::string_view plain) { out += plain; });
  return core::trimmed(out);
}

std::string built_permalink(const std::string& team_url, const std::string& channel, const std::string& ts,
                            const std::string& thread_ts) {
  if (!team_url.starts_with("https://")) return {};
  std::string digits;
  for (char c : ts)
    if (c != '.') digits += c;
  std::string link = team_url + (team_url.ends_with("/") ? "" : "/") + "archives/" + channel + "/p" + digits;
  if (!thread_ts.empty() && thread_ts != ts) link += "?thread_ts=" + thread_ts + "&cid=" + channel;
  return link;
}

SlackHotline::SlackHotline(SlackApi& api, handlers::DeskActions& actions, storage::Store& store, core::Clock& clock,
                           std::function<HotlineIdentity()> identity, std::function<void()> changed)
    : api_(api),
      actions_(actions),
      store_(store),
      clock_(clock),
      identity_(std::move(identity)),
      changed_(std::move(changed)) {}

SlackHotline::FollowUp SlackHotline::on_event(const json& event) {
  const std::string type = str(event, "type"), subtype = str(event, "subtype");
  if (type != "message" && type != "app_mention") return {};
  if (type == "message" && (subtype == "message_changed" || subtype == "message_deleted"))
    return on_change(event, subtype);
  if (event.contains("bot_id") || (!subtype.empty() && subtype != "thread_broadcast")) return {};
  const HotlineIdentity who = identity_ ? identity_() : HotlineIdentity{};
  const std::string channel = str(event, "channel"), ts = str(event, "ts"), user = str(event, "user"),
                    thread = str(event, "thread_ts"), text = str(event, "text");
  if (who.desk_channel_id.empty() || channel != who.desk_channel_id || !mentions_desk(text, who)) return {};
  // What Slack sends, or the event is not one: the ids go into the record.
  if (!is_slack_ts(ts) || (!thread.empty() && !is_slack_ts(thread)) || !is_slack_user_id(user)) return {};
  try {
    // A mention in an escalation's thread is a reply to it (recorded as such), not a new escalation.
    if (!thread.empty() && thread != ts && is_escalation_thread && is_escalation_thread(channel, thread)) return {};
    if (!who.enabled || without_desk_mentions(text, who).empty()) {
      if (type != "app_mention") return {};  // one hint per message, not one per event
      PostEphemeral hint;
      hint.channel = channel;
      hint.user = user;
      hint.thread_ts = thread;
      hint.text = who.enabled ? "Tell the desk what to look at: mention it again with the text or a link and what "
                                "worries you, and it opens an escalation for the person on duty."
                              : "The desk's hotline is off here (the config names no desk.hotline_workflow). Use "
                                "/escalate to raise something by hand.";
      return [&api = api_, hint = std::move(hint)] { return tell_privately(api, hint); };
    }
    storage::HotlineMessage m;
    m.key = {std::string(kSlackSurface), channel, ts};
    m.thread_id = thread.empty() ? ts : thread;
    m.author = user;
    m.text = core::cut_to_code_points(text, kHotlineTextLimit);
    while (m.text.size() > kHotlineTextLimit) m.text = core::cut_to_code_points(m.text, m.text.size() / 2);
    m.received_at = clock_.now();
    if (!store_.record_hotline_message(m)) return {};  // the other event of the same message, or a redelivery
    log_info("desk.hotline_message", {{"channel", channel}, {"ts", ts}});
    return [this, m = std::move(m), who] { return open_one(m, who); };
  } catch (const storage::StorageError& e) {
    // Acked next all the same (Slack would redeliver to a desk that cannot write): say it is lost.
    log_error("desk.hotline_not_recorded", {{"ts", ts}, {"error", e.what()}});
  }
  return {};
}

SlackHotline::FollowUp SlackHotline::on_change(const json& event, const std::string& subtype) {
  const HotlineIdentity who = identity_ ? identity_() : HotlineIdentity{};
  const std::string channel = str(event, "channel");
  if (who.desk_channel_id.empty() || channel != who.desk_channel_id) return {};
  std::string ts, author;
  std::optional<std::string> text;
  if (subtype == "message_deleted") {
    ts = str(event, "deleted_ts");
    if (const auto before = event.find("previous_message"); before != event.end() && before->is_object())
      author = str(*before, "user");
  } else {
    const auto after = event.find("message");
    const auto before = event.find("previous_message");
    if (after == event.end() || !after->is_object() || after->contains("bot_id")) return {};
    ts = str(*after, "ts");
    author = str(*after, "user");
    text = str(*after, "text");
    // Slack also sends message_changed when it unfurls a link: the words are what counts.
    if (before != event.end() && before->is_object() && str(*before, "text") == *text) return {};
  }
  if (!is_slack_ts(ts) || !is_channel_id(channel)) return {};
  if (!is_slack_user_id(author)) author = "slack";
  try {
    const storage::MessageKey key{std::string(kSlackSurface), channel, ts};
    if (actions_.record_hotline_change(key, text, author, clock_.now()))
      log_info("desk.hotline_source_changed", {{"ts", ts}, {"change", text ? "edited" : "deleted"}});
  } catch (const storage::StorageError& e) {
    log_error("desk.hotline_change_not_recorded", {{"ts", ts}, {"error", e.what()}});
  }
  return {};
}

net::awaitable<void> SlackHotline::open_pending() {
  std::vector<storage::HotlineMessage> pending;
  try {
    pending = store_.pending_hotline_messages(std::string(kSlackSurface));
  } catch (const storage::StorageError& e) {
    log_error("desk.hotline_pending_unread", {{"error", e.what()}});
    co_return;
  }
  if (pending.empty()) co_return;
  const HotlineIdentity who = identity_ ? identity_() : HotlineIdentity{};
  for (auto& m : pending) co_await open_one(std::move(m), who);
}

net::awaitable<void> SlackHotline::open_one(storage::HotlineMessage m, HotlineIdentity who) {
  const std::string key = m.key.channel + "/" + m.key.message_id;
  if (!opening_.insert(key).second) co_return;  // a pass at start and the event's follow-up at once
  std::string permalink;
  try {
    permalink = co_await api_.chat_get_permalink(m.key.channel, m.key.message_id);
  } catch (const std::exception& e) {
    log_warn("desk.hotline_permalink_failed", {{"ts", m.key.message_id}, {"error", e.what()}});
  }
  // The escalation must open now (its clock is minutes): Slack's own link format stands in.
  if (!permalink.starts_with("https://"))
    permalink = built_permalink(who.team_url, m.key.channel, m.key.message_id, m.thread_id);
  handlers::ChannelRaise raise{std::move(m), std::move(permalink)};
  const auto r = actions_.raise_from_channel(raise, clock_.now());
  opening_.erase(key);
  using Status = handlers::ChannelRaiseResult::Status;
  if (r.status == Status::opened)
    log_info("desk.hotline_escalated", {{"ts", raise.message.key.message_id}, {"escalation_id", r.escalation_id}});
  else if (r.status == Status::failed)
    log_error("desk.hotline_not_escalated", {{"ts", raise.message.key.message_id}, {"error", r.log}});
  if (r.changed && changed_) changed_();
}

}  // namespace desk::bot::slack
