// Benchmark of `escalation-desk report --weeks 52` (issue 12: "Measure and report: `report --weeks 52`
// time on a store with 100,000 submissions"). Two steps:
//   1. builds a realistic SQLite store through the store's own API, as the desk records its work: N
//      agent submissions (default 100,000) spread evenly over the 56 weeks before a fixed "now",
//      committed in batches as the intake does (submission.received, escalation opened, its post on the
//      outbox), about 35% escalated across four workflows, nine agents and many rules (low confidence,
//      pricing, guarantees, regulated claims, fee concessions, personal data, stale citations); then
//      each escalation's life, in the desk's own actions with an injected clock: deadlines fired by the
//      SLA clock's own steps (backup pings, triage and decision breaches, announced on the outbox),
//      triage, decisions with rationales, some sent to legal and decided there, a few left undecided,
//      and a fire drill about every four weeks. `--db PATH` keeps this store and reuses it when present.
//   2. runs the SHIPPED binary on it as a child process, `report --config CFG --weeks 52 --format json`
//      and the text form, R times each (default 5), and prints the wall time p50 / max, the child's CPU
//      (getrusage RUSAGE_CHILDREN, user + system) and peak resident memory, and the database's size.
//      Every run must exit 0; the JSON must have 52 weeks whose opened escalations add up to those
//      opened in them (counted here with SQL alone) and whose breaches add up to the audit trail's.
// Usage: report_bench [--submissions N] [--runs R] [--db PATH] [--binary PATH] [--json FILE]
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "bot/config/config_loader.hpp"
#include "bot/sla_timer.hpp"
#include "core/lifecycle.hpp"
#include "core/report.hpp"
#include "handlers/desk_actions.hpp"
#include "handlers/effects.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

extern "C" char** environ;

namespace desk::report_bench {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using core::TimePoint;

constexpr int kWeeks = 52;
constexpr int kSpanWeeks = 56;
// A Thursday noon, fixed so that a kept store gives the same report whenever it is measured.
const TimePoint kNow = TimePoint{std::chrono::sys_days{std::chrono::year{2027} / 2 / 11}} + 12h;
const std::string kAt = "2027-02-11T12:00:00Z";

struct Options {
  long submissions = 100000;
  int runs = 5;
  std::string db, binary = DESK_BINARY, json_out;
};

[[noreturn]] void fail(const std::string& why) {
  std::cerr << "report_bench: " << why << "\n";
  std::exit(1);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) fail("missing value after " + a);
    const std::string v = argv[++i];
    if (a == "--submissions")
      o.submissions = std::atol(v.c_str());
    else if (a == "--runs")
      o.runs = std::atoi(v.c_str());
    else if (a == "--db")
      o.db = v;
    else if (a == "--binary")
      o.binary = v;
    else if (a == "--json")
      o.json_out = v;
    else
      fail("unknown option " + a);
  }
  if (o.submissions < 1 || o.runs < 1) fail("--submissions and --runs must be at least 1");
  return o;
}

std::int64_t unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<core::Seconds>(t.time_since_epoch()).count();
}

/// The example config with its database at `db` (absolute).
std::string write_config(const std::filesystem::path& dir, const std::string& db) {
  std::ifstream in(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const std::string key = "  database: escalation-desk.db";
  const auto at = yaml.find(key);
  if (at == std::string::npos) fail("deploy/desk.example.yaml no longer has '" + key + "'");
  yaml.replace(at, key.size(), "  database: " + db);
  const auto path = dir / "desk.yaml";
  std::ofstream(path) << yaml;
  return path.string();
}

// ---------------------------------------------------------------------------------------------------
// Building the store.

/// The drafts the agents send: about 35% trip a rule of the example policy.
class Drafts {
 public:
  explicit Drafts(std::uint64_t seed) : rng_(seed) {}

  core::Submission next(long n, TimePoint at) {
    core::Submission s;
    s.submitted_at = at;
    s.confidence = 0.93 + 0.06 * unit();
    s.permalink = "https://cms.example.com/drafts/" + std::to_string(n);
    const int pick = static_cast<int>(rng_() % 100);
    const int style = static_cast<int>(n % 4);
    if (pick < 65) {  // clean work in every workflow
      static const char* const kClean[] = {
          "Thanks for the kind words! We are glad the new dashboard helps your team.",
          "Our spring webinar on campaign planning opens for sign-ups next week.",
          "Here is the outline for the piece on onboarding journeys, with the three customer stories.",
          "Meet the team behind the reporting module in this short video."};
      workflow(s, style, n);
      s.output = kClean[n % 4];
      return s;
    }
    if (pick < 75) {  // a paid ad below the workflow's threshold
      workflow(s, 3, n);
      s.confidence = 0.55 + 0.3 * unit();
      s.output = "Our new plan is here: more seats for growing teams.";
    } else if (pick < 82) {
      workflow(s, 0, n);
      s.output = "Good news: the Pro plan is now $49 a month, our lowest price yet.";
    } else if (pick < 86) {
      workflow(s, style % 2 == 0 ? 0 : 3, n);
      s.output = "Results guaranteed within thirty days, or we keep working for free.";
    } else if (pick < 89) {
      workflow(s, 3, n);
      s.output = "The only clinically proven posture coach on the market.";
    } else if (pick < 92) {
      workflow(s, 0, n);
      s.output = "Sorry about the delay: we will waive the fee for this month.";
    } else if (pick < 96) {
      workflow(s, 1, n);
      s.output = "Hi Sam, as discussed, reach me at sam.taylor@example.org or +44 20 7946 0958.";
    } else {
      workflow(s, 2, n);
      s.output = "Outline: why nurture sequences work, citing the 2019 benchmark study.";
      s.citations.front() = {"https://research.example.com/benchmark-2019",
                             std::chrono::year{2019} / std::chrono::March / 1};
    }
    return s;
  }

  double unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
  int percent() { return static_cast<int>(rng_() % 100); }
  std::mt19937_64& rng() { return rng_; }

 private:
  void workflow(core::Submission& s, int which, long n) {
    static const char* const kWorkflows[] = {"community_replies", "email_nurture", "thought_leadership", "paid_ads"};
    static const char* const kChannels[] = {"linkedin", "email", "blog", "linkedin"};
    static const char* const kAgents[] = {"social-agent-", "nurture-agent-", "research-agent-", "ads-agent-"};
    static const int kAgentsPer[] = {3, 2, 1, 3};
    s.workflow = kWorkflows[which];
    s.channel = kChannels[which];
    s.agent = kAgents[which] + std::to_string(1 + n % kAgentsPer[which]);
    if (which == 2)  // a recent source: two months old
      s.citations.push_back(
          {"https://research.example.com/state-of-marketing",
           std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(s.submitted_at) - std::chrono::days{60}}});
  }

  std::mt19937_64 rng_;
};

struct Seeded {
  long submissions = 0, escalations = 0, decided = 0, with_legal = 0, drills = 0;
};

class StoreBuilder {
 public:
  StoreBuilder(storage::Store& store, const core::Policy& policy)
      : store_(store),
        set_(std::make_shared<const handlers::PolicySet>(policy)),
        actions_(handlers::DeskActionDependencies{
            store_, [this](const std::string& d) { return d == set_->digest() ? set_ : nullptr; },
            [this] { return set_; }, nullptr, surfaces_}) {
    store_.save_policy_snapshot(policy.source_digest, policy.source_text);
  }

  Seeded build(long n) {
    const TimePoint start = kNow - std::chrono::weeks{kSpanWeeks};
    const auto step = std::chrono::duration_cast<core::Seconds>(std::chrono::weeks{kSpanWeeks} - 2h) / n;
    constexpr long kBatch = 256;  // what the intake's group commit may gather under load
    TimePoint next_drill = start + std::chrono::days{10} + 15h;
    for (long first = 0; first < n; first += kBatch) {
      std::vector<storage::NewSubmission> batch;
      std::vector<TimePoint> times;
      for (long i = first; i < std::min(n, first + kBatch); ++i) {
        const TimePoint at = start + step * i;
        times.push_back(at);
        batch.push_back(intake_row(drafts_.next(i, at), at));
      }
      const auto outcomes = store_.add_submissions(batch);
      for (std::size_t k = 0; k < outcomes.size(); ++k) {
        if (!outcomes[k].ids) std::rethrow_exception(outcomes[k].error);
        ++seeded_.submissions;
        if (!outcomes[k].ids->escalation_id.empty()) live(outcomes[k].ids->escalation_id, times[k]);
      }
      if (times.back() >= next_drill) {
        drill(next_drill);
        next_drill += std::chrono::days{27};
      }
      if ((first / kBatch) % 40 == 0)
        std::cerr << "  seeded " << seeded_.submissions << " of " << n << " submissions\r" << std::flush;
    }
    std::cerr << "\n";
    return seeded_;
  }

 private:
  /// What the intake commits for a submission (handlers/intake_commit.cpp, to_new_submission).
  storage::NewSubmission intake_row(const core::Submission& s, TimePoint now) {
    const core::Evaluation ev = set_->engine().evaluate(s);
    storage::NewSubmission ns;
    ns.submission = s;
    ns.verdict = ev.verdict;
    ns.hits = ev.hits;
    ns.audit.push_back({"submission.received",
                        "",
                        s.agent,
                        now,
                        {{"workflow", s.workflow}, {"verdict", core::to_string(ev.verdict)}}});
    if (ev.verdict == core::Verdict::escalated) {
      const core::LifecycleContext ctx{set_->policy(), set_->rota(), {}};
      core::Opened opened = core::open_escalation(s, ev, ctx, now);
      ns.escalation = std::move(opened.escalation);
      ns.audit.insert(ns.audit.end(), opened.audit.begin(), opened.audit.end());
      ns.outbox = handlers::effect_rows(handlers::Effect::post_escalation, surfaces_, "", json::object(), now);
    }
    return ns;
  }

  core::Escalation load(const std::string& id) {
    auto e = store_.escalation(id, storage::Hits::skip);
    if (!e) fail("escalation " + id + " vanished");
    return *e;
  }

  /// What the SLA clock does up to `until`: fires each deadline at its due time and commits it with
  /// its announcements (bot/sla_timer.cpp).
  void clock_until(const std::string& id, TimePoint until) {
    for (;;) {
      core::Escalation e = load(id);
      const auto due = core::next_deadline(e);
      if (!due || *due > until) return;
      const core::LifecycleContext ctx{set_->policy(), set_->rota(), {}};
      const core::Fired fired = core::fire_due(e, ctx, *due);
      if (fired.reminders.empty()) return;
      if (!store_.update_escalation(e, fired.audit, bot::reminder_outbox(fired, e, surfaces_, *due)))
        fail("the clock lost a race on " + id);
    }
  }

  void triage(const std::string& id, TimePoint at) {
    clock_until(id, at);
    const auto e = load(id);
    const auto r = actions_.begin(id, e.generation, core::Macro::accept, e.owner_person, at);
    if (r.outcome.status != macros::MacroOutcome::Status::done) fail(id + ": triage refused: " + r.outcome.message);
  }

  void decide(const std::string& id, core::Macro macro, TimePoint at) {
    clock_until(id, at);
    const auto e = load(id);
    static const char* const kWhy[] = {
        "Checked the claim against the approved sheet; the wording is what we can stand behind.",
        "The price quoted is not on the published rate card, so this cannot go out as written.",
        "Personal data in a semi-private draft: the customer asked for this, and it stays in the thread.",
        "The source is older than a year; the newer survey says the same, so the claim stands with it."};
    const macros::MacroRequest request{macro, e.owner_person, kWhy[drafts_.rng()() % 4], ""};
    const auto r = actions_.decide(id, e.generation, request, at);
    if (r.outcome.status != macros::MacroOutcome::Status::done) fail(id + ": decision refused: " + r.outcome.message);
  }

  core::Macro verdict() { return drafts_.percent() < 62 ? core::Macro::accept : core::Macro::reject; }

  /// One escalation's life from its opening at `at`, in one of several common ways.
  void live(const std::string& id, TimePoint at) {
    ++seeded_.escalations;
    const auto minutes = [&](int lo, int hi) {
      return at + std::chrono::seconds{60 * lo + static_cast<int>(drafts_.rng()() % (60 * (hi - lo) + 1))};
    };
    const int pick = drafts_.percent();
    if (at > kNow - 3h || pick < 3) {  // not decided (yet): the clocks run out as far as now allows
      clock_until(id, std::min(kNow, at + 2h));
      return;
    }
    ++seeded_.decided;
    if (pick < 48) {  // triaged within the SLA, decided within it
      triage(id, minutes(1, 4));
      decide(id, verdict(), minutes(6, 28));
    } else if (pick < 61) {  // triaged late (a triage breach), decided in time
      triage(id, minutes(6, 12));
      decide(id, verdict(), minutes(14, 29));
    } else if (pick < 70) {  // decided at once without a triage
      decide(id, verdict(), minutes(2, 4));
    } else if (pick < 85) {  // sent to legal (or already legal's), decided there
      ++seeded_.with_legal;
      if (!load(id).with_legal()) decide(id, core::Macro::escalate_to_legal, minutes(2, 4));
      decide(id, verdict(), minutes(8, 45));
    } else if (pick < 93) {  // triaged, then the decision deadline passes
      triage(id, minutes(1, 4));
      decide(id, verdict(), minutes(32, 90));
    } else {  // nobody: both deadlines pass
      decide(id, verdict(), minutes(35, 120));
    }
  }

  void drill(TimePoint at) {
    static const char* const kScenarios[] = {"pricing_claim", "data_leak", "tos_breach"};
    const auto r = actions_.start_drill({kScenarios[seeded_.drills % 3], "", "dana"}, at);
    ++seeded_.drills;
    if (r.status != handlers::DrillStartResult::Status::started) return;  // missed: scored 0 at once
    if (seeded_.drills % 4 == 0) {                                        // one in four is left to run out
      clock_until(r.escalation_id, at + 2h);
      return;
    }
    triage(r.escalation_id, at + 2min);
    if (!load(r.escalation_id).with_legal()) decide(r.escalation_id, core::Macro::escalate_to_legal, at + 4min);
    decide(r.escalation_id, core::Macro::reject, at + 12min);
  }

  storage::Store& store_;
  handlers::SurfaceNames surfaces_{"slack"};
  std::shared_ptr<const handlers::PolicySet> set_;
  handlers::DeskActions actions_;
  Drafts drafts_{20261203};
  Seeded seeded_;
};

// ---------------------------------------------------------------------------------------------------
// What the store holds, counted with SQL alone (so a kept store is described the same way).

struct StoreFacts {
  std::int64_t submissions = 0, escalations = 0, drills = 0, audit_rows = 0, hits = 0, outbox_rows = 0;
  std::int64_t opened_in_weeks = 0, triage_breaches_in_weeks = 0, decision_breaches_in_weeks = 0;
  std::uintmax_t bytes = 0;
};

StoreFacts facts_of(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  const auto count = [&](const std::string& sql, std::int64_t bound = 0) {
    SQLite::Statement q(db, sql);
    if (q.getBindParameterCount() > 0) q.bind(1, bound);
    q.executeStep();
    return q.getColumn(0).getInt64();
  };
  StoreFacts f;
  f.submissions = count("SELECT count(*) FROM submissions");
  f.escalations = count("SELECT count(*) FROM escalations");
  f.drills = count("SELECT count(*) FROM drills");
  f.audit_rows = count("SELECT count(*) FROM audit");
  f.hits = count("SELECT count(*) FROM trigger_hits");
  f.outbox_rows = count("SELECT count(*) FROM outbox");
  const std::int64_t first = unix_seconds(core::iso_week_start(kNow) - std::chrono::weeks{kWeeks - 1});
  f.opened_in_weeks = count("SELECT count(*) FROM escalations WHERE drill = 0 AND opened_at >= ?", first);
  const std::string breaches =
      "SELECT count(*) FROM audit a JOIN escalations e ON e.id = a.escalation_id AND e.drill = 0 "
      "AND e.opened_at >= ? WHERE a.kind = ";
  f.triage_breaches_in_weeks = count(breaches + "'sla.triage_breached'", first);
  f.decision_breaches_in_weeks = count(breaches + "'sla.decision_breached'", first);
  for (const char* tail : {"", "-wal"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(db_path + tail, ec);
    if (!ec) f.bytes += size;
  }
  return f;
}

// ---------------------------------------------------------------------------------------------------
// Running the shipped binary.

struct Run {
  double wall_s = 0, cpu_s = 0;
  long max_rss_kb = 0;
  std::string out;
};

double cpu_of(const rusage& r) {
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

/// Runs `args` with the bench's environment, its stdout collected, its stderr in `err_path`.
Run run_child(const std::vector<std::string>& args, const std::string& err_path) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  rusage before{};
  ::getrusage(RUSAGE_CHILDREN, &before);
  const auto started = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) fail("cannot start " + args[0]);
  Run r;
  char buf[65536];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  rusage own{};
  ::wait4(pid, &status, 0, &own);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  rusage after{};
  ::getrusage(RUSAGE_CHILDREN, &after);
  r.cpu_s = cpu_of(after) - cpu_of(before);
  r.max_rss_kb = own.ru_maxrss;  // this child's own peak (RUSAGE_CHILDREN keeps the largest so far)
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream err(err_path);
    std::stringstream text;
    text << err.rdbuf();
    fail(args[0] + " " + args[1] + " failed (status " + std::to_string(status) + "): " + text.str());
  }
  return r;
}

/// The JSON report must be the real work: 52 weeks, every escalation opened in them, every breach.
void check_json(const std::string& out, const StoreFacts& facts) {
  const json report = json::parse(out);
  if (report["weeks"].size() != static_cast<std::size_t>(kWeeks))
    fail("the report has " + std::to_string(report["weeks"].size()) + " weeks");
  std::int64_t opened = 0, triage = 0, decision = 0;
  for (const auto& w : report["weeks"]) {
    opened += w["opened"].get<std::int64_t>();
    triage += w["triage_breaches"].get<std::int64_t>();
    decision += w["decision_breaches"].get<std::int64_t>();
  }
  if (opened != facts.opened_in_weeks || triage != facts.triage_breaches_in_weeks ||
      decision != facts.decision_breaches_in_weeks)
    fail("the report counts " + std::to_string(opened) + " opened, " + std::to_string(triage) + "/" +
         std::to_string(decision) + " breaches; the store holds " + std::to_string(facts.opened_in_weeks) + ", " +
         std::to_string(facts.triage_breaches_in_weeks) + "/" + std::to_string(facts.decision_breaches_in_weeks));
  if (report["escalations_by_rule"].size() < 5) fail("the report names fewer than five rules");
}

struct Summary {
  double p50 = 0, max = 0, cpu_p50 = 0, cpu_max = 0;
  long rss_max_kb = 0;
};

Summary summarise(const std::vector<Run>& runs) {
  std::vector<double> wall, cpu;
  Summary s;
  for (const auto& r : runs) {
    wall.push_back(r.wall_s);
    cpu.push_back(r.cpu_s);
    s.rss_max_kb = std::max(s.rss_max_kb, r.max_rss_kb);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  s.p50 = wall[wall.size() / 2];
  s.max = wall.back();
  s.cpu_p50 = cpu[cpu.size() / 2];
  s.cpu_max = cpu.back();
  return s;
}

int main_(int argc, char** argv) {
  const Options o = parse(argc, argv);
  testing::TempDir dir("report-bench");
  const std::string db = o.db.empty() ? dir.file("escalation-desk.db") : std::filesystem::absolute(o.db).string();
  const std::string config = write_config(dir.path(), db);
  if (!std::filesystem::exists(db)) {
    const core::Policy policy = bot::load_config(config);
    const std::string building = db + ".building";
    for (const char* tail : {"", "-wal", "-shm"}) std::filesystem::remove(building + tail);
    std::cerr << "building a store of " << o.submissions << " submissions in " << db << "\n";
    const auto started = std::chrono::steady_clock::now();
    {
      auto store = storage::SqliteStore::open(building);
      StoreBuilder builder(*store, policy);
      const Seeded s = builder.build(o.submissions);
      std::cerr << "built: " << s.escalations << " escalations (" << s.decided << " decided, " << s.with_legal
                << " with legal), " << s.drills << " drills, in "
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n";
    }  // closed: the WAL is checkpointed into the file
    std::filesystem::rename(building, db);
  } else {
    std::cerr << "reusing the store in " << db << "\n";
  }
  const StoreFacts facts = facts_of(db);
  // Each fire drill's draft is a submission too.
  if (facts.submissions - facts.drills != o.submissions)
    fail(db + " holds " + std::to_string(facts.submissions - facts.drills) + " agents' submissions, not " +
         std::to_string(o.submissions));

  std::vector<Run> json_runs, text_runs;
  const std::vector<std::string> base = {o.binary, "report", "--config", config, "--weeks", std::to_string(kWeeks),
                                         "--at",   kAt};
  for (int i = 0; i < o.runs; ++i) {
    auto args = base;
    args.insert(args.end(), {"--format", "json"});
    json_runs.push_back(run_child(args, dir.file("stderr.txt")));
    check_json(json_runs.back().out, facts);
    text_runs.push_back(run_child(base, dir.file("stderr.txt")));
    if (text_runs.back().out.find("Escalations by rule:") == std::string::npos) fail("the text report is incomplete");
  }
  const Summary js = summarise(json_runs), ts = summarise(text_runs);
  std::printf(
      "store: %lld submissions over %d weeks, %lld escalations (%lld opened in the %d weeks), %lld drills,\n"
      "       %lld audit rows, %lld trigger hits, %lld outbox rows; %.1f MiB on disk\n",
      static_cast<long long>(facts.submissions), kSpanWeeks, static_cast<long long>(facts.escalations),
      static_cast<long long>(facts.opened_in_weeks), kWeeks, static_cast<long long>(facts.drills),
      static_cast<long long>(facts.audit_rows), static_cast<long long>(facts.hits),
      static_cast<long long>(facts.outbox_rows), static_cast<double>(facts.bytes) / 1048576.0);
  std::printf("report --weeks %d, %d runs each    wall p50 / max     CPU p50 / max      peak RSS\n", kWeeks, o.runs);
  const std::pair<const char*, Summary> rows[] = {{"--format json", js}, {"text         ", ts}};
  for (const auto& [name, s] : rows)
    std::printf("  %s                   %6.3f / %6.3f s   %6.3f / %6.3f s   %6.1f MiB\n", name, s.p50, s.max, s.cpu_p50,
                s.cpu_max, static_cast<double>(s.rss_max_kb) / 1024.0);
  if (!o.json_out.empty()) {
    const auto figures = [](const Summary& s) {
      return json{{"wall_p50_s", s.p50},
                  {"wall_max_s", s.max},
                  {"cpu_p50_s", s.cpu_p50},
                  {"cpu_max_s", s.cpu_max},
                  {"peak_rss_kib", s.rss_max_kb}};
    };
    std::ofstream(o.json_out) << json{{"submissions", facts.submissions},
                                      {"escalations", facts.escalations},
                                      {"opened_in_weeks", facts.opened_in_weeks},
                                      {"audit_rows", facts.audit_rows},
                                      {"db_bytes", facts.bytes},
                                      {"runs", o.runs},
                                      {"json", figures(js)},
                                      {"text", figures(ts)}}
                                     .dump(2)
                              << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace desk::report_bench

int main(int argc, char** argv) {
  try {
    return desk::report_bench::main_(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "report_bench: " << e.what() << "\n";
    return 1;
  }
}
