// The pinned SOP: each version of desk.sop is committed once as a channel notice to pin, for every
// surface, across passes and restarts; a changed version again; none without an SOP or a surface.
#include "handlers/pinned_sop.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "storage/sqlite_store.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace pinned_sop_test {

using json = nlohmann::json;
using namespace std::chrono_literals;

/// The seed policy with `sop` as its desk.sop.
std::shared_ptr<const PolicySet> policy_with(core::DeskSop sop) {
  core::Policy p = testing::seed_policy();
  p.desk.sop = std::move(sop);
  return std::make_shared<const PolicySet>(std::move(p));
}

class PinnedSopTest : public ::testing::Test {
 protected:
  bool pass(const core::DeskSop& sop, const SurfaceNames& surfaces = {"slack", "teams", "console"}) {
    return post_pinned_sop(*store_, *policy_with(sop), surfaces, now_);
  }

  /// The SOP notices queued so far, one per row, delivered as the surfaces would.
  std::vector<std::pair<std::string, ChannelNotice>> sent() {
    std::vector<std::pair<std::string, ChannelNotice>> out;
    const core::TimePoint later = now_ + 30 * 24h;
    for (auto due = store_->outbox_due(later, 0); !due.empty(); due = store_->outbox_due(later, 0))
      for (const auto& row : due) {
        const auto notice = channel_notice_from(json::parse(row.payload_json));
        if (row.kind == "channel_notice" && notice && notice->notice == kSopNotice)
          out.emplace_back(row.surface, *notice);
        store_->outbox_mark_sending(row.id, now_);
        store_->outbox_mark_sent(row.id, "{}", now_);
      }
    return out;
  }

  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  core::TimePoint now_ = testing::tuesday_noon();
  const core::DeskSop sop_{"https://wiki.example.com/desk-sop",
                           "Respond within 5 minutes, decide within 30.\nEvery decision needs a rationale."};
};

TEST_F(PinnedSopTest, AVersionIsCommittedOnceForEverySurfaceToPin) {
  ASSERT_TRUE(pass(sop_));
  EXPECT_FALSE(pass(sop_)) << "the same version is not posted again";
  const auto rows = sent();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].first, "slack");
  EXPECT_EQ(rows[1].first, "teams");
  EXPECT_EQ(rows[2].first, "console");
  const ChannelNotice& n = rows[0].second;
  EXPECT_TRUE(n.pin);
  EXPECT_EQ(n.title, "How we work: the desk's SOP");
  ASSERT_GE(n.lines.size(), 3u);
  EXPECT_EQ(n.lines[0], "Respond within 5 minutes, decide within 30.");
  EXPECT_EQ(n.lines[1], "Every decision needs a rationale.");
  EXPECT_EQ(n.lines[2], "The full SOP: https://wiki.example.com/desk-sop");
  EXPECT_EQ(store_->last_sop_digest(), sop_digest(sop_));
  int audited = 0;
  for (const auto& row : store_->audit_trail("")) audited += row.event.kind == "sop.posted";
  EXPECT_EQ(audited, 1);
}

TEST_F(PinnedSopTest, AChangedLinkOrTextIsANewVersionAndTheSameOneIsNot) {
  ASSERT_TRUE(pass(sop_));
  core::DeskSop changed = sop_;
  changed.text += "\nLegal decides what sits with legal.";
  EXPECT_NE(sop_digest(changed), sop_digest(sop_));
  EXPECT_TRUE(pass(changed));
  EXPECT_FALSE(pass(changed));
  core::DeskSop link_only{"https://wiki.example.com/desk-sop-v2", ""};
  EXPECT_TRUE(pass(link_only));
  EXPECT_EQ(sop_digest(core::DeskSop{"https://a.example/x", "y"}),
            sop_digest(core::DeskSop{"https://a.example/x", "y"}));
  EXPECT_NE(sop_digest(core::DeskSop{"https://a.example/x", "y"}),
            sop_digest(core::DeskSop{"https://a.example/xy", ""}));
  const auto rows = sent();
  ASSERT_EQ(rows.size(), 9u) << "three versions, three surfaces each";
  EXPECT_EQ(rows.back().second.lines.front(), "The full SOP: https://wiki.example.com/desk-sop-v2");
}

TEST_F(PinnedSopTest, ARestartedDeskWithTheSameSopPostsNothing) {
  ASSERT_TRUE(pass(sop_));
  sent();
  // What a new process sees: the same store, a policy parsed again.
  EXPECT_FALSE(post_pinned_sop(*store_, *policy_with(sop_), {"slack"}, now_ + 24h));
  EXPECT_TRUE(sent().empty());
}

TEST_F(PinnedSopTest, NothingIsPostedWithoutAnSopOrASurfaceAndRemovingItUnpinsNothing) {
  EXPECT_FALSE(pass(core::DeskSop{}));
  EXPECT_FALSE(pass(sop_, {}));
  EXPECT_FALSE(store_->last_sop_digest());
  ASSERT_TRUE(pass(sop_));
  sent();
  EXPECT_FALSE(pass(core::DeskSop{})) << "a removed SOP posts nothing; its last copy stays";
  EXPECT_EQ(store_->last_sop_digest(), sop_digest(sop_));
  EXPECT_TRUE(sent().empty());
}

TEST(PinnedSopNotice, ThePinFlagRoundTripsThroughTheRowPayload) {
  const ChannelNotice n = sop_notice({"", "Short text only."}, "digest");
  EXPECT_TRUE(n.pin);
  EXPECT_EQ(n.lines.front(), "Short text only.");
  const auto back = channel_notice_from(to_json(n));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->pin);
  EXPECT_EQ(back->notice, "sop");
  EXPECT_EQ(back->lines, n.lines);
  json unpinned = to_json(n);
  unpinned.erase("pin");
  EXPECT_FALSE(channel_notice_from(unpinned)->pin) << "rows written before the flag are not pinned";
  unpinned["pin"] = "yes";
  EXPECT_FALSE(channel_notice_from(unpinned)->pin) << "only a JSON true pins";
}

}  // namespace pinned_sop_test
}  // namespace desk::handlers
