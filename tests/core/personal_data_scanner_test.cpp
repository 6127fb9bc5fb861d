#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "core/text_scan.hpp"

namespace desk::core {
namespace {

const std::vector<PersonalDataKind> kAll(std::begin(kAllPersonalDataKinds), std::end(kAllPersonalDataKinds));

// Shared: a scanner compiles its patterns once, and scan() is const.
const PersonalDataScanner& all_detectors() {
  static const PersonalDataScanner scanner(kAll);
  return scanner;
}

// Independent helpers that make valid numbers, so negatives can differ from a valid one by one rule.
std::string with_iban_check_digits(const std::string& country, const std::string& bban) {
  const std::string rearranged = bban + country + "00";
  int remainder = 0;
  for (const char c : rearranged) {
    const bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
    const std::string value = digit ? std::string(1, c) : std::to_string(c - 'A' + 10);
    for (const char d : value) remainder = (remainder * 10 + (d - '0')) % 97;
  }
  const int check = 98 - remainder;
  return country + (check < 10 ? "0" : "") + std::to_string(check) + bban;
}

std::string with_luhn_digit(const std::string& body) {
  for (char d = '0'; d <= '9'; ++d)
    if (luhn_valid(body + d)) return body + d;
  return body;
}

// ---- true positives: the hit's text and its mask ----

struct Found {
  PersonalDataKind kind;
  const char* text;     // the draft
  const char* matched;  // the slice that must be reported
  const char* masked;
};

std::ostream& operator<<(std::ostream& os, const Found& f) { return os << to_string(f.kind) << ": " << f.text; }

class PersonalDataFound : public testing::TestWithParam<Found> {};

TEST_P(PersonalDataFound, ReportsTheItemWithItsMask) {
  const Found& f = GetParam();
  const PersonalDataScanner& scanner = all_detectors();
  const std::string text = f.text;
  const auto hits = scanner.scan(text);
  ASSERT_EQ(hits.size(), 1u) << (hits.size() > 1 ? text.substr(hits[1].begin, hits[1].end - hits[1].begin) : "");
  EXPECT_EQ(hits[0].kind, f.kind);
  EXPECT_EQ(text.substr(hits[0].begin, hits[0].end - hits[0].begin), f.matched);
  EXPECT_EQ(hits[0].masked, f.masked);
}

INSTANTIATE_TEST_SUITE_P(
    Email, PersonalDataFound,
    testing::Values(
        Found{PersonalDataKind::email, "mail john.smith@example.com now", "john.smith@example.com", "j***@example.com"},
        Found{PersonalDataKind::email, "Contact: J.Doe+tag@Sub.Example.co.uk.", "J.Doe+tag@Sub.Example.co.uk",
              "J***@Sub.Example.co.uk"},
        Found{PersonalDataKind::email, "<anna_b@test-domain.io>", "anna_b@test-domain.io", "a***@test-domain.io"},
        Found{PersonalDataKind::email, "écrivez à zoë@exemple.fr", "zoë@exemple.fr", "z***@exemple.fr"},
        Found{PersonalDataKind::email, "Ærø@dæmo.dk!", "Ærø@dæmo.dk", "Æ***@dæmo.dk"}));

INSTANTIATE_TEST_SUITE_P(
    Phone, PersonalDataFound,
    testing::Values(Found{PersonalDataKind::phone, "call +44 20 7946 0958 today", "+44 20 7946 0958",
                          "+** ** **** **58"},
                    Found{PersonalDataKind::phone, "US: +1 (415) 555-2671.", "+1 (415) 555-2671", "+* (***) ***-**71"},
                    Found{PersonalDataKind::phone, "+49-30-1234567", "+49-30-1234567", "+**-**-*****67"},
                    Found{PersonalDataKind::phone, "0044 20 7946 0958", "0044 20 7946 0958", "**** ** **** **58"},
                    Found{PersonalDataKind::phone, "+44 (0)20 7946 0958", "+44 (0)20 7946 0958", "+** (*)** **** **58"},
                    Found{PersonalDataKind::phone, "+442079460958", "+442079460958", "+**********58"},
                    Found{PersonalDataKind::phone, "ring 020 7946 0958", "020 7946 0958", "*** **** **58"},
                    Found{PersonalDataKind::phone, "mobile 07700 900123", "07700 900123", "***** ****23"},
                    Found{PersonalDataKind::phone, "mobile 07700900123", "07700900123", "*********23"},
                    Found{PersonalDataKind::phone, "(415) 555-2671", "(415) 555-2671", "(***) ***-**71"},
                    Found{PersonalDataKind::phone, "tel:415-555-2671", "415-555-2671", "***-***-**71"},
                    Found{PersonalDataKind::phone, "415.555.2671", "415.555.2671", "***.***.**71"},
                    Found{PersonalDataKind::phone, "01 23 45 67 89", "01 23 45 67 89", "** ** ** ** 89"}));

INSTANTIATE_TEST_SUITE_P(
    Iban, PersonalDataFound,
    testing::Values(
        Found{PersonalDataKind::iban, "IBAN GB82 WEST 1234 5698 7654 32.", "GB82 WEST 1234 5698 7654 32",
              "GB** **** **** **** **54 32"},
        Found{PersonalDataKind::iban, "GB82WEST12345698765432", "GB82WEST12345698765432", "GB****************5432"},
        Found{PersonalDataKind::iban, "DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00",
              "DE** **** **** **** **30 00"},
        Found{PersonalDataKind::iban, "to FR14 2004 1010 0505 0001 3M02 606 please",
              "FR14 2004 1010 0505 0001 3M02 606", "FR** **** **** **** **** ***2 606"},
        Found{PersonalDataKind::iban, "nl91abna0417164300", "nl91abna0417164300", "nl************4300"},
        Found{PersonalDataKind::iban, "BE68 5390 0754 7034 2024", "BE68 5390 0754 7034", "BE** **** **** 7034"},
        Found{PersonalDataKind::iban, "NO93 8601 1117 947", "NO93 8601 1117 947", "NO** **** ***7 947"}));

INSTANTIATE_TEST_SUITE_P(
    Card, PersonalDataFound,
    testing::Values(
        Found{PersonalDataKind::payment_card, "card 4242 4242 4242 4242 exp", "4242 4242 4242 4242",
              "**** **** **** 4242"},
        Found{PersonalDataKind::payment_card, "4111111111111111", "4111111111111111", "************1111"},
        Found{PersonalDataKind::payment_card, "5555-5555-5555-4444", "5555-5555-5555-4444", "****-****-****-4444"},
        Found{PersonalDataKind::payment_card, "amex 3782 822463 10005", "3782 822463 10005", "**** ****** *0005"},
        Found{PersonalDataKind::payment_card, "6011 1111 1111 1117", "6011 1111 1111 1117", "**** **** **** 1117"},
        Found{PersonalDataKind::payment_card, "2223003122003222", "2223003122003222", "************3222"},
        Found{PersonalDataKind::payment_card, "visa13 4222222222222", "4222222222222", "*********2222"},
        Found{PersonalDataKind::payment_card, "jcb 3530111333300000", "3530111333300000", "************0000"}));

INSTANTIATE_TEST_SUITE_P(
    NationalIds, PersonalDataFound,
    testing::Values(Found{PersonalDataKind::uk_nino, "NI: AB 12 34 56 C", "AB 12 34 56 C", "AB ** ** ** *"},
                    Found{PersonalDataKind::uk_nino, "JG103759A", "JG103759A", "JG*******"},
                    Found{PersonalDataKind::uk_nino, "ce 123456 a", "ce 123456 a", "ce ****** *"},
                    Found{PersonalDataKind::us_ssn, "SSN 123-45-6789.", "123-45-6789", "***-**-6789"},
                    Found{PersonalDataKind::us_ssn, "078 05 1120", "078 05 1120", "*** ** 1120"},
                    Found{PersonalDataKind::us_ssn, "(665-01-0001)", "665-01-0001", "***-**-0001"}));

// ---- true negatives: nothing at all is reported ----

class PersonalDataNotFound : public testing::TestWithParam<const char*> {};

TEST_P(PersonalDataNotFound, ReportsNothing) {
  const PersonalDataScanner& scanner = all_detectors();
  const std::string text = GetParam();
  const auto hits = scanner.scan(text);
  for (const auto& h : hits)
    ADD_FAILURE() << to_string(h.kind) << " hit on \"" << text.substr(h.begin, h.end - h.begin) << '"';
}

INSTANTIATE_TEST_SUITE_P(NotPhones, PersonalDataNotFound,
                         testing::Values("released 2024-06-01", "on 01.06.2024", "06/01/2024",
                                         "at 2024-06-01T12:30:00Z", "at 2024-06-01 12:30", "2024-06-01 12:30:00",
                                         "costs $1,234.56", "costs $12345678", "costs \u20ac1234567.89",
                                         "1234567.89 EUR", "version 10.0.19041.1234", "v1.2.3", "1.2.3.4",
                                         "host 192.168.100.200", "order ORD-12345678", "order ORD12345678",
                                         "ticket #12345678", "ref 12345678", "from 1990-2024", "1 234 567 890 people",
                                         "call 555-2671", "12345678%", "x12345678", "12345678-ab", "id 2024 1",
                                         "score 12 34", "ISBN 978-3-16-148410-0", "ISBN 0-306-40615-2",
                                         "1Z999AA10123456784", "invoice INV-2024-000123"));

INSTANTIATE_TEST_SUITE_P(NotEmails, PersonalDataNotFound,
                         testing::Values("john@localhost", "@example.com", "john@example.c", "john@.com",
                                         "john@example..com", "user@123.456", "no at sign example.com"));

INSTANTIATE_TEST_SUITE_P(NotIbans, PersonalDataNotFound,
                         testing::Values("GB82 WEST 1234 5698 7654 33",    // bad checksum
                                         "GB82 WEST 1234 5698 7654",       // too short for GB
                                         "GB82 WEST 1234 5698 7654 3210",  // too long for GB
                                         "XX00 1234 5678 9012 345",        // garbage
                                         "Gb82 West 1234 5698 7654 32",    // mixed case: prose
                                         "AGB82WEST12345698765432"));      // inside a longer token

INSTANTIATE_TEST_SUITE_P(
    NotCards, PersonalDataNotFound,
    testing::Values("4242 4242 4242 4241",  // Luhn fails
                    "4242424242424241", "4242-4242 4242-4242", "42424242424242424242", "x4242424242424242",
                    "4242424242424242x", "0000 0000 0000 0000", "1234 5678 9012 3452", "9999 9999 9999 9995",
                    "3782 822463 10006"));  // Amex-shaped, Luhn fails: not a card, and not a phone either

INSTANTIATE_TEST_SUITE_P(NotNationalIds, PersonalDataNotFound,
                         testing::Values("DA 12 34 56 C", "AF 12 34 56 C", "QQ 12 34 56 C", "IA 12 34 56 C",
                                         "AU 12 34 56 C", "AV 12 34 56 C", "AO 12 34 56 C", "GB 12 34 56 C",
                                         "BG 12 34 56 C", "NK 12 34 56 C", "KN 12 34 56 C", "TN 12 34 56 C",
                                         "NT 12 34 56 C", "ZZ 12 34 56 C", "AB 12 34 56 E", "XAB123456C", "AB123456CD",
                                         "000-12-3456", "666-12-3456", "900-12-3456", "999-99-9999", "123-00-4567",
                                         "123-45-0000", "123456789", "ORD-123-45-6789", "123-45 6789"));

// ---- overlaps, order and masking ----

TEST(PersonalData, ChecksumBackedKindsWinOverlapsWithPhone) {
  const PersonalDataScanner& scanner = all_detectors();
  for (const std::string text : {"DE89 3704 0044 0532 0130 00", "3782 822463 10005", "123-45-6789"}) {
    const auto hits = scanner.scan(text);
    ASSERT_EQ(hits.size(), 1u) << text;
    EXPECT_NE(hits[0].kind, PersonalDataKind::phone) << text;
    EXPECT_EQ(hits[0].end - hits[0].begin, text.size());
  }
}

TEST(PersonalData, PhoneAloneStillIgnoresIbanAndCardShapes) {
  const PersonalDataScanner phone_only({PersonalDataKind::phone});
  for (const char* text : {"GB82 WEST 1234 5698 7654 33", "3782 822463 10006", "4242 4242 4242"})
    EXPECT_TRUE(phone_only.scan(text).empty()) << text;
  EXPECT_EQ(phone_only.scan("GB82 WEST 1234 5698 7654 33 or 020 7946 0958").size(), 1u);
}

TEST(PersonalData, MovedScannerStillScans) {
  PersonalDataScanner first({PersonalDataKind::email});
  PersonalDataScanner second(std::move(first));
  EXPECT_EQ(second.scan("a@b.io").size(), 1u);
  PersonalDataScanner third({});
  third = std::move(second);
  EXPECT_EQ(third.scan("x a@b.io").size(), 1u);
}

TEST(PersonalData, OnlyEnabledDetectorsRun) {
  const std::string text = "j@example.com 4242 4242 4242 4242 AB 12 34 56 C";
  EXPECT_TRUE(PersonalDataScanner({}).scan(text).empty());
  const auto hits = PersonalDataScanner({PersonalDataKind::uk_nino}).scan(text);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].kind, PersonalDataKind::uk_nino);
}

TEST(PersonalData, HitsAreOrderedAndMaskedInPlace) {
  const PersonalDataScanner& scanner = all_detectors();
  const std::string text =
      "Hi Ann (ann@example.org), call +44 20 7946 0958. Pay GB82 WEST 1234 5698 7654 32 "
      "with 4242-4242-4242-4242; NI AB123456C, SSN 123-45-6789.";
  const auto hits = scanner.scan(text);
  std::vector<PersonalDataKind> kinds;
  for (const auto& h : hits) kinds.push_back(h.kind);
  EXPECT_EQ(kinds, (std::vector<PersonalDataKind>{PersonalDataKind::email, PersonalDataKind::phone,
                                                  PersonalDataKind::iban, PersonalDataKind::payment_card,
                                                  PersonalDataKind::uk_nino, PersonalDataKind::us_ssn}));
  EXPECT_EQ(mask_personal_data(text, hits),
            "Hi Ann (a***@example.org), call +** ** **** **58. Pay GB** **** **** **** **54 32 "
            "with ****-****-****-4242; NI AB*******, SSN ***-**-6789.");
}

TEST(PersonalData, MaskingIgnoresOverlappingAndOutOfRangeHits) {
  const std::string text = "abcdef";
  const std::vector<PersonalDataHit> hits = {{PersonalDataKind::email, 3, 5, "X"},
                                             {PersonalDataKind::email, 0, 2, "Y"},
                                             {PersonalDataKind::email, 4, 6, "Z"},
                                             {PersonalDataKind::email, 5, 99, "W"}};
  EXPECT_EQ(mask_personal_data(text, hits), "YcXf");
  EXPECT_EQ(mask_personal_data(text, {}), text);
}

TEST(PersonalData, InvalidUtf8AroundAnItemKeepsOffsets) {
  const PersonalDataScanner& scanner = all_detectors();
  const std::string text = "\xff\xfejohn@example.com\xc3 and 4242424242424242\xe2\x82";
  const auto hits = scanner.scan(text);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(text.substr(hits[0].begin, hits[0].end - hits[0].begin), "john@example.com");
  EXPECT_EQ(text.substr(hits[1].begin, hits[1].end - hits[1].begin), "4242424242424242");
}

TEST(PersonalData, LargeNoisyDraftIsScanned) {
  const PersonalDataScanner& scanner = all_detectors();
  std::string text;
  std::uint32_t state = 777;
  for (int i = 0; i < 100000; ++i) {
    state = state * 1664525u + 1013904223u;  // fixed LCG: the same bytes every run
    text += static_cast<char>(state >> 24);
  }
  std::size_t emails = 0;
  while (text.size() < (1u << 20)) text += " 2024-06-01 v1.2.3 $12.50 x@y.io ", ++emails;
  const auto hits = scanner.scan(text);
  std::size_t found = 0;
  for (const auto& h : hits) found += h.kind == PersonalDataKind::email && h.masked == "x***@y.io";
  EXPECT_EQ(found, emails);
}

TEST(PersonalData, OverlapsPickTheStrongestThenLongestSpanAcrossManyItems) {
  // Each block holds an IBAN (whose digit groups look like a phone number), a card (also phone-shaped),
  // a phone number, an SSN inside a longer run and an e-mail address; 2,000 of them, so the spans kept
  // are checked where many candidates overlap, not only in a short text.
  const std::string block =
      "Pay GB82 WEST 1234 5698 7654 32 or 4242-4242-4242-4242, call 020 7946 0958, SSN 123-45-6789, "
      "mail ann@example.org. ";
  std::string text;
  for (int i = 0; i < 2000; ++i) text += block;
  const auto hits = all_detectors().scan(text);
  ASSERT_EQ(hits.size(), 2000u * 5);
  const std::vector<std::pair<PersonalDataKind, std::string>> expected = {
      {PersonalDataKind::iban, "GB82 WEST 1234 5698 7654 32"},
      {PersonalDataKind::payment_card, "4242-4242-4242-4242"},
      {PersonalDataKind::phone, "020 7946 0958"},
      {PersonalDataKind::us_ssn, "123-45-6789"},
      {PersonalDataKind::email, "ann@example.org"}};
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const auto& [kind, item] = expected[i % expected.size()];
    const std::size_t at = (i / expected.size()) * block.size() + block.find(item);
    ASSERT_EQ(hits[i].kind, kind) << "hit " << i;
    ASSERT_EQ(hits[i].begin, at) << "hit " << i;
    ASSERT_EQ(hits[i].end, at + item.size()) << "hit " << i;
  }
}

TEST(PersonalData, ThirtySevenThousandAddressesAreEachFoundOnce) {
  std::string text;
  for (int i = 0; i < 37000; ++i) text += "a@b.io ";
  const auto hits = all_detectors().scan(text);
  ASSERT_EQ(hits.size(), 37000u);
  for (std::size_t i = 0; i < hits.size(); ++i) {
    ASSERT_EQ(hits[i].begin, i * 7) << "hit " << i;
    ASSERT_EQ(hits[i].end, i * 7 + 6) << "hit " << i;
  }
  EXPECT_EQ(mask_personal_data(text, hits).find("a@b.io"), std::string::npos);
}

// ---- checksums ----

TEST(Luhn, AcceptsValidNumbersOnly) {
  for (const char* valid : {"4242424242424242", "79927398713", "378282246310005", "00", "18"})
    EXPECT_TRUE(luhn_valid(valid)) << valid;
  for (const char* invalid :
       {"", "0", "79927398710", "4242 4242 4242 4242", "42424242424242a2", "-18", "4242424242424241"})
    EXPECT_FALSE(luhn_valid(invalid)) << invalid;
}

TEST(Luhn, EverySingleDigitChangeIsCaught) {
  const std::string valid = with_luhn_digit("453201511283036");
  ASSERT_TRUE(luhn_valid(valid));
  for (std::size_t i = 0; i < valid.size(); ++i)
    for (char d = '0'; d <= '9'; ++d) {
      if (d == valid[i]) continue;
      std::string changed = valid;
      changed[i] = d;
      EXPECT_FALSE(luhn_valid(changed)) << changed;
    }
}

TEST(Iban, AcceptsRegistryExamplesInAnyCaseAndSpacing) {
  for (const char* valid : {"GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32", "gb82 west 1234 5698 7654 32",
                            "DE89370400440532013000", "FR1420041010050500013M02606", "ES9121000418450200051332",
                            "IT60X0542811101000000123456", "NL91ABNA0417164300", "BE68539007547034",
                            "CH9300762011623852957", "IE29AIBK93115212345678", "PL61109010140000071219812874",
                            "SE4550000000058398257466", "PT50000201231234567890154", "AT611904300234573201",
                            "DK5000400440116243", "NO9386011117947", "FI2112345600000785", "LU280019400644750000"})
    EXPECT_TRUE(iban_valid(valid)) << valid;
}

TEST(Iban, RejectsBadChecksumsLengthsAndCharacters) {
  for (const char* invalid : {"", "GB", "GB82", "GB82WEST12345698765433", "GB82WEST1234569876543",
                              "GB82WEST123456987654321", "GB82-WEST-1234-5698-7654-32", "82GBWEST12345698765432",
                              "GBXXWEST12345698765432", "NO938601111794", "DE8937040044053201300"})
    EXPECT_FALSE(iban_valid(invalid)) << invalid;
}

TEST(Iban, UnknownCountryNeedsOnlyLengthAndChecksum) {
  const std::string unknown = with_iban_check_digits("ZZ", "ABCD1234567890");  // 18 characters
  EXPECT_TRUE(iban_valid(unknown));
  EXPECT_FALSE(iban_valid(with_iban_check_digits("ZZ", "1234567890")));  // 14 < 15
  std::string tampered = unknown;
  tampered[10] = tampered[10] == '9' ? '8' : '9';
  EXPECT_FALSE(iban_valid(tampered));
}

TEST(Iban, CheckDigitsThatNeverOccurAreRejected) {
  // 98 and 01 leave the same remainder mod 97, so only the check-digit range tells them apart.
  std::string iban;
  for (int bank = 0; bank < 1000 && iban.empty(); ++bank) {
    std::string candidate = with_iban_check_digits("GB", "WEST" + std::to_string(100000 + bank) + "76543210");
    if (candidate.substr(2, 2) == "98") iban = candidate;
  }
  ASSERT_FALSE(iban.empty());
  EXPECT_TRUE(iban_valid(iban));
  EXPECT_FALSE(iban_valid(iban.replace(2, 2, "01")));
}

}  // namespace
}  // namespace desk::core
