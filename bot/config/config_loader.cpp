// The config loader's public API (config_loader.hpp): reading the file, turning YAML syntax errors
// into ConfigError, and the digest that names this version of the policy. The sections themselves
// are read by PolicyParser (policy_parser.hpp), one file per section.
#include "bot/config/config_loader.hpp"

#include <yaml-cpp/yaml.h>

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
  }
  if (total <= 0) return std::nullopt;
  return Seconds{total};
}

core::Policy parse_config(std::string_view text, const std::string& file, const std::string& base_dir) {
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
    p.source_text = std::string(text);
    p.source_digest = storage::sha256_hex(text);
    return p;
  } catch (const YAML::Exception& e) {
    // A shape the parser did not expect (e.g. a list where a map belongs) that slipped past the checks.
    throw ConfigError(file, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

core::Policy load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 0, 0, "cannot read the config file", "check the path given to --config");
  std::ostringstream text;
  text << in.rdbuf();
  const auto dir = std::filesystem::path(path).parent_path();
  return parse_config(text.str(), path, dir.empty() ? "." : dir.string());
}

}  // namespace desk::bot
