#include "handlers/run_chart_layout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace desk::handlers {
namespace {

constexpr double kLeft = 64, kRight = 24, kTop = 48, kBottom = 56;
/// A generous width of one character of the labels (12 px sans serif, or the PNG's 6 px cells), and
/// the room kept between two labels side by side: what decides whether every week's name fits.
constexpr double kCharWidth = 7, kLabelGap = 8;

/// A round step for the y axis: 1, 2 or 5 times a power of ten, about five ticks up to `top` (> 0).
double tick_step(double top) {
  const double raw = top / 5.0;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * power) return m * power;
  return 10.0 * power;
}

/// Every how many weeks a label of `chars` characters can be shown without touching its neighbour.
std::size_t label_every(std::size_t chars, double spacing) {
  const double needed = kCharWidth * static_cast<double>(chars) + kLabelGap;
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(needed / spacing)));
}

}  // namespace

std::string chart_number(double v, const char* format) {
  char out[32];
  std::snprintf(out, sizeof out, format, v);
  return out;
}

RunChartLayout run_chart_layout(const core::WeeklyReport& report, core::Seconds target) {
  RunChartLayout c;
  c.left = kLeft;
  c.right = RunChartLayout::kWidth - kRight;
  c.top = kTop;
  c.bottom = RunChartLayout::kHeight - kBottom;
  c.target_minutes = static_cast<double>(target.count()) / 60.0;
  double highest = c.target_minutes;
  for (const auto& w : report.weeks)
    if (w.respond.mean) highest = std::max(highest, static_cast<double>(w.respond.mean->count()) / 60.0);
  if (!(highest > 0)) highest = 1.0;  // nothing to scale by: one minute, not 0/0
  const double step = tick_step(highest * 1.15);
  const double scale_top = std::ceil(highest * 1.15 / step) * step;
  const double plot_w = c.right - c.left, plot_h = c.bottom - c.top;
  const std::size_t n = std::max<std::size_t>(report.weeks.size(), 1);
  const auto x = [&](std::size_t i) { return c.left + plot_w * (n == 1 ? 0.5 : (i + 0.5) / n); };
  const auto y = [&](double minutes) { return c.top + plot_h * (1.0 - minutes / scale_top); };

  c.title = {c.left, 28, TextAnchor::start, "Mean time to respond, by week (minutes)"};
  // Ticks as multiples of the step, not a running sum, so 0.1 steps do not drift past the top.
  const auto tick_count = static_cast<long>(std::lround(scale_top / step));
  for (long i = 0; i <= tick_count; ++i) {
    const double v = static_cast<double>(i) * step;
    c.ticks.push_back({y(v), {c.left - 8, y(v) + 4, TextAnchor::end, chart_number(v, step < 1 ? "%.1f" : "%.0f")}});
  }
  c.target_y = y(c.target_minutes);
  // Under the line, unless that is down among the week names (a target near 0): then over it.
  const double under = c.target_y + 16;
  c.target_label = {c.left + 6, under <= c.bottom - 4 ? under : c.target_y - 6, TextAnchor::start,
                    "target " + chart_number(c.target_minutes, "%g") + " min"};

  std::size_t longest_name = 0, longest_figure = 0;
  for (std::size_t i = 0; i < report.weeks.size(); ++i) {
    const auto& w = report.weeks[i];
    ChartWeek week;
    week.x = x(i);
    week.name = {week.x, c.bottom + 20, TextAnchor::middle, w.week};
    longest_name = std::max(longest_name, w.week.size());
    if (w.respond.mean) {
      week.minutes = static_cast<double>(w.respond.mean->count()) / 60.0;
      week.y = y(*week.minutes);
      week.figure = {week.x, week.y - 10, TextAnchor::middle, chart_number(*week.minutes)};
      longest_figure = std::max(longest_figure, week.figure.text.size());
      if (c.runs.empty() || !c.weeks.back().minutes) c.runs.emplace_back();
      c.runs.back().push_back(i);
    }
    c.weeks.push_back(week);
  }
  const double spacing = plot_w / static_cast<double>(n);
  const std::size_t name_every = label_every(longest_name, spacing);
  const std::size_t figure_every = label_every(longest_figure, spacing);
  for (std::size_t i = 0; i < c.weeks.size(); ++i) {
    const std::size_t from_last = c.weeks.size() - 1 - i;
    c.weeks[i].name_shown = from_last % name_every == 0;
    c.weeks[i].figure_shown = c.weeks[i].minutes && from_last % figure_every == 0;
  }
  return c;
}

}  // namespace desk::handlers
