#pragma once
/// A small bitmap font for the charts the desk draws as images (run_chart_png.hpp): printable ASCII in
/// cells 5 pixels wide, 7 rows above the baseline and 2 below it for descenders. Anything else is
/// drawn as a box, so a character the font lacks still shows that something is there.
#include <array>
#include <cstdint>
#include <string_view>

namespace desk::handlers {

inline constexpr int kGlyphWidth = 5;    ///< pixels a glyph may cover across
inline constexpr int kGlyphAscent = 7;   ///< rows above the baseline (capitals and digits fill them)
inline constexpr int kGlyphRows = 9;     ///< with the descenders of g, j, p, q, y and , ;
inline constexpr int kGlyphAdvance = 6;  ///< from one glyph to the next: one blank column between

/// One glyph, top row first; bit 4 of a row is its leftmost pixel.
using Glyph = std::array<std::uint8_t, kGlyphRows>;

/// The glyph of `c`: its own for printable ASCII (space to '~'), the box for any other byte.
const Glyph& glyph(unsigned char c);

/// How many glyphs `text` draws as: one per UTF-8 character (a character outside ASCII is one box).
std::size_t glyph_count(std::string_view text);

/// True for the bytes that start a character in UTF-8 (every byte but 10xxxxxx continuations).
constexpr bool starts_character(unsigned char c) { return (c & 0xC0) != 0x80; }

}  // namespace desk::handlers
