#pragma once
/// Base64 (RFC 4648, standard alphabet, padded): images carried in JSON payloads, MCP header values.
#include <optional>
#include <string>
#include <string_view>

namespace desk::core {

std::string base64_encode(std::string_view bytes);
/// Strict: nullopt for a length that is not a multiple of 4, a character outside the alphabet, or
/// padding anywhere but the end.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace desk::core
