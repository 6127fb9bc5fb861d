#include "handlers/interaction_handler.hpp"

#include <algorithm>
#include <utility>
#include <variant>

#include "core/lifecycle.hpp"
#include "handlers/slack_messages.hpp"
#include "handlers/slash_commands.hpp"
#include "handlers/submission_parser.hpp"
#include "macros/macros.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;
using Status = macros::MacroOutcome::Status;

// A version conflict means another click or desk committed first; three tries settle any real race.
constexpr int kMaxAttempts = 3;
constexpr std::size_t kMaxWhatBytes = 40'000;

constexpr const char* kDatabaseTrouble = "The desk cannot reach its database right now, so nothing changed. Try again in a minute.";
constexpr const char* kInternalTrouble = "The desk failed to handle this, so nothing changed. Try again in a minute.";

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

/// The view_submission ack that keeps the modal open with `errors` under their input blocks.
InteractionResult form_errors(json errors, std::string log = {}) {
  InteractionResult r;
  r.ack_payload = json{{"response_action", "errors"}, {"errors", std::move(errors)}};
  r.log = std::move(log);
  return r;
}

InteractionResult form_error(const std::string& field, const std::string& message, std::string log = {}) {
  InteractionResult r;
  r.ack_payload = rationale_errors(field, message);
  r.log = std::move(log);
  return r;
}

std::string actor_of(const core::Rota& rota, const std::string& slack_user) {
  const core::Person* p = rota.person_by_slack_user(slack_user);
  return p ? p->id : slack_user;
}

bool has_event(const std::vector<core::AuditEvent>& audit, std::string_view kind) {
  return std::any_of(audit.begin(), audit.end(), [&](const core::AuditEvent& ev) { return ev.kind == kind; });
}

/// Why a button or form of generation `generation` no longer applies to `e`; empty when it still does.
/// A decided escalation is left to the macros, which answer "already decided by …".
std::string changed_since(const core::Escalation& e, int generation, const core::Rota& rota) {
  if (core::is_decided(e.state) || e.generation == generation) return {};
  return e.id + " was re-owned to " + e.owner_role + " (" + core::display_name(rota, e.owner_person) + ") at " +
         core::format_utc(e.owned_since);
}

/// What the /escalate form asks for, validated.
struct EscalateForm {
  std::string what, where, workflow, why;
};

std::string trimmed_input(const ViewSubmission& view, const char* block, const char* action) {
  const std::string* v = view.text(block, action);
  if (!v) return {};
  const auto b = v->find_first_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : v->substr(b, v->find_last_not_of(" \t\r\n") - b + 1);
}

/// The /escalate form's inputs, or the inline errors (by block id) to show, every one at once.
std::variant<EscalateForm, json> read_escalate_form(const ViewSubmission& view, const core::Policy& p) {
  EscalateForm f{trimmed_input(view, kWhatBlock, kWhatAction), trimmed_input(view, kWhereBlock, kWhereAction), {}, {}};
  const std::string* workflow = view.selected(kWorkflowBlock, kWorkflowAction);
  const std::string* why_typed = view.text(kWhyBlock, kWhyAction);
  const auto why = macros::check_rationale(why_typed ? *why_typed : "", p.desk.min_rationale_chars);

  json errors = json::object();
  if (f.what.empty()) errors[kWhatBlock] = "Say what needs a person's eyes (paste the text or describe it).";
  else if (f.what.size() > kMaxWhatBytes) errors[kWhatBlock] = "Keep it under 40,000 bytes; link to the rest.";
  else if (f.what.find('\0') != std::string::npos) errors[kWhatBlock] = "The text contains a NUL character.";
  if (!f.where.empty() && !is_http_url(f.where)) errors[kWhereBlock] = "Give a link starting with https:// (or leave it empty).";
  if (!workflow || !p.workflows.count(*workflow)) errors[kWorkflowBlock] = "Choose one of the desk's workflows.";
  if (!why.ok) errors[kWhyBlock] = why_typed ? why.error : "Say why this needs a person's decision.";
  if (!errors.empty()) return errors;
  f.workflow = *workflow;
  f.why = why.text;
  return f;
}

/// A private note in the channel /escalate was typed in (the form carries it in private_metadata).
std::optional<SlackCall> confirmation(const ViewSubmission& view, const std::string& message) {
  const json meta = json::parse(view.private_metadata, nullptr, /*allow_exceptions=*/false);
  const auto channel = meta.is_object() ? meta.find("channel_id") : meta.end();
  if (!meta.is_object() || channel == meta.end() || !channel->is_string()) return std::nullopt;
  const std::string& id = channel->get_ref<const std::string&>();
  if (id.empty() || id.size() > kMaxIdBytes || id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != std::string::npos)
    return std::nullopt;
  macros::MacroOutcome done;
  done.status = Status::done;
  done.message = message;
  return SlackCall{SlackCall::Kind::chat_post_ephemeral, "", id, view.user_id, refusal_ephemeral(done)};
}

}  // namespace

InteractionHandler::InteractionHandler(Dependencies deps) : deps_(std::move(deps)) {}

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
  try {
    const auto macro = macro_from_action_id(a.action_id);
    if (!macro) return tell(a, "That button is not one the desk knows, so nothing changed.", "unknown action_id " + a.action_id);
    const auto ref = parse_actions_block_id(a.block_id);
    const std::string id = !a.value.empty() ? a.value : ref ? ref->escalation_id : std::string();
    if (!ref || ref->escalation_id != id)
      return tell(a, "That button does not belong to a current desk message, so nothing changed.",
                  "unrecognised block_id " + a.block_id + " for value " + a.value);
    auto e = deps_.store.escalation(id);
    if (!e) return tell(a, "The desk has no escalation " + fit_text(id, 100, TextMode::plain) + ", so nothing changed.");
    return click(a, *macro, std::move(*e), now);
  } catch (const storage::StorageError& err) {
    return tell(a, kDatabaseTrouble, std::string("storage failure on a click: ") + err.what());
  } catch (const std::exception& err) {
    return tell(a, kInternalTrouble, std::string("failure on a click: ") + err.what());
  }
}

InteractionResult InteractionHandler::click(const BlockAction& a, core::Macro macro, core::Escalation e,
                                            core::TimePoint now) {
  const auto policy = deps_.resolve_policy ? deps_.resolve_policy(e.policy_digest) : nullptr;
  if (!policy)
    return tell(a, "The desk cannot load the policy " + e.id + " was opened under, so it cannot tell who may act; "
                   "nothing changed. The desk's operators have been told.",
                "policy snapshot " + e.policy_digest + " of " + e.id + " cannot be resolved");
  const core::Rota& rota = policy->rota();
  const std::string actor = actor_of(rota, a.user_id);
  const int clicked_generation = parse_actions_block_id(a.block_id)->generation;

  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (auto why = changed_since(e, clicked_generation, rota); !why.empty())
      return tell(a, "This message is out of date: " + why + ". Use the buttons on the updated message; nothing changed.");
    const auto overrides = deps_.store.overrides_active_after(now);
    const core::LifecycleContext ctx{policy->policy(), rota, overrides};
    core::Escalation next = e;
    auto outcome = macros::click(next, macro, actor, ctx, now);
    if (outcome.status == Status::refused) deps_.store.append_audit(outcome.audit);
    if (!outcome.ok()) return tell(a, outcome);

    InteractionResult r;
    // A second click of an already triaged escalation changes nothing: no write, just the form.
    if (!outcome.audit.empty()) {
      if (!deps_.store.update_escalation(next, outcome.audit, effect_rows(Effect::update_escalation, deps_.surfaces, next.id, json::object(), now))) {
        auto fresh = deps_.store.escalation(e.id);
        if (!fresh) return tell(a, "The desk no longer has " + e.id + ", so nothing changed.");
        e = std::move(*fresh);
        continue;
      }
      r.changed = true;
      if (deps_.metrics && !next.drill && has_event(outcome.audit, "escalation.triaged"))
        deps_.metrics->observe_time_to_respond(static_cast<double>((now - next.owned_since).count()));
    }
    const auto routes = macro == core::Macro::route ? route_options(rota, next) : std::vector<RouteOption>{};
    r.calls.push_back({SlackCall::Kind::views_open, a.trigger_id, "", "",
                       rationale_modal(next, macro, core::display_name(rota, actor), routes)});
    return r;
  }
  return tell(a, e.id + " kept changing while you clicked, so nothing changed. Try again.",
              "gave up on a click on " + e.id + " after " + std::to_string(kMaxAttempts) + " version conflicts");
}

InteractionResult InteractionHandler::on_view_submission(const ViewSubmission& view, core::TimePoint now) {
  const bool escalate = view.callback_id == kEscalateCallbackId;
  try {
    if (view.callback_id == kRationaleCallbackId) return submit_rationale(view, now);
    if (escalate) return submit_escalate(view, now);
    InteractionResult r;  // not one of ours: close it
    r.log = "view_submission with unknown callback_id '" + view.callback_id + "'";
    return r;
  } catch (const storage::StorageError& err) {
    return form_error(escalate ? kWhyBlock : "rationale", kDatabaseTrouble,
                      std::string("storage failure on a form: ") + err.what());
  } catch (const std::exception& err) {
    return form_error(escalate ? kWhyBlock : "rationale", kInternalTrouble, std::string("failure on a form: ") + err.what());
  }
}

InteractionResult InteractionHandler::on_view_closed(const ViewClosed&, core::TimePoint) { return {}; }

InteractionResult InteractionHandler::submit_rationale(const ViewSubmission& view, core::TimePoint now) {
  const auto meta = parse_rationale_metadata(view.private_metadata);
  if (!meta)
    return form_error("rationale", "This form could not be read. Close it and click the button on the escalation again.",
                      "rationale form with unreadable private_metadata from " + view.user_id);
  auto e = deps_.store.escalation(meta->escalation_id);
  if (!e) return form_error("rationale", "The desk has no escalation " + meta->escalation_id + ".");
  const auto policy = deps_.resolve_policy ? deps_.resolve_policy(e->policy_digest) : nullptr;
  if (!policy)
    return form_error("rationale", "The desk cannot load the policy " + e->id + " was opened under; nothing was recorded.",
                      "policy snapshot " + e->policy_digest + " of " + e->id + " cannot be resolved");
  const core::Rota& rota = policy->rota();
  macros::MacroRequest request;
  request.macro = meta->macro;
  request.actor = actor_of(rota, view.user_id);
  if (const std::string* typed = view.text("rationale", "rationale_input")) request.rationale = *typed;
  if (const std::string* role = view.selected("route_to", "route_select")) request.route_to = *role;

  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (auto why = changed_since(*e, meta->generation, rota); !why.empty())
      return form_error("rationale", "This escalation changed while the form was open: " + why +
                                         ". Close this form and use the buttons on the updated message.");
    const auto overrides = deps_.store.overrides_active_after(now);
    const core::LifecycleContext ctx{policy->policy(), rota, overrides};
    core::Escalation next = *e;
    auto outcome = macros::apply(next, request, ctx, now);
    if (outcome.status == Status::refused) deps_.store.append_audit(outcome.audit);
    if (!outcome.ok()) return form_error(outcome.field.empty() ? "rationale" : outcome.field, outcome.message);

    const std::string rationale = macros::check_rationale(request.rationale, ctx.policy.desk.min_rationale_chars).text;
    if (deps_.store.update_escalation(next, outcome.audit, decision_outbox(next, request.actor, rationale, now))) {
      InteractionResult r;  // a plain ack closes the modal
      r.changed = true;
      if (deps_.metrics && !next.drill && has_event(outcome.audit, "escalation.triaged"))
        deps_.metrics->observe_time_to_respond(static_cast<double>((now - e->owned_since).count()));
      return r;
    }
    e = deps_.store.escalation(meta->escalation_id);  // someone else committed first: look again
    if (!e) return form_error("rationale", "The desk no longer has " + meta->escalation_id + ".");
  }
  return form_error("rationale", e->id + " kept changing while you submitted. Submit again.",
                    "gave up on a rationale for " + e->id + " after " + std::to_string(kMaxAttempts) + " version conflicts");
}

std::vector<storage::OutboxMessage> InteractionHandler::decision_outbox(const core::Escalation& e, const std::string& actor,
                                                                       const std::string& rationale, core::TimePoint now) {
  const bool decided = core::is_decided(e.state);
  auto out = effect_rows(Effect::update_escalation, deps_.surfaces, e.id, json::object(), now);
  auto replies = effect_rows(Effect::thread_reply, deps_.surfaces, e.id,
                             {{"reply", decided ? "decision" : "reowned"}, {"actor", actor}, {"rationale", rationale}}, now);
  out.insert(out.end(), std::make_move_iterator(replies.begin()), std::make_move_iterator(replies.end()));
  if (decided) {
    const auto submission = deps_.store.submission(e.submission_id);
    if (submission && !submission->submission.callback_url.empty())
      out.push_back(effect_row(Effect::decision_callback, std::string(kAgentSurface), e.id,
                               {{"url", submission->submission.callback_url}}, now));
  }
  return out;
}

InteractionResult InteractionHandler::submit_escalate(const ViewSubmission& view, core::TimePoint now) {
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  if (!policy) return form_error(kWhyBlock, "The desk has no policy loaded; nothing was escalated.", "no current policy");
  auto form = read_escalate_form(view, policy->policy());
  if (auto* errors = std::get_if<json>(&form)) return form_errors(std::move(*errors));
  const EscalateForm& f = std::get<EscalateForm>(form);

  core::Submission s;
  s.workflow = f.workflow;
  s.channel = "slack";
  s.agent = "manual:" + view.user_id;
  s.confidence = 1.0;
  s.output = f.what;
  s.permalink = f.where;
  s.submitted_at = now;
  const core::Evaluation ev = policy->engine().evaluate_manual(s, f.why);
  const auto overrides = deps_.store.overrides_active_after(now);
  const core::LifecycleContext ctx{policy->policy(), policy->rota(), overrides};
  core::Opened opened = core::open_escalation(s, ev, ctx, now);
  // Its own transaction first: at worst an unused content-addressed snapshot is left behind.
  if (!policy->digest().empty()) deps_.store.save_policy_snapshot(policy->digest(), policy->policy().source_text);

  storage::NewSubmission ns;
  ns.submission = s;
  ns.verdict = core::Verdict::escalated;
  ns.hits = ev.hits;
  ns.escalation = std::move(opened.escalation);
  const std::string actor = actor_of(policy->rota(), view.user_id);
  ns.audit.push_back({"submission.received", "", actor, now, {{"workflow", s.workflow}, {"verdict", "escalated"}, {"by", actor}}});
  ns.audit.insert(ns.audit.end(), opened.audit.begin(), opened.audit.end());
  ns.outbox = effect_rows(Effect::post_escalation, deps_.surfaces, "", json::object(), now);
  const auto ids = deps_.store.add_submission(ns);

  if (deps_.metrics) {
    deps_.metrics->count_submission(core::Verdict::escalated);
    for (const auto& h : ev.hits) deps_.metrics->count_hit(h.rule_id);
    deps_.metrics->count_escalation_opened(ev.owner_role);
  }
  InteractionResult r;  // a plain ack closes the form
  r.changed = true;
  const std::string& owner = ns.escalation->owner_person;
  const std::string message = "Escalated as " + ids.escalation_id + " (" + s.workflow + "), owner " +
                              (owner.empty() ? std::string("not yet known") : core::display_name(policy->rota(), owner)) +
                              ". It is being posted in the desk channel.";
  if (auto call = confirmation(view, message)) r.calls.push_back(std::move(*call));
  return r;
}

}  // namespace desk::handlers
