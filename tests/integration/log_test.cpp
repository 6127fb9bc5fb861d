#include "bot/slack/log.hpp"

#include <gtest/gtest.h>

namespace desk::bot::slack {
namespace {

struct CapturedLog {
  CapturedLog() {
    set_log_sink([this](std::string_view line) { lines.emplace_back(line); });
  }
  ~CapturedLog() {
    set_log_sink({});
    set_log_level(LogLevel::info);
  }
  std::vector<std::string> lines;
};

TEST(Redaction, SlackTokenShapesAreMasked) {
  for (const char* token : {"xoxb-1234-5678-abcdefABCDEF", "xoxp-1-2-3-abc", "xapp-1-A0123-456-abcdef", "xoxa-2-abc",
                            "xoxr-abc.def", "xoxe.xoxp-1-abc", "xoxs-secret_value"}) {
    auto out = redact(std::string("token=") + token + " done");
    EXPECT_EQ(out.find(token), std::string::npos) << out;
    EXPECT_NE(out.find("[REDACTED]"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with(" done")) << out;
  }
}

TEST(Redaction, TokenGluedToOtherTextIsStillMasked) {
  auto out = redact("Bearer:xoxb-99-88-zzzz,next");
  EXPECT_EQ(out.find("zzzz"), std::string::npos);
  EXPECT_NE(out.find(",next"), std::string::npos);
}

TEST(Redaction, BarePrefixInAHelpMessageIsLeftReadable) {
  EXPECT_EQ(redact("it must start with xoxb- (see settings)"), "it must start with xoxb- (see settings)");
  EXPECT_EQ(redact("xapp-"), "xapp-");
}

TEST(Redaction, OrdinaryTextIsUntouched) { EXPECT_EQ(redact("box-office xo xylophone"), "box-office xo xylophone"); }

TEST(Redaction, RegisteredSecretsAreMaskedWherever_they_appear) {
  register_secret("intake-secret-0042");
  auto out = redact("url=https://x?key=intake-secret-0042&y=1");
  EXPECT_EQ(out.find("intake-secret-0042"), std::string::npos);
  EXPECT_NE(out.find("[REDACTED]"), std::string::npos);
}

TEST(Redaction, VeryShortSecretsAreIgnoredSoTheyCannotShredLogs) {
  register_secret("ab");
  EXPECT_EQ(redact("abc tab"), "abc tab");
}

TEST(Log, OneLineWithEventAndFields) {
  CapturedLog log;
  log_info("socket.connected", {{"conn", 3}, {"host", "wss-1"}, {"ok", true}});
  ASSERT_EQ(log.lines.size(), 1u);
  const auto& line = log.lines[0];
  EXPECT_TRUE(line.starts_with("ts=")) << line;
  EXPECT_NE(line.find(" level=info event=socket.connected conn=3 host=wss-1 ok=true"), std::string::npos) << line;
}

TEST(Log, ValuesWithSpacesQuotesAndNewlinesAreQuoted) {
  CapturedLog log;
  log_warn("x", {{"error", "bad \"thing\"\nhappened"}, {"empty", ""}});
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_NE(log.lines[0].find(R"(error="bad \"thing\"\nhappened")"), std::string::npos) << log.lines[0];
  EXPECT_NE(log.lines[0].find(R"(empty="")"), std::string::npos);
  EXPECT_EQ(log.lines[0].find('\n'), std::string::npos);
}

TEST(Log, TokensInFieldsAndEventNamesNeverReachTheSink) {
  CapturedLog log;
  register_secret("plain-registered-secret");
  log_error("auth xoxb-1-2-leak", {{"header", "Bearer xapp-1-A1-2-leak"}, {"v", "plain-registered-secret"}});
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(log.lines[0].find("leak"), std::string::npos) << log.lines[0];
  EXPECT_EQ(log.lines[0].find("plain-registered-secret"), std::string::npos) << log.lines[0];
}

TEST(Log, LinesBelowTheLevelAreDropped) {
  CapturedLog log;
  set_log_level(LogLevel::warn);
  log_info("quiet");
  log_debug("quieter");
  log_warn("loud");
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_NE(log.lines[0].find("event=loud"), std::string::npos);
  EXPECT_FALSE(log_enabled(LogLevel::info));
}

TEST(Log, LevelNamesParse) {
  EXPECT_EQ(parse_log_level("debug", LogLevel::info), LogLevel::debug);
  EXPECT_EQ(parse_log_level("warning", LogLevel::info), LogLevel::warn);
  EXPECT_EQ(parse_log_level("error", LogLevel::info), LogLevel::error);
  EXPECT_EQ(parse_log_level("LOUD", LogLevel::info), LogLevel::info);
}

}  // namespace
}  // namespace desk::bot::slack
