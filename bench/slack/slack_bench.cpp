// Socket Mode load driver: runs the Slack emulator in this process and the desk (slack_bench_client,
// i.e. run_desk) as a child process, then measures what the issue asks for:
//   - start-to-first-ack: from spawning the desk to the ack of an envelope that was waiting for it;
//   - acks per second and ack latency p50/p99 with N envelopes in flight (closed loop: every ack
//     releases the next envelope), latency measured by the emulator from the envelope's write to
//     the ack's arrival;
//   - CPU time per envelope of the desk process (/proc/<pid>/task/*/schedstat, nanoseconds), and
//     how long the desk and the emulator were runnable but waiting for a CPU (the machine is shared);
//   - peak resident memory of the desk process (VmHWM).
// Usage: slack_bench [--envelopes N] [--in-flight N] [--client PATH] [--show-log yes]
//                    [--latency-log FILE]   (one line per measured ack: arrival in us since the
//                                            start of the measured loop, latency in us; for
//                                            finding out when the slow acks happened)
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/emulator/envelope_factory.hpp"
#include "tests/emulator/slack_emulator.hpp"

#ifndef DESK_BENCH_CLIENT
#define DESK_BENCH_CLIENT "slack_bench_client"
#endif

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace emu = desk::emulator;

struct Options {
  int envelopes = 20000;
  int in_flight = 64;
  std::string client = DESK_BENCH_CLIENT;
  bool show_log = false;
  std::string latency_log;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--envelopes") o.envelopes = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--in-flight") o.in_flight = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--client") o.client = argv[i + 1];
    else if (flag == "--show-log") o.show_log = std::string(argv[i + 1]) == "yes";
    else if (flag == "--latency-log") o.latency_log = argv[i + 1];
  }
  return o;
}

// Scheduler figures summed over every thread of `pid`, in nanoseconds (/proc/.../schedstat): time
// on a CPU, and time spent runnable but waiting for one (other processes had the CPUs).
struct SchedTimes {
  long long on_cpu_ns = 0;
  long long waiting_ns = 0;
};

SchedTimes sched_times(pid_t pid) {
  SchedTimes total;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "schedstat");
    long long on_cpu = 0, waiting = 0;
    if (in >> on_cpu >> waiting) {
      total.on_cpu_ns += on_cpu;
      total.waiting_ns += waiting;
    }
  }
  return total;
}

// A field of /proc/<pid>/status in kB (VmHWM, VmRSS).
long status_kb(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field) + 1);
  }
  return -1;
}

template <typename Pred>
bool wait_for(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);  // coarse on purpose: the clock that matters is the emulator's
  }
  return true;
}

// The value of `key=` in the desk's socket.stopped log line, or -1.
long log_value(const std::string& log, const std::string& key) {
  auto line = log.find("event=socket.stopped");
  if (line == std::string::npos) return -1;
  auto at = log.find(" " + key + "=", line);
  return at == std::string::npos ? -1 : std::atol(log.c_str() + at + key.size() + 2);
}

pid_t spawn_client(const Options& o, const emu::SlackEmulator& emulator, const emu::TestPki& pki,
                   const emu::WorkspaceOptions& ws, const std::string& log_path) {
  // Info level: the desk logs nothing per envelope at info, and its shutdown line carries its own
  // ack-latency figures.
  std::vector<std::string> env = {"SLACK_API_URL=" + emulator.api_url(), "SSL_CERT_FILE=" + pki.trusted().ca_cert,
                                  "SLACK_APP_TOKEN=" + ws.app_token, "SLACK_BOT_TOKEN=" + ws.bot_token,
                                  std::string("DESK_LOG_LEVEL=") + (o.show_log ? "debug" : "info")};
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string path = o.client;
  char* argv[] = {path.data(), nullptr};
  pid_t pid = -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + path);
  return pid;
}

double micros(std::chrono::microseconds d) { return static_cast<double>(d.count()); }

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  emu::TestPki pki;
  emu::EmulatorOptions eo;
  eo.redeliver_after = 60s;  // no redeliveries muddying the figures
  emu::SlackEmulator emulator(pki, eo);

  // Start-up: one envelope waits in the emulator; the clock runs from spawn to its ack.
  auto first = emulator.send_event(emu::message_event("C0DESK", "U0LEAD", "first", "1700000000.000001"));
  const auto spawned = Clock::now();
  const std::string log_path = pki.dir() + "/desk.log";
  pid_t pid = spawn_client(o, emulator, pki, eo.workspace, log_path);
  if (!wait_for([&] { return emulator.acked(first); }, 20s)) {
    std::cerr << "the desk never acked its first envelope\n";
    kill(pid, SIGKILL);
    return 1;
  }
  const auto first_ack = emulator.acks().front().received_at - spawned;

  // Warm-up, then the measured closed loop.
  emulator.start_load(o.in_flight, 2000);
  emulator.wait_load_acked(2000, 60s);
  const auto acks_before = emulator.acks().size();
  const auto desk_before = sched_times(pid);
  const auto self_sched_before = sched_times(getpid());
  rusage self_before{};
  getrusage(RUSAGE_SELF, &self_before);
  const auto t0 = Clock::now();
  emulator.start_load(o.in_flight, o.envelopes);
  if (!emulator.wait_load_acked(2000 + o.envelopes, 300s)) {
    std::cerr << "load did not finish\n";
  }
  const auto elapsed = Clock::now() - t0;
  const auto desk_after = sched_times(pid);
  const auto self_sched_after = sched_times(getpid());
  rusage self_after{};
  getrusage(RUSAGE_SELF, &self_after);
  const long hwm_kb = status_kb(pid, "VmHWM:");

  auto acks = emulator.acks();
  std::vector<std::chrono::microseconds> latencies;
  for (std::size_t i = acks_before; i < acks.size(); ++i) latencies.push_back(acks[i].latency);
  if (!o.latency_log.empty()) {
    std::ofstream out(o.latency_log);
    for (std::size_t i = acks_before; i < acks.size(); ++i) {
      out << std::chrono::duration_cast<std::chrono::microseconds>(acks[i].received_at - t0).count() << ' '
          << acks[i].latency.count() << '\n';
    }
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) { return latencies[static_cast<std::size_t>(p * static_cast<double>(latencies.size() - 1))]; };

  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);

  std::ifstream log_file(log_path);
  std::stringstream log_text;
  log_text << log_file.rdbuf();
  if (o.show_log) std::cout << log_text.str();
  auto usec = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
  const double emulator_cpu_us = (usec(self_after.ru_utime) + usec(self_after.ru_stime) - usec(self_before.ru_utime) -
                                  usec(self_before.ru_stime));
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double cpu_us = static_cast<double>(desk_after.on_cpu_ns - desk_before.on_cpu_ns) / 1000.0 /
                        static_cast<double>(latencies.size());
  const double desk_wait_ms = static_cast<double>(desk_after.waiting_ns - desk_before.waiting_ns) / 1e6;
  const double self_wait_ms = static_cast<double>(self_sched_after.waiting_ns - self_sched_before.waiting_ns) / 1e6;
  std::printf("envelopes measured      %zu (in flight %d)\n", latencies.size(), o.in_flight);
  std::printf("acks per second         %.0f\n", static_cast<double>(latencies.size()) / seconds);
  std::printf("ack latency p50         %.0f us\n", micros(pct(0.50)));
  std::printf("ack latency p99         %.0f us   (target < 1500 us)\n", micros(pct(0.99)));
  std::printf("ack latency max         %.0f us\n", micros(latencies.back()));
  std::printf("desk CPU per envelope   %.2f us   (target < 10 us)\n", cpu_us);
  std::printf("desk own ack time p50   %ld us    (read -> ack written, whole run incl. warm-up)\n",
              log_value(log_text.str(), "ack_p50_us"));
  std::printf("desk own ack time p99   %ld us\n", log_value(log_text.str(), "ack_p99_us"));
  std::printf("emulator CPU/envelope   %.2f us   (the load generator, for context)\n",
              emulator_cpu_us / static_cast<double>(latencies.size()));
  std::printf("waiting for a CPU       desk %.1f ms, emulator %.1f ms of %.0f ms  (runnable but not running:\n"
              "                        other processes on the machine; it is what the latency tail follows)\n",
              desk_wait_ms, self_wait_ms, seconds * 1000.0);
  std::printf("desk peak RSS (VmHWM)   %.1f MiB  (target < 20 MiB)\n", static_cast<double>(hwm_kb) / 1024.0);
  std::printf("start to first ack      %.1f ms   (target < 30 ms)\n",
              std::chrono::duration<double, std::milli>(first_ack).count());
  std::printf("desk exit code          %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
