#pragma once
/// Reading the Bot Framework's JSON (tokens, key sets, activities, service answers) without trusting
/// its shape: a field of the wrong type reads as absent.
#include <algorithm>
#include <cctype>
#include <string>

#include <nlohmann/json.hpp>

namespace desk::bot::teams {

/// `object[name]` when `object` is an object and that member is a string; else empty.
inline std::string string_field(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return {};
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// A machine-readable error code from a service's answer (an OAuth "error", the Bot Connector's
/// "code"), as a log may carry it: empty when absent, "unreadable" when it is not a short ASCII word.
inline std::string code_field(const nlohmann::json& object, const char* name) {
  std::string code = string_field(object, name);
  const bool readable = code.size() <= 64 && std::all_of(code.begin(), code.end(), [](unsigned char c) {
                          return std::isalnum(c) || c == '_' || c == '-' || c == '.';
                        });
  return readable ? code : "unreadable";
}

}  // namespace desk::bot::teams
