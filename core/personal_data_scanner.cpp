// The personal-data scanner loop: skips text that cannot hold personal data, narrows the numeric
// detectors to runs of digits, runs each detector's pattern between word boundaries, keeps phone
// numbers out of shapes that belong to stronger kinds, and settles overlapping hits. What each kind
// looks like and how a candidate is checked is in personal_data_detectors.cpp.
#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <re2/re2.h>

#include "core/personal_data_detectors.hpp"
#include "core/text_scan.hpp"

namespace desk::core {
namespace {

using personal_data::DetectorSpec;
using personal_data::is_digit;

// Each shape runs between two boundary characters over the text padded with a space at each end,
// so the boundaries need no look-around and a match needs no submatch pass to locate the item.
constexpr const char* kNotWord = "[^\\p{L}\\p{N}_]";

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
  int digits = 0;  // numeric runs only
};

/// Stretches made only of digits and the punctuation a numeric shape can hold, with at least
/// `min_digits` digits. Numeric detectors search only these, so prose full of short numbers (prices,
/// dates, versions) costs no regex call: each RE2 call has a fixed cost near a third of a microsecond.
std::vector<Span> numeric_runs(std::string_view padded, int min_digits) {
  static constexpr auto kNumberChar = [] {
    std::array<bool, 256> table{};
    for (const char c : std::string_view("0123456789+() .-")) table[static_cast<unsigned char>(c)] = true;
    return table;
  }();
  std::vector<Span> runs;
  for (std::size_t i = 0; i < padded.size();) {
    if (!kNumberChar[static_cast<unsigned char>(padded[i])]) {
      ++i;
      continue;
    }
    Span run{i, i, 0};
    for (; run.end < padded.size() && kNumberChar[static_cast<unsigned char>(padded[run.end])]; ++run.end)
      run.digits += is_digit(padded[run.end]) ? 1 : 0;
    if (run.digits >= min_digits) runs.push_back(run);
    i = run.end;
  }
  return runs;
}

struct Candidate {
  int strength = 0;
  PersonalDataHit hit;
};

struct Detector {
  const DetectorSpec* spec;
  bool enabled;
  std::unique_ptr<RE2> re;  // boundary, shape, boundary
};

std::size_t char_length(char lead) {
  const auto c = static_cast<unsigned char>(lead);
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/// Every accepted candidate of one detector inside padded[from, to) into `accepted` (when given), and
/// every candidate the shape proposed, accepted or not, into `shapes` (when given).
/// `padded` is " " + text + " "; hits and shapes are offsets into text.
void run(const Detector& detector, std::string_view padded, std::size_t from, std::size_t to,
         std::vector<Candidate>* accepted, std::vector<Span>* shapes) {
  const std::string_view text = padded.substr(1, padded.size() - 2);
  const re2::StringPiece whole(padded.data(), padded.size());
  re2::StringPiece match;
  std::size_t pos = from;
  while (pos < to && detector.re->Match(whole, pos, to, RE2::UNANCHORED, &match, 1)) {
    const auto start = static_cast<std::size_t>(match.data() - padded.data());
    std::size_t last = start + match.size() - 1;  // the trailing boundary character
    while ((static_cast<unsigned char>(padded[last]) & 0xC0) == 0x80) --last;
    const std::size_t begin = start + char_length(padded[start]) - 1;  // -1: offsets into `text`
    std::size_t end = last - 1;
    if (shapes) shapes->push_back(Span{begin, end, 0});
    if (!accepted || !detector.spec->check(text, begin, end)) {
      // A candidate starting inside this one ends no later and holds fewer digits, so when this one
      // is already short of digits, skip past it; else retry with its first character as the boundary.
      const bool short_of_digits =
          std::count_if(padded.begin() + static_cast<std::ptrdiff_t>(start),
                        padded.begin() + static_cast<std::ptrdiff_t>(last), is_digit) < detector.spec->min_digits;
      pos = short_of_digits ? end + 1 : begin + 1;
      continue;
    }
    const std::string_view found = text.substr(begin, end - begin);
    accepted->push_back(Candidate{detector.spec->strength,
                                  PersonalDataHit{detector.spec->kind, begin, end, detector.spec->mask(found)}});
    pos = end + 1;
  }
}

/// run() over the whole text, or for a numeric detector over each numeric run with enough digits
/// (the window takes in the boundary character on each side).
void search(const Detector& detector, std::string_view padded, const std::vector<Span>& runs,
            std::vector<Candidate>* accepted, std::vector<Span>* shapes) {
  if (!detector.spec->numeric) return run(detector, padded, 0, padded.size(), accepted, shapes);
  for (const Span& r : runs)
    if (r.digits >= detector.spec->min_digits)
      run(detector, padded, r.begin == 0 ? 0 : r.begin - 1, std::min(r.end + 1, padded.size()), accepted, shapes);
}

/// Keeps the strongest, then longest, then earliest of overlapping candidates; ordered by offset.
/// O(n log n): the spans kept so far never overlap, so ordered by begin they are ordered by end too,
/// and a candidate can only overlap the first kept span at or after its begin or the one just before.
std::vector<PersonalDataHit> resolve_overlaps(std::vector<Candidate> candidates) {
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    const std::size_t la = a.hit.end - a.hit.begin;
    const std::size_t lb = b.hit.end - b.hit.begin;
    return std::tie(b.strength, lb, a.hit.begin) < std::tie(a.strength, la, b.hit.begin);
  });
  std::map<std::size_t, std::size_t> kept;  // begin -> end
  std::vector<PersonalDataHit> hits;
  for (Candidate& c : candidates) {
    if (c.hit.begin >= c.hit.end) continue;  // an empty match hides nothing (no shape yields one)
    auto next = kept.lower_bound(c.hit.begin);
    if (next != kept.end() && next->first < c.hit.end) continue;
    if (next != kept.begin() && std::prev(next)->second > c.hit.begin) continue;
    kept.emplace(c.hit.begin, c.hit.end);
    hits.push_back(std::move(c.hit));
  }
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
  return hits;
}

/// True when some span of `by_begin` (sorted by begin, with `max_end[i]` the largest end of the
/// first i + 1 spans) overlaps [begin, end). Logarithmic: a text full of numbers has many of both.
bool overlaps_any(std::size_t begin, std::size_t end, const std::vector<Span>& by_begin,
                  const std::vector<std::size_t>& max_end) {
  const auto starts_before_end =
      std::partition_point(by_begin.begin(), by_begin.end(), [&](const Span& s) { return s.begin < end; });
  if (starts_before_end == by_begin.begin()) return false;
  return max_end[static_cast<std::size_t>(starts_before_end - by_begin.begin()) - 1] > begin;
}

}  // namespace

struct PersonalDataScanner::Impl {
  std::vector<Detector> detectors;  // all of them: a disabled shape can still shadow the phone detector
};

PersonalDataScanner::PersonalDataScanner(const std::vector<PersonalDataKind>& enabled)
    : impl_(std::make_unique<Impl>()) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  for (const DetectorSpec& spec : personal_data::detector_specs()) {
    const bool on = std::find(enabled.begin(), enabled.end(), spec.kind) != enabled.end();
    auto re = std::make_unique<RE2>(std::string(kNotWord) + "(?:" + spec.shape + ")" + kNotWord, options);
    if (!re->ok()) throw std::logic_error("personal-data pattern does not compile: " + re->error());
    impl_->detectors.push_back(Detector{&spec, on, std::move(re)});
  }
}

PersonalDataScanner::~PersonalDataScanner() = default;
PersonalDataScanner::PersonalDataScanner(PersonalDataScanner&&) noexcept = default;
PersonalDataScanner& PersonalDataScanner::operator=(PersonalDataScanner&&) noexcept = default;

std::vector<PersonalDataHit> PersonalDataScanner::scan(std::string_view utf8_text) const {
  // Every detector needs a digit or an '@': most chat text skips the regexes entirely.
  const bool has_at = utf8_text.find('@') != std::string_view::npos;
  const bool has_digit = std::any_of(utf8_text.begin(), utf8_text.end(), is_digit);
  if (!has_at && !has_digit) return {};
  // Invalid bytes become a same-length replacement, so offsets into the copy index the original.
  const std::string padded =
      " " + (is_valid_utf8(utf8_text) ? std::string(utf8_text) : replace_invalid_utf8(utf8_text)) + " ";
  const std::vector<Span> runs = numeric_runs(padded, 8);  // 8: the fewest digits any numeric kind needs
  std::vector<Candidate> candidates;
  std::vector<Candidate> phones;
  std::vector<Span> shadows;
  for (const Detector& d : impl_->detectors) {
    if (!d.enabled || !(d.spec->needs_at ? has_at : has_digit)) continue;
    const bool phone = d.spec->kind == PersonalDataKind::phone;
    search(d, padded, runs, phone ? &phones : &candidates, d.spec->shadows_phone ? &shadows : nullptr);
  }
  if (!phones.empty()) {
    for (const Detector& d : impl_->detectors)
      if (!d.enabled && d.spec->shadows_phone) search(d, padded, runs, nullptr, &shadows);
    std::sort(shadows.begin(), shadows.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    std::vector<std::size_t> max_end;
    max_end.reserve(shadows.size());
    for (const Span& s : shadows) max_end.push_back(std::max(max_end.empty() ? 0 : max_end.back(), s.end));
    for (Candidate& p : phones)
      if (!overlaps_any(p.hit.begin, p.hit.end, shadows, max_end)) candidates.push_back(std::move(p));
  }
  return resolve_overlaps(std::move(candidates));
}

std::string mask_personal_data(std::string_view text, const std::vector<PersonalDataHit>& hits) {
  std::vector<const PersonalDataHit*> ordered;
  for (const auto& h : hits) ordered.push_back(&h);
  std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) { return a->begin < b->begin; });
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (const PersonalDataHit* h : ordered) {
    if (h->begin < pos || h->end > text.size() || h->begin > h->end) continue;  // overlapping or stale hit
    out.append(text.substr(pos, h->begin - pos));
    out.append(h->masked);
    pos = h->end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace desk::core
