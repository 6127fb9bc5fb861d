#include "bot/cli.hpp"

#include <date/tz.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "bot/config_loader.hpp"
#include "core/lifecycle.hpp"
#include "core/policy_engine.hpp"
#include "core/rota.hpp"
#include "handlers/submission_parser.hpp"
#include "handlers/verdict_json.hpp"
#include "storage/sqlite_store.hpp"
#include "bot/app/desk_app.hpp"

namespace desk::bot {
namespace {

constexpr const char* kUsage = R"(usage: escalation-desk <command> --config FILE [options]

commands:
  run                        start the desk (Slack Socket Mode, agent intake API)
  check-config               validate the config; print workflows, roles and who holds each role now
  evaluate [FILE|-]          print the verdict JSON for a submission (default: stdin); touches
                             neither Slack nor the database. --expect approved|escalated makes the
                             exit code 1 when the verdict differs
  rota [--weeks N]           who holds each role now, the next handoffs and the coming N weeks (4)
  audit verify               check the audit trail's hash chain in the database
  audit export [--escalation ID]
                             print evidence and audit trail as JSON lines, for auditors
  demo                       show the rota and the verdicts on a few sample drafts

options:
  --config FILE              the policy/config file (YAML); see deploy/desk.example.yaml
  --at 2026-03-30T08:00:00Z  pretend it is this instant (rota, check-config, evaluate)
  --help                     this text

exit codes: 0 ok, 1 a check failed, 2 usage or config error
)";

struct Options {
  std::string command, sub, config, input, expect, escalation;
  int weeks = 4;
  std::optional<core::TimePoint> at;
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::optional<core::TimePoint> parse_instant(const std::string& s) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char tail = 0;
  if (s.size() != 20 ||
      std::sscanf(s.c_str(), "%4d-%2u-%2uT%2u:%2u:%2uZ%c", &y, &mo, &d, &h, &mi, &sec, &tail) != 6 || h > 23 ||
      mi > 59 || sec > 59)
    return std::nullopt;
  const std::chrono::year_month_day day{std::chrono::year{y}, std::chrono::month{mo}, std::chrono::day{d}};
  if (!day.ok()) return std::nullopt;
  return std::chrono::sys_days(day) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(sec);
}

Options parse_args(const std::vector<std::string>& args) {
  Options o;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* name) {
      if (i + 1 >= args.size()) throw UsageError(std::string(name) + " needs a value");
      return args[++i];
    };
    if (a == "--config") o.config = value("--config");
    else if (a.rfind("--config=", 0) == 0) o.config = a.substr(9);
    else if (a == "--weeks") {
      const auto v = value("--weeks");
      try {
        std::size_t used = 0;
        o.weeks = std::stoi(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
      } catch (const std::exception&) {
        throw UsageError("--weeks takes a whole number, not '" + v + "'");
      }
      if (o.weeks < 1 || o.weeks > 104) throw UsageError("--weeks must be between 1 and 104");
    } else if (a == "--at") {
      const auto v = value("--at");
      o.at = parse_instant(v);
      if (!o.at) throw UsageError("--at takes a UTC instant like 2026-03-30T08:00:00Z, not '" + v + "'");
    } else if (a == "--expect") {
      o.expect = value("--expect");
      if (o.expect != "approved" && o.expect != "escalated") throw UsageError("--expect takes approved or escalated");
    } else if (a == "--escalation") o.escalation = value("--escalation");
    else if (a == "-") positional.push_back(a);
    else if (a.rfind("-", 0) == 0) throw UsageError("unknown option '" + a + "'");
    else positional.push_back(a);
  }
  if (positional.empty()) throw UsageError("no command given");
  o.command = positional[0];
  std::size_t next = 1;
  if (o.command == "audit") {
    if (positional.size() < 2) throw UsageError("audit needs 'verify' or 'export'");
    o.sub = positional[1];
    if (o.sub != "verify" && o.sub != "export") throw UsageError("unknown audit command '" + o.sub + "'");
    next = 2;
  }
  if (o.command == "evaluate" && positional.size() > next) o.input = positional[next++];
  if (positional.size() > next) throw UsageError("unexpected argument '" + positional[next] + "'");
  static const char* const kCommands[] = {"run", "check-config", "evaluate", "rota", "audit", "demo"};
  if (std::find(std::begin(kCommands), std::end(kCommands), o.command) == std::end(kCommands))
    throw UsageError("unknown command '" + o.command + "'");
  if (o.config.empty()) throw UsageError("--config FILE is required");
  return o;
}

std::string local_time(const std::string& zone, core::TimePoint t) {
  try {
    return date::format("%a %d %b %Y %H:%M %Z", date::make_zoned(date::locate_zone(zone), t));
  } catch (const std::exception&) {
    return core::format_utc(t);
  }
}

/// The zone a role is shown in: its rotation's, or the duty lead's for fixed roles.
std::string zone_of(const core::Policy& p, const core::RoleSpec& role) {
  if (role.kind == core::RoleSpec::Kind::rotation) return role.rotation.time_zone;
  if (role.kind == core::RoleSpec::Kind::next_in_rotation) return zone_of(p, p.roles.at(role.follows));
  const auto& lead = p.roles.at(core::kDutyLeadRole);
  return lead.kind == core::RoleSpec::Kind::rotation ? lead.rotation.time_zone : "UTC";
}

/// Overrides from the database when it exists; a read-only command never creates one.
std::vector<core::RotaOverride> stored_overrides(const core::Policy& p, core::TimePoint now, std::ostream& err) {
  if (p.desk.database == ":memory:" || !std::filesystem::exists(p.desk.database)) return {};
  try {
    return storage::SqliteStore::open(p.desk.database)->overrides_active_after(now);
  } catch (const storage::StorageError& e) {
    err << "warning: rota overrides not read: " << e.what() << "\n";
    return {};
  }
}

void print_holders(const core::Policy& p, const core::Rota& rota, std::span<const core::RotaOverride> overrides,
                   core::TimePoint now, std::ostream& out) {
  for (const auto& [id, role] : p.roles) {
    const auto h = rota.holder(id, now, overrides);
    const std::string zone = zone_of(p, role);
    out << "  " << std::left << std::setw(20) << id << " " << (h ? core::display_name(rota, h->person) : "(nobody)");
    if (h) out << " [" << core::to_string(h->source) << "]";
    if (auto next = rota.next_handoff(id, now, overrides)) out << "; next handoff " << local_time(zone, *next);
    out << "\n";
  }
}

int check_config(const core::Policy& p, const Options& o, core::TimePoint now, std::ostream& out, std::ostream& err) {
  core::Rota rota(p.roles, p.people);
  core::PolicyEngine engine(p);  // compiles the lexicon: a config that loads here starts
  out << "config OK: " << o.config << " (sha256 " << p.source_digest.substr(0, 12) << ")\n";
  out << "desk channel #" << p.desk.channel << ", on-call group @" << p.desk.oncall_usergroup << ", database "
      << p.desk.database << "\n";
  out << "SLA: backup ping " << core::format_duration(p.sla.backup_ping) << ", triage "
      << core::format_duration(p.sla.triage) << ", decision " << core::format_duration(p.sla.decision) << "\n";
  out << "workflows:\n";
  for (const auto& [id, wf] : p.workflows) {
    out << "  " << std::left << std::setw(20) << id << " owner " << wf.owner;
    if (wf.confidence_threshold) out << ", escalate below " << core::format_fraction(*wf.confidence_threshold);
    out << ", citations up to " << wf.citation_max_age.count() << " months";
    if (wf.personal_data_route) out << ", personal data -> " << *wf.personal_data_route;
    if (wf.stale_citation_route) out << ", stale citations -> " << *wf.stale_citation_route;
    out << "\n";
  }
  std::size_t terms = 0;
  for (const auto& c : p.lexicon) terms += c.terms.size() + c.patterns.size();
  out << "lexicon: " << p.lexicon.size() << " categories, " << terms << " terms and patterns\n";
  out << "roles now (" << core::format_utc(now) << "):\n";
  print_holders(p, rota, stored_overrides(p, now, err), now, out);
  return kExitOk;
}

std::string read_input(const Options& o, std::istream& in) {
  std::ostringstream text;
  if (o.input.empty() || o.input == "-") {
    text << in.rdbuf();
  } else {
    std::ifstream file(o.input, std::ios::binary);
    if (!file) throw UsageError("cannot read '" + o.input + "'");
    text << file.rdbuf();
  }
  return text.str();
}

nlohmann::json evaluate_json(const core::Policy& p, const core::PolicyEngine& engine, const core::Rota& rota,
                             const std::string& body, core::TimePoint now, bool& valid) {
  auto parsed = handlers::parse_submission(body, p, now);
  if (auto* e = std::get_if<handlers::ValidationError>(&parsed)) {
    valid = false;
    return {{"error", e->code}, {"message", e->message}, {"field", e->field}};
  }
  valid = true;
  const auto& s = std::get<core::Submission>(parsed);
  const auto ev = engine.evaluate(s);
  auto j = handlers::to_json(ev);
  j["workflow"] = s.workflow;
  if (ev.verdict == core::Verdict::escalated) {
    const core::LifecycleContext ctx{p, rota, {}};
    const auto opened = core::open_escalation(s, ev, ctx, now);
    j["owner"] = handlers::person_json(rota, opened.escalation.owner_person);
    nlohmann::json deadlines;
    for (const auto& d : opened.escalation.deadlines) deadlines[core::to_string(d.kind)] = core::format_utc(d.due);
    j["deadlines"] = deadlines;
    j["excerpt"] = ev.masked_output.substr(0, 500);
  }
  return j;
}

int evaluate(const core::Policy& p, const Options& o, core::TimePoint now, std::istream& in, std::ostream& out) {
  const auto body = read_input(o, in);
  core::PolicyEngine engine(p);
  core::Rota rota(p.roles, p.people);
  bool valid = false;
  const auto j = evaluate_json(p, engine, rota, body, now, valid);
  out << j.dump(2) << "\n";
  if (!valid) return kExitCheckFailed;
  if (!o.expect.empty() && j["verdict"] != o.expect) return kExitCheckFailed;
  return kExitOk;
}

int rota_cmd(const core::Policy& p, const Options& o, core::TimePoint now, std::ostream& out, std::ostream& err) {
  core::Rota rota(p.roles, p.people);
  const auto overrides = stored_overrides(p, now, err);
  out << "who holds each role now (" << core::format_utc(now) << "):\n";
  print_holders(p, rota, overrides, now, out);
  if (!overrides.empty()) {
    out << "overrides:\n";
    for (const auto& ov : overrides)
      out << "  " << ov.role << ": " << core::display_name(rota, ov.person) << " from " << core::format_utc(ov.from)
          << " until " << core::format_utc(ov.until) << (ov.reason.empty() ? "" : " (" + ov.reason + ")") << "\n";
  }
  for (const auto& [id, role] : p.roles) {
    if (role.kind == core::RoleSpec::Kind::fixed) continue;
    out << "\n" << id << " for the next " << o.weeks << " weeks (" << zone_of(p, role) << "):\n";
    for (const auto& h : rota.schedule(id, now, o.weeks))
      out << "  " << local_time(zone_of(p, role), h.since) << "  " << core::display_name(rota, h.person) << "\n";
  }
  return kExitOk;
}

int audit_cmd(const core::Policy& p, const Options& o, std::ostream& out, std::ostream& err) {
  if (p.desk.database != ":memory:" && !std::filesystem::exists(p.desk.database)) {
    // Nothing recorded yet is nothing broken; say where we looked so a wrong path is obvious.
    out << "no database at " << p.desk.database << " yet (desk.database in " << o.config
        << "): nothing to " << o.sub << "\n";
    return o.sub == "verify" || o.escalation.empty() ? kExitOk : kExitCheckFailed;
  }
  auto store = storage::SqliteStore::open(p.desk.database);
  if (o.sub == "verify") {
    const auto v = store->verify_audit();
    if (v.ok) {
      out << "audit trail OK: " << v.rows << " rows, hash chain intact\n";
      return kExitOk;
    }
    out << "audit trail BROKEN at row " << v.first_bad_seq << ": " << v.problem << " (" << v.rows << " rows)\n";
    return kExitCheckFailed;
  }
  std::vector<std::string> ids;
  if (!o.escalation.empty()) ids.push_back(o.escalation);
  else
    for (const auto& e : store->escalations(std::nullopt, 1'000'000)) ids.push_back(e.id);
  for (const auto& id : ids) {
    auto ev = store->evidence(id);
    if (!ev) {
      err << "error: no escalation " << id << "\n";
      return kExitCheckFailed;
    }
    nlohmann::json j = {{"escalation_id", id}, {"channel", ev->channel}, {"digest", ev->digest}};
    if (ev->erased_at) {
      j["erased"] = {{"at", core::format_utc(*ev->erased_at)}, {"by", ev->erased_by}, {"reason", ev->erase_reason}};
    } else {
      j["prompt"] = ev->prompt;
      j["output"] = ev->output;
      j["metadata"] = nlohmann::json::parse(ev->metadata_json, nullptr, false);
      j["permalink"] = ev->permalink;
      j["suggested_fix"] = ev->suggested_fix;
    }
    nlohmann::json trail = nlohmann::json::array();
    for (const auto& row : store->audit_trail(id)) {
      nlohmann::json fields = nlohmann::json::object();
      for (const auto& [k, v] : row.event.fields) fields[k] = v;
      trail.push_back({{"seq", row.seq}, {"at", core::format_utc(row.event.at)}, {"kind", row.event.kind},
                       {"actor", row.event.actor}, {"fields", fields}, {"hash", row.hash}});
    }
    j["audit"] = std::move(trail);
    out << j.dump() << "\n";
  }
  return kExitOk;
}

int demo(const core::Policy& p, core::TimePoint now, std::ostream& out, std::ostream& err) {
  Options o;
  o.weeks = 2;
  rota_cmd(p, o, now, out, err);
  core::PolicyEngine engine(p);
  core::Rota rota(p.roles, p.people);
  const char* const kSamples[] = {
      R"({"workflow":"community_replies","channel":"linkedin","agent":"social-agent-3","confidence":0.93,
          "output":"Thanks for the kind words! The team worked hard on this release."})",
      R"({"workflow":"community_replies","channel":"linkedin","agent":"social-agent-3","confidence":0.62,
          "output":"Our plan is guaranteed to cut your costs, and the price drops to $9 per seat this week."})",
      R"({"workflow":"email_nurture","channel":"email","agent":"nurture-agent-1","confidence":0.95,
          "output":"Hi Sam, we noted your card 4111 1111 1111 1111 and will call you on +44 20 7946 0958."})",
      R"({"workflow":"thought_leadership","channel":"blog","agent":"research-agent","confidence":0.91,
          "output":"Adoption doubled, according to the latest industry survey.",
          "citations":[{"url":"https://example.com/survey-2023","published_at":"2023-02-01"}]})",
  };
  for (const char* sample : kSamples) {
    bool valid = false;
    const auto j = evaluate_json(p, engine, rota, sample, now, valid);
    out << "\n" << nlohmann::json::parse(sample)["output"].get<std::string>() << "\n  -> " << j["verdict"];
    if (j.contains("owner_role")) out << ", owner " << j["owner_role"].get<std::string>();
    out << "\n";
    if (j.contains("hits"))
      for (const auto& h : j["hits"]) out << "     " << h["explanation"].get<std::string>() << "\n";
  }
  return kExitOk;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.empty() || std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  Options o;
  try {
    o = parse_args(args);
  } catch (const UsageError& e) {
    err << "error: " << e.what() << "\n\n" << kUsage;
    return kExitUsage;
  }
  try {
    const core::Policy policy = load_config(o.config);
    const core::TimePoint now = o.at ? *o.at : core::SystemClock{}.now();
    if (o.command == "check-config") return check_config(policy, o, now, out, err);
    if (o.command == "evaluate") return evaluate(policy, o, now, in, out);
    if (o.command == "rota") return rota_cmd(policy, o, now, out, err);
    if (o.command == "audit") return audit_cmd(policy, o, out, err);
    if (o.command == "demo") return demo(policy, now, out, err);
    return run_desk_app(policy);
  } catch (const ConfigError& e) {
    err << "config error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    err << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const storage::StorageError& e) {
    err << "storage error: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace desk::bot
