#include "bot/slack/slack_api.hpp"

#include "bot/slack/log.hpp"

namespace desk::bot::slack {
namespace {

std::string describe(const std::string& method, const std::string& error, const std::string& needed,
                     const std::vector<std::string>& messages) {
  std::string text = method + " failed: " + error;
  if (!needed.empty()) text += " (needed scope: " + needed + ")";
  for (const auto& m : messages) text += "; " + m;
  // Slack echoes parts of the request in messages; never let a token ride along in an error.
  return redact(text);
}

}  // namespace

SlackApiError::SlackApiError(std::string method, std::string error, std::string needed,
                             std::vector<std::string> messages)
    : std::runtime_error(describe(method, error, needed, messages)),
      method_(std::move(method)),
      error_(std::move(error)),
      needed_(std::move(needed)),
      messages_(std::move(messages)) {}

boost::asio::awaitable<std::optional<HistoryMessage>> find_escalation_post(SlackApi& api, std::string channel,
                                                                           std::string escalation_id,
                                                                           std::string oldest, int max_pages) {
  HistoryQuery query;
  query.channel = channel;
  query.oldest = oldest;
  query.limit = 200;
  for (int page = 0; page < max_pages; ++page) {
    auto result = co_await api.conversations_history(query);
    for (auto& message : result.messages) {
      if (!message.metadata || message.metadata->event_type != kEscalationPostedEvent) continue;
      auto id = message.metadata->event_payload.find("escalation_id");
      if (id != message.metadata->event_payload.end() && id->is_string() && id->get<std::string>() == escalation_id) {
        co_return std::move(message);
      }
    }
    if (!result.has_more || result.next_cursor.empty()) break;
    query.cursor = result.next_cursor;
  }
  co_return std::nullopt;
}

}  // namespace desk::bot::slack
