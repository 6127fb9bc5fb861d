#pragma once
/// Who holds each role at a given instant: weekly rotations in a named IANA time zone (correct across
/// daylight-saving changes), fixed people, "next in the rotation" shadows, and overrides that win over
/// all of them for their window. Pure: the instant is always an argument.
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/policy.hpp"

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
  TimePoint since{};                ///< start of this holding (handoff or override start); min() if unbounded
  std::optional<TimePoint> until;   ///< end of this holding; nullopt if it has no end
};
const char* to_string(Holding::Source source);

/// Thrown when a Rota is built from specs that cannot work (unknown zone, empty rotation, …).
class RotaError : public std::runtime_error {
 public:
  RotaError(std::string role, const std::string& what)
      : std::runtime_error(what), role_(std::move(role)) {}
  const std::string& role() const { return role_; }

 private:
  std::string role_;
};

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

 private:
  std::map<std::string, RoleSpec> roles_;
  std::map<std::string, Person> people_;
};

}  // namespace desk::core
