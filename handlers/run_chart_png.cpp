#include "handlers/run_chart_png.hpp"

#include "handlers/png_canvas.hpp"
#include "handlers/run_chart_layout.hpp"

namespace desk::handlers {
namespace {

/// The SVG's colours, in palette order.
enum Colour : std::uint8_t { kBackground, kGrid, kAxis, kLabel, kInk, kLine, kTarget };

const std::vector<PngCanvas::Rgb> kPalette = {
    {0xff, 0xff, 0xff},  // background
    {0xe4, 0xe7, 0xeb},  // grid
    {0x9a, 0xa5, 0xb1},  // the x axis
    {0x52, 0x60, 0x6d},  // tick values and week names
    {0x1f, 0x29, 0x33},  // the title and the figures
    {0x26, 0x80, 0xc2},  // the line and its points
    {0xd6, 0x45, 0x45},  // the target
};

}  // namespace

std::string run_chart_png(const core::WeeklyReport& report, core::Seconds target) {
  const RunChartLayout c = run_chart_layout(report, target);
  PngCanvas canvas(RunChartLayout::kWidth, RunChartLayout::kHeight, kPalette);
  canvas.text(c.title, 2, kInk);  // the SVG's title is 16 px bold: the font at twice its size
  for (const auto& tick : c.ticks) {
    canvas.rule(c.left, c.right, tick.y, kGrid);
    canvas.text(tick.label, 1, kLabel);
  }
  canvas.dashes(c.left, c.right, c.target_y, 8, 5, kTarget);  // stroke-dasharray="8 5"
  canvas.text(c.target_label, 1, kTarget);
  for (const auto& run : c.runs)
    for (std::size_t k = 1; k < run.size(); ++k) {
      const ChartWeek &from = c.weeks[run[k - 1]], &to = c.weeks[run[k]];
      canvas.line(from.x, from.y, to.x, to.y, kLine);
    }
  for (const auto& week : c.weeks) {
    if (week.name_shown) canvas.text(week.name, 1, kLabel);
    if (!week.minutes) continue;
    canvas.disc(week.x, week.y, 4.5, kLine);
    if (week.figure_shown) canvas.text(week.figure, 1, kInk);
  }
  canvas.rule(c.left, c.right, c.bottom, kAxis);
  return canvas.png();
}

}  // namespace desk::handlers
