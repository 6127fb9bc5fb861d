#pragma once
// How the emulated workspace answers and reads arguments, shared by its method files.
#include <string>

#include "tests/emulator/workspace_model.hpp"

namespace desk::emulator::answers {

using Json = nlohmann::json;

inline ApiResponse ok(Json body = Json::object()) {
  body["ok"] = true;
  return ApiResponse{200, std::move(body), std::nullopt};
}

inline ApiResponse fail(const std::string& error, Json extra = Json::object()) {
  extra["ok"] = false;
  extra["error"] = error;
  return ApiResponse{200, std::move(extra), std::nullopt};
}

/// An argument as text: strings as they are, numbers and booleans as JSON; empty otherwise.
inline std::string arg(const Json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return {};
}

inline bool flag(const Json& args, const char* key) {
  auto v = arg(args, key);
  return v == "true" || v == "1";
}

inline int int_arg(const Json& args, const char* key, int fallback) {
  auto v = arg(args, key);
  try {
    return v.empty() ? fallback : std::stoi(v);
  } catch (const std::exception&) { return fallback; }
}

}  // namespace desk::emulator::answers
