#include "bot/mcp/await_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/mcp/json_rpc.hpp"

namespace desk::bot::mcp {

namespace net = boost::asio;
using json = nlohmann::json;

std::string escalation_fingerprint(const std::string& status, const std::string& owner_role) {
  return status + "/" + owner_role;
}

namespace {

/// Runs `request` through `rest` and resumes on `executor` with its answer.
net::awaitable<handlers::HttpResponse> run_on(net::any_io_executor executor, const RestRunner& rest,
                                              handlers::HttpRequest request) {
  struct Slot {
    explicit Slot(net::any_io_executor e) : wake(e, std::chrono::steady_clock::time_point::max()) {}
    std::optional<handlers::HttpResponse> answer;
    net::steady_timer wake;
  };
  auto slot = std::make_shared<Slot>(executor);
  // The answer is posted back, so it can never arrive before the wait below has begun.
  rest(std::move(request), [slot, executor](handlers::HttpResponse answer) {
    net::post(executor, [slot, answer = std::move(answer)]() mutable {
      slot->answer = std::move(answer);
      slot->wake.cancel();
    });
  });
  while (!slot->answer) co_await slot->wake.async_wait(net::as_tuple(net::use_awaitable));
  co_return std::move(*slot->answer);
}

std::string owner_of(const json& escalation) {
  const json owner = escalation.value("owner", json::object());
  std::string words = owner.value("role", std::string{});
  if (const json person = owner.value("person", json()); person.is_object())
    words += " (" + person.value("name", person.value("id", std::string{})) + ")";
  return words;
}

class AwaitSession {
 public:
  AwaitSession(net::any_io_executor executor, DecisionWatch& watch, RestRunner rest, AwaitCall call)
      : executor_(std::move(executor)),
        watch_(watch),
        rest_(std::move(rest)),
        call_(std::move(call)),
        deadline_(std::chrono::steady_clock::now() + call_.request.timeout) {}

  net::awaitable<std::optional<std::string>> next() {
    while (!done_) {
      if (!fresh_) {
        auto answer =
            co_await run_on(executor_, rest_, escalation_read(call_.request.escalation_id, call_.authorization));
        fresh_ = true;
        if (answer.status != 200) co_return finish(tool_result(kGetEscalation, answer));
        escalation_ = json::parse(answer.body, nullptr, false);
        if (!escalation_.is_object()) co_return finish(tool_result(kGetEscalation, {500, "", "", {}}));
        const std::string status = escalation_.value("status", std::string{});
        if (status == "accepted" || status == "rejected") co_return finish(await_result(escalation_, true));
        const std::string previous = fingerprint_;
        fingerprint_ = escalation_fingerprint(status, escalation_.value("owner", json::object()).value("role", ""));
        const bool reporting = call_.progress_token && call_.sse && std::chrono::steady_clock::now() < deadline_;
        // The first word says what the wait started from (the caller may have read the escalation long
        // ago); then one for each move.
        if (reporting && previous.empty())
          co_return progress("Waiting for a decision on " + escalation_.value("id", std::string{}) + ": it is " +
                             status + ", owned by " + owner_of(escalation_) + ".");
        if (reporting && previous != fingerprint_)
          co_return progress(escalation_.value("id", std::string{}) + " is now " + status + ", owned by " +
                             owner_of(escalation_) + "; waiting for a decision.");
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline_) co_return finish(await_result(escalation_, false));
      const auto tick = call_.sse ? std::min(deadline_, now + call_.heartbeat) : deadline_;
      switch (co_await watch_.wait(call_.request.escalation_id, fingerprint_, tick)) {
        case DecisionWatch::Wake::closed:
          done_ = true;  // the desk is stopping: the client retries the call against the next one
          co_return std::nullopt;
        case DecisionWatch::Wake::changed:
          fresh_ = false;
          break;
        case DecisionWatch::Wake::deadline:
          if (std::chrono::steady_clock::now() >= deadline_) {
            fresh_ = false;  // answer with the state as it is now, not as it was
            continue;
          }
          if (call_.progress_token)
            co_return progress("Still waiting: " + escalation_.value("id", std::string{}) + " is " +
                               escalation_.value("status", std::string{}) + ", owned by " + owner_of(escalation_) +
                               ".");
          co_return std::string(": waiting\n\n");  // an SSE comment: keeps idle timeouts away
      }
    }
    co_return std::nullopt;
  }

 private:
  std::string event(const json& message) const {
    const std::string text = dump_message(message);
    return call_.sse ? "event: message\ndata: " + text + "\n\n" : text;
  }

  std::string finish(json result) {
    done_ = true;
    if (call_.complete) result = call_.complete(std::move(result));
    return event(rpc_result(call_.rpc_id, std::move(result)));
  }

  std::string progress(const std::string& message) {
    return event(
        rpc_notification("notifications/progress",
                         {{"progressToken", *call_.progress_token}, {"progress", ++progress_}, {"message", message}}));
  }

  net::any_io_executor executor_;
  DecisionWatch& watch_;
  RestRunner rest_;
  AwaitCall call_;
  std::chrono::steady_clock::time_point deadline_;
  json escalation_;
  std::string fingerprint_;
  int progress_ = 0;
  bool fresh_ = false;
  bool done_ = false;
};

}  // namespace

StreamingResponse await_decision_response(net::any_io_executor executor, DecisionWatch& watch, RestRunner rest,
                                          AwaitCall call, std::vector<std::pair<std::string, std::string>> headers) {
  const bool sse = call.sse;
  auto session = std::make_shared<AwaitSession>(std::move(executor), watch, std::move(rest), std::move(call));
  StreamingResponse response;
  response.head.status = 200;
  response.head.content_type = sse ? "text/event-stream" : "application/json";
  response.head.headers = std::move(headers);
  response.head.headers.emplace_back("Cache-Control", "no-store");
  response.next = [session]() { return session->next(); };
  return response;
}

}  // namespace desk::bot::mcp
