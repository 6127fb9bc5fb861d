#pragma once
/// `POST /mcp`: the Model Context Protocol over Streamable HTTP, stateless, for agents. It speaks the
/// handshake-based revisions 2025-06-18 and 2025-11-25 (initialize, then requests) and the stateless
/// 2026-07-28 (every request carries its version in _meta and in headers that must agree with the
/// body; server/discover). A tools/call becomes the intake API request that does the work, so an agent
/// on MCP gets what the REST API gives; await_decision becomes a response that stays open.
///
/// Pure: a request in, what to do out. The desk runs the REST requests and the waits.
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/mcp/await_stream.hpp"
#include "bot/mcp/mcp_tools.hpp"
#include "handlers/intake_handler.hpp"

namespace desk::bot::mcp {

inline constexpr const char* kEndpointPath = "/mcp";
inline constexpr const char* kModernVersion = "2026-07-28";
/// Every revision served, newest first.
inline const std::vector<std::string> kSupportedVersions = {"2026-07-28", "2025-11-25", "2025-06-18"};

struct McpEndpointOptions {
  std::string server_version;
  /// The listener is on loopback: requests must then name a loopback host (no DNS rebinding).
  bool loopback_listener = true;
  /// Browser origins allowed besides the desk's own (an Origin naming the Host it was sent to).
  std::vector<std::string> allowed_origins;
};

/// A tools/call answered by the intake API: run `rest`, then send `finish(its answer)`.
struct McpRestCall {
  handlers::HttpRequest rest;
  std::function<handlers::HttpResponse(const handlers::HttpResponse&)> finish;
};

/// An await_decision call: the response stays open (see await_stream.hpp).
struct McpAwait {
  AwaitCall call;
  std::vector<std::pair<std::string, std::string>> headers;
};

using McpStep = std::variant<handlers::HttpResponse, McpRestCall, McpAwait>;

class McpEndpoint {
 public:
  /// `workflows` gives the workflows tools/list names (read at each call: the policy may reload).
  /// `accepts` says whether a request carries an accepted bearer token. `throttle` counts a request
  /// answered here against its token's rate and gives the 429 when it is over (tool calls are counted
  /// by the intake API they become, so REST and MCP share one rate).
  McpEndpoint(McpEndpointOptions options, std::function<std::vector<WorkflowChoice>()> workflows,
              std::function<bool(const handlers::HttpRequest&)> accepts,
              std::function<std::optional<handlers::HttpResponse>(const handlers::HttpRequest&)> throttle = {});

  /// True for requests this endpoint answers (the path /mcp, with or without a query).
  static bool owns(std::string_view target);

  /// On a request's head, before its body is read: the 403 for a foreign Origin or Host, the 401 for
  /// a missing or wrong token, or nullopt to read on.
  std::optional<handlers::HttpResponse> screen(const handlers::HttpRequest& head) const;

  /// Answers a whole request, or says what the desk must run to answer it. Never throws.
  McpStep handle(const handlers::HttpRequest& request) const;

  /// Cheap look at a body: could this be an await_decision call (which streams)? No false negatives.
  static bool may_await(const handlers::HttpRequest& request);

 private:
  McpStep dispatch(const handlers::HttpRequest& request) const;

  McpEndpointOptions options_;
  std::function<std::vector<WorkflowChoice>()> workflows_;
  std::function<bool(const handlers::HttpRequest&)> accepts_;
  std::function<std::optional<handlers::HttpResponse>(const handlers::HttpRequest&)> throttle_;
};

}  // namespace desk::bot::mcp
