#pragma once
/// Hex digests over OpenSSL 3: SHA-256 for content addresses (policy snapshots, evidence, the audit
/// chain) and HMAC-SHA256 for signing what the desk sends out (decision callbacks).
#include <cstddef>
#include <string>
#include <string_view>

namespace desk::storage {

/// Lower-case hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

/// Lower-case hex HMAC-SHA256 of `data` under `key` (64 characters). Any key length, empty included.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// `bytes` bytes from OpenSSL's CSPRNG as lower-case hex (2 × bytes characters): session ids and
/// generated tokens. Throws std::runtime_error when no randomness is available.
std::string random_hex(std::size_t bytes);

}  // namespace desk::storage
