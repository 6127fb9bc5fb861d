// Where decision callbacks may go: https to public hosts only, never into the desk's own network.
#include "handlers/callback_target.hpp"

#include <gtest/gtest.h>

#include "handlers/callback_signing.hpp"
#include "handlers/submission_parser.hpp"
#include "storage/digest.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace {

TEST(CallbackTarget, PublicAddressesPassAndEveryInternalRangeIsRefusedByName) {
  for (const char* ok : {"93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.255.255",
                         "172.32.0.1", "192.167.1.1", "2606:4700:4700::1111", "2a00:1450:4001::1"})
    EXPECT_EQ(address_problem(ok), "") << ok;
  const std::pair<const char*, const char*> refused[] = {{"0.0.0.0", "unspecified"},
                                                         {"10.1.2.3", "private"},
                                                         {"100.64.0.1", "carrier-grade"},
                                                         {"127.0.0.1", "loopback"},
                                                         {"127.255.0.9", "loopback"},
                                                         {"169.254.169.254", "metadata"},
                                                         {"172.16.0.1", "private"},
                                                         {"172.31.255.255", "private"},
                                                         {"192.168.1.1", "private"},
                                                         {"192.0.2.7", "documentation"},
                                                         {"198.18.0.1", "benchmarking"},
                                                         {"224.0.0.1", "multicast"},
                                                         {"240.0.0.1", "reserved"},
                                                         {"255.255.255.255", "reserved"},
                                                         {"::1", "loopback"},
                                                         {"::", "unspecified"},
                                                         {"fc00::1", "private"},
                                                         {"fd00:ec2::254", "private"},
                                                         {"fe80::1", "link-local"},
                                                         {"ff02::1", "multicast"},
                                                         {"2001:db8::1", "documentation"},
                                                         {"::ffff:127.0.0.1", "loopback"},
                                                         {"::ffff:169.254.169.254", "metadata"},
                                                         {"64:ff9b::a00:1", "private"},
                                                         {"::7f00:1", "IPv4-compatible"},
                                                         {"not-an-ip", "not an IP"},
                                                         {"", "not an IP"}};
  for (const auto& [address, why] : refused) {
    const std::string problem = address_problem(address);
    EXPECT_NE(problem.find(why), std::string::npos) << address << ": " << problem;
  }
  EXPECT_EQ(address_problem("::ffff:8.8.8.8"), "") << "a mapped public IPv4 is public";
}

TEST(CallbackTarget, UrlsMustBeHttpsToAPublicHost) {
  EXPECT_EQ(callback_url_problem("https://agents.example.com/desk-callback?agent=ads"), "");
  EXPECT_EQ(callback_url_problem("https://agents.example.com:8443/cb"), "");
  EXPECT_EQ(callback_url_problem("https://93.184.216.34/cb"), "");
  EXPECT_EQ(callback_url_problem("https://[2606:4700:4700::1111]:443/cb"), "");
  const std::pair<const char*, const char*> refused[] = {
      {"http://agents.example.com/cb", "https"},
      {"ftp://agents.example.com/cb", "https"},
      {"https://127.0.0.1:8080/v1/escalations", "loopback"},
      {"https://[::1]/cb", "loopback"},
      {"https://10.0.0.5/cb", "private"},
      {"https://169.254.169.254/latest/meta-data/", "link-local"},
      {"https://[::ffff:192.168.0.1]/cb", "private"},
      {"https://localhost/cb", "this machine"},
      {"https://LOCALHOST./cb", "this machine"},
      {"https://desk.localhost/cb", "this machine"},
      {"https://metadata.google.internal/computeMetadata/v1/", "this machine"},
      {"https://printer.local/cb", "this machine"},
      {"https://intranet/cb", "this machine"},
      {"https://agents.example.com@127.0.0.1/cb", "user information"},
      {"https://user:pw@agents.example.com/cb", "user information"},
      {"https://agents.example.com:99999/cb", "port"},
      {"https://agents.example.com:/cb", "port"},
      {"https://[::1/cb", "IPv6"},
      {"https:///cb", "host"},
      {"agents.example.com/cb", "absolute"},
  };
  for (const auto& [url, why] : refused) {
    const std::string problem = callback_url_problem(url);
    EXPECT_NE(problem.find(why), std::string::npos) << url << ": " << problem;
  }
}

TEST(CallbackTarget, TheTestingSettingOpensLoopbackAndNothingElse) {
  EXPECT_EQ(callback_url_problem("http://127.0.0.1:8081/cb", true), "");
  EXPECT_EQ(callback_url_problem("https://[::1]:9000/cb", true), "");
  EXPECT_EQ(callback_url_problem("http://LocalHost/cb", true), "");
  EXPECT_NE(callback_url_problem("http://10.0.0.5/cb", true), "");
  EXPECT_NE(callback_url_problem("http://agents.example.com/cb", true), "");
  EXPECT_NE(callback_url_problem("https://169.254.169.254/", true), "");
  EXPECT_TRUE(is_loopback_host("127.9.9.9"));
  EXPECT_TRUE(is_loopback_host("a.localhost"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
}

TEST(CallbackTarget, TheIntakeRefusesAnInternalCallbackWith422OnTheField) {
  core::Policy policy = testing::seed_policy();
  const auto body = [](const std::string& url) {
    return R"({"workflow":"community_replies","channel":"linkedin","agent":"a","confidence":0.9,)"
           R"("output":"Hello","callback_url":")" +
           url + R"("})";
  };
  const auto refused =
      parse_submission(body("https://169.254.169.254/latest/meta-data/"), policy, testing::tuesday_noon());
  ASSERT_TRUE(std::holds_alternative<ValidationError>(refused));
  EXPECT_EQ(std::get<ValidationError>(refused).code, "invalid_url");
  EXPECT_EQ(std::get<ValidationError>(refused).field, "callback_url");
  EXPECT_TRUE(std::holds_alternative<core::Submission>(
      parse_submission(body("https://agents.example.com/cb"), policy, testing::tuesday_noon())));
  EXPECT_TRUE(std::holds_alternative<ValidationError>(
      parse_submission(body("http://127.0.0.1:9/cb"), policy, testing::tuesday_noon())));
  policy.desk.callbacks_allow_loopback = true;
  EXPECT_TRUE(std::holds_alternative<core::Submission>(
      parse_submission(body("http://127.0.0.1:9/cb"), policy, testing::tuesday_noon())));
}

TEST(CallbackSigning, EachAgentHasItsOwnKeyAndTheUrlIsSigned) {
  const std::string secret = "desk-callback-secret-0123456789";
  const std::string ads = agent_callback_key(secret, storage::sha256_hex("ads-agent-token-0123456789"));
  const std::string social = agent_callback_key(secret, storage::sha256_hex("social-agent-token-0123456789"));
  EXPECT_EQ(ads.size(), 64u);
  EXPECT_NE(ads, social);
  EXPECT_NE(ads, agent_callback_key("another-secret", storage::sha256_hex("ads-agent-token-0123456789")));
  const std::string url = "https://agents.example.com/desk-callback";
  const std::string body = R"({"escalation_id":"ESC-000001"})";
  const std::string signature = callback_signature(ads, "1764493500", url, body);
  EXPECT_EQ(signature, "v2=" + storage::hmac_sha256_hex(ads, "1764493500." + url + "." + body));
  EXPECT_TRUE(verify_callback_signature(ads, "1764493500", url, body, signature));
  EXPECT_FALSE(verify_callback_signature(social, "1764493500", url, body, signature)) << "no agent signs for another";
  EXPECT_FALSE(verify_callback_signature(ads, "1764493501", url, body, signature));
  EXPECT_FALSE(verify_callback_signature(ads, "1764493500", url + "2", body, signature)) << "bound to the URL";
  EXPECT_FALSE(verify_callback_signature(ads, "1764493500", url, body + " ", signature));
  EXPECT_FALSE(verify_callback_signature(ads, "1764493500", url, body, signature.substr(3)));
  EXPECT_FALSE(verify_callback_signature(ads, "1764493500", url, body, ""));
  EXPECT_FALSE(verify_callback_signature("", "1764493500", url, body, callback_signature("", "1764493500", url, body)));
  // Two secrets during a rotation: either key verifies the one header.
  const std::string header = callback_signature_header({ads, social}, "1764493500", url, body);
  EXPECT_TRUE(verify_callback_signature(ads, "1764493500", url, body, header));
  EXPECT_TRUE(verify_callback_signature(social, "1764493500", url, body, header));
  EXPECT_FALSE(verify_callback_signature(agent_callback_key(secret, "x"), "1764493500", url, body, header));
}

}  // namespace
}  // namespace desk::handlers
