#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/text_scan.hpp"

namespace desk::core {
namespace {

LexiconCategory category(std::string id, std::vector<std::string> terms, std::vector<std::string> patterns = {}) {
  LexiconCategory c;
  c.id = std::move(id);
  c.terms = std::move(terms);
  c.patterns = std::move(patterns);
  return c;
}

std::vector<std::string> matched_texts(const std::vector<LexiconHit>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) out.push_back(h.matched);
  return out;
}

// ---- one rule against one text: whole words, case, spaces, hyphens, apostrophes ----

struct WordCase {
  const char* rule;  // a term, or a pattern when is_pattern
  bool is_pattern;
  const char* text;
  std::vector<std::string> expected;  // the matched slices, in order
};

std::ostream& operator<<(std::ostream& os, const WordCase& c) {
  return os << '"' << c.rule << "\" in \"" << c.text << '"';
}

class LexiconWord : public testing::TestWithParam<WordCase> {};

TEST_P(LexiconWord, FindsExactlyTheWholeWordOccurrences) {
  const WordCase& c = GetParam();
  const LexiconMatcher matcher({c.is_pattern ? category("cat", {}, {c.rule}) : category("cat", {c.rule})});
  const auto hits = matcher.scan(c.text);
  EXPECT_EQ(matched_texts(hits), c.expected);
  for (const auto& h : hits) EXPECT_EQ(std::string_view(c.text).substr(h.begin, h.end - h.begin), h.matched);
}

INSTANTIATE_TEST_SUITE_P(CaseInsensitive, LexiconWord,
                         testing::Values(WordCase{"price", false, "Price", {"Price"}},
                                         WordCase{"price", false, "PRICE!", {"PRICE"}},
                                         WordCase{"PRICE", false, "the price is", {"price"}},
                                         WordCase{"garantiert", false, "Das ist GARANTIERT.", {"GARANTIERT"}},
                                         WordCase{"Ümlaut", false, "ein ümlaut hier", {"ümlaut"}},
                                         WordCase{"ümlaut", false, "ÜMLAUT", {"ÜMLAUT"}},
                                         WordCase{"цена", false, "Лучшая ЦЕНА!", {"ЦЕНА"}},
                                         WordCase{"ΤΙΜΗ", false, "η τιμη", {"τιμη"}}));

INSTANTIATE_TEST_SUITE_P(
    WholeWords, LexiconWord,
    testing::Values(WordCase{"price", false, "priceless", {}}, WordCase{"price", false, "overprice", {}},
                    WordCase{"price", false, "price2", {}}, WordCase{"price", false, "price_list", {}},
                    WordCase{"price", false, "the price, today", {"price"}},
                    WordCase{"price", false, "price.", {"price"}}, WordCase{"price", false, "(price)", {"price"}},
                    // The hyphen is a boundary: a hit on "price" in "price-list" is intended.
                    WordCase{"price", false, "price-list", {"price"}}, WordCase{"price", false, "éprice", {}},
                    WordCase{"price", false, "priceé", {}}, WordCase{"price", false, "日本price", {}},
                    WordCase{"price", false, "٣price", {}}, WordCase{"price", false, "price\u00a0list", {"price"}},
                    WordCase{"price", false, "price price", {"price", "price"}},
                    WordCase{"price", false, "price,price;PRICE", {"price", "price", "PRICE"}},
                    WordCase{"c++", false, "I love C++.", {"C++"}}, WordCase{"c++", false, "C++x", {}}));

INSTANTIATE_TEST_SUITE_P(Phrases, LexiconWord,
                         testing::Values(WordCase{"best price", false, "best\nprice", {"best\nprice"}},
                                         WordCase{"best price", false, "BEST \t  PRICE", {"BEST \t  PRICE"}},
                                         WordCase{"best price", false, "best\u00a0price", {"best\u00a0price"}},
                                         WordCase{"best price", false, "best\u2003price", {"best\u2003price"}},
                                         WordCase{"best price", false, "bestprice", {}},
                                         WordCase{"best price", false, "best prices", {}},
                                         WordCase{"  best   price ", false, "our best price", {"best price"}},
                                         WordCase{"risk-free", false, "risk-free", {"risk-free"}},
                                         WordCase{"risk-free", false, "risk free", {"risk free"}},
                                         WordCase{"risk-free", false, "risk\u2011free", {"risk\u2011free"}},
                                         WordCase{"risk-free", false, "RISK\u2014FREE", {"RISK\u2014FREE"}},
                                         WordCase{"risk-free", false, "risk \u2013 free", {"risk \u2013 free"}},
                                         WordCase{"risk-free", false, "risk\nfree", {"risk\nfree"}},
                                         WordCase{"risk-free", false, "riskfree", {}},
                                         WordCase{"risk\u2011free", false, "risk-free", {"risk-free"}},
                                         WordCase{"don't", false, "DON\u2019T", {"DON\u2019T"}},
                                         WordCase{"don\u2019t", false, "don't", {"don't"}},
                                         WordCase{"don't", false, "dont", {}}));

INSTANTIATE_TEST_SUITE_P(
    Patterns, LexiconWord,
    testing::Values(WordCase{"\\d+% off", true, "Get 50% OFF today", {"50% OFF"}},
                    WordCase{"\\d+% off", true, "x50% off", {}}, WordCase{"\\d+% off", true, "50% offer", {}},
                    WordCase{"\\d+% off", true, "10% off and 20% off", {"10% off", "20% off"}},
                    WordCase{"free (trial|month)", true, "a Free Trial, a free month", {"Free Trial", "free month"}},
                    WordCase{"save \\$\\d+", true, "save $20 now", {"save $20"}},
                    WordCase{"guarant(ee|eed)", true, "guaranteed; guarantees", {"guaranteed"}},
                    // The preferred alternative ends inside a word; the shorter one is still found.
                    WordCase{"free trial|free", true, "free trials", {"free"}},
                    WordCase{"\\d+(?:\\.\\d+)?%", true, "5.5%x or 7%", {"7%"}},
                    WordCase{"günstig\\w*", true, "GÜNSTIGER!", {"GÜNSTIGER"}}));

// ---- hit fields, ordering and category filters ----

TEST(Lexicon, HitCarriesRuleIdCategoryTermAndByteOffsets) {
  const LexiconMatcher matcher({category("pricing", {"best  price"}), category("claims", {}, {"\\d+% off"})});
  const std::string text = "Our Best Price: 30% OFF";
  const auto hits = matcher.scan(text);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].rule_id, "lexicon/pricing/best  price");
  EXPECT_EQ(hits[0].category, "pricing");
  EXPECT_EQ(hits[0].term, "best  price");
  EXPECT_EQ(hits[0].begin, 4u);
  EXPECT_EQ(hits[0].end, 14u);
  EXPECT_EQ(hits[0].matched, "Best Price");
  EXPECT_EQ(hits[1].rule_id, "lexicon/claims/\\d+% off");
  EXPECT_EQ(hits[1].matched, "30% OFF");
  EXPECT_EQ(text.substr(hits[1].begin, hits[1].end - hits[1].begin), "30% OFF");
}

TEST(Lexicon, HitsAreOrderedByOffsetThenByRuleOrder) {
  const LexiconMatcher matcher(
      {category("a", {"free"}), category("b", {"risk-free", "risk"}), category("c", {}, {"risk\\S*"})});
  const auto hits = matcher.scan("free of charge and risk-free");
  std::vector<std::string> ids;
  for (const auto& h : hits) ids.push_back(h.rule_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"lexicon/a/free", "lexicon/b/risk-free", "lexicon/b/risk",
                                           "lexicon/c/risk\\S*", "lexicon/a/free"}));
}

TEST(Lexicon, OnlyKeepsTheListedCategories) {
  const LexiconMatcher matcher({category("pricing", {"price"}), category("legal", {"guaranteed"})});
  const std::string text = "guaranteed price";
  EXPECT_EQ(matcher.scan(text).size(), 2u);
  const auto legal = matcher.scan(text, {"legal"});
  ASSERT_EQ(legal.size(), 1u);
  EXPECT_EQ(legal[0].category, "legal");
  EXPECT_EQ(matcher.scan(text, {"pricing", "legal"}).size(), 2u);
  EXPECT_TRUE(matcher.scan(text, {"nonexistent"}).empty());
}

TEST(Lexicon, SameTermInTwoCategoriesHitsBoth) {
  const LexiconMatcher matcher({category("pricing", {"free"}), category("claims", {"FREE"})});
  const auto hits = matcher.scan("it is free");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].rule_id, "lexicon/pricing/free");
  EXPECT_EQ(hits[1].rule_id, "lexicon/claims/FREE");
}

TEST(Lexicon, EmptyLexiconAndEmptyTextFindNothing) {
  const LexiconMatcher empty({});
  EXPECT_TRUE(empty.scan("price guaranteed").empty());
  const LexiconMatcher no_rules({category("pricing", {})});
  EXPECT_TRUE(no_rules.scan("price").empty());
  const LexiconMatcher matcher({category("pricing", {"price"})});
  EXPECT_TRUE(matcher.scan("").empty());
}

TEST(Lexicon, MovedMatcherStillScans) {
  LexiconMatcher first({category("pricing", {"price"})});
  LexiconMatcher second(std::move(first));
  EXPECT_EQ(second.scan("price").size(), 1u);
  LexiconMatcher third({});
  third = std::move(second);
  EXPECT_EQ(third.scan("a price").size(), 1u);
}

// ---- configuration errors ----

struct BadRule {
  LexiconCategory category;
  std::size_t index;
  bool is_pattern;
  const char* message_part;
};

class LexiconBadRule : public testing::TestWithParam<BadRule> {};

TEST_P(LexiconBadRule, ThrowsLexiconErrorNamingTheRule) {
  const BadRule& bad = GetParam();
  try {
    const LexiconMatcher matcher({category("fine", {"ok"}), bad.category});
    FAIL() << "expected LexiconError";
  } catch (const LexiconError& e) {
    EXPECT_EQ(e.category(), bad.category.id);
    EXPECT_EQ(e.index(), bad.index);
    EXPECT_EQ(e.is_pattern(), bad.is_pattern);
    EXPECT_NE(std::string(e.what()).find(bad.message_part), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Lexicon, LexiconBadRule,
                         testing::Values(BadRule{category("claims", {}, {"\\d+", "(unclosed"}), 1, true, "missing )"},
                                         BadRule{category("claims", {"x"}, {"a)b"}), 0, true, "unexpected )"},
                                         BadRule{category("claims", {}, {"[z-a]"}), 0, true, "character class range"},
                                         BadRule{category("claims", {}, {"a{2,1}"}), 0, true,
                                                 "invalid repetition size"},
                                         BadRule{category("claims", {}, {"a*"}), 0, true, "empty string"},
                                         BadRule{category("claims", {}, {""}), 0, true, "empty"},
                                         BadRule{category("pricing", {"ok", ""}), 1, false, "empty"},
                                         BadRule{category("pricing", {" \t\n "}), 0, false, "empty"},
                                         BadRule{category("pricing", {"bad\xff"
                                                                      "byte"}),
                                                 0, false, "UTF-8"}));

// ---- scale and hostile input ----

std::vector<LexiconCategory> five_hundred_rules() {
  std::vector<LexiconCategory> lexicon;
  for (int c = 0; c < 5; ++c) {
    LexiconCategory cat = category("cat" + std::to_string(c), {});
    for (int i = 0; i < 100; ++i) {
      const std::string n = std::to_string(c * 100 + i);
      if (i % 10 == 0)
        cat.patterns.push_back("offer" + n + "\\d+");
      else if (i % 3 == 0)
        cat.terms.push_back("risk-free plan " + n);
      else
        cat.terms.push_back("term" + n);
    }
    lexicon.push_back(std::move(cat));
  }
  return lexicon;
}

// Shared by the tests below: 50 patterns with Unicode word boundaries take a while to compile.
const LexiconMatcher& five_hundred_rule_matcher() {
  static const LexiconMatcher matcher(five_hundred_rules());
  return matcher;
}

TEST(Lexicon, FiveHundredRulesCompileAndScan) {
  const LexiconMatcher& matcher = five_hundred_rule_matcher();
  const auto hits = matcher.scan("Try term1 and term498, the Risk Free Plan 3 or offer210123; not term5000.");
  std::vector<std::string> ids;
  for (const auto& h : hits) ids.push_back(h.rule_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"lexicon/cat0/term1", "lexicon/cat4/term498",
                                           "lexicon/cat0/risk-free plan 3", "lexicon/cat2/offer210\\d+"}));
}

TEST(Lexicon, OneMegabyteDraftIsScannedWhole) {
  const LexiconMatcher& matcher = five_hundred_rule_matcher();
  std::string text;
  const std::string chunk = "lorem ipsum term7 dolor sit amet, consectetur adipiscing elit. ";
  std::size_t chunks = 0;
  while (text.size() < (1u << 20)) text += chunk, ++chunks;
  text += "risk free plan 6";
  const auto hits = matcher.scan(text);
  ASSERT_EQ(hits.size(), chunks + 1);
  EXPECT_EQ(hits.back().rule_id, "lexicon/cat0/risk-free plan 6");
  EXPECT_EQ(hits.back().end, text.size());
}

TEST(Lexicon, InvalidUtf8IsSkippedWithOffsetsIntact) {
  const LexiconMatcher matcher({category("pricing", {"price"})});
  const std::string text = "price \xff\xfe price\xc3 \xe2\x82price\xf4\x90\x80\x80";
  const auto hits = matcher.scan(text);
  ASSERT_EQ(hits.size(), 3u);
  for (const auto& h : hits) {
    EXPECT_EQ(h.matched, "price");
    EXPECT_EQ(text.substr(h.begin, h.end - h.begin), "price");
  }
  EXPECT_EQ(hits[1].begin, 9u);
}

TEST(Lexicon, ArbitraryBytesNeitherCrashNorHang) {
  const LexiconMatcher& matcher = five_hundred_rule_matcher();
  std::string noise;
  std::uint32_t state = 12345;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1664525u + 1013904223u;  // fixed LCG: the same bytes every run
    noise += static_cast<char>(state >> 24);
  }
  noise += " term41 ";
  const auto hits = matcher.scan(noise);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits.back().matched, "term41");
}

TEST(Lexicon, ConcurrentScansAgree) {
  const LexiconMatcher& matcher = five_hundred_rule_matcher();
  const std::string text = "term1 term2 offer10999 risk-free plan 9";
  const std::size_t expected = matcher.scan(text).size();
  std::vector<std::size_t> counts(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < counts.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) counts[t] += matcher.scan(text).size();
    });
  for (auto& th : threads) th.join();
  for (const std::size_t c : counts) EXPECT_EQ(c, expected * 200);
}

// ---- UTF-8 helpers ----

TEST(Utf8, ValidatesWellFormedSequencesOnly) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80"));  // ü € 😀
  EXPECT_FALSE(is_valid_utf8("\xc0\x80"));                               // overlong NUL
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));                           // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));                           // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                       // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));                               // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));                                   // stray continuation
}

TEST(Utf8, ReplacementKeepsLengthAndValidCharacters) {
  const std::string text = "a\xff\xc3\xbc\xe2\x82z";
  const std::string clean = replace_invalid_utf8(text, '?');
  EXPECT_EQ(clean, "a?\xc3\xbc??z");
  EXPECT_EQ(clean.size(), text.size());
  EXPECT_TRUE(is_valid_utf8(replace_invalid_utf8(text)));
}

// ---- typed commands ----

TEST(TypedCommand, SplitsOneWordAtATimeWhateverTheSpacing) {
  using Split = std::pair<std::string_view, std::string_view>;
  EXPECT_EQ(split_word("  rota override\t@bob  duty_lead 4h \n"), Split("rota", "override\t@bob  duty_lead 4h"));
  EXPECT_EQ(split_word("override\t@bob  duty_lead 4h"), Split("override", "@bob  duty_lead 4h"));
  EXPECT_EQ(split_word("4h"), Split("4h", ""));
  EXPECT_EQ(split_word(" \r\n "), Split("", ""));
  EXPECT_EQ(split_word(""), Split("", ""));
}

TEST(TypedCommand, LowerCasesAsciiLettersOnly) {
  EXPECT_EQ(ascii_lower("ROTA Override"), "rota override");
  EXPECT_EQ(ascii_lower("\xc3\x9c \xc3\xbc 42"), "\xc3\x9c \xc3\xbc 42");  // Ü ü: bytes untouched
}

}  // namespace
}  // namespace desk::core
