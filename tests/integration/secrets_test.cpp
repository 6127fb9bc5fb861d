#include "bot/slack/secrets.hpp"

#include <filesystem>
#include <fstream>
#include <map>

#include <unistd.h>

#include <gtest/gtest.h>

#include "bot/slack/log.hpp"

namespace desk::bot::slack {
namespace {

struct FakeEnv {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

struct TempFile {
  explicit TempFile(const std::string& content) {
    path = (std::filesystem::temp_directory_path() /
            ("desk-secret-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
               .string();
    std::ofstream(path) << content;
  }
  ~TempFile() { std::filesystem::remove(path); }
  std::string path;
  static inline int counter = 0;
};

TEST(Secrets, VariableIsReadAndTrimmed) {
  FakeEnv env;
  env.vars["SLACK_BOT_TOKEN"] = "  xoxb-1-2-trimmed \n";
  EXPECT_EQ(read_secret("SLACK_BOT_TOKEN", env.lookup()), "xoxb-1-2-trimmed");
}

TEST(Secrets, FileNamedByTheFileVariableIsReadAndTrimmed) {
  TempFile file("xapp-1-A1-from-file\n\n");
  FakeEnv env;
  env.vars["SLACK_APP_TOKEN_FILE"] = file.path;
  EXPECT_EQ(read_secret("SLACK_APP_TOKEN", env.lookup()), "xapp-1-A1-from-file");
}

TEST(Secrets, NeitherSetIsNotAnError) {
  FakeEnv env;
  EXPECT_EQ(read_secret("SLACK_BOT_TOKEN", env.lookup()), std::nullopt);
  env.vars["SLACK_BOT_TOKEN"] = "";
  env.vars["SLACK_BOT_TOKEN_FILE"] = "";
  EXPECT_EQ(read_secret("SLACK_BOT_TOKEN", env.lookup()), std::nullopt);
}

TEST(Secrets, BothSetIsAnErrorNamingTheVariablesNotTheValue) {
  TempFile file("xoxb-from-file-value");
  FakeEnv env;
  env.vars["SLACK_BOT_TOKEN"] = "xoxb-direct-value-123";
  env.vars["SLACK_BOT_TOKEN_FILE"] = file.path;
  try {
    read_secret("SLACK_BOT_TOKEN", env.lookup());
    FAIL() << "expected SecretError";
  } catch (const SecretError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("SLACK_BOT_TOKEN"), std::string::npos);
    EXPECT_NE(what.find("SLACK_BOT_TOKEN_FILE"), std::string::npos);
    EXPECT_EQ(what.find("direct-value"), std::string::npos);
    EXPECT_EQ(what.find("from-file-value"), std::string::npos);
  }
}

TEST(Secrets, UnreadableFileIsAnErrorNamingTheVariable) {
  FakeEnv env;
  env.vars["DESK_INTAKE_TOKENS_FILE"] = "/nonexistent/dir/tokens";
  try {
    read_secret("DESK_INTAKE_TOKENS", env.lookup());
    FAIL() << "expected SecretError";
  } catch (const SecretError& e) {
    EXPECT_NE(std::string(e.what()).find("DESK_INTAKE_TOKENS_FILE"), std::string::npos);
  }
}

TEST(Secrets, EmptyFileIsAnError) {
  TempFile file("   \n");
  FakeEnv env;
  env.vars["TEAMS_WEBHOOK_URL_FILE"] = file.path;
  EXPECT_THROW(read_secret("TEAMS_WEBHOOK_URL", env.lookup()), SecretError);
}

TEST(Secrets, ValuesReadAreMaskedInLogsFromThenOn) {
  FakeEnv env;
  env.vars["TEAMS_WEBHOOK_URL"] = "https://example.webhook.office.com/hook/abcdef123456";
  env.vars["DESK_INTAKE_TOKENS"] = "agent-token-one-111,agent-token-two-222";
  read_secret("TEAMS_WEBHOOK_URL", env.lookup());
  read_secret("DESK_INTAKE_TOKENS", env.lookup());
  auto out = redact("posting to https://example.webhook.office.com/hook/abcdef123456 for agent-token-two-222");
  EXPECT_EQ(out.find("abcdef123456"), std::string::npos) << out;
  EXPECT_EQ(out.find("agent-token-two-222"), std::string::npos) << out;
}

}  // namespace
}  // namespace desk::bot::slack
