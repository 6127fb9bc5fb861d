// SlackDeliverer: finding the desk channel, and looking up sends whose outcome is unknown.
#include <algorithm>
#include <cctype>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/slack_deliverer.hpp"
#include "handlers/effects.hpp"

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;

constexpr int kLookupPages = 5;
constexpr int kChannelListPages = 50;

std::string normalised_name(std::string_view channel) {
  if (!channel.empty() && channel.front() == '#') channel.remove_prefix(1);
  std::string out(channel);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

net::awaitable<void> SlackDeliverer::resolve_desk_channel() {
  for (unsigned attempt = 0; !stopping_; ++attempt) {
    ChannelLookup found;
    try {
      found = co_await find_desk_channel();
    } catch (const SlackApiError& e) { found.problem = e.what(); } catch (const SlackTransportError& e) {
      found.problem = e.what();
    }
    if (!found.id.empty()) {
      channel_id_ = found.id;
      log_info("outbox.desk_channel", {{"channel", options_.desk_channel}, {"id", channel_id_}});
      if (on_ready_) on_ready_();
      co_return;
    }
    const auto delay = backoff_delay(options_.backoff, attempt, random_jitter());
    log_error("outbox.desk_channel_unavailable", {{"channel", options_.desk_channel},
                                                  {"problem", found.problem},
                                                  {"effect", "nothing is sent to Slack until the channel can be used"},
                                                  {"retry_in_ms", static_cast<std::int64_t>(delay.count())}});
    retry_timer_.expires_after(delay);
    co_await retry_timer_.async_wait(net::as_tuple(net::use_awaitable));
  }
}

net::awaitable<SlackDeliverer::ChannelLookup> SlackDeliverer::find_desk_channel() {
  if (looks_like_channel_id(options_.desk_channel)) co_return ChannelLookup{options_.desk_channel, {}};
  const std::string name = normalised_name(options_.desk_channel);
  std::string cursor;
  for (int page = 0; page < kChannelListPages; ++page) {
    auto list = co_await api_.conversations_list(cursor, 200);
    for (const auto& c : list.channels) {
      if (c.name != name) continue;
      if (c.is_archived) co_return ChannelLookup{{}, "#" + name + " is archived"};
      if (c.is_member) co_return ChannelLookup{c.id, {}};
      if (c.is_private)
        co_return ChannelLookup{{}, "#" + name + " is private and the bot is not in it: /invite the bot"};
      co_await api_.conversations_join(c.id);
      log_info("outbox.desk_channel_joined", {{"channel", name}, {"id", c.id}});
      co_return ChannelLookup{c.id, {}};
    }
    if (list.next_cursor.empty()) break;
    cursor = list.next_cursor;
  }
  co_return ChannelLookup{{}, "no channel #" + name + " is visible to the bot (a private one must invite it first)"};
}

net::awaitable<PostedMessage> SlackDeliverer::post_in_channel(PostMessage message) {
  bool joined = false;
  for (;;) {
    try {
      co_return co_await api_.chat_post_message(message);
    } catch (const SlackApiError& e) {
      if (e.error() != "not_in_channel" || joined) throw;
    }
    joined = true;  // removed from the channel since start: join once, then the error is permanent
    co_await api_.conversations_join(message.channel);
  }
}

std::string SlackDeliverer::lookup_oldest(const storage::OutboxMessage& row) const {
  // Any earlier attempt of this row happened after it was created.
  const auto from = row.created_at - options_.lookup_margin;
  return std::to_string(std::max<std::int64_t>(0, from.time_since_epoch().count())) + ".000000";
}

net::awaitable<std::optional<HistoryMessage>> SlackDeliverer::find_by_metadata(std::string channel,
                                                                               std::string thread_ts, json metadata,
                                                                               std::string oldest) {
  const std::string type = metadata.value("event_type", std::string{});
  const json payload = metadata.value("event_payload", json::object());
  co_return co_await find_in_history(
      std::move(channel), std::move(thread_ts), std::move(oldest), [&](const HistoryMessage& m) {
        return m.metadata && m.metadata->event_type == type && m.metadata->event_payload == payload;
      });
}

net::awaitable<std::optional<HistoryMessage>> SlackDeliverer::find_in_history(
    std::string channel, std::string thread_ts, std::string oldest, std::function<bool(const HistoryMessage&)> wanted) {
  HistoryQuery query;
  query.channel = std::move(channel);
  query.thread_ts = std::move(thread_ts);
  query.oldest = std::move(oldest);
  query.limit = 200;
  for (int page = 0; page < kLookupPages; ++page) {
    HistoryPage result;
    if (query.thread_ts.empty())
      result = co_await api_.conversations_history(query);
    else
      result = co_await api_.conversations_replies(query);
    for (auto& m : result.messages)
      if (wanted(m)) co_return std::move(m);
    if (!result.has_more || result.next_cursor.empty()) break;
    query.cursor = result.next_cursor;
  }
  co_return std::nullopt;
}

net::awaitable<std::optional<HistoryMessage>> SlackDeliverer::look_up(const storage::OutboxMessage& row,
                                                                      std::string channel, std::string thread_ts,
                                                                      json metadata) {
  std::string refused;
  try {
    if (row.kind == handlers::to_string(handlers::Effect::post_escalation))
      co_return co_await find_escalation_post(api_, channel, row.escalation_id, lookup_oldest(row), kLookupPages);
    co_return co_await find_by_metadata(channel, std::move(thread_ts), std::move(metadata), lookup_oldest(row));
  } catch (const SlackApiError& e) {
    if (is_transient_slack_error(e.error())) throw;
    refused = e.what();
  }
  log_warn("outbox.lookup_refused", {{"id", row.id},
                                     {"kind", row.kind},
                                     {"escalation_id", row.escalation_id},
                                     {"error", refused},
                                     {"effect", "sending again; Slack may show it twice"}});
  co_return std::nullopt;
}

net::awaitable<std::optional<std::pair<std::string, std::string>>> SlackDeliverer::look_up_direct(
    const storage::OutboxMessage& row, const std::string& user_id, json metadata) {
  std::string channel;
  try {
    channel = co_await api_.conversations_open(user_id);
  } catch (const SlackApiError& e) {
    if (is_transient_slack_error(e.error())) throw;
    log_warn("outbox.lookup_refused", {{"id", row.id},
                                       {"kind", row.kind},
                                       {"escalation_id", row.escalation_id},
                                       {"error", e.what()},
                                       {"effect", "sending again; the person may see it twice"}});
    co_return std::nullopt;
  }
  if (channel.empty()) co_return std::nullopt;
  auto found = co_await look_up(row, channel, {}, std::move(metadata));
  if (!found) co_return std::nullopt;
  log_info("outbox.found_earlier_message", {{"id", row.id}, {"kind", row.kind}, {"ts", found->ts}});
  co_return std::make_pair(channel, found->ts);
}

}  // namespace desk::bot::slack
