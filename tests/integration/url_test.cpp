#include "bot/slack/url.hpp"
#include "bot/slack/latency_histogram.hpp"

#include <gtest/gtest.h>

namespace desk::bot::slack {
namespace {

TEST(UrlParsing, SlackApiBaseUsesTheDefaultPort) {
  auto url = parse_url("https://slack.com/api/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "slack.com");
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->target, "/api/");
  EXPECT_TRUE(url->default_port);
  EXPECT_EQ(url->host_header(), "slack.com");
  EXPECT_FALSE(url->host_is_ip);
}

TEST(UrlParsing, SocketLinkKeepsItsQuery) {
  auto url = parse_url("wss://wss-primary.slack.com/link/?ticket=9a1b&app_id=5f2c");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->secure());
  EXPECT_EQ(url->target, "/link/?ticket=9a1b&app_id=5f2c");
}

TEST(UrlParsing, ExplicitPortGoesIntoTheHostHeader) {
  auto url = parse_url("https://127.0.0.1:8443/api/");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->host_is_ip);
  EXPECT_EQ(url->port, "8443");
  EXPECT_EQ(url->host_header(), "127.0.0.1:8443");
}

TEST(UrlParsing, Ipv6LiteralsAreUnbracketed) {
  auto url = parse_url("wss://[::1]:9000/link");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_TRUE(url->host_is_ip);
  EXPECT_EQ(url->host_header(), "[::1]:9000");
}

TEST(UrlParsing, HostIsLowerCasedAndMissingPathBecomesSlash) {
  auto url = parse_url("HTTPS://Slack.COM");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "slack.com");
  EXPECT_EQ(url->target, "/");
  auto query_only = parse_url("https://x.test?a=1");
  ASSERT_TRUE(query_only);
  EXPECT_EQ(query_only->target, "/?a=1");
}

TEST(UrlParsing, BadUrlsAreRefused) {
  for (const char* text :
       {"", "slack.com/api", "ftp://slack.com/", "https://", "https:///api", "https://user:pw@slack.com/",
        "https://slack.com:0/", "https://slack.com:99999/", "https://slack.com:12ab/", "https://[::1/"}) {
    EXPECT_FALSE(parse_url(text)) << text;
  }
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int us : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) h.record(std::chrono::microseconds{us});
  EXPECT_EQ(h.count(), 10u);
  EXPECT_EQ(h.percentile(0.0), std::chrono::microseconds{1});
  EXPECT_EQ(h.percentile(0.5), std::chrono::microseconds{5});
  EXPECT_EQ(h.percentile(1.0), std::chrono::microseconds{10});
}

TEST(LatencyHistogram, LargeValuesAreWithinOneSixteenth) {
  LatencyHistogram h;
  for (int i = 0; i < 99; ++i) h.record(std::chrono::microseconds{100});
  h.record(std::chrono::milliseconds{25});
  auto p50 = h.percentile(0.5).count();
  EXPECT_GE(p50, 100);
  EXPECT_LE(p50, 107);
  EXPECT_EQ(h.percentile(1.0), std::chrono::milliseconds{25});
  EXPECT_EQ(h.max(), std::chrono::milliseconds{25});
}

TEST(LatencyHistogram, EmptyAndOutOfRangeInputsAreSafe) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(0.99), std::chrono::microseconds{0});
  h.record(std::chrono::nanoseconds{-5});
  h.record(std::chrono::hours{24 * 365});
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.percentile(-1.0), std::chrono::microseconds{0});
  EXPECT_GT(h.percentile(2.0).count(), 0);
}

}  // namespace
}  // namespace desk::bot::slack
