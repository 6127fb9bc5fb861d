#include "bot/mcp/await_stream.hpp"

#include <functional>
#include <random>

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

class AwaitSession {
 public:
  AwaitSession(net::any_io_executor executor, DecisionWatch& watch, RestRunner rest, AwaitCall call)
      : executor_(std::move(executor)),
        watch_(watch),
        rest_(std::move(rest)),
        call_(std::move(call)),
        deadline_(std::chrono::steady_clock::now() + call_.request.timeout) {
    // Waits opened together would otherwise beat together: the first heartbeat comes at a random
    // point of its period, so a thousand of them spread over it instead of arriving at once.
    std::minstd_rand random(static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                            static_cast<unsigned>(std::hash<std::string>{}(call_.request.escalation_id)));
    const auto period = std::chrono::duration_cast<std::chrono::milliseconds>(call_.heartbeat).count();
    first_beat_ = std::chrono::milliseconds(period > 1 ? 1 + static_cast<long>(random() % period) : period);
  }

  net::awaitable<std::optional<std::string>> next() {
    while (!done_) {
      if (!fresh_) {
        // The first read is the call's own (counted against the token's rate, like any request);
        // the ones a change brings about are the desk's.
        auto request = escalation_read(call_.request.escalation_id, call_.authorization);
        request.internal = reads_++ > 0;
        epoch_ = watch_.epoch();  // whatever is notified from here on may not be in this read
        auto answer = co_await run_on(executor_, rest_, std::move(request));
        fresh_ = true;
        if (answer.status != 200) co_return finish(tool_result(kGetEscalation, answer));
        json escalation = json::parse(answer.body, nullptr, false);
        if (!escalation.is_object()) co_return finish(tool_result(kGetEscalation, {500, "", "", {}}));
        const std::string status = escalation.value("status", std::string{});
        if (status == "accepted" || status == "rejected") co_return finish(await_result(escalation, true));
        if (std::chrono::steady_clock::now() >= deadline_) co_return finish(await_result(escalation, false));
        // Only a few words are kept while waiting: the escalation is read again for any answer.
        const std::string previous = fingerprint_;
        fingerprint_ = escalation_fingerprint(status, escalation.value("owner", json::object()).value("role", ""));
        id_ = escalation.value("id", std::string{});
        state_words_ = status + ", owned by " + owner_words(escalation);
        const bool reporting = call_.progress_token && call_.sse;
        // The first word says what the wait started from (the caller may have read the escalation long
        // ago); then one for each move.
        if (reporting && previous.empty())
          co_return progress("Waiting for a decision on " + id_ + ": it is " + state_words_ + ".");
        if (reporting && previous != fingerprint_)
          co_return progress(id_ + " is now " + state_words_ + "; waiting for a decision.");
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline_) {
        fresh_ = false;  // answer with the state as it is now
        continue;
      }
      const auto beat = beats_++ == 0 ? first_beat_ : std::chrono::milliseconds(call_.heartbeat);
      const auto tick = call_.sse ? std::min(deadline_, now + beat) : deadline_;
      switch (co_await watch_.wait(call_.request.escalation_id, fingerprint_, tick, &epoch_)) {
        case DecisionWatch::Wake::closed:
          done_ = true;  // the desk is stopping: the client retries the call against the next one
          co_return std::nullopt;
        case DecisionWatch::Wake::changed:
          fresh_ = false;
          break;
        case DecisionWatch::Wake::deadline:
          if (std::chrono::steady_clock::now() >= deadline_) {
            fresh_ = false;
            continue;
          }
          if (call_.progress_token) co_return progress("Still waiting: " + id_ + " is " + state_words_ + ".");
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
  std::string fingerprint_;
  std::string id_;
  std::string state_words_;  ///< "open, owned by duty_lead (Erin)"
  std::uint64_t epoch_ = 0;
  std::chrono::milliseconds first_beat_{0};
  int beats_ = 0;
  int reads_ = 0;
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
