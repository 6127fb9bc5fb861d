#include "bot/config_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <date/tz.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/rota.hpp"
#include "core/policy_engine.hpp"
#include "core/text_scan.hpp"
#include "storage/digest.hpp"

namespace desk::bot {
namespace {

using core::Seconds;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = 3;  // suggest only near misses
  for (const auto& c : candidates) {
    const auto d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

/// Reads YAML nodes into typed values, failing with the node's position.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& message, const std::string& hint = {}) const {
    const auto m = at.Mark();
    throw ConfigError(file_, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1, message, hint);
  }

  void expect_map(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) fail(n, what + " must be a mapping of keys to values", "indent its keys under it");
  }

  /// Refuses unknown and duplicate keys, suggesting the closest known one.
  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed, const std::string& what) const {
    expect_map(map, what);
    std::set<std::string> seen;
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>();
      if (!seen.insert(key).second) fail(kv.first, "duplicate key '" + key + "' in " + what);
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      const auto near = closest(key, allowed);
      fail(kv.first, "unknown key '" + key + "' in " + what,
           near.empty() ? "known keys: " + join(allowed) : "did you mean '" + near + "'?");
    }
  }

  /// Map keys must be unique too where the keys are names (people, roles, workflows).
  void check_unique_keys(const YAML::Node& map, const std::string& what) const {
    expect_map(map, what);
    std::set<std::string> seen;
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>();
      if (!seen.insert(key).second) fail(kv.first, "duplicate " + what + " '" + key + "'");
      if (key.empty()) fail(kv.first, "empty name in " + what);
    }
  }

  std::string string(const YAML::Node& n, const std::string& what, bool allow_empty = false) const {
    if (!n.IsScalar()) fail(n, what + " must be a text value");
    auto s = n.as<std::string>();
    if (!allow_empty && s.empty()) fail(n, what + " must not be empty");
    return s;
  }

  double number(const YAML::Node& n, const std::string& what) const {
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v))
      fail(n, what + " must be a number", "write it like 0.8");
    return v;
  }

  long integer(const YAML::Node& n, const std::string& what, long min, long max) const {
    long v = 0;
    if (!n.IsScalar() || !YAML::convert<long>::decode(n, v)) fail(n, what + " must be a whole number");
    if (v < min || v > max)
      fail(n, what + " " + std::to_string(v) + " is out of range", "use " + std::to_string(min) + "–" + std::to_string(max));
    return v;
  }

  Seconds duration(const YAML::Node& n, const std::string& what) const {
    const auto text = string(n, what);
    auto d = parse_duration(text);
    if (!d) fail(n, "bad duration '" + text + "' for " + what, "write a positive duration like 30s, 5m, 1h30m or 2d");
    return *d;
  }

  std::vector<std::string> string_list(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) fail(n, what + " must be a list", "write it as [a, b] or as '- a' lines");
    std::vector<std::string> out;
    for (const auto& item : n) out.push_back(string(item, "each entry of " + what));
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

std::optional<std::chrono::weekday> weekday_from(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* const kNames[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
  for (unsigned i = 0; i < 7; ++i)
    if (name == kNames[i] || name == std::string(kNames[i], 3)) return std::chrono::weekday{i};
  return std::nullopt;
}


/// Where each named thing sits in the file, to report errors found after parsing.
struct Places {
  std::map<std::string, YAML::Node> roles;
  std::map<std::string, YAML::Node> lexicon;  // category node
};

class PolicyParser {
 public:
  PolicyParser(Reader& r, std::string base_dir) : r_(r), base_dir_(std::move(base_dir)) {}

  core::Policy parse(const YAML::Node& root) {
    if (root.IsNull()) throw ConfigError(r_.file(), 1, 1, "the config file is empty", "start from deploy/desk.example.yaml");
    r_.check_keys(root, {"desk", "sla", "people", "roles", "workflows", "lexicon", "personal_data"}, "the config");
    core::Policy p;
    if (root["desk"]) parse_desk(root["desk"], p.desk);
    if (root["sla"]) parse_sla(root["sla"], p.sla);
    for (const char* key : {"people", "roles", "workflows"})
      if (!root[key]) r_.fail(root, std::string("the config has no '") + key + "' section");
    parse_people(root["people"], p);
    parse_roles(root["roles"], p);
    if (root["lexicon"]) parse_lexicon(root["lexicon"], p);
    if (root["personal_data"]) parse_personal_data(root["personal_data"], p);
    parse_workflows(root["workflows"], p);
    check_references(root, p);
    build_engines(p);
    return p;
  }

 private:
  void parse_desk(const YAML::Node& n, core::DeskSettings& d) {
    r_.check_keys(n, {"channel", "oncall_usergroup", "database", "intake_listen", "min_rationale_chars", "route_precedence"}, "desk");
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
      const auto colon = d.intake_listen.rfind(':');
      long port = -1;
      if (colon != std::string::npos) {
        try {
          port = std::stol(d.intake_listen.substr(colon + 1));
        } catch (...) {
        }
      }
      if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535)
        r_.fail(n["intake_listen"], "bad listen address '" + d.intake_listen + "'", "write host:port, e.g. 127.0.0.1:8080");
    }
    if (n["min_rationale_chars"])
      d.min_rationale_chars = static_cast<std::size_t>(r_.integer(n["min_rationale_chars"], "desk.min_rationale_chars", 1, 1000));
    if (n["route_precedence"]) {
      d.route_precedence = r_.string_list(n["route_precedence"], "desk.route_precedence");
      route_nodes_.emplace_back(n["route_precedence"], "desk.route_precedence");
    }
  }

  void parse_sla(const YAML::Node& n, core::SlaPolicy& s) {
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

  void parse_people(const YAML::Node& n, core::Policy& p) {
    r_.check_unique_keys(n, "person");
    for (const auto& kv : n) {
      const auto id = kv.first.as<std::string>();
      const auto& v = kv.second;
      r_.check_keys(v, {"name", "slack", "email"}, "person '" + id + "'");
      core::Person person;
      person.id = id;
      person.name = v["name"] ? r_.string(v["name"], "name of person '" + id + "'") : id;
      if (v["slack"]) {
        person.slack_user = r_.string(v["slack"], "slack id of person '" + id + "'");
        const bool shaped = person.slack_user.size() >= 3 && (person.slack_user[0] == 'U' || person.slack_user[0] == 'W') &&
                            std::all_of(person.slack_user.begin(), person.slack_user.end(),
                                        [](unsigned char c) { return std::isupper(c) || std::isdigit(c); });
        if (!shaped)
          r_.fail(v["slack"], "'" + person.slack_user + "' is not a Slack user id",
                  "Slack user ids look like U012AB3CD (profile → ⋮ → Copy member ID)");
        if (!slack_ids_.insert(person.slack_user).second)
          r_.fail(v["slack"], "Slack user " + person.slack_user + " is given to two people");
      }
      if (v["email"]) {
        person.email = r_.string(v["email"], "email of person '" + id + "'");
        if (person.email.find('@') == std::string::npos) r_.fail(v["email"], "'" + person.email + "' is not an e-mail address");
      }
      p.people.emplace(id, std::move(person));
      people_nodes_[id] = kv.first;
    }
    if (p.people.empty()) r_.fail(n, "the config names no people", "roles need people to fill them");
  }

  void parse_roles(const YAML::Node& n, core::Policy& p) {
    r_.check_unique_keys(n, "role");
    for (const auto& kv : n) {
      const auto id = kv.first.as<std::string>();
      const auto& v = kv.second;
      const std::string what = "role '" + id + "'";
      r_.check_keys(v, {"title", "rotation", "person", "next_in_rotation", "may_override"}, what);
      places_.roles[id] = kv.first;
      core::RoleSpec role;
      role.id = id;
      role.title = v["title"] ? r_.string(v["title"], "title of " + what) : id;
      const int fillers = !!v["rotation"] + !!v["person"] + !!v["next_in_rotation"];
      if (fillers == 0)
        r_.fail(kv.first, what + " is filled by nobody", "give it a rotation, a person, or next_in_rotation: <rotation role>");
      if (fillers > 1) r_.fail(kv.first, what + " has more than one of rotation, person and next_in_rotation", "keep one");
      if (v["rotation"]) {
        role.kind = core::RoleSpec::Kind::rotation;
        role.rotation = parse_rotation(v["rotation"], what, p);
      } else if (v["person"]) {
        role.kind = core::RoleSpec::Kind::fixed;
        role.person = person_ref(v["person"], what, p);
      } else {
        role.kind = core::RoleSpec::Kind::next_in_rotation;
        role.follows = r_.string(v["next_in_rotation"], "next_in_rotation of " + what);
        follows_nodes_.emplace_back(v["next_in_rotation"], id);
      }
      if (v["may_override"]) {
        if (!v["may_override"].IsSequence()) r_.fail(v["may_override"], "may_override of " + what + " must be a list of people");
        for (const auto& item : v["may_override"]) role.may_override.push_back(person_ref(item, "may_override of " + what, p));
      }
      p.roles.emplace(id, std::move(role));
    }
    for (const char* required : {core::kDutyLeadRole, core::kBackupRole, core::kDirectorRole, core::kLegalRole})
      if (!p.roles.count(required))
        r_.fail(n, std::string("the roles have no '") + required + "'",
                "the desk needs duty_lead, backup, marketing_director and legal_oncall");
    for (const auto& [node, id] : follows_nodes_) {
      auto it = p.roles.find(p.roles.at(id).follows);
      if (it == p.roles.end()) r_.fail(node, "role '" + id + "' follows unknown role '" + p.roles.at(id).follows + "'");
      if (it->second.kind != core::RoleSpec::Kind::rotation)
        r_.fail(node, "role '" + id + "' follows '" + it->first + "', which is not a rotation", "next_in_rotation needs a rotation role");
      if (it->second.rotation.members.size() < 2)
        r_.fail(node, "role '" + id + "' follows a rotation of one person, so nobody is next", "add a member to '" + it->first + "'");
    }
  }

  core::Rotation parse_rotation(const YAML::Node& n, const std::string& role, const core::Policy& p) {
    const std::string what = "the rotation of " + role;
    r_.check_keys(n, {"time_zone", "handoff", "anchor", "members"}, what);
    core::Rotation rot;
    for (const char* key : {"time_zone", "handoff", "anchor", "members"})
      if (!n[key]) r_.fail(n, what + " has no '" + key + "'");
    rot.time_zone = r_.string(n["time_zone"], "time_zone of " + role);
    try {
      (void)date::locate_zone(rot.time_zone);
    } catch (const std::exception&) {
      r_.fail(n["time_zone"], "unknown time zone '" + rot.time_zone + "'", "use an IANA name such as Europe/London or America/New_York");
    }
    const auto handoff = r_.string(n["handoff"], "handoff of " + role);
    std::istringstream in(handoff);
    std::string day, time, extra;
    in >> day >> time >> extra;
    unsigned hh = 0, mm = 0;
    char tail = 0;
    const auto wd = weekday_from(day);
    if (!wd || !extra.empty() || time.size() != 5 || std::sscanf(time.c_str(), "%2u:%2u%c", &hh, &mm, &tail) != 2 || hh > 23 || mm > 59)
      r_.fail(n["handoff"], "bad handoff '" + handoff + "' in " + what, "write a weekday and a 24-hour local time, e.g. 'monday 09:00'");
    rot.handoff_day = *wd;
    rot.handoff_time = std::chrono::minutes(hh * 60 + mm);
    const auto anchor_text = r_.string(n["anchor"], "anchor of " + role);
    const auto anchor = core::parse_date(anchor_text);
    if (!anchor) r_.fail(n["anchor"], "bad anchor date '" + anchor_text + "'", "write the date (YYYY-MM-DD) of a week whose handoff goes to the first member");
    rot.anchor = *anchor;
    if (!n["members"].IsSequence() || n["members"].size() == 0)
      r_.fail(n["members"], what + " has no members", "list the people who take turns, e.g. [alice, bob]");
    std::set<std::string> seen;
    for (const auto& m : n["members"]) {
      auto id = person_ref(m, "members of " + role, p);
      if (!seen.insert(id).second) r_.fail(m, "'" + id + "' is listed twice in " + what);
      rot.members.push_back(std::move(id));
    }
    return rot;
  }

  std::string person_ref(const YAML::Node& n, const std::string& what, const core::Policy& p) {
    auto id = r_.string(n, what);
    if (!p.people.count(id)) {
      std::vector<std::string> ids;
      for (const auto& [k, _] : p.people) ids.push_back(k);
      const auto near = closest(id, ids);
      r_.fail(n, "unknown person '" + id + "' in " + what, near.empty() ? "add them under people:" : "did you mean '" + near + "'?");
    }
    return id;
  }

  void parse_lexicon(const YAML::Node& n, core::Policy& p) {
    r_.check_unique_keys(n, "lexicon category");
    for (const auto& kv : n) {
      const auto id = kv.first.as<std::string>();
      const std::string what = "lexicon category '" + id + "'";
      r_.check_keys(kv.second, {"route", "terms", "patterns"}, what);
      core::LexiconCategory c;
      c.id = id;
      if (kv.second["route"]) {
        c.route = r_.string(kv.second["route"], "route of " + what);
        route_nodes_.emplace_back(kv.second["route"], "route of " + what);
      }
      if (kv.second["terms"]) c.terms = r_.string_list(kv.second["terms"], "terms of " + what);
      if (kv.second["patterns"]) c.patterns = r_.string_list(kv.second["patterns"], "patterns of " + what);
      if (c.terms.empty() && c.patterns.empty()) r_.fail(kv.first, what + " has no terms or patterns");
      places_.lexicon[id] = kv.second;
      p.lexicon.push_back(std::move(c));
    }
  }

  void parse_personal_data(const YAML::Node& n, core::Policy& p) {
    r_.check_keys(n, {"route", "detectors"}, "personal_data");
    if (n["route"]) {
      p.personal_data.route = r_.string(n["route"], "personal_data.route");
      route_nodes_.emplace_back(n["route"], "personal_data.route");
    }
    if (n["detectors"]) {
      if (!n["detectors"].IsSequence()) r_.fail(n["detectors"], "personal_data.detectors must be a list");
      for (const auto& d : n["detectors"]) {
        const auto name = r_.string(d, "a personal-data detector");
        auto kind = core::personal_data_kind_from(name);
        if (!kind) r_.fail(d, "unknown personal-data detector '" + name + "'", "known: email, phone, iban, payment_card, uk_nino, us_ssn");
        if (std::find(p.personal_data.detectors.begin(), p.personal_data.detectors.end(), *kind) != p.personal_data.detectors.end())
          r_.fail(d, "detector '" + name + "' is listed twice");
        p.personal_data.detectors.push_back(*kind);
      }
    }
  }

  void parse_workflows(const YAML::Node& n, core::Policy& p) {
    r_.check_unique_keys(n, "workflow");
    for (const auto& kv : n) {
      const auto id = kv.first.as<std::string>();
      const std::string what = "workflow '" + id + "'";
      const auto& v = kv.second;
      r_.check_keys(v, {"description", "visibility", "confidence_threshold", "owner", "personal_data_route",
                        "stale_citation_route", "citation_max_age_months", "lexicon"}, what);
      core::Workflow wf;
      wf.id = id;
      if (v["description"]) wf.description = r_.string(v["description"], "description of " + what, true);
      if (v["visibility"]) {
        wf.visibility = r_.string(v["visibility"], "visibility of " + what);
        static const std::vector<std::string> kVisibilities = {"public", "semi_private", "external", "internal"};
        if (std::find(kVisibilities.begin(), kVisibilities.end(), wf.visibility) == kVisibilities.end())
          r_.fail(v["visibility"], "unknown visibility '" + wf.visibility + "'", "use one of " + join(kVisibilities));
      }
      if (v["confidence_threshold"]) {
        const double t = r_.number(v["confidence_threshold"], "confidence_threshold of " + what);
        if (t < 0.0 || t > 1.0)
          r_.fail(v["confidence_threshold"], "confidence_threshold " + core::format_fraction(t) + " of " + what + " is outside 0–1",
                  "a threshold is a fraction, e.g. 0.80 for 80%");
        wf.confidence_threshold = t;
      }
      auto role_field = [&](const char* key, std::string& out) {
        if (!v[key]) return false;
        out = r_.string(v[key], std::string(key) + " of " + what);
        route_nodes_.emplace_back(v[key], std::string(key) + " of " + what);
        return true;
      };
      role_field("owner", wf.owner);
      std::string route;
      if (role_field("personal_data_route", route)) wf.personal_data_route = route;
      if (role_field("stale_citation_route", route)) wf.stale_citation_route = route;
      if (v["citation_max_age_months"])
        wf.citation_max_age = std::chrono::months(r_.integer(v["citation_max_age_months"], "citation_max_age_months of " + what, 1, 240));
      if (v["lexicon"]) {
        wf.lexicon = r_.string_list(v["lexicon"], "lexicon of " + what);
        for (std::size_t i = 0; i < wf.lexicon.size(); ++i)
          if (!places_.lexicon.count(wf.lexicon[i]))
            r_.fail(v["lexicon"][i], "unknown lexicon category '" + wf.lexicon[i] + "' in " + what);
      }
      p.workflows.emplace(id, std::move(wf));
    }
    if (p.workflows.empty()) r_.fail(n, "the config has no workflows");
  }

  void check_references(const YAML::Node&, const core::Policy& p) {
    std::vector<std::string> roles;
    for (const auto& [k, _] : p.roles) roles.push_back(k);
    for (const auto& [node, what] : route_nodes_) {
      std::vector<std::string> names = node.IsSequence() ? r_.string_list(node, what) : std::vector<std::string>{node.as<std::string>()};
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (p.roles.count(names[i])) continue;
        const auto near = closest(names[i], roles);
        r_.fail(node.IsSequence() ? node[i] : node, "unknown role '" + names[i] + "' in " + what,
                near.empty() ? "roles: " + join(roles) : "did you mean '" + near + "'?");
      }
    }
  }

  /// Compiles what the desk will compile at start (lexicon, rota), so a config that would fail there
  /// fails here, at the line that causes it.
  void build_engines(const core::Policy& p) {
    try {
      core::LexiconMatcher matcher(p.lexicon);
    } catch (const core::LexiconError& e) {
      const auto& cat = places_.lexicon.at(e.category());
      const auto& list = cat[e.is_pattern() ? "patterns" : "terms"];
      r_.fail(list && list.IsSequence() && e.index() < list.size() ? list[e.index()] : cat,
              std::string("bad lexicon ") + (e.is_pattern() ? "pattern" : "term") + " in '" + e.category() + "': " + e.what(),
              e.is_pattern() ? "patterns use RE2 syntax (no look-around or back-references)" : "");
    }
    try {
      core::Rota rota(p.roles, p.people);
    } catch (const core::RotaError& e) {
      auto it = places_.roles.find(e.role());
      if (it != places_.roles.end()) r_.fail(it->second, std::string("role '") + e.role() + "': " + e.what());
      throw ConfigError(r_.file(), 0, 0, e.what());
    }
  }

  Reader& r_;
  std::string base_dir_;
  Places places_;
  std::set<std::string> slack_ids_;
  std::map<std::string, YAML::Node> people_nodes_;
  std::vector<std::pair<YAML::Node, std::string>> route_nodes_;
  std::vector<std::pair<YAML::Node, std::string>> follows_nodes_;
};

}  // namespace

ConfigError::ConfigError(std::string file, int line, int column, std::string message, std::string hint)
    : std::runtime_error(file + (line > 0 ? ":" + std::to_string(line) + ":" + std::to_string(column) : std::string()) +
                         ": " + message + (hint.empty() ? std::string() : " (hint: " + hint + ")")),
      file_(std::move(file)), line_(line), column_(column), message_(std::move(message)), hint_(std::move(hint)) {}

std::optional<Seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    long long n = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > 1'000'000'000) return std::nullopt;
      ++i;
    }
    if (i == start || i == text.size()) return std::nullopt;
    switch (text[i++]) {
      case 's': total += n; break;
      case 'm': total += n * 60; break;
      case 'h': total += n * 3600; break;
      case 'd': total += n * 86400; break;
      default: return std::nullopt;
    }
  }
  if (total <= 0) return std::nullopt;
  return Seconds{total};
}

core::Policy parse_config(std::string_view text, const std::string& file, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file, e.mark.line + 1, e.mark.column + 1, "not valid YAML: " + e.msg);
  }
  Reader reader(file);
  try {
    PolicyParser parser(reader, base_dir);
    core::Policy p = parser.parse(root);
    p.source_text = std::string(text);
    p.source_digest = storage::sha256_hex(text);
    return p;
  } catch (const YAML::Exception& e) {
    // A shape the parser did not expect (e.g. a list where a map belongs) that slipped past the checks.
    throw ConfigError(file, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

core::Policy load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, 0, "cannot read the config file", "check the path given to --config");
  std::ostringstream text;
  text << in.rdbuf();
  const auto dir = std::filesystem::path(path).parent_path();
  return parse_config(text.str(), path, dir.empty() ? "." : dir.string());
}

}  // namespace desk::bot
