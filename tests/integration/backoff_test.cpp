#include "bot/slack/backoff.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace desk::bot::slack {
namespace {

using std::chrono::milliseconds;

const BackoffPolicy kPolicy{milliseconds{1000}, milliseconds{60000}};

TEST(Backoff, FirstDelayLiesInTheUpperHalfOfTheBase) {
  EXPECT_EQ(backoff_delay(kPolicy, 0, 0.0), milliseconds{500});
  EXPECT_EQ(backoff_delay(kPolicy, 0, 1.0), milliseconds{1000});
  EXPECT_EQ(backoff_delay(kPolicy, 0, 0.5), milliseconds{750});
}

TEST(Backoff, CeilingDoublesPerAttemptUntilTheCap) {
  EXPECT_EQ(backoff_delay(kPolicy, 1, 1.0), milliseconds{2000});
  EXPECT_EQ(backoff_delay(kPolicy, 2, 1.0), milliseconds{4000});
  EXPECT_EQ(backoff_delay(kPolicy, 5, 1.0), milliseconds{32000});
  EXPECT_EQ(backoff_delay(kPolicy, 6, 1.0), milliseconds{60000});
  EXPECT_EQ(backoff_delay(kPolicy, 6, 0.0), milliseconds{30000});
}

TEST(Backoff, NeverExceedsTheCapEvenForHugeAttemptNumbers) {
  for (unsigned attempt : {7u, 31u, 64u, 1000u, std::numeric_limits<unsigned>::max()}) {
    auto d = backoff_delay(kPolicy, attempt, 1.0);
    EXPECT_EQ(d, milliseconds{60000}) << attempt;
  }
}

TEST(Backoff, NeverCollapsesToZeroSoThereIsNoReconnectStorm) {
  for (unsigned attempt = 0; attempt < 20; ++attempt) {
    EXPECT_GE(backoff_delay(kPolicy, attempt, 0.0), milliseconds{500});
  }
}

TEST(Backoff, JitterOutsideZeroToOneIsClamped) {
  EXPECT_EQ(backoff_delay(kPolicy, 0, -3.0), milliseconds{500});
  EXPECT_EQ(backoff_delay(kPolicy, 0, 7.0), milliseconds{1000});
  EXPECT_EQ(backoff_delay(kPolicy, 0, std::nan("")), milliseconds{500});
}

TEST(Backoff, ZeroBaseMeansNoDelay) {
  EXPECT_EQ(backoff_delay(BackoffPolicy{milliseconds{0}, milliseconds{100}}, 3, 1.0), milliseconds{0});
}

TEST(Backoff, CapBelowTheBaseIsRaisedToTheBase) {
  BackoffPolicy odd{milliseconds{400}, milliseconds{100}};
  EXPECT_EQ(backoff_delay(odd, 0, 1.0), milliseconds{400});
  EXPECT_EQ(backoff_delay(odd, 9, 1.0), milliseconds{400});
}

}  // namespace
}  // namespace desk::bot::slack
