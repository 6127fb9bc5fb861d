// The run chart against a golden file: the same figures always draw the same SVG. To accept a
// deliberate change, run with DESK_UPDATE_GOLDEN=1 and review the new file (any browser shows it).
#include "handlers/run_chart.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/support/run_chart_weeks.hpp"

namespace desk::handlers {
namespace {

using namespace std::chrono_literals;

std::string read(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(RunChart, DrawsTheWeeklyMeanAgainstTheTargetAsTheGoldenFile) {
  const std::string svg = run_chart_svg(testing::playbook_weeks(), 5min);
  const std::string golden = std::string(DESK_SOURCE_DIR) + "/tests/handlers/golden/run_chart.svg";
  if (std::getenv("DESK_UPDATE_GOLDEN")) std::ofstream(golden, std::ios::binary) << svg;
  EXPECT_EQ(svg, read(golden)) << "the chart changed: review it and update the golden file";
}

TEST(RunChart, ShowsEveryFigureTheTargetAndBreaksTheLineAtAnEmptyWeek) {
  const std::string svg = run_chart_svg(testing::playbook_weeks(), 5min);
  for (const char* figure : {">11.0<", ">9.5<", ">8.3<", ">6.0<", ">5.5<", ">4.8<", ">4.0<"})
    EXPECT_NE(svg.find(figure), std::string::npos) << figure;
  EXPECT_NE(svg.find("target 5 min"), std::string::npos);
  EXPECT_NE(svg.find("2026-W42"), std::string::npos);
  EXPECT_NE(svg.find("2026-W49"), std::string::npos);
  const auto d = svg.find("<path d=\"") + 9;
  const std::string path = svg.substr(d, svg.find('"', d) - d);
  EXPECT_EQ(std::count(path.begin(), path.end(), 'M'), 2) << "two runs of line, before and after the gap: " << path;
  std::size_t points = 0;
  for (auto at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) ++points;
  EXPECT_EQ(points, 7u) << "no point for the week without a response";

  core::WeeklyReport empty;
  empty.weeks.push_back(testing::playbook_weeks().weeks[3]);
  const std::string none = run_chart_svg(empty, 5min);
  EXPECT_EQ(none.find("<path"), std::string::npos);
  EXPECT_NE(none.find("target 5 min"), std::string::npos) << "the axis still shows the target";
}

}  // namespace
}  // namespace desk::handlers
