// Benchmark of the shipped binary: `escalation-desk run` (its real config, SQLite store in a temp
// dir, handlers, intake server and clocks) as a child process against the local Slack emulator,
// which runs in this process together with the load drivers. Each phase starts a fresh desk and
// measures, counting acks only:
//   - start to first ack: from spawning the desk to the ack of a /rota that was waiting for it;
//   - acks per second and ack round trip p50/p99 (emulator: envelope written -> ack read) with N
//     /rota commands in flight (closed loop; the desk answers each in its ack);
//   - desk CPU per envelope (utime + stime from /proc/<pid>/stat over the measured loop), peak RSS
//     (VmHWM) and how long the desk and this process were runnable but waiting for a CPU
//     (/proc/<pid>/task/*/schedstat): on a busy machine the latency tail follows it.
// Phase "idle" has no other work; phase "intake" runs agents submitting drafts to the desk's
// intake API at --intake-rate per second from the spawn to the end (half of them escalate, so the
// desk also posts to the emulator and runs each escalation's SLA clock). When the agents stop, it
// waits for every escalation to reach the channel and says how long the outbox took to catch up.
// Usage: desk_bench [--envelopes N] [--in-flight N] [--intake-rate N] [--quick] [--json FILE]
//                   [--desk PATH] [--keep-log yes]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/desk/proc_stats.hpp"
#include "bench/intake/intake_load.hpp"
#include "tests/emulator/slack_emulator.hpp"
#include "tests/support/desk_child.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef DESK_BINARY
#error "DESK_BINARY must name the escalation-desk executable"
#endif
#ifndef DESK_SOURCE_DIR
#error "DESK_SOURCE_DIR must name the source tree (for deploy/desk.example.yaml)"
#endif

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace emu = desk::emulator;
using desk::bench::percentile_ms;

struct Options {
  int envelopes = 50000;
  int in_flight = 64;
  int warm_up = 2000;
  double intake_rate = 1000;
  std::chrono::milliseconds intake_lead{1000};  // intake load before the measured loop starts
  std::string desk = DESK_BINARY;
  std::string json_path;
  bool keep_log = false;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "desk_bench: " << problem
            << "\nusage: desk_bench [--envelopes N] [--in-flight N] [--intake-rate N] [--quick] [--json FILE]"
               " [--desk PATH] [--keep-log yes]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--quick") {
      o.envelopes = 3000;
      o.warm_up = 300;
      o.intake_lead = 300ms;
      continue;
    }
    if (i + 1 >= argc) usage("missing value after " + flag);
    const std::string value = argv[++i];
    try {
      if (flag == "--envelopes")
        o.envelopes = std::stoi(value);
      else if (flag == "--in-flight")
        o.in_flight = std::stoi(value);
      else if (flag == "--intake-rate")
        o.intake_rate = std::stod(value);
      else if (flag == "--json")
        o.json_path = value;
      else if (flag == "--desk")
        o.desk = value;
      else if (flag == "--keep-log")
        o.keep_log = value == "yes";
      else
        usage("unknown flag: " + flag);
    } catch (const std::logic_error&) { usage("not a number: " + flag + " " + value); }
  }
  if (o.envelopes < 1 || o.in_flight < 1 || o.intake_rate < 0)
    usage("--envelopes and --in-flight must be positive, --intake-rate not negative");
  return o;
}

struct PhaseResult {
  std::string name;
  double intake_rate_asked = 0;
  std::size_t acks = 0;           // acks of the measured loop
  std::size_t answered_acks = 0;  // of those, acks carrying the /rota answer
  double seconds = 0;
  double p50_us = 0, p99_us = 0, max_us = 0;
  double desk_cpu_s = 0;
  double bench_cpu_s = 0;  // this process (emulator and load drivers) over the same loop
  double peak_rss_mib = 0;
  double first_ack_ms = 0;
  double desk_cpu_wait_ms = 0, bench_cpu_wait_ms = 0;
  std::size_t intake_answered = 0, intake_escalated = 0, intake_failed = 0;
  double intake_per_s = 0, intake_p50_ms = 0, intake_p99_ms = 0;
  std::string intake_first_failure;
  std::size_t posted_when_load_ended = 0;  // chat.postMessage calls the emulator had seen when the agents stopped
  double posts_caught_up_ms = 0;           // from then until every escalation was posted (no agents: 0)
  int exit_code = -1;
  std::string problem;  // why the phase could not be measured; empty when it was

  double acks_per_s() const { return seconds > 0 ? static_cast<double>(acks) / seconds : 0; }
  double cpu_us_per_envelope() const { return acks ? desk_cpu_s * 1e6 / static_cast<double>(acks) : 0; }
};

/// One fresh desk, measured as the header says. `intake_rate` 0: no intake load.
PhaseResult run_phase(const Options& o, const emu::TestPki& pki, const std::string& name, double intake_rate) {
  PhaseResult r;
  r.name = name;
  r.intake_rate_asked = intake_rate;
  const desk::testing::TempDir dir("bench");
  const std::uint16_t intake_port = desk::bench::free_loopback_port();
  const auto config = desk::testing::write_example_config(
      DESK_SOURCE_DIR, dir.path(),
      {{"intake_listen: 127.0.0.1:0", "intake_listen: 127.0.0.1:" + std::to_string(intake_port)},
       // One token floods the desk on purpose here: its per-token limits would refuse most of it.
       {"requests_per_minute: 600", "requests_per_minute: 0"},
       {"open_escalations_per_token: 200", "open_escalations_per_token: 0"}});

  emu::EmulatorOptions eo;
  eo.redeliver_after = 60s;  // no redeliveries muddying the figures
  emu::SlackEmulator emulator(pki, eo);
  const std::map<std::string, std::string> env = {{"SLACK_API_URL", emulator.api_url()},
                                                  {"SSL_CERT_FILE", pki.trusted().ca_cert},
                                                  {"SLACK_APP_TOKEN", eo.workspace.app_token},
                                                  {"SLACK_BOT_TOKEN", eo.workspace.bot_token},
                                                  {"DESK_INTAKE_TOKENS", desk::bench::kIntakeToken},
                                                  {"DESK_AUDIT_KEY", "desk-bench-audit-key-0123456789abcdef"},
                                                  {"DESK_LOG_LEVEL", "info"}};

  const auto first = emulator.send_slash_command("/rota", "");  // waits in the emulator for the desk
  const auto spawned = Clock::now();
  desk::testing::DeskProcess desk(env, {o.desk, "run", "--config", config});
  std::optional<desk::bench::IntakeLoad> agents;
  if (intake_rate > 0) {
    desk::bench::IntakeLoadOptions load;
    load.rate = intake_rate;
    load.key_prefix = "desk-bench-" + std::to_string(getpid()) + "-" + name;
    load.connect_for = 20s;
    agents.emplace(intake_port, desk::bench::make_drafts(2000, 0.5), load);
  }
  const auto deadline = Clock::now() + 20s;
  while (!emulator.acked(first) && Clock::now() < deadline) std::this_thread::sleep_for(200us);
  if (!emulator.acked(first)) {
    r.problem = "the desk never acked its first envelope:\n" + desk.output_so_far();
    return r;
  }
  r.first_ack_ms = std::chrono::duration<double, std::milli>(emulator.acks().front().received_at - spawned).count();

  using Load = emu::SlackEmulator::LoadEnvelope;
  emulator.start_load(o.in_flight, o.warm_up, Load::rota_command);
  emulator.wait_load_acked(o.warm_up, 60s);
  if (agents) std::this_thread::sleep_until(spawned + o.intake_lead);
  const auto acks_before = emulator.acks().size();
  const double cpu_before = desk::bench::cpu_seconds_of(desk.pid());
  const double self_cpu_before = desk::bench::cpu_seconds_of(getpid());
  const auto desk_sched_before = desk::bench::sched_times_of(desk.pid());
  const auto self_sched_before = desk::bench::sched_times_of(getpid());
  const auto t0 = Clock::now();
  emulator.start_load(o.in_flight, o.envelopes, Load::rota_command);
  const bool finished = emulator.wait_load_acked(o.warm_up + o.envelopes, 300s);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.desk_cpu_s = desk::bench::cpu_seconds_of(desk.pid()) - cpu_before;
  r.bench_cpu_s = desk::bench::cpu_seconds_of(getpid()) - self_cpu_before;
  const auto desk_sched_after = desk::bench::sched_times_of(desk.pid());
  const auto self_sched_after = desk::bench::sched_times_of(getpid());
  r.desk_cpu_wait_ms = static_cast<double>(desk_sched_after.waiting_ns - desk_sched_before.waiting_ns) / 1e6;
  r.bench_cpu_wait_ms = static_cast<double>(self_sched_after.waiting_ns - self_sched_before.waiting_ns) / 1e6;
  r.peak_rss_mib = static_cast<double>(desk::bench::status_kb_of(desk.pid(), "VmHWM")) / 1024.0;
  if (!finished) r.problem = "the measured load did not finish within 300 s";

  if (agents) {
    agents->stop();
    const auto& in = agents->results();
    r.intake_answered = in.answered();
    r.intake_escalated = in.created;
    r.intake_failed = in.other;
    r.intake_first_failure = in.first_other;
    r.intake_per_s = in.elapsed > 0 ? static_cast<double>(in.answered()) / in.elapsed : 0;
    r.intake_p50_ms = percentile_ms(in.latencies, 0.50);
    r.intake_p99_ms = percentile_ms(in.latencies, 0.99);
    // Does the outbox keep up? Every escalation must reach the channel; say how far behind it was.
    const auto load_ended = Clock::now();
    r.posted_when_load_ended = emulator.count_calls("chat.postMessage");
    while (emulator.count_calls("chat.postMessage") < in.created && Clock::now() < load_ended + 120s)
      std::this_thread::sleep_for(1ms);
    r.posts_caught_up_ms = std::chrono::duration<double, std::milli>(Clock::now() - load_ended).count();
    if (emulator.count_calls("chat.postMessage") < in.created)
      r.problem = "escalations were still not posted to Slack 120 s after the load ended";
  }

  const auto acks = emulator.acks();
  std::vector<double> latencies;
  for (std::size_t i = acks_before; i < acks.size(); ++i) {
    latencies.push_back(static_cast<double>(acks[i].latency.count()) / 1e6);
    if (acks[i].response_type == "ephemeral") ++r.answered_acks;
  }
  r.acks = latencies.size();
  r.p50_us = percentile_ms(latencies, 0.50) * 1e3;
  r.p99_us = percentile_ms(latencies, 0.99) * 1e3;
  r.max_us = percentile_ms(latencies, 1.0) * 1e3;

  desk.signal(SIGTERM);
  const auto exit = desk.wait(20s);
  r.exit_code = exit.exit_code;
  if (o.keep_log) std::ofstream(name + ".desk.log") << exit.output;
  return r;
}

void print_table(const std::vector<PhaseResult>& phases, const Options& o) {
  std::printf("desk_bench: %s run, %d /rota envelopes measured per phase, %d in flight\n\n", o.desk.c_str(),
              o.envelopes, o.in_flight);
  std::printf("%-34s", "");
  for (const auto& p : phases) {
    const std::string head =
        p.intake_rate_asked > 0 ? p.name + " " + std::to_string(static_cast<int>(p.intake_rate_asked)) + "/s" : p.name;
    std::printf("%18s", head.c_str());
  }
  std::printf("\n");
  auto row = [&](const char* label, const char* format, auto value) {
    std::printf("%-34s", label);
    for (const auto& p : phases) {
      char cell[64];
      std::snprintf(cell, sizeof cell, format, value(p));
      std::printf("%18s", cell);
    }
    std::printf("\n");
  };
  row("acks measured", "%zu", [](const PhaseResult& p) { return p.acks; });
  row("  of which carried the answer", "%zu", [](const PhaseResult& p) { return p.answered_acks; });
  row("acks per second", "%.0f", [](const PhaseResult& p) { return p.acks_per_s(); });
  row("ack round trip p50 (us)", "%.0f", [](const PhaseResult& p) { return p.p50_us; });
  row("ack round trip p99 (us)", "%.0f", [](const PhaseResult& p) { return p.p99_us; });
  row("ack round trip max (us)", "%.0f", [](const PhaseResult& p) { return p.max_us; });
  row("desk CPU per envelope (us)", "%.2f", [](const PhaseResult& p) { return p.cpu_us_per_envelope(); });
  row("desk CPU in the loop (s)", "%.2f", [](const PhaseResult& p) { return p.desk_cpu_s; });
  row("bench CPU in the loop (s)", "%.2f", [](const PhaseResult& p) { return p.bench_cpu_s; });
  row("measured loop (s)", "%.2f", [](const PhaseResult& p) { return p.seconds; });
  row("desk peak RSS (MiB)", "%.1f", [](const PhaseResult& p) { return p.peak_rss_mib; });
  row("start to first ack (ms)", "%.1f", [](const PhaseResult& p) { return p.first_ack_ms; });
  row("desk waited for a CPU (ms)", "%.1f", [](const PhaseResult& p) { return p.desk_cpu_wait_ms; });
  row("bench waited for a CPU (ms)", "%.1f", [](const PhaseResult& p) { return p.bench_cpu_wait_ms; });
  row("intake answered", "%zu", [](const PhaseResult& p) { return p.intake_answered; });
  row("  of which escalated (201)", "%zu", [](const PhaseResult& p) { return p.intake_escalated; });
  row("  failed", "%zu", [](const PhaseResult& p) { return p.intake_failed; });
  row("intake submissions per second", "%.0f", [](const PhaseResult& p) { return p.intake_per_s; });
  row("intake latency p50 (ms)", "%.2f", [](const PhaseResult& p) { return p.intake_p50_ms; });
  row("intake latency p99 (ms)", "%.2f", [](const PhaseResult& p) { return p.intake_p99_ms; });
  row("posted to Slack when load ended", "%zu", [](const PhaseResult& p) { return p.posted_when_load_ended; });
  row("every escalation posted after (ms)", "%.0f", [](const PhaseResult& p) { return p.posts_caught_up_ms; });
  row("desk exit code after SIGTERM", "%d", [](const PhaseResult& p) { return p.exit_code; });
  std::printf(
      "\nCPU per envelope under intake includes the intake work (one process, one figure). Waiting\n"
      "for a CPU is time runnable but not running: other processes had the cores.\n");
  for (const auto& p : phases) {
    if (!p.intake_first_failure.empty())
      std::printf("%s: first intake failure: %s\n", p.name.c_str(), p.intake_first_failure.substr(0, 300).c_str());
    if (!p.problem.empty()) std::printf("%s: %s\n", p.name.c_str(), p.problem.c_str());
  }
}

nlohmann::json to_json(const std::vector<PhaseResult>& phases, const Options& o) {
  nlohmann::json out = {{"envelopes", o.envelopes}, {"in_flight", o.in_flight}, {"phases", nlohmann::json::array()}};
  for (const auto& p : phases) {
    out["phases"].push_back({{"name", p.name},
                             {"intake_rate_asked", p.intake_rate_asked},
                             {"acks", p.acks},
                             {"answered_acks", p.answered_acks},
                             {"acks_per_s", p.acks_per_s()},
                             {"ack_p50_us", p.p50_us},
                             {"ack_p99_us", p.p99_us},
                             {"ack_max_us", p.max_us},
                             {"desk_cpu_us_per_envelope", p.cpu_us_per_envelope()},
                             {"desk_cpu_s", p.desk_cpu_s},
                             {"bench_cpu_s", p.bench_cpu_s},
                             {"seconds", p.seconds},
                             {"desk_peak_rss_mib", p.peak_rss_mib},
                             {"start_to_first_ack_ms", p.first_ack_ms},
                             {"desk_cpu_wait_ms", p.desk_cpu_wait_ms},
                             {"bench_cpu_wait_ms", p.bench_cpu_wait_ms},
                             {"intake_answered", p.intake_answered},
                             {"intake_escalated", p.intake_escalated},
                             {"intake_failed", p.intake_failed},
                             {"intake_per_s", p.intake_per_s},
                             {"intake_p50_ms", p.intake_p50_ms},
                             {"intake_p99_ms", p.intake_p99_ms},
                             {"posted_when_load_ended", p.posted_when_load_ended},
                             {"posts_caught_up_ms", p.posts_caught_up_ms},
                             {"desk_exit_code", p.exit_code},
                             {"problem", p.problem}});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  const emu::TestPki pki;
  std::vector<PhaseResult> phases;
  phases.push_back(run_phase(o, pki, "idle", 0));
  if (o.intake_rate > 0) phases.push_back(run_phase(o, pki, "intake", o.intake_rate));
  print_table(phases, o);
  if (!o.json_path.empty()) std::ofstream(o.json_path) << to_json(phases, o).dump(2) << '\n';
  // A run that measured nothing, lost intake answers or saw the desk fail is not a figure to quote.
  bool ok = true;
  for (const auto& p : phases)
    ok = ok && p.problem.empty() && p.acks > 0 && p.answered_acks == p.acks && p.intake_failed == 0 && p.exit_code == 0;
  return ok ? 0 : 1;
}
