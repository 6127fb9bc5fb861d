#include "bot/mcp/mcp_endpoint.hpp"

#include <algorithm>
#include <cctype>

#include "bot/mcp/json_rpc.hpp"
#include "core/base64.hpp"
#include "handlers/http_text.hpp"

namespace desk::bot::mcp {

namespace {

using handlers::HttpRequest;
using handlers::HttpResponse;
using handlers::lower_ascii;
using handlers::trim_spaces;
using json = nlohmann::json;

constexpr const char* kProtocolVersionMeta = "io.modelcontextprotocol/protocolVersion";
constexpr const char* kClientCapabilitiesMeta = "io.modelcontextprotocol/clientCapabilities";
constexpr const char* kServerInfoMeta = "io.modelcontextprotocol/serverInfo";
/// The revisions that open with initialize.
const std::vector<std::string> kHandshakeVersions = {"2025-11-25", "2025-06-18"};
/// How long a client may keep tools/list and server/discover: the workflows named in the schemas
/// change only when the policy is reloaded.
constexpr int kListTtlMs = 60'000;
constexpr std::size_t kMaxProgressToken = 256;

constexpr const char* kInstructions =
    "Escalation Desk puts a person between your drafts and publication. Before publishing marketing "
    "content, call submit_draft. If the verdict is 'approved', publish. If it is 'escalated', do not "
    "publish: call await_decision with the escalation id until the outcome is 'decided', then publish only "
    "if the decision's macro is 'accept', applying its rationale. Use check_draft to test a revision "
    "without alerting anyone.";

HttpResponse json_answer(int status, const json& body) { return {status, "application/json", dump_message(body), {}}; }

/// An HTTP-level refusal whose body is a JSON-RPC error (with the request's id when known).
HttpResponse refusal(int status, int code, const std::string& message, const json& id = nullptr,
                     std::optional<json> data = std::nullopt) {
  return json_answer(status, rpc_error(id, code, message, std::move(data)));
}

/// Does the Accept header let us answer with `type`? No header: yes.
bool accepts_type(const HttpRequest& r, std::string_view type) {
  const std::string* accept = r.header("accept");
  if (!accept) return true;
  std::string_view rest = *accept;
  const std::string major = std::string(type.substr(0, type.find('/'))) + "/*";
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string item = handlers::media_type(rest.substr(0, comma));
    if (item == type || item == "*/*" || item == major) return true;
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return false;
}

/// "scheme://host[:port]" from an Origin, lower-cased; nullopt when it is not of that form.
std::optional<std::string> origin_authority(const std::string& origin, std::string* scheme) {
  const auto sep = origin.find("://");
  if (sep == std::string::npos) return std::nullopt;
  *scheme = lower_ascii(origin.substr(0, sep));
  std::string authority = lower_ascii(origin.substr(sep + 3));
  if (authority.empty() || authority.find('/') != std::string::npos) return std::nullopt;
  return authority;
}

/// The value of an Mcp-Name header: as sent, or decoded from the "=?base64?…?=" form.
std::optional<std::string> header_value(const std::string& raw) {
  constexpr std::string_view kPrefix = "=?base64?", kSuffix = "?=";
  if (raw.size() >= kPrefix.size() + kSuffix.size() && raw.compare(0, kPrefix.size(), kPrefix) == 0 &&
      raw.compare(raw.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
    return core::base64_decode(raw.substr(kPrefix.size(), raw.size() - kPrefix.size() - kSuffix.size()));
  for (unsigned char c : raw)
    if ((c < 0x20 && c != '\t') || c > 0x7e) return std::nullopt;
  return std::string(trim_spaces(raw));
}

}  // namespace

McpEndpoint::McpEndpoint(McpEndpointOptions options, std::function<std::vector<WorkflowChoice>()> workflows,
                         std::function<bool(const HttpRequest&)> accepts,
                         std::function<std::optional<HttpResponse>(const HttpRequest&)> throttle)
    : options_(std::move(options)),
      workflows_(std::move(workflows)),
      accepts_(std::move(accepts)),
      throttle_(std::move(throttle)) {}

bool McpEndpoint::owns(std::string_view target) { return target.substr(0, target.find('?')) == kEndpointPath; }

bool McpEndpoint::may_await(const HttpRequest& request) {
  return request.method == "POST" && request.body.find("tools/call") != std::string::npos &&
         request.body.find(kAwaitDecision) != std::string::npos;
}

std::optional<HttpResponse> McpEndpoint::screen(const HttpRequest& head) const {
  // DNS rebinding: a page on a foreign site whose name now points here must not reach the desk. On a
  // loopback listener the Host must name loopback; any browser Origin must be the desk's own or listed.
  const std::string* host = head.header("host");
  if (options_.loopback_listener && host && !handlers::loopback_host(*host))
    return refusal(403, rpc_code::kInvalidRequest,
                   "Forbidden: this desk listens on loopback and answers only to localhost, 127.0.0.1 or [::1]");
  if (const std::string* origin = head.header("origin")) {
    const bool listed = std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), *origin) !=
                        options_.allowed_origins.end();
    std::string scheme;
    const auto authority = origin_authority(*origin, &scheme);
    const bool same = authority && host && (scheme == "http" || scheme == "https") &&
                      *authority == lower_ascii(*host) &&
                      (!options_.loopback_listener || handlers::loopback_host(*authority));
    if (!listed && !same)
      return refusal(403, rpc_code::kInvalidRequest, "Forbidden: the Origin '" + *origin + "' is not allowed");
  }
  if (!accepts_ || !accepts_(head)) {
    HttpResponse r = refusal(401, rpc_code::kInvalidRequest,
                             "Unauthorized: a valid 'Authorization: Bearer <token>' header is required (the intake "
                             "API's tokens)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  return std::nullopt;
}

McpStep McpEndpoint::handle(const HttpRequest& request) const {
  try {
    return dispatch(request);
  } catch (const std::exception&) {
    // Nothing was done: a protocol error, never a 5xx for the agent to retry blindly.
    return refusal(400, rpc_code::kInternalError, "the desk could not handle this message");
  }
}

McpStep McpEndpoint::dispatch(const HttpRequest& request) const {
  if (request.method != "POST") {
    // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
    HttpResponse r = refusal(405, rpc_code::kInvalidRequest, "Method Not Allowed: the MCP endpoint takes POST only");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  if (auto refused = screen(request)) return *refused;
  if (!accepts_type(request, "application/json") && !accepts_type(request, "text/event-stream"))
    return refusal(406, rpc_code::kInvalidRequest,
                   "Not Acceptable: the client must accept application/json and text/event-stream");
  if (const std::string* type = request.header("content-type");
      !type || handlers::media_type(*type) != "application/json")
    return refusal(415, rpc_code::kInvalidRequest, "Unsupported Media Type: send 'Content-Type: application/json'");

  auto parsed = parse_message(request.body);
  if (auto* failure = std::get_if<RpcFailure>(&parsed))
    return refusal(400, failure->code, failure->message, failure->id);
  const RpcMessage& message = std::get<RpcMessage>(parsed);
  // Notifications (initialized, cancelled, progress) and responses need no answer: nothing here keeps
  // state a notification could change, and the desk sends no requests a response could answer.
  if (message.kind != RpcMessage::Kind::request) return HttpResponse{202, "", "", {}};

  const json& id = message.id;
  if (message.method != "tools/call" && throttle_) {
    if (auto refused = throttle_(request)) {
      const std::string* wait = refused->header("Retry-After");
      HttpResponse r = refusal(429, rpc_code::kInvalidRequest,
                               "Too Many Requests: this token is over its rate (limits.requests_per_minute)" +
                                   (wait ? "; retry in " + *wait + " s" : std::string{}),
                               id);
      r.headers = refused->headers;  // Retry-After
      return r;
    }
  }
  const json params = message.params.is_object() ? message.params : json::object();
  const json meta = params.contains("_meta") && params["_meta"].is_object() ? params["_meta"] : json::object();
  // Which revision this request speaks. 2026-07-28 names its version in the header and in _meta (the
  // two must agree); the handshake revisions send the header after initialize, or none before it.
  const std::string* version_header = request.header("mcp-protocol-version");
  const std::string header_version = version_header ? std::string(trim_spaces(*version_header)) : std::string{};
  const bool handshake_header = version_header && (std::find(kHandshakeVersions.begin(), kHandshakeVersions.end(),
                                                             header_version) != kHandshakeVersions.end() ||
                                                   header_version == "2025-03-26");
  const bool modern = (version_header && !handshake_header) || meta.contains(kProtocolVersionMeta);

  if (!modern) {
    if (message.method == "initialize") {
      // Answer with the client's version when served, else the newest handshake revision. Nothing is
      // kept (stateless), so no session id is minted.
      if (!params.contains("protocolVersion") || !params["protocolVersion"].is_string())
        return refusal(400, rpc_code::kInvalidParams, "initialize needs 'protocolVersion' (a string)", id);
      const std::string asked = params["protocolVersion"];
      const bool served =
          std::find(kHandshakeVersions.begin(), kHandshakeVersions.end(), asked) != kHandshakeVersions.end();
      return json_answer(
          200,
          rpc_result(
              id, {{"protocolVersion", served ? asked : kHandshakeVersions.front()},
                   {"capabilities", {{"tools", {{"listChanged", false}}}}},
                   {"serverInfo",
                    {{"name", "escalation-desk"}, {"title", "Escalation Desk"}, {"version", options_.server_version}}},
                   {"instructions", kInstructions}}));
    }
  } else {
    // The checks in the order 2026-07-28 gives them: header present, _meta complete, header equals
    // body, version served, then the method and name headers against the body.
    if (!version_header)
      return refusal(400, rpc_code::kHeaderMismatch, "Header mismatch: the MCP-Protocol-Version header is required",
                     id);
    if (!meta.contains(kProtocolVersionMeta) || !meta[kProtocolVersionMeta].is_string() ||
        !meta.contains(kClientCapabilitiesMeta) || !meta[kClientCapabilitiesMeta].is_object())
      return refusal(400, rpc_code::kInvalidParams,
                     std::string("Invalid params: _meta must carry '") + kProtocolVersionMeta + "' (a string) and '" +
                         kClientCapabilitiesMeta + "' (an object)",
                     id);
    const std::string version = meta[kProtocolVersionMeta];
    if (header_version != version)
      return refusal(400, rpc_code::kHeaderMismatch,
                     "Header mismatch: MCP-Protocol-Version header value '" + header_version +
                         "' does not match _meta's protocolVersion '" + version + "'",
                     id);
    if (version != kModernVersion)
      return refusal(400, rpc_code::kUnsupportedProtocolVersion, "Unsupported protocol version", id,
                     json{{"supported", kSupportedVersions}, {"requested", version}});
    const std::string* method_header = request.header("mcp-method");
    if (!method_header || trim_spaces(*method_header) != message.method)
      return refusal(
          400, rpc_code::kHeaderMismatch,
          "Header mismatch: the Mcp-Method header must be sent and equal the body's method '" + message.method + "'",
          id);
    if (message.method == "tools/call") {
      const std::string* name_header = request.header("mcp-name");
      const auto name = name_header ? header_value(*name_header) : std::nullopt;
      if (!name || !params.contains("name") || !params["name"].is_string() ||
          *name != params["name"].get<std::string>())
        return refusal(400, rpc_code::kHeaderMismatch,
                       "Header mismatch: the Mcp-Name header must be sent and equal the body's params.name", id);
    }
  }

  // Results of 2026-07-28 say they are complete and who answered; the older revisions have neither.
  const std::string server_version = options_.server_version;
  auto complete = [modern, server_version](json result) {
    if (modern) {
      result["resultType"] = "complete";
      result["_meta"][kServerInfoMeta] = {{"name", "escalation-desk"}, {"version", server_version}};
    }
    return result;
  };
  auto not_found = [&]() -> McpStep {
    // 2026-07-28 answers an unknown method with 404; the older revisions with the JSON-RPC error alone.
    return refusal(modern ? 404 : 200, rpc_code::kMethodNotFound, "Method not found: " + message.method, id);
  };

  if (message.method == "ping") {
    if (modern) return not_found();  // removed in 2026-07-28
    return json_answer(200, rpc_result(id, json::object()));
  }
  if (message.method == "server/discover") {
    return json_answer(200, rpc_result(id, complete({{"supportedVersions", kSupportedVersions},
                                                     {"capabilities", {{"tools", json::object()}}},
                                                     {"instructions", kInstructions},
                                                     {"ttlMs", kListTtlMs},
                                                     {"cacheScope", "public"}})));
  }
  if (message.method == "tools/list") {
    if (params.contains("cursor") && !params["cursor"].is_null())
      return refusal(200, rpc_code::kInvalidParams, "Invalid params: unknown cursor (the list has one page)", id);
    json result = {{"tools", tool_list(workflows_ ? workflows_() : std::vector<WorkflowChoice>{})}};
    if (modern) {
      result["ttlMs"] = kListTtlMs;
      result["cacheScope"] = "public";  // the same for every caller: nothing in it is per-agent
    }
    return json_answer(200, rpc_result(id, complete(std::move(result))));
  }
  if (message.method != "tools/call") return not_found();

  if (!params.contains("name") || !params["name"].is_string())
    return refusal(200, rpc_code::kInvalidParams, "Invalid params: tools/call needs 'name' (a string)", id);
  const std::string name = params["name"];
  const json arguments =
      params.contains("arguments") && !params["arguments"].is_null() ? params["arguments"] : json::object();
  const std::string* authorization = request.header("authorization");
  auto plan = plan_tool_call(name, arguments, authorization ? *authorization : std::string{});
  if (!plan) return refusal(200, rpc_code::kInvalidParams, "Unknown tool: " + name, id);
  if (auto* bad = std::get_if<ToolInputError>(&*plan))
    return json_answer(200, rpc_result(id, complete(input_error_result(*bad))));
  if (auto* rest = std::get_if<HttpRequest>(&*plan))
    return McpRestCall{std::move(*rest), [id, name, complete](const HttpResponse& answer) {
                         return json_answer(200, rpc_result(id, complete(tool_result(name, answer))));
                       }};

  AwaitCall call;
  call.rpc_id = id;
  call.request = std::get<AwaitRequest>(*plan);
  call.authorization = authorization ? *authorization : std::string{};
  if (meta.contains("progressToken")) {
    // Echoed in every notification of a wait that may last ten minutes: kept short.
    const json& token = meta["progressToken"];
    if (!(token.is_string() || token.is_number_integer()) ||
        (token.is_string() && token.get_ref<const std::string&>().size() > kMaxProgressToken))
      return refusal(400, rpc_code::kInvalidParams,
                     "Invalid params: _meta.progressToken must be a string of at most " +
                         std::to_string(kMaxProgressToken) + " characters or an integer",
                     id);
    call.progress_token = token;
  }
  call.sse = accepts_type(request, "text/event-stream");
  call.complete = complete;
  McpAwait await{std::move(call), {}};
  if (await.call.sse) await.headers.emplace_back("X-Accel-Buffering", "no");  // proxies must not hold events back
  return await;
}

}  // namespace desk::bot::mcp
