// Block Kit's limits (reference/slack.md §5) as a checker: tests run every builder through it, and the
// deliverer checks every body before it is sent and degrades one that would be refused
// (fit_block_kit), so one message Slack would answer invalid_blocks still reaches people.
#include <set>

#include "bot/slack/slack_messages.hpp"

namespace desk::bot::slack {
namespace {

using json = nlohmann::json;

enum class Surface { message, modal, home };

/// The "type" of an object, or "" (also when it is not a string: `value()` would throw).
std::string type_of(const json& o) {
  if (!o.is_object()) return {};
  const auto t = o.find("type");
  return t != o.end() && t->is_string() ? t->get<std::string>() : std::string{};
}

class Checker {
 public:
  std::vector<std::string> problems;

  void message(const json& m) {
    if (!m.is_object()) return add("", "a message body must be a JSON object");
    const bool has_blocks = m.contains("blocks");
    if (m.contains("text")) {
      if (chars(m["text"], "/text", has_blocks ? 0 : 1, 40000) && slack_length(m["text"].get<std::string>()) > 4000)
        add("/text", "is longer than the 4000 characters Slack allows for chat.update");
    } else if (!has_blocks) {
      add("", "a message needs text or blocks");
    }
    if (has_blocks) blocks(m["blocks"], "/blocks", 50, Surface::message);
    if (m.contains("metadata")) metadata(m["metadata"]);
  }

  void view(const json& v, const std::string& at) {
    const std::string type = type_of(v);
    const Surface surface = type == "home" ? Surface::home : Surface::modal;
    if (type != "modal" && type != "home") add(at + "/type", "must be modal or home");
    if (surface == Surface::modal || v.contains("title"))
      text_object(v.value("title", json()), at + "/title", 24, true);
    for (const char* key : {"submit", "close"})
      if (v.contains(key)) text_object(v[key], at + "/" + key, 24, true);
    optional_string(v, "callback_id", at, 255);
    optional_string(v, "private_metadata", at, 3000);
    optional_string(v, "external_id", at, 255);
    if (!v.contains("blocks")) return add(at + "/blocks", "is required");
    blocks(v["blocks"], at + "/blocks", 100, surface);
    if (surface == Surface::modal && has_input(v["blocks"]) && !v.contains("submit"))
      add(at + "/submit", "is required when the view has an input block");
    if (v.dump().size() > 250 * 1000) add(at, "is larger than the 250 kB a view may be");
  }

 private:
  void add(const std::string& at, const std::string& what) {
    problems.push_back((at.empty() ? "/" : at) + ": " + what);
  }

  /// A string of `min`..`max` characters; false (with a problem) when it is not one.
  bool chars(const json& s, const std::string& at, std::size_t min, std::size_t max) {
    if (!s.is_string()) {
      add(at, "must be a string");
      return false;
    }
    const std::size_t n = slack_length(s.get_ref<const std::string&>());
    if (n < min) add(at, "must be at least " + std::to_string(min) + " character(s)");
    if (n > max) add(at, "must be at most " + std::to_string(max) + " characters (has " + std::to_string(n) + ")");
    return true;
  }

  void optional_string(const json& obj, const char* key, const std::string& at, std::size_t max) {
    if (obj.contains(key)) chars(obj[key], at + "/" + key, 0, max);
  }

  bool array(const json& a, const std::string& at, std::size_t min, std::size_t max) {
    if (!a.is_array()) {
      add(at, "must be an array");
      return false;
    }
    if (a.size() < min) add(at, "must have at least " + std::to_string(min) + " item(s)");
    if (a.size() > max)
      add(at, "must have at most " + std::to_string(max) + " items (has " + std::to_string(a.size()) + ")");
    return true;
  }

  void text_object(const json& t, const std::string& at, std::size_t max, bool plain_only) {
    if (!t.is_object()) return add(at, "must be a text object");
    const std::string type = type_of(t);
    if (type != "plain_text" && (plain_only || type != "mrkdwn"))
      add(at + "/type", plain_only ? "must be plain_text" : "must be plain_text or mrkdwn");
    if (!t.contains("text")) return add(at + "/text", "is required");
    chars(t["text"], at + "/text", 1, max);
    if (t.contains("emoji") && type != "plain_text") add(at + "/emoji", "is only allowed on plain_text");
    if (t.contains("verbatim") && type != "mrkdwn") add(at + "/verbatim", "is only allowed on mrkdwn");
  }

  void metadata(const json& m) {
    if (!m.is_object()) return add("/metadata", "must be an object");
    if (chars(m.value("event_type", json()), "/metadata/event_type", 1, 255) && !m.contains("event_payload"))
      add("/metadata/event_payload", "is required");
    if (m.contains("event_payload") && !m["event_payload"].is_object())
      add("/metadata/event_payload", "must be an object");
  }

  static bool has_input(const json& bs) {
    if (!bs.is_array()) return false;
    for (const auto& b : bs)
      if (b.is_object() && type_of(b) == "input") return true;
    return false;
  }

  void blocks(const json& bs, const std::string& at, std::size_t max, Surface surface) {
    if (!array(bs, at, 0, max)) return;
    std::set<std::string> block_ids;
    for (std::size_t i = 0; i < bs.size(); ++i) block(bs[i], at + "/" + std::to_string(i), block_ids, surface);
  }

  void block(const json& b, const std::string& at, std::set<std::string>& block_ids, Surface surface) {
    if (!b.is_object()) return add(at, "must be a block object");
    if (b.contains("block_id") && chars(b["block_id"], at + "/block_id", 1, 255) &&
        !block_ids.insert(b["block_id"].get<std::string>()).second)
      add(at + "/block_id", "must be unique within the message or view");
    const std::string type = type_of(b);
    if (type == "header") {
      text_object(b.value("text", json()), at + "/text", 150, true);
    } else if (type == "section") {
      section(b, at);
    } else if (type == "context") {
      if (!array(b.value("elements", json()), at + "/elements", 1, 10)) return;
      const json& els = b["elements"];
      for (std::size_t i = 0; i < els.size(); ++i) {
        const std::string el_at = at + "/elements/" + std::to_string(i);
        if (els[i].is_object() && type_of(els[i]) == "image")
          element(els[i], el_at);
        else
          text_object(els[i], el_at, 3000, false);
      }
    } else if (type == "actions") {
      if (array(b.value("elements", json()), at + "/elements", 1, 25)) elements(b["elements"], at + "/elements");
    } else if (type == "input") {
      if (surface == Surface::message) add(at + "/type", "input blocks belong in views, not messages");
      text_object(b.value("label", json()), at + "/label", 2000, true);
      if (b.contains("hint")) text_object(b["hint"], at + "/hint", 2000, true);
      if (!b.contains("element")) return add(at + "/element", "is required");
      element(b["element"], at + "/element");
    } else if (type == "image") {
      chars(b.value("image_url", json()), at + "/image_url", 1, 3000);
      chars(b.value("alt_text", json()), at + "/alt_text", 1, 2000);
    } else if (type != "divider" && type != "rich_text") {
      add(at + "/type", "unknown block type \"" + type + "\"");
    }
  }

  void section(const json& b, const std::string& at) {
    if (!b.contains("text") && !b.contains("fields")) return add(at, "a section needs text or fields");
    if (b.contains("text")) text_object(b["text"], at + "/text", 3000, false);
    if (b.contains("fields") && array(b["fields"], at + "/fields", 1, 10))
      for (std::size_t i = 0; i < b["fields"].size(); ++i)
        text_object(b["fields"][i], at + "/fields/" + std::to_string(i), 2000, false);
    if (b.contains("accessory")) element(b["accessory"], at + "/accessory");
  }

  void elements(const json& els, const std::string& at) {
    std::set<std::string> action_ids;
    for (std::size_t i = 0; i < els.size(); ++i) {
      const std::string el_at = at + "/" + std::to_string(i);
      element(els[i], el_at);
      if (els[i].is_object() && els[i].contains("action_id") && els[i]["action_id"].is_string() &&
          !action_ids.insert(els[i]["action_id"].get<std::string>()).second)
        add(el_at + "/action_id", "must be unique within its block");
    }
  }

  void element(const json& e, const std::string& at) {
    if (!e.is_object()) return add(at, "must be an element object");
    const std::string type = type_of(e);
    optional_string(e, "action_id", at, 255);
    if (type == "button") {
      text_object(e.value("text", json()), at + "/text", 75, true);
      optional_string(e, "value", at, 2000);
      optional_string(e, "url", at, 3000);
      optional_string(e, "accessibility_label", at, 75);
      if (e.contains("style") && e["style"] != "primary" && e["style"] != "danger")
        add(at + "/style", "must be primary or danger (omit it for the default)");
      if (e.contains("confirm")) confirm(e["confirm"], at + "/confirm");
    } else if (type == "static_select" || type == "multi_static_select") {
      if (e.contains("placeholder")) text_object(e["placeholder"], at + "/placeholder", 150, true);
      if (array(e.value("options", json()), at + "/options", 1, 100))
        for (std::size_t i = 0; i < e["options"].size(); ++i)
          option(e["options"][i], at + "/options/" + std::to_string(i));
    } else if (type == "plain_text_input") {
      plain_text_input(e, at);
    } else if (type == "image") {
      chars(e.value("image_url", json()), at + "/image_url", 1, 3000);
      chars(e.value("alt_text", json()), at + "/alt_text", 1, 2000);
    } else if (type.empty()) {
      add(at + "/type", "is required");
    }
  }

  void plain_text_input(const json& e, const std::string& at) {
    const auto bound = [&](const char* key, long lo) -> long {
      if (!e.contains(key)) return -1;
      if (!e[key].is_number_integer() || e[key].get<long>() < lo || e[key].get<long>() > 3000) {
        add(at + "/" + key, "must be an integer from " + std::to_string(lo) + " to 3000");
        return -1;
      }
      return e[key].get<long>();
    };
    const long min = bound("min_length", 0), max = bound("max_length", 1);
    if (min >= 0 && max >= 0 && min > max) add(at + "/min_length", "must not exceed max_length");
    if (e.contains("placeholder")) text_object(e["placeholder"], at + "/placeholder", 150, true);
    optional_string(e, "initial_value", at, max >= 0 ? static_cast<std::size_t>(max) : 3000);
  }

  void option(const json& o, const std::string& at) {
    if (!o.is_object()) return add(at, "must be an option object");
    text_object(o.value("text", json()), at + "/text", 75, true);
    chars(o.value("value", json()), at + "/value", 1, 150);
    if (o.contains("description")) text_object(o["description"], at + "/description", 75, true);
  }

  void confirm(const json& c, const std::string& at) {
    if (!c.is_object()) return add(at, "must be a confirm object");
    text_object(c.value("title", json()), at + "/title", 100, true);
    text_object(c.value("text", json()), at + "/text", 300, false);
    text_object(c.value("confirm", json()), at + "/confirm", 30, true);
    text_object(c.value("deny", json()), at + "/deny", 30, true);
  }
};

}  // namespace

std::vector<std::string> block_kit_problems(const nlohmann::json& message_or_view) {
  Checker checker;
  const json& j = message_or_view;
  if (j.is_object() && (type_of(j) == "modal" || type_of(j) == "home")) {
    checker.view(j, "");
  } else if (j.is_object() && j.contains("view") && !j.contains("blocks")) {
    checker.view(j["view"], "/view");  // a views.open / views.update body
  } else {
    checker.message(j);
  }
  return std::move(checker.problems);
}

namespace {

/// `rendered` (already mrkdwn) cut to `limit` characters, never inside an entity ("&amp;"), a link or
/// a mention ("<…>"), and ended with "…".
std::string cut_rendered(const std::string& rendered, std::size_t limit) {
  if (slack_length(rendered) <= limit) return rendered;
  std::string cut = fit_text(rendered, limit, TextMode::plain);
  const std::string ellipsis = "\xE2\x80\xA6";
  if (cut.size() >= ellipsis.size() && cut.compare(cut.size() - ellipsis.size(), ellipsis.size(), ellipsis) == 0)
    cut.resize(cut.size() - ellipsis.size());
  if (const auto amp = cut.rfind('&'); amp != std::string::npos && cut.find(';', amp) == std::string::npos)
    cut.resize(amp);
  if (const auto open = cut.rfind('<'); open != std::string::npos && cut.find('>', open) == std::string::npos)
    cut.resize(open);
  return cut + ellipsis;
}

/// Links "<https://…|label>" as plain text "label (https://…)": a link Slack would refuse (too long,
/// odd characters) still shows where it points. Mentions and dates ("<@U…>", "<!date^…>") stay.
std::string delink(const std::string& text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find('<', i);
    if (open == std::string::npos) break;
    const auto close = text.find('>', open);
    if (close == std::string::npos) break;
    const std::string inner = text.substr(open + 1, close - open - 1);
    out.append(text, i, open - i);
    if (inner.rfind("http://", 0) == 0 || inner.rfind("https://", 0) == 0 || inner.rfind("mailto:", 0) == 0) {
      const auto bar = inner.find('|');
      const std::string url = inner.substr(0, bar);
      const std::string label = bar == std::string::npos ? url : inner.substr(bar + 1);
      out += label == url ? url : label + " (" + url + ")";
    } else {
      out.append(text, open, close - open + 1);
    }
    i = close + 1;
  }
  out.append(text, std::min(i, text.size()), std::string::npos);
  return out;
}

void fit_text_object(json& t, std::size_t limit) {
  if (!t.is_object() || !t.contains("text") || !t["text"].is_string()) return;
  std::string text = t["text"].get<std::string>();
  if (type_of(t) == "mrkdwn") text = delink(text);
  text = cut_rendered(text, limit);
  t["text"] = text.empty() ? std::string(" ") : text;
}

/// Step one: every text cut to its block's limit, links as plain text, too many items trimmed.
void fit_blocks(json& body) {
  if (body.contains("text") && body["text"].is_string()) body["text"] = cut_rendered(body["text"], 4000);
  if (!body.contains("blocks") || !body["blocks"].is_array()) return;
  json& blocks = body["blocks"];
  for (auto& b : blocks) {
    if (!b.is_object()) continue;
    const std::string type = type_of(b);
    if (type == "header" && b.contains("text")) fit_text_object(b["text"], 150);
    if (type == "section") {
      if (b.contains("text")) fit_text_object(b["text"], 3000);
      if (b.contains("fields") && b["fields"].is_array()) {
        json& fields = b["fields"];
        if (fields.size() > 10) fields.erase(fields.begin() + 10, fields.end());
        for (auto& f : fields) fit_text_object(f, 2000);
      }
    }
    if (type == "context" && b.contains("elements") && b["elements"].is_array()) {
      json& els = b["elements"];
      if (els.size() > 10) els.erase(els.begin() + 10, els.end());
      for (auto& el : els) fit_text_object(el, 3000);
    }
  }
  if (blocks.size() > 50) {
    // Keep the first 49 and the last block (the buttons sit last).
    json last = blocks.back();
    blocks.erase(blocks.begin() + 49, blocks.end());
    blocks.push_back(std::move(last));
  }
}

/// Step two: the header, the fallback text as one section, and the buttons; nothing else.
void reduce_blocks(json& body) {
  json kept = json::array();
  const std::string text = body.contains("text") && body["text"].is_string() ? body["text"].get<std::string>() : "";
  bool said = false;
  for (const auto& b : body["blocks"]) {
    const std::string type = type_of(b);
    const bool kept_kind = type == "header" || type == "actions";
    if (kept_kind && block_kit_problems(json{{"text", "t"}, {"blocks", json::array({b})}}).empty()) {
      kept.push_back(b);
    } else if (!said && !text.empty() && type != "header") {
      kept.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", cut_rendered(delink(text), 3000)}}}});
      said = true;
    }
  }
  body["blocks"] = std::move(kept);
}

}  // namespace

nlohmann::json fit_block_kit(nlohmann::json message, std::vector<std::string>* problems) {
  auto found = block_kit_problems(message);
  if (problems) *problems = found;
  if (found.empty() || !message.is_object()) return message;
  fit_blocks(message);
  if (block_kit_problems(message).empty()) return message;
  if (message.contains("blocks") && message["blocks"].is_array()) reduce_blocks(message);
  if (block_kit_problems(message).empty()) return message;
  // Last resort: the fallback text alone (a message with no blocks cannot be refused for them).
  message.erase("blocks");
  if (!message.contains("text") || !message["text"].is_string() || message["text"].get<std::string>().empty())
    message["text"] = "(this message could not be shown in full: see the desk's log)";
  message["text"] = cut_rendered(message["text"].get<std::string>(), 4000);
  if (message.contains("metadata") && !block_kit_problems(message).empty()) message.erase("metadata");
  return message;
}

}  // namespace desk::bot::slack
