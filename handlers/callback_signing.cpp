#include "handlers/callback_signing.hpp"

#include "handlers/http_text.hpp"
#include "storage/digest.hpp"

namespace desk::handlers {

std::string agent_callback_key(std::string_view secret, std::string_view token_digest) {
  // A labelled derivation: the same secret serves no other purpose under this label.
  return storage::hmac_sha256_hex(secret, std::string("escalation-desk callback key v2\n").append(token_digest));
}

std::string callback_signature(std::string_view key, std::string_view timestamp, std::string_view url,
                               std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + url.size() + body.size() + 2);
  signed_text.append(timestamp).append(".").append(url).append(".").append(body);
  return std::string(kCallbackScheme) + "=" + storage::hmac_sha256_hex(key, signed_text);
}

std::string callback_signature_header(const std::vector<std::string>& keys, std::string_view timestamp,
                                      std::string_view url, std::string_view body) {
  std::string header;
  for (const auto& key : keys) {
    if (key.empty()) continue;
    if (!header.empty()) header += ", ";
    header += callback_signature(key, timestamp, url, body);
  }
  return header;
}

bool verify_callback_signature(std::string_view key, std::string_view timestamp, std::string_view url,
                               std::string_view body, std::string_view header) {
  if (key.empty() || timestamp.empty()) return false;
  const std::string expected = callback_signature(key, timestamp, url, body);
  bool found = false;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    // Constant time per candidate, and every candidate is looked at: how long a refusal takes says
    // nothing about how close a forgery came.
    found = same_digest(std::string(item), expected) || found;
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
  }
  return found;
}

}  // namespace desk::handlers
