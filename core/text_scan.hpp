#pragma once
/// Scanning of draft text: the policy lexicon (all terms and patterns in one pass, whole words,
/// case-insensitive over UTF-8, linear time) and the personal-data detectors (with checksums where
/// the format has one, and a masked form for display).
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/policy.hpp"

namespace desk::core {

struct LexiconHit {
  std::string rule_id;    ///< "lexicon/<category>/<term or pattern as written>"
  std::string category;   ///< LexiconCategory::id
  std::string term;       ///< the term or pattern as written in the config
  std::size_t begin = 0;  ///< byte offsets into the scanned text, [begin, end)
  std::size_t end = 0;
  std::string matched;  ///< the text as it appears in the draft
};

/// Thrown when a term or pattern cannot be compiled; says which one.
class LexiconError : public std::runtime_error {
 public:
  LexiconError(std::string category, std::size_t index, bool is_pattern, const std::string& what)
      : std::runtime_error(what), category_(std::move(category)), index_(index), is_pattern_(is_pattern) {}
  const std::string& category() const { return category_; }
  std::size_t index() const { return index_; }  ///< position in terms or patterns
  bool is_pattern() const { return is_pattern_; }

 private:
  std::string category_;
  std::size_t index_;
  bool is_pattern_;
};

/// Compiled once from the policy; scan() is const and safe to call from several threads.
class LexiconMatcher {
 public:
  explicit LexiconMatcher(const std::vector<LexiconCategory>& categories);
  ~LexiconMatcher();
  LexiconMatcher(LexiconMatcher&&) noexcept;
  LexiconMatcher& operator=(LexiconMatcher&&) noexcept;

  /// Every hit, ordered by begin offset; only categories whose id is in `only` when it is non-empty.
  std::vector<LexiconHit> scan(std::string_view utf8_text, const std::vector<std::string>& only = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct PersonalDataHit {
  PersonalDataKind kind;
  std::size_t begin = 0;  ///< byte offsets, [begin, end)
  std::size_t end = 0;
  std::string masked;  ///< display form, e.g. "j***@example.com", "**** **** **** 4242"
};

class PersonalDataScanner {
 public:
  explicit PersonalDataScanner(const std::vector<PersonalDataKind>& enabled);
  ~PersonalDataScanner();
  PersonalDataScanner(PersonalDataScanner&&) noexcept;
  PersonalDataScanner& operator=(PersonalDataScanner&&) noexcept;

  /// Non-overlapping hits ordered by begin offset.
  std::vector<PersonalDataHit> scan(std::string_view utf8_text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// `text` with every hit replaced by its masked form (hits as returned by PersonalDataScanner::scan).
std::string mask_personal_data(std::string_view text, const std::vector<PersonalDataHit>& hits);

bool luhn_valid(std::string_view digits);  ///< digits only
bool iban_valid(std::string_view iban);    ///< spaces allowed; country length and mod-97 checked

/// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// `text` without leading or trailing spaces, tabs and line ends: what a form field or a message says.
std::string trimmed(std::string_view text);
/// The first word of `text` (split at spaces, tabs and line ends) and the rest, both trimmed: how a
/// typed command ("rota override @bob duty_lead 4h") is read one word at a time, on every surface.
std::pair<std::string_view, std::string_view> split_word(std::string_view text);
/// `text` with ASCII letters lower-cased (other bytes as they are): commands match in any case.
std::string ascii_lower(std::string_view text);

/// Characters (code points) in UTF-8 `text`: what people count when a limit says "characters".
std::size_t code_points(std::string_view text);
/// The first `limit` code points of UTF-8 `text` (all of it when shorter): never cut inside a character.
std::string cut_to_code_points(std::string_view text, std::size_t limit);
/// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by `replacement`.
/// One byte for one byte, so offsets found in the copy index the original too.
std::string replace_invalid_utf8(std::string_view text, char replacement = '\x1a');

}  // namespace desk::core
