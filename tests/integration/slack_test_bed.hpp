#pragma once
// Shared set-up for the integration tests: one throwaway PKI per test process, an emulator per
// test, and the real client stack on an io_context that the test thread drives until a condition
// holds (never a fixed sleep as an assertion).
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "bot/slack/socket_mode_client.hpp"
#include "bot/slack/tls.hpp"
#include "bot/slack/web_api_client.hpp"
#include "tests/emulator/envelope_factory.hpp"
#include "tests/emulator/slack_emulator.hpp"

namespace desk::integration {

using namespace std::chrono_literals;
namespace slack = desk::bot::slack;
namespace emu = desk::emulator;

/// Certificates are generated once per test process.
inline const emu::TestPki& pki() {
  static emu::TestPki instance;
  return instance;
}

/// Records every envelope; `script` decides the reply.
class RecordingHandler : public slack::EnvelopeHandler {
 public:
  slack::AckReply on_envelope(const slack::Envelope& envelope) override {
    seen.push_back(envelope);
    if (!envelope.event_id.empty()) ++events[envelope.event_id];
    return script ? script(envelope) : slack::AckReply{};
  }
  std::function<slack::AckReply(const slack::Envelope&)> script;
  std::vector<slack::Envelope> seen;
  std::map<std::string, int> events;  // event id -> times handled
};

/// Latency percentile of acks as the emulator measured them.
inline std::chrono::microseconds percentile(std::vector<emu::AckRecord> acks, double p) {
  if (acks.empty()) return std::chrono::microseconds{0};
  std::sort(acks.begin(), acks.end(), [](const auto& a, const auto& b) { return a.latency < b.latency; });
  auto index = static_cast<std::size_t>(p * static_cast<double>(acks.size() - 1));
  return acks[index].latency;
}

class SlackTestBed {
 public:
  explicit SlackTestBed(emu::EmulatorOptions options = {})
      : options_(options),
        emulator(pki(), options),
        tls(slack::make_client_tls_context(pki().trusted().ca_cert)),
        work_(boost::asio::make_work_guard(io)) {
    slack::WebApiConfig config;
    config.api_url = emulator.api_url();
    config.bot_token = options.workspace.bot_token;
    config.tls_context = tls;
    config.timeouts.connect = 2s;
    config.timeouts.handshake = 2s;
    config.timeouts.response = 5s;
    config.transport_backoff = {20ms, 200ms};
    api = std::make_unique<slack::WebApiClient>(io.get_executor(), config);
  }

  ~SlackTestBed() {
    if (client && !run_done) {
      client->stop();
      drive_until([&] { return run_done; }, 5s);
    }
  }

  /// Timeouts scaled for tests; the idle limit stays generous because the client only runs while
  /// the test thread drives it (the silent-peer test lowers it and drives continuously).
  slack::SocketModeConfig socket_config() const {
    slack::SocketModeConfig config;
    config.app_token = options_.workspace.app_token;
    config.connect_timeout = 2s;
    config.hello_timeout = 2s;
    config.ping_interval = 200ms;
    config.idle_limit = 3s;
    config.close_grace = 300ms;
    config.drain_period = 100ms;
    config.shutdown_timeout = 3s;
    config.backoff = {50ms, 400ms};
    config.tls_context = tls;
    return config;
  }

  void start(slack::SocketModeConfig config, slack::DedupeFn dedupe = {}) {
    if (!dedupe) dedupe = [this](const std::string& id, slack::Remember) { return processed.insert(id).second; };
    run_done = false;
    client = std::make_unique<slack::SocketModeClient>(io.get_executor(), std::move(config), *api, handler, dedupe);
    boost::asio::co_spawn(io, client->run(), [this](std::exception_ptr e) {
      run_error = e;
      run_done = true;
    });
  }

  void start() { start(socket_config()); }

  template <typename Pred>
  bool drive_until(Pred pred, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.run_for(2ms);
    }
    return true;
  }

  void drive_for(std::chrono::milliseconds d) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) io.run_for(2ms);
  }

  bool connected() const { return client && client->state() == slack::SocketModeState::connected; }

  template <typename T>
  T await(boost::asio::awaitable<T> task, std::chrono::milliseconds timeout = 10s) {
    std::optional<T> result;
    std::exception_ptr error;
    bool done = false;
    boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
      error = e;
      if (!e) result = std::move(value);
      done = true;
    });
    if (!drive_until([&] { return done; }, timeout)) throw std::runtime_error("timed out");
    if (error) std::rethrow_exception(error);
    return std::move(*result);
  }

  emu::EmulatorOptions options_;
  emu::SlackEmulator emulator;
  std::shared_ptr<boost::asio::ssl::context> tls;  // one trust store for both clients, as the desk does
  boost::asio::io_context io;
  std::unique_ptr<slack::WebApiClient> api;
  RecordingHandler handler;
  std::set<std::string> processed;
  std::unique_ptr<slack::SocketModeClient> client;
  bool run_done = true;
  std::exception_ptr run_error;

 private:
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
};

inline nlohmann::json sample_message(int i) {
  return emu::message_event("C0DESK", "U0LEAD", "reply " + std::to_string(i),
                            "1700000000.00" + std::to_string(1000 + i));
}

}  // namespace desk::integration
