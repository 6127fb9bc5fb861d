#pragma once
/// The run chart of the playbook: the weekly mean time to respond, one point per ISO week with its
/// figure, against the target line (the triage SLA, 5 minutes by default). Written as SVG here and as
/// PNG in run_chart_png.hpp, both by the desk itself from one layout (run_chart_layout.hpp).
#include <string>

#include "core/report.hpp"

namespace desk::handlers {

/// A standalone SVG document (UTF-8, fixed size 760×380). A week with no response has no point and
/// breaks the line; the y axis always shows the target.
std::string run_chart_svg(const core::WeeklyReport& report, core::Seconds target);

}  // namespace desk::handlers
