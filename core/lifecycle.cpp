#include "core/lifecycle.hpp"

#include <algorithm>

namespace desk::core {
namespace {

std::string holder_of(const LifecycleContext& ctx, const std::string& role, TimePoint at) {
  auto h = ctx.rota.holder(role, at, ctx.overrides);
  return h ? h->person : std::string{};
}

std::vector<Deadline> fresh_deadlines(const SlaPolicy& sla, TimePoint from) {
  return {{DeadlineKind::backup_ping, from + sla.backup_ping, std::nullopt},
          {DeadlineKind::triage, from + sla.triage, std::nullopt},
          {DeadlineKind::decision, from + sla.decision, std::nullopt}};
}

bool counts(const Escalation& e, const Deadline& d) {
  if (d.fired_at || is_decided(e.state)) return false;
  if (d.kind == DeadlineKind::decision) return true;
  return !e.triaged_at;  // a response stops the backup ping and the triage clock
}

AuditEvent event(const Escalation& e, std::string kind, std::string actor, TimePoint at) {
  return AuditEvent{std::move(kind), e.id, std::move(actor), at, {}};
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

void arm(Escalation& e, const std::string& role, const LifecycleContext& ctx, TimePoint now) {
  e.owner_role = role;
  e.owner_person = holder_of(ctx, role, now);
  e.owned_since = now;
  e.deadlines = fresh_deadlines(ctx.policy.sla, now);
  e.backup_pinged_at.reset();
  e.backup_person.clear();
  e.director_person.clear();
  e.triaged_at.reset();
  e.triaged_by.clear();
  e.state = EscalationState::open;
}

StepResult refused(const Escalation& e, const std::string& actor, const Rights& rights, const char* attempted,
                   TimePoint now) {
  StepResult r;
  r.error = rights.reason;
  auto ev = event(e, "rights.denied", actor, now);
  ev.fields = {{"attempted", attempted}, {"reason", rights.reason}};
  r.audit.push_back(std::move(ev));
  return r;
}

}  // namespace

const char* to_string(Capacity c) {
  switch (c) {
    case Capacity::owner:
      return "owner";
    case Capacity::backup:
      return "backup";
    case Capacity::director:
      return "director";
    case Capacity::legal:
      return "legal";
  }
  return "unknown";
}

std::string display_name(const Rota& rota, const std::string& person) {
  const Person* p = rota.person(person);
  return p && !p->name.empty() ? p->name : person;
}

Opened open_escalation(const Submission& s, const Evaluation& ev, const LifecycleContext& ctx, TimePoint now) {
  Opened out;
  Escalation& e = out.escalation;
  e.workflow = s.workflow;
  e.channel = s.channel;
  e.agent = s.agent;
  e.policy_digest = ctx.policy.source_digest;
  e.opened_at = now;
  e.hits = ev.hits;
  e.hits_total = std::max(ev.hits_total, ev.hits.size());
  e.manual =
      std::any_of(ev.hits.begin(), ev.hits.end(), [](const TriggerHit& h) { return h.kind == TriggerKind::manual; });
  arm(e, ev.owner_role, ctx, now);

  std::string rules;
  for (const auto& h : ev.hits) rules += (rules.empty() ? "" : ",") + h.rule_id;
  auto opened = event(e, "escalation.opened", s.agent.empty() ? "desk" : s.agent, now);
  opened.fields = {{"workflow", e.workflow},
                   {"channel", e.channel},
                   {"owner_role", e.owner_role},
                   {"owner", e.owner_person},
                   {"rules", rules},
                   {"policy_digest", e.policy_digest},
                   {"triage_due", format_utc(e.deadline(DeadlineKind::triage)->due)},
                   {"decision_due", format_utc(e.deadline(DeadlineKind::decision)->due)}};
  out.audit.push_back(std::move(opened));
  if (e.owner_person.empty()) {
    auto unowned = event(e, "escalation.unowned", "desk", now);
    unowned.fields = {{"role", e.owner_role}};
    out.audit.push_back(std::move(unowned));
  }
  return out;
}

std::optional<TimePoint> next_deadline(const Escalation& e) {
  std::optional<TimePoint> next;
  for (const auto& d : e.deadlines)
    if (counts(e, d) && (!next || d.due < *next)) next = d.due;
  return next;
}

Fired fire_due(Escalation& e, const LifecycleContext& ctx, TimePoint now) {
  Fired out;
  std::vector<Deadline*> due;
  for (auto& d : e.deadlines)
    if (counts(e, d) && d.due <= now) due.push_back(&d);
  std::sort(due.begin(), due.end(), [](const Deadline* a, const Deadline* b) { return a->due < b->due; });

  const std::string director = holder_of(ctx, kDirectorRole, now);
  for (Deadline* d : due) {
    d->fired_at = now;
    Reminder r{d->kind, e.id, d->due, now, now - d->due, {}};
    std::string kind;
    switch (d->kind) {
      case DeadlineKind::backup_ping:
        // Legal has no backup in the rota: only the director is pinged for an escalation with legal.
        if (!e.with_legal()) e.backup_person = holder_of(ctx, kBackupRole, now);
        e.director_person = director;
        e.backup_pinged_at = now;
        add_unique(r.notify, e.backup_person);
        add_unique(r.notify, director);
        kind = "sla.backup_pinged";
        break;
      case DeadlineKind::triage:
        add_unique(r.notify, e.owner_person);
        add_unique(r.notify, e.backup_person);
        add_unique(r.notify, director);
        kind = "sla.triage_breached";
        break;
      case DeadlineKind::decision:
        add_unique(r.notify, e.owner_person);
        add_unique(r.notify, director);
        kind = "sla.decision_breached";
        break;
    }
    auto ev = event(e, kind, "desk", now);
    ev.fields = {{"due", format_utc(d->due)}, {"late_by_s", std::to_string(r.late_by.count())}};
    std::string notified;
    for (const auto& p : r.notify) notified += (notified.empty() ? "" : ",") + p;
    ev.fields.emplace_back("notified", notified);
    out.audit.push_back(std::move(ev));
    out.reminders.push_back(std::move(r));
  }
  return out;
}

Rights check_rights(const Escalation& e, const std::string& actor, const LifecycleContext& ctx, TimePoint now) {
  Rights r;
  if (is_decided(e.state) && e.decision) {
    r.status = Rights::Status::already_decided;
    r.reason = "Already decided by " + display_name(ctx.rota, e.decision->by) + " at " + format_utc(e.decision->at) +
               " (" + to_string(e.state) + ").";
    return r;
  }
  auto grant = [&](Capacity c) {
    r.status = Rights::Status::allowed;
    r.capacity = c;
    return r;
  };
  if (e.with_legal()) {
    const std::string legal = holder_of(ctx, kLegalRole, now);
    add_unique(r.may_act, e.owner_person);
    add_unique(r.may_act, legal);
    if (!actor.empty() && (actor == e.owner_person || actor == legal)) return grant(Capacity::legal);
    r.reason = "This escalation sits with legal: only legal on-call (";
  } else {
    const std::string current_owner = holder_of(ctx, e.owner_role, now);
    const std::string director = holder_of(ctx, kDirectorRole, now);
    add_unique(r.may_act, e.owner_person);
    add_unique(r.may_act, current_owner);
    if (!actor.empty() && (actor == e.owner_person || actor == current_owner)) return grant(Capacity::owner);
    if (e.backup_pinged_at) {
      const std::string backup = holder_of(ctx, kBackupRole, now);
      add_unique(r.may_act, e.backup_person);
      add_unique(r.may_act, backup);
      if (!actor.empty() && (actor == e.backup_person || actor == backup)) return grant(Capacity::backup);
    }
    add_unique(r.may_act, director);
    if (!actor.empty() && actor == director) return grant(Capacity::director);
    r.reason = e.backup_pinged_at ? "Only the owner, the pinged backup or the marketing director ("
                                  : "Only the owner or the marketing director (";
  }
  std::string names;
  for (const auto& p : r.may_act) names += (names.empty() ? "" : ", ") + display_name(ctx.rota, p);
  r.reason += names + ") may act on " + (e.id.empty() ? std::string("this escalation") : e.id) + ".";
  return r;
}

StepResult triage(Escalation& e, const std::string& actor, const LifecycleContext& ctx, TimePoint now) {
  const Rights rights = check_rights(e, actor, ctx, now);
  if (!rights.allowed()) return refused(e, actor, rights, "triage", now);
  StepResult r;
  r.ok = true;
  if (e.triaged_at) return r;
  e.triaged_at = now;
  e.triaged_by = actor;
  e.state = EscalationState::triaged;
  auto ev = event(e, "escalation.triaged", actor, now);
  ev.fields = {{"capacity", to_string(rights.capacity)}, {"response_s", std::to_string((now - e.owned_since).count())}};
  r.audit.push_back(std::move(ev));
  return r;
}

StepResult decide(Escalation& e, Macro macro, const std::string& actor, const std::string& rationale,
                  const LifecycleContext& ctx, TimePoint now) {
  StepResult r;
  if (macro != Macro::accept && macro != Macro::reject) {
    r.error = std::string("'") + to_string(macro) + "' is not a decision.";
    return r;
  }
  const Rights rights = check_rights(e, actor, ctx, now);
  if (!rights.allowed()) return refused(e, actor, rights, to_string(macro), now);
  if (rationale.empty()) {
    r.error = "A decision needs a written rationale.";
    return r;
  }
  r = triage(e, actor, ctx, now);
  e.state = macro == Macro::accept ? EscalationState::accepted : EscalationState::rejected;
  e.decision = Decision{macro, actor, now, rationale};
  auto ev = event(e, macro == Macro::accept ? "decision.accepted" : "decision.rejected", actor, now);
  ev.fields = {{"capacity", to_string(rights.capacity)}, {"rationale", rationale}};
  // Publishing a draft the policy held is an override of the policy: say so in the trail.
  if (macro == Macro::accept) ev.fields.emplace_back("overrides_policy", "true");
  r.audit.push_back(std::move(ev));
  return r;
}

StepResult reown(Escalation& e, Macro macro, const std::string& role, const std::string& actor,
                 const std::string& rationale, const LifecycleContext& ctx, TimePoint now) {
  StepResult r;
  const Rights rights = check_rights(e, actor, ctx, now);
  if (!rights.allowed()) return refused(e, actor, rights, to_string(macro), now);
  if (!ctx.policy.roles.count(role)) {
    r.error = "There is no role '" + role + "' in the policy.";
    return r;
  }
  if (role == e.owner_role) {
    r.error = "This escalation already sits with " + role + ".";
    return r;
  }
  if (rationale.empty()) {
    r.error = "Re-routing needs a written rationale.";
    return r;
  }
  const std::string from_role = e.owner_role, from_person = e.owner_person;
  arm(e, role, ctx, now);
  e.generation += 1;
  auto ev =
      event(e, macro == Macro::escalate_to_legal ? "escalation.escalated_to_legal" : "escalation.routed", actor, now);
  ev.fields = {{"capacity", to_string(rights.capacity)},
               {"from_role", from_role},
               {"from", from_person},
               {"to_role", role},
               {"to", e.owner_person},
               {"rationale", rationale},
               {"generation", std::to_string(e.generation)},
               {"triage_due", format_utc(e.deadline(DeadlineKind::triage)->due)},
               {"decision_due", format_utc(e.deadline(DeadlineKind::decision)->due)}};
  r.ok = true;
  r.audit.push_back(std::move(ev));
  return r;
}

std::string describe_lateness(Seconds late_by, Seconds tolerance) {
  if (late_by <= tolerance) return {};
  return "sent " + format_duration(late_by) + " late: the desk was down";
}

}  // namespace desk::core
