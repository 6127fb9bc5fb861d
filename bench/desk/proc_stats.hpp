#pragma once
// What /proc says about another process: CPU time (utime + stime), time spent runnable but waiting
// for a CPU, and peak resident memory. Linux only; a value that cannot be read comes back as 0.
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace desk::bench {

/// User + system CPU seconds of `pid`, all its threads, from /proc/<pid>/stat (fields 14 and 15,
/// in clock ticks: 10 ms steps, so measure over long enough a run).
inline double cpu_seconds_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));  // field 3 onwards
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (n == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// Scheduler figures summed over the threads of `pid` that are alive now, in nanoseconds
/// (/proc/<pid>/task/<tid>/schedstat): time on a CPU, and time runnable but waiting for one.
struct SchedTimes {
  long long on_cpu_ns = 0;
  long long waiting_ns = 0;
};

inline SchedTimes sched_times_of(pid_t pid) {
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

/// A field of /proc/<pid>/status in kB ("VmHWM", "VmRSS"); 0 when absent.
inline long status_kb_of(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 && line[field.size()] == ':')
      return std::atol(line.c_str() + field.size() + 1);
  }
  return 0;
}

}  // namespace desk::bench
