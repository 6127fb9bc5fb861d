#pragma once
/// What a person can do to the desk from any surface, with the person already resolved from the
/// surface's identity: start a decision on an escalation (a click on Accept, Reject, Escalate to
/// legal or Route), complete it with a rationale, and escalate something by hand. Each call checks
/// rights through the macros, commits every lasting change with its audit events and one outbox row
/// per surface in one store transaction, and answers with data a surface renders in its own way
/// (Slack: Block Kit; Teams: Adaptive Cards; the console: HTML). Nothing here throws to the caller.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/escalation.hpp"
#include "core/metrics.hpp"
#include "core/text_scan.hpp"
#include "handlers/effects.hpp"
#include "handlers/evidence_masker.hpp"
#include "handlers/policy_set.hpp"
#include "macros/macros.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

/// What a person is told when their change could not be made for the desk's own trouble (the log
/// says what it was).
inline constexpr const char* kDatabaseTrouble =
    "The desk cannot reach its database right now, so nothing changed. Try again in a minute.";
inline constexpr const char* kInternalTrouble =
    "The desk failed to handle this, so nothing changed. Try again in a minute.";

/// An id as typed by a stranger, cut to 100 bytes so it can be quoted back.
std::string quoted_id(const std::string& id);
using core::trimmed;

/// What the desk's actions work with. The store must outlive them.
struct DeskActionDependencies {
  storage::Store& store;
  PolicyResolver resolve_policy;                                     ///< an escalation's PolicySet by its policy digest
  std::function<std::shared_ptr<const PolicySet>()> current_policy;  ///< for new escalations
  core::Metrics* metrics = nullptr;                                  ///< optional
  SurfaceNames surfaces = {};  ///< every surface that shows escalations gets each update
};

/// The answer to a decision step. `outcome` says whether it happened (done) or why not (refused,
/// already decided, invalid — with the form field at fault), in words for the person.
struct DecisionResult {
  macros::MacroOutcome outcome;
  bool changed = false;                        ///< the store changed: clocks and outbox should look again
  std::string log;                             ///< a problem for the operators' log; empty when none
  std::optional<core::Escalation> escalation;  ///< as it stands after the step, when it exists
  std::shared_ptr<const PolicySet> policy;     ///< the policy it was opened under, when loadable
};

/// Something a person escalates by hand (/escalate in Slack, a form elsewhere), as typed.
struct ManualEscalation {
  std::string what;          ///< the text or a description (required, < 40,000 bytes)
  std::string where;         ///< a link to it (optional, http(s))
  std::string workflow;      ///< one of the policy's workflows
  std::string why;           ///< the reason (a rationale: policy's minimum length)
  std::string actor;         ///< person id (or the surface's user id when the rota has no such person)
  std::string surface;       ///< where it was typed, recorded as the submission's channel
  std::string surface_user;  ///< the surface's user id, recorded as the submitting "agent"
};

/// The field names a ManualEscalation's errors are keyed by.
inline constexpr const char* kManualWhat = "what";
inline constexpr const char* kManualWhere = "where";
inline constexpr const char* kManualWorkflow = "workflow";
inline constexpr const char* kManualWhy = "why";

struct ManualEscalationResult {
  std::map<std::string, std::string> errors;  ///< by field, every problem at once; empty when opened
  std::string escalation_id;
  std::string owner_name;  ///< "not yet known" when the rota has nobody for the role
  bool changed = false;
  std::string log;
  bool ok() const { return errors.empty() && !escalation_id.empty(); }
};

/// A fire drill someone started from a surface (/drill in Slack).
struct DrillStart {
  std::string scenario;
  std::string workflow;  ///< optional
  std::string actor;     ///< person id (or the surface's user id when the rota has no such person)
};

struct DrillStartResult {
  enum class Status { started, missed, refused, invalid } status = Status::invalid;
  std::string field;    ///< invalid: "scenario" or "workflow"
  std::string message;  ///< refused or invalid: for the person; missed: why the score is 0
  std::string escalation_id;
  std::string workflow;
  std::string owner_name;  ///< started: who owns it ("not yet known" when the rota has nobody)
  bool changed = false;
  std::string log;
};

/// What someone wrote in an escalation's thread on a surface, as they wrote it.
struct ThreadReply {
  std::string escalation_id;
  std::string author;  ///< person id, or the surface's user id for someone not in the policy
  std::string text;
  std::string surface;     ///< "slack", …
  std::string message_id;  ///< the reply's id there (Slack ts)
};

/// A message someone wrote in the desk channel mentioning the desk or its on-call group (the
/// hotline), as recorded by Store::record_hotline_message.
struct ChannelRaise {
  storage::HotlineMessage message;
  std::string permalink;  ///< the message's link on its surface (Slack: chat.getPermalink); empty when unknown
};

struct ChannelRaiseResult {
  enum class Status {
    opened,         ///< a new escalation, with the answer in the message's thread
    opened_before,  ///< the message has its escalation already: nothing written
    off,            ///< the config names no hotline workflow: nothing written
    failed,         ///< the desk's own trouble (`log` says what); the message stays pending
  } status = Status::failed;
  std::string escalation_id;
  std::string owner_name;
  bool changed = false;
  std::string log;
};

/// The longest text of a thread reply the record keeps; the rest is cut, and the record says so.
inline constexpr std::size_t kThreadReplyChars = 4000;

/// The longest a rota override may last.
inline constexpr core::Seconds kMaxOverrideLength = std::chrono::hours(24 * 31);

/// Someone covers a role until a time (/rota override in Slack, the Rota page of the sandbox).
struct RotaOverrideRequest {
  std::string role;
  std::string person;                    ///< person id of who covers; empty or unknown: invalid
  std::optional<core::TimePoint> until;  ///< nullopt: what was typed could not be read
  std::string actor;                     ///< person id (or the surface's user id when the rota has no such person)
  std::string how;                       ///< recorded as the override's reason, e.g. "set with /rota override"
};

struct RotaOverrideResult {
  enum class Status { done, refused, invalid } status = Status::invalid;
  /// Why it was not done, for each surface to put in its own words.
  enum class Problem {
    none,
    no_policy,
    unknown_role,
    refused,         ///< the actor may not override this role
    unknown_person,  ///< who would cover is not one of the desk's people
    unreadable_until,
    until_passed,
    until_too_far,  ///< past kMaxOverrideLength
    not_saved,      ///< the store failed
  } problem = Problem::none;
  /// refused: the rule and who may (audited); invalid: what is wrong with field().
  std::string message;
  std::shared_ptr<const PolicySet> policy;  ///< the policy it was checked against, when loaded
  bool changed = false;
  bool ok() const { return status == Status::done; }
  /// The request's field the problem is about: "role", "person", "until", or "" (none, refused, not saved).
  std::string_view field() const;
};

class DeskActions {
 public:
  explicit DeskActions(DeskActionDependencies deps);

  /// A click on a macro for the escalation as its surface showed it at `generation`: checks rights,
  /// commits the triage (the first response stops the triage clock) and answers `done` when the
  /// rationale form may open; a stale message (re-owned since) or a refusal changes nothing.
  DecisionResult begin(const std::string& escalation_id, int generation, core::Macro macro, const std::string& actor,
                       core::TimePoint now);

  /// The rationale form was submitted: re-checks rights and the generation, applies the macro and
  /// commits the decision (or re-ownership) with a message update, a thread reply on every surface
  /// and the agent's callback.
  DecisionResult decide(const std::string& escalation_id, int generation, const macros::MacroRequest& request,
                        core::TimePoint now);

  /// Opens an escalation a person asked for, with the same clocks and audit as an agent's.
  ManualEscalationResult escalate(const ManualEscalation& request, core::TimePoint now);

  /// Opens an escalation for a message raised in the desk channel (the hotline), under the config's
  /// hotline workflow: its text scanned like any draft, its author recorded as who escalated, its
  /// permalink as the evidence's; committed with the message's record (once, however often the
  /// message arrives), a post on every surface, and an answer in the message's own thread on its
  /// surface naming the escalation and its owner.
  ChannelRaiseResult raise_from_channel(const ChannelRaise& raise, core::TimePoint now);

  /// Records that a hotline message was edited (its new text masked like evidence) or deleted, on
  /// its escalation's timeline (hotline.source_edited / hotline.source_deleted). False when the
  /// message is no hotline message with an escalation, or an edit leaves the text unchanged.
  bool record_hotline_change(const storage::MessageKey& key, const std::optional<std::string>& new_text,
                             const std::string& author, core::TimePoint now);

  /// Starts a fire drill: checks who may (the marketing director and the desk's leads; a refusal is
  /// audited), then sends the scenario's draft through the policy like an agent's. Escalated: it opens
  /// a drill escalation with the real clocks and rights, posted on every surface. Let through: the
  /// drill is recorded as missed, scored 0. Either way nothing counts in the real figures.
  DrillStartResult start_drill(const DrillStart& request, core::TimePoint now);

  /// Sets a rota override from now until `until`. The role is checked first, then rights (someone
  /// who may not set overrides learns that whatever else is wrong; the attempt is audited), then the
  /// person and the end (in the future, at most kMaxOverrideLength ahead). Commits it with its audit.
  RotaOverrideResult override_role(const RotaOverrideRequest& request, core::TimePoint now);

  /// Posts the rota for everyone in the desk channel, on every surface (/rota publish): each role's
  /// holder now, until when and who is next; audited as rota.published by `actor`. False when there
  /// is no policy or no surface to post on (nothing written).
  bool publish_rota(const std::string& actor, core::TimePoint now);

  /// Adds a person's reply in an escalation's thread to its record (audited as thread.reply, the text
  /// with personal data masked like evidence, kept beside the chain so that erasure removes it). False
  /// when the escalation does not exist or the text is empty: nothing written.
  bool add_thread_reply(const ThreadReply& reply, core::TimePoint now);

 private:
  DecisionResult begin_checked(core::Escalation e, int generation, core::Macro macro, const std::string& actor,
                               core::TimePoint now);
  DecisionResult decide_checked(core::Escalation e, int generation, const macros::MacroRequest& request,
                                core::TimePoint now);
  struct OpenedEscalation {
    std::string escalation_id;
    std::string owner_name;
  };
  /// Opens an escalation for `s` as evaluated and commits it with its submission, `audit` (then the
  /// opening's own events), a post on every surface and, for a fire drill, the drill's record.
  /// Extra rows written with an opening: a fire drill's record, a hotline message's, more outbox rows.
  struct OpeningExtras {
    std::optional<storage::Drill> drill;
    std::optional<storage::MessageKey> hotline_source;
    std::vector<storage::OutboxMessage> outbox;
  };
  OpenedEscalation open_and_commit(const PolicySet& policy, const core::Submission& s, const core::Evaluation& ev,
                                   std::vector<core::AuditEvent> audit, OpeningExtras extras, core::TimePoint now);
  /// `text` masked like evidence under the escalation's policy, cut at kThreadReplyChars saying so;
  /// the bool says whether it was cut.
  std::pair<std::string, bool> masked_note(const core::Escalation& e, const std::string& text);
  std::vector<storage::OutboxMessage> decision_outbox(const core::Escalation& e, const std::string& actor,
                                                      const std::string& rationale, core::TimePoint now);

  DeskActionDependencies deps_;
  EvidenceMasker masker_;
};

}  // namespace desk::handlers
