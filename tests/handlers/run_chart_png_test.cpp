// The run chart as PNG, read back the way an image viewer would: the file is taken apart chunk by
// chunk, its CRCs checked and its image data inflated with zlib (no PNG library), and the pixels are
// compared with where the shared layout (run_chart_layout.hpp) says each part of the chart goes.
#include "handlers/run_chart_png.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "handlers/bitmap_font.hpp"
#include "handlers/png_canvas.hpp"
#include "handlers/run_chart.hpp"
#include "handlers/run_chart_layout.hpp"
#include "tests/support/run_chart_weeks.hpp"

// Named, not anonymous: the test files are compiled together in unity builds.
namespace desk::handlers::png_chart_test {

using namespace std::chrono_literals;
using Rgb = std::array<std::uint8_t, 3>;

constexpr Rgb kWhite{0xff, 0xff, 0xff}, kGridGrey{0xe4, 0xe7, 0xeb}, kLabelGrey{0x52, 0x60, 0x6d},
    kInk{0x1f, 0x29, 0x33}, kBlue{0x26, 0x80, 0xc2}, kRed{0xd6, 0x45, 0x45};

struct Chunk {
  std::string type, data;
  bool crc_ok = false;
};

/// A PNG file taken apart; `error` says what was wrong with it, empty when nothing was.
struct DecodedPng {
  std::string error;
  std::vector<Chunk> chunks;
  std::uint32_t width = 0, height = 0;
  int bit_depth = 0, colour_type = 0, compression = 0, filter = 0, interlace = 0;
  std::vector<Rgb> palette;
  std::vector<std::uint8_t> pixels;  ///< palette indexes, row by row
  std::vector<int> filters;          ///< each row's filter byte
};

std::uint32_t be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<std::uint8_t>(s[at + i]);
  return v;
}

std::uint32_t crc_of(const std::string& bytes) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

DecodedPng decode(const std::string& png) {
  DecodedPng d;
  if (png.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) != 0) return d.error = "no PNG signature", d;
  std::string idat;
  for (std::size_t at = 8; at < png.size();) {
    if (at + 12 > png.size()) return d.error = "a chunk runs past the end", d;
    const std::uint32_t length = be32(png, at);
    if (at + 12 + length > png.size()) return d.error = "a chunk's data runs past the end", d;
    Chunk c{png.substr(at + 4, 4), png.substr(at + 8, length)};
    c.crc_ok = be32(png, at + 8 + length) == crc_of(c.type + c.data);
    if (c.type == "IDAT") idat += c.data;
    d.chunks.push_back(c);
    at += 12 + length;
  }
  if (d.chunks.empty() || d.chunks.front().type != "IHDR" || d.chunks.front().data.size() != 13)
    return d.error = "IHDR is not first", d;
  const std::string& h = d.chunks.front().data;
  d.width = be32(h, 0);
  d.height = be32(h, 4);
  d.bit_depth = h[8], d.colour_type = h[9], d.compression = h[10], d.filter = h[11], d.interlace = h[12];
  for (const auto& c : d.chunks)
    if (c.type == "PLTE")
      for (std::size_t i = 0; i + 3 <= c.data.size(); i += 3)
        d.palette.push_back({static_cast<std::uint8_t>(c.data[i]), static_cast<std::uint8_t>(c.data[i + 1]),
                             static_cast<std::uint8_t>(c.data[i + 2])});
  if (d.width == 0 || d.height == 0 || d.width > 4096 || d.height > 4096) return d.error = "unlikely size", d;
  const std::size_t stride = d.width + 1;                // 8-bit indexes and a filter byte
  std::vector<std::uint8_t> raw(stride * d.height + 1);  // one spare byte: too much data shows as a longer result
  uLongf size = raw.size();
  if (::uncompress(raw.data(), &size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) != Z_OK)
    return d.error = "IDAT does not inflate", d;
  if (size != stride * d.height) return d.error = "IDAT holds " + std::to_string(size) + " bytes", d;
  for (std::size_t y = 0; y < d.height; ++y) {
    d.filters.push_back(raw[y * stride]);
    d.pixels.insert(d.pixels.end(), raw.begin() + y * stride + 1, raw.begin() + (y + 1) * stride);
  }
  return d;
}

Rgb colour_at(const DecodedPng& d, double x, double y) {
  const auto px = static_cast<std::size_t>(std::floor(x)), py = static_cast<std::size_t>(std::floor(y));
  if (px >= d.width || py >= d.height) return {};
  const std::uint8_t index = d.pixels[py * d.width + px];
  return index < d.palette.size() ? d.palette[index] : Rgb{};
}

/// How many pixels of `colour` lie in the box from (x0, y0) to (x1, y1), both included.
int count_in(const DecodedPng& d, int x0, int y0, int x1, int y1, Rgb colour) {
  int n = 0;
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) n += colour_at(d, x, y) == colour;
  return n;
}

using testing::playbook_weeks;
using testing::weeks_of_response;

/// A year of weeks wandering between 2 and 14 minutes, three of them without a response.
core::WeeklyReport fifty_two_weeks() {
  std::vector<double> minutes;
  for (int i = 0; i < 52; ++i) minutes.push_back(i % 17 == 5 ? -1 : 8.0 + 6.0 * std::sin(i * 0.7) * (i % 3 ? 1 : 0.5));
  return weeks_of_response(minutes);
}

TEST(RunChartPng, IsAWellFormedEightBitPaletteImageOfTheChartsSize) {
  const DecodedPng d = decode(run_chart_png(playbook_weeks(), 5min));
  ASSERT_EQ(d.error, "");
  std::vector<std::string> order;
  for (const auto& c : d.chunks) {
    order.push_back(c.type);
    EXPECT_TRUE(c.crc_ok) << c.type << "'s CRC";
  }
  EXPECT_EQ(order, (std::vector<std::string>{"IHDR", "PLTE", "IDAT", "IEND"}));
  EXPECT_EQ(d.width, 760u);
  EXPECT_EQ(d.height, 380u);
  EXPECT_EQ(d.bit_depth, 8);
  EXPECT_EQ(d.colour_type, 3) << "indexed colour";
  EXPECT_EQ(d.compression + d.filter + d.interlace, 0);
  EXPECT_LE(d.palette.size(), 8u) << "a few colours";
  for (Rgb c : {kWhite, kGridGrey, kLabelGrey, kInk, kBlue, kRed})
    EXPECT_NE(std::find(d.palette.begin(), d.palette.end(), c), d.palette.end());
  EXPECT_EQ(std::count(d.filters.begin(), d.filters.end(), 0), 380) << "filter type 0 on every row";
  EXPECT_TRUE(std::all_of(d.pixels.begin(), d.pixels.end(), [&](auto i) { return i < d.palette.size(); }));
  EXPECT_EQ(colour_at(d, 0, 0), kWhite);
  EXPECT_EQ(colour_at(d, 759, 379), kWhite);
}

TEST(RunChartPng, DrawsTheDashedTargetLineWhereTheLayoutPutsIt) {
  for (auto target : {5min, 8min}) {
    const RunChartLayout c = run_chart_layout(playbook_weeks(), target);
    const DecodedPng d = decode(run_chart_png(playbook_weeks(), target));
    ASSERT_EQ(d.error, "");
    EXPECT_EQ(colour_at(d, c.left + 2, c.target_y), kRed) << "a dash at the start";
    EXPECT_EQ(colour_at(d, c.left + 13 + 2, c.target_y), kRed) << "the next dash, 8 on and 5 off";
    EXPECT_NE(colour_at(d, c.left + 10, c.target_y), kRed) << "the gap between them";
    EXPECT_GT(count_in(d, static_cast<int>(c.right) - 60, static_cast<int>(c.target_y) - 1, static_cast<int>(c.right),
                       static_cast<int>(c.target_y) + 1, kRed),
              30)
        << "the line crosses the whole plot";
  }
  // The line moves with the target: at 8 minutes nothing red is left on the 5-minute row.
  const RunChartLayout five = run_chart_layout(playbook_weeks(), 5min),
                       eight = run_chart_layout(playbook_weeks(), 8min);
  ASSERT_GT(std::abs(five.target_y - eight.target_y), 10);
  const DecodedPng d = decode(run_chart_png(playbook_weeks(), 8min));
  EXPECT_EQ(count_in(d, static_cast<int>(five.left), static_cast<int>(five.target_y), static_cast<int>(five.left) + 40,
                     static_cast<int>(five.target_y), kRed),
            0);
}

TEST(RunChartPng, DrawsEachWeeksPointAtItsPositionAndBreaksTheLineAtAWeekWithNoResponse) {
  const RunChartLayout c = run_chart_layout(playbook_weeks(), 5min);
  const DecodedPng d = decode(run_chart_png(playbook_weeks(), 5min));
  ASSERT_EQ(d.error, "");
  ASSERT_EQ(c.weeks.size(), 8u);
  for (const auto& w : c.weeks) {
    if (!w.minutes) continue;
    EXPECT_EQ(colour_at(d, w.x, w.y), kBlue) << w.name.text;
    EXPECT_EQ(colour_at(d, w.x + 3, w.y), kBlue) << w.name.text << ": a disc, not a line's width";
    EXPECT_EQ(colour_at(d, w.x, w.y + 3), kBlue) << w.name.text;
  }
  // The line between two weeks with a response, halfway.
  const ChartWeek &first = c.weeks[0], &second = c.weeks[1];
  EXPECT_EQ(colour_at(d, (first.x + second.x) / 2, (first.y + second.y) / 2), kBlue);
  // The fourth week had none: no point in its column, and no line through it or towards it.
  const ChartWeek& gap = c.weeks[3];
  ASSERT_FALSE(gap.minutes);
  const int top = static_cast<int>(c.top), bottom = static_cast<int>(c.bottom);
  EXPECT_EQ(count_in(d, static_cast<int>(gap.x) - 2, top, static_cast<int>(gap.x) + 2, bottom, kBlue), 0);
  const double before = (c.weeks[2].x + gap.x) / 2, after = (gap.x + c.weeks[4].x) / 2;
  EXPECT_EQ(count_in(d, static_cast<int>(before), top, static_cast<int>(before), bottom, kBlue), 0);
  EXPECT_EQ(count_in(d, static_cast<int>(after), top, static_cast<int>(after), bottom, kBlue), 0);
  // The same in the SVG, from the same layout: every point at the same place.
  const std::string svg = run_chart_svg(playbook_weeks(), 5min);
  for (const auto& w : c.weeks)
    EXPECT_EQ(svg.find("cx=\"" + chart_number(w.x) + "\" cy=\"" + chart_number(w.y) + "\"") != std::string::npos,
              w.minutes.has_value())
        << w.name.text;
}

TEST(RunChartPng, WritesTheTitleNamesAndFiguresInTheBitmapFont) {
  const RunChartLayout c = run_chart_layout(playbook_weeks(), 5min);
  const DecodedPng d = decode(run_chart_png(playbook_weeks(), 5min));
  ASSERT_EQ(d.error, "");
  // The title's first letter, at twice the font's size, its baseline where the layout says.
  const Glyph& m = glyph('M');
  const int left = static_cast<int>(std::lround(c.title.x)), top = static_cast<int>(std::lround(c.title.y)) - 14;
  for (int row = 0; row < kGlyphRows; ++row)
    for (int col = 0; col < kGlyphWidth; ++col) {
      const bool ink = m[row] & (0x10 >> col);
      EXPECT_EQ(colour_at(d, left + col * 2 + 1, top + row * 2 + 1) == kInk, ink)
          << "M at row " << row << " col " << col;
    }
  // Each week's name under the axis, each figure above its point, each tick's value left of the axis.
  for (const auto& w : c.weeks) {
    const int x = static_cast<int>(w.x), name_y = static_cast<int>(w.name.y);
    EXPECT_GT(count_in(d, x - 24, name_y - 7, x + 24, name_y, kLabelGrey), 40) << w.name.text;
    if (!w.minutes) continue;
    EXPECT_GT(count_in(d, x - 12, static_cast<int>(w.figure.y) - 7, x + 12, static_cast<int>(w.figure.y), kInk), 15)
        << w.figure.text;
  }
  for (const auto& tick : c.ticks)
    EXPECT_GT(count_in(d, static_cast<int>(c.left) - 24, static_cast<int>(tick.y) - 4, static_cast<int>(c.left) - 8,
                       static_cast<int>(tick.y) + 4, kLabelGrey),
              5)
        << tick.label.text;
  EXPECT_GT(count_in(d, static_cast<int>(c.target_label.x), static_cast<int>(c.target_label.y) - 7,
                     static_cast<int>(c.target_label.x) + 72, static_cast<int>(c.target_label.y), kRed),
            40)
      << c.target_label.text;
  // Between the names nothing is written.
  const int between = static_cast<int>((c.weeks[0].x + c.weeks[1].x) / 2);
  EXPECT_EQ(
      count_in(d, between - 2, static_cast<int>(c.bottom) + 4, between + 2, RunChartLayout::kHeight - 1, kLabelGrey),
      0);
}

TEST(RunChartPng, DrawsACharacterTheFontLacksAsABox) {
  EXPECT_EQ(glyph_count("2026-W42\xc3\xa9"), 9u) << "é is one character";
  EXPECT_EQ(glyph(0xc3), glyph(0x01));
  EXPECT_NE(glyph('A'), glyph(0x01));
  PngCanvas canvas(20, 12, {{0xff, 0xff, 0xff}, {0, 0, 0}});
  canvas.text({2, 9, TextAnchor::start, "\xc3\xa9"}, 1, 1);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 20; ++x) {
      const bool outline = x >= 2 && x <= 6 && y >= 2 && y <= 8 && (x == 2 || x == 6 || y == 2 || y == 8);
      EXPECT_EQ(canvas.at(x, y), outline ? 1 : 0) << x << "," << y;
    }
}

TEST(RunChartPng, GivesTheSameBytesForTheSameFiguresAndOthersForOthers) {
  EXPECT_EQ(run_chart_png(playbook_weeks(), 5min), run_chart_png(playbook_weeks(), 5min));
  EXPECT_EQ(run_chart_png(fifty_two_weeks(), 5min), run_chart_png(fifty_two_weeks(), 5min));
  EXPECT_NE(run_chart_png(playbook_weeks(), 5min), run_chart_png(playbook_weeks(), 6min));
  EXPECT_NE(run_chart_png(playbook_weeks(), 5min),
            run_chart_png(weeks_of_response({11.0, 9.5, 8.3, 7.0, 6.0, 5.5, 4.8, 4.0}), 5min));
}

TEST(RunChartPng, StaysAFewKilobytesFor8And52Weeks) {
  const std::string eight = run_chart_png(playbook_weeks(), 5min), year = run_chart_png(fifty_two_weeks(), 5min);
  std::cout << "run chart PNG: 8 weeks " << eight.size() << " bytes, 52 weeks " << year.size() << " bytes\n";
  EXPECT_LT(eight.size(), 6000u);
  EXPECT_LT(year.size(), 8000u);
  ASSERT_EQ(decode(year).error, "");
  // Fifty-two names do not fit side by side: every few weeks' name, the last week's always.
  const RunChartLayout c = run_chart_layout(fifty_two_weeks(), 5min);
  ASSERT_EQ(c.weeks.size(), 52u);
  EXPECT_TRUE(c.weeks.back().name_shown);
  std::vector<double> shown;
  for (const auto& w : c.weeks)
    if (w.name_shown) shown.push_back(w.x);
  EXPECT_GT(shown.size(), 5u);
  EXPECT_LT(shown.size(), 52u);
  for (std::size_t i = 1; i < shown.size(); ++i) EXPECT_GE(shown[i] - shown[i - 1], 7.0 * 8 + 8) << "names apart";
  const RunChartLayout few = run_chart_layout(playbook_weeks(), 5min);
  for (const auto& w : few.weeks) EXPECT_TRUE(w.name_shown && (w.figure_shown || !w.minutes)) << "eight all fit";
}

TEST(RunChartPng, AReportWithNoResponseAndATargetOfZeroHasNoNaNInEitherImage) {
  for (const auto& report :
       {weeks_of_response({-1, -1, -1, -1, -1, -1, -1, -1}), weeks_of_response({0, -1, 0}), core::WeeklyReport{}}) {
    const RunChartLayout c = run_chart_layout(report, 0s);
    EXPECT_TRUE(std::isfinite(c.target_y));
    EXPECT_EQ(c.target_y, c.bottom) << "a target of 0 sits on the axis";
    EXPECT_LT(c.target_label.y, c.bottom) << "and its label over it, clear of the week names";
    ASSERT_GE(c.ticks.size(), 2u) << "a scale of about a minute";
    EXPECT_EQ(c.ticks.back().y, c.top);
    for (const auto& t : c.ticks) EXPECT_TRUE(std::isfinite(t.y)) << t.label.text;
    for (const auto& w : c.weeks) EXPECT_TRUE(std::isfinite(w.x) && std::isfinite(w.y)) << w.name.text;
    std::string svg = run_chart_svg(report, 0s);
    std::transform(svg.begin(), svg.end(), svg.begin(), [](unsigned char ch) { return std::tolower(ch); });
    EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
    EXPECT_EQ(svg.find("inf"), std::string::npos) << svg;
    EXPECT_NE(svg.find("target 0 min"), std::string::npos);
    const DecodedPng d = decode(run_chart_png(report, 0s));
    ASSERT_EQ(d.error, "");
    EXPECT_EQ(colour_at(d, c.left + 2, c.bottom - 1), kRed) << "the target line, just above the axis it sits on";
    for (const auto& w : c.weeks)
      if (w.minutes) { EXPECT_EQ(colour_at(d, w.x, w.y - 2), kBlue) << "a zero-minute week's point on the axis"; }
  }
}

}  // namespace desk::handlers::png_chart_test
