#pragma once
/// Slack Block Kit bodies for everything the desk shows in Slack: the escalation message and its
/// updates, thread replies (decision, backup ping, breaches, re-owning), the rationale modal, ephemeral
/// refusals, and a checker for Block Kit's limits (reference/slack.md §5).
///
/// Every builder is a pure function: no I/O, no clock. Bodies leave out what the sender sets
/// ("channel", "ts", "thread_ts", "user", "trigger_id"). Text that the desk did not author (agent
/// output, names, rationales, URLs) is escaped for mrkdwn and cut at a character boundary to fit the
/// limits, so no input can break a message or ping `<!channel>`.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/drill.hpp"
#include "core/escalation.hpp"
#include "core/lifecycle.hpp"
#include "core/rota.hpp"
#include "macros/macros.hpp"
#include "storage/store.hpp"

namespace desk::bot::slack {

/// A person as a message names them: a mention when the Slack user id is known, else the name.
struct PersonRef {
  std::string slack_user;  ///< "U…"/"W…"; empty when not known
  std::string name;        ///< display name (or the person id)
  bool empty() const { return slack_user.empty() && name.empty(); }
};

/// The person `person_id` of the rota; a bare Slack user id (not a configured person) is kept as one.
PersonRef person_ref(const core::Rota& rota, const std::string& person_id);

/// What the escalation message shows that the Escalation itself does not hold.
struct EscalationView {
  std::string masked_excerpt;  ///< the output with personal data masked (core::Evaluation::masked_output)
  std::string permalink;
  std::string suggested_fix;
  PersonRef owner;           ///< holder of the owner role (from the rota)
  PersonRef backup;          ///< who the backup ping would reach (from the rota)
  std::string usergroup_id;  ///< "S…" of the on-duty user group; empty when not known
  /// Set when the submission's personal data was erased on request: the message says so in place of
  /// the excerpt and the suggested fix.
  std::optional<core::TimePoint> erased_at;
};

// ---- Text helpers (also useful to other Slack handlers) ----

/// Length as Slack counts it for its limits. Counted in UTF-16 code units, the stricter reading of
/// "characters" (an emoji counts 2), so text that fits here fits whichever way Slack counts.
std::size_t slack_length(std::string_view text);

/// `&`, `<`, `>` escaped for mrkdwn; invalid UTF-8 replaced by U+FFFD.
std::string escape_mrkdwn(std::string_view text);

/// How `fit_text` renders the text it is given.
enum class TextMode {
  plain,   ///< for plain_text objects: as is
  mrkdwn,  ///< escaped for mrkdwn
  quoted,  ///< escaped, and every line quoted with ">"
};

/// `text` rendered in `mode` within `limit` (slack_length); when it does not fit, cut at a character
/// boundary (never inside a UTF-8 sequence, an entity, or before a combining mark or emoji modifier)
/// and ended with "…". Invalid UTF-8 is replaced by U+FFFD, so the result is always valid.
std::string fit_text(std::string_view text, std::size_t limit, TextMode mode = TextMode::mrkdwn);

/// `text` rendered in `mode` as up to `max_chunks` pieces of at most `limit` each (for text longer
/// than one section may hold, e.g. a rationale); the last piece ends with "…" if text was left over.
std::vector<std::string> split_text(std::string_view text, std::size_t limit, std::size_t max_chunks,
                                    TextMode mode = TextMode::mrkdwn);

/// "<@U0A>" when the Slack user id is known and well-formed, else the escaped name, else "nobody".
std::string mention(const PersonRef& person);

/// `<!date^1764493500^{date_short_pretty} {time}|2026-11-30 09:05 UTC>`: each reader sees their own
/// time zone; the UTC text is the fallback.
std::string slack_date(core::TimePoint t);

// ---- Ids carried by messages and modals ----

/// "desk.accept", "desk.reject", "desk.escalate_to_legal", "desk.route".
std::string action_id(core::Macro macro);
std::optional<core::Macro> macro_from_action_id(std::string_view action_id);

/// The Post-mortem button's action id (on a decided message, in the actions block).
inline constexpr const char* kPostMortemActionId = "desk.postmortem";

/// The actions block's id, "esc:ESC-000042:g1:actions": a click on a button of an earlier generation
/// (before the escalation was re-owned) can be recognised as stale.
std::string actions_block_id(const core::Escalation& e);
struct ActionsBlockRef {
  std::string escalation_id;
  int generation = 0;
};
std::optional<ActionsBlockRef> parse_actions_block_id(std::string_view block_id);

// ---- The escalation message ----

/// chat.postMessage body (without "channel"): fallback text, blocks, metadata
/// {"event_type":"escalation_posted","event_payload":{"escalation_id":…}} and unfurl_links false.
nlohmann::json escalation_post(const core::Escalation& e, const EscalationView& view);

/// chat.update body (without "channel"/"ts"): the same information plus the outcome. Once decided it
/// names who decided and when, quotes the rationale, and has only the Post-mortem button; while with legal it shows
/// "With legal: …" with legal's own buttons and the fresh deadlines. An empty view.owner is filled in
/// from the rota.
nlohmann::json escalation_update(const core::Escalation& e, const EscalationView& view, const core::Rota& rota);

// ---- Thread replies: {text, blocks, metadata}, without "channel"/"thread_ts" ----

/// "Accepted by <@U…> at …" with the rationale quoted.
nlohmann::json decision_reply(const core::Escalation& e, const core::Rota& rota);

/// Pings the backup and the director (`r.notify`), saying how late the ping is and why when late.
nlohmann::json backup_ping_reply(const core::Reminder& r, const core::Escalation& e, const core::Rota& rota);

/// A triage or decision breach: says the draft stays held and nobody has decided yet.
nlohmann::json breach_reply(const core::Reminder& r, const core::Escalation& e, const core::Rota& rota);

/// The reply for any reminder that fired: backup_ping_reply or breach_reply.
nlohmann::json reminder_reply(const core::Reminder& r, const core::Escalation& e, const core::Rota& rota);

/// After Escalate to legal (or a route to another role): mentions the new owner (legal on-call), says
/// who re-owned it and why, and gives the fresh deadlines. `actor` is a person id.
nlohmann::json reowned_reply(const core::Escalation& e, const core::Rota& rota, const std::string& actor,
                             const std::string& rationale);
/// reowned_reply for an escalation that is now with legal.
nlohmann::json legal_escalated_reply(const core::Escalation& e, const core::Rota& rota, const std::string& actor,
                                     const std::string& rationale);

/// "Post-mortem filed by <@U…>" on `e`: who filed it, not what it says (its texts may quote people;
/// they are read where the desk shows the escalation). `actor` is a person id.
nlohmann::json postmortem_reply(const core::Escalation& e, const core::Rota& rota, const std::string& actor);

/// The answer in a hotline message's own thread (`author_user` is its author's Slack id): the
/// escalation it became, its owner (mentioned) and clocks, and a link to its post when known.
nlohmann::json hotline_reply(const core::Escalation& e, const core::Rota& rota, const std::string& author_user,
                             const std::string& post_link);

/// The thread reply scoring a fire drill once decided: the score out of 100 and each check with why.
nlohmann::json drill_score_reply(const core::Escalation& e, const core::DrillScore& score);

// ---- The rationale modal ----

/// A role the route select offers.
struct RouteOption {
  std::string role;   ///< role id (the option value)
  std::string label;  ///< what the person sees
};

/// Every role of the rota except the one that owns `e` now, labelled with its title.
std::vector<RouteOption> route_options(const core::Rota& rota, const core::Escalation& e);

/// What the modal carries in private_metadata. It comes back from the client: re-check everything.
struct RationaleMetadata {
  std::string escalation_id;
  core::Macro macro = core::Macro::accept;
  int generation = 0;
};
std::optional<RationaleMetadata> parse_rationale_metadata(std::string_view private_metadata);

/// views.open `view` (callback_id "desk.rationale"): a rationale input (block "rationale", action
/// "rationale_input"; its minimum length is checked by macros::check_rationale, not by Slack), and for
/// Macro::route a select of `routes` (block "route_to", action "route_select").
nlohmann::json rationale_modal(const core::Escalation& e, core::Macro macro, const std::string& actor_name,
                               const std::vector<RouteOption>& routes = {});

/// The view_submission ack that shows `message` under the input `field` ("rationale", "route_to").
nlohmann::json rationale_errors(const std::string& field, const std::string& message);

// ---- The post-mortem modal ----

/// views.open `view` (callback_id "desk.postmortem", private_metadata {"escalation_id"}): three
/// required multiline inputs, blocks "what_triggered", "what_fixed", "what_to_automate" (actions
/// "<block>_input", at most handlers::kMaxPostMortemChars), pre-filled from `existing` when set.
nlohmann::json postmortem_modal(const core::Escalation& e, const std::string& actor_name,
                                const storage::PostMortem* existing);

/// The escalation id the post-mortem modal carries; nullopt when the metadata does not read as one.
std::optional<std::string> parse_postmortem_metadata(std::string_view private_metadata);

/// chat.postEphemeral body (without "channel"/"user") telling a person why their click changed nothing.
nlohmann::json refusal_ephemeral(const macros::MacroOutcome& outcome);

// ---- Limits ----

/// Every way `message_or_view` breaks Block Kit's limits (reference/slack.md §5), as
/// "<json-pointer>: <what is wrong>"; empty when it is fine. A view is recognised by "type": "modal"
/// (or "home"); anything else is checked as a message body.
std::vector<std::string> block_kit_problems(const nlohmann::json& message_or_view);

/// A message body Block Kit accepts: `message` itself when it has no problems, else degraded in steps,
/// each only while problems remain: links become plain text and every text is cut (at a character,
/// entity and link boundary) to its block's limit; then only the header, the fallback text as one
/// section and the buttons stay; then the fallback text alone. Slack would refuse the whole message
/// (invalid_blocks) where people can do with a shorter one. `problems` receives what was wrong.
nlohmann::json fit_block_kit(nlohmann::json message, std::vector<std::string>* problems = nullptr);

}  // namespace desk::bot::slack
