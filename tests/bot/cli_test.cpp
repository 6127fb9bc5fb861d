// Runs the real escalation-desk binary, as marketing ops and scripts do.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>

#include "bot/config/config_loader.hpp"
#include "core/policy_engine.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/desk_binary.hpp"

namespace {

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr together
};

/// Runs the binary with `args`; `env` ("NAME=value …") is set for it alone.
Result run(const std::string& args, const std::string& stdin_text = "", const std::string& env = "") {
  const auto dir = std::filesystem::temp_directory_path();
  const auto input = dir / ("desk-cli-in-" + std::to_string(::getpid()));
  std::ofstream(input) << stdin_text;
  const std::string cmd = env + " " + std::string(DESK_BINARY) + " " + args + " < " + input.string() + " 2>&1";
  Result r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(input);
  return r;
}

const std::string kConfig = std::string("--config ") + DESK_SOURCE_DIR + "/deploy/desk.example.yaml";

TEST(Cli, CheckConfigPrintsWorkflowsAndHolders) {
  const auto r = run("check-config " + kConfig + " --at 2026-12-01T12:00:00Z");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("config OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("community_replies"), std::string::npos);
  EXPECT_NE(r.out.find("escalate below 0.90"), std::string::npos);
  // anchor 2026-01-05, three members: 2026-11-30 is week 47 -> 47 mod 3 = 2 -> chen
  EXPECT_NE(r.out.find("duty_lead            Chen Wei [rotation]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("backup               Alice Moreau [next_in_rotation]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("comparative_claims: shadow mode, 4 terms and patterns recorded, never escalating"),
            std::string::npos)
      << r.out;
}

TEST(Cli, AShortTokenIsRefusedAtStartWithoutShowingIt) {
  // The sandbox would otherwise start and listen; a token that could be guessed stops it first.
  const auto r =
      run("sandbox " + kConfig + " --listen 127.0.0.1:0", "", "DESK_INTAKE_TOKENS=long-enough-token-1,abc123");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("DESK_INTAKE_TOKENS holds a token of 6 characters"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("abc123"), std::string::npos) << "never show a token";
  const auto console = run("sandbox " + kConfig + " --listen 127.0.0.1:0", "", "DESK_CONSOLE_TOKENS=short");
  EXPECT_EQ(console.code, 2) << console.out;
  EXPECT_NE(console.out.find("DESK_CONSOLE_TOKENS"), std::string::npos) << console.out;
}

TEST(Cli, EvaluateEscalatesARiskyDraft) {
  const auto r = run("evaluate " + kConfig + " --at 2026-12-01T12:00:00Z -",
                     R"({"workflow":"community_replies","channel":"linkedin","agent":"a","confidence":0.62,
                         "output":"We guarantee the lowest price. Mail jane@example.com"})");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verdict"], "escalated");
  EXPECT_EQ(j["owner_role"], "legal_oncall");
  EXPECT_EQ(j["deadlines"]["triage"], "2026-12-01T12:05:00Z");
  EXPECT_EQ(j["owner"]["id"], "ivan");  // legal: anchor 2026-01-05, two members, week 47
  EXPECT_EQ(r.out.find("jane@example.com"), std::string::npos) << "personal data must be masked";
  EXPECT_GE(j["hits"].size(), 4u);
}

TEST(Cli, EvaluateApprovesASafeDraftAndExpectWorks) {
  const std::string body = R"({"workflow":"paid_ads","channel":"meta","agent":"a","confidence":0.95,"output":"Hello"})";
  auto r = run("evaluate " + kConfig + " --expect approved", body);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["verdict"], "approved");
  r = run("evaluate " + kConfig + " --expect escalated", body);
  EXPECT_EQ(r.code, 1) << r.out;
}

TEST(Cli, EvaluateBadSubmissionNamesTheField) {
  const auto r = run("evaluate " + kConfig, R"({"workflow":"paid_ads","confidence":2})");
  EXPECT_EQ(r.code, 1) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["error"], "missing_field");
  EXPECT_EQ(j["field"], "channel");
}

TEST(Cli, RotaShowsComingWeeks) {
  const auto r = run("rota " + kConfig + " --weeks 3 --at 2026-12-01T12:00:00Z");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("duty_lead for the next 3 weeks (Europe/London)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Mon 07 Dec 2026 09:00 GMT  Alice Moreau"), std::string::npos) << r.out;
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run("").code, 2);
  EXPECT_EQ(run("rota").code, 2);
  EXPECT_EQ(run("frobnicate " + kConfig).code, 2);
  EXPECT_EQ(run("rota " + kConfig + " --weeks x").code, 2);
  EXPECT_EQ(run("rota " + kConfig + " --at yesterday").code, 2);
  EXPECT_EQ(run("audit " + kConfig).code, 2);
  EXPECT_EQ(run("--help").code, 0);
}

// Each command as typed on the command line, with an option only it takes (or "" when it has none).
struct CommandCase {
  std::string command, own_option;
};
const CommandCase kCommands[] = {
    {"run", ""},
    {"check-config", "--at"},
    {"evaluate", "--expect"},
    {"rota", "--weeks"},
    {"audit verify", "--file"},
    {"audit export", "--escalation"},
    {"audit anchor", ""},
    {"demo", "--at"},
    {"erase", "--submission"},
    {"report", "--format"},
    {"postmortems", "--since"},
    {"backtest", "--format"},
};

/// `args` is refused with exit code 2 and an output containing `message`.
void expect_usage_error(const std::string& args, const std::string& message) {
  const auto r = run(args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.out;
  EXPECT_NE(r.out.find(message), std::string::npos) << args << "\n" << r.out;
}

TEST(Cli, NoArgumentsShowsTheCommandsAndExitsTwo) {
  const auto r = run("");
  EXPECT_EQ(r.code, 2);
  for (const char* command : {"run", "check-config", "evaluate", "rota", "audit", "demo"})
    EXPECT_NE(r.out.find("  " + std::string(command) + " "), std::string::npos) << command << "\n" << r.out;
}

TEST(Cli, ProgramHelpListsEveryCommandAndPointsToTheirHelp) {
  for (const char* flag : {"--help", "-h"}) {
    const auto r = run(flag);
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("Usage: escalation-desk"), std::string::npos) << r.out;
    for (const char* command : {"run", "check-config", "evaluate", "rota", "audit", "demo"})
      EXPECT_NE(r.out.find("  " + std::string(command) + " "), std::string::npos) << command << "\n" << r.out;
    EXPECT_NE(r.out.find("escalation-desk <command> --help"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Exit codes: 0 ok, 1 a check failed, 2"), std::string::npos) << r.out;
  }
}

TEST(Cli, EachCommandHasItsOwnHelpWithoutNeedingAConfig) {
  for (const auto& c : kCommands) {
    const auto r = run(c.command + " --help");
    EXPECT_EQ(r.code, 0) << c.command << "\n" << r.out;
    EXPECT_NE(r.out.find("Usage: escalation-desk " + c.command + " [OPTIONS]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--config FILE"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("the policy file (YAML)"), std::string::npos) << r.out;
    if (!c.own_option.empty()) { EXPECT_NE(r.out.find(c.own_option), std::string::npos) << r.out; }
  }
  const auto audit = run("audit --help");
  EXPECT_EQ(audit.code, 0) << audit.out;
  EXPECT_NE(audit.out.find("verify"), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("export"), std::string::npos) << audit.out;
  // options a command does not take are not offered in its help
  EXPECT_EQ(run("run --help").out.find("--at"), std::string::npos);
  EXPECT_EQ(run("audit verify --help").out.find("--escalation"), std::string::npos);
}

TEST(Cli, UnknownOptionIsNamedForEachCommand) {
  for (const auto& c : kCommands) {
    const std::string args = c.command + " " + kConfig + " --frobnicate 3";
    expect_usage_error(args, "error: unknown option '--frobnicate' for 'escalation-desk " + c.command + "'");
    expect_usage_error(args, "run 'escalation-desk " + c.command + " --help' for its options");
  }
}

TEST(Cli, AMistypedOptionIsReportedRatherThanTheOptionItMisses) {
  expect_usage_error("rota --cofnig deploy/desk.example.yaml", "unknown option '--cofnig'");
}

TEST(Cli, OptionsOfOneCommandAreRefusedByAnother) {
  expect_usage_error("check-config " + kConfig + " --weeks 3",
                     "unknown option '--weeks' for 'escalation-desk check-config'");
  expect_usage_error("run " + kConfig + " --at 2026-12-01T12:00:00Z",
                     "unknown option '--at' for 'escalation-desk run'");
  expect_usage_error(kConfig + " rota", "unknown option '--config': options go after the command");
}

TEST(Cli, MissingConfigIsNamedForEachCommand) {
  for (const auto& c : kCommands) {
    expect_usage_error(c.command, "error: --config is required");
    expect_usage_error(c.command + " --config", "error: --config needs a value");
  }
}

TEST(Cli, MissingValueNamesTheOption) {
  expect_usage_error("rota " + kConfig + " --weeks", "error: --weeks needs a value");
  expect_usage_error("rota " + kConfig + " --weeks=", "error: --weeks needs a value");
  expect_usage_error("rota " + kConfig + " --at", "error: --at needs a value");
  expect_usage_error("evaluate " + kConfig + " --expect", "error: --expect needs a value");
  expect_usage_error("audit export " + kConfig + " --escalation", "error: --escalation needs a value");
}

TEST(Cli, BadValueSaysWhatIsAllowed) {
  const std::pair<std::string, std::string> kCases[] = {
      {"rota " + kConfig + " --weeks x", "--weeks: must be a whole number from 1 to 104, not 'x'"},
      {"rota " + kConfig + " --weeks 0", "--weeks: must be a whole number from 1 to 104, not '0'"},
      {"rota " + kConfig + " --weeks 105", "not '105'"},
      {"rota " + kConfig + " --weeks 3x", "not '3x'"},
      {"rota " + kConfig + " --weeks 99999999999999999999", "not '99999999999999999999'"},
      {"rota " + kConfig + " --at yesterday", "--at: must be a UTC instant like 2026-03-30T08:00:00Z, not 'yesterday'"},
      {"check-config " + kConfig + " --at 2026-02-30T08:00:00Z", "not '2026-02-30T08:00:00Z'"},
      {"demo " + kConfig + " --at 2026-03-30T24:00:00Z", "not '2026-03-30T24:00:00Z'"},
      {"evaluate " + kConfig + " --at 2026-03-30T08:00:00", "not '2026-03-30T08:00:00'"},
      {"evaluate " + kConfig + " --expect maybe", "--expect: must be approved or escalated, not 'maybe'"},
  };
  for (const auto& [args, message] : kCases) expect_usage_error(args, message);
}

TEST(Cli, UnknownCommandsAndStrayArguments) {
  const std::pair<std::string, std::string> kCases[] = {
      {"frobnicate " + kConfig, "error: unknown command 'frobnicate'"},
      {"audit frob " + kConfig, "error: unknown audit command 'frob'"},
      {"audit " + kConfig, "error: audit needs 'verify' or 'export'"},
      {"audit " + kConfig, "run 'escalation-desk audit --help' for its commands"},
      {"rota " + kConfig + " extra", "error: unexpected argument 'extra'"},
      {"rota " + kConfig + " demo", "error: unexpected argument 'demo'"},
      {"evaluate " + kConfig + " a.json b.json", "error: unexpected argument 'b.json'"},
      {"audit verify " + kConfig + " export", "error: unexpected argument 'export'"},
  };
  for (const auto& [args, message] : kCases) expect_usage_error(args, message);
}

TEST(Cli, HostileArgumentsAreRefusedNotCrashedOn) {
  const std::string huge(50'000, 'w');
  expect_usage_error("rota " + kConfig + " --" + huge, "unknown option '--www");
  expect_usage_error("rota " + kConfig + " --weeks " + huge, "--weeks: must be a whole number");
  expect_usage_error("rota " + kConfig + " --weeks \"$(printf '\\377\\376')\"", "--weeks: must be a whole number");
  expect_usage_error("'' " + kConfig, "unknown command ''");
  expect_usage_error("rota " + kConfig + " -- --weeks 3", "error: unknown option '--weeks'");
}

TEST(Cli, UnreadableDraftFileIsAUsageError) {
  expect_usage_error("evaluate " + kConfig + " /nonexistent/draft.json",
                     "error: cannot read '/nonexistent/draft.json'");
}

TEST(Cli, OptionSpellingsAndRepeats) {
  // --name=value works, and a repeated option takes its last value, as before
  const auto r = run("rota --config=" + std::string(DESK_SOURCE_DIR) +
                     "/deploy/desk.example.yaml --weeks 5 --weeks=2 --at 2026-12-01T12:00:00Z");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("duty_lead for the next 2 weeks"), std::string::npos) << r.out;
}

TEST(Cli, DemoShowsTheRotaAndSampleVerdicts) {
  const auto r = run("demo " + kConfig + " --at 2026-12-01T12:00:00Z");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("who holds each role now (2026-12-01T12:00:00Z)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("duty_lead for the next 2 weeks"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-> \"approved\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-> \"escalated\""), std::string::npos) << r.out;
}

TEST(Cli, BadConfigExitsTwoWithFileAndLine) {
  const auto path = std::filesystem::temp_directory_path() / ("desk-bad-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "desk:\n  channel: x\n  chanel: y\n";
  const auto r = run("check-config --config " + path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find(path.string() + ":3:3: unknown key 'chanel' in desk"), std::string::npos) << r.out;
}

/// An escalated draft with a phone number in it, as a desk would store it.
desk::storage::NewSubmission paid_ads_submission() {
  desk::storage::NewSubmission ns;
  ns.submission.workflow = "paid_ads";
  ns.submission.channel = "meta";
  ns.submission.agent = "ads-agent";
  ns.submission.confidence = 0.5;
  ns.submission.output = "Call jane on +44 20 7946 0958";
  ns.verdict = desk::core::Verdict::escalated;
  desk::core::Escalation e;
  e.workflow = "paid_ads";
  e.channel = "meta";
  e.owner_role = "duty_lead";
  e.owner_person = "alice";
  e.deadlines = {{desk::core::DeadlineKind::triage, {}, std::nullopt}};
  ns.escalation = e;
  ns.audit = {{"escalation.opened", "", "ads-agent", {}, {{"workflow", "paid_ads"}}}};
  return ns;
}

TEST(Cli, AuditWithoutDatabaseSaysWhereItLooked) {
  const auto dir = std::filesystem::temp_directory_path() / ("desk-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml", dir / "desk.yaml");
  auto r = run("audit verify --config " + (dir / "desk.yaml").string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("no database at " + (dir / "escalation-desk.db").string() + " yet"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "escalation-desk.db")) << "a read-only command never creates one";
  r = run("audit export --config " + (dir / "desk.yaml").string() + " --escalation ESC-000001");
  EXPECT_EQ(r.code, 1) << r.out;
  std::filesystem::remove_all(dir);
}

TEST(Cli, AuditVerifyAndExportOnARealDatabase) {
  const auto dir = std::filesystem::temp_directory_path() / ("desk-cli-db-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml", dir / "desk.yaml");
  const std::string config = "--config " + (dir / "desk.yaml").string();
  std::string escalation_id;
  {
    auto store = desk::storage::SqliteStore::open((dir / "escalation-desk.db").string());
    escalation_id = store->add_submission(paid_ads_submission()).escalation_id;
  }
  auto r = run("audit verify " + config);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("audit trail OK"), std::string::npos) << r.out;

  r = run("audit export " + config + " --escalation " + escalation_id);
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(j["type"], "escalation");
  EXPECT_EQ(j["escalation_id"], escalation_id);
  EXPECT_EQ(j["output"], "Call jane on +44 20 7946 0958");
  EXPECT_EQ(j["audit"][0]["kind"], "escalation.opened");

  {  // someone edits history behind the desk's back
    SQLite::Database raw((dir / "escalation-desk.db").string(), SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER audit_no_update");
    raw.exec("UPDATE audit SET actor = 'mallory' WHERE seq = 1");
  }
  r = run("audit verify " + config);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("audit trail BROKEN at row 1"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

/// The database file's bytes and its write-ahead log's: where erased text must not linger.
std::string file_bytes(const std::string& path) {
  std::string bytes;
  for (const auto& p : {path, path + "-wal"}) {
    std::ifstream in(p, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

const std::string kAuditKey = "cli-test-audit-key-0123456789abcdef";
const std::string kAuditKeyEnv = "DESK_AUDIT_KEY=" + kAuditKey;

/// A database written by a desk with kAuditKey (or none), an escalation in it, and its config.
class CliAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::filesystem::copy_file(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml", dir_ / "desk.yaml");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string add_escalation(const std::string& key) {
    desk::storage::StoreOptions options;
    options.audit_key = key;
    auto store = desk::storage::SqliteStore::open(db(), options);
    desk::storage::NewSubmission ns = paid_ads_submission();
    ns.submission.metadata_json = R"({"campaign": "spring"})";  // kept verbatim: the digest covers its spacing
    const auto id = store->add_submission(ns).escalation_id;
    store->append_audit({{"escalation.triaged", id, "alice", {}, {}},
                         {"decision.accepted", id, "alice", {}, {{"rationale", "Checked with jane"}}}});
    return id;
  }
  std::string db() const { return (dir_ / "escalation-desk.db").string(); }
  std::string config() const { return "--config " + (dir_ / "desk.yaml").string(); }
  /// The export's lines, with `edit` applied, written to a file; returns its path.
  std::string export_file(const std::string& text, const std::function<void(std::vector<std::string>&)>& edit = {}) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (edit) edit(lines);
    const auto path = dir_ / ("export-" + std::to_string(files_++) + ".jsonl");
    std::ofstream out(path);
    for (const auto& line : lines) out << line << "\n";
    return path.string();
  }

  /// `verify --file` on the export edited by `edit` fails (exit 1) saying `message`.
  void expect_broken(const std::string& exported, const std::function<void(std::vector<std::string>&)>& edit,
                     const std::string& message) {
    const auto r = run("audit verify --file " + export_file(exported, edit), "", kAuditKeyEnv);
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find(message), std::string::npos) << message << "\n" << r.out;
  }
  /// An edit setting `key` of the JSON on line `index` to `value`.
  static std::function<void(std::vector<std::string>&)> edit_line(std::size_t index, std::string key,
                                                                  std::string value) {
    return [=](std::vector<std::string>& lines) {
      auto j = nlohmann::json::parse(lines.at(index));
      j[key] = value;
      lines[index] = j.dump();
    };
  }

  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("desk-cli-audit-" + std::to_string(::getpid()));
  int files_ = 0;
};

TEST_F(CliAuditTest, RunRefusesToStartWithoutTheAuditKey) {
  const auto r = run("run " + config());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("DESK_AUDIT_KEY is not set"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(db())) << "refused before opening the database";
  const auto short_key = run("run " + config(), "", "DESK_AUDIT_KEY=tooshort");
  EXPECT_EQ(short_key.code, 2) << short_key.out;
  EXPECT_NE(short_key.out.find("DESK_AUDIT_KEY holds 8 characters"), std::string::npos) << short_key.out;
  EXPECT_EQ(short_key.out.find("tooshort"), std::string::npos) << "never show the key";
}

TEST_F(CliAuditTest, VerifyWithTheKeyCatchesDeletedLastRows) {
  add_escalation(kAuditKey);
  auto r = run("audit verify " + config(), "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("audit trail OK: 3 rows, 1 evidence bundles match the chain, keyed"), std::string::npos)
      << r.out;
  {
    SQLite::Database raw(db(), SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 3");
  }
  r = run("audit verify " + config(), "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("audit trail BROKEN at row 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("truncated"), std::string::npos) << r.out;

  r = run("audit verify " + config());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("set DESK_AUDIT_KEY"), std::string::npos) << r.out;
}

TEST_F(CliAuditTest, AnExportVerifiesOfflineAndShowsEveryTampering) {
  const auto id = add_escalation(kAuditKey);
  const auto exported = run("audit export " + config(), "", kAuditKeyEnv);
  ASSERT_EQ(exported.code, 0) << exported.out;
  std::filesystem::remove(db());  // offline: no database at all

  const auto intact = export_file(exported.out);
  auto r = run("audit verify --file " + intact, "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("audit export OK: 3 rows, 1 evidence bundles"), std::string::npos) << r.out;

  // The last row cut off (the head line kept): truncation shows.
  expect_broken(
      exported.out, [](auto& lines) { lines.erase(lines.end() - 2); }, "truncated");
  // The file cut off before its head.
  expect_broken(
      exported.out, [](auto& lines) { lines.pop_back(); }, "no audit_head line");
  // The evidence text edited; a row edited.
  expect_broken(exported.out, edit_line(0, "output", "Call us"), "was changed after it was recorded");
  expect_broken(exported.out, edit_line(2, "actor", "mallory"), "BROKEN at row 2");
  // The rationale kept beside row 3 edited.
  expect_broken(
      exported.out,
      [](auto& lines) {
        auto j = nlohmann::json::parse(lines.at(3));
        ASSERT_EQ(j["notes"]["rationale"], "Checked with jane");
        j["notes"]["rationale"] = "Checked nothing";
        lines[3] = j.dump();
      },
      "the rationale kept beside row 3");

  // A wrong key fails; no key is a usage error.
  r = run("audit verify --file " + intact, "", "DESK_AUDIT_KEY=some-other-key-0123456789abcdefgh");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("does not match DESK_AUDIT_KEY"), std::string::npos) << r.out;
  r = run("audit verify --file " + intact);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("set DESK_AUDIT_KEY"), std::string::npos) << r.out;
  EXPECT_EQ(run("audit verify --file " + intact + " " + config(), "", kAuditKeyEnv).code, 2);
  EXPECT_EQ(run("audit verify", "", kAuditKeyEnv).code, 2);
  (void)id;
}

TEST_F(CliAuditTest, AnOldUnkeyedDatabaseVerifiesWithAWarningAndIsKeyedByAnchor) {
  add_escalation("");
  auto r = run("audit verify " + config());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("warning: the chain is not keyed"), std::string::npos) << r.out;
  r = run("audit verify " + config(), "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("audit anchor"), std::string::npos) << r.out;

  EXPECT_EQ(run("audit anchor " + config()).code, 2) << "anchoring needs the key";
  r = run("audit anchor " + config(), "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("its 3 earlier rows are covered"), std::string::npos) << r.out;
  r = run("audit verify " + config(), "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("keyed hash chain intact"), std::string::npos) << r.out;
  r = run("audit anchor " + config(), "", kAuditKeyEnv);
  EXPECT_NE(r.out.find("already keyed"), std::string::npos) << r.out;
}

TEST_F(CliAuditTest, EraseRemovesTheTextEverywhereAuditsItAndQueuesTheMessageUpdate) {
  const auto id = add_escalation(kAuditKey);
  {
    desk::storage::StoreOptions options;
    options.audit_key = kAuditKey;
    desk::storage::SqliteStore::open(db(), options)->record_message({id, "slack", "C0DESK", "1700000000.000100", ""});
  }
  // Refused, changing nothing: an unknown or malformed id, no reason, no key for the keyed chain.
  auto r = run("erase " + config() + " --submission SUB-000009 --reason 'ticket DPO-7'", "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("no submission SUB-000009: nothing was changed"), std::string::npos) << r.out;
  r = run("erase " + config() + " --submission ESC-000001 --reason 'ticket DPO-7'", "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--submission: 'ESC-000001' is not a submission id"), std::string::npos) << r.out;
  EXPECT_EQ(run("erase " + config() + " --submission SUB-000001", "", kAuditKeyEnv).code, 2);
  r = run("erase " + config() + " --submission SUB-000001 --reason 'ticket DPO-7'");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("set DESK_AUDIT_KEY"), std::string::npos) << r.out;
  ASSERT_NE(file_bytes(db()).find("7946 0958"), std::string::npos) << "nothing was erased yet";

  r = run("erase " + config() + " --submission SUB-000001 --reason 'ticket DPO-7'", "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("erased SUB-000001 (" + id + ")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("an update of its message is queued for slack"), std::string::npos) << r.out;
  EXPECT_EQ(file_bytes(db()).find("7946 0958"), std::string::npos) << "not even in the file";
  {
    auto store = desk::storage::SqliteStore::open(db(), {kAuditKey});
    const auto slack = store->outbox_history("slack", 0);
    ASSERT_EQ(slack.size(), 1u);
    EXPECT_EQ(slack[0].kind, "update_escalation");
    EXPECT_EQ(slack[0].escalation_id, id);
    EXPECT_EQ(store->audit_trail(id).back().event.kind, "submission.erased");
  }
  r = run("audit verify " + config(), "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 0) << r.out;
  r = run("erase " + config() + " --submission SUB-000001 --reason 'ticket DPO-7'", "", kAuditKeyEnv);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("was already erased"), std::string::npos) << r.out;
}

TEST(Cli, ReportReadsTheWeeksFromTheStoreAsTextJsonAndCsv) {
  const auto dir = std::filesystem::temp_directory_path() / ("desk-cli-report-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml", dir / "desk.yaml");
  const std::string config = "--config " + (dir / "desk.yaml").string() + " --at 2026-12-03T12:00:00Z";
  auto r = run("report --weeks 2 --format csv " + config);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("week,starts,opened,decided,", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("2026-W49,2026-11-30T00:00:00Z,0,0"), std::string::npos) << "no database: empty weeks\n"
                                                                                << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "escalation-desk.db")) << "a read-only command never creates one";
  {
    auto store = desk::storage::SqliteStore::open((dir / "escalation-desk.db").string());
    desk::storage::NewSubmission ns = paid_ads_submission();
    ns.escalation->agent = "ads-agent";
    ns.escalation->opened_at = desk::core::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 12 / 1}};
    desk::core::TriggerHit hit;
    hit.kind = desk::core::TriggerKind::low_confidence;
    hit.rule_id = "confidence/paid_ads";
    ns.escalation->hits.push_back(hit);
    store->add_submission(ns);
  }
  r = run("report --weeks 2 --format json " + config);
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["weeks"].size(), 2u);
  EXPECT_EQ(j["weeks"][1]["week"], "2026-W49");
  EXPECT_EQ(j["weeks"][1]["opened"], 1);
  EXPECT_EQ(j["escalations_by_rule"]["confidence/paid_ads"], 1);
  r = run("report " + config);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("2026-W49"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Rules that never fired:"), std::string::npos) << r.out;
  r = run("report --weeks 4 --format csv --chart " + (dir / "run-chart.svg").string() + " " + config);
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream svg(dir / "run-chart.svg");
  const std::string chart((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  EXPECT_NE(chart.find("<svg"), std::string::npos);
  EXPECT_NE(chart.find("2026-W49"), std::string::npos);
  EXPECT_NE(chart.find("target 5 min"), std::string::npos);
  r = run("report --chart " + (dir / "run-chart.png").string() + " " + config);
  ASSERT_EQ(r.code, 0) << r.out;  // drawn in-process: no other program needed
  std::ifstream png(dir / "run-chart.png", std::ios::binary);
  const std::string image((std::istreambuf_iterator<char>(png)), std::istreambuf_iterator<char>());
  EXPECT_EQ(image.substr(0, 16), std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16));
  EXPECT_LT(image.size(), 8000u) << "a few kilobytes";
  expect_usage_error("report --chart chart.pdf " + config, ".svg or .png");
  expect_usage_error("report --weeks 0 " + config, "--weeks");
  expect_usage_error("report --format pdf " + config, "--format");
  std::filesystem::remove_all(dir);
}

TEST(Cli, PostmortemsExportsWhatWasFiledSinceADateAsJsonAndCsv) {
  const auto dir = std::filesystem::temp_directory_path() / ("desk-cli-pm-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml", dir / "desk.yaml");
  const std::string config = "--config " + (dir / "desk.yaml").string();
  auto r = run("postmortems " + config + " --since 2026-11-01");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["postmortems"], nlohmann::json::array()) << "no database: nothing filed";
  EXPECT_FALSE(std::filesystem::exists(dir / "escalation-desk.db")) << "a read-only command never creates one";

  const auto day = [](int d) { return desk::core::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 11 / d}}; };
  std::string filed, earlier;
  {
    auto store = desk::storage::SqliteStore::open((dir / "escalation-desk.db").string());
    for (std::string* id : {&earlier, &filed}) {
      desk::storage::NewSubmission ns = paid_ads_submission();
      ns.escalation->drill = id == &filed;
      ns.escalation->state = desk::core::EscalationState::rejected;
      ns.escalation->decision = desk::core::Decision{desk::core::Macro::reject, "alice", day(2), "Unsupported claim."};
      *id = store->add_submission(ns).escalation_id;
    }
    store->add_postmortem({0, earlier, "alice", day(2), "old", "old", "old"});
    store->add_postmortem({0, filed, "alice", day(20) + std::chrono::hours(9), "A claim, \"unsourced\"",
                           "Rejected it,\nthen asked for a source", "-1 lexicon rule"});
  }
  r = run("postmortems " + config + " --since 2026-11-20");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["since"], "2026-11-20T00:00:00Z");
  ASSERT_EQ(j["postmortems"].size(), 1u) << r.out;
  const auto& row = j["postmortems"][0];
  EXPECT_EQ(row["escalation_id"], filed);
  EXPECT_EQ(row["workflow"], "paid_ads");
  EXPECT_EQ(row["decision"], "rejected");
  EXPECT_EQ(row["decided_by"], "alice");
  EXPECT_EQ(row["drill"], true);
  EXPECT_EQ(row["author"], "alice");
  EXPECT_EQ(row["filed_at"], "2026-11-20T09:00:00Z");
  EXPECT_EQ(row["edited_at"], nullptr);
  EXPECT_EQ(row["what_fixed"], "Rejected it,\nthen asked for a source");

  r = run("postmortems " + config + " --since 2026-11-01 --format csv");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("escalation_id,workflow,decision,", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\r\n" + earlier + ",paid_ads,rejected,alice,2026-11-02T00:00:00Z,false,alice,"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(",true,alice,2026-11-20T09:00:00Z,,,\"A claim, \"\"unsourced\"\"\",\"Rejected it,\nthen asked "
                       "for a source\",'-1 lexicon rule\r\n"),
            std::string::npos)
      << r.out;

  expect_usage_error("postmortems " + config, "--since");
  expect_usage_error("postmortems " + config + " --since 2026-02-30", "must be a date as YYYY-MM-DD");
  expect_usage_error("postmortems " + config + " --since 30/11/2026", "--since");
  expect_usage_error("postmortems " + config + " --since 2026-11-01 --format xml", "--format");
  std::filesystem::remove_all(dir);
}

}  // namespace

namespace {

/// A community reply judged by `engine` as the desk would have, stored with its verdict and hits.
std::string store_judged(desk::storage::SqliteStore& store, const desk::core::PolicyEngine& engine,
                         const std::string& output, desk::core::TimePoint at) {
  desk::storage::NewSubmission ns;
  ns.submission.workflow = "community_replies";
  ns.submission.channel = "linkedin";
  ns.submission.agent = "social-agent-3";
  ns.submission.confidence = 0.95;
  ns.submission.output = output;
  ns.submission.submitted_at = at;
  const auto ev = engine.evaluate(ns.submission);
  ns.verdict = ev.verdict;
  ns.hits = ev.hits;
  ns.shadow_hits = ev.shadow_hits;
  if (ev.verdict == desk::core::Verdict::escalated) {
    desk::core::Escalation e;
    e.workflow = "community_replies";
    e.channel = "linkedin";
    e.agent = "social-agent-3";
    e.owner_role = ev.owner_role;
    e.owner_person = "hana";
    e.opened_at = e.owned_since = at;
    e.deadlines = {{desk::core::DeadlineKind::triage, at, std::nullopt}};
    ns.escalation = e;
    ns.audit = {{"escalation.opened", "", "social-agent-3", at, {{"workflow", "community_replies"}}}};
  }
  return store.add_submission(ns).submission_id;
}

}  // namespace

TEST(Cli, BacktestReplaysTheStoreThroughAnotherPolicyRuleByRule) {
  const auto dir = std::filesystem::temp_directory_path() / ("desk-cli-backtest-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml", dir / "desk.yaml");
  // The change under test: "free trial" is no longer a pricing term, "unbeatable" becomes a guarantee.
  std::ifstream in(dir / "desk.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"lowest price, free trial,", "lowest price,"},
                                 {"terms: [guarantee,", "terms: [unbeatable, guarantee,"}}) {
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  }
  std::ofstream(dir / "new.yaml") << text;
  const std::string old_config = (dir / "desk.yaml").string(), new_config = (dir / "new.yaml").string();
  expect_usage_error("backtest --config " + new_config, "no database at");

  const desk::core::TimePoint dec1{std::chrono::sys_days{std::chrono::year{2026} / 12 / 1}};
  std::map<std::string, std::string> ids;
  {
    auto store = desk::storage::SqliteStore::open((dir / "escalation-desk.db").string());
    const desk::core::Policy policy = desk::bot::load_config(old_config);  // the engine refers to it
    const desk::core::PolicyEngine then(policy);
    for (const char* draft : {"Our prices start low.", "This plan is unbeatable.", "Thanks for the kind words!",
                              "Start your free trial today."})
      ids[draft] = store_judged(*store, then, draft, dec1);
    store_judged(*store, then, "Older, and unbeatable.", dec1 - std::chrono::days(40));  // outside the window
  }
  auto r = run("backtest --config " + new_config + " --since 30d --format json --at 2026-12-03T12:00:00Z");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["replayed"], 4);
  EXPECT_EQ(j["escalated_before"], 2);  // prices, free trial
  EXPECT_EQ(j["escalated_after"], 2);   // prices, unbeatable
  EXPECT_EQ(j["newly_escalated"]["count"], 1);
  EXPECT_EQ(j["newly_escalated"]["examples"], nlohmann::json::array({ids["This plan is unbeatable."]}));
  EXPECT_EQ(j["newly_approved"]["count"], 1);
  EXPECT_EQ(j["newly_approved"]["examples"], nlohmann::json::array({ids["Start your free trial today."]}));
  ASSERT_EQ(j["rules"].size(), 2u) << j.dump(2);  // "prices" fires as before: not listed
  std::map<std::string, nlohmann::json> rules;
  for (const auto& rule : j["rules"]) rules[rule["rule_id"]] = rule;
  ASSERT_TRUE(rules.count("lexicon/guarantees/unbeatable")) << j.dump(2);
  EXPECT_EQ(rules["lexicon/guarantees/unbeatable"]["fired_before"], 0);
  EXPECT_EQ(rules["lexicon/guarantees/unbeatable"]["fired_after"], 1);
  EXPECT_EQ(rules["lexicon/guarantees/unbeatable"]["newly_escalated"], 1);
  ASSERT_TRUE(rules.count("lexicon/pricing/free trial")) << j.dump(2);
  EXPECT_EQ(rules["lexicon/pricing/free trial"]["fired_after"], 0);
  EXPECT_EQ(rules["lexicon/pricing/free trial"]["newly_approved"], 1);

  r = run("backtest --config " + new_config + " --at 2026-12-03T12:00:00Z");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("4 submissions replayed: 2 escalated then, 2 with this policy (no change)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("lexicon/guarantees/unbeatable"), std::string::npos) << r.out;
  // The same policy changes nothing; a longer window reaches the older draft.
  r = run("backtest --config " + old_config + " --since 60d --format json --at 2026-12-03T12:00:00Z");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["replayed"], 5);
  EXPECT_EQ(nlohmann::json::parse(r.out)["rules"].size(), 0u);
  expect_usage_error("backtest --config " + new_config + " --since soon", "--since");
  expect_usage_error("backtest --config " + new_config + " --format csv", "--format");
  std::filesystem::remove_all(dir);
}

TEST(Cli, AShadowCategoryIsRecordedReportedAndBacktestedWithoutEscalating) {
  const auto dir = std::filesystem::temp_directory_path() / ("desk-cli-shadow-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml", dir / "desk.yaml");
  std::ifstream in(dir / "desk.yaml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string changed = text;
    const auto at = changed.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) changed.replace(at, from.size(), to);
    return changed;
  };
  std::ofstream(dir / "enforced.yaml") << with("    mode: shadow\n", "    mode: enforce\n");
  std::ofstream(dir / "typo.yaml") << with("    mode: shadow\n", "    mode: shadowed\n");
  const std::string config = (dir / "desk.yaml").string();

  // A bad mode is refused where it is written, saying what is allowed.
  auto r = run("check-config --config " + (dir / "typo.yaml").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("mode of lexicon category 'comparative_claims' must be 'enforce' or 'shadow', not 'shadowed'"),
            std::string::npos)
      << r.out;

  // evaluate: let through, with the shadow hit shown to the person trying the rule.
  r = run("evaluate --config " + config + " -",
          R"({"workflow":"community_replies","channel":"linkedin","agent":"a","confidence":0.95,)"
          R"("output":"Honestly, it outperforms the rest."})");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verdict"], "approved");
  EXPECT_EQ(j["hits"].size(), 0u);
  ASSERT_EQ(j["shadow_hits"].size(), 1u) << r.out;
  EXPECT_EQ(j["shadow_hits"][0]["rule_id"], "lexicon/comparative_claims/outperforms");

  // Three drafts as the desk judged them: two let through with a shadow hit, one escalated anyway.
  const desk::core::TimePoint dec1{std::chrono::sys_days{std::chrono::year{2026} / 12 / 1}};
  std::map<std::string, std::string> ids;
  {
    auto store = desk::storage::SqliteStore::open((dir / "escalation-desk.db").string());
    const desk::core::Policy policy = desk::bot::load_config(config);
    const desk::core::PolicyEngine engine(policy);
    for (const char* draft : {"It outperforms the rest.", "Better than ever, and it beats any rival.",
                              "Cheaper prices, better than theirs.", "Thanks for the kind words!"})
      ids[draft] = store_judged(*store, engine, draft, dec1);
  }
  r = run("report --config " + config + " --weeks 1 --format json --at 2026-12-03T12:00:00Z");
  ASSERT_EQ(r.code, 0) << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["weeks"][0]["opened"], 1) << "only the pricing draft escalated";
  EXPECT_EQ(j["weeks"][0]["shadow_drafts"], 3);
  EXPECT_EQ(j["weeks"][0]["shadow_would_escalate"], 2);
  EXPECT_EQ(j["shadow_rules"]["lexicon/comparative_claims/better than"],
            (nlohmann::json{{"drafts", 2}, {"would_escalate", 1}}));
  EXPECT_EQ(j["shadow_rules"]["lexicon/comparative_claims/unlike competitors"]["drafts"], 0) << "never fired";
  for (const auto& rule : j["rules_never_fired"])
    EXPECT_EQ(rule.get<std::string>().rfind("lexicon/comparative_claims/", 0), std::string::npos) << rule;
  r = run("report --config " + config + " --weeks 1 --at 2026-12-03T12:00:00Z");
  EXPECT_NE(r.out.find("Shadow rules (recorded, never escalating)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2  lexicon/comparative_claims/better than  (1 would have escalated)"), std::string::npos)
      << r.out;

  // Backtest: the same policy shows what enforcing would do; enforcing it escalates the two let through.
  r = run("backtest --config " + config + " --format json --at 2026-12-03T12:00:00Z");
  ASSERT_EQ(r.code, 0) << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["newly_escalated"]["count"], 0);
  std::map<std::string, nlohmann::json> shadow;
  for (const auto& rule : j["shadow_rules"]) shadow[rule["rule_id"]] = rule;
  EXPECT_EQ(shadow["lexicon/comparative_claims/better than"]["fired_before"], 2) << j.dump(2);
  EXPECT_EQ(shadow["lexicon/comparative_claims/better than"]["would_escalate"], 1);
  EXPECT_EQ(shadow["lexicon/comparative_claims/outperforms"]["examples"],
            nlohmann::json::array({ids["It outperforms the rest."]}));
  r = run("backtest --config " + (dir / "enforced.yaml").string() + " --format json --at 2026-12-03T12:00:00Z");
  ASSERT_EQ(r.code, 0) << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["newly_escalated"]["count"], 2) << j.dump(2);
  for (const auto& rule : j["shadow_rules"]) EXPECT_EQ(rule["fired_after"], 0) << "enforced now: " << rule;
  r = run("backtest --config " + (dir / "enforced.yaml").string() + " --at 2026-12-03T12:00:00Z");
  EXPECT_NE(r.out.find("4 submissions replayed: 1 escalated then, 3 with this policy (+2)"), std::string::npos)
      << r.out;
  std::filesystem::remove_all(dir);
}
