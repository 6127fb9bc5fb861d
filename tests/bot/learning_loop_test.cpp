// The learning loop's Done-when: a desk that ran four weeks (built here through the desk's own actions
// with an injected clock: triage, decisions, legal, missed deadlines, drills, post-mortems) answers
// `report`, `report --chart`, `drill report` and `postmortems` from the shipped binary with figures
// this test recomputes on its own from the raw rows of the database, drills kept out of the real ones.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "core/lifecycle.hpp"
#include "handlers/desk_actions.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/desk_binary.hpp"
#include "tests/support/open_as_intake.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::learning_loop_test {

using json = nlohmann::json;
using namespace std::chrono_literals;
using core::TimePoint;

struct CliResult {
  int code = -1;
  std::string out;
};

CliResult run_cli(const std::string& args) {
  const std::string cmd = std::string(DESK_BINARY) + " " + args + " </dev/null 2>&1";
  CliResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TimePoint day(int month, int d) { return TimePoint{std::chrono::sys_days{std::chrono::year{2026} / month / d}}; }

/// Four weeks of work, W46 to W49 of 2026, the report asked on Thursday of W49.
class LearningLoopHistory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("desk-learning-loop-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::filesystem::copy_file(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml", dir_ / "desk.yaml");
    store_ = storage::SqliteStore::open((dir_ / "escalation-desk.db").string());
    store_->save_policy_snapshot("testdigest", "seed policy");
    actions_.emplace(
        handlers::DeskActionDependencies{*store_,
                                         [this](const std::string& d) { return d == "testdigest" ? policy_ : nullptr; },
                                         [this] { return policy_; },
                                         nullptr,
                                         {"slack"}});
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  core::Escalation load(const std::string& id) { return *store_->escalation(id); }

  /// What the SLA timer does at `at`: fires what is due and commits it.
  void fire(const std::string& id, TimePoint at) {
    auto e = load(id);
    const auto overrides = store_->overrides_active_after(at);
    const core::LifecycleContext ctx{policy_->policy(), policy_->rota(), overrides};
    const core::Fired fired = core::fire_due(e, ctx, at);
    if (!fired.audit.empty()) { ASSERT_TRUE(store_->update_escalation(e, fired.audit, {})); }
  }

  void triage(const std::string& id, TimePoint at) {
    const auto e = load(id);
    const auto r = actions_->begin(id, e.generation, core::Macro::accept, e.owner_person, at);
    ASSERT_TRUE(r.outcome.status == macros::MacroOutcome::Status::done) << r.outcome.message;
  }

  void decide(const std::string& id, core::Macro macro, TimePoint at) {
    const auto e = load(id);
    const macros::MacroRequest request{macro, e.owner_person,
                                       "Checked the claim against the approved sheet; the wording is what we can stand "
                                       "behind, so this is the call.",
                                       ""};
    const auto r = actions_->decide(id, e.generation, request, at);
    ASSERT_TRUE(r.outcome.status == macros::MacroOutcome::Status::done) << id << ": " << r.outcome.message;
  }

  /// One agent submission at `at`, handled in one of five ways.
  void work(int n, TimePoint at) {
    core::Submission s = testing::low_confidence_ad(at);
    s.agent = "ads-agent-" + std::to_string(n % 4);
    const std::string id = testing::open_as_intake(*store_, *policy_, s, at);
    ASSERT_FALSE(id.empty());
    switch (n % 5) {
      case 0:  // quick: triaged in 2 minutes, accepted at 10
        triage(id, at + 2min);
        decide(id, core::Macro::accept, at + 10min);
        break;
      case 1:  // late: the triage deadline passes, then rejected at 25 minutes
        fire(id, at + 6min);
        triage(id, at + 6min + 30s);
        decide(id, core::Macro::reject, at + 25min);
        break;
      case 2:  // to legal at 3 minutes, legal accepts at 40
        decide(id, core::Macro::escalate_to_legal, at + 3min);
        decide(id, core::Macro::accept, at + 40min);
        break;
      case 3:  // decided without a triage at 4 minutes
        decide(id, core::Macro::reject, at + 4min);
        break;
      default:  // nobody: both deadlines pass; decided at 50 minutes
        fire(id, at + 6min);
        fire(id, at + 31min);
        decide(id, core::Macro::accept, at + 50min);
        if (n % 2 == 0)
          store_->add_postmortem({0, id, load(id).decision->by, at + 2h, "Nobody looked for 50 minutes",
                                  "Accepted after the director's ping", "Page the backup at once"});
        break;
    }
  }

  std::string drill(const std::string& scenario, TimePoint at, bool decided) {
    const auto r = actions_->start_drill({scenario, "", "dana"}, at);
    EXPECT_EQ(r.status, handlers::DrillStartResult::Status::started) << r.message;
    if (decided) {
      triage(r.escalation_id, at + 1min);
      if (!load(r.escalation_id).with_legal()) decide(r.escalation_id, core::Macro::escalate_to_legal, at + 2min);
      decide(r.escalation_id, core::Macro::reject, at + 9min);
    }
    return r.escalation_id;
  }

  void build_history() {
    int n = 0;
    for (TimePoint monday = day(11, 9); monday <= day(11, 30); monday += std::chrono::days{7})
      for (int weekday = 0; weekday < 5; ++weekday)
        for (int k = 0; k < 3; ++k) {
          const TimePoint at = monday + std::chrono::days{weekday} + 10h + std::chrono::hours{2 * k};
          if (at <= now_ - 2h) work(n++, at);
        }
    drill("pricing_claim", day(11, 17) + 15h, true);
    drill("data_leak", day(11, 25) + 15h, false);
    drill("tos_breach", day(12, 1) + 15h, true);
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::SqliteStore> store_;
  std::shared_ptr<const handlers::PolicySet> policy_ =
      std::make_shared<const handlers::PolicySet>(testing::seed_policy());
  std::optional<handlers::DeskActions> actions_;
  const TimePoint now_ = day(12, 3) + 12h;
};

/// A week's figures as this test computes them from the raw rows.
struct RawWeek {
  int opened = 0, decided = 0, legal = 0, triage_breaches = 0, decision_breaches = 0, drills = 0, drills_scored = 0;
  std::vector<std::int64_t> respond, decide;
  int drill_points = 0;
};

std::int64_t mean_of(const std::vector<std::int64_t>& v) {
  return std::llround(static_cast<double>(std::accumulate(v.begin(), v.end(), std::int64_t{0})) / v.size());
}

TEST_F(LearningLoopHistory, ReportDrillReportAndPostMortemsAgreeWithTheRawRows) {
  build_history();
  const std::string plain = "--config " + (dir_ / "desk.yaml").string();
  const std::string config = plain + " --at 2026-12-03T12:00:00Z";
  const auto report = run_cli("report --weeks 4 --format json " + config);
  ASSERT_EQ(report.code, 0) << report.out;
  const json figures = json::parse(report.out);
  ASSERT_EQ(figures["weeks"].size(), 4u);

  // The raw rows, read with SQL alone: weeks are Mondays from 2026-11-09 (W46).
  const std::int64_t first = std::chrono::duration_cast<core::Seconds>(day(11, 9).time_since_epoch()).count();
  const auto week_of = [&](std::int64_t at) { return static_cast<int>((at - first) / (7 * 86400)); };
  std::map<int, RawWeek> raw;
  SQLite::Database db((dir_ / "escalation-desk.db").string(), SQLite::OPEN_READONLY);
  SQLite::Statement escalations(db,
                                "SELECT id, opened_at, triaged_at, decision_at, decision_macro, owner_role, drill "
                                "FROM escalations");
  while (escalations.executeStep()) {
    const std::string id = escalations.getColumn(0).getString();
    const std::int64_t opened = escalations.getColumn(1).getInt64();
    if (escalations.getColumn(6).getInt() == 1) continue;
    RawWeek& w = raw[week_of(opened)];
    ++w.opened;
    const bool decided = !escalations.getColumn(3).isNull();
    if (!escalations.getColumn(2).isNull())
      w.respond.push_back(escalations.getColumn(2).getInt64() - opened);
    else if (decided)
      w.respond.push_back(escalations.getColumn(3).getInt64() - opened);
    if (decided) {
      ++w.decided;
      w.decide.push_back(escalations.getColumn(3).getInt64() - opened);
      w.legal += escalations.getColumn(5).getString() == "legal_oncall";
    }
    SQLite::Statement breaches(db, "SELECT kind, count(*) FROM audit WHERE escalation_id = ? GROUP BY kind");
    breaches.bind(1, id);
    while (breaches.executeStep()) {
      const std::string kind = breaches.getColumn(0).getString();
      if (kind == "sla.triage_breached") w.triage_breaches += breaches.getColumn(1).getInt();
      if (kind == "sla.decision_breached") w.decision_breaches += breaches.getColumn(1).getInt();
    }
  }
  SQLite::Statement drills(db, "SELECT started_at, score FROM drills");
  while (drills.executeStep()) {
    RawWeek& w = raw[week_of(drills.getColumn(0).getInt64())];
    ++w.drills;
    if (drills.getColumn(1).isNull()) continue;
    ++w.drills_scored;
    w.drill_points += drills.getColumn(1).getInt();
  }

  int opened_in_all = 0;
  for (int i = 0; i < 4; ++i) {
    const json& f = figures["weeks"][i];
    const RawWeek& w = raw[i];
    SCOPED_TRACE(f["week"].get<std::string>());
    opened_in_all += w.opened;
    EXPECT_EQ(f["opened"], w.opened);
    EXPECT_EQ(f["decided"], w.decided);
    EXPECT_EQ(f["time_to_respond"]["count"], w.respond.size());
    EXPECT_EQ(f["time_to_respond"]["mean_s"], mean_of(w.respond));
    EXPECT_EQ(f["time_to_decide"]["mean_s"], mean_of(w.decide));
    EXPECT_EQ(f["sent_to_legal"], w.legal);
    EXPECT_EQ(f["resolved_without_legal"], w.decided - w.legal);
    EXPECT_NEAR(f["share_sent_to_legal"].get<double>(), static_cast<double>(w.legal) / w.decided, 1e-4);
    EXPECT_EQ(f["triage_breaches"], w.triage_breaches);
    EXPECT_EQ(f["decision_breaches"], w.decision_breaches);
    EXPECT_EQ(f["drills"], w.drills);
    EXPECT_EQ(f["drills_scored"], w.drills_scored);
    if (w.drills_scored > 0)
      EXPECT_NEAR(f["drill_score_mean"].get<double>(), static_cast<double>(w.drill_points) / w.drills_scored, 1e-4);
    else
      EXPECT_TRUE(f["drill_score_mean"].is_null());
  }
  // The history is what it was meant to be: every week busy, breaches and legal in it, drills apart.
  EXPECT_EQ(opened_in_all, 15 * 3 + 3 * 3 + 1);
  EXPECT_GT(raw[3].triage_breaches, 0);
  EXPECT_GT(raw[3].legal, 0);
  EXPECT_EQ(raw[1].drills + raw[2].drills + raw[3].drills, 3);
  EXPECT_EQ(figures["last_drill"], "2026-12-01T15:00:00Z");

  // drill report: each drill with the score the drills table holds, and their mean.
  const auto drill_report = run_cli("drill report --format json " + plain);
  ASSERT_EQ(drill_report.code, 0) << drill_report.out;
  const json listed = json::parse(drill_report.out);
  ASSERT_EQ(listed["drills"].size(), 3u) << drill_report.out;
  SQLite::Statement scores(db, "SELECT escalation_id, score FROM drills ORDER BY started_at");
  int i = 0, points = 0, scored = 0;
  while (scores.executeStep()) {
    const json& d = listed["drills"][i++];
    EXPECT_EQ(d["escalation_id"], scores.getColumn(0).getString());
    if (scores.getColumn(1).isNull()) {
      EXPECT_TRUE(d["score"].is_null()) << d.dump();
      continue;
    }
    EXPECT_EQ(d["score"], scores.getColumn(1).getInt());
    points += scores.getColumn(1).getInt();
    ++scored;
  }
  EXPECT_NEAR(listed["mean_score"].get<double>(), static_cast<double>(points) / scored, 0.05);

  // postmortems: the rows filed since the first week, in filing order.
  const auto postmortems = run_cli("postmortems --since 2026-11-09 " + plain);
  ASSERT_EQ(postmortems.code, 0) << postmortems.out;
  const json filed = json::parse(postmortems.out)["postmortems"];
  SQLite::Statement pm(db, "SELECT escalation_id FROM postmortems ORDER BY at, id");
  std::vector<std::string> expected, shown;
  while (pm.executeStep()) expected.push_back(pm.getColumn(0).getString());
  for (const auto& p : filed) shown.push_back(p["escalation_id"]);
  EXPECT_EQ(shown, expected);
  EXPECT_FALSE(expected.empty());

  // The chart shows the same weekly means (minutes, one decimal) as the report.
  const auto chart = run_cli("report --weeks 4 --chart " + (dir_ / "run-chart.svg").string() + " " + config);
  ASSERT_EQ(chart.code, 0) << chart.out;
  std::ifstream svg(dir_ / "run-chart.svg");
  const std::string drawn((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  for (int w = 0; w < 4; ++w) {
    char label[16];
    std::snprintf(label, sizeof label, "%.1f", static_cast<double>(mean_of(raw[w].respond)) / 60.0);
    const std::string point = figures["weeks"][w]["week"].get<std::string>() + ": " + label + " min";
    EXPECT_NE(drawn.find(point), std::string::npos) << point << " in\n" << drawn;
  }

  // Asked again (a fresh process reading the same store): the same figures.
  EXPECT_EQ(run_cli("report --weeks 4 --format json " + config).out, report.out);
}

}  // namespace desk::learning_loop_test
