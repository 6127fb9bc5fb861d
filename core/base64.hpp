#pragma once
/// Base64 (RFC 4648, standard alphabet, padded): images carried in JSON payloads, MCP header values.
/// Base64url (RFC 4648 §5, unpadded, as JSON Web Tokens and Keys write it: RFC 7515 §2).
#include <optional>
#include <string>
#include <string_view>

namespace desk::core {

std::string base64_encode(std::string_view bytes);
/// Strict: nullopt for a length that is not a multiple of 4, a character outside the alphabet, or
/// padding anywhere but the end.
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);
/// Strict: nullopt for padding, a character outside the URL-safe alphabet, an impossible length, or
/// unused trailing bits that are not zero (so each byte string has exactly one encoding).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace desk::core
