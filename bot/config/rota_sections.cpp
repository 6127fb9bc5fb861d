// The people: section and the roles: section, which names who fills each role: a fixed person, a
// weekly rotation (time zone, handoff, anchor week, members) or whoever is next in a rotation.
#include <date/tz.h>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "bot/config/policy_parser.hpp"
#include "core/clock.hpp"

namespace desk::bot::config_parsing {
namespace {

std::optional<std::chrono::weekday> weekday_from(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* const kNames[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
  for (unsigned i = 0; i < 7; ++i)
    if (name == kNames[i] || name == std::string(kNames[i], 3)) return std::chrono::weekday{i};
  return std::nullopt;
}

}  // namespace

std::optional<WeeklyTime> parse_weekly_time(const std::string& text) {
  std::istringstream in(text);
  std::string day, time, extra;
  in >> day >> time >> extra;
  unsigned hh = 0, mm = 0;
  char tail = 0;
  const auto wd = weekday_from(day);
  if (!wd || !extra.empty() || time.size() != 5 || std::sscanf(time.c_str(), "%2u:%2u%c", &hh, &mm, &tail) != 2 ||
      hh > 23 || mm > 59)
    return std::nullopt;
  return WeeklyTime{*wd, std::chrono::minutes(hh * 60 + mm)};
}

void PolicyParser::parse_people(const YAML::Node& n, core::Policy& p) {
  r_.check_unique_keys(n, "person");
  for (const auto& kv : n) {
    const auto id = kv.first.as<std::string>();
    const auto& v = kv.second;
    r_.check_keys(v, {"name", "slack", "email", "teams"}, "person '" + id + "'");
    core::Person person;
    person.id = id;
    person.name = v["name"] ? r_.string(v["name"], "name of person '" + id + "'") : id;
    if (v["slack"]) {
      person.slack_user = r_.string(v["slack"], "slack id of person '" + id + "'");
      const bool shaped = person.slack_user.size() >= 3 &&
                          (person.slack_user[0] == 'U' || person.slack_user[0] == 'W') &&
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
      if (person.email.find('@') == std::string::npos)
        r_.fail(v["email"], "'" + person.email + "' is not an e-mail address");
    }
    if (v["teams"]) person.teams_user = teams_user(v["teams"], id);
    p.people.emplace(id, std::move(person));
    people_nodes_[id] = kv.first;
  }
  if (p.people.empty()) r_.fail(n, "the config names no people", "roles need people to fill them");
}

void PolicyParser::parse_roles(const YAML::Node& n, core::Policy& p) {
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
      r_.fail(kv.first, what + " is filled by nobody",
              "give it a rotation, a person, or next_in_rotation: <rotation role>");
    if (fillers > 1)
      r_.fail(kv.first, what + " has more than one of rotation, person and next_in_rotation", "keep one");
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
      if (!v["may_override"].IsSequence())
        r_.fail(v["may_override"], "may_override of " + what + " must be a list of people");
      for (const auto& item : v["may_override"])
        role.may_override.push_back(person_ref(item, "may_override of " + what, p));
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
      r_.fail(node, "role '" + id + "' follows '" + it->first + "', which is not a rotation",
              "next_in_rotation needs a rotation role");
    if (it->second.rotation.members.size() < 2)
      r_.fail(node, "role '" + id + "' follows a rotation of one person, so nobody is next",
              "add a member to '" + it->first + "'");
  }
}

core::Rotation PolicyParser::parse_rotation(const YAML::Node& n, const std::string& role, const core::Policy& p) {
  const std::string what = "the rotation of " + role;
  r_.check_keys(n, {"time_zone", "handoff", "anchor", "members"}, what);
  core::Rotation rot;
  for (const char* key : {"time_zone", "handoff", "anchor", "members"})
    if (!n[key]) r_.fail(n, what + " has no '" + key + "'");
  rot.time_zone = r_.string(n["time_zone"], "time_zone of " + role);
  try {
    (void)date::locate_zone(rot.time_zone);
  } catch (const std::exception&) {
    r_.fail(n["time_zone"], "unknown time zone '" + rot.time_zone + "'",
            "use an IANA name such as Europe/London or America/New_York");
  }
  const auto handoff = r_.string(n["handoff"], "handoff of " + role);
  const auto when = parse_weekly_time(handoff);
  if (!when)
    r_.fail(n["handoff"], "bad handoff '" + handoff + "' in " + what,
            "write a weekday and a 24-hour local time, e.g. 'monday 09:00'");
  rot.handoff_day = when->day;
  rot.handoff_time = when->time;
  const auto anchor_text = r_.string(n["anchor"], "anchor of " + role);
  const auto anchor = core::parse_date(anchor_text);
  if (!anchor)
    r_.fail(n["anchor"], "bad anchor date '" + anchor_text + "'",
            "write the date (YYYY-MM-DD) of a week whose handoff goes to the first member");
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

std::string PolicyParser::person_ref(const YAML::Node& n, const std::string& what, const core::Policy& p) {
  auto id = r_.string(n, what);
  if (!p.people.count(id)) {
    std::vector<std::string> ids;
    for (const auto& [k, _] : p.people) ids.push_back(k);
    const auto near = closest(id, ids);
    r_.fail(n, "unknown person '" + id + "' in " + what,
            near.empty() ? "add them under people:" : "did you mean '" + near + "'?");
  }
  return id;
}

}  // namespace desk::bot::config_parsing
