#pragma once
/// The console's stylesheet and script, compiled into the binary from bot/console/assets/ (CMake
/// turns each file into a string at build time): the console fetches nothing from anywhere else.
#include <string_view>

namespace desk::bot::console {

struct ConsoleAsset {
  std::string_view name;          ///< "console.css"
  std::string_view content_type;  ///< "text/css; charset=utf-8"
  std::string_view body;
};

/// The asset called `name`, or nullptr.
const ConsoleAsset* find_asset(std::string_view name);

}  // namespace desk::bot::console
