// Intake API load driver. Runs the real desk side in this process (IntakeServer, IntakeHandler,
// SqliteStore on a fresh database file: WAL, synchronous=FULL, the example policy loaded from
// deploy/desk.example.yaml) and drives it over N keep-alive HTTP/1.1 connections on 127.0.0.1, each
// sending its next submission as soon as the previous one is answered (closed loop: the most the desk
// can take), or, with --rate R, at R submissions per second in all (open loop: the latency an agent
// sees at that load). Every answer comes after its commit, so the throughput is of durable
// submissions. It reports, one figure a line:
//   - submissions per second and client-measured latency (request write to full response) p50/p99/max;
//     with --rate also from each request's scheduled time (a late send counts against the desk);
//   - answers by status (anything but 200/201 fails the run);
//   - desk-side CPU, and how late a 1 ms timer on the desk's I/O thread fired (what a Slack ack
//     sharing that thread would wait);
//   - durability: the database is reopened and every escalation id answered must be in it;
//   - first, how long an fsync of 4 KiB takes in --db-dir: on a shared disk it moves the figures most.
// Usage: intake_bench [--submissions N] [--connections N] [--escalating-share F] [--rate R]
//                     [--commit committer|inline] [--max-batch N] [--db-dir DIR] [--config FILE]
//   --commit inline answers on the I/O thread, committing each submission alone (no committer).
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/intake/intake_load.hpp"
#include "bot/config/config_loader.hpp"
#include "bot/intake_committer.hpp"
#include "bot/intake_server.hpp"
#include "storage/sqlite_store.hpp"

#ifndef DESK_SOURCE_DIR
#define DESK_SOURCE_DIR "."
#endif

namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace desk;

using bench::kIntakeToken;
using bench::percentile_ms;

struct Options {
  std::size_t submissions = 20000;
  std::size_t connections = 32;
  double escalating_share = 0.5;
  double rate = 0;  // submissions per second in all; 0: closed loop
  bool committer = true;
  std::size_t max_batch = 64;
  std::string db_dir = std::filesystem::temp_directory_path().string();
  std::string config = std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml";
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "intake_bench: " << problem << "\nusage: intake_bench [--submissions N] [--connections N] "
            << "[--escalating-share F] [--rate R] [--commit committer|inline] [--max-batch N] [--db-dir DIR] "
               "[--config FILE]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage("missing value after " + flag);
    const std::string value = argv[i + 1];
    try {
      if (flag == "--submissions")
        o.submissions = std::stoul(value);
      else if (flag == "--connections")
        o.connections = std::stoul(value);
      else if (flag == "--escalating-share")
        o.escalating_share = std::stod(value);
      else if (flag == "--rate")
        o.rate = std::stod(value);
      else if (flag == "--commit" && (value == "committer" || value == "inline"))
        o.committer = value == "committer";
      else if (flag == "--max-batch")
        o.max_batch = std::stoul(value);
      else if (flag == "--db-dir")
        o.db_dir = value;
      else if (flag == "--config")
        o.config = value;
      else
        usage("unknown flag or value: " + flag + " " + value);
    } catch (const std::logic_error&) { usage("not a number: " + flag + " " + value); }
  }
  if (o.submissions == 0 || o.connections == 0 || o.escalating_share < 0 || o.escalating_share > 1 || o.rate < 0)
    usage("--submissions and --connections must be positive, --escalating-share between 0 and 1, --rate not negative");
  return o;
}

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

/// Seconds each of `n` appends of 4 KiB + fsync takes in `dir`: the floor under every commit.
std::vector<double> fsync_times(const std::string& dir, int n) {
  const std::string path = (std::filesystem::path(dir) / ("intake-bench-fsync-" + std::to_string(getpid()))).string();
  std::vector<double> out;
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) return out;
  const std::string page(4096, 'x');
  for (int i = 0; i < n; ++i) {
    if (write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size())) break;
    const auto started = Clock::now();
    fsync(fd);
    out.push_back(std::chrono::duration<double>(Clock::now() - started).count());
  }
  close(fd);
  unlink(path.c_str());
  return out;
}

/// How late a 1 ms timer on the desk's I/O thread fires: what a Slack ack on that thread would wait.
struct StallProbe {
  std::vector<double> lateness;  // seconds
  std::atomic<bool> stop{false};

  net::awaitable<void> run() {
    net::steady_timer timer(co_await net::this_coro::executor);
    while (!stop.load()) {
      const auto due = Clock::now() + std::chrono::milliseconds(1);
      timer.expires_at(due);
      co_await timer.async_wait(net::use_awaitable);
      lateness.push_back(std::chrono::duration<double>(Clock::now() - due).count());
    }
  }
};

void line(const char* name, double value) { std::printf("%s %.6g\n", name, value); }
void line(const char* name, const std::string& value) { std::printf("%s %s\n", name, value.c_str()); }

/// Reopens the database and checks that everything answered is there.
bool verify(const std::string& path, const bench::IntakeResults& r) {
  std::size_t found = 0;
  bool chain_ok = false;
  long long submissions = 0, escalations = 0;
  {
    auto store = storage::SqliteStore::open(path);
    for (const auto& id : r.escalation_ids) found += store->escalation(id) ? 1 : 0;
    chain_ok = store->verify_audit().ok;
  }
  {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    submissions = db.execAndGet("SELECT count(*) FROM submissions").getInt64();
    escalations = db.execAndGet("SELECT count(*) FROM escalations").getInt64();
  }
  const std::set<std::string> distinct(r.escalation_ids.begin(), r.escalation_ids.end());
  line("durable_escalation_ids_answered", static_cast<double>(r.escalation_ids.size()));
  line("durable_escalation_ids_distinct", static_cast<double>(distinct.size()));
  line("durable_escalation_ids_found", static_cast<double>(found));
  line("durable_escalation_rows", static_cast<double>(escalations));
  line("durable_submission_rows", static_cast<double>(submissions));
  line("durable_audit_chain_ok", chain_ok ? 1 : 0);
  return found == r.escalation_ids.size() && distinct.size() == r.escalation_ids.size() &&
         escalations == static_cast<long long>(r.created) && submissions == static_cast<long long>(r.ok + r.created) &&
         chain_ok;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const core::Policy policy = [&] {
    try {
      return bot::load_config(o.config);
    } catch (const std::exception& e) {
      std::cerr << "intake_bench: " << e.what() << "\n";
      std::exit(2);
    }
  }();
  const std::string path =
      (std::filesystem::path(o.db_dir) / ("intake-bench-" + std::to_string(getpid()) + ".db")).string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  const auto drafts = bench::make_drafts(o.submissions, o.escalating_share);
  const auto fsyncs = fsync_times(o.db_dir, 200);

  bench::IntakeResults results;
  double elapsed = 0, desk_cpu = 0, io_cpu = 0;
  bot::IntakeCommitterStats batches;
  std::vector<double> stalls;
  {
    const core::PolicyEngine engine(policy);
    const core::Rota rota(policy.roles, policy.people);
    auto store = storage::SqliteStore::open(path);
    store->save_policy_snapshot(policy.source_digest, policy.source_text);  // as run_desk_app does
    core::Metrics metrics;
    core::SystemClock clock;
    handlers::IntakeHandler handler(
        {policy, engine, rota, *store, metrics, {kIntakeToken}, [] { return handlers::DeskHealth{}; }, {"slack"}});
    std::unique_ptr<bot::IntakeCommitter> committer;
    if (o.committer)
      committer = std::make_unique<bot::IntakeCommitter>(handler, clock, bot::IntakeCommitterOptions{o.max_batch});

    net::io_context desk_io(1);
    bot::IntakeServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.max_connections = std::max<std::size_t>(512, o.connections);
    std::unique_ptr<bot::IntakeServer> server;
    if (committer)
      server = std::make_unique<bot::IntakeServer>(desk_io.get_executor(), server_options,
                                                   [&](handlers::HttpRequest r, bot::IntakeServer::Reply reply) {
                                                     committer->submit(std::move(r), std::move(reply));
                                                   });
    else
      server = std::make_unique<bot::IntakeServer>(
          desk_io.get_executor(), server_options,
          [&](const handlers::HttpRequest& r) { return handler.handle(r, clock.now()); });
    const auto port = server->bind();
    StallProbe probe;
    net::co_spawn(desk_io, server->run(), net::detached);
    net::co_spawn(desk_io, probe.run(), net::detached);
    std::thread desk_thread([&] { desk_io.run(); });
    clockid_t desk_clock{};
    pthread_getcpuclockid(desk_thread.native_handle(), &desk_clock);

    const double cpu_before = process_cpu_seconds(), io_before = cpu_seconds(desk_clock);
    const auto started = Clock::now();
    {
      bench::IntakeLoadOptions load;
      load.connections = o.connections;
      load.rate = o.rate;
      load.submissions = drafts.size();
      load.key_prefix = "bench-" + std::to_string(getpid());
      bench::IntakeLoad agents(port, drafts, load);
      agents.wait();
      results = agents.results();
    }
    elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    io_cpu = cpu_seconds(desk_clock) - io_before;
    desk_cpu = process_cpu_seconds() - cpu_before - results.cpu;

    if (committer) {
      committer->stop();
      batches = committer->stats();
    }
    net::post(desk_io, [&] {
      server->stop();
      probe.stop = true;
    });
    desk_thread.join();
    stalls = std::move(probe.lateness);
  }

  const std::size_t answered = results.latencies.size();
  line("mode", o.committer ? "committer" : "inline");
  line("connections", static_cast<double>(o.connections));
  line("submissions", static_cast<double>(o.submissions));
  line("escalating_share_asked", o.escalating_share);
  line("disk_fsync_p50_ms", percentile_ms(fsyncs, 0.50));
  line("disk_fsync_p99_ms", percentile_ms(fsyncs, 0.99));
  line("elapsed_s", elapsed);
  line("submissions_per_s", static_cast<double>(answered) / elapsed);
  line("latency_p50_ms", percentile_ms(results.latencies, 0.50));
  line("latency_p99_ms", percentile_ms(results.latencies, 0.99));
  line("latency_max_ms", percentile_ms(results.latencies, 1.0));
  if (o.rate > 0) {
    line("rate_asked_per_s", o.rate);
    line("latency_from_schedule_p50_ms", percentile_ms(results.from_schedule, 0.50));
    line("latency_from_schedule_p99_ms", percentile_ms(results.from_schedule, 0.99));
    line("latency_from_schedule_max_ms", percentile_ms(results.from_schedule, 1.0));
  }
  line("status_200", static_cast<double>(results.ok));
  line("status_201", static_cast<double>(results.created));
  line("status_other", static_cast<double>(results.other));
  if (!results.first_other.empty()) line("first_other", results.first_other.substr(0, 300));
  line("expected_201", static_cast<double>(results.escalate_expected));
  line("desk_cpu_s", desk_cpu);
  line("desk_cpu_us_per_submission", desk_cpu / static_cast<double>(std::max<std::size_t>(1, answered)) * 1e6);
  line("desk_io_thread_cpu_s", io_cpu);
  line("client_cpu_s", results.cpu);
  line("io_thread_timer_late_p99_ms", percentile_ms(stalls, 0.99));
  line("io_thread_timer_late_max_ms", percentile_ms(stalls, 1.0));
  if (o.committer) {
    line("commit_batches", static_cast<double>(batches.batches));
    line("commit_batch_mean", batches.batches ? static_cast<double>(batches.submissions) / batches.batches : 0);
    line("commit_batch_max", static_cast<double>(batches.largest_batch));
  }
  const bool durable = verify(path, results);
  const bool pass = durable && results.other == 0 && answered == o.submissions;
  line("result", pass ? "PASS" : "FAIL");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return pass ? 0 : 1;
}
