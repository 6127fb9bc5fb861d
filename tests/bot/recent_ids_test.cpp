#include "bot/slack/recent_ids.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <set>
#include <string>

namespace desk::bot::slack {
namespace {

using namespace std::chrono_literals;
const auto kStart = RecentIds::TimePoint{} + std::chrono::hours{1};

TEST(RecentIds, RepeatWithinTheWindowIsRecognised) {
  RecentIds ids(600s);
  EXPECT_TRUE(ids.insert("event:Ev1", kStart));
  EXPECT_FALSE(ids.insert("event:Ev1", kStart + 299s));
  EXPECT_TRUE(ids.insert("event:Ev2", kStart));
  EXPECT_EQ(ids.size(), 2u);
}

TEST(RecentIds, IdsAreForgottenAfterTheWindow) {
  RecentIds ids(600s);
  EXPECT_TRUE(ids.insert("a", kStart));
  EXPECT_FALSE(ids.insert("a", kStart + 599s));
  EXPECT_TRUE(ids.insert("a", kStart + 601s));  // the first sighting's window has passed
  EXPECT_EQ(ids.size(), 1u);
}

TEST(RecentIds, CapacityBoundsMemory) {
  RecentIds ids(600s, 3);
  for (const char* id : {"a", "b", "c", "d"}) EXPECT_TRUE(ids.insert(id, kStart));
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids.insert("a", kStart));  // the oldest was forgotten
  EXPECT_FALSE(ids.insert("d", kStart));
}

TEST(RecentIds, LongIdsAreComparedWhole) {
  // Past the slot's inline bytes the id lives apart; two ids alike in their first bytes stay distinct.
  const std::string stem(46, 'x');
  RecentIds ids(600s, 4);
  EXPECT_TRUE(ids.insert(stem + "1", kStart));
  EXPECT_TRUE(ids.insert(stem + "2", kStart));
  EXPECT_TRUE(ids.insert(stem, kStart));
  EXPECT_FALSE(ids.insert(stem + "1", kStart));
  EXPECT_FALSE(ids.insert(stem, kStart));
  const std::string huge(70000, 'y');  // longer than any length field could say
  EXPECT_TRUE(ids.insert(huge, kStart));
  EXPECT_FALSE(ids.insert(huge, kStart));
  EXPECT_TRUE(ids.insert(huge + "z", kStart));  // capacity 4: the oldest, stem + "1", is forgotten
  EXPECT_TRUE(ids.insert(stem + "1", kStart));  // and now stem + "2"
  EXPECT_TRUE(ids.insert(stem + "2", kStart));
  EXPECT_FALSE(ids.insert(huge, kStart));
}

TEST(RecentIds, TheEmptyIdIsAnIdLikeAnyOther) {
  RecentIds ids(600s, 2);
  EXPECT_TRUE(ids.insert("", kStart));
  EXPECT_FALSE(ids.insert("", kStart));
}

TEST(RecentIds, CapacityZeroStillRemembersTheLastId) {
  RecentIds ids(600s, 0);
  EXPECT_TRUE(ids.insert("a", kStart));
  EXPECT_FALSE(ids.insert("a", kStart));
  EXPECT_TRUE(ids.insert("b", kStart));
  EXPECT_TRUE(ids.insert("a", kStart));
  EXPECT_EQ(ids.size(), 1u);
}

TEST(RecentIds, TimeGoingBackwardsOnlyKeepsIdsLonger) {
  RecentIds ids(600s);
  EXPECT_TRUE(ids.insert("a", kStart + 100s));
  EXPECT_TRUE(ids.insert("b", kStart));  // an earlier time: nothing is forgotten for it
  EXPECT_FALSE(ids.insert("a", kStart + 650s));
  EXPECT_TRUE(ids.insert("a", kStart + 701s));
}

// The same answers as the plainest model (a set and a queue of arrival times), over a long random
// run: few distinct ids and small capacities make home entries collide, the index wrap around its end
// and deletions shift runs of entries, with expiry and eviction interleaved.
TEST(RecentIds, AgreesWithAPlainModelOverALongRandomRun) {
  std::mt19937 random(20261206);
  for (std::size_t capacity : {1u, 2u, 3u, 5u, 8u, 13u, 64u}) {
    const std::chrono::seconds ttl{1 + random() % 20};
    RecentIds ids(ttl, capacity);
    std::set<std::string> model;
    std::deque<std::pair<RecentIds::TimePoint, std::string>> order;
    auto now = kStart;
    for (int step = 0; step < 20000; ++step) {
      now += std::chrono::seconds{random() % 3};
      const auto n = random() % (capacity * 3 + 2);
      const std::string id = n % 7 == 0 ? std::string(50, 'L') + std::to_string(n) : "id" + std::to_string(n);
      while (!order.empty() && order.front().first + ttl <= now) {
        model.erase(order.front().second);
        order.pop_front();
      }
      bool expected = !model.contains(id);
      if (expected) {
        if (order.size() == capacity) {
          model.erase(order.front().second);
          order.pop_front();
        }
        model.insert(id);
        order.emplace_back(now, id);
      }
      ASSERT_EQ(ids.insert(id, now), expected) << "capacity " << capacity << ", step " << step << ", id " << id;
      ASSERT_EQ(ids.size(), model.size()) << "capacity " << capacity << ", step " << step;
    }
  }
}

}  // namespace
}  // namespace desk::bot::slack
