#include "bot/teams/teams_bot_activities.hpp"

#include <algorithm>
#include <cctype>

#include "bot/teams/bot_cards.hpp"
#include "bot/teams/json_fields.hpp"
#include "core/lifecycle.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/typed_until.hpp"

namespace desk::bot::teams {
namespace {

using json = nlohmann::json;

constexpr const char* kCardAction = "adaptiveCard/action";
constexpr std::size_t kLongestId = 100;

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

/// An answer to a message: a reply in its thread, nothing in the HTTP body.
ActivityAnswer say(const std::string& text, bool changed = false, std::string log = {}, std::string refusal = {}) {
  ActivityAnswer answer{200, nullptr, changed, std::move(log), std::move(refusal)};
  answer.reply = text_message(text);
  return answer;
}

using core::ascii_lower;
using core::split_word;

/// One @mention in a message, other than of the bot itself.
struct Mention {
  std::string id;  ///< the Teams user id ("29:…"), or an Entra object id
  std::string name;
  std::string aad_object_id;  ///< when Teams (or the surface's look-up) gave it
};

constexpr std::size_t kMostMentions = 8;

std::vector<Mention> mentions_in(const json& activity) {
  std::vector<Mention> out;
  const std::string bot = string_field(member(activity, "recipient"), "id");
  const json& entities = member(activity, "entities");
  if (!entities.is_array()) return out;
  for (const auto& entity : entities) {
    if (string_field(entity, "type") != "mention") continue;
    const json& mentioned = member(entity, "mentioned");
    const std::string id = string_field(mentioned, "id");
    if (id.empty() || id.size() > kLongestId || id == bot) continue;
    out.push_back({id, string_field(mentioned, "name"), string_field(mentioned, "aadObjectId")});
    if (out.size() == kMostMentions) break;
  }
  return out;
}

/// The person a mention names: by the Entra object id when known, else by the id itself (which is an
/// object id when the mention was written by a client that sends those).
const core::Person* person_mentioned(const core::Rota& rota, const Mention& m) {
  if (!m.aad_object_id.empty())
    if (const core::Person* p = rota.person_by_teams_user(m.aad_object_id)) return p;
  return rota.person_by_teams_user(m.id);
}

constexpr const char* kOverrideUsage =
    "Say who covers which role until when: **rota override** @person *role* *until*, e.g. "
    "`rota override @Bob duty_lead 4h`. The end: `2026-12-03T18:00Z`, `2026-12-03 18:00` (UTC), `18:00` "
    "(UTC), or `30m`, `4h`, `2d`.";

/// "rota override …" (any case), after the mentions are taken out of the text.
bool is_override(const std::string& command) {
  const auto [first, rest] = split_word(command);
  return ascii_lower(first) == "rota" && ascii_lower(split_word(rest).first) == "override";
}

}  // namespace

json action_error(const std::string& message) {
  return {{"statusCode", 400},
          {"type", "application/vnd.microsoft.error"},
          {"value", {{"code", "BadRequest"}, {"message", message}}}};
}

TeamsBotActivities::TeamsBotActivities(handlers::DeskActionDependencies deps, std::string channel)
    : deps_(deps), actions_(std::move(deps)), channel_(std::move(channel)) {}

ActivityAnswer TeamsBotActivities::handle(const json& activity, core::TimePoint now) {
  const std::string type = string_field(activity, "type");
  if (type == "invoke") {
    if (string_field(activity, "name") != kCardAction)
      return {200,
              json{{"status", 200}},
              false,
              {},
              "invoke '" + handlers::quoted_id(string_field(activity, "name")) + "' is not one the desk answers"};
    return card_action(activity, now);
  }
  if (type == "message") return message(activity, now);
  // conversationUpdate, typing, reactions…: nothing for the desk to do.
  return {200, nullptr, false, {}, {}};
}

std::string TeamsBotActivities::actor_of(const json& activity) const {
  const std::string object_id = string_field(member(activity, "from"), "aadObjectId");
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
  const auto macro = macro_of(string_field(action, "verb"));
  const std::string id = string_field(data, "escalation_id");
  const json& generation = member(data, "generation");
  if (string_field(action, "type") != "Action.Execute" || !macro)
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
  const std::string conversation = string_field(member(activity, "conversation"), "id");
  if (conversation.substr(0, conversation.find(';')) != channel_)
    return {200,
            action_error("this card is not in the desk's channel"),
            false,
            {},
            "card action from another conversation"};
  const std::string actor = actor_of(activity);
  const std::string rationale = string_field(data, "rationale");
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

std::vector<std::string> TeamsBotActivities::mentions_to_look_up(const json& activity) const {
  std::vector<std::string> out;
  if (string_field(activity, "type") != "message" || !is_override(command_text(string_field(activity, "text"))))
    return out;
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  if (!policy) return out;
  // An override names one person: with more mentions it is refused, so there is nothing to look up.
  const auto mentions = mentions_in(activity);
  if (mentions.size() != 1) return out;
  const Mention& m = mentions.front();
  if (m.aad_object_id.empty() && !person_mentioned(policy->rota(), m)) out.push_back(m.id);
  return out;
}

ActivityAnswer TeamsBotActivities::message(const json& activity, core::TimePoint now) {
  const std::string text = command_text(string_field(activity, "text"));
  const auto [first, rest] = split_word(text);
  const std::string word = ascii_lower(first);
  if (word == "rota") {
    const auto [second, args] = split_word(rest);
    if (ascii_lower(second) == "override") return override_role(activity, args, now);
    const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
    if (!policy) return say("The desk has no rota loaded.");
    const auto overrides = deps_.store.overrides_active_after(now);
    const auto notice = handlers::rota_notice(policy->rota(), overrides, now, policy->digest(), actor_of(activity));
    std::string reply = "**" + notice.title + "**";
    for (const auto& line : notice.lines) reply += "\n\n" + line;
    return say(reply + "\n\nSomeone covering a role: **rota override** @person *role* *until*.");
  }
  if (word == "escalate") return escalate(activity, std::string(rest), now);
  return say(
      "Ask the desk: **rota** (who is on duty now, and next); **rota override** @person *role* *until* (someone "
      "covers a role, e.g. `rota override @Bob duty_lead 4h`); or **escalate** followed by the text or a link and "
      "what worries you (it opens an escalation for the person on duty). Decisions are taken on the escalation's "
      "card in the desk channel.");
}

ActivityAnswer TeamsBotActivities::override_role(const json& activity, std::string_view args, core::TimePoint now) {
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  if (!policy) return say("The desk has no rota loaded.");
  const core::Rota& rota = policy->rota();
  const auto mentions = mentions_in(activity);
  if (mentions.size() > 1) return say("Mention one person only. " + std::string(kOverrideUsage));
  // The person: the one @mention (taken out of the text), or their id in the config typed as a word.
  std::string_view rest = args;
  std::string named;
  const core::Person* person = nullptr;
  if (mentions.size() == 1) {
    named = mentions.front().name.empty() ? "The person mentioned" : mentions.front().name;
    person = person_mentioned(rota, mentions.front());
  } else {
    auto [word, after] = split_word(rest);
    if (!word.empty() && word.front() == '@') word.remove_prefix(1);
    named = handlers::quoted_id(std::string(word));
    person = rota.person(std::string(word));
    rest = after;
  }
  const auto [role_word, until_text] = split_word(rest);
  const std::string role(role_word);
  if (named.empty() || role.empty() || until_text.empty()) return say(kOverrideUsage);
  const auto spec = rota.roles().find(role);
  if (spec == rota.roles().end())
    return say("There is no role `" + handlers::quoted_id(role) + "`. Roles: " + handlers::role_choices(rota) + ".");

  const auto until = handlers::parse_until(until_text, now);
  const auto done = actions_.override_role(
      {role, person ? person->id : std::string(), until, actor_of(activity), "set with rota override in Teams"}, now);
  using Problem = handlers::RotaOverrideResult::Problem;
  switch (done.problem) {
    case Problem::none:
      break;
    case Problem::refused:
      return say(done.message + " The attempt was logged.", done.changed, {}, done.message);
    case Problem::unknown_person:
      return say(named +
                     " is not one of the desk's people (or their Teams id is not in the config); add them to the "
                     "policy first.",
                 false, {}, done.message);
    case Problem::unreadable_until:
      return say("I could not read the end time `" + handlers::quoted_id(std::string(until_text)) + "`. " +
                 kOverrideUsage);
    case Problem::until_passed:
      return say("The end time " + handlers::readable_utc(*until) + " has passed; give a time in the future.");
    case Problem::until_too_far:
      return say("An override may last at most 31 days; " + handlers::readable_utc(*until) + " is further ahead.");
    case Problem::no_policy:
    case Problem::unknown_role:
    case Problem::not_saved:
      return say(done.message, done.changed, {}, done.message);
  }
  return say("**" + core::display_name(rota, person->id) + "** covers " + handlers::role_label(spec->second) +
                 " from now until " + handlers::readable_utc(*until) + ".",
             true);
}

ActivityAnswer TeamsBotActivities::escalate(const json& activity, const std::string& what, core::TimePoint now) {
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  const std::string workflow = policy ? policy->policy().desk.hotline_workflow : std::string();
  if (what.empty()) return say("Say what to look at: **escalate** followed by the text or a link, and why.");
  if (workflow.empty())
    return say(
        "Escalating from Teams needs desk.hotline_workflow in the config (the workflow such escalations open "
        "under); ask the desk's admin.");
  handlers::ManualEscalation m;
  m.what = what;
  // The first link in the message is where the thing lives.
  for (const char* scheme : {"https://", "http://"})
    if (const auto at = what.find(scheme); at != std::string::npos && m.where.empty())
      m.where = what.substr(at, what.find_first_of(" \t\r\n>", at) - at);
  m.workflow = workflow;
  const std::string actor = actor_of(activity);
  const std::string name = string_field(member(activity, "from"), "name");
  m.why = "Raised in Teams by " + (name.empty() ? actor : name) + ": " + what;
  m.actor = actor;
  m.surface = "teams";
  m.surface_user = string_field(member(activity, "from"), "aadObjectId");
  const auto r = actions_.escalate(m, now);
  if (!r.ok()) {
    std::string why;
    for (const auto& [field, message] : r.errors) why += (why.empty() ? "" : " ") + message;
    return say("Nothing was escalated: " + why, r.changed, r.log, why);
  }
  return say("Escalated as " + r.escalation_id + "; " + r.owner_name + " owns it now.", true, r.log);
}

}  // namespace desk::bot::teams
