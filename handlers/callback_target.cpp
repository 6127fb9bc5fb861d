#include "handlers/callback_target.hpp"

#include "handlers/http_text.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>

namespace desk::handlers {
namespace {

using V4 = std::array<std::uint8_t, 4>;
using V6 = std::array<std::uint8_t, 16>;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// True when the first `bits` bits of `a` equal those of `prefix`.
template <std::size_t N>
bool in(const std::array<std::uint8_t, N>& a, std::initializer_list<std::uint8_t> prefix, int bits) {
  std::array<std::uint8_t, N> p{};
  std::copy(prefix.begin(), prefix.end(), p.begin());
  for (int i = 0; i < bits; ++i) {
    const int byte = i / 8, bit = 7 - i % 8;
    if (((a[byte] >> bit) & 1) != ((p[byte] >> bit) & 1)) return false;
  }
  return true;
}

std::string v4_problem(const V4& a) {
  struct Range {
    std::initializer_list<std::uint8_t> prefix;
    int bits;
    const char* what;
  };
  static const Range kRefused[] = {
      {{0}, 8, "an unspecified address (0.0.0.0/8)"},
      {{10}, 8, "a private address (10.0.0.0/8)"},
      {{100, 64}, 10, "a carrier-grade NAT address (100.64.0.0/10)"},
      {{127}, 8, "a loopback address (127.0.0.0/8)"},
      {{169, 254}, 16, "a link-local address (169.254.0.0/16, where cloud metadata services answer)"},
      {{172, 16}, 12, "a private address (172.16.0.0/12)"},
      {{192, 0, 0}, 24, "a reserved address (192.0.0.0/24)"},
      {{192, 0, 2}, 24, "a documentation address (192.0.2.0/24)"},
      {{192, 88, 99}, 24, "a reserved relay address (192.88.99.0/24)"},
      {{192, 168}, 16, "a private address (192.168.0.0/16)"},
      {{198, 18}, 15, "a benchmarking address (198.18.0.0/15)"},
      {{198, 51, 100}, 24, "a documentation address (198.51.100.0/24)"},
      {{203, 0, 113}, 24, "a documentation address (203.0.113.0/24)"},
      {{224}, 4, "a multicast address (224.0.0.0/4)"},
      {{240}, 4, "a reserved address (240.0.0.0/4)"},
  };
  for (const auto& r : kRefused)
    if (in(a, r.prefix, r.bits)) return r.what;
  return {};
}

std::string v6_problem(const V6& a) {
  const bool zero_head = std::all_of(a.begin(), a.begin() + 10, [](std::uint8_t b) { return b == 0; });
  // IPv4 carried in IPv6: judged by its IPv4 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d).
  if ((zero_head && a[10] == 0xff && a[11] == 0xff) || in(a, {0x00, 0x64, 0xff, 0x9b}, 96)) {
    const V4 v4{a[12], a[13], a[14], a[15]};
    const std::string problem = v4_problem(v4);
    return problem.empty() ? "" : problem + ", inside an IPv6 address";
  }
  if (std::all_of(a.begin(), a.end() - 1, [](std::uint8_t b) { return b == 0; }))
    return a[15] == 1 ? "a loopback address (::1)" : "an unspecified address (::)";
  if (zero_head && a[10] == 0 && a[11] == 0) return "an IPv4-compatible address (::/96, deprecated)";
  struct Range {
    std::initializer_list<std::uint8_t> prefix;
    int bits;
    const char* what;
  };
  static const Range kRefused[] = {
      {{0x01, 0x00}, 64, "a discard address (100::/64)"},
      {{0x20, 0x01, 0x0d, 0xb8}, 32, "a documentation address (2001:db8::/32)"},
      {{0x20, 0x02}, 16, "a 6to4 address (2002::/16)"},
      {{0xfc}, 7, "a unique local (private) address (fc00::/7)"},
      {{0xfe, 0x80}, 10, "a link-local address (fe80::/10)"},
      {{0xfe, 0xc0}, 10, "a site-local address (fec0::/10)"},
      {{0xff}, 8, "a multicast address (ff00::/8)"},
  };
  for (const auto& r : kRefused)
    if (in(a, r.prefix, r.bits)) return r.what;
  return {};
}

}  // namespace

bool is_ip_address(std::string_view host) {
  const std::string text(host);
  V6 buffer{};
  return inet_pton(AF_INET, text.c_str(), buffer.data()) == 1 || inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1;
}

std::string address_problem(std::string_view address) {
  const std::string text(address);
  V4 v4{};
  if (inet_pton(AF_INET, text.c_str(), v4.data()) == 1) return v4_problem(v4);
  V6 v6{};
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) return v6_problem(v6);
  return "not an IP address";
}

bool is_loopback_host(std::string_view host) {
  const std::string h = lower_ascii(host);
  if (h == "localhost" || ends_with(h, ".localhost")) return true;
  const std::string problem = is_ip_address(h) ? address_problem(h) : std::string{};
  return problem.rfind("a loopback address", 0) == 0;
}

std::string callback_url_problem(std::string_view url, bool allow_loopback) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return "callback_url is not an absolute https URL";
  const std::string scheme = lower_ascii(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return "callback_url has no host";
  if (authority.find('@') != std::string_view::npos)
    return "callback_url must not carry user information before its host";
  std::string host;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "callback_url has an unclosed IPv6 address";
    host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return "callback_url has text after its IPv6 address";
  } else {
    const auto colon = authority.find(':');
    host = std::string(authority.substr(0, colon));
    authority.remove_prefix(colon == std::string_view::npos ? authority.size() : colon);
  }
  if (!authority.empty()) {  // ":port"
    const std::string_view port = authority.substr(1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(port)) > 65535)
      return "callback_url has an invalid port";
  }
  host = lower_ascii(host);
  if (!host.empty() && host.back() == '.') host.pop_back();  // "localhost." is localhost
  if (host.empty()) return "callback_url has no host";
  if (allow_loopback && is_loopback_host(host)) {
    if (scheme == "http" || scheme == "https") return {};
  }
  if (scheme != "https") return "callback_url must use https (decisions are signed, and must not travel in clear text)";
  if (is_ip_address(host)) {
    const std::string problem = address_problem(host);
    return problem.empty() ? "" : "callback_url points at " + problem + "; callbacks go to public addresses only";
  }
  if (host == "localhost" || ends_with(host, ".localhost") || ends_with(host, ".local") ||
      ends_with(host, ".internal") || ends_with(host, ".localdomain") || host.find('.') == std::string::npos)
    return "callback_url names '" + host +
           "', a name of this machine or its local network; callbacks go to public hosts only";
  return {};
}

}  // namespace desk::handlers
