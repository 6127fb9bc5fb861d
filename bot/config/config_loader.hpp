#pragma once
/// Reads the policy/config file (YAML) that a person edits, and refuses any mistake with the file,
/// line and column, what is wrong and a hint. Nothing of a refused file is used.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "core/policy.hpp"

namespace desk::core {
class LexiconMatcher;
}

namespace desk::bot {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int column, std::string message, std::string hint = {});
  const std::string& file() const { return file_; }
  int line() const { return line_; }      ///< 1-based; 0 when not about a place in the file
  int column() const { return column_; }  ///< 1-based
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }

 private:
  std::string file_;
  int line_, column_;
  std::string message_, hint_;
};

/// Parses and validates config text. `file` names it in errors; relative paths in it (the database)
/// are resolved against `base_dir`.
/// `compiled_lexicon`, when given, receives the lexicon compiled to check it (PolicyEngine can use it).
core::Policy parse_config(std::string_view text, const std::string& file, const std::string& base_dir = ".",
                          std::shared_ptr<const core::LexiconMatcher>* compiled_lexicon = nullptr);

/// Reads and parses the file at `path`.
core::Policy load_config(const std::string& path,
                         std::shared_ptr<const core::LexiconMatcher>* compiled_lexicon = nullptr);

/// Parses "30s", "5m", "1h30m", "2d" into seconds; nullopt when malformed or not positive.
std::optional<core::Seconds> parse_duration(std::string_view text);

/// Splits a listen address, "host:port" (IPv6 as "[::1]:8080"), into the host (without brackets) and
/// the port (digits only, 0–65535); nullopt when malformed. The config check and the intake server
/// use this one rule, so an address the check passes is one the desk can listen on.
std::optional<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view listen);

}  // namespace desk::bot
