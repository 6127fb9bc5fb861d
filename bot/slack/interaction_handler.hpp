#pragma once
/// Slack's side of the desk's actions: turns a macro button click or a modal submission into a
/// DeskActions call (handlers/desk_actions.hpp, where rights, commits and outbox rows live) and its
/// answer into DATA — the ack payload and the Slack calls to make right after the ack. Nothing here
/// throws to the caller.
///
///   click Accept ──▶ rights? ──no──▶ ephemeral refusal, "rights.denied" audited
///                       │yes
///                       ▼
///                  triage committed (+ slack.update_escalation) ──▶ views.open rationale modal
///                                                                         │ submit
///                                                                         ▼
///   rationale valid? ──no──▶ inline error, nothing written
///         │yes
///         ▼
///   decided / re-owned committed (+ update, thread reply, callback.decision) ──▶ modal closes
///
/// The Post-mortem button of a decided message opens its form the same way (handlers/postmortems.hpp).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/slack/slack_payloads.hpp"
#include "core/clock.hpp"
#include "core/escalation.hpp"
#include "core/metrics.hpp"
#include "handlers/desk_actions.hpp"
#include "handlers/effects.hpp"
#include "handlers/policy_set.hpp"
#include "handlers/postmortems.hpp"
#include "storage/store.hpp"

namespace desk::bot::slack {

/// A Slack Web API call that must happen now (not through the outbox): opening a modal within the
/// trigger's 3 s, or an ephemeral answer to the person who clicked.
struct SlackCall {
  enum class Kind { views_open, chat_post_ephemeral } kind = Kind::chat_post_ephemeral;
  std::string trigger_id;  ///< views_open
  std::string channel;     ///< chat_post_ephemeral
  std::string user;        ///< chat_post_ephemeral
  nlohmann::json body;     ///< the view (views_open), or {text, blocks} (chat_post_ephemeral)
};

/// The answer to one interaction or slash command.
struct InteractionResult {
  /// Travels in the Socket Mode ack (modal errors, slash replies). Shared and never changed, so a
  /// cached answer (a /rota burst) goes into each ack without a copy, and is serialised once.
  std::shared_ptr<const nlohmann::json> ack_payload;
  std::vector<SlackCall> calls;  ///< carried out right after the ack
  bool changed = false;          ///< the store changed: the SLA timer and outbox sender should look again
  std::string log;  ///< a problem for the desk's log (a refused payload, a missing snapshot); empty when none
};

/// What the Slack handlers work with. The store must outlive them.
struct SlackDependencies {
  storage::Store& store;
  handlers::PolicyResolver resolve_policy;  ///< an escalation's handlers::PolicySet by its policy digest
  std::function<std::shared_ptr<const handlers::PolicySet>()> current_policy;  ///< for new escalations and /rota
  core::Metrics* metrics = nullptr;                                            ///< optional
  /// Why the on-duty user group is not kept on the duty lead (mrkdwn), shown by /rota; nullopt or
  /// unset when it is, or when the feature is off.
  std::function<std::optional<std::string>()> usergroup_notice = {};
  /// The surfaces that show escalations: each decision updates and replies on every one of them.
  handlers::SurfaceNames surfaces = {};
};

/// What the transport-neutral actions need, from what the Slack surface is given.
handlers::DeskActionDependencies action_dependencies(const SlackDependencies& deps);

/// Callback ids of the desk's modals.
inline constexpr const char* kRationaleCallbackId = "desk.rationale";
inline constexpr const char* kEscalateCallbackId = "desk.escalate";
inline constexpr const char* kPostMortemCallbackId = "desk.postmortem";

/// Button clicks and modal submissions. Safe to use from one thread (the Socket Mode reader); the
/// store settles races between desks with its version check.
class InteractionHandler {
 public:
  using Dependencies = SlackDependencies;
  explicit InteractionHandler(Dependencies deps);

  /// Parses an `interactive` envelope's payload and dispatches it. A payload that does not parse is
  /// only logged (Slack shows nothing for a plain ack of a click).
  InteractionResult on_payload(const nlohmann::json& payload, core::TimePoint now);

  /// A click on Accept, Reject or Escalate to legal: checks rights, commits the triage and opens the
  /// rationale modal; or answers the clicker privately why nothing happened.
  InteractionResult on_block_actions(const BlockAction& action, core::TimePoint now);

  /// The rationale modal ("desk.rationale"), the /escalate modal ("desk.escalate") or the post-mortem
  /// form ("desk.postmortem") was submitted.
  InteractionResult on_view_submission(const ViewSubmission& view, core::TimePoint now);

  /// A modal was closed: nothing to do (plain ack).
  InteractionResult on_view_closed(const ViewClosed& view, core::TimePoint now);

 private:
  InteractionResult submit_rationale(const ViewSubmission& view, core::TimePoint now);
  InteractionResult submit_escalate(const ViewSubmission& view, core::TimePoint now);
  /// A click on Post-mortem: the form, pre-filled with the stored one, or a private refusal.
  InteractionResult open_postmortem(const BlockAction& action, core::TimePoint now);
  InteractionResult submit_postmortem(const ViewSubmission& view, core::TimePoint now);

  Dependencies deps_;
  handlers::DeskActions actions_;            ///< what the clicks and forms ask for, transport-neutral
  handlers::PostMortemActions postmortems_;  ///< the same for post-mortems
};

}  // namespace desk::bot::slack
