// The MCP endpoint without sockets: JSON-RPC parsing (hostile input included), the HTTP and version
// rules of 2025-06-18, 2025-11-25 and 2026-07-28, the tools' mapping onto the intake API, the watch
// that wakes await_decision calls, and the await's stream.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "bot/mcp/await_stream.hpp"
#include "bot/mcp/decision_watch.hpp"
#include "bot/mcp/json_rpc.hpp"
#include "bot/mcp/mcp_endpoint.hpp"
#include "bot/mcp/mcp_tools.hpp"

namespace desk::bot::mcp {
namespace {

using handlers::HttpRequest;
using handlers::HttpResponse;
using json = nlohmann::json;
namespace net = boost::asio;

constexpr const char* kBearer = "Bearer mcp-agent-token-0123456789";
const json kModernMeta = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                          {"io.modelcontextprotocol/clientCapabilities", json::object()}};

// ---- JSON-RPC ----

RpcFailure failure_of(std::string_view text) {
  auto parsed = parse_message(text);
  EXPECT_TRUE(std::holds_alternative<RpcFailure>(parsed)) << text;
  return std::holds_alternative<RpcFailure>(parsed) ? std::get<RpcFailure>(parsed) : RpcFailure{};
}

TEST(McpJsonRpc, ReadsRequestsNotificationsAndResponses) {
  auto request = std::get<RpcMessage>(parse_message(R"({"jsonrpc":"2.0","id":"a-1","method":"tools/list"})"));
  EXPECT_EQ(request.kind, RpcMessage::Kind::request);
  EXPECT_EQ(request.id, "a-1");
  EXPECT_EQ(request.method, "tools/list");
  EXPECT_TRUE(request.params.is_null());
  auto numbered = std::get<RpcMessage>(parse_message(R"({"jsonrpc":"2.0","id":7,"method":"ping","params":{}})"));
  EXPECT_EQ(numbered.id, 7);
  auto note = std::get<RpcMessage>(parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  EXPECT_EQ(note.kind, RpcMessage::Kind::notification);
  auto response = std::get<RpcMessage>(parse_message(R"({"jsonrpc":"2.0","id":3,"result":{}})"));
  EXPECT_EQ(response.kind, RpcMessage::Kind::response);
}

TEST(McpJsonRpc, RefusesHostileAndMalformedMessagesWithTheRightCode) {
  EXPECT_EQ(failure_of("{not json").code, rpc_code::kParseError);
  EXPECT_EQ(failure_of("").code, rpc_code::kParseError);
  EXPECT_EQ(failure_of("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}").code, rpc_code::kParseError);
  const auto batch = failure_of(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  EXPECT_EQ(batch.code, rpc_code::kInvalidRequest);
  EXPECT_NE(batch.message.find("batch"), std::string::npos);
  EXPECT_EQ(failure_of("42").code, rpc_code::kInvalidRequest);
  EXPECT_EQ(failure_of(R"({"jsonrpc":"1.0","id":1,"method":"ping"})").code, rpc_code::kInvalidRequest);
  EXPECT_EQ(failure_of(R"({"id":1,"method":"ping"})").code, rpc_code::kInvalidRequest);
  EXPECT_EQ(failure_of(R"({"jsonrpc":"2.0","id":null,"method":"ping"})").code, rpc_code::kInvalidRequest);
  EXPECT_EQ(failure_of(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})").code, rpc_code::kInvalidRequest);
  EXPECT_EQ(failure_of(R"({"jsonrpc":"2.0","id":{},"method":"ping"})").code, rpc_code::kInvalidRequest);
  EXPECT_EQ(failure_of(R"({"jsonrpc":"2.0","id":1,"method":5})").code, rpc_code::kInvalidRequest);
  const auto params = failure_of(R"({"jsonrpc":"2.0","id":9,"method":"ping","params":[1]})");
  EXPECT_EQ(params.code, rpc_code::kInvalidRequest);
  EXPECT_EQ(params.id, 9);  // known ids are echoed in the error
  EXPECT_EQ(failure_of(R"({"jsonrpc":"2.0","id":1,"result":{},"error":{}})").code, rpc_code::kInvalidRequest);
  // A million levels of nesting is refused as it is read, without recursing.
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  EXPECT_EQ(failure_of(deep).code, rpc_code::kInvalidRequest);
  const std::string deep_params = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":)" + std::string(100, '[') +
                                  std::string(100, ']') + "}}";
  EXPECT_EQ(failure_of(deep_params).code, rpc_code::kInvalidRequest);
}

TEST(McpJsonRpc, ErrorsOmitAnUnknownId) {
  EXPECT_FALSE(rpc_error(nullptr, -32600, "x").contains("id"));
  EXPECT_EQ(rpc_error(4, -32600, "x")["id"], 4);
  EXPECT_EQ(rpc_error("s", -32022, "x", json{{"supported", {"2026-07-28"}}})["error"]["data"]["supported"][0],
            "2026-07-28");
}

// ---- The endpoint ----

McpEndpoint endpoint(McpEndpointOptions options = {}) {
  options.server_version = "9.9.9";
  return McpEndpoint(
      options,
      [] {
        return std::vector<WorkflowChoice>{{"community_replies", "Replies to the community"}};
      },
      [](const HttpRequest& r) {
        auto it = r.headers.find("authorization");
        return it != r.headers.end() && it->second == kBearer;
      });
}

HttpRequest mcp_post(const json& body, std::map<std::string, std::string> extra = {}) {
  HttpRequest r{"POST",
                "/mcp",
                {{"content-type", "application/json"},
                 {"accept", "application/json, text/event-stream"},
                 {"host", "127.0.0.1:8080"},
                 {"authorization", kBearer}},
                body.dump()};
  for (auto& [k, v] : extra) {
    if (v.empty())
      r.headers.erase(k);
    else
      r.headers[k] = v;
  }
  return r;
}

/// A 2026-07-28 request with every header that revision wants.
HttpRequest modern(const std::string& method, json params = json::object(),
                   std::map<std::string, std::string> extra = {}) {
  params["_meta"] = kModernMeta;
  std::map<std::string, std::string> headers = {{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", method}};
  if (method == "tools/call") headers["mcp-name"] = params.value("name", "");
  for (auto& [k, v] : extra) headers[k] = v;
  return mcp_post({{"jsonrpc", "2.0"}, {"id", 11}, {"method", method}, {"params", params}}, headers);
}

HttpResponse answer_of(const McpStep& step) {
  EXPECT_TRUE(std::holds_alternative<HttpResponse>(step));
  return std::holds_alternative<HttpResponse>(step) ? std::get<HttpResponse>(step) : HttpResponse{};
}

json body_of(const HttpResponse& r) {
  EXPECT_EQ(r.content_type, "application/json") << r.status;
  // One line of compact JSON: clients that read line by line see the whole message.
  EXPECT_EQ(r.body.find('\n'), std::string::npos) << r.body;
  return json::parse(r.body);
}

void expect_rpc_error(const McpStep& step, int status, int code, std::optional<json> id = std::nullopt) {
  const HttpResponse r = answer_of(step);
  EXPECT_EQ(r.status, status) << r.body;
  const json j = body_of(r);
  EXPECT_EQ(j["error"]["code"], code) << r.body;
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  if (id) { EXPECT_EQ(j["id"], *id) << r.body; }
}

TEST(McpEndpoint, InitializeNegotiatesAHandshakeVersionAndMintsNoSession) {
  const auto e = endpoint();
  auto init = [&](const std::string& version) {
    return body_of(answer_of(e.handle(mcp_post({{"jsonrpc", "2.0"},
                                                {"id", 1},
                                                {"method", "initialize"},
                                                {"params",
                                                 {{"protocolVersion", version},
                                                  {"capabilities", json::object()},
                                                  {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}}))));
  };
  EXPECT_EQ(init("2025-06-18")["result"]["protocolVersion"], "2025-06-18");
  const json latest = init("2025-11-25");
  EXPECT_EQ(latest["result"]["protocolVersion"], "2025-11-25");
  EXPECT_EQ(latest["result"]["serverInfo"]["name"], "escalation-desk");
  EXPECT_EQ(latest["result"]["serverInfo"]["version"], "9.9.9");
  EXPECT_TRUE(latest["result"]["capabilities"].contains("tools"));
  EXPECT_FALSE(latest["result"].contains("resultType"));                     // a 2026-07-28 field, not a handshake one
  EXPECT_EQ(init("2024-11-05")["result"]["protocolVersion"], "2025-11-25");  // ours, for the client to judge
  const HttpResponse r = answer_of(e.handle(mcp_post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"}})));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("Mcp-Session-Id"), nullptr);
  // The notification that follows is accepted with 202 and no body.
  const HttpResponse note = answer_of(e.handle(mcp_post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                                                        {{"mcp-protocol-version", "2025-11-25"}})));
  EXPECT_EQ(note.status, 202);
  EXPECT_TRUE(note.body.empty());
}

TEST(McpEndpoint, HandshakeRequestsPingAndListTools) {
  const auto e = endpoint();
  const json ping = body_of(answer_of(e.handle(
      mcp_post({{"jsonrpc", "2.0"}, {"id", "p"}, {"method", "ping"}}, {{"mcp-protocol-version", "2025-11-25"}}))));
  EXPECT_EQ(ping["result"], json::object());
  const json list = body_of(answer_of(e.handle(
      mcp_post({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}}, {{"mcp-protocol-version", "2025-06-18"}}))));
  std::vector<std::string> names;
  for (const auto& t : list["result"]["tools"]) {
    names.push_back(t["name"]);
    EXPECT_FALSE(t["description"].get<std::string>().empty());
    EXPECT_EQ(t["inputSchema"]["type"], "object");
    EXPECT_EQ(t["outputSchema"]["type"], "object");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"check_draft", "submit_draft", "get_escalation", "list_escalations",
                                             "await_decision"}));
  // The configured workflows are named in the schema, so a model picks a valid one.
  EXPECT_EQ(list["result"]["tools"][1]["inputSchema"]["properties"]["workflow"]["enum"],
            json::array({"community_replies"}));
  EXPECT_FALSE(list["result"].contains("ttlMs"));
  // A header naming a version nobody serves is refused.
  expect_rpc_error(e.handle(mcp_post({{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/list"}},
                                     {{"mcp-protocol-version", "1999-01-01"}})),
                   400, rpc_code::kInvalidParams, 3);
  expect_rpc_error(e.handle(mcp_post({{"jsonrpc", "2.0"}, {"id", 4}, {"method", "resources/list"}})), 200,
                   rpc_code::kMethodNotFound, 4);
}

TEST(McpEndpoint, DiscoverAndToolsListCarry2026Fields) {
  const auto e = endpoint();
  const json discover = body_of(answer_of(e.handle(modern("server/discover"))));
  const json& result = discover["result"];
  EXPECT_EQ(result["resultType"], "complete");
  EXPECT_EQ(result["supportedVersions"], json::array({"2026-07-28", "2025-11-25", "2025-06-18"}));
  EXPECT_TRUE(result["capabilities"].contains("tools"));
  EXPECT_EQ(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "escalation-desk");
  EXPECT_GE(result["ttlMs"].get<int>(), 0);
  EXPECT_EQ(result["cacheScope"], "public");
  const json list = body_of(answer_of(e.handle(modern("tools/list"))));
  EXPECT_EQ(list["result"]["resultType"], "complete");
  EXPECT_EQ(list["result"]["tools"].size(), 5u);
  EXPECT_TRUE(list["result"].contains("ttlMs"));
  // Removed in 2026-07-28: initialize and ping are unknown methods there, answered 404.
  expect_rpc_error(e.handle(modern("ping")), 404, rpc_code::kMethodNotFound, 11);
  expect_rpc_error(e.handle(modern("initialize", {{"protocolVersion", "2025-11-25"}})), 404, rpc_code::kMethodNotFound);
  expect_rpc_error(e.handle(modern("unknown/method")), 404, rpc_code::kMethodNotFound);
}

TEST(McpEndpoint, TheHeadersOf2026MustAgreeWithTheBodyInTheSpecsOrder) {
  const auto e = endpoint();
  // No version header while _meta names one.
  auto no_header = modern("tools/list");
  no_header.headers.erase("mcp-protocol-version");
  expect_rpc_error(e.handle(no_header), 400, rpc_code::kHeaderMismatch, 11);
  // _meta incomplete: Invalid params.
  for (const char* drop : {"io.modelcontextprotocol/protocolVersion", "io.modelcontextprotocol/clientCapabilities"}) {
    json body = json::parse(modern("server/discover").body);
    body["params"]["_meta"].erase(drop);
    expect_rpc_error(
        e.handle(mcp_post(body, {{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", "server/discover"}})), 400,
        rpc_code::kInvalidParams, 11);
  }
  expect_rpc_error(e.handle(mcp_post({{"jsonrpc", "2.0"}, {"id", 12}, {"method", "server/discover"}},
                                     {{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", "server/discover"}})),
                   400, rpc_code::kInvalidParams, 12);
  // The header disagrees with _meta: a mismatch, even when _meta names a version nobody serves.
  json other = json::parse(modern("tools/list").body);
  other["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "v999.0.0";
  expect_rpc_error(e.handle(mcp_post(other, {{"mcp-protocol-version", "2026-07-28"}, {"mcp-method", "tools/list"}})),
                   400, rpc_code::kHeaderMismatch);
  // Both name an unserved version: the list of those served, and what was asked.
  const HttpResponse unsupported =
      answer_of(e.handle(mcp_post(other, {{"mcp-protocol-version", "v999.0.0"}, {"mcp-method", "tools/list"}})));
  EXPECT_EQ(unsupported.status, 400);
  const json error = body_of(unsupported)["error"];
  EXPECT_EQ(error["code"], rpc_code::kUnsupportedProtocolVersion);
  EXPECT_EQ(error["data"]["requested"], "v999.0.0");
  EXPECT_EQ(error["data"]["supported"][0], "2026-07-28");
  // Mcp-Method: required, exact (values are case-sensitive), padding allowed; names are case-insensitive
  // by the time they get here (the server lower-cases them).
  expect_rpc_error(e.handle(modern("tools/list", json::object(), {{"mcp-method", "prompts/list"}})), 400,
                   rpc_code::kHeaderMismatch);
  expect_rpc_error(e.handle(modern("tools/list", json::object(), {{"mcp-method", "TOOLS/LIST"}})), 400,
                   rpc_code::kHeaderMismatch);
  auto no_method = modern("tools/list");
  no_method.headers.erase("mcp-method");
  expect_rpc_error(e.handle(no_method), 400, rpc_code::kHeaderMismatch);
  EXPECT_EQ(answer_of(e.handle(modern("tools/list", json::object(), {{"mcp-method", "  tools/list "}}))).status, 200);
  // Mcp-Name on tools/call: required, equal to params.name, base64 form decoded first.
  const json call = {{"name", "check_draft"}, {"arguments", json::object()}};
  expect_rpc_error(e.handle(modern("tools/call", call, {{"mcp-name", "wrong_tool_name"}})), 400,
                   rpc_code::kHeaderMismatch);
  auto no_name = modern("tools/call", call);
  no_name.headers.erase("mcp-name");
  expect_rpc_error(e.handle(no_name), 400, rpc_code::kHeaderMismatch);
  EXPECT_TRUE(
      std::holds_alternative<McpRestCall>(e.handle(modern("tools/call", call, {{"mcp-name", "  check_draft  "}}))));
  EXPECT_TRUE(std::holds_alternative<McpRestCall>(
      e.handle(modern("tools/call", call, {{"mcp-name", "=?base64?Y2hlY2tfZHJhZnQ=?="}}))));  // "check_draft"
  expect_rpc_error(e.handle(modern("tools/call", call, {{"mcp-name", "=?base64?Y2hlY2tfZHJhZnQ?="}})), 400,
                   rpc_code::kHeaderMismatch);  // bad padding
  expect_rpc_error(e.handle(modern("tools/call", call, {{"mcp-name", "=?base64?Y2hl!!!Y2tfZHJhZnQ=?="}})), 400,
                   rpc_code::kHeaderMismatch);
}

TEST(McpEndpoint, HttpRulesMethodsOriginsTokensAndMediaTypes) {
  const auto e = endpoint();
  for (const char* method : {"GET", "DELETE", "PUT"}) {
    HttpRequest r = mcp_post(json::object());
    r.method = method;
    const HttpResponse answer = answer_of(e.handle(r));
    EXPECT_EQ(answer.status, 405) << method;
    ASSERT_NE(answer.header("Allow"), nullptr);
    EXPECT_EQ(*answer.header("Allow"), "POST");
  }
  const json ping = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}};
  // DNS rebinding: a foreign Host on a loopback listener, or a foreign Origin, is 403 before anything else.
  EXPECT_EQ(
      answer_of(e.handle(mcp_post(ping, {{"host", "evil.example.com"}, {"origin", "http://evil.example.com"}}))).status,
      403);
  EXPECT_EQ(answer_of(e.handle(mcp_post(ping, {{"origin", "http://evil.example.com"}}))).status, 403);
  EXPECT_EQ(answer_of(e.handle(mcp_post(ping, {{"origin", "null"}}))).status, 403);
  EXPECT_EQ(answer_of(e.handle(mcp_post(ping, {{"origin", "http://127.0.0.1:8080"}}))).status, 200);
  EXPECT_EQ(
      answer_of(e.handle(mcp_post(ping, {{"host", "localhost:8080"}, {"origin", "http://localhost:8080"}}))).status,
      200);
  McpEndpointOptions open;
  open.loopback_listener = false;
  open.allowed_origins = {"https://agents.example.com"};
  const auto public_desk = endpoint(open);
  EXPECT_EQ(answer_of(public_desk.handle(mcp_post(ping, {{"host", "desk.example.com"}}))).status, 200);
  EXPECT_EQ(answer_of(public_desk.handle(
                          mcp_post(ping, {{"host", "desk.example.com"}, {"origin", "https://agents.example.com"}})))
                .status,
            200);
  EXPECT_EQ(
      answer_of(public_desk.handle(mcp_post(ping, {{"host", "desk.example.com"}, {"origin", "https://evil.example"}})))
          .status,
      403);
  // The intake API's tokens, checked on the head already.
  for (const char* token : {"", "Bearer wrong", "Basic x"}) {
    const HttpResponse r = answer_of(e.handle(mcp_post(ping, {{"authorization", token}})));
    EXPECT_EQ(r.status, 401) << token;
    ASSERT_NE(r.header("WWW-Authenticate"), nullptr);
    EXPECT_EQ(r.body.find("mcp-agent-token"), std::string::npos);
  }
  EXPECT_EQ(e.screen(mcp_post(ping, {{"authorization", ""}}))->status, 401);
  EXPECT_FALSE(e.screen(mcp_post(ping)).has_value());
  EXPECT_EQ(answer_of(e.handle(mcp_post(ping, {{"accept", "text/html"}}))).status, 406);
  EXPECT_EQ(answer_of(e.handle(mcp_post(ping, {{"accept", "*/*"}}))).status, 200);
  EXPECT_EQ(answer_of(e.handle(mcp_post(ping, {{"content-type", "text/plain"}}))).status, 415);
  HttpRequest broken = mcp_post(ping);
  broken.body = "{\"jsonrpc\":";
  expect_rpc_error(e.handle(broken), 400, rpc_code::kParseError);
  broken.body = "[" + ping.dump() + "]";
  expect_rpc_error(e.handle(broken), 400, rpc_code::kInvalidRequest);
}

TEST(McpEndpoint, ToolCallsBecomeIntakeRequestsWithTheCallersToken) {
  const auto e = endpoint();
  auto call = [&](const std::string& name, json arguments, json meta = json::object()) {
    json params = {{"name", name}, {"arguments", std::move(arguments)}};
    if (!meta.empty()) params["_meta"] = std::move(meta);
    return e.handle(mcp_post({{"jsonrpc", "2.0"}, {"id", 5}, {"method", "tools/call"}, {"params", params}}));
  };
  const json draft = {{"workflow", "community_replies"},
                      {"channel", "linkedin"},
                      {"agent", "a"},
                      {"confidence", 0.5},
                      {"output", "Hello"},
                      {"idempotency_key", "draft-42"}};
  auto submit = std::get<McpRestCall>(call("submit_draft", draft));
  EXPECT_EQ(submit.rest.method, "POST");
  EXPECT_EQ(submit.rest.target, "/v1/submissions");
  EXPECT_EQ(submit.rest.headers.at("authorization"), kBearer);
  EXPECT_EQ(submit.rest.headers.at("idempotency-key"), "draft-42");
  EXPECT_FALSE(json::parse(submit.rest.body).contains("idempotency_key"));
  EXPECT_EQ(json::parse(submit.rest.body)["output"], "Hello");
  // The intake API's answer becomes structured content with a short summary...
  const json created = {
      {"submission_id", "SUB-000001"},
      {"verdict", "escalated"},
      {"hits", json::array({{{"kind", "low_confidence"}, {"rule_id", "r"}, {"explanation", "Too unsure."}}})},
      {"escalation", {{"id", "ESC-000001"}, {"status", "open"}, {"owner", {{"role", "duty_lead"}}}}}};
  const json ok = body_of(submit.finish({201, "application/json", created.dump(), {}}));
  EXPECT_EQ(ok["id"], 5);
  EXPECT_EQ(ok["result"]["isError"], false);
  EXPECT_EQ(ok["result"]["structuredContent"], created);
  const std::string text = ok["result"]["content"][0]["text"];
  EXPECT_NE(text.find("ESC-000001"), std::string::npos);
  EXPECT_NE(text.find("await_decision"), std::string::npos);
  // ...and its refusal an isError result with the same {error, message, field}.
  const json refusal = {
      {"error", "out_of_range"}, {"message", "'confidence' must be between 0 and 1"}, {"field", "confidence"}};
  const json bad = body_of(submit.finish({422, "application/json", refusal.dump(), {}}));
  EXPECT_EQ(bad["result"]["isError"], true);
  EXPECT_EQ(bad["result"]["structuredContent"], refusal);

  EXPECT_EQ(std::get<McpRestCall>(call("check_draft", {{"output", "x"}})).rest.target, "/v1/checks");
  EXPECT_EQ(std::get<McpRestCall>(call("get_escalation", {{"id", "ESC-000001"}})).rest.target,
            "/v1/escalations/ESC-000001");
  EXPECT_EQ(std::get<McpRestCall>(call("get_escalation", {{"id", "../metrics?x"}})).rest.target,
            "/v1/escalations/..%2Fmetrics%3Fx");  // the id cannot leave its path segment
  EXPECT_EQ(std::get<McpRestCall>(call("list_escalations", {{"status", "open"}, {"limit", 5}})).rest.target,
            "/v1/escalations?limit=5&status=open");  // json objects keep keys sorted
  EXPECT_EQ(std::get<McpRestCall>(call("list_escalations", json::object())).rest.method, "GET");

  // Bad arguments are the tool's error (isError), not the protocol's; an unknown tool is the protocol's.
  auto tool_error = [&](const McpStep& step, const std::string& code, const std::string& field) {
    const json j = body_of(answer_of(step));
    EXPECT_EQ(j["result"]["isError"], true) << j;
    EXPECT_EQ(j["result"]["structuredContent"]["error"], code) << j;
    EXPECT_EQ(j["result"]["structuredContent"]["field"], field) << j;
  };
  tool_error(call("get_escalation", json::object()), "missing_field", "id");
  tool_error(call("get_escalation", {{"id", 5}}), "invalid_type", "id");
  tool_error(call("get_escalation", {{"id", "E"}, {"extra", 1}}), "unknown_field", "extra");
  tool_error(call("await_decision", {{"id", "E"}, {"timeout_seconds", 601}}), "out_of_range", "timeout_seconds");
  tool_error(call("await_decision", {{"id", "E"}, {"timeout_seconds", 1.5}}), "invalid_type", "timeout_seconds");
  tool_error(call("list_escalations", {{"limit", "ten"}}), "invalid_type", "limit");
  tool_error(call("submit_draft", {{"idempotency_key", 3}}), "invalid_type", "idempotency_key");
  tool_error(call("submit_draft", "not an object"), "invalid_type", "arguments");
  expect_rpc_error(call("publish_now", json::object()), 200, rpc_code::kInvalidParams, 5);

  // await_decision streams, with the caller's token, its progress token and a 600-second cap.
  auto await = std::get<McpAwait>(
      call("await_decision", {{"id", "ESC-000003"}, {"timeout_seconds", 600}}, {{"progressToken", "tok-1"}}));
  EXPECT_EQ(await.call.request.escalation_id, "ESC-000003");
  EXPECT_EQ(await.call.request.timeout, std::chrono::seconds{600});
  EXPECT_EQ(await.call.progress_token, json("tok-1"));
  EXPECT_EQ(await.call.authorization, kBearer);
  EXPECT_TRUE(await.call.sse);
  EXPECT_EQ(std::get<McpAwait>(call("await_decision", {{"id", "E"}})).call.request.timeout,
            std::chrono::seconds{kDefaultAwaitSeconds});
  EXPECT_TRUE(McpEndpoint::may_await(mcp_post({{"method", "tools/call"}, {"params", {{"name", "await_decision"}}}})));
  EXPECT_FALSE(McpEndpoint::may_await(mcp_post({{"method", "tools/list"}, {"params", {{"q", "await_decision"}}}})));
  // A progress token is echoed in every notification of a long wait: a huge one is refused.
  expect_rpc_error(call("await_decision", {{"id", "E"}}, {{"progressToken", std::string(257, 'x')}}), 400,
                   rpc_code::kInvalidParams, 5);
  expect_rpc_error(call("await_decision", {{"id", "E"}}, {{"progressToken", json::array()}}), 400,
                   rpc_code::kInvalidParams, 5);
  EXPECT_EQ(std::get<McpAwait>(call("await_decision", {{"id", "E"}}, {{"progressToken", 7}})).call.progress_token,
            json(7));
}

TEST(McpEndpoint, ItsOwnMethodsShareTheTokensRateAndToolCallsAreCountedByTheIntakeApi) {
  int throttled = 0;
  const McpEndpoint e(
      McpEndpointOptions{"9.9.9", true, {}}, [] { return std::vector<WorkflowChoice>{}; },
      [](const HttpRequest&) { return true; },
      [&](const HttpRequest&) -> std::optional<HttpResponse> {
        ++throttled;
        HttpResponse r{
            429, "application/json", R"({"error":"rate_limited","message":"retry in 7 s","field":null})", {}};
        r.headers.emplace_back("Retry-After", "7");
        return r;
      });
  const HttpResponse refused = answer_of(e.handle(mcp_post({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}})));
  EXPECT_EQ(refused.status, 429);
  ASSERT_NE(refused.header("Retry-After"), nullptr);
  EXPECT_EQ(*refused.header("Retry-After"), "7");
  EXPECT_NE(body_of(refused)["error"]["message"].get<std::string>().find("retry in 7 s"), std::string::npos);
  EXPECT_EQ(body_of(refused)["id"], 1);
  EXPECT_EQ(throttled, 1);
  const json call = {{"jsonrpc", "2.0"},
                     {"id", 2},
                     {"method", "tools/call"},
                     {"params", {{"name", "get_escalation"}, {"arguments", {{"id", "ESC-000001"}}}}}};
  EXPECT_TRUE(std::holds_alternative<McpRestCall>(e.handle(mcp_post(call))));
  EXPECT_EQ(throttled, 1) << "a tool call is counted once, by the intake API request it becomes";
}

// ---- The watch ----

struct Store {
  std::map<std::string, std::string> fingerprints;
  int reads = 0;
  std::vector<std::string> last_ids;
};

FingerprintReader reader_of(Store& store) {
  return [&store](std::vector<std::string> ids, std::function<void(std::optional<Fingerprints>)> done) {
    ++store.reads;
    store.last_ids = ids;
    Fingerprints found;
    for (const auto& id : ids) found[id] = store.fingerprints.count(id) ? store.fingerprints[id] : "";
    done(found);
  };
}

TEST(McpDecisionWatch, WakesOnlyTheWaitersWhoseEscalationMovedWithOneReadPerChange) {
  net::io_context io;
  Store store;
  for (int i = 0; i < 1000; ++i) store.fingerprints["ESC-" + std::to_string(i)] = "open/duty_lead";
  DecisionWatch watch(io.get_executor(), reader_of(store));
  std::map<std::string, DecisionWatch::Wake> woke;
  const auto far = std::chrono::steady_clock::now() + std::chrono::hours(1);
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "ESC-" + std::to_string(i);
    net::co_spawn(
        io, [&, id]() -> net::awaitable<void> { woke[id] = co_await watch.wait(id, "open/duty_lead", far); },
        net::detached);
  }
  io.poll();
  EXPECT_EQ(watch.waiting(), 1000u);
  EXPECT_TRUE(woke.empty());
  const int reads_at_rest = store.reads;  // the look each waiter takes when it starts, batched
  EXPECT_LE(reads_at_rest, 2);

  store.fingerprints["ESC-7"] = "accepted/duty_lead";
  watch.notify("");  // "something changed", as a Slack decision says it
  io.poll();
  EXPECT_EQ(store.reads, reads_at_rest + 1);
  EXPECT_EQ(store.last_ids.size(), 1000u);
  ASSERT_EQ(woke.size(), 1u);
  EXPECT_EQ(woke["ESC-7"], DecisionWatch::Wake::changed);

  store.fingerprints["ESC-8"] = "triaged/duty_lead";
  watch.notify("ESC-8");
  io.poll();
  EXPECT_EQ(store.last_ids, std::vector<std::string>{"ESC-8"});
  EXPECT_EQ(woke["ESC-8"], DecisionWatch::Wake::changed);
  watch.notify("ESC-9");  // nothing moved: nobody wakes
  io.poll();
  EXPECT_EQ(woke.size(), 2u);

  watch.close();
  io.poll();
  EXPECT_EQ(woke.size(), 1000u);
  EXPECT_EQ(woke["ESC-500"], DecisionWatch::Wake::closed);
  EXPECT_EQ(watch.waiting(), 0u);
}

TEST(McpDecisionWatch, AQuietWaitCostsNoReadAndANotificationInBetweenIsNotMissed) {
  net::io_context io;
  Store store;
  store.fingerprints["ESC-1"] = "open/duty_lead";
  DecisionWatch watch(io.get_executor(), reader_of(store));
  std::uint64_t epoch = watch.epoch();  // as when the caller read "open"
  std::vector<DecisionWatch::Wake> wakes;
  auto wait_briefly = [&] {
    io.restart();
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
          wakes.push_back(co_await watch.wait("ESC-1", "open/duty_lead",
                                              std::chrono::steady_clock::now() + std::chrono::milliseconds(5), &epoch));
        },
        net::detached);
    io.run_for(std::chrono::seconds(1));
  };
  wait_briefly();
  wait_briefly();
  EXPECT_EQ(store.reads, 0) << "nothing was notified since the caller's read: no look needed";
  EXPECT_EQ(wakes, (std::vector{DecisionWatch::Wake::deadline, DecisionWatch::Wake::deadline}));
  // Between two waits (while the caller writes a heartbeat) the escalation moves: the next wait looks.
  store.fingerprints["ESC-1"] = "triaged/duty_lead";
  watch.notify("ESC-1");
  wait_briefly();
  EXPECT_EQ(store.reads, 1);
  EXPECT_EQ(wakes.back(), DecisionWatch::Wake::changed);
}

TEST(McpDecisionWatch, AChangeBeforeTheWaitIsSeenAndTheDeadlineEndsIt) {
  net::io_context io;
  Store store;
  store.fingerprints["ESC-1"] = "triaged/duty_lead";  // moved after the caller read "open"
  DecisionWatch watch(io.get_executor(), reader_of(store));
  std::optional<DecisionWatch::Wake> first, second;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        first =
            co_await watch.wait("ESC-1", "open/duty_lead", std::chrono::steady_clock::now() + std::chrono::hours(1));
      },
      net::detached);
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        second = co_await watch.wait("ESC-1", "triaged/duty_lead",
                                     std::chrono::steady_clock::now() + std::chrono::milliseconds(20));
      },
      net::detached);
  io.run_for(std::chrono::seconds(2));
  EXPECT_EQ(first, DecisionWatch::Wake::changed);
  EXPECT_EQ(second, DecisionWatch::Wake::deadline);
}

// ---- The await's stream ----

/// An intake API that answers GET /v1/escalations/{id} from a script, counting reads.
struct FakeIntake {
  json escalation = {{"id", "ESC-000001"},
                     {"status", "open"},
                     {"owner", {{"role", "duty_lead"}, {"person", {{"name", "Erin"}}}}},
                     {"decision", nullptr}};
  int status = 200;
  int reads = 0;
  std::string last_authorization;
  std::vector<bool> internal;  ///< per read: made by the desk (not counted against the token's rate)

  RestRunner runner() {
    return [this](HttpRequest r, std::function<void(HttpResponse)> done) {
      ++reads;
      last_authorization = r.headers["authorization"];
      internal.push_back(r.internal);
      EXPECT_EQ(r.target, "/v1/escalations/ESC-000001");
      done(status == 200 ? HttpResponse{200, "application/json", escalation.dump(), {}}
                         : HttpResponse{404,
                                        "application/json",
                                        R"({"error":"not_found","message":"no escalation ESC-000001","field":null})",
                                        {}});
    };
  }
};

std::vector<std::string> drain(net::io_context& io, StreamingResponse& response,
                               std::function<void(int)> between = {}) {
  std::vector<std::string> pieces;
  bool done = false;
  io.restart();  // a context that ran out of work stays stopped until restarted
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        while (auto piece = co_await response.next()) {
          pieces.push_back(*piece);
          if (between) between(static_cast<int>(pieces.size()));
        }
        done = true;
      },
      net::detached);
  io.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(done);
  return pieces;
}

json sse_message(const std::string& piece) {
  EXPECT_EQ(piece.rfind("event: message\ndata: ", 0), 0u) << piece;
  return json::parse(piece.substr(piece.find("data: ") + 6));
}

AwaitCall await_call(std::chrono::seconds timeout, bool progress = true) {
  AwaitCall call;
  call.rpc_id = 77;
  call.request = {"ESC-000001", timeout};
  call.authorization = kBearer;
  if (progress) call.progress_token = "tok";
  call.complete = [](json r) {
    r["resultType"] = "complete";
    return r;
  };
  return call;
}

/// A desk's worth of parts for one await: an executor, a store of fingerprints, the watch, the intake.
class McpAwaitStream : public ::testing::Test {
 protected:
  McpAwaitStream() { store.fingerprints["ESC-000001"] = "open/duty_lead"; }

  StreamingResponse respond(AwaitCall call) {
    return await_decision_response(io.get_executor(), watch, intake.runner(), std::move(call));
  }

  net::io_context io;
  Store store;
  DecisionWatch watch{io.get_executor(), reader_of(store)};
  FakeIntake intake;
};

TEST_F(McpAwaitStream, AnAlreadyDecidedEscalationAnswersAtOnce) {
  intake.escalation["status"] = "accepted";
  intake.escalation["decision"] = {
      {"macro", "accept"}, {"by", {{"name", "Erin"}}}, {"at", "t"}, {"rationale", "Fine as is."}};
  auto response = respond(await_call(std::chrono::seconds(600)));
  EXPECT_EQ(response.head.content_type, "text/event-stream");
  const auto pieces = drain(io, response);
  ASSERT_EQ(pieces.size(), 1u);
  const json message = sse_message(pieces[0]);
  EXPECT_EQ(message["id"], 77);
  EXPECT_EQ(message["result"]["structuredContent"]["outcome"], "decided");
  EXPECT_EQ(message["result"]["resultType"], "complete");
  EXPECT_NE(message["result"]["content"][0]["text"].get<std::string>().find("Fine as is."), std::string::npos);
  EXPECT_EQ(intake.last_authorization, kBearer);
  EXPECT_EQ(intake.reads, 1);
}

TEST_F(McpAwaitStream, ProgressWhenItMovesThenTheDecision) {
  auto response = respond(await_call(std::chrono::seconds(60)));
  // Once the stream waits, the escalation is triaged, then (after the progress event) rejected.
  net::steady_timer step(io);
  std::function<void()> triage = [&] {
    intake.escalation["status"] = "triaged";
    store.fingerprints["ESC-000001"] = "triaged/duty_lead";
    watch.notify("ESC-000001");
  };
  step.expires_after(std::chrono::milliseconds(20));
  step.async_wait([&](auto) { triage(); });
  const auto pieces = drain(io, response, [&](int n) {
    if (n != 2) return;
    intake.escalation["status"] = "rejected";
    intake.escalation["decision"] = {
        {"macro", "reject"}, {"by", {{"name", "Erin"}}}, {"at", "t"}, {"rationale", "No."}};
    store.fingerprints["ESC-000001"] = "rejected/duty_lead";
    watch.notify("");
  });
  ASSERT_EQ(pieces.size(), 3u);
  const json waiting = sse_message(pieces[0]);  // where the wait starts from
  EXPECT_EQ(waiting["method"], "notifications/progress");
  EXPECT_EQ(waiting["params"]["progressToken"], "tok");
  EXPECT_EQ(waiting["params"]["progress"], 1);
  EXPECT_NE(waiting["params"]["message"].get<std::string>().find("is open, owned by duty_lead (Erin)"),
            std::string::npos);
  const json progress = sse_message(pieces[1]);
  EXPECT_EQ(progress["params"]["progress"], 2);
  EXPECT_NE(progress["params"]["message"].get<std::string>().find("triaged"), std::string::npos);
  const json final = sse_message(pieces[2]);
  EXPECT_EQ(final["result"]["structuredContent"]["outcome"], "decided");
  EXPECT_EQ(final["result"]["structuredContent"]["escalation"]["decision"]["macro"], "reject");
  // The call's own read counts against the token's rate; the reads its escalation's moves bring about do not.
  EXPECT_EQ(intake.internal, (std::vector<bool>{false, true, true}));
}

TEST_F(McpAwaitStream, HeldAtTheTimeoutAndNotFoundForAnotherAgentsEscalation) {
  auto call = await_call(std::chrono::seconds(0), false);
  call.sse = false;
  auto response = respond(call);
  EXPECT_EQ(response.head.content_type, "application/json");
  auto pieces = drain(io, response);
  ASSERT_EQ(pieces.size(), 1u);
  const json held = json::parse(pieces[0]);
  EXPECT_EQ(held["result"]["structuredContent"]["outcome"], "held");
  EXPECT_EQ(held["result"]["isError"], false);

  intake.status = 404;
  auto missing = respond(await_call(std::chrono::seconds(60)));
  pieces = drain(io, missing);
  ASSERT_EQ(pieces.size(), 1u);
  const json error = sse_message(pieces[0]);
  EXPECT_EQ(error["result"]["isError"], true);
  EXPECT_EQ(error["result"]["structuredContent"]["error"], "not_found");
}

TEST_F(McpAwaitStream, TheDeskStoppingEndsTheStreamWithoutAnAnswer) {
  auto response = respond(await_call(std::chrono::seconds(60)));
  net::steady_timer stop(io);
  stop.expires_after(std::chrono::milliseconds(20));
  stop.async_wait([&](auto) { watch.close(); });
  const auto pieces = drain(io, response);
  ASSERT_EQ(pieces.size(), 1u);  // what the wait started from, and then no answer: the client retries
  EXPECT_EQ(sse_message(pieces[0])["method"], "notifications/progress");
}

}  // namespace
}  // namespace desk::bot::mcp
