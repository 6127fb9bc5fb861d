#include "core/rota.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

namespace desk::core {
namespace {

using std::chrono::days;
using std::chrono::seconds;

constexpr std::int64_t kWeekSeconds = 7 * 24 * 60 * 60;

// Far enough for any real rota, near enough that week arithmetic never overflows.
constexpr TimePoint kEarliest{std::chrono::sys_days{std::chrono::year{1} / 1 / 1}};
constexpr TimePoint kLatest{std::chrono::sys_days{std::chrono::year{9999} / 12 / 31}};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::size_t wrap(std::int64_t k, std::size_t n) {
  const auto m = static_cast<std::int64_t>(n);
  return static_cast<std::size_t>(((k % m) + m) % m);
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// The override that decides `at` for `role`: highest id, and on a tie the later one in the span.
const RotaOverride* winning_override(std::string_view role, TimePoint at, std::span<const RotaOverride> overrides) {
  const RotaOverride* best = nullptr;
  for (const auto& o : overrides) {
    if (o.role != role || at < o.from || at >= o.until) continue;
    if (best == nullptr || o.id >= best->id) best = &o;
  }
  return best;
}

void keep_earliest(std::optional<TimePoint>& best, TimePoint candidate) {
  if (!best || candidate < *best) best = candidate;
}

}  // namespace

Rota::Rota(std::map<std::string, RoleSpec> roles, std::map<std::string, Person> people)
    : roles_(std::move(roles)), people_(std::move(people)) {
  // Followers are resolved last so they can copy the (already validated) rotation they shadow.
  for (const auto& [id, spec] : roles_) {
    if (spec.kind == RoleSpec::Kind::rotation) resolve_rotation(id, spec);
    if (spec.kind == RoleSpec::Kind::fixed) resolve_fixed(id, spec);
  }
  for (const auto& [id, spec] : roles_)
    if (spec.kind == RoleSpec::Kind::next_in_rotation) resolve_follower(id, spec);
}

void Rota::resolve_rotation(const std::string& id, const RoleSpec& spec) {
  const Rotation& r = spec.rotation;
  Watch w;
  w.kind = RoleSpec::Kind::rotation;
  try {
    w.zone = date::locate_zone(r.time_zone);
  } catch (const std::runtime_error&) { throw RotaError(id, "unknown time zone " + quoted(r.time_zone)); }
  if (r.members.empty()) throw RotaError(id, "rotation has no members");
  std::set<std::string> seen;
  for (const auto& m : r.members) {
    if (!people_.contains(m)) throw RotaError(id, "rotation member " + quoted(m) + " is not in people");
    if (!seen.insert(m).second) throw RotaError(id, "rotation lists member " + quoted(m) + " more than once");
  }
  if (r.handoff_time < std::chrono::minutes{0} || r.handoff_time >= std::chrono::hours{24})
    throw RotaError(id, "handoff time " + std::to_string(r.handoff_time.count()) +
                            " minutes after midnight is outside [00:00, 24:00)");
  if (!r.handoff_day.ok())
    throw RotaError(id, "handoff day " + std::to_string(r.handoff_day.c_encoding()) + " is not a weekday");
  if (!r.anchor.ok()) throw RotaError(id, "anchor " + format_date(r.anchor) + " is not a valid date");

  const std::chrono::sys_days anchor{r.anchor};
  // weekday difference is always in [0, 6] days: the first handoff day on or after the anchor.
  w.first_day = (anchor + (r.handoff_day - std::chrono::weekday{anchor})).time_since_epoch();
  w.handoff_time = r.handoff_time;
  w.members = r.members;
  w.first_handoff = handoff_at(w, 0);
  watches_.emplace(id, std::move(w));
}

void Rota::resolve_fixed(const std::string& id, const RoleSpec& spec) {
  if (spec.person.empty()) throw RotaError(id, "fixed role names no person");
  if (!people_.contains(spec.person)) throw RotaError(id, "fixed person " + quoted(spec.person) + " is not in people");
  Watch w;
  w.kind = RoleSpec::Kind::fixed;
  w.person = spec.person;
  watches_.emplace(id, std::move(w));
}

void Rota::resolve_follower(const std::string& id, const RoleSpec& spec) {
  const auto followed = roles_.find(spec.follows);
  if (followed == roles_.end()) throw RotaError(id, "follows unknown role " + quoted(spec.follows));
  if (followed->second.kind != RoleSpec::Kind::rotation)
    throw RotaError(id, "follows " + quoted(spec.follows) + ", which is not a rotation");
  Watch w = watches_.at(spec.follows);
  if (w.members.size() < 2)
    throw RotaError(id, "follows " + quoted(spec.follows) +
                            ", whose rotation has a single member: there is no distinct next member");
  w.kind = RoleSpec::Kind::next_in_rotation;
  w.shift = 1;
  watches_.emplace(id, std::move(w));
}

TimePoint Rota::handoff_at(const Watch& watch, std::int64_t k) {
  const seconds local_since_epoch = watch.first_day + days{7 * k} + watch.handoff_time;
  const date::local_seconds local{local_since_epoch};
  const date::local_info info = watch.zone->get_info(local);
  switch (info.result) {
    case date::local_info::nonexistent:
      // Spring-forward gap: the first instant that exists locally, i.e. the end of the gap.
      return info.first.end;
    case date::local_info::ambiguous:  // fall-back overlap: the earlier instant (first.offset)
    case date::local_info::unique:
      break;
  }
  return TimePoint{local_since_epoch - info.first.offset};
}

std::int64_t Rota::week_at(const Watch& watch, TimePoint at) {
  at = std::clamp(at, kEarliest, kLatest);
  // UTC weeks differ from local weeks by at most the offset change (hours), so the estimate is off
  // by at most one; the exact handoff instants settle it.
  std::int64_t k = floor_div((at - watch.first_handoff).count(), kWeekSeconds);
  while (handoff_at(watch, k) > at) --k;
  while (handoff_at(watch, k + 1) <= at) ++k;
  return k;
}

Holding Rota::watch_holding(const std::string& role, const Watch& watch, std::int64_t k) {
  Holding h;
  h.role = role;
  h.person = watch.members[wrap(k + watch.shift, watch.members.size())];
  h.source = watch.shift == 0 ? Holding::Source::rotation : Holding::Source::next_in_rotation;
  h.since = handoff_at(watch, k);
  h.until = handoff_at(watch, k + 1);
  return h;
}

std::optional<Holding> Rota::holder(std::string_view role, TimePoint at,
                                    std::span<const RotaOverride> overrides) const {
  const auto it = watches_.find(role);
  if (it == watches_.end()) return std::nullopt;
  if (const RotaOverride* o = winning_override(role, at, overrides))
    return Holding{it->first, o->person, Holding::Source::override_, o->from, o->until};
  const Watch& w = it->second;
  if (w.kind == RoleSpec::Kind::fixed)
    return Holding{it->first, w.person, Holding::Source::fixed, TimePoint::min(), std::nullopt};
  return watch_holding(it->first, w, week_at(w, at));
}

std::optional<TimePoint> Rota::next_handoff(std::string_view role, TimePoint after,
                                            std::span<const RotaOverride> overrides) const {
  const auto it = watches_.find(role);
  if (it == watches_.end()) return std::nullopt;
  std::optional<TimePoint> next;
  const Watch& w = it->second;
  if (w.kind != RoleSpec::Kind::fixed) {
    const TimePoint handoff = handoff_at(w, week_at(w, after) + 1);
    if (handoff > after) next = handoff;  // not so only past the supported range
  }
  for (const auto& o : overrides) {
    if (o.role != role || o.from >= o.until) continue;
    if (o.from > after) keep_earliest(next, o.from);
    if (o.until > after) keep_earliest(next, o.until);
  }
  return next;
}

std::vector<Holding> Rota::schedule(std::string_view role, TimePoint from, int weeks) const {
  std::vector<Holding> out;
  const auto it = watches_.find(role);
  if (it == watches_.end() || weeks <= 0) return out;
  const Watch& w = it->second;
  if (w.kind == RoleSpec::Kind::fixed) {
    out.push_back(Holding{it->first, w.person, Holding::Source::fixed, TimePoint::min(), std::nullopt});
    return out;
  }
  out.reserve(static_cast<std::size_t>(weeks));
  const std::int64_t first = week_at(w, from);
  for (int i = 0; i < weeks; ++i) out.push_back(watch_holding(it->first, w, first + i));
  return out;
}

std::optional<TimePoint> Rota::next_change(TimePoint after, std::span<const RotaOverride> overrides) const {
  std::optional<TimePoint> next;
  for (const auto& [id, watch] : watches_)
    if (const auto t = next_handoff(id, after, overrides)) keep_earliest(next, *t);
  return next;
}

const Person* Rota::person(std::string_view id) const {
  const auto it = people_.find(std::string(id));
  return it == people_.end() ? nullptr : &it->second;
}

const Person* Rota::person_by_slack_user(std::string_view slack_user) const {
  if (slack_user.empty()) return nullptr;  // people not yet linked to Slack must never match
  for (const auto& [id, p] : people_)
    if (p.slack_user == slack_user) return &p;
  return nullptr;
}

const Person* Rota::person_by_teams_user(std::string_view teams_user) const {
  if (teams_user.empty()) return nullptr;  // people not linked to Teams must never match
  const auto same = [&](const std::string& id) {
    return id.size() == teams_user.size() && std::equal(id.begin(), id.end(), teams_user.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  };
  for (const auto& [id, p] : people_)
    if (same(p.teams_user)) return &p;
  return nullptr;
}

const Person* Rota::person_on(std::string_view surface, std::string_view user) const {
  if (surface == "slack") return person_by_slack_user(user);
  if (surface == "teams") return person_by_teams_user(user);
  return nullptr;
}

}  // namespace desk::core
