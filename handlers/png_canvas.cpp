#include "handlers/png_canvas.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string_view>

#include "handlers/bitmap_font.hpp"

namespace desk::handlers {
namespace {

int pixel(double v) { return static_cast<int>(std::floor(v)); }
int nearest(double v) { return static_cast<int>(std::lround(v)); }

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

/// One chunk: length, type, data, and the CRC-32 of type and data (PNG spec, section 5.3).
void put_chunk(std::string& out, std::string_view type, std::string_view data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  out += type;
  out += data;
  uLong crc = ::crc32(0L, reinterpret_cast<const Bytef*>(type.data()), static_cast<uInt>(type.size()));
  crc = ::crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  put_u32(out, static_cast<std::uint32_t>(crc));
}

std::string deflate_all(const std::string& raw) {
  uLongf size = ::compressBound(static_cast<uLong>(raw.size()));
  std::string out(size, '\0');
  const int status = ::compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                                 reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()), 9);
  if (status != Z_OK) throw std::runtime_error("zlib could not deflate the image (" + std::to_string(status) + ")");
  out.resize(size);
  return out;
}

}  // namespace

PngCanvas::PngCanvas(int width, int height, std::vector<Rgb> palette)
    : width_(width),
      height_(height),
      palette_(std::move(palette)),
      pixels_(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), 0) {
  if (width <= 0 || height <= 0 || palette_.empty() || palette_.size() > 256)
    throw std::invalid_argument("a PNG canvas needs a size and 1 to 256 colours");
}

std::uint8_t PngCanvas::at(int x, int y) const {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return 0;
  return pixels_[static_cast<std::size_t>(y) * width_ + x];
}

void PngCanvas::set(int x, int y, std::uint8_t colour) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  pixels_[static_cast<std::size_t>(y) * width_ + x] = colour;
}

void PngCanvas::rule(double left, double right, double y, std::uint8_t colour) {
  for (int x = pixel(left); x < nearest(right); ++x) set(x, pixel(y), colour);
}

void PngCanvas::dashes(double left, double right, double y, int on, int off, std::uint8_t colour) {
  const int start = pixel(left), row = nearest(y);
  for (int x = start; x < nearest(right); ++x)
    if ((x - start) % (on + off) < on) {
      set(x, row - 1, colour);
      set(x, row, colour);
    }
}

void PngCanvas::stamp(double x, double y, std::uint8_t colour) {
  const int px = nearest(x) - 1, py = nearest(y) - 1;
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx) set(px + dx, py + dy, colour);
}

void PngCanvas::line(double x0, double y0, double x1, double y1, std::uint8_t colour) {
  // One stamp per pixel along the longer axis: no gaps, whatever the slope.
  const int steps = std::max(1, static_cast<int>(std::ceil(std::max(std::abs(x1 - x0), std::abs(y1 - y0)))));
  for (int i = 0; i <= steps; ++i) {
    const double t = static_cast<double>(i) / steps;
    stamp(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, colour);
  }
}

void PngCanvas::disc(double cx, double cy, double radius, std::uint8_t colour) {
  for (int y = pixel(cy - radius); y <= pixel(cy + radius); ++y)
    for (int x = pixel(cx - radius); x <= pixel(cx + radius); ++x) {
      const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      if (dx * dx + dy * dy <= radius * radius) set(x, y, colour);
    }
}

void PngCanvas::text(const ChartText& t, int scale, std::uint8_t colour) {
  const auto glyphs = static_cast<int>(glyph_count(t.text));
  if (glyphs == 0) return;
  const double width = glyphs * kGlyphAdvance * scale - scale;
  const double shift = t.anchor == TextAnchor::middle ? width / 2 : t.anchor == TextAnchor::end ? width : 0;
  int x = nearest(t.x - shift);
  const int top = nearest(t.y) - kGlyphAscent * scale;
  for (unsigned char c : t.text) {
    if (!starts_character(c)) continue;
    const Glyph& g = glyph(c);
    for (int row = 0; row < kGlyphRows; ++row)
      for (int col = 0; col < kGlyphWidth; ++col)
        if (g[row] & (0x10 >> col))
          for (int dy = 0; dy < scale; ++dy)
            for (int dx = 0; dx < scale; ++dx) set(x + col * scale + dx, top + row * scale + dy, colour);
    x += kGlyphAdvance * scale;
  }
}

std::string PngCanvas::png() const {
  std::string header;
  put_u32(header, static_cast<std::uint32_t>(width_));
  put_u32(header, static_cast<std::uint32_t>(height_));
  header += std::string{8, 3, 0, 0, 0};  // bit depth 8, palette, deflate, filter method 0, no interlace
  std::string palette;
  for (const Rgb& c : palette_) palette.append(reinterpret_cast<const char*>(c.data()), c.size());
  std::string raw;
  raw.reserve(static_cast<std::size_t>(height_) * (width_ + 1));
  for (int y = 0; y < height_; ++y) {
    raw += '\0';  // filter type 0 (None): the rows are mostly runs of one colour, which deflate alone
    raw.append(reinterpret_cast<const char*>(&pixels_[static_cast<std::size_t>(y) * width_]), width_);
  }
  std::string png = "\x89PNG\r\n\x1a\n";
  put_chunk(png, "IHDR", header);
  put_chunk(png, "PLTE", palette);
  put_chunk(png, "IDAT", deflate_all(raw));
  put_chunk(png, "IEND", "");
  return png;
}

}  // namespace desk::handlers
