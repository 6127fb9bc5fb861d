#include "handlers/desk_actions.hpp"

#include <algorithm>
#include <utility>

#include "core/lifecycle.hpp"
#include "core/text_scan.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/drills.hpp"
#include "handlers/submission_parser.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;
using Status = macros::MacroOutcome::Status;

// A version conflict means another click or desk committed first; three tries settle any real race.
constexpr int kMaxAttempts = 3;
constexpr std::size_t kMaxWhatBytes = 40'000;

DecisionResult refused(std::string message, std::string log = {}, std::string field = {}) {
  DecisionResult r;
  r.outcome.status = Status::invalid;
  r.outcome.message = std::move(message);
  r.outcome.field = std::move(field);
  r.log = std::move(log);
  return r;
}

/// Why a button or form of generation `generation` no longer applies to `e`; empty when it still does.
/// A decided escalation is left to the macros, which answer "already decided by …".
std::string changed_since(const core::Escalation& e, int generation, const core::Rota& rota) {
  if (core::is_decided(e.state) || e.generation == generation) return {};
  return e.id + " was re-owned to " + e.owner_role + " (" + core::display_name(rota, e.owner_person) + ") at " +
         core::format_utc(e.owned_since);
}

/// Every problem with a manual escalation at once, by field.
std::map<std::string, std::string> manual_errors(const ManualEscalation& m, const core::Policy& p,
                                                 const macros::RationaleCheck& why) {
  std::map<std::string, std::string> errors;
  const std::string what = trimmed(m.what), where = trimmed(m.where);
  if (what.empty())
    errors[kManualWhat] = "Say what needs a person's eyes (paste the text or describe it).";
  else if (what.size() > kMaxWhatBytes)
    errors[kManualWhat] = "Keep it under 40,000 bytes; link to the rest.";
  else if (what.find('\0') != std::string::npos)
    errors[kManualWhat] = "The text contains a NUL character.";
  if (!where.empty() && !is_http_url(where))
    errors[kManualWhere] = "Give a link starting with https:// (or leave it empty).";
  if (!p.workflows.count(m.workflow)) errors[kManualWorkflow] = "Choose one of the desk's workflows.";
  if (!why.ok) errors[kManualWhy] = m.why.empty() ? "Say why this needs a person's decision." : why.error;
  return errors;
}

/// Why `actor` may not set overrides on `spec`'s role; empty when they may. A role's may_override,
/// when the config gives one, binds everyone, the marketing director included (else the director
/// could make themself legal on-call and then decide legal's escalations); a role without one may
/// be overridden by the director alone.
std::string override_refusal(const core::Rota& r, const core::RoleSpec& spec, const core::Person* actor,
                             const std::vector<core::RotaOverride>& overrides, core::TimePoint now) {
  const auto& may = spec.may_override;
  if (!may.empty()) {
    if (actor && std::find(may.begin(), may.end(), actor->id) != may.end()) return {};
    std::string names;
    for (const auto& p : may) names += (names.empty() ? "" : ", ") + core::display_name(r, p);
    return "Only " + names + " may override " + spec.id + " (its may_override in the config).";
  }
  const auto director = r.holder(core::kDirectorRole, now, overrides);
  if (actor && director && director->person == actor->id) return {};
  const std::string who = director ? core::display_name(r, director->person) + " (marketing director)"
                                   : std::string("the marketing director");
  return "Only " + who + " may override " + spec.id + ".";
}

}  // namespace

std::string quoted_id(const std::string& id) {
  constexpr std::size_t kMaxShownIdBytes = 100;
  return id.size() <= kMaxShownIdBytes ? id : id.substr(0, kMaxShownIdBytes) + "...";
}

DeskActions::DeskActions(DeskActionDependencies deps) : deps_(std::move(deps)) {}

DecisionResult DeskActions::begin(const std::string& escalation_id, int generation, core::Macro macro,
                                  const std::string& actor, core::TimePoint now) {
  try {
    auto e = deps_.store.escalation(escalation_id);
    if (!e) return refused("The desk has no escalation " + quoted_id(escalation_id) + ", so nothing changed.");
    return begin_checked(std::move(*e), generation, macro, actor, now);
  } catch (const storage::StorageError& err) {
    return refused(kDatabaseTrouble, std::string("storage failure on a click: ") + err.what());
  } catch (const std::exception& err) {
    return refused(kInternalTrouble, std::string("failure on a click: ") + err.what());
  }
}

DecisionResult DeskActions::begin_checked(core::Escalation e, int generation, core::Macro macro,
                                          const std::string& actor, core::TimePoint now) {
  const auto policy = deps_.resolve_policy ? deps_.resolve_policy(e.policy_digest) : nullptr;
  if (!policy)
    return refused("The desk cannot load the policy " + e.id +
                       " was opened under, so it cannot tell who may act; "
                       "nothing changed. The desk's operators have been told.",
                   "policy snapshot " + e.policy_digest + " of " + e.id + " cannot be resolved");
  const core::Rota& rota = policy->rota();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (auto why = changed_since(e, generation, rota); !why.empty())
      return refused("This message is out of date: " + why +
                     ". Use the buttons on the updated message; nothing changed.");
    const auto overrides = deps_.store.overrides_active_after(now);
    const core::LifecycleContext ctx{policy->policy(), rota, overrides};
    core::Escalation next = e;
    DecisionResult r;
    r.outcome = macros::click(next, macro, actor, ctx, now);
    r.policy = policy;
    if (r.outcome.status == Status::refused) deps_.store.append_audit(r.outcome.audit);
    if (!r.outcome.ok()) return r;
    // A second click of an already triaged escalation changes nothing: no write, just the form.
    if (!r.outcome.audit.empty()) {
      if (!deps_.store.update_escalation(
              next, r.outcome.audit,
              effect_rows(Effect::update_escalation, deps_.surfaces, next.id, json::object(), now))) {
        auto fresh = deps_.store.escalation(e.id);
        if (!fresh) return refused("The desk no longer has " + e.id + ", so nothing changed.");
        e = std::move(*fresh);
        continue;
      }
      r.changed = true;
      if (deps_.metrics) deps_.metrics->count_change(e, next);
    }
    r.escalation = std::move(next);
    return r;
  }
  return refused(e.id + " kept changing while you clicked, so nothing changed. Try again.",
                 "gave up on a click on " + e.id + " after " + std::to_string(kMaxAttempts) + " version conflicts");
}

DecisionResult DeskActions::decide(const std::string& escalation_id, int generation,
                                   const macros::MacroRequest& request, core::TimePoint now) {
  try {
    auto e = deps_.store.escalation(escalation_id);
    if (!e) return refused("The desk has no escalation " + quoted_id(escalation_id) + ".", {}, "rationale");
    return decide_checked(std::move(*e), generation, request, now);
  } catch (const storage::StorageError& err) {
    return refused(kDatabaseTrouble, std::string("storage failure on a form: ") + err.what(), "rationale");
  } catch (const std::exception& err) {
    return refused(kInternalTrouble, std::string("failure on a form: ") + err.what(), "rationale");
  }
}

DecisionResult DeskActions::decide_checked(core::Escalation e, int generation, const macros::MacroRequest& request,
                                           core::TimePoint now) {
  const auto policy = deps_.resolve_policy ? deps_.resolve_policy(e.policy_digest) : nullptr;
  if (!policy)
    return refused("The desk cannot load the policy " + e.id + " was opened under; nothing was recorded.",
                   "policy snapshot " + e.policy_digest + " of " + e.id + " cannot be resolved", "rationale");
  const core::Rota& rota = policy->rota();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (auto why = changed_since(e, generation, rota); !why.empty())
      return refused("This escalation changed while the form was open: " + why +
                         ". Close this form and use the buttons on the updated message.",
                     {}, "rationale");
    const auto overrides = deps_.store.overrides_active_after(now);
    const core::LifecycleContext ctx{policy->policy(), rota, overrides};
    core::Escalation next = e;
    DecisionResult r;
    r.outcome = macros::apply(next, request, ctx, now);
    r.policy = policy;
    if (r.outcome.status == Status::refused) deps_.store.append_audit(r.outcome.audit);
    if (!r.outcome.ok()) {
      if (r.outcome.field.empty()) r.outcome.field = "rationale";
      return r;
    }
    const std::string rationale = macros::check_rationale(request.rationale, ctx.policy.desk.min_rationale_chars).text;
    auto outbox = decision_outbox(next, request.actor, rationale, now);
    // The decision that ends a fire drill scores it, in the same commit.
    std::optional<storage::DrillScoring> scoring;
    if (auto step = drill_scoring(deps_.store, e, next, request.actor, ctx, deps_.surfaces, now)) {
      scoring = step->scoring;
      r.outcome.audit.push_back(step->audit);
      outbox.insert(outbox.end(), std::make_move_iterator(step->outbox.begin()),
                    std::make_move_iterator(step->outbox.end()));
    }
    if (deps_.store.update_escalation(next, r.outcome.audit, outbox, scoring)) {
      r.changed = true;
      if (deps_.metrics) deps_.metrics->count_change(e, next);
      r.escalation = std::move(next);
      return r;
    }
    auto fresh = deps_.store.escalation(e.id);  // someone else committed first: look again
    if (!fresh) return refused("The desk no longer has " + e.id + ".", {}, "rationale");
    e = std::move(*fresh);
  }
  return refused(e.id + " kept changing while you submitted. Submit again.",
                 "gave up on a rationale for " + e.id + " after " + std::to_string(kMaxAttempts) + " version conflicts",
                 "rationale");
}

std::vector<storage::OutboxMessage> DeskActions::decision_outbox(const core::Escalation& e, const std::string& actor,
                                                                 const std::string& rationale, core::TimePoint now) {
  const bool decided = core::is_decided(e.state);
  auto out = effect_rows(Effect::update_escalation, deps_.surfaces, e.id, json::object(), now);
  auto replies =
      effect_rows(Effect::thread_reply, deps_.surfaces, e.id,
                  {{"reply", decided ? "decision" : "reowned"}, {"actor", actor}, {"rationale", rationale}}, now);
  out.insert(out.end(), std::make_move_iterator(replies.begin()), std::make_move_iterator(replies.end()));
  if (decided && !e.drill) {  // a drill's draft came from no agent: nobody to call back
    const auto submission = deps_.store.submission(e.submission_id);
    if (submission && !submission->submission.callback_url.empty())
      out.push_back(effect_row(Effect::decision_callback, std::string(kAgentSurface), e.id,
                               {{"url", submission->submission.callback_url}}, now));
  }
  return out;
}

DeskActions::OpenedEscalation DeskActions::open_and_commit(const PolicySet& policy, const core::Submission& s,
                                                           const core::Evaluation& ev,
                                                           std::vector<core::AuditEvent> audit, OpeningExtras extras,
                                                           core::TimePoint now) {
  const auto overrides = deps_.store.overrides_active_after(now);
  const core::LifecycleContext ctx{policy.policy(), policy.rota(), overrides};
  core::Opened opened = core::open_escalation(s, ev, ctx, now);
  opened.escalation.drill = extras.drill.has_value();
  // Its own transaction first: at worst an unused content-addressed snapshot is left behind.
  if (!policy.digest().empty()) deps_.store.save_policy_snapshot(policy.digest(), policy.policy().source_text);

  storage::NewSubmission ns;
  ns.submission = s;
  ns.verdict = core::Verdict::escalated;
  ns.hits = ev.hits;
  ns.shadow_hits = ev.shadow_hits;
  ns.escalation = std::move(opened.escalation);
  ns.audit = std::move(audit);
  ns.audit.insert(ns.audit.end(), opened.audit.begin(), opened.audit.end());
  ns.outbox = effect_rows(Effect::post_escalation, deps_.surfaces, "", json::object(), now);
  ns.outbox.insert(ns.outbox.end(), extras.outbox.begin(), extras.outbox.end());
  ns.drill = std::move(extras.drill);
  ns.hotline_source = std::move(extras.hotline_source);
  OpenedEscalation out;
  out.escalation_id = deps_.store.add_submission(ns).escalation_id;
  const std::string& owner = ns.escalation->owner_person;
  out.owner_name = owner.empty() ? std::string("not yet known") : core::display_name(policy.rota(), owner);
  return out;
}

DrillStartResult DeskActions::start_drill(const DrillStart& request, core::TimePoint now) {
  DrillStartResult r;
  try {
    const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
    if (!policy) {
      r.message = "The desk has no policy loaded; no drill was started.";
      r.log = "no current policy";
      return r;
    }
    const auto overrides = deps_.store.overrides_active_after(now);
    const core::LifecycleContext ctx{policy->policy(), policy->rota(), overrides};
    const auto rights = macros::may_start_drill(request.actor, ctx, now);
    if (!rights.ok()) {
      deps_.store.append_audit(rights.audit);
      r.status = DrillStartResult::Status::refused;
      r.message = rights.message;
      return r;
    }
    auto planned = plan_drill(policy->policy(), {request.scenario, request.workflow, request.actor}, now);
    if (const auto* problem = std::get_if<DrillProblem>(&planned)) {
      r.field = problem->field;
      r.message = problem->message;
      return r;
    }
    const DrillPlan& plan = std::get<DrillPlan>(planned);
    r.workflow = plan.workflow;
    const core::Evaluation ev = policy->engine().evaluate(plan.draft);
    if (ev.verdict == core::Verdict::approved) {
      const storage::Drill missed = missed_drill(plan, request.actor, now);
      deps_.store.add_drill(missed, {drill_missed_event(missed)});
      r.status = DrillStartResult::Status::missed;
      r.message = missed.score->checks.front().reason;
      r.changed = true;
      return r;
    }
    storage::Drill record = drill_record(plan, request.actor, now);
    const OpenedEscalation opened =
        open_and_commit(*policy, plan.draft, ev, {drill_started_event(record)}, {std::move(record), {}, {}}, now);
    r.status = DrillStartResult::Status::started;
    r.escalation_id = opened.escalation_id;
    r.owner_name = opened.owner_name;
    r.changed = true;
  } catch (const storage::StorageError& err) {
    r = {};
    r.message = kDatabaseTrouble;
    r.log = std::string("storage failure starting a drill: ") + err.what();
  } catch (const std::exception& err) {
    r = {};
    r.message = kInternalTrouble;
    r.log = std::string("failure starting a drill: ") + err.what();
  }
  return r;
}

ManualEscalationResult DeskActions::escalate(const ManualEscalation& m, core::TimePoint now) {
  ManualEscalationResult r;
  try {
    const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
    if (!policy) {
      r.errors[kManualWhy] = "The desk has no policy loaded; nothing was escalated.";
      r.log = "no current policy";
      return r;
    }
    const auto why = macros::check_rationale(m.why, policy->policy().desk.min_rationale_chars);
    r.errors = manual_errors(m, policy->policy(), why);
    if (!r.errors.empty()) return r;

    core::Submission s;
    s.workflow = m.workflow;
    s.channel = m.surface;
    s.agent = "manual:" + m.surface_user;
    s.confidence = 1.0;
    s.output = trimmed(m.what);
    s.permalink = trimmed(m.where);
    s.submitted_at = now;
    const core::Evaluation ev = policy->engine().evaluate_manual(s, why.text);
    const OpenedEscalation opened =
        open_and_commit(*policy, s, ev,
                        {{"submission.received",
                          "",
                          m.actor,
                          now,
                          {{"workflow", s.workflow}, {"verdict", "escalated"}, {"by", m.actor}}}},
                        {}, now);
    r.escalation_id = opened.escalation_id;
    r.owner_name = opened.owner_name;
    r.changed = true;
    if (deps_.metrics) deps_.metrics->count_committed(core::Verdict::escalated, ev.hits, ev.owner_role);
  } catch (const storage::StorageError& err) {
    r.errors = {{kManualWhy, kDatabaseTrouble}};
    r.log = std::string("storage failure on a form: ") + err.what();
  } catch (const std::exception& err) {
    r.errors = {{kManualWhy, kInternalTrouble}};
    r.log = std::string("failure on a form: ") + err.what();
  }
  return r;
}

std::string_view RotaOverrideResult::field() const {
  switch (problem) {
    case Problem::no_policy:
    case Problem::unknown_role:
      return "role";
    case Problem::unknown_person:
      return "person";
    case Problem::unreadable_until:
    case Problem::until_passed:
    case Problem::until_too_far:
      return "until";
    case Problem::none:
    case Problem::refused:
    case Problem::not_saved:
      break;
  }
  return "";
}

RotaOverrideResult DeskActions::override_role(const RotaOverrideRequest& o, core::TimePoint now) {
  RotaOverrideResult out;
  using Problem = RotaOverrideResult::Problem;
  auto invalid = [&](Problem problem, std::string message) {
    out.status = RotaOverrideResult::Status::invalid;
    out.problem = problem;
    out.message = std::move(message);
    return out;
  };
  try {
    out.policy = deps_.current_policy ? deps_.current_policy() : nullptr;
    if (!out.policy) return invalid(Problem::no_policy, "The desk has no policy loaded; nothing was changed.");
    const core::Rota& r = out.policy->rota();
    const auto spec = r.roles().find(o.role);
    if (spec == r.roles().end()) return invalid(Problem::unknown_role, "There is no role '" + o.role + "'.");
    const core::Person* actor = r.person(o.actor);
    const auto active = deps_.store.overrides_active_after(now);
    if (const std::string reason = override_refusal(r, spec->second, actor, active, now); !reason.empty()) {
      deps_.store.append_audit({{"rights.denied",
                                 "",
                                 o.actor,
                                 now,
                                 {{"attempted", "rota.override"}, {"role", o.role}, {"reason", reason}}}});
      out.status = RotaOverrideResult::Status::refused;
      out.problem = Problem::refused;
      out.message = reason;
      return out;
    }
    const core::Person* person = r.person(o.person);
    if (!person) return invalid(Problem::unknown_person, "Choose one of the desk's people to cover " + o.role + ".");
    if (!o.until) return invalid(Problem::unreadable_until, "The end time could not be read.");
    if (*o.until <= now) return invalid(Problem::until_passed, "The end time has passed; give a time in the future.");
    if (*o.until - now > kMaxOverrideLength)
      return invalid(Problem::until_too_far, "An override may last at most 31 days.");
    core::RotaOverride row{0, o.role, person->id, now, *o.until, o.how, actor->id};
    core::AuditEvent ev{"rota.override",
                        "",
                        actor->id,
                        now,
                        {{"role", o.role},
                         {"person", person->id},
                         {"from", core::format_utc(now)},
                         {"until", core::format_utc(*o.until)},
                         {"by", actor->id}}};
    deps_.store.add_override(row, ev);
    out.status = RotaOverrideResult::Status::done;
    out.changed = true;
    return out;
  } catch (const storage::StorageError& e) {
    return invalid(Problem::not_saved,
                   std::string("The desk could not save that: ") + e.what() + ". Nothing was changed.");
  }
}

bool DeskActions::publish_rota(const std::string& actor, core::TimePoint now) {
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  if (!policy || deps_.surfaces.empty()) return false;
  const auto overrides = deps_.store.overrides_active_after(now);
  const ChannelNotice notice = rota_notice(policy->rota(), overrides, now, policy->digest(), actor);
  deps_.store.enqueue(channel_notice_rows(notice, deps_.surfaces, now),
                      {{"rota.published", "", actor, now, {{"roles", std::to_string(policy->rota().roles().size())}}}});
  return true;
}

bool DeskActions::add_thread_reply(const ThreadReply& reply, core::TimePoint now) {
  if (reply.text.find_first_not_of(" \t\r\n") == std::string::npos) return false;
  const auto e = deps_.store.escalation(reply.escalation_id, storage::Hits::skip);
  if (!e) return false;
  auto [text, cut] = masked_note(*e, reply.text);
  deps_.store.enqueue({}, {{"thread.reply",
                            e->id,
                            reply.author,
                            now,
                            {{"surface", reply.surface},
                             {"message_id", reply.message_id},
                             {"cut", cut ? "true" : "false"},
                             {"reply_text", std::move(text)}}}});
  return true;
}

std::pair<std::string, bool> DeskActions::masked_note(const core::Escalation& e, const std::string& text) {
  const auto set = deps_.resolve_policy ? deps_.resolve_policy(e.policy_digest) : nullptr;
  std::string masked = masker_.mask(set.get(), text);
  const bool cut = core::code_points(masked) > kThreadReplyChars;
  if (cut) masked = core::cut_to_code_points(masked, kThreadReplyChars) + " […]";
  return {std::move(masked), cut};
}

ChannelRaiseResult DeskActions::raise_from_channel(const ChannelRaise& raise, core::TimePoint now) {
  ChannelRaiseResult r;
  const storage::HotlineMessage& m = raise.message;
  try {
    const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
    if (!policy || policy->policy().desk.hotline_workflow.empty()) {
      r.status = ChannelRaiseResult::Status::off;
      return r;
    }
    if (const auto known = deps_.store.hotline_message(m.key); known && !known->escalation_id.empty()) {
      r.status = ChannelRaiseResult::Status::opened_before;
      r.escalation_id = known->escalation_id;
      return r;
    }
    const core::Person* author = policy->rota().person_on(m.key.surface, m.author);
    const std::string actor = author ? author->id : m.author;
    core::Submission s;
    s.workflow = policy->policy().desk.hotline_workflow;
    s.channel = m.key.surface;
    s.agent = "hotline:" + m.author;
    s.confidence = 1.0;
    s.output = trimmed(m.text);
    s.permalink = raise.permalink;
    s.metadata_json =
        json{{"raised_in", {{"surface", m.key.surface}, {"channel", m.key.channel}, {"message_id", m.key.message_id}}}}
            .dump();
    s.submitted_at = now;
    const core::Evaluation ev = policy->engine().evaluate_manual(
        s,
        "raised in the desk channel by " + (author ? core::display_name(policy->rota(), author->id) : m.author) + ".");
    OpeningExtras extras;
    extras.hotline_source = m.key;
    // The answer in the message's own thread, where the person asked: on its surface only.
    extras.outbox.push_back(effect_row(
        Effect::thread_reply, m.key.surface, "",
        {{"reply", kHotlineReply}, {"channel", m.key.channel}, {"thread_id", m.thread_id}, {"author", m.author}}, now));
    const OpenedEscalation opened = open_and_commit(*policy, s, ev,
                                                    {{"submission.received",
                                                      "",
                                                      actor,
                                                      now,
                                                      {{"workflow", s.workflow},
                                                       {"verdict", "escalated"},
                                                       {"by", actor},
                                                       {"via", "hotline"},
                                                       {"surface", m.key.surface},
                                                       {"message_id", m.key.message_id}}}},
                                                    std::move(extras), now);
    r.status = ChannelRaiseResult::Status::opened;
    r.escalation_id = opened.escalation_id;
    r.owner_name = opened.owner_name;
    r.changed = true;
    if (deps_.metrics) deps_.metrics->count_committed(core::Verdict::escalated, ev.hits, ev.owner_role);
  } catch (const storage::StorageError& err) {
    if (err.code() == storage::StorageError::Code::conflict) {
      // Opened by a pass that ran meanwhile: the same message is never escalated twice.
      r.status = ChannelRaiseResult::Status::opened_before;
      return r;
    }
    r.log = std::string("storage failure opening a hotline escalation: ") + err.what();
  } catch (const std::exception& err) { r.log = std::string("failure opening a hotline escalation: ") + err.what(); }
  return r;
}

bool DeskActions::record_hotline_change(const storage::MessageKey& key, const std::optional<std::string>& new_text,
                                        const std::string& author, core::TimePoint now) {
  const auto source = deps_.store.hotline_message(key);
  if (!source || source->escalation_id.empty()) return false;
  const auto e = deps_.store.escalation(source->escalation_id, storage::Hits::skip);
  if (!e) return false;
  if (!new_text) {
    deps_.store.enqueue(
        {},
        {{"hotline.source_deleted", e->id, author, now, {{"surface", key.surface}, {"message_id", key.message_id}}}});
    return true;
  }
  if (new_text->find_first_not_of(" \t\r\n") == std::string::npos) return false;
  auto [text, cut] = masked_note(*e, *new_text);
  deps_.store.enqueue({}, {{"hotline.source_edited",
                            e->id,
                            author,
                            now,
                            {{"surface", key.surface},
                             {"message_id", key.message_id},
                             {"cut", cut ? "true" : "false"},
                             {"source_text", std::move(text)}}}});
  return true;
}

}  // namespace desk::handlers
