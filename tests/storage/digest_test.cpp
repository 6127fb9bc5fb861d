// SHA-256 (FIPS 180-2 examples) and HMAC-SHA256 (RFC 4231 test cases).
#include "storage/digest.hpp"

#include <gtest/gtest.h>

namespace desk::storage {
namespace {

TEST(Digest, Sha256MatchesFips180Examples) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, Sha256HashesEmbeddedNulBytes) { EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a")); }

TEST(Digest, HmacSha256MatchesRfc4231) {
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\xaa'), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  // Keys longer than the block size are hashed first.
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'),
                            "This is a test using a larger than block-size key and a larger than block-size data. "
                            "The key needs to be hashed before being used by the HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(Digest, HmacWithEmptyKeyIsDefinedAndKeyed) {
  const std::string empty_key = hmac_sha256_hex("", "body");
  EXPECT_EQ(empty_key.size(), 64u);
  EXPECT_NE(empty_key, hmac_sha256_hex("k", "body"));
  EXPECT_NE(hmac_sha256_hex("k", "body"), hmac_sha256_hex("k", "body "));
}

}  // namespace
}  // namespace desk::storage
