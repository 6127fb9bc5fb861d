// The rationale and post-mortem modals, the rationale's validation answer, and the ephemeral refusal.
#include "bot/slack/slack_messages.hpp"
#include "handlers/postmortems.hpp"

namespace desk::bot::slack {
namespace {

using json = nlohmann::json;

constexpr std::size_t kModalTextLimit = 24;  // title, submit, close
constexpr std::size_t kOptionTextLimit = 75;
constexpr std::size_t kOptionValueLimit = 150;
constexpr std::size_t kMaxOptions = 100;
constexpr std::size_t kMetadataLimit = 3000;

json plain(std::string text) { return {{"type", "plain_text"}, {"text", std::move(text)}}; }

/// The verb a macro's form is titled and submitted with.
const char* verb(core::Macro macro) {
  switch (macro) {
    case core::Macro::accept:
      return "Accept";
    case core::Macro::reject:
      return "Reject";
    case core::Macro::escalate_to_legal:
      return "Escalate";
    case core::Macro::route:
      return "Route";
  }
  return "Submit";
}

std::string intro(const core::Escalation& e, core::Macro macro, const std::string& actor_name) {
  std::string what;
  switch (macro) {
    case core::Macro::accept:
      what = "*Accept*";
      break;
    case core::Macro::reject:
      what = "*Reject*";
      break;
    case core::Macro::escalate_to_legal:
      what = "*Escalate to legal*";
      break;
    case core::Macro::route:
      what = "*Route*";
      break;
  }
  std::string out = what + " " + fit_text(e.id, 100) + " (" + fit_text(e.workflow, 200) + ")";
  if (!actor_name.empty()) out += " as " + fit_text(actor_name, 200);
  out += ".\n";
  switch (macro) {
    case core::Macro::accept:
    case core::Macro::reject:
      out += "Your rationale is kept as evidence with the decision, shown in the channel and sent to the agent.";
      break;
    case core::Macro::escalate_to_legal:
      out += "Legal on-call takes it over with fresh deadlines. Say what legal should look at.";
      break;
    case core::Macro::route:
      out += "The role you choose takes it over with fresh deadlines. Say why it belongs there.";
      break;
  }
  return out;
}

json route_block(const std::vector<RouteOption>& routes) {
  json options = json::array();
  for (const auto& r : routes) {
    if (options.size() == kMaxOptions) break;
    if (r.role.empty() || slack_length(r.role) > kOptionValueLimit) continue;  // a cut value would name another role
    const std::string& label = r.label.empty() ? r.role : r.label;
    options.push_back({{"text", plain(fit_text(label, kOptionTextLimit, TextMode::plain))}, {"value", r.role}});
  }
  if (options.empty())
    return {{"type", "section"},
            {"block_id", "route_to"},
            {"text", {{"type", "mrkdwn"}, {"text", "_No other role can take this escalation._"}}}};
  return {{"type", "input"},
          {"block_id", "route_to"},
          {"label", plain("Route to")},
          {"element",
           {{"type", "static_select"},
            {"action_id", "route_select"},
            {"placeholder", plain("Choose a role")},
            {"options", std::move(options)}}}};
}

json rationale_block(core::Macro macro) {
  return {{"type", "input"},
          {"block_id", "rationale"},
          {"label", plain(macro == core::Macro::accept || macro == core::Macro::reject ? "Rationale" : "Why")},
          {"hint", plain("Required. It is recorded in the audit trail and cannot be edited later.")},
          // No min_length: the policy's minimum is checked by us so the error message is ours.
          {"element",
           {{"type", "plain_text_input"},
            {"action_id", "rationale_input"},
            {"multiline", true},
            {"max_length", macros::kMaxRationaleChars},
            {"placeholder", plain("Say why, so an auditor can follow it")}}}};
}

/// The object a modal's private_metadata holds, with a non-empty string "escalation_id"; nullopt for
/// anything else (it comes back from the client).
std::optional<json> metadata_object(std::string_view text) {
  if (text.empty() || text.size() > kMetadataLimit) return std::nullopt;
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  const auto id = j.find("escalation_id");
  if (id == j.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) return std::nullopt;
  return j;
}

json postmortem_input(const char* field, const char* label, const char* placeholder, const std::string* value) {
  json element = {{"type", "plain_text_input"},
                  {"action_id", std::string(field) + "_input"},
                  {"multiline", true},
                  {"max_length", handlers::kMaxPostMortemChars},
                  {"placeholder", plain(placeholder)}};
  // Stored texts were checked against the same limit; a longer one would make Slack refuse the view.
  if (value && !value->empty() && slack_length(*value) <= handlers::kMaxPostMortemChars)
    element["initial_value"] = *value;
  return {{"type", "input"}, {"block_id", field}, {"label", plain(label)}, {"element", std::move(element)}};
}

/// A fire drill's forms say so first: the rationale is part of its score.
void add_drill_notice(json& blocks, const core::Escalation& e) {
  if (!e.drill) return;
  blocks.insert(blocks.begin(),
                json{{"type", "context"},
                     {"elements", json::array({{{"type", "mrkdwn"},
                                                {"text",
                                                 ":rotating_light: *FIRE DRILL*: write what you would for real; the "
                                                 "rationale counts in the drill's score."}}})}});
}

}  // namespace

std::vector<RouteOption> route_options(const core::Rota& rota, const core::Escalation& e) {
  std::vector<RouteOption> out;
  for (const auto& [id, spec] : rota.roles())
    if (id != e.owner_role)
      out.push_back({id, spec.title.empty() || spec.title == id ? id : spec.title + " (" + id + ")"});
  return out;
}

std::optional<RationaleMetadata> parse_rationale_metadata(std::string_view text) {
  const auto object = metadata_object(text);
  if (!object) return std::nullopt;
  const json& j = *object;
  const auto id = j.find("escalation_id");
  const auto macro = j.find("macro");
  const auto generation = j.find("generation");
  if (macro == j.end() || !macro->is_string()) return std::nullopt;
  if (generation == j.end() || !generation->is_number_integer()) return std::nullopt;
  const auto m = core::macro_from(macro->get_ref<const std::string&>());
  const auto g = generation->get<std::int64_t>();
  if (!m || g < 0 || g > 1'000'000'000) return std::nullopt;
  return RationaleMetadata{id->get<std::string>(), *m, static_cast<int>(g)};
}

nlohmann::json rationale_modal(const core::Escalation& e, core::Macro macro, const std::string& actor_name,
                               const std::vector<RouteOption>& routes) {
  const json metadata = {{"escalation_id", e.id}, {"macro", core::to_string(macro)}, {"generation", e.generation}};
  json blocks =
      json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", intro(e, macro, actor_name)}}}}});
  if (macro == core::Macro::route) blocks.push_back(route_block(routes));
  blocks.push_back(rationale_block(macro));
  add_drill_notice(blocks, e);
  return {{"type", "modal"},
          {"callback_id", "desk.rationale"},
          {"private_metadata", metadata.dump()},
          {"title", plain(fit_text(std::string(verb(macro)) + " " + e.id, kModalTextLimit, TextMode::plain))},
          {"submit", plain(verb(macro))},
          {"close", plain("Cancel")},
          {"blocks", std::move(blocks)}};
}

nlohmann::json rationale_errors(const std::string& field, const std::string& message) {
  const std::string text = message.empty() ? "This field is not valid." : message;
  return {{"response_action", "errors"}, {"errors", {{field, fit_text(text, 2000, TextMode::plain)}}}};
}

std::optional<std::string> parse_postmortem_metadata(std::string_view text) {
  const auto object = metadata_object(text);
  if (!object) return std::nullopt;
  return (*object)["escalation_id"].get<std::string>();
}

nlohmann::json postmortem_modal(const core::Escalation& e, const std::string& actor_name,
                                const storage::PostMortem* existing) {
  std::string intro = "*Post-mortem* of " + fit_text(e.id, 100) + " (" + fit_text(e.workflow, 200) + ")";
  if (!actor_name.empty()) intro += " as " + fit_text(actor_name, 200);
  intro += ".\n";
  if (existing)
    intro += "You filed it " + slack_date(existing->at) + "; you may edit it until " +
             slack_date(existing->at + handlers::kPostMortemEditWindow) + ". Each edit is kept in the audit trail.";
  else
    intro += "It is kept with the escalation and in the audit trail; you may edit it for a week after filing.";
  const json metadata = {{"escalation_id", e.id}};
  json blocks = json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", intro}}}}});
  blocks.push_back(postmortem_input(handlers::kWhatTriggered, "What triggered it", "The claim, the rule, the context",
                                    existing ? &existing->what_triggered : nullptr));
  blocks.push_back(postmortem_input(handlers::kWhatFixed, "What fixed it", "What was changed, and by whom",
                                    existing ? &existing->what_fixed : nullptr));
  blocks.push_back(postmortem_input(handlers::kWhatToAutomate, "What to automate next",
                                    "A rule, a lexicon entry, a check for the agent",
                                    existing ? &existing->what_to_automate : nullptr));
  add_drill_notice(blocks, e);
  return {{"type", "modal"},
          {"callback_id", "desk.postmortem"},
          {"private_metadata", metadata.dump()},
          {"title", plain(fit_text("Post-mortem " + e.id, kModalTextLimit, TextMode::plain))},
          {"submit", plain(existing ? "Save" : "File")},
          {"close", plain("Cancel")},
          {"blocks", std::move(blocks)}};
}

nlohmann::json refusal_ephemeral(const macros::MacroOutcome& outcome) {
  using Status = macros::MacroOutcome::Status;
  std::string icon;
  switch (outcome.status) {
    case Status::done:
      icon = ":white_check_mark: ";
      break;
    case Status::refused:
      icon = ":no_entry: ";
      break;
    case Status::already_decided:
      icon = ":lock: ";
      break;
    case Status::invalid:
      icon = ":warning: ";
      break;
  }
  const std::string message = outcome.message.empty() ? "That changed nothing." : outcome.message;
  std::string text = fit_text(message, 2900);
  json blocks = json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", icon + text}}}}});
  if (outcome.status == Status::refused) {
    const json note = {{"type", "mrkdwn"}, {"text", "Only you can see this. The attempt was logged."}};
    blocks.push_back({{"type", "context"}, {"elements", json::array({note})}});
  }
  return {{"text", std::move(text)}, {"blocks", std::move(blocks)}};
}

}  // namespace desk::bot::slack
