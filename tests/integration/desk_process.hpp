#pragma once
// The desk as a child process for the integration tests: spawn it with a chosen environment,
// watch its output, signal or kill it, and talk to its intake API over plain HTTP.
#include <filesystem>
#include <map>
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
#include "tests/support/desk_binary.hpp"
#include "tests/support/desk_child.hpp"


namespace desk::integration {

namespace net = boost::asio;

using desk::testing::ChildResult;
using desk::testing::DeskProcess;

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

/// The audit chain's key for every desk these tests start (`run` refuses to start without one).
inline constexpr const char* kTestAuditKey = "integration-test-audit-key-0123456789abcdef";

inline std::map<std::string, std::string> desk_env(const emu::SlackEmulator& emulator,
                                                   const emu::WorkspaceOptions& ws) {
  return {{"SLACK_API_URL", emulator.api_url()}, {"SSL_CERT_FILE", pki().trusted().ca_cert},
          {"SLACK_APP_TOKEN", ws.app_token},     {"SLACK_BOT_TOKEN", ws.bot_token},
          {"DESK_AUDIT_KEY", kTestAuditKey},     {"DESK_LOG_LEVEL", "info"}};
}

inline void expect_no_secrets(const std::string& output, const emu::WorkspaceOptions& ws) {
  EXPECT_EQ(output.find(ws.app_token), std::string::npos) << output;
  EXPECT_EQ(output.find(ws.bot_token), std::string::npos) << output;
  EXPECT_EQ(output.find("emulatorbottoken"), std::string::npos) << output;
  EXPECT_EQ(output.find("emulatorapptoken"), std::string::npos) << output;
  EXPECT_EQ(output.find(kTestAuditKey), std::string::npos) << output;
}

/// The example config with a private database, an intake port the OS picks, and `edits` (exact text
/// replacements, e.g. shorter SLA durations).
inline std::string write_config(const std::filesystem::path& dir,
                                const std::vector<std::pair<std::string, std::string>>& edits = {}) {
  return desk::testing::write_example_config(DESK_SOURCE_DIR, dir, edits);
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
  return desk::testing::logged_intake_port(desk.output_so_far());
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
  if (!body.empty()) raw += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
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
