#pragma once
/// Where a decision callback may go. A callback URL is the agent's to choose, so without rules it is a
/// door from the outside into the desk's network (SSRF): the desk's own loopback ports, private
/// services, a cloud's metadata endpoint. Callbacks go over https to public addresses only. The intake
/// refuses a URL whose host is such an address or names this machine or a metadata service; the sender
/// checks every address a name resolves to and connects only to one it checked (no DNS rebinding).
#include <string>
#include <string_view>

namespace desk::handlers {

/// Why this IP address (text, IPv4 or IPv6 without brackets) may not receive callbacks, or "" when it
/// may. Refused: unspecified, loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), carrier-grade
/// NAT (100.64/10), link-local (169.254/16 with the metadata address, fe80::/10), multicast, reserved,
/// documentation and benchmarking ranges, and IPv4 embedded in IPv6 (mapped, NAT64) when its IPv4 is
/// refused. Text that is not an address is refused too.
std::string address_problem(std::string_view address);

/// True when `host` is an IP address literal (IPv6 without brackets).
bool is_ip_address(std::string_view host);

/// True for a loopback address or a name of this machine (localhost, *.localhost).
bool is_loopback_host(std::string_view host);

/// Why `url` may not receive callbacks, or "" when it may: it must be https (no user info), to a host
/// that is not a refused address (address_problem) nor a local or metadata name (localhost,
/// *.localhost, *.local, *.internal). `allow_loopback` (a testing setting) also lets http and https
/// to a loopback host through.
std::string callback_url_problem(std::string_view url, bool allow_loopback = false);

}  // namespace desk::handlers
