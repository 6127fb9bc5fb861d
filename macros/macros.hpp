#pragma once
/// The response macros — Accept, Reject, Escalate to legal, and route to another owner — as pure
/// operations over an escalation: the click (decision rights, then triage), the rationale check, and
/// the decision itself. Handlers call these and carry out the effects (modal, message update, callback).
#include <string>
#include <string_view>
#include <vector>

#include "core/lifecycle.hpp"

namespace desk::macros {

/// Exactly the labels Slack users see on the buttons.
const char* button_label(core::Macro macro);

/// The macros an escalation offers now: none once decided; no "Escalate to legal" while with legal.
std::vector<core::Macro> available_macros(const core::Escalation& e);

struct RationaleCheck {
  bool ok = false;
  std::string text;   ///< trimmed rationale when ok
  std::string error;  ///< inline error for the form field when not ok
};

inline constexpr std::size_t kMaxRationaleChars = 3000;  // Slack's plain-text input limit

/// Trims the rationale and checks its length in characters (code points), not bytes.
RationaleCheck check_rationale(std::string_view text, std::size_t min_chars,
                               std::size_t max_chars = kMaxRationaleChars);

struct MacroOutcome {
  enum class Status { done, refused, already_decided, invalid } status = Status::invalid;
  std::string message;  ///< for the person: why not, or what happened
  std::string field;    ///< for `invalid`: the form field at fault ("rationale", "route_to")
  std::vector<core::AuditEvent> audit;
  bool ok() const { return status == Status::done; }
};

/// A click on a macro button: checks decision rights and counts as the first response (triage).
/// `done` means the rationale form may open.
MacroOutcome click(core::Escalation& e, core::Macro macro, const std::string& actor, const core::LifecycleContext& ctx,
                   core::TimePoint now);

struct MacroRequest {
  core::Macro macro = core::Macro::accept;
  std::string actor;      ///< person id
  std::string rationale;  ///< as typed
  std::string route_to;   ///< role id, for Macro::route
};

/// The rationale form was submitted: validates it, re-checks rights (the rota may have moved since the
/// click) and applies the macro. A decided escalation answers "already decided by X at T".
MacroOutcome apply(core::Escalation& e, const MacroRequest& request, const core::LifecycleContext& ctx,
                   core::TimePoint now);

/// Who may file the post-mortem of a decided escalation: the person who decided it, or anyone the
/// decision-rights check would let act on it had it not been decided (its owner, the pinged backup,
/// the marketing director; legal on-call while it sits with legal). `done`, or `invalid` before a
/// decision, or `refused` naming who may, with a "rights.denied" audit event (attempted: postmortem).
MacroOutcome may_file_postmortem(const core::Escalation& e, const std::string& actor, const core::LifecycleContext& ctx,
                                 core::TimePoint now);

/// Who may start a fire drill from a surface (a drill pages real people): whoever holds the marketing
/// director role now, and the people who may override a role's rota (the desk's leads). `done`, or
/// `refused` naming who may, with a "rights.denied" audit event (attempted: drill.start).
MacroOutcome may_start_drill(const std::string& actor, const core::LifecycleContext& ctx, core::TimePoint now);

}  // namespace desk::macros
