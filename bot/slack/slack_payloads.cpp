#include "bot/slack/slack_payloads.hpp"

#include <algorithm>
#include <optional>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/text_scan.hpp"

namespace desk::bot::slack {
namespace {

using json = nlohmann::json;

/// How a string field is checked.
enum class Kind {
  id,    ///< printable ASCII without spaces (team, channel, view, trigger ids, timestamps)
  user,  ///< a Slack user id
  text,  ///< valid UTF-8 (input values, slash text, block and action ids)
  url,   ///< an http(s) URL in printable ASCII
};

bool printable_ascii(std::string_view s, bool allow_space) {
  for (unsigned char c : s)
    if (c < (allow_space ? 0x20 : 0x21) || c > 0x7e) return false;
  return true;
}

/// One member of a JSON object as the checker needs it, from either parser's DOM: nlohmann's (the
/// handlers' payloads) or Boost.JSON's (the Socket Mode frame, read once on the ack path).
struct Member {
  bool present = false;  ///< there and not null
  bool is_string = false;
  std::string_view text;  ///< when is_string
};

Member member(const json& obj, std::string_view name) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_string()) return {true, false, {}};
  return {true, true, it->get_ref<const std::string&>()};
}

Member member(const boost::json::object& obj, std::string_view name) {
  const boost::json::value* v = obj.if_contains(name);
  if (v == nullptr || v->is_null()) return {};
  if (!v->is_string()) return {true, false, {}};
  return {true, true, std::string_view(v->get_string())};
}

std::string join(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

/// Walks a payload and keeps the first problem found; every method does nothing once one is found,
/// so a parser reads as a list of fields.
class Checker {
 public:
  bool ok() const { return !error_; }
  PayloadError error() const { return *error_; }

  bool fail(std::string field, std::string message) {
    if (!error_) error_ = PayloadError{std::move(field), std::move(message)};
    return false;
  }

  /// obj[name] as an object; nullptr when it is absent or null (an error if required) or not an object.
  const json* object(const json& obj, const std::string& path, std::string_view name, bool required) {
    if (!ok()) return nullptr;
    const std::string field = join(path, name);
    const auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) {
      if (required) fail(field, "the payload has no '" + field + "'");
      return nullptr;
    }
    if (!it->is_object()) {
      fail(field, "'" + field + "' must be an object");
      return nullptr;
    }
    return &*it;
  }

  /// Reads obj[name] into `out`. Absent or null leaves `out` empty (an error if required).
  template <class Object>
  bool string(const Object& obj, const std::string& path, std::string_view name, std::string& out, bool required,
              Kind kind, std::size_t max_bytes) {
    if (!ok()) return false;
    const Member m = member(obj, name);
    if (!m.present) return !required || fail(join(path, name), "the payload has no '" + join(path, name) + "'");
    if (!m.is_string) return fail(join(path, name), "'" + join(path, name) + "' must be a string");
    return check(join(path, name), m.text, out, required, kind, max_bytes);
  }

  bool check(const std::string& field, std::string_view value, std::string& out, bool required, Kind kind,
             std::size_t max_bytes) {
    if (value.empty()) return !required || fail(field, "'" + field + "' is empty");
    if (value.size() > max_bytes)
      return fail(field, "'" + field + "' is longer than " + std::to_string(max_bytes) + " bytes");
    switch (kind) {
      case Kind::id:
        if (!printable_ascii(value, false)) return fail(field, "'" + field + "' is not a Slack id");
        break;
      case Kind::user:
        if (!is_slack_user_id(value)) return fail(field, "'" + field + "' is not a Slack user id");
        break;
      case Kind::text:
        if (!core::is_valid_utf8(value)) return fail(field, "'" + field + "' is not valid UTF-8");
        break;
      case Kind::url:
        if (!printable_ascii(value, false) || (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0))
          return fail(field, "'" + field + "' is not an http(s) URL");
        break;
    }
    out.assign(value);
    return true;
  }

 private:
  std::optional<PayloadError> error_;
};

/// user.id (required), user.username or user.name, and the team from team.id or user.team_id.
void read_user(Checker& c, const json& p, std::string& user_id, std::string* user_name, std::string& team_id) {
  if (const json* user = c.object(p, "", "user", true)) {
    c.string(*user, "user", "id", user_id, true, Kind::user, kMaxIdBytes);
    if (user_name) {
      c.string(*user, "user", "username", *user_name, false, Kind::text, kMaxIdBytes);
      if (user_name->empty()) c.string(*user, "user", "name", *user_name, false, Kind::text, kMaxIdBytes);
    }
    c.string(*user, "user", "team_id", team_id, false, Kind::id, kMaxIdBytes);
  }
  if (const json* team = c.object(p, "", "team", false))
    c.string(*team, "team", "id", team_id, false, Kind::id, kMaxIdBytes);
}

ParsedInteraction parse_block_actions(const json& p) {
  Checker c;
  BlockAction a;
  read_user(c, p, a.user_id, &a.user_name, a.team_id);
  c.string(p, "", "trigger_id", a.trigger_id, true, Kind::id, kMaxIdBytes);
  c.string(p, "", "response_url", a.response_url, false, Kind::url, kMaxUrlBytes);
  if (const json* container = c.object(p, "", "container", false)) {
    c.string(*container, "container", "channel_id", a.channel_id, false, Kind::id, kMaxIdBytes);
    c.string(*container, "container", "message_ts", a.message_ts, false, Kind::id, kMaxIdBytes);
  }
  if (const json* channel = c.object(p, "", "channel", false); channel && a.channel_id.empty())
    c.string(*channel, "channel", "id", a.channel_id, false, Kind::id, kMaxIdBytes);
  if (const json* message = c.object(p, "", "message", false); message && a.message_ts.empty())
    c.string(*message, "message", "ts", a.message_ts, false, Kind::id, kMaxIdBytes);
  if (!c.ok()) return c.error();

  const auto actions = p.find("actions");
  if (actions == p.end() || actions->is_null()) return PayloadError{"actions", "the payload has no 'actions'"};
  if (!actions->is_array()) return PayloadError{"actions", "'actions' must be an array"};
  if (actions->empty()) return PayloadError{"actions", "'actions' is empty"};
  const json& first = actions->front();
  if (!first.is_object()) return PayloadError{"actions[0]", "'actions[0]' must be an object"};
  c.string(first, "actions[0]", "action_id", a.action_id, true, Kind::text, kMaxIdBytes);
  c.string(first, "actions[0]", "block_id", a.block_id, true, Kind::text, kMaxIdBytes);
  c.string(first, "actions[0]", "value", a.value, false, Kind::text, kMaxValueBytes);
  if (!c.ok()) return c.error();
  return a;
}

/// One element of view.state.values: plain_text_input and static_select are kept, other kinds ignored.
void read_input(Checker& c, const std::string& path, const json& element, ViewSubmission& v, const std::string& block,
                const std::string& action) {
  if (!element.is_object()) {
    c.fail(path, "'" + path + "' must be an object");
    return;
  }
  std::string type;
  if (!c.string(element, path, "type", type, true, Kind::text, kMaxIdBytes)) return;
  if (type == "plain_text_input") {
    std::string value;
    if (c.string(element, path, "value", value, false, Kind::text, kMaxTextBytes) && !value.empty())
      v.text_values[block][action] = std::move(value);
  } else if (type == "static_select") {
    const json* option = c.object(element, path, "selected_option", false);
    std::string value;
    if (option && c.string(*option, join(path, "selected_option"), "value", value, true, Kind::text, kMaxIdBytes))
      v.selected_values[block][action] = std::move(value);
  }
}

void read_state(Checker& c, const json& view, ViewSubmission& v) {
  const json* state = c.object(view, "view", "state", false);
  const json* values = state ? c.object(*state, "view.state", "values", false) : nullptr;
  if (!values) return;
  std::size_t inputs = 0;
  for (const auto& [block, actions] : values->items()) {
    const std::string path = "view.state.values." + block;
    std::string ignored;
    if (!c.check(path, block, ignored, true, Kind::text, kMaxIdBytes)) return;
    if (!actions.is_object()) {
      c.fail(path, "'" + path + "' must be an object");
      return;
    }
    for (const auto& [action, element] : actions.items()) {
      const std::string element_path = path + "." + action;
      if (++inputs > kMaxInputs) {
        c.fail("view.state.values", "the view has more than " + std::to_string(kMaxInputs) + " inputs");
        return;
      }
      if (!c.check(element_path, action, ignored, true, Kind::text, kMaxIdBytes)) return;
      read_input(c, element_path, element, v, block, action);
      if (!c.ok()) return;
    }
  }
}

ParsedInteraction parse_view_submission(const json& p) {
  Checker c;
  ViewSubmission v;
  read_user(c, p, v.user_id, &v.user_name, v.team_id);
  c.string(p, "", "trigger_id", v.trigger_id, false, Kind::id, kMaxIdBytes);
  if (const json* view = c.object(p, "", "view", true)) {
    c.string(*view, "view", "id", v.view_id, true, Kind::id, kMaxIdBytes);
    c.string(*view, "view", "hash", v.view_hash, false, Kind::id, kMaxIdBytes);
    c.string(*view, "view", "callback_id", v.callback_id, true, Kind::text, kMaxIdBytes);
    c.string(*view, "view", "private_metadata", v.private_metadata, false, Kind::text, kMaxMetadataBytes);
    if (c.ok()) read_state(c, *view, v);
  }
  if (!c.ok()) return c.error();
  return v;
}

ParsedInteraction parse_view_closed(const json& p) {
  Checker c;
  ViewClosed v;
  read_user(c, p, v.user_id, nullptr, v.team_id);
  if (const json* view = c.object(p, "", "view", true)) {
    c.string(*view, "view", "id", v.view_id, true, Kind::id, kMaxIdBytes);
    c.string(*view, "view", "callback_id", v.callback_id, false, Kind::text, kMaxIdBytes);
    c.string(*view, "view", "private_metadata", v.private_metadata, false, Kind::text, kMaxMetadataBytes);
  }
  if (!c.ok()) return c.error();
  if (const auto it = p.find("is_cleared"); it != p.end() && !it->is_null()) {
    if (!it->is_boolean()) return PayloadError{"is_cleared", "'is_cleared' must be true or false"};
    v.is_cleared = it->get<bool>();
  }
  return v;
}

/// Parses `text` as a JSON object after cheap checks of its size and nesting depth, so a huge or
/// absurdly nested payload is refused before a DOM is built for it.
std::variant<json, PayloadError> parse_text(std::string_view text) {
  if (text.size() > kMaxPayloadBytes)
    return PayloadError{"", "the payload is larger than " + std::to_string(kMaxPayloadBytes) + " bytes"};
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (ch == '\\')
        escaped = true;
      else if (ch == '"')
        in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      if (++depth > kMaxPayloadDepth)
        return PayloadError{"", "the payload is nested deeper than " + std::to_string(kMaxPayloadDepth) + " levels"};
    } else if ((ch == '}' || ch == ']') && depth > 0) {
      --depth;
    }
  }
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return PayloadError{"", "the payload is not valid JSON"};
  return j;
}

}  // namespace

bool is_slack_ts(std::string_view ts) {
  const auto dot = ts.find('.');
  const auto digits = [](std::string_view part) {
    return !part.empty() && part.size() <= 16 && part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return dot != std::string_view::npos && digits(ts.substr(0, dot)) && digits(ts.substr(dot + 1));
}

bool is_slack_user_id(std::string_view id) {
  if (id.size() < 2 || id.size() > 32 || (id[0] != 'U' && id[0] != 'W')) return false;
  for (char ch : id.substr(1))
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) return false;
  return true;
}

const std::string* ViewSubmission::text(std::string_view block_id, std::string_view action_id) const {
  const auto block = text_values.find(std::string(block_id));
  if (block == text_values.end()) return nullptr;
  const auto it = block->second.find(std::string(action_id));
  return it == block->second.end() ? nullptr : &it->second;
}

const std::string* ViewSubmission::selected(std::string_view block_id, std::string_view action_id) const {
  const auto block = selected_values.find(std::string(block_id));
  if (block == selected_values.end()) return nullptr;
  const auto it = block->second.find(std::string(action_id));
  return it == block->second.end() ? nullptr : &it->second;
}

ParsedInteraction parse_interaction(const nlohmann::json& payload) {
  if (!payload.is_object()) return PayloadError{"", "the payload must be a JSON object"};
  const auto type = payload.find("type");
  if (type == payload.end() || !type->is_string()) return PayloadError{"type", "the payload has no string 'type'"};
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "block_actions") return parse_block_actions(payload);
  if (t == "view_submission") return parse_view_submission(payload);
  if (t == "view_closed") return parse_view_closed(payload);
  const std::string shown = core::is_valid_utf8(t) && t.size() <= 64 ? t : "?";
  return PayloadError{"type", "the desk does not handle '" + shown + "' interactions"};
}

ParsedInteraction parse_interaction(std::string_view payload_text) {
  auto parsed = parse_text(payload_text);
  if (auto* e = std::get_if<PayloadError>(&parsed)) return *e;
  return parse_interaction(std::get<json>(parsed));
}

namespace {

template <class Object>
ParsedSlashCommand slash_command_from(const Object& p) {
  Checker c;
  SlashCommand s;
  if (c.string(p, "", "command", s.command, true, Kind::text, kMaxIdBytes) && s.command.front() != '/')
    c.fail("command", "'command' must start with '/'");
  c.string(p, "", "text", s.text, false, Kind::text, kMaxTextBytes);
  c.string(p, "", "user_id", s.user_id, true, Kind::user, kMaxIdBytes);
  c.string(p, "", "channel_id", s.channel_id, true, Kind::id, kMaxIdBytes);
  c.string(p, "", "trigger_id", s.trigger_id, true, Kind::id, kMaxIdBytes);
  c.string(p, "", "team_id", s.team_id, false, Kind::id, kMaxIdBytes);
  c.string(p, "", "response_url", s.response_url, false, Kind::url, kMaxUrlBytes);
  if (!c.ok()) return c.error();
  return s;
}

}  // namespace

ParsedSlashCommand parse_slash_command(const nlohmann::json& p) {
  if (!p.is_object()) return PayloadError{"", "the payload must be a JSON object"};
  return slash_command_from(p);
}

ParsedSlashCommand parse_slash_command_in_frame(const boost::json::object& payload) {
  return slash_command_from(payload);
}

ParsedSlashCommand parse_slash_command(std::string_view payload_text) {
  auto parsed = parse_text(payload_text);
  if (auto* e = std::get_if<PayloadError>(&parsed)) return *e;
  return parse_slash_command(std::get<json>(parsed));
}

namespace {

bool is_http_link(std::string_view s) { return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0; }

}  // namespace

std::string mentioned_user(std::string_view token) {
  if (token.size() < 4 || token.substr(0, 2) != "<@" || token.back() != '>') return {};
  std::string_view inner = token.substr(2, token.size() - 3);
  inner = inner.substr(0, inner.find('|'));
  return is_slack_user_id(inner) ? std::string(inner) : std::string();
}

std::string first_link(std::string_view text) {
  for (auto open = text.find('<'); open != std::string_view::npos; open = text.find('<', open + 1)) {
    const auto close = text.find('>', open);
    if (close == std::string_view::npos) break;
    const std::string_view inner = text.substr(open + 1, close - open - 1);
    if (is_http_link(inner)) return std::string(inner.substr(0, inner.find('|')));
  }
  // Not escaped (an app without should_escape): the first word that is a link.
  constexpr std::string_view kSpace = " \t\r\n";
  for (auto begin = text.find_first_not_of(kSpace); begin != std::string_view::npos;) {
    const auto end = std::min(text.find_first_of(kSpace, begin), text.size());
    if (is_http_link(text.substr(begin, end - begin))) return std::string(text.substr(begin, end - begin));
    begin = text.find_first_not_of(kSpace, end);
  }
  return {};
}

std::string unescape_command_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto close = text.front() == '<' ? text.find('>') : std::string_view::npos;
    const std::string_view inner = close == std::string_view::npos ? std::string_view{} : text.substr(1, close - 1);
    std::size_t used = 1;
    if (is_http_link(inner)) {
      out += inner.substr(0, inner.find('|'));
      used = close + 1;
    } else if (text.rfind("&lt;", 0) == 0) {
      out += '<';
      used = 4;
    } else if (text.rfind("&gt;", 0) == 0) {
      out += '>';
      used = 4;
    } else if (text.rfind("&amp;", 0) == 0) {
      out += '&';
      used = 5;
    } else {
      out += text.front();
    }
    text.remove_prefix(used);
  }
  return out;
}

}  // namespace desk::bot::slack
