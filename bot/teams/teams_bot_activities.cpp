#include "bot/teams/teams_bot_activities.hpp"

#include <algorithm>
#include <cctype>

#include "bot/teams/bot_cards.hpp"
#include "handlers/channel_notices.hpp"

namespace desk::bot::teams {
namespace {

using json = nlohmann::json;

constexpr const char* kCardAction = "adaptiveCard/action";
constexpr std::size_t kLongestId = 100;

std::string string_at(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::optional<core::Macro> macro_of(const std::string& verb) {
  if (verb == kAcceptVerb) return core::Macro::accept;
  if (verb == kRejectVerb) return core::Macro::reject;
  if (verb == kEscalateLegalVerb) return core::Macro::escalate_to_legal;
  return std::nullopt;
}

/// A message's text without the <at>…</at> mentions of the bot, trimmed and lower-cased for matching.
std::string command_text(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 4, "<at>") == 0) {
      const auto end = text.find("</at>", i);
      if (end != std::string::npos) {
        i = end + 5;
        continue;
      }
    }
    out += text[i++];
  }
  return core::trimmed(out);
}

json text_message(const std::string& text) { return {{"type", "message"}, {"text", text}}; }

}  // namespace

json action_error(const std::string& message) {
  return {{"statusCode", 400},
          {"type", "application/vnd.microsoft.error"},
          {"value", {{"code", "BadRequest"}, {"message", message}}}};
}

TeamsBotActivities::TeamsBotActivities(handlers::DeskActionDependencies deps, std::string channel)
    : deps_(deps), actions_(std::move(deps)), channel_(std::move(channel)) {}

ActivityAnswer TeamsBotActivities::handle(const json& activity, core::TimePoint now) {
  const std::string type = string_at(activity, "type");
  if (type == "invoke") {
    if (string_at(activity, "name") != kCardAction)
      return {200,
              json{{"status", 200}},
              false,
              {},
              "invoke '" + handlers::quoted_id(string_at(activity, "name")) + "' is not one the desk answers"};
    return card_action(activity, now);
  }
  if (type == "message") return message(activity, now);
  // conversationUpdate, typing, reactions…: nothing for the desk to do.
  return {200, nullptr, false, {}, {}};
}

std::string TeamsBotActivities::actor_of(const json& activity) const {
  const std::string object_id = string_at(member(activity, "from"), "aadObjectId");
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  const core::Person* p = policy ? policy->rota().person_by_teams_user(object_id) : nullptr;
  if (p) return p->id;
  return "teams:" + (object_id.empty() ? std::string("unknown") : handlers::quoted_id(object_id));
}

json TeamsBotActivities::card_for(const core::Escalation& e, const std::shared_ptr<const handlers::PolicySet>& set,
                                  core::TimePoint now, DecisionControls controls) {
  return bot_escalation_card(deps_.store, masker_, e, set.get(), now, std::move(controls));
}

ActivityAnswer TeamsBotActivities::card_action(const json& activity, core::TimePoint now) {
  const json& action = member(member(activity, "value"), "action");
  const json& data = member(action, "data");
  const auto macro = macro_of(string_at(action, "verb"));
  const std::string id = string_at(data, "escalation_id");
  const json& generation = member(data, "generation");
  if (string_at(action, "type") != "Action.Execute" || !macro)
    return {200,
            action_error("value.action: an Action.Execute with verb accept, reject or escalate_legal"),
            false,
            {},
            "card action without a known verb"};
  if (id.empty() || id.size() > kLongestId || !generation.is_number_integer())
    return {200,
            action_error("value.action.data: escalation_id and generation are required"),
            false,
            {},
            "card action without its escalation"};
  // A card in the channel's thread names the channel before ';messageid=…'.
  const std::string conversation = string_at(member(activity, "conversation"), "id");
  if (conversation.substr(0, conversation.find(';')) != channel_)
    return {200,
            action_error("this card is not in the desk's channel"),
            false,
            {},
            "card action from another conversation"};
  const std::string actor = actor_of(activity);
  const std::string rationale = string_at(data, "rationale");
  const int shown = generation.get<int>();

  // The click counts as the first response (triage), as in Slack, before the rationale is checked.
  auto begun = actions_.begin(id, shown, *macro, actor, now);
  ActivityAnswer answer{200, nullptr, begun.changed, begun.log, {}};
  if (!begun.escalation) {
    // A refusal leaves the escalation as it was: the card shows it as it stands.
    begun.escalation = deps_.store.escalation(id);
    if (begun.escalation && !begun.policy && deps_.resolve_policy)
      begun.policy = deps_.resolve_policy(begun.escalation->policy_digest);
  }
  if (!begun.escalation) {
    answer.body = action_error("no escalation " + handlers::quoted_id(id));
    return answer;
  }
  if (!begun.outcome.ok()) {
    DecisionControls controls;
    controls.rationale = rationale;
    controls.notice = begun.outcome.message;
    answer.body = card_answer(card_for(*begun.escalation, begun.policy, now, controls));
    answer.refusal = begun.outcome.message;
    return answer;
  }
  macros::MacroRequest request;
  request.macro = *macro;
  request.actor = actor;
  request.rationale = rationale;
  auto decided = actions_.decide(id, shown, request, now);
  answer.changed = answer.changed || decided.changed;
  if (!decided.log.empty()) answer.log = decided.log;
  const auto& e = decided.escalation ? decided.escalation : begun.escalation;
  const auto& set = decided.policy ? decided.policy : begun.policy;
  DecisionControls controls;
  if (!decided.outcome.ok()) {
    controls.rationale = rationale;
    (decided.outcome.field == "rationale" ? controls.error : controls.notice) = decided.outcome.message;
    answer.refusal = decided.outcome.message;
  }
  answer.body = card_answer(card_for(*e, set, now, controls));
  return answer;
}

ActivityAnswer TeamsBotActivities::message(const json& activity, core::TimePoint now) {
  const std::string text = command_text(string_at(activity, "text"));
  std::string word = text.substr(0, text.find(' '));
  std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
  if (word == "rota") {
    const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
    if (!policy) return {200, text_message("The desk has no rota loaded."), false, {}, {}};
    const auto overrides = deps_.store.overrides_active_after(now);
    const auto notice = handlers::rota_notice(policy->rota(), overrides, now, policy->digest(), actor_of(activity));
    std::string reply = "**" + notice.title + "**";
    for (const auto& line : notice.lines) reply += "\n\n" + line;
    return {200, text_message(reply), false, {}, {}};
  }
  if (word == "escalate") return escalate(activity, core::trimmed(text.substr(word.size())), now);
  return {200,
          text_message("Ask the desk: **rota** (who is on duty now, and next), or **escalate** followed by the "
                       "text or a link and what worries you (it opens an escalation for the person on duty). "
                       "Decisions are taken on the escalation's card in the desk channel."),
          false,
          {},
          {}};
}

ActivityAnswer TeamsBotActivities::escalate(const json& activity, const std::string& what, core::TimePoint now) {
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  const std::string workflow = policy ? policy->policy().desk.hotline_workflow : std::string();
  if (what.empty())
    return {
        200, text_message("Say what to look at: **escalate** followed by the text or a link, and why."), false, {}, {}};
  if (workflow.empty())
    return {200,
            text_message("Escalating from Teams needs desk.hotline_workflow in the config (the workflow such "
                         "escalations open under); ask the desk's admin."),
            false,
            {},
            {}};
  handlers::ManualEscalation m;
  m.what = what;
  // The first link in the message is where the thing lives.
  for (const char* scheme : {"https://", "http://"})
    if (const auto at = what.find(scheme); at != std::string::npos && m.where.empty())
      m.where = what.substr(at, what.find_first_of(" \t\r\n>", at) - at);
  m.workflow = workflow;
  const std::string actor = actor_of(activity);
  const std::string name = string_at(member(activity, "from"), "name");
  m.why = "Raised in Teams by " + (name.empty() ? actor : name) + ": " + what;
  m.actor = actor;
  m.surface = "teams";
  m.surface_user = string_at(member(activity, "from"), "aadObjectId");
  const auto r = actions_.escalate(m, now);
  if (!r.ok()) {
    std::string why;
    for (const auto& [field, message] : r.errors) why += (why.empty() ? "" : " ") + message;
    return {200, text_message("Nothing was escalated: " + why), r.changed, r.log, why};
  }
  return {
      200, text_message("Escalated as " + r.escalation_id + "; " + r.owner_name + " owns it now."), true, r.log, {}};
}

}  // namespace desk::bot::teams
