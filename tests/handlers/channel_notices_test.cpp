// Channel notices: the duty lead's handoffs announced once each (rotation and overrides), with the open
// escalations and their clocks, and the rota published for everyone; each a row per surface, in an
// order of their own.
#include "handlers/channel_notices.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "handlers/desk_actions.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/open_as_intake.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace channel_notices_test {

using json = nlohmann::json;
using namespace std::chrono_literals;

class ChannelNoticesTest : public ::testing::Test {
 protected:
  ChannelNoticesTest() { store_->save_policy_snapshot("testdigest", "seed policy"); }

  bool pass(core::TimePoint at) { return announce_duty_handoff(*store_, *policy_, surfaces_, at); }

  /// The channel notices queued so far, delivered in order as a surface would.
  std::vector<storage::OutboxMessage> notices() {
    std::vector<storage::OutboxMessage> out;
    for (auto due = store_->outbox_due(now_ + 30 * 24h, 0); !due.empty(); due = store_->outbox_due(now_ + 30 * 24h, 0))
      for (const auto& row : due) {
        if (row.kind == "channel_notice") out.push_back(row);
        store_->outbox_mark_sending(row.id, now_);
        store_->outbox_mark_sent(row.id, "{}", now_);
      }
    return out;
  }

  void override_duty(const std::string& person, core::TimePoint from, core::TimePoint until) {
    store_->add_override({0, "duty_lead", person, from, until, "cover", "dana"},
                         {"rota.override_set", "", "dana", from, {}});
  }

  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  std::shared_ptr<const PolicySet> policy_ = std::make_shared<const PolicySet>(testing::seed_policy());
  SurfaceNames surfaces_ = {"slack", "teams"};
  core::TimePoint now_ = testing::tuesday_noon();  // alice holds the watch until Monday 7 Dec 09:00 London
};

TEST_F(ChannelNoticesTest, TheFirstPassRecordsTheDutyLeadWithoutANotice) {
  EXPECT_FALSE(pass(now_));
  EXPECT_TRUE(notices().empty());
  const auto announced = store_->announced_holder("duty_lead");
  ASSERT_TRUE(announced);
  EXPECT_EQ(announced->person, "alice");
  EXPECT_FALSE(pass(now_ + 1min)) << "nothing changed";
  EXPECT_TRUE(notices().empty());
}

TEST_F(ChannelNoticesTest, AnOverrideIsAnnouncedOnceWithTheOpenEscalationsAndItsEndToo) {
  pass(now_);
  const std::string id = testing::open_as_intake(*store_, *policy_, testing::low_confidence_ad(now_), now_);
  override_duty("bob", now_ + 1min, now_ + 2h);
  EXPECT_TRUE(pass(now_ + 1min));
  EXPECT_FALSE(pass(now_ + 2min)) << "announced once";
  auto rows = notices();
  ASSERT_EQ(rows.size(), 2u) << "one per surface";
  EXPECT_EQ(rows[0].surface, "slack");
  EXPECT_EQ(rows[1].surface, "teams");
  EXPECT_EQ(rows[0].ordering_key, "slack:channel-notices");
  EXPECT_TRUE(rows[0].escalation_id.empty());
  const auto n = channel_notice_from(json::parse(rows[0].payload_json));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->notice, "handoff");
  EXPECT_EQ(n->title, "duty_lead handoff: Alice hands over to Bob") << n->title;
  ASSERT_GE(n->lines.size(), 3u);
  EXPECT_EQ(n->lines[0], "Bob is duty_lead now (covering (override)), until Tue 1 Dec 14:00 UTC.");
  EXPECT_EQ(n->lines[1], "1 escalation is open:");
  EXPECT_NE(n->lines[2].find(id), std::string::npos) << n->lines[2];
  EXPECT_NE(n->lines[2].find("triage by Tue 1 Dec 12:05 UTC"), std::string::npos) << n->lines[2];
  EXPECT_NE(n->lines[2].find("decide by"), std::string::npos) << n->lines[2];
  EXPECT_EQ(n->mentions, (std::vector<std::string>{"bob", "alice"}));
  EXPECT_EQ(n->policy_digest, "testdigest");
  bool audited = false;
  for (const auto& row : store_->audit_trail("")) audited = audited || row.event.kind == "rota.handoff_announced";
  EXPECT_TRUE(audited);

  // The override ends: alice has the watch again, and that is a handoff too.
  EXPECT_TRUE(pass(now_ + 2h + 1s));
  rows = notices();
  ASSERT_EQ(rows.size(), 2u);
  const auto back = channel_notice_from(json::parse(rows[0].payload_json));
  EXPECT_EQ(back->title, "duty_lead handoff: Bob hands over to Alice");
  EXPECT_NE(back->lines[2].find("(missed)"), std::string::npos) << "its triage clock ran out: " << back->lines[2];
}

TEST_F(ChannelNoticesTest, TheWeeklyHandoffIsAnnouncedAtItsTime) {
  pass(now_);
  const core::TimePoint handoff = std::chrono::sys_days{std::chrono::year{2026} / 12 / 7} + 9h;  // 09:00 GMT
  EXPECT_FALSE(pass(handoff - 1s));
  EXPECT_TRUE(pass(handoff));
  const auto rows = notices();
  ASSERT_EQ(rows.size(), 2u);
  const auto n = channel_notice_from(json::parse(rows[0].payload_json));
  EXPECT_EQ(n->title, "duty_lead handoff: Alice hands over to Bob");
  EXPECT_EQ(n->lines[0], "Bob is duty_lead now (by rotation), until Mon 14 Dec 09:00 UTC.");
  EXPECT_EQ(n->lines[1], "No escalation is open.");
}

TEST_F(ChannelNoticesTest, ARacingPassFindsTheHandoffAlreadyAnnounced) {
  pass(now_);
  override_duty("chen", now_, now_ + 1h);
  const storage::AnnouncedHolder chen{"duty_lead", "chen", now_, now_};
  EXPECT_TRUE(store_->announce_holder(chen, std::string("alice"), {}, {}));
  EXPECT_FALSE(store_->announce_holder(chen, std::string("alice"), {}, {})) << "the expected holder moved on";
  EXPECT_FALSE(pass(now_ + 1s)) << "the other pass told it already";
  EXPECT_TRUE(notices().empty());
}

TEST_F(ChannelNoticesTest, PublishingTheRotaPostsEveryRoleForEveryone) {
  DeskActions actions(
      {*store_, [this](const std::string&) { return policy_; }, [this] { return policy_; }, nullptr, surfaces_});
  override_duty("chen", now_, now_ + 3h);
  ASSERT_TRUE(actions.publish_rota("erin", now_));
  const auto rows = notices();
  ASSERT_EQ(rows.size(), 2u);
  const auto n = channel_notice_from(json::parse(rows[0].payload_json));
  EXPECT_EQ(n->notice, "rota");
  EXPECT_EQ(n->title, "Who is on duty (Tue 1 Dec 12:00 UTC)");
  const std::string all = json(n->lines).dump();
  EXPECT_NE(all.find("duty_lead: Chen (covering (override)), until Tue 1 Dec 15:00 UTC, then Alice."),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("Published by Erin"), std::string::npos) << all;
  EXPECT_EQ(n->mentions, std::vector<std::string>{"chen"});
  bool audited = false;
  for (const auto& row : store_->audit_trail(""))
    audited = audited || (row.event.kind == "rota.published" && row.event.actor == "erin");
  EXPECT_TRUE(audited);
}

TEST(ChannelNotice, AMalformedPayloadIsNoNotice) {
  EXPECT_FALSE(channel_notice_from(json::array()));
  EXPECT_FALSE(channel_notice_from(json{{"lines", {"x"}}}));
  EXPECT_FALSE(channel_notice_from(json{{"title", 3}}));
  const auto n = channel_notice_from(json{{"title", "T"}, {"lines", {"a", 2, "b"}}, {"mentions", "bob"}});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->lines, (std::vector<std::string>{"a", "b"})) << "what is not text is left out";
  EXPECT_TRUE(n->mentions.empty());
}

TEST(ChannelNoticeImage, TravelsInThePayloadAndADamagedOneIsLeftOutWhileTheNoticeStands) {
  ChannelNotice n;
  n.notice = "digest";
  n.title = "Weekly digest, 2026-W48";
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\xff\x10 bytes", 9);
  n.image = NoticeImage{png, "Run chart", "run-chart-2026-W48.png"};
  const json payload = to_json(n);
  const auto back = channel_notice_from(payload);
  ASSERT_TRUE(back && back->image);
  EXPECT_EQ(back->image->png, png);
  EXPECT_EQ(back->image->alt, "Run chart");
  EXPECT_EQ(back->image->name, "run-chart-2026-W48.png");

  const auto damaged = [&](const char* key, const json& value) {
    json p = payload;
    p["image"][key] = value;
    const auto notice = channel_notice_from(p);
    EXPECT_TRUE(notice) << key << ": the notice stands";
    return notice && notice->image.has_value();
  };
  EXPECT_FALSE(damaged("png_base64", "not base64!"));
  EXPECT_FALSE(damaged("png_base64", "R0lGODlh"));  // base64 of a GIF's header: not a PNG
  EXPECT_FALSE(damaged("png_base64", 42));
  EXPECT_FALSE(damaged("name", "../../etc/passwd.png"));
  EXPECT_FALSE(damaged("name", "chart.svg"));
  EXPECT_FALSE(damaged("name", ".png"));
  EXPECT_TRUE(damaged("alt", 7)) << "a wrong alt text is only left empty";
  json hostile = payload;
  hostile["notice"] = 3;
  hostile["policy_digest"] = json::array();
  const auto tolerated = channel_notice_from(hostile);
  ASSERT_TRUE(tolerated) << "fields of the wrong type are read as empty, never thrown on";
  EXPECT_EQ(tolerated->notice, "");
}

}  // namespace channel_notices_test
}  // namespace desk::handlers
