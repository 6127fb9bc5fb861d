#include "tests/emulator/block_kit_check.hpp"

#include <set>

namespace desk::emulator {
namespace {

using json = nlohmann::json;
using Problem = std::optional<std::string>;

std::string error(const std::string& what, const std::string& pointer) {
  return "[ERROR] " + what + " [json-pointer:" + pointer + "]";
}

// Slack counts characters, not bytes; count UTF-8 code points.
std::size_t chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Problem check_text(const json& t, const std::string& at, std::size_t max, bool plain_only) {
  if (!t.is_object()) return error("must be a text object", at);
  auto type = t.value("type", "");
  if (type != "plain_text" && (plain_only || type != "mrkdwn")) {
    return error(plain_only ? "must be plain_text" : "must be plain_text or mrkdwn", at + "/type");
  }
  if (!t.contains("text") || !t["text"].is_string()) return error("missing required field: text", at);
  auto n = chars(t["text"].get<std::string>());
  if (n == 0) return error("must be more than 0 characters", at + "/text");
  if (n > max) return error("must be less than " + std::to_string(max + 1) + " characters", at + "/text");
  return std::nullopt;
}

Problem check_string(const json& obj, const char* key, const std::string& at, std::size_t max) {
  if (!obj.contains(key)) return std::nullopt;
  if (!obj[key].is_string()) return error("must be a string", at + "/" + key);
  if (chars(obj[key].get<std::string>()) > max) {
    return error("must be less than " + std::to_string(max + 1) + " characters", at + "/" + key);
  }
  return std::nullopt;
}

Problem check_button(const json& e, const std::string& at) {
  if (auto p = check_text(e.value("text", json()), at + "/text", 75, true)) return p;
  if (auto p = check_string(e, "value", at, 2000)) return p;
  if (auto p = check_string(e, "url", at, 3000)) return p;
  if (auto p = check_string(e, "action_id", at, 255)) return p;
  if (e.contains("style")) {
    auto style = e["style"].is_string() ? e["style"].get<std::string>() : "";
    if (style != "primary" && style != "danger") return error("must be primary or danger", at + "/style");
  }
  return std::nullopt;
}

Problem check_actions(const json& b, const std::string& at) {
  const json& elements = b.value("elements", json());
  if (!elements.is_array() || elements.empty()) return error("must have at least 1 element", at + "/elements");
  if (elements.size() > 25) return error("must have no more than 25 items", at + "/elements");
  std::set<std::string> action_ids;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    const auto& e = elements[i];
    auto here = at + "/elements/" + std::to_string(i);
    if (!e.is_object()) return error("must be an object", here);
    if (e.value("type", "") == "button") {
      if (auto p = check_button(e, here)) return p;
    }
    if (auto id = e.value("action_id", ""); !id.empty() && !action_ids.insert(id).second) {
      return error("action_id must be unique within a block", here + "/action_id");
    }
  }
  return std::nullopt;
}

Problem check_block(const json& b, const std::string& at, Surface surface) {
  if (!b.is_object()) return error("must be an object", at);
  auto type = b.value("type", "");
  if (auto p = check_string(b, "block_id", at, 255)) return p;
  if (type == "section") {
    if (!b.contains("text") && !b.contains("fields")) return error("must provide text or fields", at);
    if (b.contains("text")) {
      if (auto p = check_text(b["text"], at + "/text", 3000, false)) return p;
    }
    if (b.contains("fields")) {
      if (!b["fields"].is_array() || b["fields"].size() > 10)
        return error("must have no more than 10 items", at + "/fields");
      for (std::size_t i = 0; i < b["fields"].size(); ++i) {
        if (auto p = check_text(b["fields"][i], at + "/fields/" + std::to_string(i), 2000, false)) return p;
      }
    }
    return std::nullopt;
  }
  if (type == "header") return check_text(b.value("text", json()), at + "/text", 150, true);
  if (type == "context") {
    const json& elements = b.value("elements", json());
    if (!elements.is_array() || elements.empty() || elements.size() > 10) {
      return error("must have between 1 and 10 items", at + "/elements");
    }
    return std::nullopt;
  }
  if (type == "actions") return check_actions(b, at);
  if (type == "divider" || type == "image" || type == "rich_text") return std::nullopt;
  if (type == "input") {
    if (surface != Surface::modal) return error("input blocks are only allowed in views", at + "/type");
    if (auto p = check_text(b.value("label", json()), at + "/label", 2000, true)) return p;
    if (!b.contains("element") || !b["element"].is_object()) return error("missing required field: element", at);
    return std::nullopt;
  }
  return error("unsupported type: " + type, at + "/type");
}

}  // namespace

std::optional<std::string> check_blocks(const json& blocks, Surface surface) {
  if (!blocks.is_array()) return error("must be an array", "/blocks");
  const std::size_t max = surface == Surface::message ? 50 : 100;
  if (blocks.size() > max) return error("must have no more than " + std::to_string(max) + " items", "/blocks");
  std::set<std::string> block_ids;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    auto at = "/blocks/" + std::to_string(i);
    if (auto p = check_block(blocks[i], at, surface)) return p;
    if (auto id = blocks[i].value("block_id", ""); !id.empty() && !block_ids.insert(id).second) {
      return error("block_id must be unique", at + "/block_id");
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_view(const json& view) {
  if (!view.is_object()) return error("must be an object", "/view");
  if (view.value("type", "") != "modal") return error("must be modal", "/view/type");
  if (auto p = check_text(view.value("title", json()), "/view/title", 24, true)) return p;
  for (const char* key : {"submit", "close"}) {
    if (view.contains(key)) {
      if (auto p = check_text(view[key], std::string("/view/") + key, 24, true)) return p;
    }
  }
  if (auto p = check_string(view, "callback_id", "/view", 255)) return p;
  if (auto p = check_string(view, "private_metadata", "/view", 3000)) return p;
  const json& blocks = view.value("blocks", json::array());
  bool has_input = false;
  for (const auto& b : blocks) has_input = has_input || (b.is_object() && b.value("type", "") == "input");
  if (has_input && !view.contains("submit")) return error("submit is required when the view has input blocks", "/view");
  if (auto p = check_blocks(blocks, Surface::modal)) return "[ERROR] view: " + p->substr(8);
  return std::nullopt;
}

}  // namespace desk::emulator
