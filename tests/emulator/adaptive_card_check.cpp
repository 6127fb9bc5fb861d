#include "tests/emulator/adaptive_card_check.hpp"

#include <cstdio>
#include <set>

namespace desk::emulator {
namespace {

using Json = nlohmann::json;

// Schema 1.5 (microsoft/AdaptiveCards schemas/1.5.0), without Media, which Teams does not render.
const std::set<std::string> kElementTypes = {"TextBlock",  "Image",        "RichTextBlock",  "Container",
                                             "ColumnSet",  "FactSet",      "ImageSet",       "ActionSet",
                                             "Table",      "Input.Text",   "Input.Number",   "Input.Date",
                                             "Input.Time", "Input.Toggle", "Input.ChoiceSet"};
const std::set<std::string> kActionTypes = {"Action.OpenUrl", "Action.Submit", "Action.ShowCard",
                                            "Action.ToggleVisibility", "Action.Execute"};

class CardWalker {
 public:
  CardWalker(const CardRules& rules, std::vector<std::string>& problems) : rules_(rules), problems_(problems) {}

  // A top-level card carries its version; one inside Action.ShowCard inherits it.
  void card(const Json& c, const std::string& at, bool top_level) {
    if (!c.is_object() || c.value("type", "") != "AdaptiveCard") return flag(at + "/type", "not an AdaptiveCard");
    if (top_level) version(c, at + "/version");
    if (c.contains("body")) list(c["body"], at + "/body", &CardWalker::element);
    if (c.contains("actions")) list(c["actions"], at + "/actions", &CardWalker::action);
  }

 private:
  void flag(const std::string& at, const std::string& what) { problems_.push_back(at + ": " + what); }

  void version(const Json& card, const std::string& at) {
    if (!card.contains("version") || !card["version"].is_string()) return flag(at, "no version");
    const std::string v = card["version"];
    int major = 0, minor = 0;
    char dot = 0;
    if (std::sscanf(v.c_str(), "%d%c%d", &major, &dot, &minor) != 3 || dot != '.')
      return flag(at, "version \"" + v + "\" is not major.minor");
    if (major != 1 || minor > 5) flag(at, "version " + v + " is above 1.5, the highest Teams renders");
  }

  void list(const Json& items, const std::string& at, void (CardWalker::*each)(const Json&, const std::string&)) {
    if (!items.is_array()) return flag(at, "not an array");
    for (std::size_t i = 0; i < items.size(); ++i) (this->*each)(items[i], at + "/" + std::to_string(i));
  }

  void element(const Json& e, const std::string& at) {
    const std::string type = e.is_object() ? e.value("type", "") : "";
    if (type == "Media") return flag(at + "/type", "Media is not rendered in Teams");
    if (!kElementTypes.contains(type)) return flag(at + "/type", "unknown element type \"" + type + "\"");
    if (type.starts_with("Input.") && e.value("id", "").empty()) flag(at + "/id", "an input without an id");
    if (type == "Container") list(e.value("items", Json::array()), at + "/items", &CardWalker::element);
    if (type == "ColumnSet") list(e.value("columns", Json::array()), at + "/columns", &CardWalker::column);
    if (type == "ImageSet") list(e.value("images", Json::array()), at + "/images", &CardWalker::element);
    if (type == "ActionSet") list(e.value("actions", Json::array()), at + "/actions", &CardWalker::action);
    if (type == "Table") list(e.value("rows", Json::array()), at + "/rows", &CardWalker::table_row);
    if (type == "RichTextBlock") list(e.value("inlines", Json::array()), at + "/inlines", &CardWalker::text_run);
    if (e.contains("selectAction")) action(e["selectAction"], at + "/selectAction");
    if (e.contains("fallback") && e["fallback"].is_object()) element(e["fallback"], at + "/fallback");
  }

  void column(const Json& c, const std::string& at) {
    if (!c.is_object() || c.value("type", "Column") != "Column") return flag(at + "/type", "not a Column");
    list(c.value("items", Json::array()), at + "/items", &CardWalker::element);
    if (c.contains("selectAction")) action(c["selectAction"], at + "/selectAction");
  }

  void table_row(const Json& row, const std::string& at) {
    if (!row.is_object() || row.value("type", "TableRow") != "TableRow") return flag(at + "/type", "not a TableRow");
    list(row.value("cells", Json::array()), at + "/cells", &CardWalker::table_cell);
  }

  void table_cell(const Json& cell, const std::string& at) {
    if (!cell.is_object() || cell.value("type", "TableCell") != "TableCell")
      return flag(at + "/type", "not a TableCell");
    list(cell.value("items", Json::array()), at + "/items", &CardWalker::element);
  }

  void text_run(const Json& run, const std::string& at) {
    if (run.is_string()) return;
    if (!run.is_object() || run.value("type", "") != "TextRun") flag(at + "/type", "not a TextRun");
  }

  void action(const Json& a, const std::string& at) {
    const std::string type = a.is_object() ? a.value("type", "") : "";
    if (!kActionTypes.contains(type)) return flag(at + "/type", "unknown action type \"" + type + "\"");
    if (type == "Action.Submit" && !rules_.allow_action_submit)
      flag(at + "/type", "Action.Submit (the desk's buttons are Action.Execute)");
    if (type == "Action.Execute" && a.value("verb", "").empty()) flag(at + "/verb", "Action.Execute without a verb");
    if (type == "Action.OpenUrl" && a.value("url", "").empty()) flag(at + "/url", "Action.OpenUrl without a url");
    if (type == "Action.ShowCard") card(a.value("card", Json()), at + "/card", false);
    if (a.contains("fallback") && a["fallback"].is_object()) action(a["fallback"], at + "/fallback");
  }

  const CardRules& rules_;
  std::vector<std::string>& problems_;
};

}  // namespace

std::vector<std::string> check_adaptive_card(const Json& card, const CardRules& rules) {
  std::vector<std::string> problems;
  CardWalker(rules, problems).card(card, "", true);
  return problems;
}

std::vector<std::string> check_activity_cards(const Json& activity, std::size_t body_bytes, const CardRules& rules) {
  std::vector<std::string> problems;
  if (body_bytes > rules.max_activity_bytes)
    problems.push_back("size: the activity is " + std::to_string(body_bytes) + " bytes, over Teams' " +
                       std::to_string(rules.max_activity_bytes / 1024) + " KB");
  const Json attachments = activity.is_object() ? activity.value("attachments", Json::array()) : Json::array();
  if (!attachments.is_array()) {
    problems.push_back("/attachments: not an array");
    return problems;
  }
  CardWalker walker(rules, problems);
  for (std::size_t i = 0; i < attachments.size(); ++i) {
    const Json& a = attachments[i];
    if (!a.is_object() || a.value("contentType", "") != kAdaptiveCardContentType) continue;
    walker.card(a.value("content", Json()), "/attachments/" + std::to_string(i) + "/content", true);
  }
  return problems;
}

}  // namespace desk::emulator
