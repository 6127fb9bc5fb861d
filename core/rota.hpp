#pragma once
/// Who holds each role at a given instant: weekly rotations in a named IANA time zone (correct across
/// daylight-saving changes), fixed people, "next in the rotation" shadows, and overrides that win over
/// all of them for their window. Pure: the instant is always an argument.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/policy.hpp"

namespace date {
class time_zone;  // Howard Hinnant's date/tz; kept out of this header
}

namespace desk::core {

/// Someone covers a role for [from, until).
struct RotaOverride {
  std::int64_t id = 0;  ///< storage id, 0 when not stored yet
  std::string role;
  std::string person;  ///< person id
  TimePoint from{};
  TimePoint until{};
  std::string reason;
  std::string created_by;  ///< person id or Slack user id of who set it
};

/// A role's holder over a window.
struct Holding {
  std::string role;
  std::string person;  ///< person id
  enum class Source { rotation, fixed, next_in_rotation, override_ } source = Source::fixed;
  TimePoint since{};               ///< start of this holding (handoff or override start); min() if unbounded
  std::optional<TimePoint> until;  ///< end of this holding; nullopt if it has no end
};
const char* to_string(Holding::Source source);

/// Thrown when a Rota is built from specs that cannot work (unknown zone, empty rotation, …).
class RotaError : public std::runtime_error {
 public:
  RotaError(std::string role, const std::string& what) : std::runtime_error(what), role_(std::move(role)) {}
  const std::string& role() const { return role_; }

 private:
  std::string role_;
};

/// Time-zone rules: a rotation hands over every week at `handoff_day` + `handoff_time` local time.
/// Handoff 0 is the first `handoff_day` on or after `anchor` and gives members[0] the watch; handoff k
/// is 7k local days later (k may be negative), converted to UTC on its own, so it stays at 09:00 local
/// across daylight-saving changes. A local time that does not exist (spring-forward gap) hands over at
/// the first instant after the gap (02:30 on a 02:00->03:00 night becomes 03:00 new time); an
/// ambiguous one (fall-back overlap) takes the earlier instant (the first 01:30). Instants outside
/// years 0001..9999 are treated as the nearest end of that range.
/// Copyable; lookups are read-only, so a const Rota may be shared between threads.
class Rota {
 public:
  /// Validates every role (zone known, rotation non-empty, members and fixed people exist,
  /// next_in_rotation follows a rotation role); throws RotaError naming the role otherwise.
  Rota(std::map<std::string, RoleSpec> roles, std::map<std::string, Person> people);

  /// Who holds `role` at `at`, overrides first (the latest-created override covering `at` wins).
  /// nullopt for an unknown role.
  std::optional<Holding> holder(std::string_view role, TimePoint at,
                                std::span<const RotaOverride> overrides = {}) const;

  /// The first instant after `after` at which the holder of `role` changes by rotation or by an
  /// override starting or ending. nullopt for a fixed role with no overrides ahead.
  std::optional<TimePoint> next_handoff(std::string_view role, TimePoint after,
                                        std::span<const RotaOverride> overrides = {}) const;

  /// The rotation's watches (ignoring overrides) for the next `weeks` weeks starting with the one
  /// that holds `from`: one Holding per handoff. For a fixed role, one unbounded Holding.
  std::vector<Holding> schedule(std::string_view role, TimePoint from, int weeks) const;

  /// The next handoff of every role after `after` (the earliest of them): one timer serves all.
  std::optional<TimePoint> next_change(TimePoint after, std::span<const RotaOverride> overrides = {}) const;

  const std::map<std::string, RoleSpec>& roles() const { return roles_; }
  const std::map<std::string, Person>& people() const { return people_; }
  const Person* person(std::string_view id) const;
  /// Person whose Slack user id is `slack_user`, if any.
  const Person* person_by_slack_user(std::string_view slack_user) const;
  /// Person whose Teams user (Entra object id) is `teams_user`, compared without regard to case.
  const Person* person_by_teams_user(std::string_view teams_user) const;
  /// The person a surface's own user id names ("slack": the Slack user id, "teams": the Entra object
  /// id), for use cases that receive an author from whichever surface; nobody for any other surface.
  const Person* person_on(std::string_view surface, std::string_view user) const;

 private:
  /// A role resolved once in the constructor, so holder() only does arithmetic and two zone look-ups.
  struct Watch {
    RoleSpec::Kind kind = RoleSpec::Kind::fixed;
    std::string person;                     ///< fixed: the person id
    const date::time_zone* zone = nullptr;  ///< rotation or followed rotation: resolved zone
    std::chrono::days first_day{};          ///< local date of handoff 0 (days since 1970-01-01)
    std::chrono::minutes handoff_time{};    ///< local time of day of every handoff
    TimePoint first_handoff{};              ///< handoff 0 in UTC, to estimate week numbers
    std::vector<std::string> members;       ///< the rotation's members (own or followed)
    int shift = 0;                          ///< 0: the rotation itself; 1: next in it
  };

  void resolve_rotation(const std::string& id, const RoleSpec& spec);
  void resolve_fixed(const std::string& id, const RoleSpec& spec);
  void resolve_follower(const std::string& id, const RoleSpec& spec);

  /// UTC instant of handoff k of a rotation watch.
  static TimePoint handoff_at(const Watch& watch, std::int64_t k);
  /// The k whose watch [handoff k, handoff k+1) contains `at`.
  static std::int64_t week_at(const Watch& watch, TimePoint at);
  static Holding watch_holding(const std::string& role, const Watch& watch, std::int64_t k);

  std::map<std::string, RoleSpec> roles_;
  std::map<std::string, Person> people_;
  std::map<std::string, Watch, std::less<>> watches_;
};

}  // namespace desk::core
