// Personal-data detectors. Each kind is a precise RE2 pattern that proposes candidates between word
// boundaries, then a check in C++ (Luhn, mod-97, issuer and prefix tables, shape rules that keep
// dates, prices and versions out of the phone detector) that accepts or rejects each candidate.
// The scanner loop that runs them is personal_data_scanner.cpp.
#include "core/personal_data_detectors.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/text_scan.hpp"

namespace desk::core {
namespace {

using personal_data::is_digit;

// Candidate shapes. Each is loose enough for the formats people type; the checks below do the rest.
constexpr const char* kEmailShape =
    "[\\p{L}\\p{N}_%+\\-]+(?:\\.[\\p{L}\\p{N}_%+\\-]+)*@"
    "(?:[\\p{L}\\p{N}](?:[\\p{L}\\p{N}\\-]*[\\p{L}\\p{N}])?\\.)+\\p{L}{2,}";
constexpr const char* kPhoneShape = "\\+?(?:\\(\\d{1,4}\\)|\\d{1,8})(?:[ .\\-]?(?:\\(\\d{1,4}\\)|\\d{1,8})){0,7}";
constexpr const char* kIbanShape = "[a-z]{2}\\d{2}(?: ?[a-z0-9]{4}){2,7}(?: ?[a-z0-9]{1,3})?";
constexpr const char* kCardShape =
    "\\d{13,19}|\\d{4}(?:[ \\-]\\d{4}){2,3}(?:[ \\-]\\d{1,4})?|\\d{4}[ \\-]\\d{6}[ \\-]\\d{4,5}";
constexpr const char* kNinoShape = "[a-z]{2} ?\\d{2} ?\\d{2} ?\\d{2} ?[a-d]";
constexpr const char* kSsnShape = "\\d{3}-\\d{2}-\\d{4}|\\d{3} \\d{2} \\d{4}";

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
// Bytes of non-ASCII characters count as word characters: a number glued to "№" or "é" is not free-standing.
bool is_wordish(char c) { return is_alnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }

std::string digits_of(std::string_view s) {
  std::string out;
  for (const char c : s)
    if (is_digit(c)) out += c;
  return out;
}

int number(std::string_view digits) {
  int n = 0;
  for (const char c : digits.substr(0, 6)) n = n * 10 + (c - '0');
  return n;
}

/// True when the candidate [begin, end) is really part of a longer token: an order number
/// ("ORD-12345678"), a price ("$12345678", "12345678.50"), a percentage, an address or an anchor.
bool glued_to_token(std::string_view text, std::size_t begin, std::size_t end) {
  if (begin >= 1) {
    const char c = text[begin - 1];
    const char before = begin >= 2 ? text[begin - 2] : ' ';
    if (c == '#' || c == '$' || c == '@') return true;
    if ((c == '-' || c == '/') && is_wordish(before)) return true;
    if ((c == '.' || c == ',') && is_digit(before)) return true;
    for (const char* currency : {"\xE2\x82\xAC", "\xC2\xA3", "\xC2\xA5", "\xE2\x82\xB9"})  // € £ ¥ ₹
      if (text.substr(0, begin).ends_with(currency)) return true;
  }
  if (end < text.size()) {
    const char c = text[end];
    const char after = end + 1 < text.size() ? text[end + 1] : ' ';
    if (c == '%') return true;
    if ((c == '-' || c == '/' || c == '@') && is_wordish(after)) return true;
    if ((c == '.' || c == ',') && is_digit(after)) return true;
  }
  return false;
}

// ---- e-mail ----

bool email_ok(std::string_view text, std::size_t begin, std::size_t& end) {
  const std::string_view hit = text.substr(begin, end - begin);
  const std::size_t at = hit.find('@');
  if (at > 64 || hit.size() > 254) return false;
  std::size_t label = 0;  // bytes, so a little stricter than RFC 1035's 63 octets for IDN labels
  for (const char c : hit.substr(at + 1)) {
    label = c == '.' ? 0 : label + 1;
    if (label > 63) return false;
  }
  return true;
}

std::string email_mask(std::string_view hit) {
  std::size_t first = 1;  // the whole first character, which may take several bytes
  while (first < hit.size() && (static_cast<unsigned char>(hit[first]) & 0xC0) == 0x80) ++first;
  return std::string(hit.substr(0, first)) + "***" + std::string(hit.substr(hit.find('@')));
}

// ---- phone ----

struct PhoneShape {
  bool plus = false;
  bool parens = false;
  bool trunk_zero = false;               // "+44 (0)20": the (0) is not dialled from abroad
  std::vector<std::string_view> groups;  // digit runs
  std::string separators;                // one per gap: ' ', '-', '.', or '(' for a bare parenthesis
};

PhoneShape parse_phone(std::string_view hit) {
  PhoneShape shape;
  std::size_t i = 0;
  if (!hit.empty() && hit[0] == '+') shape.plus = true, i = 1;
  char gap = 0;
  while (i < hit.size()) {
    if (!is_digit(hit[i])) {
      if (hit[i] == '(' || hit[i] == ')') shape.parens = true;
      if (gap == 0 || gap == '(') gap = hit[i] == ')' ? '(' : hit[i];
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < hit.size() && is_digit(hit[i])) ++i;
    if (!shape.groups.empty()) shape.separators += gap;
    shape.groups.push_back(hit.substr(start, i - start));
    if (start > 0 && hit[start - 1] == '(' && hit.substr(start, 2) == "0)") shape.trunk_zero = true;
    gap = 0;
  }
  return shape;
}

bool looks_like_date(const PhoneShape& s) {
  if (s.groups.size() < 3 || s.separators[0] != s.separators[1] || s.separators[0] == ' ') return false;
  const auto& g = s.groups;
  if (g[0].size() == 4 && (g[0].starts_with("19") || g[0].starts_with("20")) && g[1].size() <= 2 && g[2].size() <= 2)
    return number(g[1]) >= 1 && number(g[1]) <= 12 && number(g[2]) >= 1 && number(g[2]) <= 31;
  const bool year_last = g[2].size() == 4 || (g[2].size() == 2 && g.size() == 3);
  if (g[0].size() <= 2 && g[1].size() <= 2 && year_last) {
    const int a = number(g[0]);
    const int b = number(g[1]);
    return a >= 1 && b >= 1 && a <= 31 && b <= 31 && (a <= 12 || b <= 12);
  }
  return false;
}

/// A hyphenated ISBN ("978-3-16-148410-0", "0-306-40615-2"): the check digit is a group of its own.
bool looks_like_isbn(const PhoneShape& s) {
  if (s.separators.find_first_not_of('-') != std::string::npos || s.groups.back().size() != 1) return false;
  std::string digits;
  for (const auto g : s.groups) digits.append(g);
  int sum = 0;
  if (s.groups.size() == 5 && digits.size() == 13 && (digits.starts_with("978") || digits.starts_with("979"))) {
    for (std::size_t i = 0; i < 13; ++i) sum += (digits[i] - '0') * (i % 2 == 0 ? 1 : 3);
    return sum % 10 == 0;
  }
  if (s.groups.size() != 4 || digits.size() != 10) return false;
  for (std::size_t i = 0; i < 10; ++i) sum += (digits[i] - '0') * static_cast<int>(10 - i);
  return sum % 11 == 0;
}

/// Shapes that are numbers but not phone numbers: dates, 1 234 567 thousands, SSN-shaped 3-2-4, ISBNs.
bool looks_like_other_number(const PhoneShape& s) {
  if (looks_like_isbn(s)) return true;
  const auto& g = s.groups;
  const bool same_separator = s.separators.find_first_not_of(s.separators[0]) == std::string::npos;
  if (g.size() == 3 && g[0].size() == 3 && g[1].size() == 2 && g[2].size() == 4 && !s.parens) return true;
  if (g.size() >= 3 && same_separator && !s.parens && g[0].size() <= 3 && g[0][0] != '0' &&
      std::all_of(g.begin() + 1, g.end(), [](std::string_view x) { return x.size() == 3; }))
    return true;
  return looks_like_date(s);
}

bool dotted_non_phone(const PhoneShape& s) {
  if (s.separators.find_first_not_of('.') != std::string::npos) return false;
  const auto& g = s.groups;
  if (std::any_of(g.begin(), g.end(), [](std::string_view x) { return x.size() < 2; })) return true;  // 10.0.1
  return g.size() == 4 && std::all_of(g.begin(), g.end(), [](std::string_view x) {                    // 192.168.100.200
           return x.size() <= 3 && number(x) <= 255;
         });
}

bool phone_ok(std::string_view text, std::size_t begin, std::size_t& end) {
  const PhoneShape s = parse_phone(text.substr(begin, end - begin));
  if (s.groups.empty()) return false;
  const bool double_zero = s.groups[0].starts_with("00");
  const bool international = s.plus || double_zero;
  std::size_t digits = 0;
  for (const auto g : s.groups) digits += g.size();
  // E.164 allows at most 15 digits after the country prefix; fewer than 8 is a short number.
  const std::size_t dialled = digits - (double_zero ? 2 : 0) - (s.trunk_zero ? 1 : 0);
  if (dialled < 8 || dialled > 15 || glued_to_token(text, begin, end)) return false;
  if (s.groups.size() == 1) return international || (s.groups[0][0] == '0' && digits >= 10 && digits <= 11);
  if (!international) {
    if (s.groups.size() == 2 && !s.parens && s.groups[0][0] != '0') return false;  // 1990-2024, 1234567.89
    if (looks_like_other_number(s)) return false;
  }
  return !dotted_non_phone(s);
}

// ---- IBAN ----

struct IbanLength {
  const char* country;
  std::size_t length;
};
constexpr IbanLength kIbanLengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
    {"BR", 29}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20},
    {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
    {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IS", 26}, {"IT", 27}, {"KW", 30}, {"KZ", 20}, {"LB", 28},
    {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MT", 31},
    {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24}, {"PL", 28}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22},
    {"SA", 24}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"XK", 20},
};

std::size_t iban_length_for(std::string_view country) {
  for (const auto& entry : kIbanLengths)
    if (country == entry.country) return entry.length;
  return 0;
}

// One case throughout: "Gb82 West…" is prose, not an account number.
bool single_case(std::string_view s) {
  const bool has_upper = std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  const bool has_lower = std::any_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  return !(has_upper && has_lower);
}

bool iban_ok(std::string_view text, std::size_t begin, std::size_t& end) {
  const std::string_view hit = text.substr(begin, end - begin);
  if (single_case(hit) && iban_valid(hit)) return true;
  // A greedy candidate may run into the next word ("BE68 5390 0754 7034 2024"): retry at the
  // country's length, where a group ends.
  const std::size_t want = iban_length_for(std::string(1, upper(hit[0])) + upper(hit[1]));
  std::size_t seen = 0;
  for (std::size_t i = 0; i < hit.size() && want > 0; ++i) {
    if (hit[i] == ' ') continue;
    if (++seen < want) continue;
    const std::string_view shorter = hit.substr(0, i + 1);
    if (i + 1 >= hit.size() || hit[i + 1] != ' ' || !single_case(shorter) || !iban_valid(shorter)) return false;
    end = begin + i + 1;
    return true;
  }
  return false;
}

// ---- payment card ----

/// Issuer prefixes (IIN ranges) of the networks that take card payments: Visa 4; Mastercard 51–55 and
/// 2221–2720; Maestro 50, 56–69; Mir 2200–2204; Amex 34, 37; Diners 300–305, 36, 38, 39; JCB 3528–3589;
/// Discover 6011, 644–649, 65; UnionPay 62.
bool plausible_issuer(std::string_view digits) {
  const int two = number(digits.substr(0, 2));
  const int four = number(digits.substr(0, 4));
  switch (digits[0]) {
    case '2':
      return (four >= 2221 && four <= 2720) || (four >= 2200 && four <= 2204);
    case '3':
      return two == 34 || two >= 36 || (four >= 3000 && four <= 3059) || (four >= 3528 && four <= 3589);
    case '4':
    case '5':
    case '6':
      return true;
    default:
      return false;
  }
}

bool card_ok(std::string_view text, std::size_t begin, std::size_t& end) {
  const std::string_view hit = text.substr(begin, end - begin);
  const bool spaces = hit.find(' ') != std::string_view::npos;
  const bool dashes = hit.find('-') != std::string_view::npos;
  if (spaces && dashes) return false;
  const std::string digits = digits_of(hit);
  return digits.size() >= 13 && digits.size() <= 19 && plausible_issuer(digits) && luhn_valid(digits);
}

// ---- UK National Insurance number and US Social Security number ----

/// HMRC: neither prefix letter is D, F, I, Q, U or V; the second is not O; some pairs are never issued.
bool nino_ok(std::string_view text, std::size_t begin, std::size_t& /*end*/) {
  const std::string prefix{upper(text[begin]), upper(text[begin + 1])};
  if (prefix.find_first_of("DFIQUV") != std::string::npos || prefix[1] == 'O') return false;
  constexpr std::string_view kNeverIssued = "BG GB NK KN TN NT ZZ";
  return kNeverIssued.find(prefix) == std::string_view::npos;
}

bool ssn_ok(std::string_view text, std::size_t begin, std::size_t& end) {
  const std::string digits = digits_of(text.substr(begin, end - begin));
  const int area = number(std::string_view(digits).substr(0, 3));
  const int group = number(std::string_view(digits).substr(3, 2));
  const int serial = number(std::string_view(digits).substr(5, 4));
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return false;
  return !glued_to_token(text, begin, end);
}

// ---- masks ----

/// Replaces letters and digits with '*' except the first `keep_first` and the last `keep_last`;
/// separators stay, so the reader still sees the shape of what was hidden.
std::string mask_keeping(std::string_view hit, std::size_t keep_first, std::size_t keep_last) {
  const auto total = static_cast<std::size_t>(std::count_if(hit.begin(), hit.end(), is_alnum));
  std::string out(hit);
  std::size_t seen = 0;
  for (char& c : out) {
    if (!is_alnum(c)) continue;
    if (seen >= keep_first && seen + keep_last < total) c = '*';
    ++seen;
  }
  return out;
}

std::string phone_mask(std::string_view hit) { return mask_keeping(hit, 0, 2); }
std::string iban_mask(std::string_view hit) { return mask_keeping(hit, 2, 4); }
std::string card_mask(std::string_view hit) { return mask_keeping(hit, 0, 4); }
std::string nino_mask(std::string_view hit) { return mask_keeping(hit, 2, 0); }
std::string ssn_mask(std::string_view hit) { return mask_keeping(hit, 0, 4); }

}  // namespace

// ---- the detector table ----

namespace personal_data {

// Phone last: it runs after the kinds that shadow it.
constexpr DetectorSpec kDetectors[] = {
    {PersonalDataKind::iban, kIbanShape, 5, false, false, true, 2, iban_ok, iban_mask},
    {PersonalDataKind::payment_card, kCardShape, 5, false, true, true, 12, card_ok, card_mask},
    {PersonalDataKind::uk_nino, kNinoShape, 4, false, false, false, 6, nino_ok, nino_mask},
    {PersonalDataKind::us_ssn, kSsnShape, 4, false, true, false, 9, ssn_ok, ssn_mask},
    {PersonalDataKind::email, kEmailShape, 3, true, false, false, 0, email_ok, email_mask},
    {PersonalDataKind::phone, kPhoneShape, 1, false, true, false, 8, phone_ok, phone_mask},
};

std::span<const DetectorSpec> detector_specs() { return kDetectors; }

}  // namespace personal_data

bool luhn_valid(std::string_view digits) {
  if (digits.size() < 2 || !std::all_of(digits.begin(), digits.end(), is_digit)) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool iban_valid(std::string_view iban) {
  std::string compact;
  for (const char c : iban) {
    if (c == ' ') continue;
    if (!is_alnum(c)) return false;
    compact += upper(c);
  }
  if (compact.size() < 15 || compact.size() > 34 || !is_alpha(compact[0]) || !is_alpha(compact[1]) ||
      !is_digit(compact[2]) || !is_digit(compact[3]))
    return false;
  // Check digits are 98 minus a remainder, so 00, 01 and 99 never occur (and 01 would alias 98).
  const int check = number(std::string_view(compact).substr(2, 2));
  if (check < 2 || check > 98) return false;
  const std::size_t want = iban_length_for(compact.substr(0, 2));
  if (want != 0 && compact.size() != want) return false;
  // ISO 13616: move the first four characters to the end, letters become 10..35, the number mod 97 is 1.
  int remainder = 0;
  for (std::size_t k = 0; k < compact.size(); ++k) {
    const char c = compact[(k + 4) % compact.size()];
    remainder = is_digit(c) ? (remainder * 10 + (c - '0')) % 97 : (remainder * 100 + (c - 'A' + 10)) % 97;
  }
  return remainder == 1;
}

}  // namespace desk::core
