#include "handlers/run_chart.hpp"

#include "handlers/http_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

namespace desk::handlers {
namespace {

constexpr double kWidth = 760, kHeight = 380;
constexpr double kLeft = 64, kRight = 24, kTop = 48, kBottom = 56;

std::string number(double v, const char* format = "%.1f") {
  char out[32];
  std::snprintf(out, sizeof out, format, v);
  return out;
}

/// A round step for the y axis: 1, 2 or 5 times a power of ten, about five ticks up to `top`.
double tick_step(double top) {
  const double raw = top / 5.0;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * power) return m * power;
  return 10.0 * power;
}

}  // namespace

std::string run_chart_svg(const core::WeeklyReport& report, core::Seconds target) {
  const double target_min = static_cast<double>(target.count()) / 60.0;
  std::vector<std::optional<double>> points;
  double highest = target_min;
  for (const auto& w : report.weeks) {
    if (w.respond.mean) {
      const double m = static_cast<double>(w.respond.mean->count()) / 60.0;
      points.push_back(m);
      highest = std::max(highest, m);
    } else {
      points.push_back(std::nullopt);
    }
  }
  const double step = tick_step(highest * 1.15);
  const double top = std::ceil(highest * 1.15 / step) * step;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const std::size_t n = std::max<std::size_t>(report.weeks.size(), 1);
  const auto x = [&](std::size_t i) { return kLeft + plot_w * (n == 1 ? 0.5 : (i + 0.5) / n); };
  const auto y = [&](double minutes) { return kTop + plot_h * (1.0 - minutes / top); };

  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg +=
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"380\" viewBox=\"0 0 760 380\" "
      "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n";
  svg += "<title>Mean time to respond, by week</title>\n";
  svg += "<rect width=\"760\" height=\"380\" fill=\"#ffffff\"/>\n";
  svg += "<text x=\"" + number(kLeft, "%.0f") +
         "\" y=\"28\" font-size=\"16\" font-weight=\"bold\" fill=\"#1f2933\">Mean time to respond, by week "
         "(minutes)</text>\n";
  // Grid and y labels.
  for (double v = 0; v <= top + step / 2; v += step) {
    const std::string yy = number(y(v));
    svg += "<line x1=\"" + number(kLeft) + "\" y1=\"" + yy + "\" x2=\"" + number(kWidth - kRight) + "\" y2=\"" + yy +
           "\" stroke=\"#e4e7eb\"/>\n";
    svg += "<text x=\"" + number(kLeft - 8) + "\" y=\"" + number(y(v) + 4) +
           "\" text-anchor=\"end\" fill=\"#52606d\">" + number(v, step < 1 ? "%.1f" : "%.0f") + "</text>\n";
  }
  // The target.
  const std::string ty = number(y(target_min));
  svg += "<line x1=\"" + number(kLeft) + "\" y1=\"" + ty + "\" x2=\"" + number(kWidth - kRight) + "\" y2=\"" + ty +
         "\" stroke=\"#d64545\" stroke-width=\"2\" stroke-dasharray=\"8 5\"/>\n";
  svg += "<text x=\"" + number(kLeft + 6) + "\" y=\"" + number(y(target_min) + 16) + "\" fill=\"#d64545\">target " +
         number(target_min, "%g") + " min</text>\n";
  // The line, broken where a week had no response.
  std::string path;
  bool pen_down = false;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!points[i]) {
      pen_down = false;
      continue;
    }
    path += (pen_down ? " L" : (path.empty() ? "M" : " M")) + number(x(i)) + " " + number(y(*points[i]));
    pen_down = true;
  }
  if (!path.empty()) svg += "<path d=\"" + path + "\" fill=\"none\" stroke=\"#2680c2\" stroke-width=\"2.5\"/>\n";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string label = escape_markup(report.weeks[i].week);
    svg += "<text x=\"" + number(x(i)) + "\" y=\"" + number(kHeight - kBottom + 20) +
           "\" text-anchor=\"middle\" fill=\"#52606d\">" + label + "</text>\n";
    if (!points[i]) continue;
    svg += "<circle cx=\"" + number(x(i)) + "\" cy=\"" + number(y(*points[i])) +
           "\" r=\"4.5\" fill=\"#2680c2\"><title>" + label + ": " + number(*points[i]) + " min</title></circle>\n";
    svg += "<text x=\"" + number(x(i)) + "\" y=\"" + number(y(*points[i]) - 10) +
           "\" text-anchor=\"middle\" fill=\"#1f2933\">" + number(*points[i]) + "</text>\n";
  }
  svg += "<line x1=\"" + number(kLeft) + "\" y1=\"" + number(kHeight - kBottom) + "\" x2=\"" + number(kWidth - kRight) +
         "\" y2=\"" + number(kHeight - kBottom) + "\" stroke=\"#9aa5b1\"/>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace desk::handlers
