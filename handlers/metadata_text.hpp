#pragma once
/// The string values of a submission's free-form metadata, with where each is
/// ("metadata.customer.emails[1]", the way validation errors name a place). The parser lists them for
/// the scanners; the evidence masker rewrites them. One walk, so both see the same strings.
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace desk::handlers {

/// Calls `f(place, string_value)` for every string in `value` (const or not), in document order
/// (object keys sorted). Keys are not visited: they name things, values hold them.
template <typename Json, typename F>
void for_each_metadata_string(Json& value, const std::string& place, F&& f) {
  if (value.is_string()) {
    f(place, value);
  } else if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) for_each_metadata_string(*it, place + "." + it.key(), f);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i)
      for_each_metadata_string(value[i], place + "[" + std::to_string(i) + "]", f);
  }
}

}  // namespace desk::handlers
