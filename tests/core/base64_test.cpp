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

}  // namespace desk::core::base64_tests
