#pragma once
/// The run chart's geometry, worked out once for every way of drawing it (SVG and PNG): the scale,
/// where each tick, week, point and text goes, and what the texts say. A renderer only draws what it
/// is given here, so the two images cannot disagree. Pure arithmetic on the report.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/report.hpp"

namespace desk::handlers {

/// Which part of a text its x names.
enum class TextAnchor { start, middle, end };

/// One line of text: x as its anchor says, y its baseline, in pixels from the top left.
struct ChartText {
  double x = 0, y = 0;
  TextAnchor anchor = TextAnchor::start;
  std::string text;
};

/// A grid line across the plot at `y`, and its value beside the y axis.
struct ChartTick {
  double y = 0;
  ChartText label;
};

/// One ISO week on the x axis.
struct ChartWeek {
  double x = 0;
  ChartText name;                 ///< "2026-W49", under the axis
  bool name_shown = true;         ///< false where weeks are too close for every name (below)
  std::optional<double> minutes;  ///< the mean time to respond; empty for a week with no response: no point
  double y = 0;                   ///< the point's y, when there is one
  ChartText figure;               ///< the mean, "11.0", above the point (empty text without a point)
  bool figure_shown = false;      ///< a point's figure, unless the points are too close for every one
};

struct RunChartLayout {
  static constexpr int kWidth = 760, kHeight = 380;
  double left = 0, right = 0, top = 0, bottom = 0;  ///< the plot area; the x axis runs along `bottom`
  ChartText title;
  std::vector<ChartTick> ticks;  ///< from 0 up to the top of the scale, evenly spaced
  double target_minutes = 0, target_y = 0;
  ChartText target_label;        ///< "target 5 min", under the target line (over it when that is at the axis)
  std::vector<ChartWeek> weeks;  ///< oldest first, as in the report
  /// The line, as runs of consecutive weeks with a point (indexes into `weeks`): a week with no
  /// response ends a run. A run of one week is a point with no line.
  std::vector<std::vector<std::size_t>> runs;
};

/// The chart of `report` against `target` (the triage SLA). The scale reaches at least the target and
/// the highest mean; when both are zero it is one minute high, so no coordinate is ever NaN or
/// infinite. When the weeks are too close for every name (or figure) to fit, every k-th is shown,
/// counted back from the last week, which always has its own.
RunChartLayout run_chart_layout(const core::WeeklyReport& report, core::Seconds target);

/// `v` printed with `format` (printf's), as the chart's texts and coordinates are.
std::string chart_number(double v, const char* format = "%.1f");

}  // namespace desk::handlers
