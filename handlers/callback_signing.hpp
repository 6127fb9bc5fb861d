#pragma once
/// How decision callbacks are signed, so that an agent can tell the desk's callbacks from forgeries,
/// including forgeries by other agents. Each agent has its own key, derived from the desk's secret and
/// the agent's intake token (its digest); an agent fetches it with `GET /v1/callback-key`. A callback
/// carries:
///
///   X-Desk-Timestamp: 1764493500          (unix seconds of this attempt)
///   X-Desk-Signature: v2=<hex HMAC-SHA256(key, timestamp + "." + url + "." + body)>[, v2=<…>]
///
/// `url` is the callback_url exactly as submitted, so a signed callback cannot be replayed to another
/// address. During a rotation of the desk's secret (DESK_CALLBACK_SECRET_PREVIOUS set) the header holds
/// one signature per secret, the current one first; a receiver accepts the request when any of them
/// verifies with a key it holds.
#include <string>
#include <string_view>
#include <vector>

namespace desk::handlers {

inline constexpr std::string_view kCallbackScheme = "v2";

/// The agent's callback key (64 hex characters) under the desk's `secret`, for the token whose
/// SHA-256 digest (hex) is `token_digest`.
std::string agent_callback_key(std::string_view secret, std::string_view token_digest);

/// "v2=" + hex HMAC-SHA256(key, timestamp + "." + url + "." + body).
std::string callback_signature(std::string_view key, std::string_view timestamp, std::string_view url,
                               std::string_view body);

/// The X-Desk-Signature value: one signature per key, comma-separated, in the order given.
std::string callback_signature_header(const std::vector<std::string>& keys, std::string_view timestamp,
                                      std::string_view url, std::string_view body);

/// True when one of the signatures in `header` is the v2 signature of (timestamp, url, body) under
/// `key`, compared in constant time. False for an empty key or timestamp, or a malformed header.
bool verify_callback_signature(std::string_view key, std::string_view timestamp, std::string_view url,
                               std::string_view body, std::string_view header);

}  // namespace desk::handlers
