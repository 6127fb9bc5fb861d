#pragma once
/// The console's pages as pure functions from what the desk knows to HTML: the board, an
/// escalation's page, the rota, the figures, the sandbox's channel and rationale form, and the login
/// form. No I/O, no clock: the caller gathers the data (console_app.cpp) and passes `now`.
///
/// Every page is complete HTML that works without JavaScript (forms post, links navigate); the
/// script (assets/console.js) only adds live updates from GET /v1/events and the running clocks.
/// Names match what a screen reader and the browser tests look for: buttons "Accept", "Reject",
/// "Escalate to legal", the field "Rationale" and its button "Decide", the selector "Acting as".
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/escalation.hpp"
#include "handlers/channel_notices.hpp"
#include "storage/store.hpp"

namespace desk::bot::console {

struct PersonOption {
  std::string id;
  std::string name;
};

/// Who is looking and what the page offers them.
struct Viewer {
  bool sandbox = false;              ///< the console is the channel: the Channel view, Acting as, the forms
  int speed = 1;                     ///< sandbox clocks run this many times faster
  std::vector<PersonOption> people;  ///< everyone in the config, for Acting as
  std::string acting_as;             ///< person id; empty: nobody chosen yet
  bool logged_in = false;            ///< a token session: the page offers to log out
};

/// A line above the page's content: the answer to what the person just did.
struct Notice {
  std::string text;
  bool error = false;
};

/// An escalation with what its views show besides the Escalation itself.
struct EscalationCard {
  core::Escalation escalation;
  std::string owner_name;      ///< who holds it now, by name
  std::string masked_excerpt;  ///< the output with personal data masked
  std::string permalink;
  std::string suggested_fix;
  bool erased = false;  ///< its evidence was erased on request
  std::string decided_by_name;
  std::string backup_name, director_name;  ///< pinged, by name (empty: not pinged)
};

/// One message of the sandbox's channel under an escalation: a thread reply, a ping, a direct message.
struct ChannelMessage {
  std::string kind;  ///< the effect ("thread_reply", "ping", "direct_message")
  std::string text;  ///< what it says, already worded for people
  core::TimePoint at{};
  std::string state;      ///< the outbox row's state: "sent", "pending", "failed"
  std::string image_uri;  ///< a notice's image as a data: URI (the digest's run chart); empty: none
  std::string image_alt;
};

/// An escalation as the channel shows it: its post (as it stands now) and its thread.
struct ChannelPost {
  EscalationCard card;
  std::vector<ChannelMessage> thread;
  std::string post_state;  ///< the post's outbox state
};

/// What the channel shows: each escalation's post with its thread, the notices about no one
/// escalation (handoffs, the rota published), newest first, and what is pinned (the SOP's latest copy).
struct ChannelView {
  std::vector<ChannelPost> posts;
  std::vector<ChannelMessage> notices;
  std::optional<handlers::ChannelNotice> pinned;
};

struct TimelineEntry {
  core::TimePoint at{};
  std::string kind;   ///< audit kind, e.g. "decision.accepted"
  std::string actor;  ///< name when known
  std::vector<std::pair<std::string, std::string>> fields;
};

struct EscalationDetail {
  EscalationCard card;
  std::string workflow_description;
  std::string prompt;         ///< masked
  std::string metadata_json;  ///< masked; empty when the agent sent none
  std::vector<TimelineEntry> timeline;
  std::vector<storage::PostMortem> postmortems;
};

struct RotaRow {
  std::string role, title;
  std::string holder_name;  ///< empty: nobody
  std::string how;          ///< "rotation", "fixed", "override", …
  std::optional<core::TimePoint> since, until;
};

struct UpcomingHandoff {
  core::TimePoint at{};
  std::string role_title;
  std::string person_name;
};

struct OverrideRow {
  std::string role_title, person_name, created_by_name, reason;
  core::TimePoint from{}, until{};
};

struct RotaView {
  std::vector<PersonOption> roles;  ///< role id and title, for the override form
  std::vector<RotaRow> now;
  std::vector<UpcomingHandoff> upcoming;
  std::vector<OverrideRow> overrides;
};

/// Figures over the escalations the store holds (drills left out).
struct Figures {
  int opened = 0, open = 0, decided = 0, accepted = 0, rejected = 0, with_legal = 0, manual = 0;
  int triage_breaches = 0, decision_breaches = 0;
  std::optional<core::Seconds> mean_time_to_respond, mean_time_to_decide;
  std::optional<core::Seconds> p90_time_to_respond;
  std::vector<std::pair<std::string, int>> hits_per_rule;  ///< most first
  int responded = 0;
};

std::string board_page(const Viewer& viewer, const std::vector<EscalationCard>& open,
                       const std::vector<EscalationCard>& recently_decided, core::TimePoint now);
std::string escalation_page(const Viewer& viewer, const EscalationDetail& detail, core::TimePoint now);
/// In the sandbox it also offers the form `/rota override` stands for (role, person, hours).
std::string rota_page(const Viewer& viewer, const RotaView& rota, const std::optional<Notice>& notice,
                      core::TimePoint now);
std::string figures_page(const Viewer& viewer, const Figures& figures, core::TimePoint now);
/// The sandbox's desk channel: each post with its macros while undecided, its thread, and the forms
/// for /escalate. `workflows` are the policy's workflow ids.
std::string channel_page(const Viewer& viewer, const ChannelView& channel, const std::vector<std::string>& workflows,
                         const std::optional<Notice>& notice, core::TimePoint now);
/// The rationale form after a click on a macro (`macro`: "accept", "reject", "escalate_to_legal").
/// `error`: what was wrong with the last attempt, shown beside the field; `rationale`: what was typed.
std::string decide_page(const Viewer& viewer, const EscalationCard& card, const std::string& macro,
                        const std::string& rationale, const std::string& error, core::TimePoint now);
std::string login_page(const std::string& error);
/// A short page for a refusal or a missing thing, with a link back.
std::string message_page(const Viewer& viewer, const std::string& title, const std::string& text);

/// What a thread message says, from its outbox payload, for the channel.
std::string describe_message(const std::string& kind, const std::string& payload_json,
                             const std::vector<PersonOption>& people);

}  // namespace desk::bot::console
