#pragma once
/// JSON-RPC 2.0 as MCP uses it: one message per HTTP POST (MCP removed batches in 2025-06-18), ids
/// that are strings or integers, never null. Pure: text in, a checked message or the error to answer.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace desk::bot::mcp {

/// The error codes of JSON-RPC 2.0, and the ones MCP adds.
namespace rpc_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
/// MCP 2026-07-28: a request's HTTP headers disagree with its body, or a required one is missing.
inline constexpr int kHeaderMismatch = -32020;
/// MCP 2026-07-28: the request's protocol version is not served here.
inline constexpr int kUnsupportedProtocolVersion = -32022;
}  // namespace rpc_code

struct RpcMessage {
  enum class Kind { request, notification, response };
  Kind kind = Kind::request;
  nlohmann::json id;      ///< a string or an integer for requests and responses; null for notifications
  std::string method;     ///< requests and notifications
  nlohmann::json params;  ///< an object, or null when absent
};

struct RpcFailure {
  int code = rpc_code::kInvalidRequest;
  std::string message;
  nlohmann::json id;  ///< the request's id when it could be read, else null
};

/// Parses one message. Refuses (with the code JSON-RPC names): text that is not JSON or not UTF-8
/// (-32700), an array (a batch) or anything that is not a well-formed request, notification or
/// response (-32600): a wrong `jsonrpc`, an id that is null, fractional or neither string nor number,
/// a method that is not a string, params that are not an object.
std::variant<RpcMessage, RpcFailure> parse_message(std::string_view text);

nlohmann::json rpc_result(const nlohmann::json& id, nlohmann::json result);
nlohmann::json rpc_error(const nlohmann::json& id, int code, const std::string& message,
                         std::optional<nlohmann::json> data = std::nullopt);
nlohmann::json rpc_notification(const std::string& method, nlohmann::json params);

/// Serializes without ever throwing (invalid UTF-8 in a string is replaced, not thrown on).
std::string dump_message(const nlohmann::json& message);

}  // namespace desk::bot::mcp
