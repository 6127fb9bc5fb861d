#include "core/base64.hpp"

#include <gtest/gtest.h>

namespace desk::core::base64_tests {

TEST(Base64, EncodesWithPaddingAsRfc4648Says) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\x89PNG\r\n\x1a\n\xff\x00", 10)), "iVBORw0KGgr/AA==");
}

TEST(Base64, DecodesWhatItEncodesForEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (std::size_t len = 0; len <= all.size(); len += 37) {
    const auto decoded = base64_decode(base64_encode(all.substr(0, len)));
    ASSERT_TRUE(decoded.has_value()) << len;
    EXPECT_EQ(*decoded, all.substr(0, len));
  }
}

TEST(Base64, RefusesWhatIsNotStrictBase64) {
  EXPECT_FALSE(base64_decode("Zg="));       // length not a multiple of 4
  EXPECT_FALSE(base64_decode("Zm9v!A=="));  // outside the alphabet
  EXPECT_FALSE(base64_decode("Zg==Zm9v"));  // padding before the end
  EXPECT_FALSE(base64_decode("Z==="));      // three pads
  EXPECT_FALSE(base64_decode("Zm 9v"));
  EXPECT_EQ(base64_decode("Zm9vYg==").value_or(""), "foob");
}

TEST(Base64Url, EncodesUnpaddedWithTheUrlSafeAlphabet) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode(std::string("\xfb\xff\xbf", 3)), "-_-_");
  // RFC 7515 appendix A.1's protected header.
  EXPECT_EQ(base64url_encode("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"), "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
}

TEST(Base64Url, DecodesWhatItEncodesForEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (std::size_t len = 0; len <= all.size(); ++len) {
    const auto decoded = base64url_decode(base64url_encode(all.substr(0, len)));
    ASSERT_TRUE(decoded.has_value()) << len;
    EXPECT_EQ(*decoded, all.substr(0, len));
  }
}

TEST(Base64Url, RefusesWhatIsNotStrictBase64Url) {
  EXPECT_FALSE(base64url_decode("Zg=="));   // padding
  EXPECT_FALSE(base64url_decode("+/+/"));   // the standard alphabet's two characters
  EXPECT_FALSE(base64url_decode("Zm9vY"));  // a length no byte string has
  EXPECT_FALSE(base64url_decode("Zh"));     // unused bits set: "Zg" is the one encoding of "f"
  EXPECT_FALSE(base64url_decode("Zm.9"));
  EXPECT_EQ(base64url_decode("-_-_").value_or(""), std::string("\xfb\xff\xbf", 3));
}

}  // namespace desk::core::base64_tests
