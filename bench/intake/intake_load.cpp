#include "bench/intake/intake_load.hpp"

#include <time.h>

#include <algorithm>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace desk::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

/// Everything the agents share; touched on the agents' thread only, but for `stopping`.
struct IntakeLoad::Run {
  tcp::endpoint desk;
  std::vector<Draft> drafts;
  IntakeLoadOptions options;
  Clock::time_point start;  // submission i is due at start + i / rate (open loop)
  std::size_t next = 0;
  std::atomic<bool> stopping{false};
  net::io_context io{1};

  bool more() const {
    return !stopping.load(std::memory_order_relaxed) && (options.submissions == 0 || next < options.submissions);
  }
  Clock::time_point due(std::size_t i) const {
    return start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(i) / options.rate));
  }

  net::awaitable<void> connect(beast::tcp_stream& stream) {
    const auto give_up = Clock::now() + options.connect_for;
    net::steady_timer pause(stream.get_executor());
    for (;;) {
      try {
        co_await stream.async_connect(desk, net::use_awaitable);
        co_return;
      } catch (const boost::system::system_error&) {
        if (Clock::now() >= give_up || stopping.load()) throw;
      }
      stream.close();
      pause.expires_after(std::chrono::milliseconds(2));
      co_await pause.async_wait(net::use_awaitable);
    }
  }

  net::awaitable<void> agent(IntakeResults& out) {
    beast::tcp_stream stream(co_await net::this_coro::executor);
    co_await connect(stream);
    beast::flat_buffer buffer;
    net::steady_timer timer(stream.get_executor());
    while (more()) {
      const std::size_t i = next++;
      const Draft& draft = drafts[i % drafts.size()];
      if (options.rate > 0) {
        timer.expires_at(due(i));
        co_await timer.async_wait(net::use_awaitable);
      }
      http::request<http::string_body> req{http::verb::post, "/v1/submissions", 11};
      req.set(http::field::host, "127.0.0.1");
      req.set(http::field::authorization, "Bearer " + options.token);
      req.set(http::field::content_type, "application/json");
      req.set("Idempotency-Key", options.key_prefix + "-" + std::to_string(i));
      req.body() = draft.body;
      req.prepare_payload();
      http::response<http::string_body> res;
      const auto started = Clock::now();
      co_await http::async_write(stream, req, net::use_awaitable);
      co_await http::async_read(stream, buffer, res, net::use_awaitable);
      const auto answered = Clock::now();
      out.latencies.push_back(std::chrono::duration<double>(answered - started).count());
      if (options.rate > 0) out.from_schedule.push_back(std::chrono::duration<double>(answered - due(i)).count());
      out.escalate_expected += draft.should_escalate ? 1 : 0;
      if (res.result_int() == 200) {
        ++out.ok;
      } else if (res.result_int() == 201) {
        ++out.created;
        const std::string location(res[http::field::location]);
        out.escalation_ids.push_back(location.substr(location.rfind('/') + 1));
      } else if (out.other++ == 0) {
        out.first_other = std::to_string(res.result_int()) + " " + res.body();
      }
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
};

IntakeLoad::IntakeLoad(std::uint16_t port, std::vector<Draft> drafts, IntakeLoadOptions options)
    : run_(std::make_unique<Run>()) {
  if (drafts.empty()) throw std::invalid_argument("IntakeLoad needs at least one draft");
  run_->desk = tcp::endpoint(net::ip::make_address("127.0.0.1"), port);
  run_->drafts = std::move(drafts);
  run_->options = std::move(options);
  // An open loop's schedule starts after the connects; a closed loop starts at once.
  run_->start = Clock::now() + std::chrono::milliseconds(run_->options.rate > 0 ? 50 : 0);
  for (std::size_t c = 0; c < run_->options.connections; ++c) {
    net::co_spawn(run_->io, run_->agent(results_), [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        if (results_.other++ == 0) results_.first_other = std::string("connection failed: ") + x.what();
      }
    });
  }
  thread_ = std::thread([this] {
    const double before = thread_cpu_seconds();
    run_->io.run();
    results_.cpu = thread_cpu_seconds() - before;
    results_.elapsed = std::chrono::duration<double>(Clock::now() - run_->start).count();
  });
}

IntakeLoad::~IntakeLoad() { stop(); }

void IntakeLoad::stop() {
  run_->stopping = true;
  wait();
}

void IntakeLoad::wait() {
  if (thread_.joinable()) thread_.join();
}

std::uint16_t free_loopback_port() {
  namespace net = boost::asio;
  net::io_context io;
  net::ip::tcp::acceptor probe(io, {net::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

double percentile_ms(std::vector<double> seconds, double p) {
  if (seconds.empty()) return 0;
  std::sort(seconds.begin(), seconds.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(seconds.size() - 1) + 0.5);
  return seconds[std::min(i, seconds.size() - 1)] * 1e3;
}

}  // namespace desk::bench
