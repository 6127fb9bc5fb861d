#pragma once
/// The answer to an await_decision call, as a response that stays open until the escalation is
/// decided or the wait runs out. It reads the escalation through the intake API (so the caller's token
/// is checked and scoped exactly as for get_escalation), then sleeps on the DecisionWatch, reading
/// again only when the watch says the escalation changed. Over SSE it sends a progress notification
/// when the escalation moves (triaged, sent to legal, re-owned) and, every so often, one saying it is
/// still waiting, so clients and proxies with idle timeouts keep the call.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "bot/intake_server.hpp"
#include "bot/mcp/decision_watch.hpp"
#include "bot/mcp/mcp_tools.hpp"

namespace desk::bot::mcp {

/// Runs an intake API request where it may wait for the store and calls back with the answer, from
/// any thread (the desk's IntakeCommitter::submit).
using RestRunner = std::function<void(handlers::HttpRequest, std::function<void(handlers::HttpResponse)>)>;

/// What an escalation's fingerprint is made of (the watch compares these): its status and owner role.
std::string escalation_fingerprint(const std::string& status, const std::string& owner_role);

struct AwaitCall {
  nlohmann::json rpc_id;
  AwaitRequest request;
  std::string authorization;
  std::optional<nlohmann::json> progress_token;  ///< the call's _meta.progressToken
  bool sse = true;                               ///< an event stream; else one JSON body at the end
  std::chrono::seconds heartbeat{15};            ///< "still waiting" this often (SSE only)
  /// Adds what the request's protocol revision wants on a final result (resultType, serverInfo).
  std::function<nlohmann::json(nlohmann::json)> complete;
};

/// The streaming response that answers `call`. `watch` must outlive the response.
StreamingResponse await_decision_response(boost::asio::any_io_executor executor, DecisionWatch& watch, RestRunner rest,
                                          AwaitCall call,
                                          std::vector<std::pair<std::string, std::string>> headers = {});

}  // namespace desk::bot::mcp
