// The escalation message (post and updates) and its thread replies.
#include "bot/slack/slack_messages.hpp"

#include "bot/slack/slack_payloads.hpp"
#include "handlers/effects.hpp"

namespace desk::bot::slack {
namespace {

using json = nlohmann::json;

constexpr std::size_t kHeaderLimit = 150;
constexpr std::size_t kSectionLimit = 3000;
constexpr std::size_t kFieldLimit = 2000;
constexpr std::size_t kHitsShown = 10;         // more are summarised, so 200 hits still fit
constexpr std::size_t kHitLimit = 600;         // one explanation
constexpr std::size_t kRationaleSections = 6;  // 3,000 characters escaped can grow to 15,000
constexpr std::size_t kUrlLimit = 1000;
constexpr const char* kDrillNotice =
    ":rotating_light: *FIRE DRILL*: a simulated worst case, not an agent's draft. Act as you would for real: the "
    "clocks and rights are real, and the response is scored when decided. Drills stay out of the real figures.";

/// What is left of `limit` after `used`: never less than zero (an unsigned difference would wrap and
/// let the rest through whole).
std::size_t room(std::size_t limit, std::string_view used) {
  const std::size_t n = slack_length(used);
  return n >= limit ? 0 : limit - n;
}

json mrkdwn(std::string text) { return {{"type", "mrkdwn"}, {"text", std::move(text)}}; }

json section(std::string text, bool verbatim = false) {
  json t = mrkdwn(std::move(text));
  if (verbatim) t["verbatim"] = true;  // agent text: no auto-linking of names or channels
  return {{"type", "section"}, {"text", std::move(t)}};
}

json context(std::string text) { return {{"type", "context"}, {"elements", json::array({mrkdwn(std::move(text))})}}; }

std::string person_text(const core::Rota* rota, const std::string& person_id) {
  if (person_id.empty()) return "nobody";
  // Without a rota a bare Slack user id is still mentioned; anything else is shown as a name.
  return mention(rota ? person_ref(*rota, person_id) : PersonRef{person_id, person_id});
}

/// Rationale as quoted sections, headed by `title`; long ones span several sections.
void add_rationale(json& blocks, const std::string& title, const std::string& rationale) {
  if (rationale.empty()) {
    blocks.push_back(section(title + "\n_(none recorded)_"));
    return;
  }
  const std::string head = title + "\n";
  auto chunks = split_text(rationale, room(kSectionLimit, head), kRationaleSections, TextMode::quoted);
  for (std::size_t i = 0; i < chunks.size(); ++i)
    blocks.push_back(section(i == 0 ? head + chunks[i] : chunks[i], true));
}

std::string hit_text(const core::TriggerHit& h) {
  // Explanations hold masked personal data only; `matched` is never shown on its own.
  return h.explanation.empty() ? h.rule_id : h.explanation;
}

std::string triggers_text(const core::Escalation& e) {
  std::string out = "*What triggered it*";
  if (e.hits.empty()) return out + "\n• No trigger was recorded.";
  const std::size_t budget = room(kSectionLimit, "\n…and 99999 more");
  std::size_t shown = 0;
  for (const auto& h : e.hits) {
    if (shown == kHitsShown) break;
    std::string line = "\n• " + fit_text(hit_text(h), kHitLimit);
    if (slack_length(out) + slack_length(line) > budget) break;
    out += line;
    ++shown;
  }
  if (shown < e.hit_count()) out += "\n…and " + std::to_string(e.hit_count() - shown) + " more";
  return out;
}

std::string owner_text(const core::Escalation& e, const PersonRef& owner) {
  if (owner.empty()) return "_nobody holds " + fit_text(e.owner_role, 200) + " right now_";
  return mention(owner) + " (" + fit_text(e.owner_role, 200) + ")";
}

json fields_block(const core::Escalation& e, const PersonRef& owner, const PersonRef& backup) {
  auto field = [](const std::string& label, const std::string& value) {
    const std::string head = "*" + label + "*\n";
    return mrkdwn(head + (value.empty() ? "_none_" : fit_text(value, room(kFieldLimit, head))));
  };
  json fields = json::array({field("Workflow", e.workflow), field("Channel", e.channel), field("Agent", e.agent)});
  fields.push_back(mrkdwn("*Owner*\n" + owner_text(e, owner)));
  if (!backup.empty() && !e.with_legal()) fields.push_back(mrkdwn("*Backup*\n" + mention(backup)));
  if (!e.submission_id.empty()) fields.push_back(field("Submission", e.submission_id));
  return {{"type", "section"}, {"fields", std::move(fields)}};
}

std::string excerpt_text(const EscalationView& view) {
  if (view.erased_at)
    return "*Output:* _erased on request " + slack_date(*view.erased_at) +
           ": the draft, its prompt, metadata and suggested fix, what each trigger matched and the rationales "
           "were removed; the audit trail keeps their digests_";
  const std::string head = "*Output* (personal data masked)\n";
  if (view.masked_excerpt.empty()) return head + "_(empty)_";
  return head + fit_text(view.masked_excerpt, room(kSectionLimit, head), TextMode::quoted);
}

bool linkable(const std::string& url) {
  const bool http = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
  // Measured escaped: each "&" becomes "&amp;", so a 900-"&" URL is 4,500 characters in the section.
  return http && url.size() <= kUrlLimit && url.find_first_of(" \t\r\n|<>") == std::string::npos &&
         slack_length(escape_mrkdwn(url)) <= kUrlLimit;
}

std::string evidence_text(const EscalationView& view) {
  std::string out = "*Permalink:* ";
  if (view.permalink.empty()) {
    out += "_none given_";
  } else if (linkable(view.permalink)) {
    out += "<" + escape_mrkdwn(view.permalink) + "|" + fit_text(view.permalink, 80) + ">";
  } else {
    out += fit_text(view.permalink, kUrlLimit);
  }
  out += "\n*Suggested fix:* ";
  if (view.erased_at) return out + "_erased_";
  if (view.suggested_fix.empty()) return out + "_none given_";
  return out + fit_text(view.suggested_fix, room(kSectionLimit, out));
}

std::string due_text(const core::Escalation& e, core::DeadlineKind kind, const char* label) {
  const core::Deadline* d = e.deadline(kind);
  if (!d) return {};
  std::string out = std::string(label) + " due " + slack_date(d->due);
  if (d->fired_at && kind != core::DeadlineKind::backup_ping) out += " :warning: missed";
  return out;
}

std::string clock_text(const core::Escalation& e, const core::Rota* rota) {
  std::string out = "Opened " + slack_date(e.opened_at);
  if (e.decision) return out + " · decided " + slack_date(e.decision->at);
  if (e.triaged_at) {
    out += " · triaged by " + person_text(rota, e.triaged_by) + " " + slack_date(*e.triaged_at);
  } else if (auto t = due_text(e, core::DeadlineKind::triage, "triage"); !t.empty()) {
    out += " · " + t;
  }
  if (auto d = due_text(e, core::DeadlineKind::decision, "decision"); !d.empty()) out += " · " + d;
  if (e.backup_pinged_at) out += " · backup and director pinged " + slack_date(*e.backup_pinged_at);
  return out;
}

json actions_block(const core::Escalation& e) {
  json buttons = json::array();
  for (core::Macro m : macros::available_macros(e)) {
    json b = {{"type", "button"},
              {"action_id", action_id(m)},
              {"text", {{"type", "plain_text"}, {"text", macros::button_label(m)}}},
              {"value", e.id}};
    if (m == core::Macro::accept) b["style"] = "primary";
    if (m == core::Macro::reject) b["style"] = "danger";
    buttons.push_back(std::move(b));
  }
  // Once decided, what is left to do is learning from it.
  if (buttons.empty() && core::is_decided(e.state))
    buttons.push_back({{"type", "button"},
                       {"action_id", kPostMortemActionId},
                       {"text", {{"type", "plain_text"}, {"text", "Post-mortem"}}},
                       {"value", e.id}});
  if (buttons.empty()) return nullptr;
  return {{"type", "actions"}, {"block_id", actions_block_id(e)}, {"elements", std::move(buttons)}};
}

/// What happened to it so far: decided, with legal, or routed. Nothing for a fresh escalation.
void add_outcome(json& blocks, const core::Escalation& e, const PersonRef& owner, const core::Rota* rota) {
  if (e.decision && core::is_decided(e.state)) {
    const bool accepted = e.state == core::EscalationState::accepted;
    blocks.push_back(section(std::string(accepted ? ":white_check_mark: *Accepted*" : ":x: *Rejected*") + " by " +
                             person_text(rota, e.decision->by) + " at " + slack_date(e.decision->at)));
    add_rationale(blocks, "*Rationale*", e.decision->rationale);
  } else if (e.with_legal()) {
    blocks.push_back(section(":scales: *With legal:* " + mention(owner) + " since " + slack_date(e.owned_since)));
  } else if (e.generation > 0) {
    blocks.push_back(section(":arrow_right: *Routed to " + fit_text(e.owner_role, 200) + ":* " + mention(owner) +
                             " since " + slack_date(e.owned_since)));
  }
}

std::string fallback_text(const core::Escalation& e, const PersonRef& owner, const core::Rota* rota) {
  std::string out = "Escalation " + fit_text(e.id, 100) + " (" + fit_text(e.workflow, 100) + ")";
  if (e.decision && core::is_decided(e.state))
    return out + " " + core::to_string(e.state) + " by " + person_text(rota, e.decision->by);
  if (!e.hits.empty()) out += ": " + fit_text(hit_text(e.hits.front()), 400);
  if (e.hit_count() > 1) out += " (+" + std::to_string(e.hit_count() - 1) + " more)";
  out += e.with_legal() ? " — with legal " : " — owner ";
  return out + (owner.empty() ? "nobody" : mention(owner));
}

bool valid_usergroup(const std::string& id) {
  return id.size() > 1 && id.size() <= 32 && id[0] == 'S' &&
         id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == std::string::npos;
}

json message_metadata(const core::Escalation& e) {
  return {{"event_type", "escalation_posted"}, {"event_payload", {{"escalation_id", e.id}}}};
}

json escalation_body(const core::Escalation& e, const EscalationView& view, const core::Rota* rota) {
  PersonRef owner = view.owner;
  if (owner.empty() && rota) owner = person_ref(*rota, e.owner_person);
  std::string title = (e.drill ? "FIRE DRILL · Escalation " : "Escalation ") + e.id + " · " + e.workflow;
  json blocks = json::array();
  const json header_text = {{"type", "plain_text"}, {"text", fit_text(title, kHeaderLimit, TextMode::plain)}};
  blocks.push_back({{"type", "header"}, {"text", header_text}});
  if (e.drill) blocks.push_back(context(kDrillNotice));
  add_outcome(blocks, e, owner, rota);
  blocks.push_back(section(triggers_text(e)));
  blocks.push_back(fields_block(e, owner, view.backup));
  blocks.push_back(section(excerpt_text(view), true));
  blocks.push_back(section(evidence_text(view), true));
  std::string clock = clock_text(e, rota);
  // The user group follows the duty lead: mention it only while the duty lead owns the escalation.
  if (!e.decision && e.owner_role == core::kDutyLeadRole && valid_usergroup(view.usergroup_id))
    clock += " · on duty: <!subteam^" + view.usergroup_id + ">";
  blocks.push_back(context(std::move(clock)));
  if (json actions = actions_block(e); !actions.is_null()) blocks.push_back(std::move(actions));
  return {{"text", fallback_text(e, owner, rota)},
          {"blocks", std::move(blocks)},
          {"metadata", message_metadata(e)},
          {"unfurl_links", false},
          {"unfurl_media", false}};
}

// ---- thread replies ----

/// Every piece of `text` was escaped and bounded where it was made, so it is used as is (its mentions
/// must keep working in the notification).
json reply(const core::Escalation& e, const char* kind, std::string text, json blocks) {
  if (e.drill) {
    text = "[FIRE DRILL] " + text;
    blocks.insert(blocks.begin(), context(":rotating_light: *FIRE DRILL*"));
  }
  return {{"text", std::move(text)},
          {"blocks", std::move(blocks)},
          {"metadata",
           {{"event_type", "escalation_reply"},
            {"event_payload", {{"escalation_id", e.id}, {"reply", kind}, {"generation", e.generation}}}}},
          {"unfurl_links", false},
          {"unfurl_media", false}};
}

std::string mentions(const core::Rota& rota, const std::vector<std::string>& people) {
  std::string out;
  for (const auto& p : people) out += (out.empty() ? "" : " ") + mention(person_ref(rota, p));
  return out;
}

/// "sent 40 s late: the desk was down" as a context line, when the reminder fired late.
void add_lateness(json& blocks, const core::Reminder& r) {
  if (auto late = core::describe_lateness(r.late_by); !late.empty()) blocks.push_back(context("_" + late + "_"));
}

std::string waited(const core::Reminder& r, const core::Escalation& e) {
  return core::format_duration(r.due - e.owned_since);
}

}  // namespace

nlohmann::json escalation_post(const core::Escalation& e, const EscalationView& view) {
  return escalation_body(e, view, nullptr);
}

nlohmann::json escalation_update(const core::Escalation& e, const EscalationView& view, const core::Rota& rota) {
  json body = escalation_body(e, view, &rota);
  body.erase("unfurl_links");  // chat.update takes no unfurl arguments; the first post set them
  body.erase("unfurl_media");
  return body;
}

nlohmann::json decision_reply(const core::Escalation& e, const core::Rota& rota) {
  json blocks = json::array();
  if (!e.decision || !core::is_decided(e.state)) {
    std::string text = e.id + " has no decision yet; the draft stays held.";
    blocks.push_back(section(text));
    return reply(e, "decision", text, std::move(blocks));
  }
  const bool accepted = e.state == core::EscalationState::accepted;
  const std::string by = mention(person_ref(rota, e.decision->by));
  std::string head = std::string(accepted ? ":white_check_mark: *Accepted*" : ":x: *Rejected*") + " by " + by + " at " +
                     slack_date(e.decision->at) + " (" + core::format_duration(e.decision->at - e.opened_at) +
                     " after it opened).";
  blocks.push_back(section(head));
  add_rationale(blocks, "*Rationale*", e.decision->rationale);
  std::string text =
      e.id + (accepted ? " accepted by " : " rejected by ") + by + ": " + fit_text(e.decision->rationale, 400);
  return reply(e, "decision", std::move(text), std::move(blocks));
}

nlohmann::json backup_ping_reply(const core::Reminder& r, const core::Escalation& e, const core::Rota& rota) {
  const std::string who =
      r.notify.empty() ? "Nobody to ping (the backup and director roles are empty)" : mentions(rota, r.notify);
  std::string text =
      who + ": nobody has responded to *" + e.id + "* (" + fit_text(e.workflow, 100) + ") within " + waited(r, e) + ".";
  if (!e.owner_person.empty())
    text += " The owner " + mention(person_ref(rota, e.owner_person)) + " has not triaged it.";
  text += " You may act on it now with the buttons on the escalation.";
  json blocks = json::array({section(":bell: " + text)});
  add_lateness(blocks, r);
  if (auto late = core::describe_lateness(r.late_by); !late.empty()) text += " (" + late + ")";
  return reply(e, "backup_ping", std::move(text), std::move(blocks));
}

nlohmann::json breach_reply(const core::Reminder& r, const core::Escalation& e, const core::Rota& rota) {
  if (r.kind == core::DeadlineKind::backup_ping) return backup_ping_reply(r, e, rota);
  const bool triage = r.kind == core::DeadlineKind::triage;
  std::string text = std::string(triage ? ":warning: *Triage deadline missed* on *"
                                        : ":rotating_light: *Decision deadline missed* on *") +
                     e.id + "*: " + (triage ? "nobody responded within " : "no decision within ") + waited(r, e) +
                     " (due " + slack_date(r.due) + ").\nThe draft stays held; nobody has decided yet.";
  if (!r.notify.empty()) text += "\n" + mentions(rota, r.notify) + ": please act on it now.";
  json blocks = json::array({section(text)});
  add_lateness(blocks, r);
  if (auto late = core::describe_lateness(r.late_by); !late.empty()) text += " (" + late + ")";
  return reply(e, triage ? "triage_breach" : "decision_breach", std::move(text), std::move(blocks));
}

nlohmann::json reminder_reply(const core::Reminder& r, const core::Escalation& e, const core::Rota& rota) {
  return r.kind == core::DeadlineKind::backup_ping ? backup_ping_reply(r, e, rota) : breach_reply(r, e, rota);
}

nlohmann::json reowned_reply(const core::Escalation& e, const core::Rota& rota, const std::string& actor,
                             const std::string& rationale) {
  const PersonRef owner = person_ref(rota, e.owner_person);
  const std::string by = mention(person_ref(rota, actor));
  std::string text;
  if (owner.empty()) {
    text = ":warning: Nobody holds " + fit_text(e.owner_role, 200) + " right now: *" + e.id + "* was " +
           (e.with_legal() ? "escalated to legal" : "routed there") + " by " + by + " and is unowned.";
  } else if (e.with_legal()) {
    text = ":scales: " + mention(owner) + " (legal on-call): *" + e.id + "* was escalated to legal by " + by +
           ". It is yours now.";
  } else {
    text = ":arrow_right: " + mention(owner) + " (" + fit_text(e.owner_role, 200) + "): *" + e.id +
           "* was routed to you by " + by + ". It is yours now.";
  }
  std::string clock;
  if (auto t = due_text(e, core::DeadlineKind::triage, "Triage"); !t.empty()) clock = t;
  if (auto d = due_text(e, core::DeadlineKind::decision, "decision"); !d.empty())
    clock += (clock.empty() ? "" : " · ") + d;
  json blocks = json::array({section(text)});
  add_rationale(blocks, "*Why*", rationale);
  if (!clock.empty()) blocks.push_back(context(clock));
  return reply(e, e.with_legal() ? "legal_escalated" : "routed", std::move(text), std::move(blocks));
}

nlohmann::json drill_score_reply(const core::Escalation& e, const core::DrillScore& score) {
  std::string text =
      ":stopwatch: Fire drill *" + fit_text(e.id, 100) + "* scored *" + std::to_string(score.points) + "/100*.";
  std::string lines;
  for (const auto& c : score.checks)
    lines += std::string(c.points == c.max ? ":white_check_mark: " : ":heavy_minus_sign: ") + "*" +
             escape_mrkdwn(fit_text(c.name, 40)) + "* " + std::to_string(c.points) + "/" + std::to_string(c.max) +
             ": " + escape_mrkdwn(fit_text(c.reason, 400)) + "\n";
  json blocks = json::array({section(text)});
  if (!lines.empty()) blocks.push_back(section(lines));
  blocks.push_back(context("Kept in `escalation-desk drill report`. Drills stay out of the real figures."));
  return reply(e, "drill_score", std::move(text), std::move(blocks));
}

nlohmann::json postmortem_reply(const core::Escalation& e, const core::Rota& rota, const std::string& actor) {
  std::string text = ":memo: Post-mortem of *" + fit_text(e.id, 100) + "* filed by " +
                     mention(person_ref(rota, actor)) +
                     ": what triggered it, what fixed it and what to automate next. Read it on the escalation's "
                     "page in the console or with GET /v1/escalations/" +
                     fit_text(e.id, 100) + ".";
  json blocks = json::array({section(text)});
  return reply(e, "postmortem", std::move(text), std::move(blocks));
}

nlohmann::json legal_escalated_reply(const core::Escalation& e, const core::Rota& rota, const std::string& actor,
                                     const std::string& rationale) {
  return reowned_reply(e, rota, actor, rationale);
}

nlohmann::json hotline_reply(const core::Escalation& e, const core::Rota& rota, const std::string& author_user,
                             const std::string& post_link) {
  const PersonRef owner = person_ref(rota, e.owner_person);
  std::string text = is_slack_user_id(author_user) ? "<@" + author_user + "> " : std::string();
  text +=
      ":inbox_tray: The desk is on it: this is now *" + fit_text(e.id, 100) + "* (" + fit_text(e.workflow, 100) + "), ";
  text += owner.empty() ? "with nobody holding " + fit_text(e.owner_role, 200) + " right now; the director is told."
                        : "owned by " + mention(owner) + ".";
  std::string clock;
  if (auto t = due_text(e, core::DeadlineKind::triage, "First response"); !t.empty()) clock = t;
  if (auto d = due_text(e, core::DeadlineKind::decision, "decision"); !d.empty())
    clock += (clock.empty() ? "" : " · ") + d;
  if (core::is_decided(e.state)) clock = "Decided already: see the escalation.";
  json blocks = json::array({section(text)});
  if (!clock.empty()) blocks.push_back(context(clock));
  if (!post_link.empty())
    blocks.push_back(context("<" + post_link + "|Open the escalation> · replies in this thread stay here"));
  return reply(e, handlers::kHotlineReply, std::move(text), std::move(blocks));
}

}  // namespace desk::bot::slack
