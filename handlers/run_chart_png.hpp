#pragma once
/// The run chart (run_chart.hpp) as a PNG image, drawn in-process from the same layout as the SVG
/// (run_chart_layout.hpp): for a Slack file upload or a Teams card's data: URI, with no renderer to run.
#include <string>

#include "core/report.hpp"

namespace desk::handlers {

/// A complete PNG file, 760×380, 8-bit with a palette of seven colours: the SVG's grid, target line,
/// line, points and texts (in a built-in bitmap font). A few kilobytes for 8 weeks or 52. The same
/// report and target always give the same bytes.
std::string run_chart_png(const core::WeeklyReport& report, core::Seconds target);

}  // namespace desk::handlers
