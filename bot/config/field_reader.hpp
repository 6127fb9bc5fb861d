#pragma once
/// Private to the config loader (bot/config/): reading one YAML value into a typed value, and the
/// wording of what is wrong when it cannot be read. Every section parser goes through here, so the
/// messages and hints people see (unknown key, did you mean, bad duration, out of range) are worded
/// once, each with the file, line and column of the value.
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/policy.hpp"

namespace desk::bot::config_parsing {

/// The candidate nearest to `word` by edit distance when it is a near miss (fewer than 3 edits),
/// else empty: the "did you mean" of the hints.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

/// "a, b, c".
std::string join(const std::vector<std::string>& v);

/// Reads YAML nodes into typed values, failing with the node's position.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  /// Throws ConfigError at the node's line and column.
  [[noreturn]] void fail(const YAML::Node& at, const std::string& message, const std::string& hint = {}) const;

  void expect_map(const YAML::Node& n, const std::string& what) const;

  /// Refuses unknown and duplicate keys, suggesting the closest known one.
  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed, const std::string& what) const;

  /// Map keys must be unique too where the keys are names (people, roles, workflows).
  void check_unique_keys(const YAML::Node& map, const std::string& what) const;

  std::string string(const YAML::Node& n, const std::string& what, bool allow_empty = false) const;
  double number(const YAML::Node& n, const std::string& what) const;
  /// true or false, exactly (YAML 1.1's yes/no/on/off are refused: too easy to write by mistake).
  bool boolean(const YAML::Node& n, const std::string& what) const;
  long integer(const YAML::Node& n, const std::string& what, long min, long max) const;
  core::Seconds duration(const YAML::Node& n, const std::string& what) const;
  std::vector<std::string> string_list(const YAML::Node& n, const std::string& what) const;

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

}  // namespace desk::bot::config_parsing
