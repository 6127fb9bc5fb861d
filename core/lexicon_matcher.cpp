// The policy lexicon: every term and pattern of every category compiled once at start-up, then one
// RE2::Set pass over the draft says which rules occur; only those rules are searched for positions.
// RE2 runs in linear time, so a hostile draft or a careless pattern cannot stall the desk.
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

/// Room for a 500-term lexicon in one set (RE2's 8 MiB default is not).
constexpr std::int64_t kSetMaxMem = std::int64_t{64} << 20;

// RE2's \b and \s are ASCII-only, so word boundaries and spaces are spelled out over Unicode.
constexpr const char* kWordBefore = "(?:^|[^\\p{L}\\p{N}_])";
constexpr const char* kWordAfter = "(?:[^\\p{L}\\p{N}_]|$)";
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
  if (lead >= 0xC2 && lead <= 0xDF) len = 2;
  else if (lead == 0xE0) len = 3, low = 0xA0;   // overlong
  else if (lead == 0xED) len = 3, high = 0x9F;  // surrogates
  else if (lead >= 0xE1 && lead <= 0xEF) len = 3;
  else if (lead == 0xF0) len = 4, low = 0x90;   // overlong
  else if (lead >= 0xF1 && lead <= 0xF3) len = 4;
  else if (lead == 0xF4) len = 4, high = 0x8F;  // past U+10FFFF
  else return 0;
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
    if (merges && !pieces.empty() && pieces.back().first == kind) pieces.back().second.append(term.substr(i, len));
    else pieces.emplace_back(kind, std::string(term.substr(i, len)));
    i += len;
  }
  std::string body;
  bool has_content = false;
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    const auto& [kind, text] = pieces[k];
    switch (kind) {
      case Piece::literal: body += RE2::QuoteMeta(text); break;
      case Piece::apostrophe: body += kApostrophe; break;
      case Piece::dash:
        body += std::string("(?:") + kSpaceChar + "*" + kDashChar + kSpaceChar + "*|" + kSpaceChar + "+)";
        break;
      case Piece::space: {
        // Ends are trimmed, and spaces beside a hyphen are already allowed by the hyphen.
        const bool at_end = k == 0 || k + 1 == pieces.size();
        const bool by_dash = (k > 0 && pieces[k - 1].first == Piece::dash) ||
                             (k + 1 < pieces.size() && pieces[k + 1].first == Piece::dash);
        if (!at_end && !by_dash) body += std::string(kSpaceChar) + "+";
        break;
      }
    }
    has_content = has_content || kind != Piece::space;
  }
  return has_content ? body : std::string();
}

/// Group 1 is the rule's own text; the boundary characters around it are consumed, not captured.
std::string whole_word(const std::string& body) {
  return std::string(kWordBefore) + "(" + body + ")" + kWordAfter;
}

RE2::Options rule_options() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  return options;
}

struct Rule {
  std::size_t category = 0;  // index into Impl::category_ids
  std::string written;       // the term or pattern as in the config
  std::string body;          // RE2 syntax without the word boundaries
  std::unique_ptr<RE2> re;   // whole_word(body)
};

struct Found {
  std::size_t rule = 0;
  LexiconHit hit;
};

}  // namespace

struct LexiconMatcher::Impl {
  std::vector<std::string> category_ids;
  std::vector<Rule> rules;
  std::unique_ptr<RE2::Set> set;  // null when the lexicon is empty

  void add_rule(std::size_t category, std::size_t index, bool is_pattern, const std::string& written);
  void compile_set();
  std::vector<int> candidates(std::string_view haystack) const;
  void find_all(std::size_t rule_index, std::string_view haystack, std::string_view original,
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
  const RE2 probe(body, rule_options());
  if (!probe.ok()) throw LexiconError(category_id, index, is_pattern, what + probe.error());
  if (RE2::FullMatch("", probe))
    throw LexiconError(category_id, index, is_pattern, what + "matches the empty string");
  auto re = std::make_unique<RE2>(whole_word(body), rule_options());
  if (!re->ok()) throw LexiconError(category_id, index, is_pattern, what + re->error());
  rules.push_back(Rule{category, written, body, std::move(re)});
}

void LexiconMatcher::Impl::compile_set() {
  if (rules.empty()) return;
  RE2::Options options = rule_options();
  options.set_max_mem(kSetMaxMem);
  set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  for (const Rule& rule : rules) {
    std::string error;
    if (set->Add(rule.body, &error) < 0)  // each rule compiled alone already; not expected
      throw LexiconError(category_ids[rule.category], 0, false, "lexicon set rejected a rule: " + error);
  }
  if (!set->Compile())
    throw LexiconError("", rules.size(), false,
                       "lexicon too large to compile as one set (" + std::to_string(rules.size()) + " rules)");
}

std::vector<int> LexiconMatcher::Impl::candidates(std::string_view haystack) const {
  std::vector<int> matched;
  if (!set) return matched;
  RE2::Set::ErrorInfo error{RE2::Set::kNoError};
  if (set->Match(re2::StringPiece(haystack.data(), haystack.size()), &matched, &error)) return matched;
  matched.clear();
  if (error.kind == RE2::Set::kNoError) return matched;
  // The set's DFA gave up (a pathological draft): still correct, just slower, to try every rule.
  for (std::size_t i = 0; i < rules.size(); ++i) matched.push_back(static_cast<int>(i));
  return matched;
}

void LexiconMatcher::Impl::find_all(std::size_t rule_index, std::string_view haystack, std::string_view original,
                                    std::vector<Found>& out) const {
  const Rule& rule = rules[rule_index];
  const re2::StringPiece text(haystack.data(), haystack.size());
  re2::StringPiece groups[2];
  std::size_t pos = 0;
  while (pos <= haystack.size() && rule.re->Match(text, pos, haystack.size(), RE2::UNANCHORED, groups, 2)) {
    const auto begin = static_cast<std::size_t>(groups[1].data() - haystack.data());
    const std::size_t end = begin + groups[1].size();
    // Resume at the end of the term, not of the match, so its trailing boundary can lead the next hit.
    pos = end > pos ? end : pos + 1;
    if (end == begin) continue;  // only a pattern anchored oddly can do this; it is not a hit
    const std::string& category = category_ids[rule.category];
    out.push_back(Found{rule_index, LexiconHit{"lexicon/" + category + "/" + rule.written, category, rule.written,
                                               begin, end, std::string(original.substr(begin, end - begin))}});
  }
}

LexiconMatcher::LexiconMatcher(const std::vector<LexiconCategory>& categories) : impl_(std::make_unique<Impl>()) {
  for (std::size_t c = 0; c < categories.size(); ++c) {
    impl_->category_ids.push_back(categories[c].id);
    for (std::size_t i = 0; i < categories[c].terms.size(); ++i) impl_->add_rule(c, i, false, categories[c].terms[i]);
    for (std::size_t i = 0; i < categories[c].patterns.size(); ++i)
      impl_->add_rule(c, i, true, categories[c].patterns[i]);
  }
  impl_->compile_set();
}

LexiconMatcher::~LexiconMatcher() = default;
LexiconMatcher::LexiconMatcher(LexiconMatcher&&) noexcept = default;
LexiconMatcher& LexiconMatcher::operator=(LexiconMatcher&&) noexcept = default;

std::vector<LexiconHit> LexiconMatcher::scan(std::string_view utf8_text, const std::vector<std::string>& only) const {
  // RE2 cannot match a boundary on a stray byte; a same-length clean copy keeps the offsets right.
  std::string cleaned;
  std::string_view haystack = utf8_text;
  if (!is_valid_utf8(utf8_text)) {
    cleaned = replace_invalid_utf8(utf8_text);
    haystack = cleaned;
  }
  std::vector<Found> found;
  for (const int index : impl_->candidates(haystack)) {
    const auto rule = static_cast<std::size_t>(index);
    const std::string& category = impl_->category_ids[impl_->rules[rule].category];
    if (!only.empty() && std::find(only.begin(), only.end(), category) == only.end()) continue;
    impl_->find_all(rule, haystack, utf8_text, found);
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::tie(a.hit.begin, a.rule, a.hit.end) < std::tie(b.hit.begin, b.rule, b.hit.end);
  });
  std::vector<LexiconHit> hits;
  hits.reserve(found.size());
  for (Found& f : found) hits.push_back(std::move(f.hit));
  return hits;
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
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
