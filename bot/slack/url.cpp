#include "bot/slack/url.hpp"

#include <algorithm>
#include <cctype>

namespace desk::bot::slack {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

const char* default_port_for(const std::string& scheme) {
  if (scheme == "https" || scheme == "wss") return "443";
  if (scheme == "http" || scheme == "ws") return "80";
  return nullptr;
}

bool looks_like_ipv4(std::string_view host) {
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  long value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value > 0 && value <= 65535;
}

}  // namespace

std::string Url::host_header() const {
  std::string h = (host.find(':') != std::string::npos) ? "[" + host + "]" : host;
  if (!default_port) h += ":" + port;
  return h;
}

std::optional<Url> parse_url(std::string_view text) {
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  Url url;
  url.scheme = lower(text.substr(0, scheme_end));
  const char* def = default_port_for(url.scheme);
  if (def == nullptr) return std::nullopt;
  auto rest = text.substr(scheme_end + 3);
  auto path_start = rest.find_first_of("/?");
  auto authority = rest.substr(0, path_start);
  url.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (url.target.front() == '?') url.target.insert(0, "/");
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host = std::string(authority.substr(1, close - 1));
    url.host_is_ip = true;
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    url.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    url.host_is_ip = looks_like_ipv4(url.host);
  }
  if (url.host.empty()) return std::nullopt;
  if (port.empty()) {
    url.port = def;
  } else {
    if (!valid_port(port)) return std::nullopt;
    url.port = std::string(port);
    url.default_port = (url.port == def);
  }
  return url;
}

}  // namespace desk::bot::slack
