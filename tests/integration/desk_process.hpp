#pragma once
// The desk as a child process for the integration tests: spawn it with a chosen environment,
// watch its output, signal or kill it, and talk to its intake API over plain HTTP.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "tests/integration/slack_test_bed.hpp"

#ifndef DESK_BINARY
#error "DESK_BINARY must name the escalation-desk executable"
#endif

namespace desk::integration {

namespace net = boost::asio;

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
    // The test's own sockets (the emulator's listener above all) must not live on in the child: a
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
      std::this_thread::sleep_for(10ms);
    }
    std::ifstream in(output_path_);
    std::stringstream text;
    text << in.rdbuf();
    result.output = text.str();
    return result;
  }

 private:
  pid_t pid_ = -1;
  std::string output_path_;
  static inline int counter_ = 0;
};

/// Polls `pred` every `interval` until it holds (true) or `timeout` passes (false).
template <typename Pred>
inline bool wait_for(Pred pred, std::chrono::milliseconds timeout = 10s, std::chrono::milliseconds interval = 5ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

inline std::map<std::string, std::string> desk_env(const emu::SlackEmulator& emulator, const emu::WorkspaceOptions& ws) {
  return {{"SLACK_API_URL", emulator.api_url()},
          {"SSL_CERT_FILE", pki().trusted().ca_cert},
          {"SLACK_APP_TOKEN", ws.app_token},
          {"SLACK_BOT_TOKEN", ws.bot_token},
          {"DESK_LOG_LEVEL", "info"}};
}

inline void expect_no_secrets(const std::string& output, const emu::WorkspaceOptions& ws) {
  EXPECT_EQ(output.find(ws.app_token), std::string::npos) << output;
  EXPECT_EQ(output.find(ws.bot_token), std::string::npos) << output;
  EXPECT_EQ(output.find("emulatorbottoken"), std::string::npos) << output;
  EXPECT_EQ(output.find("emulatorapptoken"), std::string::npos) << output;
}

/// The example config with a private database, an intake port the OS picks, and `edits` (exact text
/// replacements, e.g. shorter SLA durations).
inline std::string write_config(const std::filesystem::path& dir,
                                const std::vector<std::pair<std::string, std::string>>& edits = {}) {
  std::ifstream in(std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml");
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

/// `escalation-desk run` on the example config written into `dir` (see write_config).
inline std::vector<std::string> run_desk_args(const std::filesystem::path& dir,
                                              const std::vector<std::pair<std::string, std::string>>& edits = {}) {
  return {DESK_BINARY, "run", "--config", write_config(dir, edits)};
}

/// One raw HTTP/1.1 exchange with Connection: close; returns everything the server wrote.
inline std::string http(std::uint16_t port, const std::string& raw) {
  net::io_context io;
  net::ip::tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  net::write(socket, net::buffer(raw));
  std::string out;
  char buf[4096];
  boost::system::error_code ec;
  while (!ec) out.append(buf, socket.read_some(net::buffer(buf), ec));
  return out;
}

/// The intake port a desk logged in its "intake.listening" line; 0 until it has.
inline std::uint16_t intake_port(const DeskProcess& desk) {
  const auto out = desk.output_so_far();
  const auto line = out.rfind("intake.listening");
  const auto at = line == std::string::npos ? line : out.find(" port=", line);
  if (at == std::string::npos) return 0;
  return static_cast<std::uint16_t>(std::stoi(out.substr(at + 6)));
}

struct HttpAnswer {
  int status = 0;
  std::string head;     ///< status line and headers
  nlohmann::json body;  ///< null when the body is not JSON
};

/// A JSON request to the intake API with a bearer token; `body` empty for GET.
inline HttpAnswer intake_request(std::uint16_t port, const std::string& method, const std::string& target,
                                 const std::string& token, const std::string& body = {}) {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) raw += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty())
    raw += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  raw += "\r\n" + body;
  const std::string answer = http(port, raw);
  HttpAnswer out;
  if (answer.rfind("HTTP/1.1 ", 0) == 0) out.status = std::stoi(answer.substr(9, 3));
  const auto split = answer.find("\r\n\r\n");
  out.head = answer.substr(0, split);
  if (split != std::string::npos) out.body = nlohmann::json::parse(answer.substr(split + 4), nullptr, false);
  if (out.body.is_discarded()) out.body = nullptr;
  return out;
}

}  // namespace desk::integration
