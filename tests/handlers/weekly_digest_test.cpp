// The weekly digest: due at the duty lead's handoff of the week, posted once per week on every surface,
// with last week's figures, rules, post-mortem items and the fire-drill nudge; none for a new desk.
#include "handlers/weekly_digest.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "handlers/desk_actions.hpp"
#include "handlers/run_chart_png.hpp"
#include "handlers/weekly_report.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/open_as_intake.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace weekly_digest_test {

using json = nlohmann::json;
using namespace std::chrono_literals;

core::TimePoint day(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

class WeeklyDigestTest : public ::testing::Test {
 protected:
  WeeklyDigestTest() { store_->save_policy_snapshot("testdigest", "seed policy"); }

  /// The digests queued so far (one row per surface), delivered as a surface would.
  std::vector<ChannelNotice> digests() {
    std::vector<ChannelNotice> out;
    const core::TimePoint far = day(2027, 6, 1);
    for (auto due = store_->outbox_due(far, 0); !due.empty(); due = store_->outbox_due(far, 0))
      for (const auto& row : due) {
        if (row.kind == "channel_notice" && row.surface == "slack") {
          auto n = channel_notice_from(json::parse(row.payload_json));
          if (n && n->notice == "digest") out.push_back(*n);
        }
        store_->outbox_mark_sending(row.id, far);
        store_->outbox_mark_sent(row.id, "{}", far);
      }
    return out;
  }

  /// Last week (2026-W48): one escalation, triaged after 2 minutes and rejected after 10, with a
  /// post-mortem that names what to automate.
  std::string last_weeks_work() {
    const core::TimePoint t = day(2026, 11, 25) + 10h;
    const std::string id = testing::open_as_intake(*store_, *policy_, testing::low_confidence_ad(t), t);
    const std::string owner = store_->escalation(id)->owner_person;  // that week's duty lead
    EXPECT_TRUE(actions_.begin(id, 0, core::Macro::reject, owner, t + 2min).changed);
    EXPECT_TRUE(actions_.decide(id, 0, {core::Macro::reject, owner, "The price claim is not approved.", ""}, t + 10min)
                    .changed);
    store_->add_postmortem(
        {0, id, owner, t + 1h, "A price in an ad", "Rejected it", "Block prices in paid_ads", std::nullopt, ""});
    return id;
  }

  bool post(core::TimePoint at) { return post_weekly_digest(*store_, *policy_, {"slack", "teams"}, at); }

  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  std::shared_ptr<const PolicySet> policy_ = std::make_shared<const PolicySet>(testing::seed_policy());
  DeskActions actions_{{*store_,
                        [this](const std::string&) { return policy_; },
                        [this] { return policy_; },
                        nullptr,
                        {"slack", "teams"}}};
};

TEST_F(WeeklyDigestTest, IsDueAtTheDutyLeadsHandoffOfTheWeekOrWhenTheConfigSays) {
  // The duty lead hands over on Mondays at 09:00 London (09:00 UTC in winter).
  core::Policy p = testing::seed_policy();
  EXPECT_EQ(digest_due(p, policy_->rota(), day(2026, 12, 3) + 15h), day(2026, 11, 30) + 9h);
  EXPECT_EQ(digest_due(p, policy_->rota(), day(2026, 11, 30) + 1h), day(2026, 11, 30) + 9h);
  p.desk.digest = core::DigestSchedule::at_time;
  p.desk.digest_day = std::chrono::Wednesday;
  p.desk.digest_time = 14h + 30min;
  EXPECT_EQ(digest_due(p, policy_->rota(), day(2026, 12, 3) + 15h), day(2026, 12, 2) + 14h + 30min);
  p.desk.digest = core::DigestSchedule::off;
  EXPECT_FALSE(digest_due(p, policy_->rota(), day(2026, 12, 3)));
}

TEST_F(WeeklyDigestTest, NoneIsPostedWhenTurnedOff) {
  last_weeks_work();
  core::Policy off = testing::seed_policy();
  off.desk.digest = core::DigestSchedule::off;
  const PolicySet set(off);
  EXPECT_FALSE(post_weekly_digest(*store_, set, {"slack"}, day(2026, 12, 3)));
  EXPECT_TRUE(digests().empty());
}

TEST_F(WeeklyDigestTest, TellsLastWeekOnceWithItsFiguresRulesAndWhatToAutomate) {
  const std::string id = last_weeks_work();
  EXPECT_FALSE(post(day(2026, 11, 30) + 9h - 1s)) << "not before the handoff";
  EXPECT_TRUE(post(day(2026, 11, 30) + 9h));
  EXPECT_FALSE(post(day(2026, 11, 30) + 10h)) << "once a week";
  EXPECT_FALSE(post(day(2026, 12, 3))) << "once a week, whenever asked again";
  const auto sent = digests();
  ASSERT_EQ(sent.size(), 1u);
  const ChannelNotice& d = sent.front();
  EXPECT_EQ(d.title, "Weekly digest, 2026-W48");
  const std::string all = json(d.lines).dump();
  EXPECT_NE(all.find("1 escalations opened, 1 of them decided by now."), std::string::npos) << all;
  EXPECT_NE(all.find("Time to respond: mean 2.0 min, p50 2.0 min, p90 2.0 min (target 5.0 min)."), std::string::npos)
      << all;
  EXPECT_NE(all.find("Time to decide: mean 10.0 min"), std::string::npos) << all;
  EXPECT_NE(all.find("Rules that fired most: confidence/paid_ads (1)."), std::string::npos) << all;
  EXPECT_NE(all.find("Rules that never fired in 8 weeks: "), std::string::npos) << all;
  EXPECT_NE(all.find("• " + id + ": Block prices in paid_ads"), std::string::npos) << all;
  EXPECT_NE(all.find("No fire drill has run this quarter"), std::string::npos) << all;
  // The run chart of the weeks up to the one told about (this week has only begun), as the report draws it.
  ASSERT_TRUE(d.image);
  EXPECT_EQ(d.image->name, "run-chart-2026-W48.png");
  EXPECT_NE(d.image->alt.find("mean time to respond over the 7 weeks to 2026-W48, against the 5.0 min target"),
            std::string::npos)
      << d.image->alt;
  auto finished = read_weekly_report(*store_, policy_->policy(), day(2026, 11, 30) + 9h, 8);
  finished.weeks.pop_back();
  EXPECT_EQ(finished.weeks.back().week, "2026-W48");
  EXPECT_EQ(d.image->png, run_chart_png(finished, policy_->policy().sla.triage));

  // The next week has its own digest, at its own handoff.
  EXPECT_TRUE(post(day(2026, 12, 7) + 9h));
  const auto next = digests();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next.front().title, "Weekly digest, 2026-W49");
  EXPECT_NE(json(next.front().lines).dump().find("0 escalations opened"), std::string::npos);
}

TEST_F(WeeklyDigestTest, ANewDeskHasNoLastWeekToTell) {
  EXPECT_FALSE(post(day(2026, 12, 1))) << "nothing recorded at all";
  testing::open_as_intake(*store_, *policy_, testing::low_confidence_ad(day(2026, 11, 30) + 10h),
                          day(2026, 11, 30) + 10h);
  EXPECT_FALSE(post(day(2026, 12, 1))) << "its first record is from this week";
  EXPECT_TRUE(digests().empty());
}

TEST(WeeklyDigestNotice, ARecentDrillIsNamedAndNoNudgeIsGiven) {
  core::WeeklyReport report = core::weekly_report({}, {}, day(2026, 12, 1), 2);
  const auto n = digest_notice(report, {}, day(2026, 11, 20) + 9h, core::Seconds{300}, day(2026, 12, 1), "d");
  const std::string all = json(n.lines).dump();
  EXPECT_NE(all.find("Last fire drill: Fri 20 Nov 09:00 UTC."), std::string::npos) << all;
  EXPECT_EQ(all.find("No fire drill"), std::string::npos) << all;
  const auto old = digest_notice(report, {}, day(2026, 9, 20), core::Seconds{300}, day(2026, 12, 1), "d");
  EXPECT_NE(json(old.lines).dump().find("No fire drill has run this quarter"), std::string::npos);
}

}  // namespace weekly_digest_test
}  // namespace desk::handlers
