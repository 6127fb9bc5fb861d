#include "core/rota.hpp"

#include <date/tz.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <random>

namespace desk::core {
namespace {

using namespace std::chrono;
using ::testing::HasSubstr;

TimePoint utc(year_month_day day, seconds time_of_day = seconds{0}) { return sys_days{day} + time_of_day; }

std::map<std::string, Person> team() {
  return {{"alice", {"alice", "Alice", "U01", "alice@example.com"}},
          {"bob", {"bob", "Bob", "U02", "bob@example.com"}},
          {"carol", {"carol", "Carol", "U03", "carol@example.com"}},
          {"dave", {"dave", "Dave", "", "dave@example.com"}}};
}

RoleSpec rotation_role(std::string id, std::string zone, weekday day, minutes time, year_month_day anchor,
                       std::vector<std::string> members = {"alice", "bob", "carol"}) {
  RoleSpec r;
  r.id = std::move(id);
  r.kind = RoleSpec::Kind::rotation;
  r.rotation = Rotation{std::move(zone), day, time, anchor, std::move(members)};
  return r;
}

RoleSpec fixed_role(std::string id, std::string person) {
  RoleSpec r;
  r.id = std::move(id);
  r.kind = RoleSpec::Kind::fixed;
  r.person = std::move(person);
  return r;
}

RoleSpec follower_role(std::string id, std::string follows) {
  RoleSpec r;
  r.id = std::move(id);
  r.kind = RoleSpec::Kind::next_in_rotation;
  r.follows = std::move(follows);
  return r;
}

std::map<std::string, RoleSpec> by_id(std::vector<RoleSpec> specs) {
  std::map<std::string, RoleSpec> roles;
  for (auto& s : specs) roles.emplace(s.id, std::move(s));
  return roles;
}

Rota make_rota(std::vector<RoleSpec> specs) { return Rota(by_id(std::move(specs)), team()); }

// Duty lead hands over Mondays 09:00 London time; handoff 0 is Monday 2026-01-05.
Rota london_desk() {
  return make_rota({rotation_role(kDutyLeadRole, "Europe/London", Monday, 9h, 2026y / January / 5),
                    follower_role(kBackupRole, kDutyLeadRole), fixed_role(kDirectorRole, "dave")});
}

RotaOverride cover(std::int64_t id, std::string role, std::string person, TimePoint from, TimePoint until) {
  return RotaOverride{id, std::move(role), std::move(person), from, until, "cover", "alice"};
}

// --- Handoffs across daylight-saving changes -------------------------------------------------

struct HandoffCase {
  const char* name;
  const char* zone;
  TimePoint at;
  const char* person;
  TimePoint since;
  TimePoint until;
};

class RotaDaylightSaving : public ::testing::TestWithParam<HandoffCase> {};

TEST_P(RotaDaylightSaving, HandoffStaysAtNineLocal) {
  const HandoffCase& c = GetParam();
  const Rota rota = make_rota({rotation_role(kDutyLeadRole, c.zone, Monday, 9h, 2026y / January / 5)});
  const auto h = rota.holder(kDutyLeadRole, c.at);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->person, c.person);
  EXPECT_EQ(h->source, Holding::Source::rotation);
  EXPECT_EQ(h->since, c.since);
  EXPECT_EQ(h->until, c.until);
}

// London: BST starts Sunday 2026-03-29 and ends Sunday 2026-10-25. Handoffs are 09:00 UTC in winter
// and 08:00 UTC in summer. Week k of the anchor goes to members[k % 3].
// New York: EDT starts Sunday 2026-03-08 and ends Sunday 2026-11-01 (09:00 = 14:00 / 13:00 UTC).
const HandoffCase kHandoffCases[] = {
    {"LondonLastWinterWatch", "Europe/London", utc(2026y / March / 30, 7h + 59min + 59s), "carol",
     utc(2026y / March / 23, 9h), utc(2026y / March / 30, 8h)},
    {"LondonFirstSummerHandoff", "Europe/London", utc(2026y / March / 30, 8h), "alice", utc(2026y / March / 30, 8h),
     utc(2026y / April / 6, 8h)},
    {"LondonNineUtcIsTenBst", "Europe/London", utc(2026y / March / 30, 9h), "alice", utc(2026y / March / 30, 8h),
     utc(2026y / April / 6, 8h)},
    {"LondonLastSummerWatch", "Europe/London", utc(2026y / October / 26, 8h + 59min + 59s), "carol",
     utc(2026y / October / 19, 8h), utc(2026y / October / 26, 9h)},
    {"LondonFirstWinterHandoff", "Europe/London", utc(2026y / October / 26, 9h), "alice", utc(2026y / October / 26, 9h),
     utc(2026y / November / 2, 9h)},
    {"LondonEightUtcIsStillSummerWatch", "Europe/London", utc(2026y / October / 26, 8h), "carol",
     utc(2026y / October / 19, 8h), utc(2026y / October / 26, 9h)},
    {"NewYorkLastWinterWatch", "America/New_York", utc(2026y / March / 9, 12h + 59min + 59s), "carol",
     utc(2026y / March / 2, 14h), utc(2026y / March / 9, 13h)},
    {"NewYorkFirstSummerHandoff", "America/New_York", utc(2026y / March / 9, 13h), "alice", utc(2026y / March / 9, 13h),
     utc(2026y / March / 16, 13h)},
    {"NewYorkLastSummerWatch", "America/New_York", utc(2026y / November / 2, 13h + 59min), "alice",
     utc(2026y / October / 26, 13h), utc(2026y / November / 2, 14h)},
    {"NewYorkFirstWinterHandoff", "America/New_York", utc(2026y / November / 2, 14h), "bob",
     utc(2026y / November / 2, 14h), utc(2026y / November / 9, 14h)},
};

INSTANTIATE_TEST_SUITE_P(Rota, RotaDaylightSaving, ::testing::ValuesIn(kHandoffCases),
                         [](const auto& p) { return std::string(p.param.name); });

// Sunday 02:30 in New York does not exist on 2026-03-08 (02:00 jumps to 03:00 EDT): documented choice
// is the first instant after the gap, 03:00 EDT = 07:00 UTC.
TEST(Rota, HandoffInSpringGapMovesToEndOfGap) {
  const Rota rota = make_rota(
      {rotation_role(kDutyLeadRole, "America/New_York", Sunday, 2h + 30min, 2026y / March / 1, {"alice", "bob"})});
  const auto before = rota.holder(kDutyLeadRole, utc(2026y / March / 8, 6h + 59min + 59s));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->person, "alice");
  EXPECT_EQ(before->since, utc(2026y / March / 1, 7h + 30min));  // 02:30 EST
  EXPECT_EQ(before->until, utc(2026y / March / 8, 7h));
  const auto after = rota.holder(kDutyLeadRole, utc(2026y / March / 8, 7h));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->person, "bob");
  EXPECT_EQ(after->until, utc(2026y / March / 15, 6h + 30min));  // 02:30 EDT
}

// On 2026-11-01 New York repeats 01:00-02:00 (EDT, then EST): 01:30 takes the earlier, EDT instant.
// 02:30 that day is after the overlap and is an ordinary EST time.
TEST(Rota, HandoffInAutumnOverlapTakesEarlierInstant) {
  const Rota at_0130 = make_rota(
      {rotation_role(kDutyLeadRole, "America/New_York", Sunday, 1h + 30min, 2026y / October / 25, {"alice", "bob"})});
  EXPECT_EQ(at_0130.holder(kDutyLeadRole, utc(2026y / November / 1, 5h + 29min))->person, "alice");
  const auto h = at_0130.holder(kDutyLeadRole, utc(2026y / November / 1, 5h + 30min));
  EXPECT_EQ(h->person, "bob");
  EXPECT_EQ(h->since, utc(2026y / November / 1, 5h + 30min));  // 01:30 EDT, not 01:30 EST (06:30 UTC)
  EXPECT_EQ(h->until, utc(2026y / November / 8, 6h + 30min));  // 01:30 EST

  const Rota at_0230 = make_rota(
      {rotation_role(kDutyLeadRole, "America/New_York", Sunday, 2h + 30min, 2026y / March / 1, {"alice", "bob"})});
  const auto w = at_0230.holder(kDutyLeadRole, utc(2026y / November / 1, 7h + 30min));
  EXPECT_EQ(w->since, utc(2026y / November / 1, 7h + 30min));  // 02:30 EST
  EXPECT_EQ(w->until, utc(2026y / November / 8, 7h + 30min));
}

// Checks every handoff over twenty years against date/tz directly, in zones and at local times that hit
// gaps and overlaps, so the arithmetic week estimate is exercised far from the anchor.
TEST(Rota, HolderAgreesWithEveryHandoffOverTwentyYears) {
  struct Setup {
    const char* zone;
    weekday day;
    minutes time;
  };
  const Setup setups[] = {{"Europe/London", Sunday, 1h + 30min},    {"America/New_York", Sunday, 2h + 30min},
                          {"America/New_York", Sunday, 1h + 30min}, {"Australia/Sydney", Sunday, 2h + 30min},
                          {"Asia/Kolkata", Friday, 23h + 59min},    {"Europe/London", Monday, 0min}};
  for (const auto& s : setups) {
    SCOPED_TRACE(s.zone);
    const Rota rota = make_rota({rotation_role(kDutyLeadRole, s.zone, s.day, s.time, 2020y / January / 1)});
    const auto* zone = date::locate_zone(s.zone);
    const sys_days first{2020y / January / 1};
    const auto first_day = first + (s.day - weekday{first});
    for (int k = -520; k <= 520; ++k) {
      const date::local_seconds local{(first_day + days{7 * k}).time_since_epoch() + s.time};
      const TimePoint expected = zone->to_sys(local, date::choose::earliest);
      const auto h = rota.holder(kDutyLeadRole, expected);
      ASSERT_TRUE(h);
      ASSERT_EQ(h->since, expected) << "k=" << k;
      const char* members[] = {"alice", "bob", "carol"};
      ASSERT_EQ(h->person, members[((k % 3) + 3) % 3]) << "k=" << k;
      ASSERT_EQ(rota.holder(kDutyLeadRole, expected - 1s)->until, expected) << "k=" << k;
    }
  }
}

TEST(Rota, HolderWindowAlwaysContainsTheInstant) {
  const Rota rota =
      make_rota({rotation_role(kDutyLeadRole, "America/New_York", Sunday, 2h + 30min, 2026y / March / 1)});
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> pick(utc(1990y / January / 1).time_since_epoch().count(),
                                                   utc(2060y / January / 1).time_since_epoch().count());
  for (int i = 0; i < 2000; ++i) {
    const TimePoint at{seconds{pick(rng)}};
    const auto h = rota.holder(kDutyLeadRole, at);
    ASSERT_TRUE(h && h->until);
    ASSERT_LE(h->since, at);
    ASSERT_LT(at, *h->until);
    ASSERT_LE(*h->until - h->since, days{7} + 1h);
    ASSERT_GE(*h->until - h->since, days{7} - 1h);
  }
}

// --- Anchor, wrap-around, instants before the anchor -----------------------------------------

TEST(Rota, FirstHandoffIsTheHandoffDayOnOrAfterTheAnchor) {
  // Anchor Wednesday 2026-01-07: handoff 0 is Monday 2026-01-12 09:00 GMT.
  const Rota rota = make_rota({rotation_role(kDutyLeadRole, "Europe/London", Monday, 9h, 2026y / January / 7)});
  EXPECT_EQ(rota.holder(kDutyLeadRole, utc(2026y / January / 12, 9h))->person, "alice");
  EXPECT_EQ(rota.holder(kDutyLeadRole, utc(2026y / January / 12, 9h) - 1s)->person, "carol");
  // Anchor on the handoff day itself: that day's handoff is handoff 0.
  const Rota same_day = make_rota({rotation_role(kDutyLeadRole, "Europe/London", Monday, 9h, 2026y / January / 12)});
  EXPECT_EQ(same_day.holder(kDutyLeadRole, utc(2026y / January / 12, 9h))->person, "alice");
}

TEST(Rota, RotationWrapsAroundAndRunsBackwardsBeforeTheAnchor) {
  const Rota rota = london_desk();
  struct Row {
    TimePoint at;
    const char* person;
  };
  const Row rows[] = {
      {utc(2026y / January / 5, 9h), "alice"},         {utc(2026y / January / 12, 9h), "bob"},
      {utc(2026y / January / 19, 9h), "carol"},        {utc(2026y / January / 26, 9h), "alice"},  // wrapped
      {utc(2026y / January / 5, 8h + 59min), "carol"},                                            // week -1
      {utc(2025y / December / 22, 12h), "bob"},                                                   // week -2
      {utc(2025y / December / 15, 9h), "alice"},                                                  // week -3
      {utc(2025y / December / 8, 9h), "carol"},                                                   // week -4
      {utc(2023y / January / 9, 9h), "alice"},                                                    // week -156
  };
  for (const auto& r : rows) EXPECT_EQ(rota.holder(kDutyLeadRole, r.at)->person, r.person);
}

TEST(Rota, ExtremeInstantsDoNotOverflow) {
  const Rota rota = london_desk();
  EXPECT_TRUE(rota.holder(kDutyLeadRole, TimePoint::min()));
  EXPECT_TRUE(rota.holder(kDutyLeadRole, TimePoint::max()));
  const auto next = rota.next_handoff(kDutyLeadRole, TimePoint::min());
  ASSERT_TRUE(next);
  EXPECT_GT(*next, TimePoint::min());
  EXPECT_FALSE(rota.next_handoff(kDutyLeadRole, TimePoint::max()));
}

// --- Fixed, next-in-rotation, unknown roles --------------------------------------------------

TEST(Rota, FixedRoleIsAlwaysItsPersonWithoutBounds) {
  const auto h = london_desk().holder(kDirectorRole, utc(2026y / May / 1));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->person, "dave");
  EXPECT_EQ(h->source, Holding::Source::fixed);
  EXPECT_EQ(h->since, TimePoint::min());
  EXPECT_FALSE(h->until);
}

TEST(Rota, BackupIsNextInRotationWithTheSameWatch) {
  const Rota rota = london_desk();
  const TimePoint at = utc(2026y / January / 20);  // week 2: carol leads, so alice (wrapped) backs up
  const auto lead = rota.holder(kDutyLeadRole, at);
  const auto backup = rota.holder(kBackupRole, at);
  ASSERT_TRUE(lead && backup);
  EXPECT_EQ(lead->person, "carol");
  EXPECT_EQ(backup->person, "alice");
  EXPECT_EQ(backup->source, Holding::Source::next_in_rotation);
  EXPECT_EQ(backup->role, kBackupRole);
  EXPECT_EQ(backup->since, lead->since);
  EXPECT_EQ(backup->until, lead->until);
  EXPECT_EQ(rota.holder(kBackupRole, utc(2026y / January / 13))->person, "carol");
}

TEST(Rota, BackupFollowsTheRotationNotAnOverrideOfIt) {
  const Rota rota = london_desk();
  const TimePoint at = utc(2026y / January / 7);  // week 0: alice leads, bob backs up
  const std::vector<RotaOverride> lead_covered{cover(1, kDutyLeadRole, "dave", at - 1h, at + 1h)};
  EXPECT_EQ(rota.holder(kDutyLeadRole, at, lead_covered)->person, "dave");
  EXPECT_EQ(rota.holder(kBackupRole, at, lead_covered)->person, "bob");
  const std::vector<RotaOverride> backup_covered{cover(2, kBackupRole, "carol", at - 1h, at + 1h)};
  const auto h = rota.holder(kBackupRole, at, backup_covered);
  EXPECT_EQ(h->person, "carol");
  EXPECT_EQ(h->source, Holding::Source::override_);
}

TEST(Rota, UnknownRoleHasNoHolderHandoffOrSchedule) {
  const Rota rota = london_desk();
  const std::vector<RotaOverride> stray{cover(1, "nobody", "bob", utc(2026y / May / 1), utc(2026y / May / 2))};
  EXPECT_FALSE(rota.holder("nobody", utc(2026y / May / 1, 1h), stray));
  EXPECT_FALSE(rota.next_handoff("nobody", utc(2026y / April / 1), stray));
  EXPECT_TRUE(rota.schedule("nobody", utc(2026y / May / 1), 4).empty());
}

// --- Overrides -------------------------------------------------------------------------------

TEST(Rota, OverrideCoveringPartOfAWatchWinsOnlyInsideItsWindow) {
  const Rota rota = london_desk();
  const TimePoint from = utc(2026y / January / 6, 10h);  // Tuesday of alice's week
  const TimePoint until = utc(2026y / January / 7, 10h);
  const std::vector<RotaOverride> o{cover(3, kDutyLeadRole, "bob", from, until)};
  EXPECT_EQ(rota.holder(kDutyLeadRole, from - 1s, o)->person, "alice");
  const auto inside = rota.holder(kDutyLeadRole, from, o);
  EXPECT_EQ(inside->person, "bob");
  EXPECT_EQ(inside->source, Holding::Source::override_);
  EXPECT_EQ(inside->since, from);
  EXPECT_EQ(inside->until, until);
  const auto after = rota.holder(kDutyLeadRole, until, o);
  EXPECT_EQ(after->person, "alice");
  EXPECT_EQ(after->source, Holding::Source::rotation);
}

TEST(Rota, OverrideAcrossAHandoffHoldsOnBothSides) {
  const Rota rota = london_desk();
  const TimePoint handoff = utc(2026y / January / 12, 9h);
  const std::vector<RotaOverride> o{cover(4, kDutyLeadRole, "dave", handoff - 24h, handoff + 24h)};
  EXPECT_EQ(rota.holder(kDutyLeadRole, handoff - 1s, o)->person, "dave");
  EXPECT_EQ(rota.holder(kDutyLeadRole, handoff, o)->person, "dave");
  EXPECT_EQ(rota.holder(kDutyLeadRole, handoff + 24h, o)->person, "bob");
}

TEST(Rota, OverlappingOverridesHighestIdWins) {
  const Rota rota = london_desk();
  const TimePoint a = utc(2026y / January / 6);
  const std::vector<RotaOverride> o{cover(7, kDutyLeadRole, "dave", a + 2h, a + 6h),
                                    cover(5, kDutyLeadRole, "bob", a, a + 4h)};
  EXPECT_EQ(rota.holder(kDutyLeadRole, a + 1h, o)->person, "bob");
  EXPECT_EQ(rota.holder(kDutyLeadRole, a + 3h, o)->person, "dave");
  EXPECT_EQ(rota.holder(kDutyLeadRole, a + 5h, o)->person, "dave");
  // Unstored overrides (id 0) tie: the later one in the span wins.
  const std::vector<RotaOverride> unsaved{cover(0, kDutyLeadRole, "bob", a, a + 4h),
                                          cover(0, kDutyLeadRole, "carol", a, a + 4h)};
  EXPECT_EQ(rota.holder(kDutyLeadRole, a + 1h, unsaved)->person, "carol");
}

TEST(Rota, EndedEmptyAndOtherRoleOverridesAreIgnored) {
  const Rota rota = london_desk();
  const TimePoint now = utc(2026y / January / 8);
  const std::vector<RotaOverride> o{cover(9, kDutyLeadRole, "dave", now - 48h, now - 24h),
                                    cover(10, kDutyLeadRole, "bob", now + 1h, now - 1h),  // inverted
                                    cover(11, kDirectorRole, "bob", now - 1h, now + 1h)};
  const auto h = rota.holder(kDutyLeadRole, now, o);
  EXPECT_EQ(h->person, "alice");
  EXPECT_EQ(h->source, Holding::Source::rotation);
  EXPECT_EQ(rota.next_handoff(kDutyLeadRole, now, o), utc(2026y / January / 12, 9h));
}

TEST(Rota, NextHandoffIsStrictlyAfterAndPicksTheEarliestBoundary) {
  const Rota rota = london_desk();
  const TimePoint handoff = utc(2026y / January / 12, 9h);
  const TimePoint tuesday = utc(2026y / January / 6, 12h);
  EXPECT_EQ(rota.next_handoff(kDutyLeadRole, tuesday), handoff);
  EXPECT_EQ(rota.next_handoff(kDutyLeadRole, handoff), utc(2026y / January / 19, 9h));
  EXPECT_EQ(rota.next_handoff(kDutyLeadRole, handoff - 1s), handoff);
  // An override starting before the handoff: its start comes first.
  const std::vector<RotaOverride> starts{cover(1, kDutyLeadRole, "dave", tuesday + 48h, handoff + 48h)};
  EXPECT_EQ(rota.next_handoff(kDutyLeadRole, tuesday, starts), tuesday + 48h);
  // Already running: its end comes first.
  const std::vector<RotaOverride> running{cover(1, kDutyLeadRole, "dave", tuesday - 1h, tuesday + 24h)};
  EXPECT_EQ(rota.next_handoff(kDutyLeadRole, tuesday, running), tuesday + 24h);
  // Starting after the handoff: the handoff comes first.
  const std::vector<RotaOverride> later{cover(1, kDutyLeadRole, "dave", handoff + 1h, handoff + 2h)};
  EXPECT_EQ(rota.next_handoff(kDutyLeadRole, tuesday, later), handoff);
}

TEST(Rota, FixedRoleHandsOffOnlyAtOverrideBoundaries) {
  const Rota rota = london_desk();
  const TimePoint now = utc(2026y / March / 2);
  EXPECT_FALSE(rota.next_handoff(kDirectorRole, now));
  const std::vector<RotaOverride> o{cover(1, kDirectorRole, "carol", now + 5h, now + 9h)};
  EXPECT_EQ(rota.next_handoff(kDirectorRole, now, o), now + 5h);
  EXPECT_EQ(rota.next_handoff(kDirectorRole, now + 5h, o), now + 9h);
  EXPECT_FALSE(rota.next_handoff(kDirectorRole, now + 9h, o));
}

// --- schedule and next_change ----------------------------------------------------------------

TEST(Rota, ScheduleListsConsecutiveWatchesAcrossTheClockChange) {
  const Rota rota = london_desk();
  const auto weeks = rota.schedule(kDutyLeadRole, utc(2026y / March / 18, 15h), 4);
  ASSERT_EQ(weeks.size(), 4u);
  const char* people[] = {"bob", "carol", "alice", "bob"};
  const TimePoint since[] = {utc(2026y / March / 16, 9h), utc(2026y / March / 23, 9h), utc(2026y / March / 30, 8h),
                             utc(2026y / April / 6, 8h)};
  for (std::size_t i = 0; i < weeks.size(); ++i) {
    EXPECT_EQ(weeks[i].person, people[i]);
    EXPECT_EQ(weeks[i].since, since[i]);
    EXPECT_EQ(weeks[i].source, Holding::Source::rotation);
    if (i + 1 < weeks.size()) { EXPECT_EQ(weeks[i].until, since[i + 1]); }
  }
  EXPECT_EQ(weeks[3].until, utc(2026y / April / 13, 8h));

  const auto backup = rota.schedule(kBackupRole, utc(2026y / March / 18, 15h), 2);
  ASSERT_EQ(backup.size(), 2u);
  EXPECT_EQ(backup[0].person, "carol");
  EXPECT_EQ(backup[1].person, "alice");
}

TEST(Rota, ScheduleOfFixedRoleIsOneUnboundedHoldingAndNothingForNoWeeks) {
  const Rota rota = london_desk();
  const auto fixed = rota.schedule(kDirectorRole, utc(2026y / March / 18), 4);
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_EQ(fixed[0].person, "dave");
  EXPECT_FALSE(fixed[0].until);
  EXPECT_TRUE(rota.schedule(kDutyLeadRole, utc(2026y / March / 18), 0).empty());
  EXPECT_TRUE(rota.schedule(kDutyLeadRole, utc(2026y / March / 18), -3).empty());
}

TEST(Rota, NextChangeIsTheEarliestAcrossAllRoles) {
  // Duty lead: Mondays 09:00 London. Legal: Wednesdays 09:00 New York (14:00 UTC in January).
  const Rota rota = make_rota({rotation_role(kDutyLeadRole, "Europe/London", Monday, 9h, 2026y / January / 5),
                               rotation_role(kLegalRole, "America/New_York", Wednesday, 9h, 2026y / January / 5),
                               follower_role(kBackupRole, kDutyLeadRole), fixed_role(kDirectorRole, "dave")});
  const TimePoint monday = utc(2026y / January / 12, 10h);
  EXPECT_EQ(rota.next_change(monday), utc(2026y / January / 14, 14h));
  EXPECT_EQ(rota.next_change(utc(2026y / January / 14, 14h)), utc(2026y / January / 19, 9h));
  const std::vector<RotaOverride> o{cover(1, kDirectorRole, "carol", monday + 3h, monday + 5h)};
  EXPECT_EQ(rota.next_change(monday, o), monday + 3h);
  EXPECT_FALSE(make_rota({fixed_role(kDirectorRole, "dave")}).next_change(monday));
}

// --- Look-ups and copies ---------------------------------------------------------------------

TEST(Rota, FindsPeopleByIdAndBySlackUser) {
  const Rota rota = london_desk();
  ASSERT_NE(rota.person("bob"), nullptr);
  EXPECT_EQ(rota.person("bob")->name, "Bob");
  EXPECT_EQ(rota.person("zed"), nullptr);
  ASSERT_NE(rota.person_by_slack_user("U03"), nullptr);
  EXPECT_EQ(rota.person_by_slack_user("U03")->id, "carol");
  EXPECT_EQ(rota.person_by_slack_user("U99"), nullptr);
  EXPECT_EQ(rota.person_by_slack_user(""), nullptr);  // dave has no Slack id yet
}

TEST(Rota, FindsTheAuthorASurfaceNamesByItsOwnUserId) {
  auto people = team();
  people["dave"].teams_user = "5d9b4e1a-0c2f-4b7e-9a51-3f6c2d8e7b10";
  const Rota rota(by_id({fixed_role(kDirectorRole, "dave")}), people);
  ASSERT_NE(rota.person_on("slack", "U03"), nullptr);
  EXPECT_EQ(rota.person_on("slack", "U03")->id, "carol");
  ASSERT_NE(rota.person_on("teams", "5D9B4E1A-0C2F-4B7E-9A51-3F6C2D8E7B10"), nullptr) << "object ids ignore case";
  EXPECT_EQ(rota.person_on("teams", "5D9B4E1A-0C2F-4B7E-9A51-3F6C2D8E7B10")->id, "dave");
  EXPECT_EQ(rota.person_on("teams", "U03"), nullptr) << "a Slack id means nothing in Teams";
  EXPECT_EQ(rota.person_on("console", "carol"), nullptr);
  EXPECT_EQ(rota.person_on("slack", ""), nullptr);
}

TEST(Rota, CopyOutlivesTheOriginal) {
  std::optional<Rota> original(london_desk());
  const Rota copy = *original;
  original.reset();
  EXPECT_EQ(copy.holder(kBackupRole, utc(2026y / January / 7))->person, "bob");
  EXPECT_EQ(copy.roles().size(), 3u);
}

// --- Constructor validation ------------------------------------------------------------------

struct InvalidCase {
  const char* name;
  std::function<void(std::map<std::string, RoleSpec>&)> spoil;
  const char* role;
  const char* message;
};

class RotaInvalidConfig : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(RotaInvalidConfig, IsRefusedNamingRoleAndProblem) {
  auto roles = by_id({rotation_role(kDutyLeadRole, "Europe/London", Monday, 9h, 2026y / January / 5),
                      follower_role(kBackupRole, kDutyLeadRole), fixed_role(kDirectorRole, "dave")});
  ASSERT_NO_THROW((Rota(roles, team())));
  GetParam().spoil(roles);
  try {
    Rota rota(roles, team());
    FAIL() << "accepted an invalid rota";
  } catch (const RotaError& e) {
    EXPECT_EQ(e.role(), GetParam().role);
    EXPECT_THAT(e.what(), HasSubstr(GetParam().message));
  }
}

using Roles = std::map<std::string, RoleSpec>;
Rotation& lead(Roles& r) { return r[kDutyLeadRole].rotation; }

const InvalidCase kInvalidCases[] = {
    {"UnknownZone", [](Roles& r) { lead(r).time_zone = "Europe/Londn"; }, kDutyLeadRole,
     "unknown time zone 'Europe/Londn'"},
    {"EmptyZone", [](Roles& r) { lead(r).time_zone = ""; }, kDutyLeadRole, "unknown time zone ''"},
    {"EmptyRotation", [](Roles& r) { lead(r).members.clear(); }, kDutyLeadRole, "rotation has no members"},
    {"MemberNotInPeople", [](Roles& r) { lead(r).members.push_back("zed"); }, kDutyLeadRole,
     "rotation member 'zed' is not in people"},
    {"DuplicateMember", [](Roles& r) { lead(r).members.push_back("alice"); }, kDutyLeadRole, "'alice' more than once"},
    {"HandoffAtMidnightNextDay", [](Roles& r) { lead(r).handoff_time = 24h; }, kDutyLeadRole,
     "1440 minutes after midnight is outside [00:00, 24:00)"},
    {"NegativeHandoffTime", [](Roles& r) { lead(r).handoff_time = -1min; }, kDutyLeadRole, "outside [00:00, 24:00)"},
    {"InvalidWeekday", [](Roles& r) { lead(r).handoff_day = weekday{9}; }, kDutyLeadRole, "is not a weekday"},
    {"InvalidAnchor", [](Roles& r) { lead(r).anchor = 2026y / February / 30; }, kDutyLeadRole,
     "anchor 2026-02-30 is not a valid date"},
    {"FixedPersonNotInPeople", [](Roles& r) { r[kDirectorRole].person = "zed"; }, kDirectorRole,
     "fixed person 'zed' is not in people"},
    {"FixedWithoutPerson", [](Roles& r) { r[kDirectorRole].person.clear(); }, kDirectorRole, "names no person"},
    {"FollowsUnknownRole", [](Roles& r) { r[kBackupRole].follows = "nobody"; }, kBackupRole,
     "follows unknown role 'nobody'"},
    {"FollowsFixedRole", [](Roles& r) { r[kBackupRole].follows = kDirectorRole; }, kBackupRole,
     "follows 'marketing_director', which is not a rotation"},
    {"FollowsItself", [](Roles& r) { r[kBackupRole].follows = kBackupRole; }, kBackupRole, "not a rotation"},
    {"FollowsSingleMemberRotation", [](Roles& r) { lead(r).members = {"alice"}; }, kBackupRole,
     "single member: there is no distinct next member"},
};

INSTANTIATE_TEST_SUITE_P(Rota, RotaInvalidConfig, ::testing::ValuesIn(kInvalidCases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(Rota, SingleMemberRotationIsFineWithoutABackup) {
  const Rota rota = make_rota({rotation_role(kDutyLeadRole, "UTC", Monday, 9h, 2026y / January / 5, {"dave"})});
  EXPECT_EQ(rota.holder(kDutyLeadRole, utc(2031y / June / 4))->person, "dave");
}

}  // namespace
}  // namespace desk::core
