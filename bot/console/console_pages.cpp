#include "bot/console/console_pages.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "bot/console/html.hpp"
#include "core/drill.hpp"

namespace desk::bot::console {
namespace {

const char* macro_label(std::string_view macro) {
  if (macro == "accept") return "Accept";
  if (macro == "reject") return "Reject";
  if (macro == "escalate_to_legal") return "Escalate to legal";
  return "Route";
}

std::string state_label(const core::Escalation& e) {
  if (e.state == core::EscalationState::accepted) return "Accepted";
  if (e.state == core::EscalationState::rejected) return "Rejected";
  std::string s = e.state == core::EscalationState::triaged ? "Triaged" : "Open";
  if (e.with_legal()) s += ", with legal";
  return s;
}

std::string triggers_summary(const core::Escalation& e) {
  std::string out;
  for (const auto& h : e.hits) {
    std::string k = core::to_string(h.kind);
    for (auto& c : k)
      if (c == '_') c = ' ';
    if (out.find(k) != std::string::npos) continue;
    out += (out.empty() ? "" : ", ") + k;
  }
  return out.empty() ? "manual" : out;
}

/// A deadline as a clock: counting down (the script keeps it running) until it fires; then "met" or
/// "breached" for triage and decision, "sent" for the backup ping.
std::string clock_cell(const core::Escalation& e, core::DeadlineKind kind, core::TimePoint now) {
  const core::Deadline* d = e.deadline(kind);
  if (!d) return "<span class=\"muted\">none</span>";
  const bool decided = core::is_decided(e.state);
  const bool responded = e.triaged_at.has_value() || decided;
  if (kind == core::DeadlineKind::triage && responded) return "<span class=\"ok\">responded</span>";
  if (kind == core::DeadlineKind::decision && decided) return "<span class=\"ok\">decided</span>";
  if (d->fired_at) return "<span class=\"late\">breached</span>";
  const auto left = d->due - now;
  std::string text =
      left.count() >= 0 ? core::format_duration(left) + " left" : "overdue by " + core::format_duration(-left);
  return "<time class=\"clock" + std::string(left.count() < 0 ? " late" : "") + "\" data-due=\"" + unix_text(d->due) +
         "\" datetime=\"" + core::format_utc(d->due) + "\">" + escape(text) + "</time>";
}

std::string nav_link(const std::string& href, const std::string& label, const std::string& active) {
  return "<a href=\"" + href + "\"" + (label == active ? " aria-current=\"page\"" : "") + ">" + label + "</a>";
}

std::string layout(const Viewer& viewer, const std::string& title, const std::string& active, const std::string& main,
                   core::TimePoint now, bool live = true) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" +
      escape(title) + (viewer.sandbox ? " · Sandbox" : "") +
      " · Escalation Desk</title>"
      "<link rel=\"stylesheet\" href=\"/assets/console.css\">"
      "<script src=\"/assets/console.js\" defer></script></head>\n<body data-now=\"" +
      unix_text(now) + "\"" + (live ? " data-live" : "") + ">\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n";
  if (viewer.sandbox)
    out += "<p class=\"banner\" role=\"note\"><strong>Sandbox.</strong> Nothing here reaches Slack, Teams or an agent" +
           std::string(viewer.speed > 1 ? "; clocks run " + std::to_string(viewer.speed) + "× faster" : "") + ".</p>\n";
  out += "<header><nav aria-label=\"Console\"><span class=\"brand\">Escalation Desk</span>";
  out += nav_link("/", "Board", active);
  if (viewer.sandbox) out += nav_link("/channel", "Channel", active);
  out += nav_link("/rota", "Rota", active) + nav_link("/figures", "Metrics", active) + "</nav>";
  if (viewer.sandbox) {
    out +=
        "<form class=\"acting\" method=\"post\" action=\"/sandbox/acting-as\"><label for=\"acting-as\">Acting "
        "as</label>"
        "<select id=\"acting-as\" name=\"person\" data-autosubmit>";
    if (viewer.acting_as.empty()) out += "<option value=\"\" selected>choose a person</option>";
    for (const auto& p : viewer.people)
      out += "<option value=\"" + escape(p.id) + "\"" + (p.id == viewer.acting_as ? " selected" : "") + ">" +
             escape(p.name) + "</option>";
    out += "</select><button type=\"submit\" class=\"secondary\">Switch</button></form>";
  }
  if (viewer.logged_in)
    out +=
        "<form method=\"post\" action=\"/logout\"><button type=\"submit\" class=\"secondary\">Log out</button></form>";
  out += "</header>\n<main id=\"main\">\n" + main + "\n</main>\n</body></html>\n";
  return out;
}

std::string notice_html(const std::optional<Notice>& notice) {
  if (!notice) return {};
  return std::string("<p class=\"notice") + (notice->error ? " error" : "") + "\" role=\"" +
         (notice->error ? "alert" : "status") + "\">" + escape(notice->text) + "</p>\n";
}

std::string escalation_link(const core::Escalation& e) {
  return "<a href=\"/escalations/" + escape(e.id) + "\">" + escape(e.id) + "</a>";
}

std::string hits_list(const core::Escalation& e) {
  std::string out = "<ul class=\"hits\">";
  for (const auto& h : e.hits)
    out += "<li><span class=\"tag\">" + escape(core::to_string(h.kind)) + "</span> " + escape(h.explanation) + "</li>";
  if (e.hit_count() > e.hits.size())
    out += "<li class=\"muted\">…and " + std::to_string(e.hit_count() - e.hits.size()) + " more of the same kinds</li>";
  return out + "</ul>";
}

std::string safe_link(const std::string& url) {
  // Only http(s) links become links; anything else (javascript:, data:) is shown as text.
  const bool web = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
  if (!web) return escape(url);
  return "<a href=\"" + escape(url) + "\" rel=\"noopener noreferrer\">" + escape(url) + "</a>";
}

/// `line` with its first https:// address as a link (to the next space), the rest as text.
std::string with_link(const std::string& line) {
  const auto start = line.find("https://");
  if (start == std::string::npos) return escape(line);
  const auto end = std::min(line.find_first_of(" \t", start), line.size());
  return escape(line.substr(0, start)) + safe_link(line.substr(start, end - start)) + escape(line.substr(end));
}

/// What is pinned in the channel (the SOP), as Slack keeps it at the channel's top.
std::string pinned_section(const handlers::ChannelNotice& pinned) {
  std::string out =
      "<section class=\"pinned\" aria-labelledby=\"pinned-h\"><h2 id=\"pinned-h\">Pinned</h2><p><strong>" +
      escape(pinned.title) + "</strong></p>";
  for (const auto& line : pinned.lines)
    if (!line.empty()) out += "<p>" + with_link(line) + "</p>";
  return out + "</section>";
}

/// What a card says about an escalation: triggers, excerpt, link, fix, owner, deadlines, outcome.
std::string card_body(const EscalationCard& c, core::TimePoint now) {
  const auto& e = c.escalation;
  std::string out = "<dl class=\"facts\">";
  out += "<dt>Workflow</dt><dd>" + escape(e.workflow) + " → " + escape(e.channel) + "</dd>";
  out += "<dt>From</dt><dd>" + escape(e.agent) + (e.manual ? " (escalated by hand)" : "") + "</dd>";
  out += "<dt>Owner</dt><dd>" + escape(c.owner_name.empty() ? "not yet known" : c.owner_name) + "</dd>";
  out += "<dt>State</dt><dd class=\"state\">" + escape(state_label(e)) + "</dd>";
  out += "<dt>Triage</dt><dd>" + clock_cell(e, core::DeadlineKind::triage, now) + "</dd>";
  out += "<dt>Decision</dt><dd>" + clock_cell(e, core::DeadlineKind::decision, now) + "</dd>";
  out += "</dl>";
  out += "<h3>Why it is here</h3>" + hits_list(e);
  if (c.erased) {
    out += "<p class=\"muted\">The evidence was erased on request.</p>";
  } else {
    if (!c.masked_excerpt.empty())
      out += "<h3>Draft (personal data masked)</h3><blockquote class=\"excerpt\">" + escape(c.masked_excerpt) +
             "</blockquote>";
    if (!c.permalink.empty()) out += "<p>Link: " + safe_link(c.permalink) + "</p>";
    if (!c.suggested_fix.empty()) out += "<p>Suggested fix: " + escape(c.suggested_fix) + "</p>";
  }
  if (e.decision) {
    out += "<p class=\"outcome\"><strong>" +
           std::string(e.decision->macro == core::Macro::accept ? "Accepted" : "Rejected") + "</strong> by " +
           escape(c.decided_by_name.empty() ? e.decision->by : c.decided_by_name) + " at " +
           time_element(e.decision->at) + "</p><blockquote class=\"rationale\">" + escape(e.decision->rationale) +
           "</blockquote>";
  }
  return out;
}

}  // namespace

std::string board_page(const Viewer& viewer, const std::vector<EscalationCard>& open,
                       const std::vector<EscalationCard>& recently_decided, core::TimePoint now) {
  std::string main =
      "<h1>Board</h1>\n<section data-live-region aria-labelledby=\"open-h\"><h2 id=\"open-h\">Open escalations (" +
      std::to_string(open.size()) + ")</h2>";
  if (open.empty()) {
    main += "<p class=\"muted\">Nothing is waiting for a decision.</p>";
  } else {
    main +=
        "<table class=\"board\"><thead><tr><th scope=\"col\">Escalation</th><th scope=\"col\">Workflow</th>"
        "<th scope=\"col\">What triggered</th><th scope=\"col\">Owner</th><th scope=\"col\">State</th>"
        "<th scope=\"col\">Triage clock</th><th scope=\"col\">Decision clock</th></tr></thead><tbody>";
    for (const auto& c : open) {
      const auto& e = c.escalation;
      main += "<tr data-escalation=\"" + escape(e.id) + "\" data-state=\"" + core::to_string(e.state) +
              "\"><th scope=\"row\">" + escalation_link(e) + (e.drill ? " <span class=\"tag\">FIRE DRILL</span>" : "") +
              "</th><td>" + escape(e.workflow) + "</td><td>" + escape(triggers_summary(e)) + "</td><td>" +
              escape(c.owner_name.empty() ? "not yet known" : c.owner_name) + "</td><td class=\"state\">" +
              escape(state_label(e)) + "</td><td>" + clock_cell(e, core::DeadlineKind::triage, now) + "</td><td>" +
              clock_cell(e, core::DeadlineKind::decision, now) + "</td></tr>";
    }
    main += "</tbody></table>";
  }
  main +=
      "</section>\n<section data-live-region aria-labelledby=\"decided-h\"><h2 id=\"decided-h\">Recently decided</h2>";
  if (recently_decided.empty()) {
    main += "<p class=\"muted\">No decisions yet.</p>";
  } else {
    main +=
        "<table class=\"board\"><thead><tr><th scope=\"col\">Escalation</th><th scope=\"col\">Outcome</th>"
        "<th scope=\"col\">By</th><th scope=\"col\">At</th></tr></thead><tbody>";
    for (const auto& c : recently_decided) {
      const auto& e = c.escalation;
      main += "<tr data-escalation=\"" + escape(e.id) + "\" data-state=\"" + core::to_string(e.state) +
              "\"><th scope=\"row\">" + escalation_link(e) + "</th><td class=\"state\">" + escape(state_label(e)) +
              "</td><td>" + escape(c.decided_by_name) + "</td><td>" +
              (e.decision ? time_element(e.decision->at) : std::string()) + "</td></tr>";
    }
    main += "</tbody></table>";
  }
  main += "</section>";
  return layout(viewer, "Board", "Board", main, now);
}

std::string escalation_page(const Viewer& viewer, const EscalationDetail& d, core::TimePoint now) {
  const auto& e = d.card.escalation;
  std::string main =
      "<div data-live-region><h1>" + escape(e.id) + (e.drill ? " <span class=\"tag\">FIRE DRILL</span>" : "") + "</h1>";
  main += "<p>Opened " + time_element(e.opened_at) + " · submission " + escape(e.submission_id) + "</p>";
  main += card_body(d.card, now);
  if (!d.prompt.empty()) main += "<h3>Prompt</h3><blockquote>" + escape(d.prompt) + "</blockquote>";
  if (!d.metadata_json.empty())
    main += "<h3>Metadata</h3><pre class=\"metadata\">" + escape(d.metadata_json) + "</pre>";
  main += "<h2>Timeline</h2><ol class=\"timeline\">";
  for (const auto& t : d.timeline) {
    main += "<li>" + time_element(t.at) + " <strong>" + escape(t.kind) + "</strong> by " + escape(t.actor);
    if (!t.fields.empty()) {
      main += "<ul class=\"fields\">";
      for (const auto& [k, v] : t.fields) main += "<li>" + escape(k) + ": " + escape(v) + "</li>";
      main += "</ul>";
    }
    main += "</li>";
  }
  main += "</ol><h2>Post-mortem</h2>";
  if (d.postmortems.empty()) main += "<p class=\"muted\">None filed.</p>";
  for (const auto& p : d.postmortems)
    main += "<dl class=\"facts\"><dt>What triggered it</dt><dd>" + escape(p.what_triggered) +
            "</dd><dt>What fixed it</dt><dd>" + escape(p.what_fixed) + "</dd><dt>What to automate next</dt><dd>" +
            escape(p.what_to_automate) + "</dd><dt>Filed</dt><dd>" + escape(p.author) + ", " + time_element(p.at) +
            "</dd>" +
            (p.edited_at ? "<dt>Edited</dt><dd>" + escape(p.edited_by) + ", " + time_element(*p.edited_at) + "</dd>"
                         : std::string()) +
            "</dl>";
  main += "</div>";
  return layout(viewer, e.id, "", main, now);
}

std::string rota_page(const Viewer& viewer, const RotaView& rota, const std::optional<Notice>& notice,
                      core::TimePoint now) {
  std::string main =
      "<h1>Rota</h1>" + notice_html(notice) +
      "<section data-live-region><h2>On duty now</h2><table><thead><tr><th scope=\"col\">Role</th>"
      "<th scope=\"col\">Held by</th><th scope=\"col\">How</th><th scope=\"col\">Until</th></tr></thead><tbody>";
  for (const auto& r : rota.now)
    main += "<tr><th scope=\"row\">" + escape(r.title) + "</th><td>" +
            escape(r.holder_name.empty() ? "nobody" : r.holder_name) + "</td><td>" + escape(r.how) + "</td><td>" +
            (r.until ? time_element(*r.until) : std::string("—")) + "</td></tr>";
  main += "</tbody></table><h2>Next handoffs</h2>";
  if (rota.upcoming.empty())
    main += "<p class=\"muted\">No handoff is scheduled.</p>";
  else {
    main += "<ol>";
    for (const auto& h : rota.upcoming)
      main +=
          "<li>" + time_element(h.at) + ": " + escape(h.role_title) + " passes to " + escape(h.person_name) + "</li>";
    main += "</ol>";
  }
  main += "<h2>Overrides</h2>";
  if (rota.overrides.empty())
    main += "<p class=\"muted\">No override is active or coming.</p>";
  else {
    main +=
        "<table><thead><tr><th scope=\"col\">Role</th><th scope=\"col\">Covered by</th><th scope=\"col\">From</th>"
        "<th scope=\"col\">Until</th><th scope=\"col\">Set by</th><th scope=\"col\">Reason</th></tr></thead><tbody>";
    for (const auto& o : rota.overrides)
      main += "<tr><td>" + escape(o.role_title) + "</td><td>" + escape(o.person_name) + "</td><td>" +
              time_element(o.from) + "</td><td>" + time_element(o.until) + "</td><td>" + escape(o.created_by_name) +
              "</td><td>" + escape(o.reason) + "</td></tr>";
    main += "</tbody></table>";
  }
  main += "</section>";
  if (viewer.sandbox) {
    // What `/rota override @person <role> <until>` does in Slack, with the same rights.
    main +=
        "<section aria-labelledby=\"override-h\" class=\"escalate\"><h2 id=\"override-h\">Cover a role</h2>"
        "<form method=\"post\" action=\"/sandbox/override\"><label for=\"role\">Role</label>"
        "<select id=\"role\" name=\"role\">";
    for (const auto& r : rota.roles) main += "<option value=\"" + escape(r.id) + "\">" + escape(r.name) + "</option>";
    main += "</select><label for=\"covered-by\">Covered by</label><select id=\"covered-by\" name=\"person\">";
    for (const auto& p : viewer.people)
      main += "<option value=\"" + escape(p.id) + "\">" + escape(p.name) + "</option>";
    main +=
        "</select><label for=\"hours\">For how many hours</label>"
        "<input id=\"hours\" name=\"hours\" type=\"number\" min=\"1\" max=\"744\" value=\"4\" required>"
        "<button type=\"submit\">Set override</button></form></section>"
        "<section aria-labelledby=\"publish-h\" class=\"escalate\"><h2 id=\"publish-h\">Publish the rota</h2>"
        "<p class=\"muted\">What <code>/rota publish</code> does in Slack: who is on duty, posted in the channel "
        "for everyone.</p><form method=\"post\" action=\"/sandbox/publish-rota\">"
        "<button type=\"submit\">Publish in the channel</button></form></section>";
  }
  return layout(viewer, "Rota", "Rota", main, now);
}

std::string figures_page(const Viewer& viewer, const Figures& f, core::TimePoint now) {
  auto dur = [](const std::optional<core::Seconds>& s) { return s ? core::format_duration(*s) : std::string("—"); };
  auto share = [](int part, int whole) {
    return whole == 0 ? std::string("—") : std::to_string((part * 100 + whole / 2) / whole) + " %";
  };
  std::string main =
      "<h1>Metrics</h1><section data-live-region><p>From the desk's store: every escalation it holds, fire drills left "
      "out.</p>"
      "<dl class=\"figures\">";
  main += "<dt>Escalations opened</dt><dd>" + std::to_string(f.opened) + "</dd>";
  main += "<dt>Waiting for a decision</dt><dd>" + std::to_string(f.open) + "</dd>";
  main += "<dt>Decided</dt><dd>" + std::to_string(f.decided) + " (" + std::to_string(f.accepted) + " accepted, " +
          std::to_string(f.rejected) + " rejected)</dd>";
  main += "<dt>Mean time to respond</dt><dd>" + dur(f.mean_time_to_respond) +
          " <span class=\"muted\">(target under 5 min; " + std::to_string(f.responded) + " responded)</span></dd>";
  main += "<dt>p90 time to respond</dt><dd>" + dur(f.p90_time_to_respond) + "</dd>";
  main += "<dt>Mean time to decide</dt><dd>" + dur(f.mean_time_to_decide) + "</dd>";
  main += "<dt>Sent to legal</dt><dd>" + share(f.with_legal, f.opened) + "</dd>";
  main += "<dt>Escalated by hand</dt><dd>" + std::to_string(f.manual) + "</dd>";
  main += "<dt>Breaches</dt><dd>" + std::to_string(f.triage_breaches) + " triage, " +
          std::to_string(f.decision_breaches) + " decision</dd></dl><h2>Hits per rule</h2>";
  if (f.hits_per_rule.empty())
    main += "<p class=\"muted\">No rule has fired yet.</p>";
  else {
    main += "<table><thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Hits</th></tr></thead><tbody>";
    for (const auto& [rule, n] : f.hits_per_rule)
      main += "<tr><td>" + escape(rule) + "</td><td>" + std::to_string(n) + "</td></tr>";
    main += "</tbody></table>";
  }
  main += "</section>";
  return layout(viewer, "Metrics", "Metrics", main, now);
}

std::string describe_message(const std::string& kind, const std::string& payload_json,
                             const std::vector<PersonOption>& people) {
  const auto p = nlohmann::json::parse(payload_json, nullptr, false);
  auto name = [&](const std::string& id) {
    for (const auto& o : people)
      if (o.id == id) return o.name;
    return id.empty() ? std::string("nobody") : id;
  };
  auto str = [&](const char* key) {
    return p.is_object() && p.contains(key) && p[key].is_string() ? p[key].get<std::string>() : std::string();
  };
  if (kind == "ping") return "Pinged " + name(str("person")) + " directly: nobody has responded yet.";
  if (kind == "direct_message") return "To " + name(str("person")) + ": " + str("text");
  if (kind == "channel_notice") {
    std::string text = str("title");
    if (p.is_object() && p.contains("lines") && p["lines"].is_array())
      for (const auto& line : p["lines"])
        if (line.is_string() && !line.get<std::string>().empty())
          text += (text.empty() ? "" : " — ") + line.get<std::string>();
    return text;
  }
  const std::string reply = str("reply");
  if (reply == "decision") return "Decided by " + name(str("actor")) + ": “" + str("rationale") + "”";
  if (reply == "reowned") return "Re-owned by " + name(str("actor")) + ": “" + str("rationale") + "”";
  if (reply == "postmortem") return "Post-mortem filed by " + name(str("actor")) + ".";
  if (reply == "drill_score") {
    const bool scored = p.contains("score") && p["score"].is_number_integer();
    std::string text = "Fire drill scored " + (scored ? std::to_string(p["score"].get<int>()) : "?") + "/100.";
    if (p.contains("checks") && p["checks"].is_array())
      for (const auto& c : p["checks"])
        if (c.is_object() && c.contains("reason") && c["reason"].is_string())
          text += " " + c["reason"].get<std::string>();
    return text;
  }
  if (reply == "reminder") {
    const std::string deadline = str("deadline");
    std::string notify;
    if (p.contains("notify") && p["notify"].is_array())
      for (const auto& n : p["notify"])
        if (n.is_string()) notify += (notify.empty() ? "" : " and ") + name(n.get<std::string>());
    const auto late = p.value("late_by_s", std::int64_t{0});
    std::string text = deadline == "backup_ping"
                           ? "No response yet: pinging " + (notify.empty() ? std::string("the backup") : notify) + "."
                           : "The " + deadline + " deadline passed: the draft stays held and nobody has decided yet.";
    if (late > 0) text += " (sent " + core::format_duration(core::Seconds{late}) + " late: the desk was down)";
    return text;
  }
  return kind;
}

std::string channel_page(const Viewer& viewer, const ChannelView& channel, const std::vector<std::string>& workflows,
                         const std::optional<Notice>& notice, core::TimePoint now) {
  const auto& posts = channel.posts;
  std::string main = "<h1>#ai-escalation <span class=\"muted\">(sandbox channel)</span></h1>" + notice_html(notice);
  if (viewer.acting_as.empty())
    main += "<p class=\"notice\" role=\"status\">Choose who you are acting as (top right) to use the buttons.</p>";
  main += "<div data-live-region>";
  if (channel.pinned) main += pinned_section(*channel.pinned);
  if (!channel.notices.empty()) {
    main += "<section aria-labelledby=\"notices-h\"><h2 id=\"notices-h\">Notices</h2><ol class=\"thread\">";
    for (const auto& m : channel.notices)
      main += "<li class=\"channel_notice\">" + time_element(m.at) + " " + escape(m.text) +
              (m.state == "sent" ? std::string() : " <span class=\"muted\">(" + escape(m.state) + ")</span>") +
              (m.image_uri.empty() ? std::string()
                                   : "<br><img class=\"notice-image\" src=\"" + escape(m.image_uri) + "\" alt=\"" +
                                         escape(m.image_alt) + "\">") +
              "</li>";
    main += "</ol></section>";
  }
  if (posts.empty()) main += "<p class=\"muted\">No escalation has been posted yet.</p>";
  for (const auto& post : posts) {
    const auto& e = post.card.escalation;
    const std::string heading = "post-" + escape(e.id);
    main += "<article class=\"post\" data-escalation=\"" + escape(e.id) + "\" data-state=\"" +
            core::to_string(e.state) + "\" aria-labelledby=\"" + heading + "\"><h2 id=\"" + heading + "\">" +
            escalation_link(e) + (core::is_decided(e.state) ? " is decided" : " needs a decision") +
            (e.drill ? " <span class=\"tag\">FIRE DRILL</span>" : "") + "</h2>";
    if (post.post_state != "sent") main += "<p class=\"muted\">(" + escape(post.post_state) + ")</p>";
    main += card_body(post.card, now);
    if (!core::is_decided(e.state)) {
      main += "<div class=\"macros\" role=\"group\" aria-label=\"Decide " + escape(e.id) + "\">";
      std::vector<std::string> macros = {"accept", "reject"};
      if (!e.with_legal()) macros.push_back("escalate_to_legal");
      for (const auto& m : macros)
        main += "<form method=\"post\" action=\"/sandbox/begin\"><input type=\"hidden\" name=\"escalation\" value=\"" +
                escape(e.id) + "\"><input type=\"hidden\" name=\"generation\" value=\"" + std::to_string(e.generation) +
                "\"><input type=\"hidden\" name=\"macro\" value=\"" + m + "\"><button type=\"submit\"" +
                (m == "reject"   ? " class=\"danger\""
                 : m == "accept" ? ""
                                 : " class=\"secondary\"") +
                ">" + macro_label(m) + "</button></form>";
      main += "</div>";
    }
    if (!post.thread.empty()) {
      main += "<ol class=\"thread\" aria-label=\"Thread\">";
      for (const auto& m : post.thread)
        main += "<li class=\"" + escape(m.kind) + "\">" + time_element(m.at) + " " + escape(m.text) +
                (m.state == "sent" ? std::string() : " <span class=\"muted\">(" + escape(m.state) + ")</span>") +
                "</li>";
      main += "</ol>";
    }
    main += "</article>";
  }
  main += "</div>";
  main +=
      "<section aria-labelledby=\"escalate-h\" class=\"escalate\"><h2 id=\"escalate-h\">Escalate by hand</h2>"
      "<p class=\"muted\">What <code>/escalate</code> does in Slack.</p>"
      "<form method=\"post\" action=\"/sandbox/escalate\">"
      "<label for=\"what\">What</label><textarea id=\"what\" name=\"what\" rows=\"3\" required></textarea>"
      "<label for=\"where\">Link (optional)</label><input id=\"where\" name=\"where\" type=\"url\">"
      "<label for=\"workflow\">Workflow</label><select id=\"workflow\" name=\"workflow\">";
  for (const auto& w : workflows) main += "<option value=\"" + escape(w) + "\">" + escape(w) + "</option>";
  main +=
      "</select><label for=\"why\">Why</label><textarea id=\"why\" name=\"why\" rows=\"2\" required></textarea>"
      "<button type=\"submit\">Escalate</button></form></section>";
  main +=
      "<section aria-labelledby=\"drill-h\" class=\"escalate\"><h2 id=\"drill-h\">Fire drill</h2>"
      "<p class=\"muted\">What <code>/drill</code> does in Slack: a simulated worst case through the policy, with "
      "the real clocks, scored when decided. For the marketing director and the desk's leads.</p>"
      "<form method=\"post\" action=\"/sandbox/drill\">"
      "<label for=\"scenario\">Scenario</label><select id=\"scenario\" name=\"scenario\">";
  for (const auto scenario : core::kDrillScenarios)
    main += "<option value=\"" + std::string(core::to_string(scenario)) + "\">" +
            escape(core::drill_script(scenario).title) + "</option>";
  main += "</select><button type=\"submit\">Start the drill</button></form></section>";
  return layout(viewer, "Channel", "Channel", main, now);
}

std::string decide_page(const Viewer& viewer, const EscalationCard& card, const std::string& macro,
                        const std::string& rationale, const std::string& error, core::TimePoint now) {
  const auto& e = card.escalation;
  std::string main = "<h1>" + std::string(macro_label(macro)) + " " + escape(e.id) + "</h1>";
  main += card_body(card, now);
  main +=
      "<form method=\"post\" action=\"/sandbox/decide\" class=\"decide\"><input type=\"hidden\" name=\"escalation\" "
      "value=\"" +
      escape(e.id) + "\"><input type=\"hidden\" name=\"generation\" value=\"" + std::to_string(e.generation) +
      "\"><input type=\"hidden\" name=\"macro\" value=\"" + escape(macro) +
      "\">"
      "<label for=\"rationale\">Rationale</label>"
      "<textarea id=\"rationale\" name=\"rationale\" rows=\"4\" required" +
      std::string(error.empty() ? "" : " aria-invalid=\"true\" aria-describedby=\"rationale-error\"") + ">" +
      escape(rationale) + "</textarea>";
  if (!error.empty())
    main += "<p id=\"rationale-error\" class=\"field-error\" role=\"alert\">" + escape(error) + "</p>";
  main += "<button type=\"submit\">Decide</button> <a href=\"/channel\">Cancel</a></form>";
  return layout(viewer, std::string(macro_label(macro)) + " " + e.id, "Channel", main, now, false);
}

std::string login_page(const std::string& error) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Log in · Escalation Desk</title>"
      "<link rel=\"stylesheet\" href=\"/assets/console.css\"></head><body><main id=\"main\" class=\"login\">"
      "<h1>Escalation Desk</h1><form method=\"post\" action=\"/login\"><label for=\"token\">Console token</label>"
      "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required>";
  if (!error.empty()) out += "<p class=\"field-error\" role=\"alert\">" + escape(error) + "</p>";
  return out + "<button type=\"submit\">Log in</button></form></main></body></html>\n";
}

std::string message_page(const Viewer& viewer, const std::string& title, const std::string& text) {
  return layout(viewer, title, "",
                "<h1>" + escape(title) + "</h1><p>" + escape(text) + "</p><p><a href=\"/\">Back to the board</a></p>",
                core::TimePoint{}, false);
}

}  // namespace desk::bot::console
