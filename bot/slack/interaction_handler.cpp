#include "bot/slack/interaction_handler.hpp"

#include <algorithm>
#include <utility>
#include <variant>

#include "bot/slack/slack_messages.hpp"
#include "bot/slack/slash_commands.hpp"
#include "core/lifecycle.hpp"
#include "handlers/desk_actions.hpp"
#include "macros/macros.hpp"

namespace desk::bot::slack {
namespace {

using json = nlohmann::json;
using Status = macros::MacroOutcome::Status;

/// A private answer to the person who clicked; without a channel (a click inside a view) there is no
/// way to post one, so only the log keeps it.
InteractionResult tell(const BlockAction& a, const macros::MacroOutcome& outcome, std::string log = {}) {
  InteractionResult r;
  r.log = std::move(log);
  if (a.channel_id.empty()) {
    if (r.log.empty()) r.log = "no channel to answer " + a.user_id + " in: " + outcome.message;
    return r;
  }
  r.calls.push_back({SlackCall::Kind::chat_post_ephemeral, "", a.channel_id, a.user_id, refusal_ephemeral(outcome)});
  return r;
}

InteractionResult tell(const BlockAction& a, std::string message, std::string log = {}) {
  macros::MacroOutcome outcome;
  outcome.status = Status::invalid;
  outcome.message = std::move(message);
  return tell(a, outcome, std::move(log));
}

/// The escalation and generation a button of a desk message names: its value (the escalation id)
/// must agree with its block id; nullopt when they do not, or the block id is not the desk's.
std::optional<ActionsBlockRef> clicked_escalation(const BlockAction& a) {
  auto ref = parse_actions_block_id(a.block_id);
  const std::string id = !a.value.empty() ? a.value : ref ? ref->escalation_id : std::string();
  if (!ref || ref->escalation_id != id) return std::nullopt;
  return ref;
}

InteractionResult foreign_button(const BlockAction& a) {
  return tell(a, "That button does not belong to a current desk message, so nothing changed.",
              "unrecognised block_id " + a.block_id + " for value " + a.value);
}

/// The view_submission ack that keeps the modal open with `errors` under their input blocks.
InteractionResult form_errors(json errors, std::string log = {}) {
  InteractionResult r;
  r.ack_payload = std::make_shared<const json>(json{{"response_action", "errors"}, {"errors", std::move(errors)}});
  r.log = std::move(log);
  return r;
}

InteractionResult form_error(const std::string& field, const std::string& message, std::string log = {}) {
  InteractionResult r;
  r.ack_payload = std::make_shared<const json>(rationale_errors(field, message));
  r.log = std::move(log);
  return r;
}

/// The person behind a Slack user id, by the current rota (people keep their ids across policy
/// versions); the Slack id itself when the rota has nobody for it, so the audit still says who.
std::string actor_of(const SlackDependencies& deps, const std::string& slack_user) {
  const auto policy = deps.current_policy ? deps.current_policy() : nullptr;
  const core::Person* p = policy ? policy->rota().person_by_slack_user(slack_user) : nullptr;
  return p ? p->id : slack_user;
}

std::string input_text(const ViewSubmission& view, const char* block, const char* action) {
  const std::string* v = view.text(block, action);
  return v ? *v : std::string();
}

/// A private note in the channel /escalate was typed in (the form carries it in private_metadata).
std::optional<SlackCall> confirmation(const ViewSubmission& view, const std::string& message) {
  const json meta = json::parse(view.private_metadata, nullptr, /*allow_exceptions=*/false);
  const auto channel = meta.is_object() ? meta.find("channel_id") : meta.end();
  if (!meta.is_object() || channel == meta.end() || !channel->is_string()) return std::nullopt;
  const std::string& id = channel->get_ref<const std::string&>();
  if (id.empty() || id.size() > kMaxIdBytes ||
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != std::string::npos)
    return std::nullopt;
  macros::MacroOutcome done;
  done.status = Status::done;
  done.message = message;
  return SlackCall{SlackCall::Kind::chat_post_ephemeral, "", id, view.user_id, refusal_ephemeral(done)};
}

}  // namespace

handlers::DeskActionDependencies action_dependencies(const SlackDependencies& d) {
  return {d.store, d.resolve_policy, d.current_policy, d.metrics, d.surfaces};
}

InteractionHandler::InteractionHandler(Dependencies deps)
    : deps_(std::move(deps)), actions_(action_dependencies(deps_)), postmortems_(action_dependencies(deps_)) {}

InteractionResult InteractionHandler::on_payload(const nlohmann::json& payload, core::TimePoint now) {
  auto parsed = parse_interaction(payload);
  if (auto* a = std::get_if<BlockAction>(&parsed)) return on_block_actions(*a, now);
  if (auto* v = std::get_if<ViewSubmission>(&parsed)) return on_view_submission(*v, now);
  if (auto* c = std::get_if<ViewClosed>(&parsed)) return on_view_closed(*c, now);
  const auto& e = std::get<PayloadError>(parsed);
  InteractionResult r;
  r.log = "interaction payload refused: " + (e.field.empty() ? std::string() : e.field + ": ") + e.message;
  return r;
}

InteractionResult InteractionHandler::on_block_actions(const BlockAction& a, core::TimePoint now) {
  if (a.action_id == kPostMortemActionId) return open_postmortem(a, now);
  try {
    const auto macro = macro_from_action_id(a.action_id);
    if (!macro)
      return tell(a, "That button is not one the desk knows, so nothing changed.", "unknown action_id " + a.action_id);
    const auto ref = clicked_escalation(a);
    if (!ref) return foreign_button(a);
    const std::string& id = ref->escalation_id;
    const std::string actor = actor_of(deps_, a.user_id);
    auto step = actions_.begin(id, ref->generation, *macro, actor, now);
    if (!step.outcome.ok()) return tell(a, step.outcome, std::move(step.log));
    InteractionResult r;
    r.changed = step.changed;
    const core::Rota& rota = step.policy->rota();
    const auto routes =
        *macro == core::Macro::route ? route_options(rota, *step.escalation) : std::vector<RouteOption>{};
    r.calls.push_back({SlackCall::Kind::views_open, a.trigger_id, "", "",
                       rationale_modal(*step.escalation, *macro, core::display_name(rota, actor), routes)});
    return r;
  } catch (const std::exception& err) {
    return tell(a, "The desk failed to handle this, so nothing changed. Try again in a minute.",
                std::string("failure on a click: ") + err.what());
  }
}

InteractionResult InteractionHandler::on_view_submission(const ViewSubmission& view, core::TimePoint now) {
  if (view.callback_id == kRationaleCallbackId) return submit_rationale(view, now);
  if (view.callback_id == kEscalateCallbackId) return submit_escalate(view, now);
  if (view.callback_id == kPostMortemCallbackId) return submit_postmortem(view, now);
  InteractionResult r;  // not one of ours: close it
  r.log = "view_submission with unknown callback_id '" + view.callback_id + "'";
  return r;
}

InteractionResult InteractionHandler::on_view_closed(const ViewClosed&, core::TimePoint) { return {}; }

InteractionResult InteractionHandler::submit_rationale(const ViewSubmission& view, core::TimePoint now) {
  const auto meta = parse_rationale_metadata(view.private_metadata);
  if (!meta)
    return form_error("rationale",
                      "This form could not be read. Close it and click the button on the escalation again.",
                      "rationale form with unreadable private_metadata from " + view.user_id);
  macros::MacroRequest request;
  request.macro = meta->macro;
  request.actor = actor_of(deps_, view.user_id);
  if (const std::string* typed = view.text("rationale", "rationale_input")) request.rationale = *typed;
  if (const std::string* role = view.selected("route_to", "route_select")) request.route_to = *role;
  auto step = actions_.decide(meta->escalation_id, meta->generation, request, now);
  if (!step.outcome.ok()) return form_error(step.outcome.field, step.outcome.message, std::move(step.log));
  InteractionResult r;  // a plain ack closes the modal
  r.changed = step.changed;
  return r;
}

InteractionResult InteractionHandler::submit_escalate(const ViewSubmission& view, core::TimePoint now) {
  handlers::ManualEscalation request;
  request.what = input_text(view, kWhatBlock, kWhatAction);
  request.where = input_text(view, kWhereBlock, kWhereAction);
  if (const std::string* workflow = view.selected(kWorkflowBlock, kWorkflowAction)) request.workflow = *workflow;
  request.why = input_text(view, kWhyBlock, kWhyAction);
  request.actor = actor_of(deps_, view.user_id);
  request.surface = "slack";
  request.surface_user = view.user_id;
  auto opened = actions_.escalate(request, now);
  if (!opened.ok()) {
    // The form's block ids are the request's field names.
    json errors = json::object();
    for (const auto& [field, message] : opened.errors) errors[field] = message;
    return form_errors(std::move(errors), std::move(opened.log));
  }
  InteractionResult r;  // a plain ack closes the form
  r.changed = opened.changed;
  const std::string message = "Escalated as " + opened.escalation_id + " (" + request.workflow + "), owner " +
                              opened.owner_name + ". It is being posted in the desk channel.";
  if (auto call = confirmation(view, message)) r.calls.push_back(std::move(*call));
  return r;
}

InteractionResult InteractionHandler::open_postmortem(const BlockAction& a, core::TimePoint now) {
  const auto ref = clicked_escalation(a);
  if (!ref) return foreign_button(a);
  const std::string actor = actor_of(deps_, a.user_id);
  auto step = postmortems_.begin(ref->escalation_id, actor, now);
  if (!step.ok()) {
    macros::MacroOutcome outcome;
    outcome.status = step.status == handlers::PostMortemResult::Status::refused ? Status::refused : Status::invalid;
    outcome.message = std::move(step.message);
    return tell(a, outcome, std::move(step.log));
  }
  InteractionResult r;
  const std::string name = core::display_name(step.policy->rota(), actor);
  r.calls.push_back({SlackCall::Kind::views_open, a.trigger_id, "", "",
                     postmortem_modal(*step.escalation, name, step.postmortem ? &*step.postmortem : nullptr)});
  return r;
}

InteractionResult InteractionHandler::submit_postmortem(const ViewSubmission& view, core::TimePoint now) {
  const auto id = parse_postmortem_metadata(view.private_metadata);
  if (!id)
    return form_error(handlers::kWhatTriggered,
                      "This form could not be read. Close it and click Post-mortem on the escalation again.",
                      "post-mortem form with unreadable private_metadata from " + view.user_id);
  handlers::PostMortemText text;
  text.what_triggered = input_text(view, handlers::kWhatTriggered, "what_triggered_input");
  text.what_fixed = input_text(view, handlers::kWhatFixed, "what_fixed_input");
  text.what_to_automate = input_text(view, handlers::kWhatToAutomate, "what_to_automate_input");
  auto step = postmortems_.submit(*id, actor_of(deps_, view.user_id), text, now);
  if (!step.errors.empty()) {
    json errors = json::object();  // the form's block ids are the fields' names
    for (const auto& [field, message] : step.errors) errors[field] = fit_text(message, 2000, TextMode::plain);
    return form_errors(std::move(errors), std::move(step.log));
  }
  if (!step.ok()) return form_error(handlers::kWhatTriggered, step.message, std::move(step.log));
  InteractionResult r;  // a plain ack closes the form
  r.changed = step.changed;
  return r;
}

}  // namespace desk::bot::slack
