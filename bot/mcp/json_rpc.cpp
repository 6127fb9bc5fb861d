#include "bot/mcp/json_rpc.hpp"

#include "core/text_scan.hpp"

namespace desk::bot::mcp {

namespace {

using json = nlohmann::json;

constexpr int kMaxDepth = 64;

bool valid_id(const json& id) {
  if (id.is_string() || id.is_number_integer() || id.is_number_unsigned()) return true;
  // JSON-RPC allows numbers; a fractional id SHOULD NOT be used and MCP's schema says integer.
  return false;
}

RpcFailure invalid(std::string message, json id = nullptr) {
  return {rpc_code::kInvalidRequest, std::move(message), std::move(id)};
}

}  // namespace

std::variant<RpcMessage, RpcFailure> parse_message(std::string_view text) {
  if (!core::is_valid_utf8(text)) return RpcFailure{rpc_code::kParseError, "the body is not valid UTF-8", nullptr};
  // A callback stops a hostile body nesting a million levels as it is read, before any recursion.
  bool too_deep = false;
  json message = json::parse(
      text.begin(), text.end(),
      [&](int depth, json::parse_event_t event, json&) {
        if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start)
          too_deep = too_deep || depth >= kMaxDepth;
        return !too_deep;
      },
      false);
  if (too_deep) return invalid("the message nests deeper than " + std::to_string(kMaxDepth) + " levels");
  if (message.is_discarded()) return RpcFailure{rpc_code::kParseError, "the body is not valid JSON", nullptr};
  if (message.is_array())
    return invalid("batches (JSON arrays) are not supported: send one JSON-RPC message per request");
  if (!message.is_object()) return invalid("a JSON-RPC message must be a JSON object");

  json id = nullptr;
  if (auto it = message.find("id"); it != message.end()) {
    if (!valid_id(*it)) return invalid("'id' must be a string or an integer (never null)");
    id = *it;
  }
  auto version = message.find("jsonrpc");
  if (version == message.end() || *version != "2.0") return invalid("'jsonrpc' must be \"2.0\"", id);

  RpcMessage out;
  out.id = id;
  auto method = message.find("method");
  if (method != message.end()) {
    if (!method->is_string() || method->get_ref<const std::string&>().empty())
      return invalid("'method' must be a non-empty string", id);
    out.method = method->get<std::string>();
    out.kind = message.contains("id") ? RpcMessage::Kind::request : RpcMessage::Kind::notification;
    if (auto params = message.find("params"); params != message.end()) {
      if (!params->is_object()) return invalid("'params' must be an object", id);
      out.params = *params;
    }
    return out;
  }
  // No method: a response to something the server sent (it sends none, but a client may answer).
  const bool has_result = message.contains("result"), has_error = message.contains("error");
  if (!message.contains("id") || has_result == has_error)
    return invalid("a message needs 'method' (a request or notification) or 'id' with 'result' or 'error'", id);
  out.kind = RpcMessage::Kind::response;
  return out;
}

json rpc_result(const json& id, json result) { return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}; }

json rpc_error(const json& id, int code, const std::string& message, std::optional<json> data) {
  json error = {{"code", code}, {"message", message}};
  if (data) error["data"] = std::move(*data);
  // An error about a message whose id is unknown carries no id (MCP's schema allows no null id).
  json out = {{"jsonrpc", "2.0"}, {"error", std::move(error)}};
  if (!id.is_null()) out["id"] = id;
  return out;
}

json rpc_notification(const std::string& method, json params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

std::string dump_message(const json& message) { return message.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace desk::bot::mcp
