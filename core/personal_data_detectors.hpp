#pragma once
/// Private to the personal-data scanner (core/personal_data_*.cpp): the seam between the scanner
/// loop (personal_data_scanner.cpp: where to look, running the patterns, settling overlaps) and the
/// detectors (personal_data_detectors.cpp: what each kind looks like, how a candidate is checked,
/// how a hit is masked).
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/policy.hpp"

namespace desk::core::personal_data {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Accepts or rejects the candidate text[begin, end); may shorten `end` to where the item really ends.
using Check = bool (*)(std::string_view text, std::size_t begin, std::size_t& end);
/// The display form of an accepted hit.
using Mask = std::string (*)(std::string_view hit);

struct DetectorSpec {
  PersonalDataKind kind;
  const char* shape;
  int strength;        // on overlap the stronger kind wins: checksums beat shapes, phone is weakest
  bool needs_at;       // needs an '@' in the text, else a digit
  bool numeric;        // its shape holds only digits and number punctuation (see numeric_runs)
  bool shadows_phone;  // its shape, valid or not, is never a phone number ("4242 4242 4242 4241")
  int min_digits;      // with fewer digits a candidate can neither pass the check nor shadow a phone
  Check check;
  Mask mask;
};

/// Every detector, phone last: it runs after the kinds that shadow it.
std::span<const DetectorSpec> detector_specs();

}  // namespace desk::core::personal_data
