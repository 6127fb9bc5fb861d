#pragma once
/// Every surface the desk knows, in the order they are started. A new surface is a new folder under
/// bot/ with a SurfaceFactory, plus one line in surfaces.cpp.
#include <span>

#include "bot/app/surface.hpp"

namespace desk::bot {

struct SurfaceEntry {
  const char* name;
  SurfaceFactory make;
  const char* how_to_enable;  ///< what to set, for the message when no surface is enabled
};

std::span<const SurfaceEntry> known_surfaces();

}  // namespace desk::bot
