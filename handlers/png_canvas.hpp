#pragma once
/// An 8-bit palette image with the few drawing operations a chart needs (rules, dashes, thick lines,
/// discs, text in the built-in bitmap font), written out as a PNG file. No anti-aliasing: with a
/// handful of colours the image deflates to a few kilobytes.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "handlers/run_chart_layout.hpp"

namespace desk::handlers {

class PngCanvas {
 public:
  using Rgb = std::array<std::uint8_t, 3>;

  /// A `width`×`height` image filled with palette entry 0 (at most 256 entries).
  PngCanvas(int width, int height, std::vector<Rgb> palette);

  int width() const { return width_; }
  int height() const { return height_; }
  /// The palette index at (x, y); 0 outside the image.
  std::uint8_t at(int x, int y) const;
  /// Paints one pixel; a pixel outside the image is ignored, so shapes may run over the edge.
  void set(int x, int y, std::uint8_t colour);

  /// A 1-pixel horizontal line in the row `y` falls in, over the columns from `left` to `right`.
  void rule(double left, double right, double y, std::uint8_t colour);
  /// A 2-pixel horizontal line centred on `y`, `on` pixels drawn then `off` skipped, from `left`.
  void dashes(double left, double right, double y, int on, int off, std::uint8_t colour);
  /// A line 2 pixels thick from (x0, y0) to (x1, y1).
  void line(double x0, double y0, double x1, double y1, std::uint8_t colour);
  /// Every pixel whose centre lies within `radius` of (cx, cy).
  void disc(double cx, double cy, double radius, std::uint8_t colour);
  /// `t` in the bitmap font, each font pixel drawn as a `scale`×`scale` block; its baseline at t.y.
  void text(const ChartText& t, int scale, std::uint8_t colour);

  /// The whole PNG file: IHDR (8-bit, colour type 3), PLTE, one IDAT (each row with filter 0, the
  /// lot deflated by zlib), IEND; every chunk's CRC by zlib's crc32. The same image gives the same bytes.
  std::string png() const;

 private:
  /// A 2×2 block centred on the pixel corner nearest (x, y): the pen of the thick strokes.
  void stamp(double x, double y, std::uint8_t colour);

  int width_, height_;
  std::vector<Rgb> palette_;
  std::vector<std::uint8_t> pixels_;
};

}  // namespace desk::handlers
