#pragma once
/// The few URL shapes the transport meets: the Web API base (`https://slack.com/api/`) and the
/// Socket Mode link (`wss://wss-primary.slack.com/link/?ticket=…`).
#include <optional>
#include <string>
#include <string_view>

namespace desk::bot::slack {

struct Url {
  std::string scheme;  ///< lower case: "https", "wss", "http", "ws"
  std::string host;    ///< without brackets for IPv6 literals
  std::string port;    ///< explicit or the scheme default
  std::string target;  ///< path and query, at least "/"
  bool host_is_ip = false;
  bool default_port = true;  ///< port was not written in the URL (matters for the Host header)

  /// The Host header value: host, plus ":port" when the URL named a non-default port.
  std::string host_header() const;
  /// True for https and wss.
  bool secure() const { return scheme == "https" || scheme == "wss"; }
};

/// Parses an absolute http(s)/ws(s) URL. Returns nullopt for other schemes, user-info, an empty host
/// or a bad port.
std::optional<Url> parse_url(std::string_view text);

}  // namespace desk::bot::slack
