// Benchmark of the shipped binary's MCP endpoint holding many await_decision calls at once:
// `escalation-desk sandbox` (no Slack: the console is the channel; its real SQLite store, intake
// server, committer thread, clocks and outbox) runs as a child process, and this process is its
// agents and its people, over loopback HTTP/1.1:
//   1. submits --waiters escalating drafts with MCP tools/call submit_draft (16 keep-alive
//      connections), keeping each escalation's id and owner;
//   2. measures the desk idle with no waiter (--baseline-seconds), then opens one connection per
//      escalation, each POSTing /mcp tools/call await_decision {id, timeout_seconds 600} with a
//      _meta.progressToken, and reads its SSE stream (text/event-stream, close-delimited);
//   3. with every waiter waiting, reads the desk's VmRSS, open descriptors and threads, and its CPU
//      (utime + stime from /proc/<pid>/stat, and schedstat's on-CPU nanoseconds) over --hold-seconds:
//      the cost of holding them (their 15 s "still waiting" notifications included);
//   4. decides --decide of them one at a time, as a person in the console does: POST
//      /sandbox/acting-as (the owner), POST /sandbox/begin (the macro button: the escalation is
//      triaged, and its waiter should get a progress notification) and POST /sandbox/decide with a
//      rationale; times the decision's POST to the waiter's final result, and checks that each decided
//      waiter got outcome "decided" with the right macro and that every other waiter is still waiting;
//   5. stops the desk with SIGTERM and sees how the open streams end.
// Everything is measured from outside the desk. Usage:
//   mcp_await_bench [--waiters N] [--hold-seconds S] [--decide K] [--baseline-seconds S]
//                   [--binary PATH] [--config PATH] [--json FILE] [--keep-log FILE] [--keep-limits yes]
// One agent token submits and waits on every escalation, so the config's per-token limits
// (limits.requests_per_minute, limits.open_escalations_per_token) would refuse most of it: the desk
// runs on a copy of --config with those two set to 0 (as desk_bench does), unless --keep-limits yes.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "bench/desk/proc_stats.hpp"
#include "tests/support/desk_child.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef DESK_BINARY
#error "DESK_BINARY must name the escalation-desk executable"
#endif
#ifndef DESK_SOURCE_DIR
#error "DESK_SOURCE_DIR must name the source tree (for deploy/desk.example.yaml)"
#endif

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

constexpr const char* kToken = "mcp-await-bench-token-0123456789";
constexpr const char* kDraft =
    "We are the first licensed provider of this service in the region, and our team is happy to help.";

struct Options {
  std::size_t waiters = 1000;
  int hold_seconds = 30;
  std::size_t decide = 100;
  int baseline_seconds = 5;
  std::size_t submit_connections = 16;
  std::chrono::seconds open_timeout{20};  // for every waiter's response head
  std::string binary = DESK_BINARY;
  std::string config = std::string(DESK_SOURCE_DIR) + "/deploy/desk.example.yaml";
  std::string json_path;
  std::string keep_log;
  bool keep_limits = false;  // run under the config's per-token limits as they are
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "mcp_await_bench: " << problem
            << "\nusage: mcp_await_bench [--waiters N] [--hold-seconds S] [--decide K] [--baseline-seconds S]"
               " [--binary PATH] [--config PATH] [--json FILE] [--keep-log FILE] [--keep-limits yes]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage("missing value after " + flag);
    const std::string value = argv[++i];
    try {
      if (flag == "--waiters")
        o.waiters = std::stoul(value);
      else if (flag == "--hold-seconds")
        o.hold_seconds = std::stoi(value);
      else if (flag == "--decide")
        o.decide = std::stoul(value);
      else if (flag == "--baseline-seconds")
        o.baseline_seconds = std::stoi(value);
      else if (flag == "--binary")
        o.binary = value;
      else if (flag == "--config")
        o.config = value;
      else if (flag == "--json")
        o.json_path = value;
      else if (flag == "--keep-log")
        o.keep_log = value;
      else if (flag == "--keep-limits")
        o.keep_limits = value == "yes";
      else
        usage("unknown flag: " + flag);
    } catch (const std::logic_error&) { usage("not a number: " + flag + " " + value); }
  }
  if (o.waiters < 1 || o.hold_seconds < 0 || o.baseline_seconds < 0) usage("--waiters must be positive");
  if (o.decide > o.waiters) usage("--decide must not exceed --waiters");
  return o;
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double percentile_ms(std::vector<double> seconds, double p) {
  if (seconds.empty()) return 0;
  std::sort(seconds.begin(), seconds.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(seconds.size() - 1) + 0.5);
  return seconds[std::min(i, seconds.size() - 1)] * 1e3;
}

std::string form_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// --- What /proc says about the desk, beyond proc_stats.hpp --------------------------------------------

std::size_t open_fds_of(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

/// Connections the kernel has completed on the listener at `port` that the desk has not accepted yet
/// (a LISTEN socket's rx_queue in /proc/net/tcp); -1 when not found.
long accept_queue_of(std::uint16_t port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  char want[8];
  std::snprintf(want, sizeof want, ":%04X", port);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, st, queues;
    if (!(f >> sl >> local >> remote >> st >> queues)) continue;
    if (st != "0A" || local.size() < 5 || local.compare(local.size() - 5, 5, want) != 0) continue;
    const auto colon = queues.find(':');
    return colon == std::string::npos ? -1 : std::strtol(queues.c_str() + colon + 1, nullptr, 16);
  }
  return -1;
}

/// The process state letter from /proc/<pid>/stat ('Z' once it has exited but is not reaped yet).
char state_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  return close == std::string::npos || close + 2 >= text.size() ? '?' : text[close + 2];
}

double self_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct DeskSample {
  double cpu_s = 0;         // utime + stime (clock ticks)
  long long on_cpu_ns = 0;  // schedstat, threads alive now
  long rss_kb = 0, hwm_kb = 0, threads = 0;
  std::size_t fds = 0;
};

DeskSample sample(pid_t pid) {
  DeskSample s;
  s.cpu_s = desk::bench::cpu_seconds_of(pid);
  s.on_cpu_ns = desk::bench::sched_times_of(pid).on_cpu_ns;
  s.rss_kb = desk::bench::status_kb_of(pid, "VmRSS");
  s.hwm_kb = desk::bench::status_kb_of(pid, "VmHWM");
  s.threads = desk::bench::status_kb_of(pid, "Threads");
  s.fds = open_fds_of(pid);
  return s;
}

// --- One await_decision call -----------------------------------------------------------------------

struct Waiter {
  std::size_t index = 0;
  std::string escalation_id, owner;
  std::string progress_token;
  Clock::time_point started{}, head_at{}, final_at{}, end_at{};
  bool head = false, final = false, ended = false;
  int status = 0;
  std::string content_type, error;
  std::vector<std::pair<Clock::time_point, std::string>> progress;  // notifications, as received
  std::size_t bad_events = 0;   // unparsable, a wrong progressToken or rpc id, a non-increasing progress
  std::size_t after_final = 0;  // events after the final result
  std::string outcome, final_status, final_macro, final_escalation;
  bool final_error = false;

  bool waiting() const { return head && !final && !ended && error.empty(); }
};

/// The measurements, filled as the run goes.
struct Report {
  Options options;
  std::string problem;  // why the run could not go on; empty when it did
  std::uint16_t port = 0;
  std::vector<std::string> config_edits;
  double start_ms = 0;
  // submissions
  std::size_t submitted = 0, escalated = 0, submit_failed = 0;
  std::string first_submit_failure;
  double submit_s = 0, submit_p50_ms = 0, submit_p99_ms = 0;
  double settle_after_submit_s = 0;
  // idle, no waiter
  DeskSample before;
  double baseline_cpu_s = 0, baseline_on_cpu_ms = 0, baseline_window_s = 0;
  // opening the waiters
  std::size_t opened = 0, open_failed = 0;
  double open_all_s = 0;  // to the last head received (or the timeout)
  long accept_queue = -1;
  std::string first_open_failure;
  double settle_after_open_s = 0;
  // holding
  DeskSample holding_start, holding_end;
  double hold_window_s = 0, hold_cpu_s = 0, hold_on_cpu_ms = 0, hold_max_1s_on_cpu_ms = 0, bench_hold_cpu_s = 0;
  std::vector<double> hold_per_second_on_cpu_ms;
  long hold_max_rss_kb = 0;
  std::size_t hold_progress = 0, hold_progress_min = 0, hold_progress_max = 0;
  std::size_t answered_during_hold = 0, ended_during_hold = 0;
  // deciding
  std::size_t decided = 0, decide_refused = 0, begin_progress_seen = 0;
  std::string first_decide_failure;
  std::vector<double> begin_to_progress, decide_post, decide_to_answer, decided_reply_to_answer;
  std::size_t answers_missing = 0;
  std::size_t console_pings = 0, console_reconnects = 0;
  bool console_unreachable = false;
  // checks after deciding
  std::size_t ok_decided = 0, wrong_outcome = 0, answered_early = 0, undecided_waiting = 0, undecided_answered = 0,
              dropped = 0, opened_late = 0, never_opened = 0, bad_events = 0;
  std::string first_wrong;
  DeskSample after;
  // stopping
  int exit_code = -1;
  double exit_ms = 0;
  std::size_t open_at_stop = 0, ended_on_stop = 0, result_on_stop = 0, still_open_after_stop = 0;
  std::size_t log_errors = 0, log_warnings = 0, sla_fired = 0;
  std::string first_log_error;
};

struct HttpAnswer {
  int status = 0;
  std::string body, set_cookie, error;
  Clock::time_point sent{}, answered{};
};

class Bench {
  net::io_context io_{1};  // first: every other member that does I/O is made on it

 public:
  Bench(const Options& o, desk::testing::DeskProcess& desk, std::uint16_t port, Report& r)
      : o_(o), desk_(desk), pid_(desk.pid()), r_(r), signal_(io_) {
    endpoint_ = tcp::endpoint(net::ip::make_address("127.0.0.1"), port);
    host_ = "127.0.0.1:" + std::to_string(port);
  }

  void run() {
    net::co_spawn(io_, main(), [this](std::exception_ptr e) {
      if (e) try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) { r_.problem = std::string("bench failed: ") + x.what(); }
      io_.stop();  // waiters still reading (a desk that did not close them) are abandoned
    });
    io_.run();
  }

 private:
  // --- plumbing ----------------------------------------------------------------------------------
  void poke() { signal_.cancel(); }

  net::awaitable<void> sleep_until(Clock::time_point t) {
    net::steady_timer timer(io_, t);
    co_await timer.async_wait(kTuple);
  }

  /// Waits until `done()` or `deadline`; true when done. Waiters poke the signal on every event.
  template <class Pred>
  net::awaitable<bool> wait_for(Pred done, Clock::time_point deadline) {
    while (!done()) {
      const auto now = Clock::now();
      if (now >= deadline) co_return false;
      signal_.expires_at(std::min(deadline, now + 100ms));
      co_await signal_.async_wait(kTuple);
    }
    co_return true;
  }

  /// Sleeps until the desk's CPU over half a second is under 10 ms (its queues drained), at most `max`.
  net::awaitable<double> settle(Clock::duration max) {
    const auto start = Clock::now();
    long long previous = desk::bench::sched_times_of(pid_).on_cpu_ns;
    while (Clock::now() - start < max) {
      co_await sleep_until(Clock::now() + 500ms);
      const long long now = desk::bench::sched_times_of(pid_).on_cpu_ns;
      if (now - previous < 10'000'000) break;
      previous = now;
    }
    co_return seconds_between(start, Clock::now());
  }

  http::request<http::string_body> request(http::verb verb, const std::string& target, std::string body,
                                           const std::string& content_type) const {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host_);
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
  }

  http::request<http::string_body> mcp_request(const json& message) const {
    auto req = request(http::verb::post, "/mcp", message.dump(), "application/json");
    req.set(http::field::authorization, std::string("Bearer ") + kToken);
    req.set(http::field::accept, "application/json, text/event-stream");
    return req;
  }

  http::request<http::string_body> console_post(const std::string& target, const std::string& form,
                                                const std::string& cookie) const {
    auto req = request(http::verb::post, target, form, "application/x-www-form-urlencoded");
    req.set(http::field::origin, "http://" + host_);  // the console's own page
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    return req;
  }

  /// One request on `stream` (connected by the caller), its answer read in full.
  net::awaitable<HttpAnswer> exchange(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                      http::request<http::string_body> req, Clock::duration timeout = 60s) {
    HttpAnswer a;
    stream.expires_after(timeout);
    a.sent = Clock::now();
    auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
    if (wec) {
      a.error = "write: " + wec.message();
      co_return a;
    }
    http::response<http::string_body> res;
    auto [rec, rn] = co_await http::async_read(stream, buffer, res, kTuple);
    a.answered = Clock::now();
    if (rec) {
      a.error = "read: " + rec.message();
      co_return a;
    }
    a.status = res.result_int();
    a.body = std::move(res.body());
    a.set_cookie = std::string(res[http::field::set_cookie]);
    co_return a;
  }

  /// One request on a fresh connection.
  net::awaitable<HttpAnswer> once(http::request<http::string_body> req, Clock::duration timeout) {
    beast::tcp_stream stream(io_);
    beast::flat_buffer buffer;
    stream.expires_after(timeout);
    auto [cec] = co_await stream.async_connect(endpoint_, kTuple);
    if (cec) {
      HttpAnswer a;
      a.error = "connect: " + cec.message();
      co_return a;
    }
    auto a = co_await exchange(stream, buffer, std::move(req), timeout);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return a;
  }

  // --- the person's browser: one keep-alive connection, opened before the waiters ------------------
  // The desk serves at most so many connections at once (IntakeServerOptions::max_connections) on the
  // one listener that carries the intake API, MCP and the console; when waiters fill it, a new
  // connection waits in the kernel's accept queue until a stream closes. The person's connection is
  // therefore opened first and kept from the desk's idle timeout (30 s) with a cheap GET every 10 s
  // until the decisions start; if it breaks, a fresh connection is tried (and reported if refused).
  beast::tcp_stream console_{io_};
  beast::flat_buffer console_buffer_;
  bool console_open_ = false, pinging_ = false, pinger_done_ = true;
  net::steady_timer ping_timer_{io_};

  net::awaitable<void> open_console() {
    console_.expires_after(10s);
    auto [cec] = co_await console_.async_connect(endpoint_, kTuple);
    console_open_ = !cec;
  }

  net::awaitable<void> pinger() {
    pinger_done_ = false;
    while (pinging_ && console_open_) {
      ping_timer_.expires_after(10s);
      co_await ping_timer_.async_wait(kTuple);
      if (!pinging_) break;
      auto a =
          co_await exchange(console_, console_buffer_, request(http::verb::get, "/assets/console.css", "", ""), 10s);
      if (!a.error.empty() || a.status != 200) console_open_ = false;
      ++r_.console_pings;
    }
    pinger_done_ = true;
    poke();
  }

  net::awaitable<void> stop_pinger() {
    pinging_ = false;
    ping_timer_.cancel();
    co_await wait_for([&] { return pinger_done_; }, Clock::time_point::max());
  }

  /// A console request on the person's connection, or on a fresh one when that is gone.
  net::awaitable<HttpAnswer> console(http::request<http::string_body> req) {
    if (console_open_) {
      auto a = co_await exchange(console_, console_buffer_, req, 10s);
      if (a.error.empty()) co_return a;
      console_open_ = false;
      ++r_.console_reconnects;
    }
    auto a = co_await once(std::move(req), 10s);
    if (!a.error.empty()) {
      r_.console_unreachable = true;
      a.error += " (a fresh connection to the console; the desk's accept queue holds " +
                 std::to_string(accept_queue_of(r_.port)) + " connections it has not accepted)";
    }
    co_return a;
  }

  // --- 1. submissions ----------------------------------------------------------------------------
  net::awaitable<void> submitter(std::size_t& next, std::vector<double>& latencies) {
    beast::tcp_stream stream(io_);
    beast::flat_buffer buffer;
    stream.expires_after(10s);
    auto [cec] = co_await stream.async_connect(endpoint_, kTuple);
    if (cec) {
      if (r_.submit_failed++ == 0) r_.first_submit_failure = "connect: " + cec.message();
      co_return;
    }
    while (next < waiters_.size()) {
      Waiter& w = waiters_[next++];
      const json call = {
          {"jsonrpc", "2.0"},
          {"id", static_cast<int>(w.index) + 1},
          {"method", "tools/call"},
          {"params",
           {{"name", "submit_draft"},
            {"arguments",
             {{"workflow", "community_replies"},
              {"channel", "linkedin"},
              {"agent", "bench-agent"},
              {"confidence", 0.5},
              {"output", kDraft},
              {"metadata", {{"bench", "mcp_await_bench"}, {"n", static_cast<int>(w.index)}}},
              {"idempotency_key", "mcp-await-bench-" + std::to_string(getpid()) + "-" + std::to_string(w.index)}}}}}};
      auto a = co_await exchange(stream, buffer, mcp_request(call));
      ++r_.submitted;
      const json answer = a.status == 200 ? json::parse(a.body, nullptr, false) : json();
      const json content = answer.is_object() && answer.contains("result")
                               ? answer["result"].value("structuredContent", json::object())
                               : json::object();
      const json escalation = content.value("escalation", json::object());
      if (a.error.empty() && content.value("verdict", "") == "escalated" && escalation.contains("id")) {
        latencies.push_back(seconds_between(a.sent, a.answered));
        ++r_.escalated;
        w.escalation_id = escalation["id"];
        const json person = escalation.value("owner", json::object()).value("person", json());
        w.owner = person.is_object() ? person.value("id", "") : "";
      } else if (r_.submit_failed++ == 0) {
        r_.first_submit_failure = a.error.empty() ? std::to_string(a.status) + " " + a.body.substr(0, 400) : a.error;
      }
      if (!a.error.empty()) co_return;  // the connection is gone
    }
  }

  // --- 2. an await_decision stream ---------------------------------------------------------------
  void on_event(Waiter& w, const std::string& block, Clock::time_point at) {
    std::string data;
    std::istringstream lines(block);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data:", 0) == 0) data += line.substr(line[5] == ' ' ? 6 : 5);
    }
    if (data.empty()) return;  // a comment (": waiting") or an event with no data
    const json message = json::parse(data, nullptr, false);
    if (!message.is_object()) {
      ++w.bad_events;
      return;
    }
    if (w.final) ++w.after_final;
    if (message.value("method", "") == "notifications/progress") {
      const json params = message.value("params", json::object());
      const bool token_ok = params.value("progressToken", json()) == json(w.progress_token);
      const bool increasing = params.value("progress", 0) > static_cast<int>(w.progress.size());
      if (!token_ok || !increasing) ++w.bad_events;
      w.progress.emplace_back(at, params.value("message", ""));
      return;
    }
    if (message.contains("result") || message.contains("error")) {
      if (w.final) return;
      w.final = true;
      w.final_at = at;
      if (message.value("id", json()) != json(static_cast<int>(w.index) + 1)) ++w.bad_events;
      if (message.contains("error")) {
        w.final_error = true;
        w.outcome = "error: " + message["error"].dump();
        return;
      }
      const json content = message["result"].value("structuredContent", json::object());
      w.outcome = content.value("outcome", "");
      const json escalation = content.value("escalation", json::object());
      w.final_escalation = escalation.value("id", "");
      w.final_status = escalation.value("status", "");
      const json decision = escalation.value("decision", json());
      w.final_macro = decision.is_object() ? decision.value("macro", "") : "";
      if (message["result"].value("isError", false)) {
        w.final_error = true;
        w.outcome += " (isError: " + content.dump().substr(0, 300) + ")";
      }
      return;
    }
    ++w.bad_events;
  }

  net::awaitable<void> waiter(Waiter& w) {
    tcp::socket socket(io_);
    w.started = Clock::now();
    auto [cec] = co_await socket.async_connect(endpoint_, kTuple);
    if (cec) {
      w.error = "connect: " + cec.message();
      w.end_at = Clock::now();
      poke();
      co_return;
    }
    const json call = {{"jsonrpc", "2.0"},
                       {"id", static_cast<int>(w.index) + 1},
                       {"method", "tools/call"},
                       {"params",
                        {{"name", "await_decision"},
                         {"arguments", {{"id", w.escalation_id}, {"timeout_seconds", 600}}},
                         {"_meta", {{"progressToken", w.progress_token}}}}}};
    const std::string body = call.dump();
    const std::string head = "POST /mcp HTTP/1.1\r\nHost: " + host_ + "\r\nAuthorization: Bearer " + kToken +
                             "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                             "Content-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n";
    const std::string whole = head + body;
    auto [wec, wn] = co_await net::async_write(socket, net::buffer(whole), kTuple);
    if (wec) {
      w.error = "write: " + wec.message();
      w.end_at = Clock::now();
      poke();
      co_return;
    }
    std::string buffer;
    char chunk[16384];
    for (;;) {
      auto [rec, n] = co_await socket.async_read_some(net::buffer(chunk), kTuple);
      const auto at = Clock::now();
      if (rec) {
        w.ended = true;
        w.end_at = at;
        if (rec != net::error::eof) w.error = "read: " + rec.message();
        poke();
        co_return;
      }
      buffer.append(chunk, n);
      if (!w.head) {
        const auto end = buffer.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        const std::string response_head = buffer.substr(0, end);
        buffer.erase(0, end + 4);
        w.head = true;
        w.head_at = at;
        if (response_head.size() > 12) w.status = std::atoi(response_head.c_str() + 9);
        std::string lower = response_head;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        const auto ct = lower.find("\r\ncontent-type:");
        if (ct != std::string::npos) {
          const auto from = lower.find_first_not_of(' ', ct + 15);
          w.content_type = lower.substr(from, lower.find("\r\n", from) - from);
        }
        if (w.status != 200 || w.content_type.rfind("text/event-stream", 0) != 0)
          w.error = "answered " + std::to_string(w.status) + " " + w.content_type + ": " + buffer.substr(0, 300);
        poke();
      }
      bool any = false;
      for (auto end = buffer.find("\n\n"); end != std::string::npos; end = buffer.find("\n\n")) {
        on_event(w, buffer.substr(0, end), at);
        buffer.erase(0, end + 2);
        any = true;
      }
      if (any) poke();
    }
  }

  // --- 4. a person deciding ----------------------------------------------------------------------
  std::map<std::string, std::string> cookies_;  // person → "desk_acting_as=…"

  net::awaitable<std::string> acting_as(const std::string& person) {
    if (auto it = cookies_.find(person); it != cookies_.end()) co_return it->second;
    auto a = co_await console(console_post("/sandbox/acting-as", "person=" + form_encode(person), ""));
    const std::string cookie = a.set_cookie.substr(0, a.set_cookie.find(';'));
    if (a.status != 303 || cookie.empty()) {
      if (r_.first_decide_failure.empty())
        r_.first_decide_failure = "acting-as " + person + ": answered " + std::to_string(a.status) + " " + a.error;
      co_return std::string{};
    }
    cookies_[person] = cookie;
    co_return cookie;
  }

  net::awaitable<void> decide_one(Waiter& w, std::size_t n) {
    auto refuse = [&](const std::string& why) {
      ++r_.decide_refused;
      if (r_.first_decide_failure.empty()) r_.first_decide_failure = w.escalation_id + ": " + why;
    };
    const std::string cookie = co_await acting_as(w.owner);
    if (cookie.empty()) co_return refuse("no acting-as cookie for " + w.owner);
    const std::string macro = n % 2 ? "reject" : "accept";
    // The macro button. A fresh escalation that was never re-owned is at generation 0 (the channel
    // page shows only the newest 50 posts, so the bench does not read it from there).
    const std::size_t progress_before = w.progress.size();
    auto begun = co_await console(
        console_post("/sandbox/begin", "escalation=" + w.escalation_id + "&generation=0&macro=" + macro, cookie));
    const auto gen_at = begun.body.find("name=\"generation\" value=\"");
    if (begun.status != 200 || gen_at == std::string::npos)
      co_return refuse("begin answered " + std::to_string(begun.status) + " " + begun.error);
    const int generation = std::atoi(begun.body.c_str() + gen_at + 26);
    // Triaged: the waiter should hear of it (a progress notification) before anyone decides.
    auto triaged = [&]() -> const std::pair<Clock::time_point, std::string>* {
      for (std::size_t i = progress_before; i < w.progress.size(); ++i)
        if (w.progress[i].second.find("is now triaged") != std::string::npos) return &w.progress[i];
      return nullptr;
    };
    co_await wait_for([&] { return triaged() || !w.waiting(); }, Clock::now() + 10s);
    if (const auto* heard = triaged()) {
      ++r_.begin_progress_seen;
      r_.begin_to_progress.push_back(seconds_between(begun.sent, heard->first));
    }
    const std::string rationale =
        "Bench decision " + std::to_string(n) + ": the licence claim was checked against the regulator's register.";
    auto decided =
        co_await console(console_post("/sandbox/decide",
                                      "escalation=" + w.escalation_id + "&generation=" + std::to_string(generation) +
                                          "&macro=" + macro + "&rationale=" + form_encode(rationale),
                                      cookie));
    if (decided.status != 200 || decided.body.find(w.escalation_id + " is decided") == std::string::npos)
      co_return refuse("decide answered " + std::to_string(decided.status) + " " + decided.error + " " +
                       decided.body.substr(0, 200));
    ++r_.decided;
    decided_at_[w.index] = decided.sent;
    decided_macro_[w.index] = macro == "accept" ? "accepted" : "rejected";
    r_.decide_post.push_back(seconds_between(decided.sent, decided.answered));
    if (!co_await wait_for([&] { return w.final || w.ended; }, Clock::now() + 10s) || !w.final) {
      ++r_.answers_missing;
      co_return;
    }
    r_.decide_to_answer.push_back(seconds_between(decided.sent, w.final_at));
    r_.decided_reply_to_answer.push_back(seconds_between(decided.answered, w.final_at));
  }

  // --- the run -----------------------------------------------------------------------------------
  net::awaitable<void> main() {
    // 1. The escalations.
    waiters_.resize(o_.waiters);
    for (std::size_t i = 0; i < waiters_.size(); ++i) {
      waiters_[i].index = i;
      waiters_[i].progress_token = "await-" + std::to_string(i);
    }
    {
      std::size_t next = 0;
      std::vector<double> latencies;
      std::size_t running = o_.submit_connections;
      const auto t0 = Clock::now();
      for (std::size_t c = 0; c < o_.submit_connections; ++c)
        net::co_spawn(io_, submitter(next, latencies), [&](std::exception_ptr) {
          --running;
          poke();
        });
      co_await wait_for([&] { return running == 0; }, Clock::time_point::max());
      r_.submit_s = seconds_between(t0, Clock::now());
      r_.submit_p50_ms = percentile_ms(latencies, 0.5);
      r_.submit_p99_ms = percentile_ms(latencies, 0.99);
    }
    if (r_.escalated != waiters_.size()) {
      r_.problem = "only " + std::to_string(r_.escalated) + " of " + std::to_string(waiters_.size()) +
                   " drafts escalated; first failure: " + r_.first_submit_failure;
      co_return;
    }
    // The outbox posts each escalation to the console channel: let that finish first.
    r_.settle_after_submit_s = co_await settle(30s);

    // 2. The desk idle, holding nothing.
    r_.before = sample(pid_);
    if (o_.baseline_seconds > 0) {
      const auto t0 = Clock::now();
      co_await sleep_until(t0 + std::chrono::seconds(o_.baseline_seconds));
      const DeskSample end = sample(pid_);
      r_.baseline_window_s = seconds_between(t0, Clock::now());
      r_.baseline_cpu_s = end.cpu_s - r_.before.cpu_s;
      r_.baseline_on_cpu_ms = static_cast<double>(end.on_cpu_ns - r_.before.on_cpu_ns) / 1e6;
    }

    // The person's browser connection, then the waiters, all at once.
    co_await open_console();
    pinging_ = true;
    net::co_spawn(io_, pinger(), net::detached);
    const auto open_start = Clock::now();
    for (auto& w : waiters_) net::co_spawn(io_, waiter(w), net::detached);
    co_await wait_for(
        [&] {
          return std::all_of(waiters_.begin(), waiters_.end(), [](const Waiter& w) { return w.head || w.ended; });
        },
        open_start + o_.open_timeout);
    Clock::time_point last_head = open_start;
    for (const auto& w : waiters_) {
      if (w.head) last_head = std::max(last_head, w.head_at);
      if (w.waiting())
        ++r_.opened;
      else if (r_.open_failed++ == 0)
        r_.first_open_failure =
            !w.head ? "no response head within " + std::to_string(o_.open_timeout.count()) + " s of connecting"
            : !w.error.empty() ? w.error
            : w.final          ? w.escalation_id + " answered at once: " + w.outcome
                               : w.escalation_id + " ended without a result";
    }
    r_.open_all_s = seconds_between(open_start, last_head);
    r_.accept_queue = accept_queue_of(r_.port);
    // Each stream's first read of its escalation happens after its head: wait for the desk to go quiet.
    r_.settle_after_open_s = co_await settle(30s);

    // 3. Holding them all.
    {
      std::vector<std::size_t> progress_at_start;
      std::size_t answered_before = 0, ended_before = 0;
      for (const auto& w : waiters_) {
        progress_at_start.push_back(w.progress.size());
        answered_before += w.final;
        ended_before += w.ended;
      }
      r_.holding_start = sample(pid_);
      r_.hold_max_rss_kb = r_.holding_start.rss_kb;
      const double self_before = self_cpu_seconds();
      const auto t0 = Clock::now();
      long long previous = r_.holding_start.on_cpu_ns;
      for (int s = 1; s <= o_.hold_seconds; ++s) {
        co_await sleep_until(t0 + std::chrono::seconds(s));
        const long long now = desk::bench::sched_times_of(pid_).on_cpu_ns;
        r_.hold_per_second_on_cpu_ms.push_back(static_cast<double>(now - previous) / 1e6);
        previous = now;
        r_.hold_max_rss_kb = std::max(r_.hold_max_rss_kb, desk::bench::status_kb_of(pid_, "VmRSS"));
      }
      r_.holding_end = sample(pid_);
      r_.hold_window_s = seconds_between(t0, Clock::now());
      r_.bench_hold_cpu_s = self_cpu_seconds() - self_before;
      r_.hold_cpu_s = r_.holding_end.cpu_s - r_.holding_start.cpu_s;
      r_.hold_on_cpu_ms = static_cast<double>(r_.holding_end.on_cpu_ns - r_.holding_start.on_cpu_ns) / 1e6;
      if (!r_.hold_per_second_on_cpu_ms.empty())
        r_.hold_max_1s_on_cpu_ms =
            *std::max_element(r_.hold_per_second_on_cpu_ms.begin(), r_.hold_per_second_on_cpu_ms.end());
      bool first = true;
      for (const auto& w : waiters_) {
        r_.answered_during_hold += w.final;
        r_.ended_during_hold += w.ended;
        if (!w.waiting()) continue;
        const std::size_t got = w.progress.size() - progress_at_start[w.index];
        r_.hold_progress += got;
        r_.hold_progress_min = first ? got : std::min(r_.hold_progress_min, got);
        r_.hold_progress_max = std::max(r_.hold_progress_max, got);
        first = false;
      }
      r_.answered_during_hold -= answered_before;
      r_.ended_during_hold -= ended_before;
    }

    // 4. Deciding some, one at a time, spread over the waiters whose streams are open.
    co_await stop_pinger();
    std::vector<std::size_t> open;
    for (const auto& w : waiters_)
      if (w.waiting()) open.push_back(w.index);
    const std::size_t k = std::min(o_.decide, open.size());
    for (std::size_t n = 0; n < k; ++n) {
      Waiter& w = waiters_[open[n * open.size() / k]];
      co_await decide_one(w, n);
      if (r_.console_unreachable) {
        r_.problem = "the console could not be reached to decide (see the first decision failure); " +
                     std::to_string(k - n - 1) + " decisions skipped";
        break;
      }
    }
    // Late answers to the undecided, if any, would show within a second or two.
    co_await sleep_until(Clock::now() + 2s);
    for (const auto& w : waiters_) {
      r_.bad_events += w.bad_events + w.after_final;
      const bool was_decided = decided_at_.count(w.index) > 0;
      if (w.head && w.head_at > open_start + o_.open_timeout) ++r_.opened_late;
      if (!w.head && !w.ended) ++r_.never_opened;
      if (was_decided) {
        const bool right = w.final && !w.final_error && w.outcome == "decided" &&
                           w.final_escalation == w.escalation_id && w.final_status == decided_macro_[w.index];
        if (w.final && w.final_at < decided_at_[w.index]) ++r_.answered_early;
        if (right) {
          ++r_.ok_decided;
        } else if (r_.wrong_outcome++ == 0) {
          r_.first_wrong = w.escalation_id + ": outcome '" + w.outcome + "', status '" + w.final_status +
                           "', expected " + decided_macro_[w.index] + (w.error.empty() ? "" : "; " + w.error);
        }
      } else if (w.final) {
        ++r_.undecided_answered;
        if (r_.first_wrong.empty())
          r_.first_wrong = w.escalation_id + " (not decided) was answered: outcome '" + w.outcome + "'";
      } else if (w.ended || !w.error.empty()) {
        if (w.head) ++r_.dropped;
        if (w.head && r_.first_wrong.empty())
          r_.first_wrong =
              w.escalation_id + " (not decided) ended without a result" + (w.error.empty() ? "" : ": " + w.error);
      } else if (w.head) {
        ++r_.undecided_waiting;
      }
    }
    r_.after = sample(pid_);

    // 5. Stopping the desk with streams open.
    for (const auto& w : waiters_) r_.open_at_stop += w.waiting();
    const auto stop_at = Clock::now();
    desk_.signal(SIGTERM);
    while (Clock::now() - stop_at < 20s && state_of(pid_) != 'Z' && state_of(pid_) != '?')
      co_await sleep_until(Clock::now() + 5ms);
    r_.exit_ms = std::chrono::duration<double, std::milli>(Clock::now() - stop_at).count();
    co_await wait_for(
        [&] {
          return std::none_of(waiters_.begin(), waiters_.end(), [](const Waiter& w) { return w.head && !w.ended; });
        },
        Clock::now() + 5s);
    for (const auto& w : waiters_) {
      if (!w.head || !w.ended || w.end_at < stop_at) continue;
      ++r_.ended_on_stop;
      if (w.final && w.final_at >= stop_at) ++r_.result_on_stop;
    }
    for (const auto& w : waiters_) r_.still_open_after_stop += w.head && !w.ended;
  }

  const Options& o_;
  desk::testing::DeskProcess& desk_;
  pid_t pid_;
  Report& r_;
  net::steady_timer signal_;
  tcp::endpoint endpoint_;
  std::string host_;
  std::vector<Waiter> waiters_;
  std::map<std::size_t, Clock::time_point> decided_at_;
  std::map<std::size_t, std::string> decided_macro_;
};

// --- Reporting ---------------------------------------------------------------------------------------

double mib(long kb) { return static_cast<double>(kb) / 1024.0; }

void print_report(const Report& r, const std::string& binary) {
  const Options& o = r.options;
  const double extra_mib = mib(r.holding_start.rss_kb - r.before.rss_kb);
  std::printf("mcp_await_bench: %s sandbox, %zu await_decision waiters, %d s hold, %zu decided\n\n", binary.c_str(),
              o.waiters, o.hold_seconds, o.decide);
  auto row = [](const char* label, const std::string& value) { std::printf("  %-62s %s\n", label, value.c_str()); };
  auto f = [](const char* format, auto... v) {
    char cell[160];
    std::snprintf(cell, sizeof cell, format, v...);
    return std::string(cell);
  };
  std::printf("setup\n");
  std::string edits;
  for (const auto& e : r.config_edits) edits += (edits.empty() ? "" : "; ") + e;
  row("per-token limits lifted in the config copy", edits.empty() ? "none" : edits);
  row("start to listening (ms)", f("%.0f", r.start_ms));
  row("submit_draft over MCP: escalated / failed", f("%zu / %zu", r.escalated, r.submit_failed));
  row("  in (s), 16 connections; p50 / p99 (ms)", f("%.2f; %.1f / %.1f", r.submit_s, r.submit_p50_ms, r.submit_p99_ms));
  row("  desk settled after (s)", f("%.1f", r.settle_after_submit_s));
  std::printf("idle, no waiter\n");
  row("desk RSS (MiB) / threads / open fds",
      f("%.1f / %ld / %zu", mib(r.before.rss_kb), r.before.threads, r.before.fds));
  row("desk CPU over the idle window",
      f("%.2f s in %.1f s (%.2f%%); on-CPU %.1f ms", r.baseline_cpu_s, r.baseline_window_s,
        r.baseline_window_s > 0 ? 100 * r.baseline_cpu_s / r.baseline_window_s : 0, r.baseline_on_cpu_ms));
  std::printf("opening the waiters\n");
  row("streams open (200 text/event-stream) / asked", f("%zu / %zu", r.opened, o.waiters));
  row("  not open within the timeout, or refused", f("%zu", r.open_failed));
  row("  connect to last head received (s)", f("%.2f", r.open_all_s));
  row("  accepted by the kernel, not by the desk (accept queue)", f("%ld", r.accept_queue));
  row("  desk settled after (s)", f("%.1f", r.settle_after_open_s));
  std::printf("holding them (%zu waiting)\n", r.opened);
  row("desk RSS with them waiting (MiB)", f("%.1f (max in the hold %.1f; peak VmHWM %.1f)", mib(r.holding_start.rss_kb),
                                            mib(r.hold_max_rss_kb), mib(r.holding_end.hwm_kb)));
  row("  extra over idle (MiB) / per open waiter (KiB)",
      f("%.1f / %.1f", extra_mib, r.opened ? 1024.0 * extra_mib / static_cast<double>(r.opened) : 0.0));
  row("desk threads / open fds", f("%ld / %zu", r.holding_start.threads, r.holding_start.fds));
  row("desk CPU over the hold (utime+stime)", f("%.2f s in %.1f s = %.2f%% of one core", r.hold_cpu_s, r.hold_window_s,
                                                r.hold_window_s > 0 ? 100 * r.hold_cpu_s / r.hold_window_s : 0));
  row("  on-CPU (schedstat, ms) / busiest second (ms)", f("%.1f / %.1f", r.hold_on_cpu_ms, r.hold_max_1s_on_cpu_ms));
  row("  this bench's CPU over the hold (s)", f("%.2f", r.bench_hold_cpu_s));
  row("progress notifications in the hold: all (min-max each)",
      f("%zu (%zu-%zu)", r.hold_progress, r.hold_progress_min, r.hold_progress_max));
  row("answered / ended during the hold (want 0 / 0)", f("%zu / %zu", r.answered_during_hold, r.ended_during_hold));
  std::printf("deciding %zu, one at a time (console: acting-as, begin, decide)\n", o.decide);
  row("decided / refused", f("%zu / %zu", r.decided, r.decide_refused));
  row("  console keep-alive GETs before deciding / reconnects", f("%zu / %zu", r.console_pings, r.console_reconnects));
  row("begin -> 'triaged' progress p50 / p99 / max (ms)",
      f("%.1f / %.1f / %.1f (%zu seen)", percentile_ms(r.begin_to_progress, 0.5),
        percentile_ms(r.begin_to_progress, 0.99), percentile_ms(r.begin_to_progress, 1.0), r.begin_progress_seen));
  row("decide POST round trip p50 / p99 / max (ms)",
      f("%.1f / %.1f / %.1f", percentile_ms(r.decide_post, 0.5), percentile_ms(r.decide_post, 0.99),
        percentile_ms(r.decide_post, 1.0)));
  row("decide sent -> final result p50 / p99 / max (ms)",
      f("%.1f / %.1f / %.1f", percentile_ms(r.decide_to_answer, 0.5), percentile_ms(r.decide_to_answer, 0.99),
        percentile_ms(r.decide_to_answer, 1.0)));
  row("decide answered -> final result p50 / p99 (ms; < 0: result first)",
      f("%.1f / %.1f", percentile_ms(r.decided_reply_to_answer, 0.5), percentile_ms(r.decided_reply_to_answer, 0.99)));
  row("no final result within 10 s of deciding", f("%zu", r.answers_missing));
  std::printf("checks\n");
  row("decided and answered 'decided', right macro", f("%zu / %zu", r.ok_decided, r.decided));
  row("wrong outcome / answered before the decision", f("%zu / %zu", r.wrong_outcome, r.answered_early));
  row("undecided still waiting / answered / dropped",
      f("%zu / %zu / %zu", r.undecided_waiting, r.undecided_answered, r.dropped));
  row("opened only after the timeout / never opened", f("%zu / %zu", r.opened_late, r.never_opened));
  row("malformed or unexpected events", f("%zu", r.bad_events));
  row("desk RSS after deciding (MiB)", f("%.1f", mib(r.after.rss_kb)));
  std::printf("stopping (SIGTERM with streams open)\n");
  row("exit code / time to exit (ms)", f("%d / %.0f", r.exit_code, r.exit_ms));
  row("streams open at the stop / ended by it / with a result / left open",
      f("%zu / %zu / %zu / %zu", r.open_at_stop, r.ended_on_stop, r.result_on_stop, r.still_open_after_stop));
  row("desk log: error / warn lines / SLA deadlines fired",
      f("%zu / %zu / %zu", r.log_errors, r.log_warnings, r.sla_fired));
  if (!r.first_submit_failure.empty()) std::printf("\nfirst submission failure: %s\n", r.first_submit_failure.c_str());
  if (!r.first_open_failure.empty()) std::printf("first waiter not open: %s\n", r.first_open_failure.c_str());
  if (!r.first_decide_failure.empty()) std::printf("first decision failure: %s\n", r.first_decide_failure.c_str());
  if (!r.first_wrong.empty()) std::printf("first wrong answer: %s\n", r.first_wrong.c_str());
  if (!r.first_log_error.empty()) std::printf("first desk log error: %s\n", r.first_log_error.c_str());
  if (!r.problem.empty()) std::printf("PROBLEM: %s\n", r.problem.c_str());
}

json to_json(const Report& r) {
  auto ms = [](const std::vector<double>& v) {
    return json{{"n", v.size()},
                {"p50", percentile_ms(v, 0.5)},
                {"p99", percentile_ms(v, 0.99)},
                {"max", percentile_ms(v, 1.0)}};
  };
  return {{"waiters", r.options.waiters},
          {"hold_seconds", r.options.hold_seconds},
          {"decide", r.options.decide},
          {"start_ms", r.start_ms},
          {"config_edits", r.config_edits},
          {"escalated", r.escalated},
          {"submit_failed", r.submit_failed},
          {"submit_seconds", r.submit_s},
          {"idle_rss_mib", mib(r.before.rss_kb)},
          {"idle_cpu_s", r.baseline_cpu_s},
          {"idle_window_s", r.baseline_window_s},
          {"opened", r.opened},
          {"open_failed", r.open_failed},
          {"open_all_s", r.open_all_s},
          {"accept_queue", r.accept_queue},
          {"holding_rss_mib", mib(r.holding_start.rss_kb)},
          {"holding_max_rss_mib", mib(r.hold_max_rss_kb)},
          {"extra_rss_mib", mib(r.holding_start.rss_kb - r.before.rss_kb)},
          {"holding_fds", r.holding_start.fds},
          {"holding_threads", r.holding_start.threads},
          {"hold_window_s", r.hold_window_s},
          {"hold_cpu_s", r.hold_cpu_s},
          {"hold_cpu_percent", r.hold_window_s > 0 ? 100 * r.hold_cpu_s / r.hold_window_s : 0},
          {"hold_on_cpu_ms", r.hold_on_cpu_ms},
          {"hold_per_second_on_cpu_ms", r.hold_per_second_on_cpu_ms},
          {"bench_hold_cpu_s", r.bench_hold_cpu_s},
          {"hold_progress", r.hold_progress},
          {"answered_during_hold", r.answered_during_hold},
          {"ended_during_hold", r.ended_during_hold},
          {"decided", r.decided},
          {"decide_refused", r.decide_refused},
          {"begin_to_progress_ms", ms(r.begin_to_progress)},
          {"decide_post_ms", ms(r.decide_post)},
          {"decide_to_answer_ms", ms(r.decide_to_answer)},
          {"decide_reply_to_answer_ms", ms(r.decided_reply_to_answer)},
          {"ok_decided", r.ok_decided},
          {"wrong_outcome", r.wrong_outcome},
          {"answered_early", r.answered_early},
          {"undecided_waiting", r.undecided_waiting},
          {"undecided_answered", r.undecided_answered},
          {"dropped", r.dropped},
          {"opened_late", r.opened_late},
          {"never_opened", r.never_opened},
          {"bad_events", r.bad_events},
          {"exit_code", r.exit_code},
          {"exit_ms", r.exit_ms},
          {"ended_on_stop", r.ended_on_stop},
          {"log_errors", r.log_errors},
          {"sla_fired", r.sla_fired},
          {"console_pings", r.console_pings},
          {"console_unreachable", r.console_unreachable},
          {"problem", r.problem}};
}

/// The port in the sandbox's "open http://127.0.0.1:PORT/ in a browser" line; 0 until printed.
std::uint16_t announced_port(const std::string& output) {
  const std::string marker = "Escalation Desk sandbox: open http://";
  const auto at = output.find(marker);
  if (at == std::string::npos) return 0;
  const auto colon = output.find(':', at + marker.size());
  const auto slash = output.find('/', at + marker.size());
  if (colon == std::string::npos || slash == std::string::npos || colon > slash) return 0;
  return static_cast<std::uint16_t>(std::atoi(output.c_str() + colon + 1));
}

}  // namespace

int main(int argc, char** argv) {
  Report r;
  r.options = parse(argc, argv);
  const Options& o = r.options;
  ::signal(SIGPIPE, SIG_IGN);
  // One descriptor per waiter here and in the desk (which inherits this limit), plus slack.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < o.waiters + 256)
    std::fprintf(stderr, "mcp_await_bench: warning: RLIMIT_NOFILE is %llu for %zu waiters\n",
                 static_cast<unsigned long long>(limit.rlim_cur), o.waiters);

  const desk::testing::TempDir dir("mcp-await-bench");
  std::string config = o.config;
  if (!o.keep_limits) {
    std::ifstream in(o.config);
    if (!in) usage("cannot read " + o.config);
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = text.str();
    for (const std::string key : {"requests_per_minute:", "open_escalations_per_token:"}) {
      const auto at = yaml.find("\n  " + key);
      if (at == std::string::npos) continue;  // an older config without the limit
      const auto value = at + 3 + key.size();
      const auto end = yaml.find_first_of("#\n", value);
      std::string was = yaml.substr(value, end - value);
      was.erase(was.find_last_not_of(' ') + 1);
      r.config_edits.push_back(key + was + " -> 0");
      yaml.replace(value, end - value, " 0 ");
    }
    // In the temp dir: the config's only relative path is desk.database, which --database overrides.
    config = dir.file("desk.yaml");
    std::ofstream(config) << yaml;
  }
  const auto spawned = Clock::now();
  desk::testing::DeskProcess desk(
      {{"DESK_INTAKE_TOKENS", kToken}, {"DESK_LOG_LEVEL", "info"}},
      {o.binary, "sandbox", "--config", config, "--database", dir.file("bench.db"), "--listen", "127.0.0.1:0"});
  while (Clock::now() - spawned < 20s && !(r.port = announced_port(desk.output_so_far())))
    std::this_thread::sleep_for(1ms);
  r.start_ms = std::chrono::duration<double, std::milli>(Clock::now() - spawned).count();
  if (r.port == 0) {
    std::fprintf(stderr, "mcp_await_bench: the sandbox never announced its URL:\n%s\n", desk.output_so_far().c_str());
    return 1;
  }

  Bench(o, desk, r.port, r).run();

  const auto exit = desk.wait(20s);
  r.exit_code = exit.exit_code;
  std::istringstream log(exit.output);
  for (std::string line; std::getline(log, line);) {
    if (line.find("level=error") != std::string::npos || line.find("level=fatal") != std::string::npos) {
      if (r.log_errors++ == 0) r.first_log_error = line.substr(0, 400);
    } else if (line.find("level=warn") != std::string::npos) {
      ++r.log_warnings;
    }
    if (line.find("event=sla.fired") != std::string::npos) ++r.sla_fired;
  }
  if (!o.keep_log.empty()) std::ofstream(o.keep_log) << exit.output;

  print_report(r, o.binary);
  if (!o.json_path.empty()) std::ofstream(o.json_path) << to_json(r).dump(2) << '\n';
  // A run that lost a waiter, answered one wrongly or early, or saw the desk fail is not a figure to quote.
  const bool ok = r.problem.empty() && r.opened == o.waiters && r.ok_decided == o.decide && r.decided == o.decide &&
                  r.wrong_outcome == 0 && r.answered_early == 0 && r.undecided_answered == 0 && r.dropped == 0 &&
                  r.answered_during_hold == 0 && r.ended_during_hold == 0 && r.bad_events == 0 && r.exit_code == 0;
  return ok ? 0 : 1;
}
