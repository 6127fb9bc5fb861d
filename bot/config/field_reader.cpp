// Reading one YAML value of the config file into a typed value, with the messages and hints that
// say what is wrong (see field_reader.hpp).
#include "bot/config/field_reader.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "bot/config/config_loader.hpp"

namespace desk::bot::config_parsing {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = 3;  // suggest only near misses
  for (const auto& c : candidates) {
    const auto d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void Reader::fail(const YAML::Node& at, const std::string& message, const std::string& hint) const {
  const auto m = at.Mark();
  throw ConfigError(file_, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1, message, hint);
}

void Reader::expect_map(const YAML::Node& n, const std::string& what) const {
  if (!n.IsMap()) fail(n, what + " must be a mapping of keys to values", "indent its keys under it");
}

void Reader::check_keys(const YAML::Node& map, const std::vector<std::string>& allowed, const std::string& what) const {
  expect_map(map, what);
  std::set<std::string> seen;
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (!seen.insert(key).second) fail(kv.first, "duplicate key '" + key + "' in " + what);
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const auto near = closest(key, allowed);
    fail(kv.first, "unknown key '" + key + "' in " + what,
         near.empty() ? "known keys: " + join(allowed) : "did you mean '" + near + "'?");
  }
}

void Reader::check_unique_keys(const YAML::Node& map, const std::string& what) const {
  expect_map(map, what);
  std::set<std::string> seen;
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (!seen.insert(key).second) fail(kv.first, "duplicate " + what + " '" + key + "'");
    if (key.empty()) fail(kv.first, "empty name in " + what);
  }
}

std::string Reader::string(const YAML::Node& n, const std::string& what, bool allow_empty) const {
  if (!n.IsScalar()) fail(n, what + " must be a text value");
  auto s = n.as<std::string>();
  if (!allow_empty && s.empty()) fail(n, what + " must not be empty");
  return s;
}

bool Reader::boolean(const YAML::Node& n, const std::string& what) const {
  const std::string s = n.IsScalar() ? n.as<std::string>() : std::string{};
  if (s != "true" && s != "false") fail(n, what + " must be true or false");
  return s == "true";
}

double Reader::number(const YAML::Node& n, const std::string& what) const {
  double v = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v))
    fail(n, what + " must be a number", "write it like 0.8");
  return v;
}

long Reader::integer(const YAML::Node& n, const std::string& what, long min, long max) const {
  long v = 0;
  if (!n.IsScalar() || !YAML::convert<long>::decode(n, v)) fail(n, what + " must be a whole number");
  if (v < min || v > max)
    fail(n, what + " " + std::to_string(v) + " is out of range",
         "use " + std::to_string(min) + "–" + std::to_string(max));
  return v;
}

core::Seconds Reader::duration(const YAML::Node& n, const std::string& what) const {
  const auto text = string(n, what);
  auto d = parse_duration(text);
  if (!d) fail(n, "bad duration '" + text + "' for " + what, "write a positive duration like 30s, 5m, 1h30m or 2d");
  return *d;
}

std::vector<std::string> Reader::string_list(const YAML::Node& n, const std::string& what) const {
  if (!n.IsSequence()) fail(n, what + " must be a list", "write it as [a, b] or as '- a' lines");
  std::vector<std::string> out;
  for (const auto& item : n) out.push_back(string(item, "each entry of " + what));
  return out;
}

}  // namespace desk::bot::config_parsing
