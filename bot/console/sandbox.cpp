#include "bot/console/sandbox.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "bot/slack/log.hpp"

namespace desk::bot::console {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

}  // namespace

ConsoleSurface::ConsoleSurface(SurfaceContext& context, EventHub& hub)
    : deliverer_(context.store, hub, context.clock),
      until_stopped_(context.executor, std::chrono::steady_clock::time_point::max()) {
  context.outbox.add(deliverer_);
}

net::awaitable<void> ConsoleSurface::run() {
  // Nothing to connect to: the console's channel lives in the desk. It "runs" until the desk stops.
  co_await until_stopped_.async_wait(kTuple);
}

void ConsoleSurface::stop() { until_stopped_.cancel(); }

core::Policy sped_up(core::Policy policy, int speed) {
  if (speed <= 1) return policy;
  auto scale = [speed](core::Seconds s) { return std::max(core::Seconds{1}, s / speed); };
  policy.sla.triage = scale(policy.sla.triage);
  policy.sla.backup_ping = scale(policy.sla.backup_ping);
  policy.sla.decision = scale(policy.sla.decision);
  return policy;
}

std::vector<std::string> demo_submissions(const core::Policy& policy) {
  using nlohmann::json;
  const json cases[] = {
      {{"workflow", "community_replies"},
       {"channel", "linkedin"},
       {"agent", "social-agent-3"},
       {"confidence", 0.62},
       {"prompt", "Write a LinkedIn post announcing our launch in Germany"},
       {"output",
        "Big news: we are proud to be the first licensed platform of its kind in Germany, and every customer is "
        "covered from day one."},
       {"permalink", "https://www.linkedin.com/feed/update/urn:li:activity:7000000000000000001"},
       {"suggested_fix", "Drop the licence claim (the licence is not public yet) and say we are launching in Germany."},
       {"metadata", {{"campaign", "launch-week"}, {"sandbox", true}}}},
      {{"workflow", "community_replies"},
       {"channel", "community_dm"},
       {"agent", "community-agent-1"},
       {"confidence", 0.88},
       {"prompt", "Reply to a customer asking whether we can drop the onboarding charge"},
       {"output", "Thanks for asking! For a team your size we can waive the fee for the first three months."},
       {"suggested_fix", "Say that a colleague from sales will get back to them about pricing."},
       {"metadata", {{"thread", "dm-4411"}, {"sandbox", true}}}},
      {{"workflow", "email_nurture"},
       {"channel", "email"},
       {"agent", "nurture-agent-1"},
       {"confidence", 0.95},
       {"prompt", "Follow up with trial users who have not activated"},
       {"output",
        "Hi Sam, we noticed the card ending 4111 1111 1111 1111 failed. Call us on +44 20 7946 0958 or write to "
        "sam.taylor@example.com and we will sort it out."},
       {"suggested_fix", "Remove the card number, phone and address; link to the billing page instead."},
       {"metadata", {{"segment", "trial-inactive"}, {"sandbox", true}}}},
      {{"workflow", "thought_leadership"},
       {"channel", "blog"},
       {"agent", "research-agent"},
       {"confidence", 0.91},
       {"prompt", "Outline an article on AI adoption in marketing teams"},
       {"output",
        "1. Adoption doubled last year, according to the latest industry survey. 2. Teams that review agent "
        "output ship faster. 3. What to automate next."},
       {"citations", json::array({{{"url", "https://example.com/survey-2023"}, {"published_at", "2023-02-01"}}})},
       {"suggested_fix", "Cite a survey from the last twelve months, or drop the figure."},
       {"metadata", {{"series", "ai-in-marketing"}, {"sandbox", true}}}},
  };
  std::vector<std::string> out;
  for (const auto& c : cases)
    if (policy.workflows.contains(c["workflow"].get<std::string>())) out.push_back(c.dump());
  return out;
}

net::awaitable<void> feed_demo(net::any_io_executor executor, std::uint16_t port, std::string token,
                               std::vector<std::string> bodies, std::chrono::milliseconds gap) {
  net::steady_timer pause(executor);
  int n = 0;
  for (auto& body : bodies) {
    if (n++ > 0) {
      pause.expires_after(gap);
      auto [ec] = co_await pause.async_wait(kTuple);
      if (ec) co_return;  // the desk is stopping
    }
    beast::tcp_stream stream(executor);
    stream.expires_after(std::chrono::seconds{10});
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    auto [cec] = co_await stream.async_connect(endpoint, kTuple);
    if (cec) {
      slack::log_warn("sandbox.demo_failed", {{"error", cec.message()}});
      co_return;
    }
    http::request<http::string_body> req{http::verb::post, "/v1/submissions", 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.set(http::field::content_type, "application/json");
    req.set(http::field::authorization, "Bearer " + token);
    req.set("Idempotency-Key", "sandbox-demo-" + std::to_string(n));
    req.body() = std::move(body);
    req.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    if (!wec) {
      auto [rec, rn] = co_await http::async_read(stream, buffer, res, kTuple);
      wec = rec;
    }
    if (wec) {
      slack::log_warn("sandbox.demo_failed", {{"error", wec.message()}});
      co_return;
    }
    const auto answer = nlohmann::json::parse(res.body(), nullptr, false);
    std::string escalation;
    if (answer.is_object() && answer.contains("escalation") && answer["escalation"].is_object())
      escalation = answer["escalation"].value("id", "");
    slack::log_info("sandbox.demo_submitted", {{"case", n},
                                               {"status", res.result_int()},
                                               {"verdict", answer.is_object() ? answer.value("verdict", "") : ""},
                                               {"escalation", escalation}});
  }
}

}  // namespace desk::bot::console
