#include "bot/teams/alert_cards.hpp"

#include <algorithm>

#include "core/base64.hpp"
#include "core/text_scan.hpp"
#include "macros/macros.hpp"

namespace desk::bot::teams {
namespace {

using json = nlohmann::json;

constexpr std::size_t kExcerptChars = 1200;
constexpr std::size_t kRationaleChars = 1500;

/// At most `limit` code points of `text`, with an ellipsis when cut.
std::string cut(const std::string& text, std::size_t limit) {
  if (core::code_points(text) <= limit) return text;
  return core::cut_to_code_points(text, limit) + "…";
}

json heading(const std::string& text) {
  return {{"type", "TextBlock"}, {"text", text}, {"size", "Large"}, {"weight", "Bolder"}, {"wrap", true}};
}

json line(const std::string& text, const char* color = nullptr) {
  json block = {{"type", "TextBlock"}, {"text", text}, {"wrap", true}};
  if (color) block["color"] = color;
  return block;
}

/// Text someone else wrote, shown as typed.
json verbatim(const std::string& label, const std::string& text) {
  return {{"type", "RichTextBlock"},
          {"inlines", json::array({{{"type", "TextRun"}, {"text", label + ": "}, {"weight", "Bolder"}},
                                   {{"type", "TextRun"}, {"text", text}}})}};
}

json fact(const std::string& title, const std::string& value) { return {{"title", title}, {"value", value}}; }

std::string name_of(const core::Rota* rota, const std::string& person) {
  if (person.empty()) return "nobody yet";
  return rota ? core::display_name(*rota, person) : person;
}

std::string utc(core::TimePoint t) {
  std::string s = core::format_utc(t);  // 2026-12-01T12:05:00Z
  if (s.size() >= 16) s = s.substr(0, 10) + " " + s.substr(11, 5);
  return s + " UTC";
}

/// "2026-12-01 12:05 UTC (in 4 min)" or "(3 min ago)", relative to `now`.
std::string when(core::TimePoint t, core::TimePoint now) {
  if (t >= now) return utc(t) + " (in " + core::format_duration(t - now) + ")";
  return utc(t) + " (" + core::format_duration(now - t) + " ago)";
}

std::string title_of(const core::Escalation& e) {
  return (e.drill ? "FIRE DRILL · Escalation " : "Escalation ") + e.id + " · " + e.workflow;
}

json card(json body, const std::string& url = {}) {
  json c = {{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
            {"type", "AdaptiveCard"},
            {"version", "1.5"},
            {"msteams", {{"width", "Full"}}},
            {"body", std::move(body)}};
  if (!url.empty())
    c["actions"] = json::array({{{"type", "Action.OpenUrl"}, {"title", "Open the draft"}, {"url", url}}});
  return c;
}

bool web_link(const std::string& url) { return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0; }

void add_drill_notice(json& body, const core::Escalation& e) {
  if (e.drill)
    body.push_back(
        line("FIRE DRILL: a simulated worst case. Act as you would for real; it is scored when decided.", "Warning"));
}

/// The rationale field, its error and a refusal, above the card's actions.
void add_decision_controls(json& body, const DecisionControls& controls) {
  if (!controls.notice.empty()) body.push_back(line(controls.notice, "Attention"));
  body.push_back({{"type", "Input.Text"},
                  {"id", "rationale"},
                  {"label", "Rationale"},
                  {"isMultiline", true},
                  {"maxLength", macros::kMaxRationaleChars},
                  {"placeholder", "Why: what you checked and what you decided"},
                  {"value", controls.rationale}});
  if (!controls.error.empty()) body.push_back(line(controls.error, "Attention"));
}

}  // namespace

nlohmann::json opened_card(const core::Escalation& e, const AlertEvidence& evidence, const core::Rota* rota,
                           core::TimePoint now, const std::optional<DecisionControls>& controls) {
  json body = json::array({heading(title_of(e))});
  add_drill_notice(body, e);
  std::string why;
  std::size_t shown = 0;
  for (const auto& h : e.hits) {
    if (shown++ == 5) break;
    why += (why.empty() ? "" : "; ") + cut(h.explanation.empty() ? h.rule_id : h.explanation, 300);
  }
  if (e.hit_count() > shown && shown > 0) why += "; and " + std::to_string(e.hit_count() - shown) + " more";
  body.push_back(verbatim("Why", why.empty() ? "escalated by hand" : why));
  json facts = json::array({fact("Owner", name_of(rota, e.owner_person) + " (" + e.owner_role + ")"),
                            fact("Channel", e.channel), fact("Agent", e.agent)});
  for (const auto kind : {core::DeadlineKind::triage, core::DeadlineKind::decision})
    if (const auto* d = e.deadline(kind))
      facts.push_back(fact(kind == core::DeadlineKind::triage ? "Triage due" : "Decision due", when(d->due, now)));
  body.push_back({{"type", "FactSet"}, {"facts", std::move(facts)}});
  if (evidence.erased)
    body.push_back(line("Its personal data was erased on request.", "Accent"));
  else if (!evidence.masked_excerpt.empty())
    body.push_back(verbatim("Draft", cut(evidence.masked_excerpt, kExcerptChars)));
  const std::string link = !evidence.erased && web_link(evidence.permalink) ? evidence.permalink : "";
  if (!controls) {
    body.push_back(line("Act on it where the desk takes decisions (Slack, the console).", nullptr));
    return card(std::move(body), link);
  }
  add_decision_controls(body, *controls);
  json c = card(std::move(body), link);
  json actions = json::array();
  const json data = {{"escalation_id", e.id}, {"generation", controls->generation}};
  for (const auto& [verb, title] : {std::pair{kAcceptVerb, "Accept"}, std::pair{kRejectVerb, "Reject"},
                                    std::pair{kEscalateLegalVerb, "Escalate to legal"}})
    actions.push_back({{"type", "Action.Execute"}, {"verb", verb}, {"title", title}, {"data", data}});
  for (auto& a : c.value("actions", json::array())) actions.push_back(a);
  c["actions"] = std::move(actions);
  return c;
}

nlohmann::json reminder_card(const core::Escalation& e, const core::Reminder& r, const core::Rota* rota) {
  const std::string waited = core::format_duration(r.due - e.owned_since);
  std::string who;
  for (const auto& p : r.notify) who += (who.empty() ? "" : ", ") + name_of(rota, p);
  json body = json::array();
  if (r.kind == core::DeadlineKind::backup_ping) {
    body.push_back(heading("No response yet: " + e.id));
    body.push_back(line("Nobody has responded to " + e.id + " (" + e.workflow + ") within " + waited + ". " +
                            (who.empty() ? "There is nobody to ping (the backup and director roles are empty)."
                                         : who + ": you may act on it now."),
                        "Warning"));
  } else {
    const bool triage = r.kind == core::DeadlineKind::triage;
    body.push_back(heading(std::string(triage ? "Triage deadline missed: " : "Decision deadline missed: ") + e.id));
    body.push_back(line(std::string(triage ? "Nobody responded within " : "No decision within ") + waited + " (due " +
                            utc(r.due) + "). The draft stays held." + (who.empty() ? "" : " " + who + ": please act."),
                        "Attention"));
  }
  add_drill_notice(body, e);
  if (auto late = core::describe_lateness(r.late_by); !late.empty()) body.push_back(line(late));
  body.push_back({{"type", "FactSet"},
                  {"facts", json::array({fact("Owner", name_of(rota, e.owner_person) + " (" + e.owner_role + ")"),
                                         fact("Opened", utc(e.opened_at))})}});
  return card(std::move(body));
}

nlohmann::json decision_card(const core::Escalation& e, const core::Rota* rota) {
  json body = json::array();
  if (!e.decision || !core::is_decided(e.state)) {
    body.push_back(heading(e.id + " has no decision yet"));
    return card(std::move(body));
  }
  const bool accepted = e.state == core::EscalationState::accepted;
  body.push_back(heading(e.id + (accepted ? " accepted" : " rejected")));
  add_drill_notice(body, e);
  body.push_back(line("By " + name_of(rota, e.decision->by) + " at " + utc(e.decision->at) + ", " +
                          core::format_duration(e.decision->at - e.opened_at) + " after it opened.",
                      accepted ? "Good" : "Attention"));
  body.push_back(verbatim("Rationale", cut(e.decision->rationale, kRationaleChars)));
  return card(std::move(body));
}

nlohmann::json notice_card(const handlers::ChannelNotice& notice) {
  json body = json::array({heading(notice.title)});
  for (const auto& text : notice.lines) body.push_back(line(text));
  if (notice.image) {
    json image = {{"type", "Image"},
                  {"url", "data:image/png;base64," + core::base64_encode(notice.image->png)},
                  {"altText", notice.image->alt},
                  {"size", "Stretch"}};
    // Room for the webhook envelope and a repeat warning around the card.
    constexpr std::size_t kEnvelopeRoom = 1024;
    if (card(body).dump().size() + image.dump().size() + kEnvelopeRoom <= kMaxCardBytes)
      body.push_back(std::move(image));
    else
      body.push_back(line("(" + notice.image->alt + ": too large to show here.)"));
  }
  return card(std::move(body));
}

nlohmann::json repeat_warning() {
  return {{"type", "TextBlock"},
          {"text", "Sent again after a restart: this may repeat an earlier card."},
          {"isSubtle", true},
          {"wrap", true}};
}

nlohmann::json webhook_message(nlohmann::json content) {
  // Too large: the longest verbatim texts are cut further until it fits (a card is a few blocks).
  for (int round = 0; round < 8 && content.dump().size() > kMaxCardBytes; ++round)
    for (auto& block : content["body"])
      if (block.value("type", "") == "RichTextBlock")
        for (auto& run : block["inlines"])
          if (run.contains("text") && run["text"].is_string())
            run["text"] = cut(run["text"].get<std::string>(),
                              std::max<std::size_t>(50, core::code_points(run["text"].get<std::string>()) / 2));
  return {{"type", "message"},
          {"attachments", json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"},
                                        {"contentUrl", nullptr},
                                        {"content", std::move(content)}}})}};
}

}  // namespace desk::bot::teams
