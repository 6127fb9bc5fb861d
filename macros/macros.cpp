#include "macros/macros.hpp"

#include <algorithm>

namespace desk::macros {
namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

MacroOutcome from_rights(const core::Rights& rights, std::vector<core::AuditEvent> audit) {
  MacroOutcome out;
  out.status = rights.status == core::Rights::Status::already_decided ? MacroOutcome::Status::already_decided
                                                                      : MacroOutcome::Status::refused;
  out.message = rights.reason;
  out.audit = std::move(audit);
  return out;
}

}  // namespace

const char* button_label(core::Macro macro) {
  switch (macro) {
    case core::Macro::accept:
      return "Accept";
    case core::Macro::reject:
      return "Reject";
    case core::Macro::escalate_to_legal:
      return "Escalate to legal";
    case core::Macro::route:
      return "Route";
  }
  return "";
}

std::vector<core::Macro> available_macros(const core::Escalation& e) {
  if (core::is_decided(e.state)) return {};
  if (e.with_legal()) return {core::Macro::accept, core::Macro::reject};
  return {core::Macro::accept, core::Macro::reject, core::Macro::escalate_to_legal};
}

RationaleCheck check_rationale(std::string_view text, std::size_t min_chars, std::size_t max_chars) {
  while (!text.empty() && is_space(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && is_space(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  RationaleCheck r;
  const std::size_t n = core::code_points(text);
  if (n == 0) {
    r.error = "Write a rationale: every decision needs one.";
  } else if (n < min_chars) {
    r.error = "The rationale is too short (" + std::to_string(n) + " characters): write at least " +
              std::to_string(min_chars) + " characters saying why.";
  } else if (n > max_chars) {
    r.error = "The rationale is too long (" + std::to_string(n) + " characters): keep it under " +
              std::to_string(max_chars) + ".";
  } else if (text.find('\0') != std::string_view::npos) {
    r.error = "The rationale contains a NUL character.";
  } else {
    r.ok = true;
    r.text = std::string(text);
  }
  return r;
}

MacroOutcome click(core::Escalation& e, core::Macro macro, const std::string& actor, const core::LifecycleContext& ctx,
                   core::TimePoint now) {
  MacroOutcome out;
  const auto offered = available_macros(e);
  const bool is_offered =
      std::find(offered.begin(), offered.end(), macro) != offered.end() || macro == core::Macro::route;
  const auto rights = core::check_rights(e, actor, ctx, now);
  if (!rights.allowed()) {
    std::vector<core::AuditEvent> audit;
    if (rights.status == core::Rights::Status::denied) {
      audit.push_back(
          {"rights.denied", e.id, actor, now, {{"attempted", core::to_string(macro)}, {"reason", rights.reason}}});
    }
    return from_rights(rights, std::move(audit));
  }
  if (!is_offered) {
    out.message = std::string("\"") + button_label(macro) + "\" is not available on " + e.id + " now.";
    return out;
  }
  auto step = core::triage(e, actor, ctx, now);
  out.status = MacroOutcome::Status::done;
  out.audit = std::move(step.audit);
  return out;
}

MacroOutcome apply(core::Escalation& e, const MacroRequest& request, const core::LifecycleContext& ctx,
                   core::TimePoint now) {
  MacroOutcome out;
  const auto rights = core::check_rights(e, request.actor, ctx, now);
  if (!rights.allowed()) {
    std::vector<core::AuditEvent> audit;
    if (rights.status == core::Rights::Status::denied)
      audit.push_back({"rights.denied",
                       e.id,
                       request.actor,
                       now,
                       {{"attempted", core::to_string(request.macro)}, {"reason", rights.reason}}});
    return from_rights(rights, std::move(audit));
  }
  const auto rationale = check_rationale(request.rationale, ctx.policy.desk.min_rationale_chars);
  if (!rationale.ok) {
    out.message = rationale.error;
    out.field = "rationale";
    return out;
  }
  core::StepResult step;
  switch (request.macro) {
    case core::Macro::accept:
    case core::Macro::reject:
      step = core::decide(e, request.macro, request.actor, rationale.text, ctx, now);
      break;
    case core::Macro::escalate_to_legal:
      step = core::reown(e, request.macro, core::kLegalRole, request.actor, rationale.text, ctx, now);
      break;
    case core::Macro::route:
      if (request.route_to.empty()) {
        out.message = "Choose the role to route this escalation to.";
        out.field = "route_to";
        return out;
      }
      step = core::reown(e, request.macro, request.route_to, request.actor, rationale.text, ctx, now);
      if (!step.ok) out.field = "route_to";
      break;
  }
  out.audit = std::move(step.audit);
  out.message = step.error;
  out.status = step.ok ? MacroOutcome::Status::done : MacroOutcome::Status::invalid;
  return out;
}

MacroOutcome may_file_postmortem(const core::Escalation& e, const std::string& actor, const core::LifecycleContext& ctx,
                                 core::TimePoint now) {
  MacroOutcome out;
  if (!core::is_decided(e.state) || !e.decision) {
    out.message = e.id + " has no decision yet: its post-mortem can be filed once it is decided.";
    return out;
  }
  if (!actor.empty() && actor == e.decision->by) {
    out.status = MacroOutcome::Status::done;
    return out;
  }
  core::Escalation undecided = e;  // the rights it would take to decide it now
  undecided.decision.reset();
  undecided.state = core::EscalationState::triaged;
  const auto rights = core::check_rights(undecided, actor, ctx, now);
  if (rights.allowed()) {
    out.status = MacroOutcome::Status::done;
    return out;
  }
  std::vector<std::string> may{e.decision->by};
  for (const auto& p : rights.may_act)
    if (!p.empty() && std::find(may.begin(), may.end(), p) == may.end()) may.push_back(p);
  std::string names;
  for (const auto& p : may) names += (names.empty() ? "" : ", ") + core::display_name(ctx.rota, p);
  out.status = MacroOutcome::Status::refused;
  out.message = "Only who decided " + e.id + " or who may act on it (" + names + ") may file its post-mortem.";
  out.audit.push_back({"rights.denied", e.id, actor, now, {{"attempted", "postmortem"}, {"reason", out.message}}});
  return out;
}

MacroOutcome may_start_drill(const std::string& actor, const core::LifecycleContext& ctx, core::TimePoint now) {
  std::vector<std::string> may;
  auto add = [&](const std::string& p) {
    if (!p.empty() && std::find(may.begin(), may.end(), p) == may.end()) may.push_back(p);
  };
  if (const auto director = ctx.rota.holder(core::kDirectorRole, now, ctx.overrides)) add(director->person);
  for (const auto& [id, spec] : ctx.rota.roles())
    for (const auto& p : spec.may_override) add(p);
  MacroOutcome out;
  if (ctx.rota.person(actor) && std::find(may.begin(), may.end(), actor) != may.end()) {
    out.status = MacroOutcome::Status::done;
    return out;
  }
  std::string names;
  for (const auto& p : may) names += (names.empty() ? "" : ", ") + core::display_name(ctx.rota, p);
  out.status = MacroOutcome::Status::refused;
  out.message = "A fire drill pages the people on duty, so only the marketing director and the desk's leads (" +
                (names.empty() ? std::string("nobody is configured") : names) + ") may start one.";
  out.audit.push_back({"rights.denied", "", actor, now, {{"attempted", "drill.start"}, {"reason", out.message}}});
  return out;
}

}  // namespace desk::macros
