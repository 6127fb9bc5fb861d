// The policy lexicon: every term and pattern of every category compiled once at start-up, then one
// RE2::Set pass over the draft says which rules occur; only those rules are searched for positions.
// RE2 runs in linear time, so a hostile draft or a careless pattern cannot stall the desk.
//
// Whole words: RE2's \b is ASCII-only and it has no look-behind. A pattern is wrapped in one
// consumed non-word character on each side and run over the draft padded with a space at each end
// (so ^ and $ inside a pattern never match: a lexicon pattern is always searched for inside text).
// A term needs no wrapping: its matches from a given start all end at the same place, so checking
// the characters either side in C++ is exact, and it spares each term the millisecond or two RE2
// needs to compile a Unicode letter class.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <re2/re2.h>
#include <re2/set.h>

#include "core/text_scan.hpp"

namespace desk::core {
namespace {

/// Room for a lexicon of several hundred rules in one set (RE2's default is 8 MiB).
constexpr std::int64_t kSetMaxMem = std::int64_t{64} << 20;

// RE2's \b and \s are ASCII-only, so word boundaries and spaces are spelled out over Unicode.
constexpr const char* kNotWord = "[^\\p{L}\\p{N}_]";
constexpr const char* kSpaceChar = "[\\t-\\r\\x{85}\\p{Z}]";
constexpr const char* kDashChar = "[\\x{2D}\\x{2010}-\\x{2015}\\x{2212}]";
constexpr const char* kApostrophe = "['\\x{2019}]";

// Length of the well-formed UTF-8 sequence at text[i], or 0 when the bytes there are not one.
std::size_t utf8_length_at(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t len = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF)
    len = 2;
  else if (lead == 0xE0)
    len = 3, low = 0xA0;  // overlong
  else if (lead == 0xED)
    len = 3, high = 0x9F;  // surrogates
  else if (lead >= 0xE1 && lead <= 0xEF)
    len = 3;
  else if (lead == 0xF0)
    len = 4, low = 0x90;  // overlong
  else if (lead >= 0xF1 && lead <= 0xF3)
    len = 4;
  else if (lead == 0xF4)
    len = 4, high = 0x8F;  // past U+10FFFF
  else
    return 0;
  if (i + len > text.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  return len;
}

char32_t code_point(std::string_view text, std::size_t i, std::size_t len) {
  const auto byte = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(text[i + k])); };
  if (len == 1) return byte(0);
  char32_t cp = byte(0) & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (byte(k) & 0x3F);
  return cp;
}

enum class Piece { literal, space, dash, apostrophe };

Piece classify(char32_t cp) {
  if (cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 || cp == 0x202F) return Piece::space;
  if (cp == '-' || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212) return Piece::dash;
  if (cp == '\'' || cp == 0x2019) return Piece::apostrophe;
  return Piece::literal;
}

/// A plain term as RE2 syntax: literal text quoted; any space run matches any Unicode space run; a
/// hyphen matches any hyphen or dash (spaces around it allowed) or a space run; ' matches ’ too.
/// Empty when the term has nothing but spaces.
std::string term_body(std::string_view term) {
  std::vector<std::pair<Piece, std::string>> pieces;
  for (std::size_t i = 0; i < term.size();) {
    std::size_t len = utf8_length_at(term, i);
    // An invalid byte stays literal: RE2 then rejects the term, which the caller reports.
    const Piece kind = len == 0 ? Piece::literal : classify(code_point(term, i, len));
    len = std::max<std::size_t>(len, 1);
    const bool merges = kind == Piece::literal || kind == Piece::space;
    if (merges && !pieces.empty() && pieces.back().first == kind)
      pieces.back().second.append(term.substr(i, len));
    else
      pieces.emplace_back(kind, std::string(term.substr(i, len)));
    i += len;
  }
  // The first and last pieces that are not spaces: a hyphen there matches exactly one dash, so that
  // every match of a term ends where its last piece ends (the word-boundary check relies on it).
  std::size_t first = pieces.size();
  std::size_t last = 0;
  for (std::size_t k = 0; k < pieces.size(); ++k)
    if (pieces[k].first != Piece::space) first = std::min(first, k), last = k;
  if (first == pieces.size()) return {};
  std::string body;
  for (std::size_t k = first; k <= last; ++k) {
    const auto& [kind, text] = pieces[k];
    switch (kind) {
      case Piece::literal:
        body += RE2::QuoteMeta(text);
        break;
      case Piece::apostrophe:
        body += kApostrophe;
        break;
      case Piece::dash:
        if (k == first || k == last)
          body += kDashChar;
        else
          body += std::string("(?:") + kSpaceChar + "*" + kDashChar + kSpaceChar + "*|" + kSpaceChar + "+)";
        break;
      case Piece::space:  // spaces beside a hyphen are already allowed by the hyphen
        if (pieces[k - 1].first != Piece::dash && pieces[k + 1].first != Piece::dash)
          body += std::string(kSpaceChar) + "+";
        break;
    }
  }
  return body;
}

RE2::Options rule_options() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  return options;
}

/// Unicode letters, digits and '_' make words (as \p{L}\p{N}_ in RE2); anything else is a boundary.
bool is_word_char(std::string_view text, std::size_t i, std::size_t len) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
  // Compiled once: a Unicode class costs a millisecond or two to compile, so rules never carry one.
  static const RE2 kWordChar("[\\p{L}\\p{N}_]");
  return kWordChar.Match(re2::StringPiece(text.data(), text.size()), i, i + len, RE2::ANCHOR_BOTH, nullptr, 0);
}

/// True when [begin, end) of valid UTF-8 `text` is not glued to a word character on either side.
bool whole_word_at(std::string_view text, std::size_t begin, std::size_t end) {
  if (begin > 0) {
    std::size_t start = begin - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    if (is_word_char(text, start, begin - start)) return false;
  }
  return end >= text.size() || !is_word_char(text, end, std::max<std::size_t>(utf8_length_at(text, end), 1));
}

struct Rule {
  std::size_t category = 0;  // index into Impl::category_ids
  std::string written;       // the term or pattern as in the config
  bool is_pattern = false;
  // A term: its body alone, the word boundaries checked in C++ (a term's end is fixed by its start,
  // so that is exact). A pattern: one boundary character on each side inside the regex, because a
  // pattern may have a shorter alternative that ends on a boundary when the preferred one does not;
  // it runs over the text padded with a space at each end.
  std::unique_ptr<RE2> re;
};

struct Found {
  std::size_t rule = 0;
  LexiconHit hit;
};

/// The text in the forms the rules search: as given, with invalid UTF-8 replaced, and padded.
struct Texts {
  std::string_view original;
  std::string_view clean;  // same length as original
  std::string padded;      // " " + clean + " ", built when a pattern needs it

  std::string_view padded_text() {
    if (padded.empty()) padded = " " + std::string(clean) + " ";
    return padded;
  }
};

}  // namespace

struct LexiconMatcher::Impl {
  std::vector<std::string> category_ids;
  std::vector<Rule> rules;
  std::unique_ptr<RE2::Set> set;  // the bodies of all rules

  void add_rule(std::size_t category, std::size_t index, bool is_pattern, const std::string& written);
  std::vector<int> candidates(std::string_view text) const;
  void find_term(std::size_t rule_index, Texts& texts, std::vector<Found>& out) const;
  void find_pattern(std::size_t rule_index, Texts& texts, std::vector<Found>& out) const;
  void record(std::size_t rule_index, const Texts& texts, std::size_t begin, std::size_t end,
              std::vector<Found>& out) const;
};

void LexiconMatcher::Impl::add_rule(std::size_t category, std::size_t index, bool is_pattern,
                                    const std::string& written) {
  const std::string& category_id = category_ids[category];
  const std::string what = "lexicon category \"" + category_id + "\": " + (is_pattern ? "pattern " : "term ") +
                           std::to_string(index) + " (\"" + written + "\"): ";
  const std::string body = is_pattern ? written : term_body(written);
  if (body.empty()) throw LexiconError(category_id, index, is_pattern, what + "is empty");
  // Compiled alone first so RE2's message points at the author's text, not at our wrapping.
  auto re = std::make_unique<RE2>(body, rule_options());
  if (!re->ok()) throw LexiconError(category_id, index, is_pattern, what + re->error());
  if (RE2::FullMatch("", *re)) throw LexiconError(category_id, index, is_pattern, what + "matches the empty string");
  if (is_pattern) {
    re = std::make_unique<RE2>(std::string(kNotWord) + "(?:" + body + ")" + kNotWord, rule_options());
    if (!re->ok()) throw LexiconError(category_id, index, is_pattern, what + re->error());
  }
  std::string error;
  if (set->Add(body, &error) < 0) throw LexiconError(category_id, index, is_pattern, what + error);
  rules.push_back(Rule{category, written, is_pattern, std::move(re)});
}

std::vector<int> LexiconMatcher::Impl::candidates(std::string_view text) const {
  std::vector<int> matched;
  if (rules.empty()) return matched;
  RE2::Set::ErrorInfo error{RE2::Set::kNoError};
  if (set->Match(re2::StringPiece(text.data(), text.size()), &matched, &error)) return matched;
  matched.clear();
  if (error.kind == RE2::Set::kNoError) return matched;
  // The set's DFA gave up (a pathological draft): still correct, just slower, to try every rule.
  for (std::size_t i = 0; i < rules.size(); ++i) matched.push_back(static_cast<int>(i));
  return matched;
}

void LexiconMatcher::Impl::record(std::size_t rule_index, const Texts& texts, std::size_t begin, std::size_t end,
                                  std::vector<Found>& out) const {
  const Rule& rule = rules[rule_index];
  const std::string& category = category_ids[rule.category];
  out.push_back(Found{rule_index, LexiconHit{"lexicon/" + category + "/" + rule.written, category, rule.written, begin,
                                             end, std::string(texts.original.substr(begin, end - begin))}});
}

void LexiconMatcher::Impl::find_term(std::size_t rule_index, Texts& texts, std::vector<Found>& out) const {
  const std::string_view text = texts.clean;
  const re2::StringPiece whole(text.data(), text.size());
  re2::StringPiece match;
  std::size_t pos = 0;
  // Group 0 only: RE2 answers from its DFAs without a submatch pass.
  while (pos < text.size() && rules[rule_index].re->Match(whole, pos, text.size(), RE2::UNANCHORED, &match, 1)) {
    const auto begin = static_cast<std::size_t>(match.data() - text.data());
    const std::size_t end = begin + match.size();
    if (whole_word_at(text, begin, end)) {
      record(rule_index, texts, begin, end, out);
      pos = end;
    } else {
      pos = begin + std::max<std::size_t>(utf8_length_at(text, begin), 1);
    }
  }
}

void LexiconMatcher::Impl::find_pattern(std::size_t rule_index, Texts& texts, std::vector<Found>& out) const {
  const std::string_view text = texts.padded_text();
  const re2::StringPiece whole(text.data(), text.size());
  re2::StringPiece match;
  std::size_t pos = 0;
  while (pos < text.size() && rules[rule_index].re->Match(whole, pos, text.size(), RE2::UNANCHORED, &match, 1)) {
    // The match is boundary + hit + boundary, one character each side; -1 undoes the padding.
    const auto start = static_cast<std::size_t>(match.data() - text.data());
    std::size_t last = start + match.size() - 1;
    while ((static_cast<unsigned char>(text[last]) & 0xC0) == 0x80) --last;
    const std::size_t begin = start + utf8_length_at(text, start);
    if (last > begin) record(rule_index, texts, begin - 1, last - 1, out);
    pos = last;  // the trailing boundary may lead the next hit
  }
}

LexiconMatcher::LexiconMatcher(const std::vector<LexiconCategory>& categories) : impl_(std::make_unique<Impl>()) {
  RE2::Options options = rule_options();
  options.set_max_mem(kSetMaxMem);
  impl_->set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  for (std::size_t c = 0; c < categories.size(); ++c) {
    impl_->category_ids.push_back(categories[c].id);
    for (std::size_t i = 0; i < categories[c].terms.size(); ++i) impl_->add_rule(c, i, false, categories[c].terms[i]);
    for (std::size_t i = 0; i < categories[c].patterns.size(); ++i)
      impl_->add_rule(c, i, true, categories[c].patterns[i]);
  }
  if (!impl_->rules.empty() && !impl_->set->Compile())
    throw LexiconError("", impl_->rules.size(), false,
                       "lexicon too large to compile as one set (" + std::to_string(impl_->rules.size()) + " rules)");
}

LexiconMatcher::~LexiconMatcher() = default;
LexiconMatcher::LexiconMatcher(LexiconMatcher&&) noexcept = default;
LexiconMatcher& LexiconMatcher::operator=(LexiconMatcher&&) noexcept = default;

std::vector<LexiconHit> LexiconMatcher::scan(std::string_view utf8_text, const std::vector<std::string>& only) const {
  // RE2 cannot match a boundary on a stray byte; a same-length clean copy keeps the offsets right.
  std::string cleaned;
  Texts texts{utf8_text, utf8_text, {}};
  if (!is_valid_utf8(utf8_text)) {
    cleaned = replace_invalid_utf8(utf8_text);
    texts.clean = cleaned;
  }
  std::vector<Found> found;
  for (const int index : impl_->candidates(texts.clean)) {
    const auto rule = static_cast<std::size_t>(index);
    const std::string& category = impl_->category_ids[impl_->rules[rule].category];
    if (!only.empty() && std::find(only.begin(), only.end(), category) == only.end()) continue;
    if (impl_->rules[rule].is_pattern)
      impl_->find_pattern(rule, texts, found);
    else
      impl_->find_term(rule, texts, found);
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::tie(a.hit.begin, a.rule, a.hit.end) < std::tie(b.hit.begin, b.rule, b.hit.end);
  });
  std::vector<LexiconHit> hits;
  hits.reserve(found.size());
  for (Found& f : found) hits.push_back(std::move(f.hit));
  return hits;
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return std::string(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
}

std::pair<std::string_view, std::string_view> split_word(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  text = text.substr(first, text.find_last_not_of(kSpace) - first + 1);
  const auto end = text.find_first_of(kSpace);
  if (end == std::string_view::npos) return {text, {}};
  return {text.substr(0, end), text.substr(text.find_first_not_of(kSpace, end))};
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string cut_to_code_points(std::string_view text, std::size_t limit) {
  std::size_t bytes = 0, points = 0;
  while (bytes < text.size() && points < limit) {
    const unsigned char c = static_cast<unsigned char>(text[bytes]);
    bytes += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    ++points;
  }
  return std::string(text.substr(0, std::min(bytes, text.size())));
}

std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {  // most drafts are mostly ASCII
      ++i;
      continue;
    }
    const std::size_t len = utf8_length_at(text, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string replace_invalid_utf8(std::string_view text, char replacement) {
  std::string out(text);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_length_at(text, i);
    if (len == 0) out[i] = replacement;
    i += std::max<std::size_t>(len, 1);
  }
  return out;
}

}  // namespace desk::core
