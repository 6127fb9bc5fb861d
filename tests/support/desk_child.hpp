#pragma once
// The shipped desk as a child process, for the integration tests and the desk benchmark: spawn it
// with exactly the environment given, its output in a log file, and write it a config based on the
// example. No test framework here, so a benchmark can use it too.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace desk::testing {

struct ChildResult {
  int exit_code = -1;  // -1: still running when the deadline passed (then killed)
  std::string output;  // stderr and stdout
};

class DeskProcess {
 public:
  /// Spawns `args` (the program first) with exactly `env`; its stderr and stdout go to a log file.
  DeskProcess(const std::map<std::string, std::string>& env, std::vector<std::string> args) {
    output_path_ = (std::filesystem::temp_directory_path() /
                    ("desk-runner-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".log"))
                       .string();
    std::vector<std::string> entries;
    for (const auto& [k, v] : env) entries.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : entries) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    // The parent's own sockets (the emulator's listener above all) must not live on in the child: a
    // listener the child holds would keep the port after the emulator closes it.
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("posix_spawn failed");
  }

  ~DeskProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove(output_path_);
  }
  DeskProcess(const DeskProcess&) = delete;
  DeskProcess& operator=(const DeskProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo) { ::kill(pid_, signo); }

  /// What the process has written so far.
  std::string output_so_far() const {
    std::ifstream in(output_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  /// Waits for the exit (polling waitpid until the deadline).
  ChildResult wait(std::chrono::milliseconds timeout) {
    ChildResult result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (true) {
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    result.output = output_so_far();
    return result;
  }

 private:
  pid_t pid_ = -1;
  std::string output_path_;
  static inline int counter_ = 0;
};

/// `source_dir`/deploy/desk.example.yaml written into `dir` as desk.yaml with a private database (the
/// config's folder), an intake port the OS picks, and `edits` (exact text replacements, e.g. shorter
/// SLA durations). Returns the config's path.
inline std::string write_example_config(const std::string& source_dir, const std::filesystem::path& dir,
                                        const std::vector<std::pair<std::string, std::string>>& edits = {}) {
  std::ifstream in(source_dir + "/deploy/desk.example.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string config = text.str();
  const std::string from = "intake_listen: 127.0.0.1:8080";
  config.replace(config.find(from), from.size(), "intake_listen: 127.0.0.1:0");
  for (const auto& [old_text, new_text] : edits) {
    const auto at = config.find(old_text);
    if (at == std::string::npos) throw std::runtime_error("the example config has no '" + old_text + "'");
    config.replace(at, old_text.size(), new_text);
  }
  const auto path = dir / "desk.yaml";
  std::ofstream(path) << config;
  return path.string();
}

/// The intake port a desk logged in its "intake.listening" line; 0 until it has.
inline std::uint16_t logged_intake_port(const std::string& output) {
  const auto line = output.rfind("intake.listening");
  const auto at = line == std::string::npos ? line : output.find(" port=", line);
  if (at == std::string::npos) return 0;
  return static_cast<std::uint16_t>(std::stoi(output.substr(at + 6)));
}

}  // namespace desk::testing
