#include "bot/slack/json_slack_api.hpp"

#include "bot/slack/log.hpp"

namespace desk::bot::slack {
namespace {

using json = nlohmann::json;

std::string str(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return (it != object.end() && it->is_string()) ? it->get<std::string>() : std::string{};
}

bool flag(const json& object, const char* key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

const json& member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

ApiCall make_call(std::string method, json args, BodyEncoding encoding, bool retry_safe, std::string queue_key = {}) {
  ApiCall call;
  call.queue_key = queue_key.empty() ? method : std::move(queue_key);
  call.method = std::move(method);
  call.args = std::move(args);
  call.encoding = encoding;
  call.retry_safe = retry_safe;
  return call;
}

void put_if(json& args, const char* key, const std::string& value) {
  if (!value.empty()) args[key] = value;
}

ViewInfo to_view(const json& response) {
  const json& view = member(response, "view");
  return ViewInfo{str(view, "id"), str(view, "hash"), view};
}

Conversation to_conversation(const json& c) {
  return Conversation{str(c, "id"), str(c, "name"), flag(c, "is_private"), flag(c, "is_archived"),
                      flag(c, "is_member")};
}

UserGroup to_usergroup(const json& g) {
  UserGroup group{str(g, "id"), str(g, "handle"), str(g, "name"), {}, false};
  for (const auto& u : member(g, "users")) {
    if (u.is_string()) group.users.push_back(u.get<std::string>());
  }
  const json& deleted = member(g, "date_delete");
  group.disabled = deleted.is_number() && deleted.get<double>() != 0;
  return group;
}

std::optional<MessageMetadata> to_metadata(const json& m) {
  if (!m.is_object()) return std::nullopt;
  MessageMetadata meta{str(m, "event_type"), member(m, "event_payload")};
  if (!meta.event_payload.is_object()) meta.event_payload = json::object();
  return meta;
}

UserInfo to_user(const json& u) {
  const json& offset = member(u, "tz_offset");
  UserInfo info;
  info.id = str(u, "id");
  info.name = str(u, "name");
  info.real_name = str(u, "real_name");
  info.display_name = str(member(u, "profile"), "display_name");
  info.tz = str(u, "tz");
  info.tz_label = str(u, "tz_label");
  info.tz_offset = offset.is_number_integer() ? offset.get<int>() : 0;
  info.deleted = flag(u, "deleted");
  info.is_bot = flag(u, "is_bot");
  info.is_restricted = flag(u, "is_restricted") || flag(u, "is_ultra_restricted");
  return info;
}

AuthInfo to_auth(const json& r) {
  return AuthInfo{str(r, "url"),  str(r, "team"),    str(r, "team_id"),
                  str(r, "user"), str(r, "user_id"), str(r, "bot_id")};
}

PostedMessage to_posted(const json& r) { return PostedMessage{str(r, "channel"), str(r, "ts")}; }

HistoryPage to_history(const json& r) {
  HistoryPage page;
  for (const auto& m : member(r, "messages")) {
    HistoryMessage message{str(m, "ts"),
                           str(m, "text"),
                           str(m, "user"),
                           str(m, "bot_id"),
                           str(m, "thread_ts"),
                           to_metadata(member(m, "metadata")),
                           {}};
    for (const auto& f : member(m, "files"))
      if (const auto name = str(f, "name"); !name.empty()) message.file_names.push_back(name);
    page.messages.push_back(std::move(message));
  }
  page.has_more = flag(r, "has_more");
  page.next_cursor = str(member(r, "response_metadata"), "next_cursor");
  return page;
}

std::vector<PinnedMessage> to_pins(const json& r) {
  std::vector<PinnedMessage> pins;
  for (const auto& item : member(r, "items")) {
    const json& m = member(item, "message");
    if (str(item, "type") != "message" || !m.is_object()) continue;
    PinnedMessage pin{str(m, "ts"), str(m, "user"), str(m, "bot_id"), to_metadata(member(m, "metadata")), {}};
    for (const auto& block : member(m, "blocks"))
      if (const auto id = str(block, "block_id"); !id.empty()) pin.block_ids.push_back(id);
    pins.push_back(std::move(pin));
  }
  return pins;
}

/// The arguments conversations.history and conversations.replies share.
json history_args(const HistoryQuery& q) {
  json args{{"channel", q.channel}, {"limit", q.limit}, {"include_all_metadata", q.include_all_metadata}};
  put_if(args, "oldest", q.oldest);
  put_if(args, "latest", q.latest);
  put_if(args, "cursor", q.cursor);
  return args;
}

ConversationPage to_conversation_page(const json& r) {
  ConversationPage page;
  for (const auto& c : member(r, "channels")) page.channels.push_back(to_conversation(c));
  page.next_cursor = str(member(r, "response_metadata"), "next_cursor");
  return page;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

}  // namespace

void check_ok(const std::string& method, const json& response) {
  if (!response.is_object()) throw SlackApiError(method, "invalid_response");
  if (flag(response, "ok")) return;
  std::string error = str(response, "error");
  std::vector<std::string> messages;
  for (const auto& m : member(member(response, "response_metadata"), "messages")) {
    if (m.is_string()) messages.push_back(m.get<std::string>());
  }
  throw SlackApiError(method, error.empty() ? "unknown_error" : error, str(response, "needed"), std::move(messages));
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (is_unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string form_encode(const json& args) {
  std::string out;
  if (!args.is_object()) return out;
  for (const auto& [key, value] : args.items()) {
    if (value.is_null()) continue;
    if (!out.empty()) out.push_back('&');
    out += url_encode(key);
    out.push_back('=');
    out += url_encode(value.is_string() ? value.get<std::string>()
                                        : value.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  return out;
}

SlackApi::Task<AuthInfo> JsonSlackApi::auth_test() {
  auto r = co_await invoke(make_call("auth.test", json::object(), BodyEncoding::form, true));
  co_return to_auth(r);
}

SlackApi::Task<std::string> JsonSlackApi::apps_connections_open(std::string app_token) {
  // Retry-safe: an unused ticket simply expires on Slack's side.
  auto call = make_call("apps.connections.open", json::object(), BodyEncoding::form, true);
  call.app_token = app_token;
  auto r = co_await invoke(std::move(call));
  auto url = str(r, "url");
  if (url.empty()) throw SlackApiError("apps.connections.open", "missing_url");
  co_return url;
}

SlackApi::Task<PostedMessage> JsonSlackApi::chat_post_message(PostMessage m) {
  json args{{"channel", m.channel}, {"text", m.text}, {"unfurl_links", m.unfurl_links}};
  if (!m.blocks.is_null()) args["blocks"] = m.blocks;
  put_if(args, "thread_ts", m.thread_ts);
  if (m.metadata) {
    args["metadata"] = {{"event_type", m.metadata->event_type}, {"event_payload", m.metadata->event_payload}};
  }
  // One queue per channel keeps posts in order and parks only the channel Slack throttled.
  auto r = co_await invoke(
      make_call("chat.postMessage", std::move(args), BodyEncoding::json, false, "chat.postMessage#" + m.channel));
  co_return to_posted(r);
}

SlackApi::Task<PostedMessage> JsonSlackApi::chat_update(UpdateMessage m) {
  json args{{"channel", m.channel}, {"ts", m.ts}, {"text", m.text}};
  if (!m.blocks.is_null()) args["blocks"] = m.blocks;
  auto r = co_await invoke(make_call("chat.update", std::move(args), BodyEncoding::json, true));
  co_return to_posted(r);
}

SlackApi::Task<std::string> JsonSlackApi::chat_post_ephemeral(PostEphemeral m) {
  json args{{"channel", m.channel}, {"user", m.user}, {"text", m.text}};
  if (!m.blocks.is_null()) args["blocks"] = m.blocks;
  put_if(args, "thread_ts", m.thread_ts);
  auto r = co_await invoke(make_call("chat.postEphemeral", std::move(args), BodyEncoding::json, false));
  co_return str(r, "message_ts");
}

SlackApi::Task<std::string> JsonSlackApi::chat_get_permalink(std::string channel, std::string message_ts) {
  json args{{"channel", channel}, {"message_ts", message_ts}};
  auto r = co_await invoke(make_call("chat.getPermalink", std::move(args), BodyEncoding::form, true));
  co_return str(r, "permalink");
}

SlackApi::Task<ViewInfo> JsonSlackApi::views_open(std::string trigger_id, json view) {
  // Not retry-safe: a trigger id is single-use, so a resend would fail anyway.
  json args{{"trigger_id", trigger_id}, {"view", view}};
  co_return to_view(co_await invoke(make_call("views.open", std::move(args), BodyEncoding::json, false)));
}

SlackApi::Task<ViewInfo> JsonSlackApi::views_update(std::string view_id, json view, std::string hash) {
  json args{{"view_id", view_id}, {"view", view}};
  put_if(args, "hash", hash);
  co_return to_view(co_await invoke(make_call("views.update", std::move(args), BodyEncoding::json, true)));
}

SlackApi::Task<UserInfo> JsonSlackApi::users_info(std::string user) {
  json args{{"user", user}};
  auto r = co_await invoke(make_call("users.info", std::move(args), BodyEncoding::form, true));
  co_return to_user(member(r, "user"));
}

SlackApi::Task<std::vector<UserGroup>> JsonSlackApi::usergroups_list(bool include_users, bool include_disabled) {
  json args{{"include_users", include_users}, {"include_disabled", include_disabled}};
  auto r = co_await invoke(make_call("usergroups.list", std::move(args), BodyEncoding::form, true));
  std::vector<UserGroup> groups;
  for (const auto& g : member(r, "usergroups")) groups.push_back(to_usergroup(g));
  co_return groups;
}

SlackApi::Task<UserGroup> JsonSlackApi::usergroups_users_update(std::string usergroup, std::vector<std::string> users) {
  std::string list;
  for (const auto& u : users) list += (list.empty() ? "" : ",") + u;
  json args{{"usergroup", usergroup}, {"users", list}};
  // Retry-safe: it sets the whole list, so doing it twice leaves the same list.
  auto r = co_await invoke(make_call("usergroups.users.update", std::move(args), BodyEncoding::form, true));
  co_return to_usergroup(member(r, "usergroup"));
}

SlackApi::Task<ConversationPage> JsonSlackApi::conversations_list(std::string cursor, int limit) {
  json args{{"types", "public_channel,private_channel"}, {"exclude_archived", true}, {"limit", limit}};
  put_if(args, "cursor", cursor);
  auto r = co_await invoke(make_call("conversations.list", std::move(args), BodyEncoding::form, true));
  co_return to_conversation_page(r);
}

SlackApi::Task<Conversation> JsonSlackApi::conversations_info(std::string channel) {
  json args{{"channel", channel}};
  auto r = co_await invoke(make_call("conversations.info", std::move(args), BodyEncoding::form, true));
  co_return to_conversation(member(r, "channel"));
}

SlackApi::Task<Conversation> JsonSlackApi::conversations_join(std::string channel) {
  json args{{"channel", channel}};
  auto r = co_await invoke(make_call("conversations.join", std::move(args), BodyEncoding::form, true));
  if (auto warning = str(r, "warning"); !warning.empty()) {
    log_debug("slack.api_warning", {{"method", "conversations.join"}, {"warning", warning}});
  }
  co_return to_conversation(member(r, "channel"));
}

SlackApi::Task<HistoryPage> JsonSlackApi::conversations_history(HistoryQuery q) {
  auto r = co_await invoke(make_call("conversations.history", history_args(q), BodyEncoding::form, true));
  co_return to_history(r);
}

SlackApi::Task<std::string> JsonSlackApi::conversations_open(std::string user) {
  json args{{"users", user}};
  auto r = co_await invoke(make_call("conversations.open", std::move(args), BodyEncoding::form, true));
  co_return str(member(r, "channel"), "id");
}

SlackApi::Task<HistoryPage> JsonSlackApi::conversations_replies(HistoryQuery q) {
  json args = history_args(q);
  args["ts"] = q.thread_ts;
  auto r = co_await invoke(make_call("conversations.replies", std::move(args), BodyEncoding::form, true));
  co_return to_history(r);
}

SlackApi::Task<UploadTicket> JsonSlackApi::files_get_upload_url_external(std::string filename, std::size_t length,
                                                                         std::string alt_text) {
  json args{{"filename", filename}, {"length", length}};
  put_if(args, "alt_txt", alt_text);
  // Retry-safe: a ticket nobody uses shares nothing, and Slack forgets it.
  auto r = co_await invoke(make_call("files.getUploadURLExternal", std::move(args), BodyEncoding::form, true));
  UploadTicket ticket{str(r, "upload_url"), str(r, "file_id")};
  if (ticket.upload_url.empty() || ticket.file_id.empty())
    throw SlackApiError("files.getUploadURLExternal", "invalid_response");
  co_return ticket;
}

SlackApi::Task<void> JsonSlackApi::files_complete_upload_external(CompleteUpload upload) {
  json file{{"id", upload.file_id}};
  put_if(file, "title", upload.title);
  json args{{"files", json::array({file})}};
  put_if(args, "channel_id", upload.channel_id);
  put_if(args, "thread_ts", upload.thread_ts);
  put_if(args, "initial_comment", upload.initial_comment);
  // Form-encoded (`files` as JSON text), as Slack documents the files.* methods.
  co_await invoke(make_call("files.completeUploadExternal", std::move(args), BodyEncoding::form, false));
}

// Retry-safe, all three: pinning or unpinning twice ends in the same pins (the second says
// already_pinned or no_pin).
SlackApi::Task<void> JsonSlackApi::pins_add(std::string channel, std::string ts) {
  json args{{"channel", channel}, {"timestamp", ts}};
  co_await invoke(make_call("pins.add", std::move(args), BodyEncoding::form, true));
}

SlackApi::Task<void> JsonSlackApi::pins_remove(std::string channel, std::string ts) {
  json args{{"channel", channel}, {"timestamp", ts}};
  co_await invoke(make_call("pins.remove", std::move(args), BodyEncoding::form, true));
}

SlackApi::Task<std::vector<PinnedMessage>> JsonSlackApi::pins_list(std::string channel) {
  json args{{"channel", channel}};
  co_return to_pins(co_await invoke(make_call("pins.list", std::move(args), BodyEncoding::form, true)));
}

}  // namespace desk::bot::slack
