// The config loader's public API (config_loader.hpp): reading the file, turning YAML syntax errors
// into ConfigError, and the digest that names this version of the policy. The sections themselves
// are read by PolicyParser (policy_parser.hpp), one file per section.
#include "bot/config/config_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bot/config/field_reader.hpp"
#include "bot/config/policy_parser.hpp"
#include "storage/digest.hpp"

namespace desk::bot {

using config_parsing::PolicyParser;
using config_parsing::Reader;
using core::Seconds;

ConfigError::ConfigError(std::string file, int line, int column, std::string message, std::string hint)
    : std::runtime_error(file + (line > 0 ? ":" + std::to_string(line) + ":" + std::to_string(column) : std::string()) +
                         ": " + message + (hint.empty() ? std::string() : " (hint: " + hint + ")")),
      file_(std::move(file)),
      line_(line),
      column_(column),
      message_(std::move(message)),
      hint_(std::move(hint)) {}

std::optional<Seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    long long n = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > 1'000'000'000) return std::nullopt;
      ++i;
    }
    if (i == start || i == text.size()) return std::nullopt;
    switch (text[i++]) {
      case 's':
        total += n;
        break;
      case 'm':
        total += n * 60;
        break;
      case 'h':
        total += n * 3600;
        break;
      case 'd':
        total += n * 86400;
        break;
      default:
        return std::nullopt;
    }
    // Each part is at most 10^9 days; past that in total, a long enough run of parts would overflow.
    if (total > 1'000'000'000LL * 86400) return std::nullopt;
  }
  if (total <= 0) return std::nullopt;
  return Seconds{total};
}

std::optional<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view digits = listen.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  // from_chars takes digits only (no sign, no spaces); all of them must be the port.
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port > 65535) return std::nullopt;
  std::string_view host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::pair{std::string(host), static_cast<std::uint16_t>(port)};
}

core::Policy parse_config(std::string_view text, const std::string& file, const std::string& base_dir,
                          std::shared_ptr<const core::LexiconMatcher>* compiled_lexicon) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file, e.mark.line + 1, e.mark.column + 1, "not valid YAML: " + e.msg);
  }
  Reader reader(file);
  try {
    PolicyParser parser(reader, base_dir);
    core::Policy p = parser.parse(root);
    if (compiled_lexicon != nullptr) *compiled_lexicon = parser.compiled_lexicon();
    p.source_text = std::string(text);
    p.source_digest = storage::sha256_hex(text);
    return p;
  } catch (const YAML::Exception& e) {
    // A shape the parser did not expect (e.g. a list where a map belongs) that slipped past the checks.
    throw ConfigError(file, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

core::Policy load_config(const std::string& path, std::shared_ptr<const core::LexiconMatcher>* compiled_lexicon) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, 0, "cannot read the config file", "check the path given to --config");
  std::ostringstream text;
  text << in.rdbuf();
  const auto dir = std::filesystem::path(path).parent_path();
  return parse_config(text.str(), path, dir.empty() ? "." : dir.string(), compiled_lexicon);
}

}  // namespace desk::bot
