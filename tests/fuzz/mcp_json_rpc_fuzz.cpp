// bot::mcp::parse_message, the MCP endpoint's JSON-RPC parser, over arbitrary bytes. Invariants: a
// refusal carries a JSON-RPC error code and a message, and its id is null or a valid id; an accepted
// message has the shape its kind promises; the answers built from either serialise without throwing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bot/mcp/json_rpc.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace mcp = desk::bot::mcp;

namespace {

bool id_ok(const nlohmann::json& id) { return id.is_string() || id.is_number_integer(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = mcp::parse_message(text);
  if (const auto* f = std::get_if<mcp::RpcFailure>(&parsed)) {
    FUZZ_CHECK(f->code == mcp::rpc_code::kParseError || f->code == mcp::rpc_code::kInvalidRequest);
    FUZZ_CHECK(!f->message.empty());
    FUZZ_CHECK(f->id.is_null() || id_ok(f->id));
    const auto answer = nlohmann::json::parse(mcp::dump_message(mcp::rpc_error(f->id, f->code, f->message)));
    FUZZ_CHECK(answer.at("error").at("code") == f->code);
    return 0;
  }
  const auto& m = std::get<mcp::RpcMessage>(parsed);
  switch (m.kind) {
    case mcp::RpcMessage::Kind::request:
      FUZZ_CHECK(id_ok(m.id) && !m.method.empty());
      break;
    case mcp::RpcMessage::Kind::notification:
      FUZZ_CHECK(m.id.is_null() && !m.method.empty());
      break;
    case mcp::RpcMessage::Kind::response:
      FUZZ_CHECK(id_ok(m.id) && m.method.empty());
      break;
  }
  FUZZ_CHECK(m.params.is_null() || m.params.is_object());
  // The desk echoes ids and methods back: whatever was accepted must serialise.
  (void)mcp::dump_message(mcp::rpc_result(m.id, {{"method", m.method}, {"params", m.params}}));
  return 0;
}
