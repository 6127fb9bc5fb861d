// The desk: section (channel, on-call user group, database, intake listener, rationale length,
// route precedence, MCP origins, the pinned SOP), the sla: section (backup ping, triage and decision
// deadlines) and the limits: section (flood control for agents).
#include <filesystem>
#include <string>

#include "bot/config/config_loader.hpp"
#include "bot/config/policy_parser.hpp"
#include "core/text_scan.hpp"

namespace desk::bot::config_parsing {
namespace {

/// The longest SOP link taken: far beyond any real one, short enough to post.
constexpr std::size_t kMaxSopUrlChars = 1000;

/// Why `url` cannot be the SOP's link (empty when it can): https to a named host, nothing that would
/// break the message it is posted in, and no credentials (the channel reads it).
std::string sop_url_problem(const std::string& url) {
  if (!url.starts_with("https://")) return "must start with https://";
  if (url.size() > kMaxSopUrlChars) return "is longer than " + std::to_string(kMaxSopUrlChars) + " characters";
  for (const unsigned char c : url)
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"') return "holds a space, a quote or <>";
  const std::string rest = url.substr(8);
  const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return "has no host";
  if (authority.find('@') != std::string::npos) return "holds a user name or password";
  return {};
}

/// Control characters other than line breaks and tabs would reach every surface as they are.
bool has_control_characters(const std::string& text) {
  for (const unsigned char c : text)
    if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) return true;
  return false;
}

}  // namespace

void PolicyParser::parse_sop(const YAML::Node& n, core::DeskSop& sop) {
  r_.check_keys(n, {"url", "text"}, "desk.sop");
  if (n["url"]) {
    sop.url = r_.string(n["url"], "desk.sop.url");
    if (const auto problem = sop_url_problem(sop.url); !problem.empty())
      r_.fail(n["url"], "desk.sop.url " + problem,
              "write the https:// address of the SOP, e.g. https://wiki.example.com/desk-sop");
  }
  if (n["text"]) {
    sop.text = core::trimmed(r_.string(n["text"], "desk.sop.text", true));
    if (sop.text.empty()) r_.fail(n["text"], "desk.sop.text is empty", "write the SOP's essentials, or leave text out");
    if (!core::is_valid_utf8(sop.text) || has_control_characters(sop.text))
      r_.fail(n["text"], "desk.sop.text holds control characters or invalid UTF-8");
    if (const auto chars = core::code_points(sop.text); chars > core::kMaxSopTextChars)
      r_.fail(n["text"],
              "desk.sop.text is " + std::to_string(chars) + " characters, more than " +
                  std::to_string(core::kMaxSopTextChars),
              "keep the essentials here and link the full SOP with desk.sop.url");
  }
  if (!sop.configured())
    r_.fail(n, "desk.sop has neither url nor text", "give the SOP's https:// link (url), a short text (text), or both");
}

void PolicyParser::parse_desk(const YAML::Node& n, core::DeskSettings& d) {
  r_.check_keys(n,
                {"channel", "oncall_usergroup", "database", "intake_listen", "min_rationale_chars", "route_precedence",
                 "mcp_allowed_origins", "callbacks_allow_loopback", "weekly_digest", "hotline_workflow", "sop"},
                "desk");
  if (n["channel"]) d.channel = r_.string(n["channel"], "desk.channel");
  if (!d.channel.empty() && d.channel[0] == '#') d.channel.erase(0, 1);
  if (n["oncall_usergroup"]) d.oncall_usergroup = r_.string(n["oncall_usergroup"], "desk.oncall_usergroup");
  if (!d.oncall_usergroup.empty() && d.oncall_usergroup[0] == '@') d.oncall_usergroup.erase(0, 1);
  if (n["database"]) {
    std::filesystem::path db = r_.string(n["database"], "desk.database");
    if (db.is_relative() && db != ":memory:") db = std::filesystem::path(base_dir_) / db;
    d.database = db.lexically_normal().string();
  } else {
    d.database = (std::filesystem::path(base_dir_) / d.database).lexically_normal().string();
  }
  if (n["intake_listen"]) {
    d.intake_listen = r_.string(n["intake_listen"], "desk.intake_listen");
    if (!parse_listen_address(d.intake_listen))
      r_.fail(n["intake_listen"], "bad listen address '" + d.intake_listen + "'",
              "write host:port, e.g. 127.0.0.1:8080");
  }
  if (n["weekly_digest"]) {
    const auto when = r_.string(n["weekly_digest"], "desk.weekly_digest");
    if (when == "at_handoff") {
      d.digest = core::DigestSchedule::at_handoff;
    } else if (when == "off") {
      d.digest = core::DigestSchedule::off;
    } else if (const auto at = parse_weekly_time(when)) {
      d.digest = core::DigestSchedule::at_time;
      d.digest_day = at->day;
      d.digest_time = at->time;
    } else {
      r_.fail(n["weekly_digest"], "bad desk.weekly_digest '" + when + "'",
              "write 'at_handoff' (the default: right after the duty lead's weekly handoff), 'off', or a weekday "
              "and a 24-hour UTC time, e.g. 'monday 10:00'");
    }
  }
  if (n["sop"]) parse_sop(n["sop"], d.sop);
  // The workflow itself is checked once the workflows are read (check_references).
  if (n["hotline_workflow"]) d.hotline_workflow = r_.string(n["hotline_workflow"], "desk.hotline_workflow");
  if (n["min_rationale_chars"])
    d.min_rationale_chars =
        static_cast<std::size_t>(r_.integer(n["min_rationale_chars"], "desk.min_rationale_chars", 1, 1000));
  if (n["route_precedence"]) {
    d.route_precedence = r_.string_list(n["route_precedence"], "desk.route_precedence");
    route_nodes_.emplace_back(n["route_precedence"], "desk.route_precedence");
  }
  if (n["callbacks_allow_loopback"])
    d.callbacks_allow_loopback = r_.boolean(n["callbacks_allow_loopback"], "desk.callbacks_allow_loopback");
  if (n["mcp_allowed_origins"]) {
    d.mcp_allowed_origins = r_.string_list(n["mcp_allowed_origins"], "desk.mcp_allowed_origins");
    for (const auto& origin : d.mcp_allowed_origins) {
      // An Origin header is scheme://host[:port] and nothing else: a path here could never match.
      const auto scheme_end = origin.find("://");
      const std::string scheme = scheme_end == std::string::npos ? "" : origin.substr(0, scheme_end);
      const std::string authority = scheme_end == std::string::npos ? "" : origin.substr(scheme_end + 3);
      if ((scheme != "http" && scheme != "https") || authority.empty() ||
          authority.find_first_of("/ \t?#@") != std::string::npos)
        r_.fail(n["mcp_allowed_origins"], "desk.mcp_allowed_origins: '" + origin + "' is not an origin",
                "write scheme://host[:port] with no path, e.g. https://agents.example.com");
    }
  }
}

void PolicyParser::parse_sla(const YAML::Node& n, core::SlaPolicy& s) {
  r_.check_keys(n, {"triage", "backup_ping", "decision"}, "sla");
  if (n["triage"]) s.triage = r_.duration(n["triage"], "sla.triage");
  if (n["backup_ping"]) s.backup_ping = r_.duration(n["backup_ping"], "sla.backup_ping");
  if (n["decision"]) s.decision = r_.duration(n["decision"], "sla.decision");
  auto at = [&](const char* key) { return n[key] ? n[key] : n; };
  if (s.backup_ping >= s.triage)
    r_.fail(at("backup_ping"), "sla.backup_ping must come before sla.triage",
            "the backup is pinged while there is still time to triage (seed: 3m and 5m)");
  if (s.triage > s.decision) r_.fail(at("triage"), "sla.triage must not be later than sla.decision");
}

void PolicyParser::parse_limits(const YAML::Node& n, core::IntakeQuotas& q) {
  r_.check_keys(n, {"requests_per_minute", "burst", "open_escalations_per_token", "queued_requests", "connections"},
                "limits");
  if (n["connections"])
    q.connections = static_cast<int>(r_.integer(n["connections"], "limits.connections", 1, 1'000'000));
  if (n["requests_per_minute"])
    q.requests_per_minute =
        static_cast<int>(r_.integer(n["requests_per_minute"], "limits.requests_per_minute", 0, 1'000'000));
  if (n["burst"]) q.burst = static_cast<int>(r_.integer(n["burst"], "limits.burst", 1, 1'000'000));
  if (n["open_escalations_per_token"])
    q.open_escalations_per_token = static_cast<int>(
        r_.integer(n["open_escalations_per_token"], "limits.open_escalations_per_token", 0, 1'000'000));
  if (n["queued_requests"])
    q.queued_requests = static_cast<int>(r_.integer(n["queued_requests"], "limits.queued_requests", 1, 10'000'000));
}

}  // namespace desk::bot::config_parsing
