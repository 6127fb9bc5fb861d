// Text for Slack: escaping, fitting to Block Kit's limits without breaking characters, mentions,
// localised dates, and the ids that messages carry.
#include <algorithm>

#include "bot/slack/slack_messages.hpp"

namespace desk::bot::slack {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // "…": one unit
constexpr char32_t kZeroWidthJoiner = 0x200D;

struct CodePoint {
  char32_t value = 0;
  std::size_t at = 0;   ///< byte offset in the source
  std::size_t len = 0;  ///< bytes in the source (1 for an invalid byte)
  bool valid = true;
};

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

/// Strict decoding (no overlong forms, surrogates or values past U+10FFFF); a bad byte is one invalid point.
CodePoint decode_at(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  const std::size_t left = s.size() - i;
  if (c < 0x80) return {c, i, 1, true};
  std::size_t len = 0;
  char32_t v = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, v = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, v = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  }
  if (len == 0 || left < len || b(1) < lo || b(1) > hi) return {kReplacement, i, 1, false};
  for (std::size_t k = 1; k < len; ++k) {
    if (!is_continuation(b(k))) return {kReplacement, i, 1, false};
    v = (v << 6) | (b(k) & 0x3F);
  }
  return {v, i, len, true};
}

/// At most `max_points` code points: callers that cut text never need more than their limit plus one.
std::vector<CodePoint> decode(std::string_view s, std::size_t max_points = std::string_view::npos) {
  std::vector<CodePoint> out;
  out.reserve(std::min(s.size(), max_points));
  for (std::size_t i = 0; i < s.size() && out.size() < max_points;) {
    out.push_back(decode_at(s, i));
    i += out.back().len;
  }
  return out;
}

/// Marks that belong to the character before them: cutting in front of one would strip an accent,
/// a skin tone or half of a ZWJ emoji sequence.
bool extends_previous(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
         (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE20 && c <= 0xFE2F) || (c >= 0xFE00 && c <= 0xFE0F) ||
         c == kZeroWidthJoiner || (c >= 0x1F3FB && c <= 0x1F3FF) || (c >= 0xE0020 && c <= 0xE007F) ||
         (c >= 0xE0100 && c <= 0xE01EF);
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

/// Slack length of one code point as rendered in `mode`.
std::size_t rendered_units(char32_t c, TextMode mode) {
  if (mode != TextMode::plain) {
    if (c == '&') return 5;
    if (c == '<' || c == '>') return 4;
    if (c == '\n' && mode == TextMode::quoted) return 2;
  }
  return c >= 0x10000 ? 2 : 1;
}

void append_rendered(std::string& out, std::string_view src, const CodePoint& cp, TextMode mode) {
  if (mode != TextMode::plain) {
    switch (cp.value) {
      case '&':
        out += "&amp;";
        return;
      case '<':
        out += "&lt;";
        return;
      case '>':
        out += "&gt;";
        return;
      case '\n':
        if (mode == TextMode::quoted) {
          out += "\n>";
          return;
        }
        break;
      default:
        break;
    }
  }
  if (cp.valid) {
    out.append(src.substr(cp.at, cp.len));
  } else {
    append_utf8(out, kReplacement);
  }
}

std::string render(std::string_view src, const std::vector<CodePoint>& cps, std::size_t from, std::size_t to,
                   TextMode mode) {
  std::string out = mode == TextMode::quoted ? ">" : "";
  for (std::size_t i = from; i < to; ++i) append_rendered(out, src, cps[i], mode);
  return out;
}

bool looks_like_slack_id(std::string_view id, std::string_view first_letters) {
  if (id.size() < 3 || id.size() > 32 || first_letters.find(id[0]) == std::string_view::npos) return false;
  return std::all_of(id.begin() + 1, id.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

}  // namespace

std::size_t slack_length(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) {
    if (!is_continuation(c)) ++n;
    if (c >= 0xF0) ++n;  // outside the BMP: a surrogate pair in UTF-16
  }
  return n;
}

std::string escape_mrkdwn(std::string_view text) {
  const auto cps = decode(text);
  std::string out;
  out.reserve(text.size());
  for (const auto& cp : cps) append_rendered(out, text, cp, TextMode::mrkdwn);
  return out;
}

std::vector<std::string> split_text(std::string_view text, std::size_t limit, std::size_t max_chunks, TextMode mode) {
  // Every code point takes at least one unit, so no more than limit * max_chunks of them can be shown;
  // one more tells that the text goes on. A 100 KB output is not decoded in full for a 3,000-unit excerpt.
  const std::size_t most = max_chunks != 0 && limit <= (std::string_view::npos - 1) / max_chunks
                               ? limit * max_chunks + 1
                               : std::string_view::npos;
  const auto cps = decode(text, most);
  const std::size_t n = cps.size();
  const std::size_t prefix = mode == TextMode::quoted ? 1 : 0;
  std::vector<std::size_t> units(n);
  for (std::size_t i = 0; i < n; ++i) units[i] = rendered_units(cps[i].value, mode);
  std::vector<std::size_t> rest(n + 1, 0);  // rest[i]: units from i to the end
  for (std::size_t i = n; i-- > 0;) rest[i] = rest[i + 1] + units[i];
  const auto breakable = [&](std::size_t k) {
    return !extends_previous(cps[k].value) && cps[k - 1].value != kZeroWidthJoiner;
  };

  std::vector<std::string> chunks;
  if (limit <= prefix + 1 || max_chunks == 0) return chunks;
  const std::size_t budget = limit - prefix;
  for (std::size_t i = 0; i < n && chunks.size() < max_chunks;) {
    if (rest[i] <= budget) {
      chunks.push_back(render(text, cps, i, n, mode));
      return chunks;
    }
    const bool last = chunks.size() + 1 == max_chunks;
    const std::size_t room = last ? budget - 1 : budget;  // the last piece keeps room for "…"
    std::size_t j = i, used = 0;
    while (j < n && used + units[j] <= room) used += units[j++];
    std::size_t cut = j;  // j < n: the rest did not fit
    while (cut > i && !breakable(cut)) --cut;
    if (cut == i) cut = j;  // one long cluster: a cut between its code points is all that is left
    if (cut == i) break;    // not even one character fits
    chunks.push_back(render(text, cps, i, cut, mode));
    if (last) chunks.back() += kEllipsis;
    i = cut;
  }
  return chunks;
}

std::string fit_text(std::string_view text, std::size_t limit, TextMode mode) {
  auto chunks = split_text(text, limit, 1, mode);
  if (chunks.empty()) return mode == TextMode::quoted && limit >= 1 ? ">" : "";
  return std::move(chunks.front());
}

std::string mention(const PersonRef& person) {
  if (looks_like_slack_id(person.slack_user, "UW")) return "<@" + person.slack_user + ">";
  if (!person.name.empty()) return fit_text(person.name, 200);
  return "nobody";
}

PersonRef person_ref(const core::Rota& rota, const std::string& person_id) {
  if (person_id.empty()) return {};
  if (const core::Person* p = rota.person(person_id)) return {p->slack_user, p->name.empty() ? person_id : p->name};
  if (looks_like_slack_id(person_id, "UW")) return {person_id, person_id};
  return {"", person_id};
}

std::string slack_date(core::TimePoint t) {
  const std::string utc = core::format_utc(t);  // "2026-11-30T09:05:00Z"
  const std::string fallback = utc.size() >= 16 ? utc.substr(0, 10) + " " + utc.substr(11, 5) + " UTC" : utc;
  return "<!date^" + std::to_string(t.time_since_epoch().count()) + "^{date_short_pretty} {time}|" + fallback + ">";
}

std::string action_id(core::Macro macro) { return std::string("desk.") + core::to_string(macro); }

std::optional<core::Macro> macro_from_action_id(std::string_view id) {
  constexpr std::string_view kPrefix = "desk.";
  if (id.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return core::macro_from(id.substr(kPrefix.size()));
}

std::string actions_block_id(const core::Escalation& e) {
  return "esc:" + e.id + ":g" + std::to_string(e.generation) + ":actions";
}

std::optional<ActionsBlockRef> parse_actions_block_id(std::string_view id) {
  constexpr std::string_view kHead = "esc:", kTail = ":actions";
  if (id.size() <= kHead.size() + kTail.size() || id.substr(0, kHead.size()) != kHead ||
      id.substr(id.size() - kTail.size()) != kTail)
    return std::nullopt;
  const std::string_view middle = id.substr(kHead.size(), id.size() - kHead.size() - kTail.size());
  const auto g = middle.rfind(":g");
  if (g == std::string_view::npos || g == 0) return std::nullopt;
  const std::string_view digits = middle.substr(g + 2);
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  ActionsBlockRef ref{std::string(middle.substr(0, g)), 0};
  for (char c : digits) ref.generation = ref.generation * 10 + (c - '0');
  return ref;
}

}  // namespace desk::bot::slack
