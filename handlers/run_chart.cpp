#include "handlers/run_chart.hpp"

#include "handlers/http_text.hpp"
#include "handlers/run_chart_layout.hpp"

namespace desk::handlers {
namespace {

const char* anchor_attribute(TextAnchor a) {
  switch (a) {
    case TextAnchor::middle:
      return "\" text-anchor=\"middle";
    case TextAnchor::end:
      return "\" text-anchor=\"end";
    case TextAnchor::start:
      break;
  }
  return "";
}

std::string text(const ChartText& t, const char* fill) {
  return "<text x=\"" + chart_number(t.x) + "\" y=\"" + chart_number(t.y) + anchor_attribute(t.anchor) + "\" fill=\"" +
         fill + "\">" + escape_markup(t.text) + "</text>\n";
}

std::string horizontal(double left, double right, double y, const std::string& style) {
  const std::string yy = chart_number(y);
  return "<line x1=\"" + chart_number(left) + "\" y1=\"" + yy + "\" x2=\"" + chart_number(right) + "\" y2=\"" + yy +
         "\" " + style + "/>\n";
}

}  // namespace

std::string run_chart_svg(const core::WeeklyReport& report, core::Seconds target) {
  const RunChartLayout c = run_chart_layout(report, target);
  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg +=
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"380\" viewBox=\"0 0 760 380\" "
      "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n";
  svg += "<title>Mean time to respond, by week</title>\n";
  svg += "<rect width=\"760\" height=\"380\" fill=\"#ffffff\"/>\n";
  svg += "<text x=\"" + chart_number(c.title.x, "%.0f") + "\" y=\"" + chart_number(c.title.y, "%.0f") +
         "\" font-size=\"16\" font-weight=\"bold\" fill=\"#1f2933\">" + escape_markup(c.title.text) + "</text>\n";
  for (const auto& tick : c.ticks) {
    svg += horizontal(c.left, c.right, tick.y, "stroke=\"#e4e7eb\"");
    svg += text(tick.label, "#52606d");
  }
  svg += horizontal(c.left, c.right, c.target_y, "stroke=\"#d64545\" stroke-width=\"2\" stroke-dasharray=\"8 5\"");
  svg += text(c.target_label, "#d64545");
  // The line, broken where a week had no response.
  std::string path;
  for (const auto& run : c.runs)
    for (std::size_t i : run)
      path += (i != run.front() ? " L" : (path.empty() ? "M" : " M")) + chart_number(c.weeks[i].x) + " " +
              chart_number(c.weeks[i].y);
  if (!path.empty()) svg += "<path d=\"" + path + "\" fill=\"none\" stroke=\"#2680c2\" stroke-width=\"2.5\"/>\n";
  for (const auto& week : c.weeks) {
    if (week.name_shown) svg += text(week.name, "#52606d");
    if (!week.minutes) continue;
    svg += "<circle cx=\"" + chart_number(week.x) + "\" cy=\"" + chart_number(week.y) +
           "\" r=\"4.5\" fill=\"#2680c2\"><title>" + escape_markup(week.name.text) + ": " + week.figure.text +
           " min</title></circle>\n";
    if (week.figure_shown) svg += text(week.figure, "#1f2933");
  }
  svg += horizontal(c.left, c.right, c.bottom, "stroke=\"#9aa5b1\"");
  svg += "</svg>\n";
  return svg;
}

}  // namespace desk::handlers
