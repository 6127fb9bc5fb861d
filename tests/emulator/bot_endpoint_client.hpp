#pragma once
/// The connector's side of an inbound call: one POST to a bot's messaging endpoint (http:// as the
/// desk listens behind its proxy, or https:// trusting only the test CA), on a private io_context on
/// the caller's thread, so that a slow desk never stalls an emulator's own thread.
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace desk::emulator {

/// A bot's answer to an inbound activity.
struct InboundResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
  nlohmann::json json() const;  ///< the body parsed; null (discarded) when it is not JSON
};

/// POSTs `body` as application/json to `url` with `authorization` as the Authorization header (none
/// when nullopt), on a fresh connection. Throws on a bad URL, a transport error or the timeout.
InboundResponse post_to_bot(const std::string& url, const std::string& body,
                            const std::optional<std::string>& authorization, std::chrono::milliseconds timeout,
                            const std::string& ca_pem);

}  // namespace desk::emulator
