// The Bot Framework's inbound authentication, without a network: compact JWS parsing (good, malformed
// pieces, bad base64url), RS256/384/512 verification with RSA keys the test makes, the algorithms and
// keys that must be refused, every claim check of BotFrameworkAuth against a scripted key source (with
// the right status and cause), and the key cache's schedule on a fake clock. The HTTPS side (metadata
// and key set fetched with GET) is in teams_connector_test.cpp.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "bot/teams/bot_framework_auth.hpp"
#include "bot/teams/jwt.hpp"
#include "bot/teams/openid_key_source.hpp"
#include "core/base64.hpp"

namespace desk::bot::teams::bot_framework_test {

namespace net = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kAppId = "5f1c2a7e-9d7b-4a53-8a3e-2f6f0c4d9b10";
constexpr const char* kServiceUrl = "https://smba.trafficmanager.net/emea/";
const core::TimePoint kNow = core::TimePoint{} + std::chrono::hours{24 * 20000};

/// An RSA key pair made for the test, able to sign compact JWS and to describe itself as a JWK.
class SigningKey {
 public:
  explicit SigningKey(unsigned bits = 2048) : key_(EVP_RSA_gen(bits), EVP_PKEY_free) {
    if (!key_) throw std::runtime_error("RSA key generation failed");
  }

  Jwk jwk(const std::string& kid, std::vector<std::string> endorsements = {"msteams"}) const {
    Jwk k;
    k.kid = kid;
    k.kty = "RSA";
    k.use = "sig";
    k.n = core::base64url_encode(bytes_of(OSSL_PKEY_PARAM_RSA_N));
    k.e = core::base64url_encode(bytes_of(OSSL_PKEY_PARAM_RSA_E));
    k.endorsements = std::move(endorsements);
    return k;
  }

  /// "<header>.<payload>.<signature>", signed with SHA-256/384/512 as `header["alg"]` says (RS256 when it
  /// names something else, so the tests can lie about the algorithm).
  std::string sign(const json& header, const json& payload) const {
    const std::string input = core::base64url_encode(header.dump()) + "." + core::base64url_encode(payload.dump());
    const std::string alg = header.value("alg", "");
    const EVP_MD* md = alg == "RS384" ? EVP_sha384() : alg == "RS512" ? EVP_sha512() : EVP_sha256();
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t length = 0;
    EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get());
    EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    std::string signature(length, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    signature.resize(length);
    return input + "." + core::base64url_encode(signature);
  }

 private:
  std::string bytes_of(const char* param) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), param, &bn);
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
  }

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
};

/// The Bot Framework's key (kid "bf-1") and a forger's; generated once per test process.
const SigningKey& bot_framework_key() {
  static const SigningKey key;
  return key;
}
const SigningKey& forger_key() {
  static const SigningKey key;
  return key;
}

json header(const std::string& alg = "RS256", const std::string& kid = "bf-1") {
  return {{"alg", alg}, {"kid", kid}, {"typ", "JWT"}, {"x5t", kid}};
}

/// The claims a Bot Connector token carries for an activity sent to this bot now.
json claims() {
  const auto now = kNow.time_since_epoch().count();
  return {{"serviceurl", kServiceUrl},  {"nbf", now - 60}, {"exp", now + 3600},
          {"iss", kBotFrameworkIssuer}, {"aud", kAppId},   {"iat", now - 60}};
}

ActivityIdentity teams_activity() { return {"msteams", kServiceUrl}; }

JwkSet key_set(std::vector<std::string> endorsements = {"msteams"}) {
  return JwkSet{
      {bot_framework_key().jwk("bf-0", {"msteams"}), bot_framework_key().jwk("bf-1", std::move(endorsements))}};
}

std::string bearer(const std::string& token) { return "Bearer " + token; }

/// A key source that answers from a script (the last answer repeats) and records what it was asked.
class ScriptedKeySource final : public KeySource {
 public:
  explicit ScriptedKeySource(std::vector<JwkSet> answers) {
    for (auto& set : answers) answers_.push_back(std::make_shared<const JwkSet>(std::move(set)));
  }
  net::awaitable<std::shared_ptr<const JwkSet>> key_set(bool kid_unknown) override {
    asked.push_back(kid_unknown);
    if (unavailable) throw KeySourceError("the metadata answered HTTP 503");
    co_return answers_.at(std::min(asked.size(), answers_.size()) - 1);
  }
  std::vector<bool> asked;
  bool unavailable = false;

 private:
  std::vector<std::shared_ptr<const JwkSet>> answers_;
};

template <typename T>
T run_to_end(net::awaitable<T> task) {
  net::io_context io;
  auto result = net::co_spawn(io, std::move(task), net::use_future);
  io.run();
  return result.get();
}

/// The verdict BotFrameworkAuth gives `authorization` with a source that always has `keys`.
AuthVerdict verdict_for(const std::string& authorization, JwkSet keys = key_set(),
                        ActivityIdentity activity = teams_activity()) {
  ScriptedKeySource source({std::move(keys)});
  core::FakeClock clock(kNow);
  BotFrameworkAuth auth(source, clock, kAppId);
  return run_to_end(auth.verify(authorization, std::move(activity)));
}

AuthVerdict verdict_for_claims(const json& token_claims, JwkSet keys = key_set()) {
  return verdict_for(bearer(bot_framework_key().sign(header(), token_claims)), std::move(keys));
}

// ---- compact JWS parsing -------------------------------------------------------------------------

TEST(Jws, ParsesTheThreePartsOfACompactToken) {
  const std::string token = bot_framework_key().sign(header("RS384", "bf-1"), claims());
  const auto parsed = parse_jws(token);
  ASSERT_TRUE(parsed.jws) << parsed.problem;
  EXPECT_EQ(parsed.jws->alg, "RS384");
  EXPECT_EQ(parsed.jws->kid, "bf-1");
  EXPECT_EQ(parsed.jws->payload["aud"], kAppId);
  EXPECT_EQ(parsed.jws->header["typ"], "JWT");
  EXPECT_EQ(parsed.jws->signing_input, token.substr(0, token.rfind('.')));
  EXPECT_EQ(parsed.jws->signature.size(), 256u);  // a 2048-bit modulus
}

struct MalformedToken {
  std::string token;
  std::string problem;
};

TEST(Jws, RefusesEachMalformedPieceWithItsCause) {
  const std::string h = core::base64url_encode(R"({"alg":"RS256","kid":"bf-1"})");
  const std::string p = core::base64url_encode(R"({"aud":"x"})");
  const std::string s = core::base64url_encode("signature");
  const std::vector<MalformedToken> cases = {
      {"", "token is empty"},
      {h + "." + p, "token is not a compact JWS"},
      {h + "." + p + "." + s + "." + s, "token is not a compact JWS"},
      {h + "==." + p + "." + s, "token header is not base64url JSON"},                 // padding
      {"eyJhbGciOiJSUzI1NiJ9+." + p + "." + s, "token header is not base64url JSON"},  // '+' is not base64url
      {core::base64url_encode("not json") + "." + p + "." + s, "token header is not base64url JSON"},
      {core::base64url_encode("[1]") + "." + p + "." + s, "token header is not base64url JSON"},
      {h + "." + core::base64url_encode("\"aud\"") + "." + s, "token payload is not base64url JSON"},
      {h + "." + p + "Q." + s, "token payload is not base64url JSON"},  // stray bits
      {h + "." + p + ".c2ln$", "token signature is not base64url"},
      {h + "." + p + ".", "token is unsigned"},
      {core::base64url_encode(R"({"kid":"bf-1"})") + "." + p + "." + s, "token header has no alg"},
      {core::base64url_encode(R"({"alg":256})") + "." + p + "." + s, "token header has no alg"},
      {core::base64url_encode(R"({"alg":"RS256","kid":7})") + "." + p + "." + s, "token kid is not a string"},
      {core::base64url_encode(R"({"alg":"RS256","crit":["exp"]})") + "." + p + "." + s,
       "token names critical extensions"},
      {h + "." + core::base64url_encode(std::string(17000, 'a')) + "." + s, "token is too long"},
  };
  for (const auto& c : cases) {
    const auto parsed = parse_jws(c.token);
    EXPECT_FALSE(parsed.jws) << c.token;
    EXPECT_EQ(parsed.problem, c.problem) << c.token;
  }
}

// ---- signatures ----------------------------------------------------------------------------------

TEST(JwsSignature, VerifiesRs256Rs384AndRs512AndRefusesATamperedPayload) {
  const Jwk key = bot_framework_key().jwk("bf-1");
  for (const std::string alg : {"RS256", "RS384", "RS512"}) {
    const std::string token = bot_framework_key().sign(header(alg), claims());
    EXPECT_EQ(jws_signature_problem(*parse_jws(token).jws, key), "") << alg;

    // Another audience put in place of the signed one, the signature kept.
    auto other = claims();
    other["aud"] = "someone-else";
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const std::string tampered =
        token.substr(0, first + 1) + core::base64url_encode(other.dump()) + token.substr(second);
    EXPECT_EQ(jws_signature_problem(*parse_jws(tampered).jws, key), "signature does not verify") << alg;
  }
  const std::string forged = forger_key().sign(header(), claims());
  EXPECT_EQ(jws_signature_problem(*parse_jws(forged).jws, key), "signature does not verify");
}

TEST(JwsSignature, RefusesAlgNoneHmacAndEveryAlgorithmNotOnTheList) {
  const Jwk key = bot_framework_key().jwk("bf-1");
  const std::string payload = core::base64url_encode(claims().dump());
  // alg "none" with any signature at all.
  const std::string none = core::base64url_encode(R"({"alg":"none","kid":"bf-1"})") + "." + payload + ".AA";
  EXPECT_EQ(jws_signature_problem(*parse_jws(none).jws, key), "algorithm not allowed");
  // HS256 keyed with the public modulus: the classic confusion of a public key for a shared secret.
  const std::string input = core::base64url_encode(R"({"alg":"HS256","kid":"bf-1"})") + "." + payload;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned mac_length = 0;
  HMAC(EVP_sha256(), key.n.data(), static_cast<int>(key.n.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &mac_length);
  const std::string hs256 = input + "." + core::base64url_encode(std::string(reinterpret_cast<char*>(mac), mac_length));
  EXPECT_EQ(jws_signature_problem(*parse_jws(hs256).jws, key), "algorithm not allowed");
  for (const std::string alg : {"HS512", "ES256", "PS256", "rs256", "RS1024", ""}) {
    const std::string token = bot_framework_key().sign(header(alg), claims());  // signed RS256, labelled otherwise
    EXPECT_EQ(jws_signature_problem(*parse_jws(token).jws, key), "algorithm not allowed") << alg;
  }
}

/// What jws_signature_problem says of `jws` with the Bot Framework's key changed by `change`.
std::string problem_with_key(const Jws& jws, const std::function<void(Jwk&)>& change) {
  auto key = bot_framework_key().jwk("bf-1");
  change(key);
  return jws_signature_problem(jws, key);
}

TEST(JwsSignature, RefusesKeysThatCannotVouchForTheToken) {
  const auto jws = *parse_jws(bot_framework_key().sign(header("RS256"), claims())).jws;
  EXPECT_EQ(problem_with_key(jws, [](Jwk& k) { k.kty = "EC"; }), "key is not an RSA key");
  EXPECT_EQ(problem_with_key(jws, [](Jwk& k) { k.alg = "RS512"; }), "key is for another algorithm");
  EXPECT_EQ(problem_with_key(jws, [](Jwk& k) { k.use = "enc"; }), "key is not for signatures");
  EXPECT_EQ(problem_with_key(jws, [](Jwk& k) { k.n = "not+base64url"; }), "key is malformed");
  EXPECT_EQ(problem_with_key(jws, [](Jwk& k) { k.e = ""; }), "key is malformed");
  EXPECT_EQ(problem_with_key(jws, [](Jwk&) {}), "");
  const SigningKey small(1024);
  const auto small_jws = *parse_jws(small.sign(header("RS256"), claims())).jws;
  EXPECT_EQ(jws_signature_problem(small_jws, small.jwk("bf-1")), "RSA key shorter than 2048 bits");
}

TEST(JwkSet, ReadsKeysWithTheirEndorsementsAndSkipsUnnamedOnes) {
  const json document = {{"keys",
                          {{{"kty", "RSA"},
                            {"use", "sig"},
                            {"kid", "a"},
                            {"n", "AQAB"},
                            {"e", "AQAB"},
                            {"endorsements", {"msteams", "skype", 7}}},
                           {{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}},  // no kid
                           "not a key",
                           {{"kty", "EC"}, {"kid", "b"}, {"crv", "P-256"}}}}};
  const auto set = parse_jwk_set(document);
  ASSERT_TRUE(set);
  ASSERT_EQ(set->keys.size(), 2u);
  ASSERT_NE(set->find("a"), nullptr);
  EXPECT_EQ(set->find("a")->endorsements, (std::vector<std::string>{"msteams", "skype"}));
  EXPECT_EQ(set->find("b")->kty, "EC");
  EXPECT_EQ(set->find("c"), nullptr);
  EXPECT_FALSE(parse_jwk_set(json::array()));
  EXPECT_FALSE(parse_jwk_set({{"keys", "none"}}));
}

// ---- BotFrameworkAuth ----------------------------------------------------------------------------

TEST(BotFrameworkAuth, AcceptsAValidBotConnectorToken) {
  EXPECT_TRUE(verdict_for_claims(claims()).accepted()) << verdict_for_claims(claims()).cause;
  const std::string rs512 = bot_framework_key().sign(header("RS512"), claims());
  EXPECT_TRUE(verdict_for(bearer(rs512)).accepted());
  EXPECT_TRUE(verdict_for("bearer  " + rs512).accepted()) << "the scheme is case-insensitive";
  auto listed = claims();
  listed["aud"] = json::array({"other-app", kAppId});
  EXPECT_TRUE(verdict_for_claims(listed).accepted());
}

struct Refusal {
  std::string name;
  json token_claims;
  unsigned status;
  std::string cause;
};

TEST(BotFrameworkAuth, RefusesEachBrokenClaimWithItsStatusAndCause) {
  const auto now = kNow.time_since_epoch().count();
  auto with = [](const char* name, json value) {
    auto c = claims();
    c[name] = std::move(value);
    return c;
  };
  auto without = [](const char* name) {
    auto c = claims();
    c.erase(name);
    return c;
  };
  const std::vector<Refusal> cases = {
      {"expired beyond the skew", with("exp", now - 301), 401, "token expired"},
      {"expired at the skew", with("exp", now - 300), 401, "token expired"},
      {"not yet valid", with("nbf", now + 301), 401, "token not yet valid"},
      {"no expiry", without("exp"), 401, "token has no expiry"},
      {"nbf not a date", with("nbf", "soon"), 401, "token nbf is not a date"},
      {"wrong audience", with("aud", "another-bot"), 401, "wrong audience"},
      {"no audience", without("aud"), 401, "wrong audience"},
      {"wrong issuer", with("iss", "https://sts.windows.net/72f988bf/"), 401, "wrong issuer"},
      {"issuer spelled differently", with("iss", "https://api.botframework.com/"), 401, "wrong issuer"},
      {"another service URL", with("serviceurl", "https://smba.trafficmanager.net/amer/"), 401,
       "serviceurl does not match the activity"},
      {"plain http service URL", with("serviceurl", "http://smba.trafficmanager.net/emea/"), 401,
       "serviceurl does not match the activity"},
      {"no service URL", without("serviceurl"), 401, "token has no serviceurl"},
  };
  for (const auto& c : cases) {
    const std::string token = bot_framework_key().sign(header(), c.token_claims);
    const auto verdict = verdict_for(bearer(token));
    EXPECT_EQ(verdict.status, c.status) << c.name;
    EXPECT_EQ(verdict.cause, c.cause) << c.name;
    EXPECT_EQ(verdict.cause.find(token.substr(0, 20)), std::string::npos) << "the cause never holds the token";
  }
}

TEST(BotFrameworkAuth, ToleratesFiveMinutesOfClockSkewEitherWay) {
  const auto now = kNow.time_since_epoch().count();
  auto skewed = claims();
  skewed["exp"] = now - 299;
  EXPECT_TRUE(verdict_for_claims(skewed).accepted());
  skewed = claims();
  skewed["nbf"] = now + 299;
  EXPECT_TRUE(verdict_for_claims(skewed).accepted());
}

TEST(BotFrameworkAuth, RefusesAForgedSignatureUnderTheRightKid) {
  const auto verdict = verdict_for(bearer(forger_key().sign(header("RS256", "bf-1"), claims())));
  EXPECT_EQ(verdict.status, 401u);
  EXPECT_EQ(verdict.cause, "signature does not verify");
}

TEST(BotFrameworkAuth, RefusesAKeyNotEndorsedForTheChannelWith403) {
  auto verdict = verdict_for_claims(claims(), key_set({"skype", "webchat"}));
  EXPECT_EQ(verdict.status, 403u);
  EXPECT_EQ(verdict.cause, "key not endorsed for the channel");
  verdict = verdict_for_claims(claims(), key_set({}));
  EXPECT_EQ(verdict.status, 403u);
  // An activity from another channel, with the Teams-endorsed key.
  verdict = verdict_for(bearer(bot_framework_key().sign(header(), claims())), key_set(), {"webchat", kServiceUrl});
  EXPECT_EQ(verdict.status, 403u);
  verdict = verdict_for(bearer(bot_framework_key().sign(header(), claims())), key_set(), {"", kServiceUrl});
  EXPECT_EQ(verdict.status, 401u);
  EXPECT_EQ(verdict.cause, "activity has no channelId");
}

TEST(BotFrameworkAuth, MatchesTheServiceUrlIgnoringCaseOfHostAndATrailingSlash) {
  const std::string token = bot_framework_key().sign(header(), claims());
  for (const std::string url : {"https://smba.trafficmanager.net/emea", "HTTPS://SMBA.TrafficManager.net/emea/",
                                "https://smba.trafficmanager.net:443/emea/"})
    EXPECT_TRUE(verdict_for(bearer(token), key_set(), {"msteams", url}).accepted()) << url;
  for (const std::string url : {"https://smba.trafficmanager.net/EMEA/", "https://smba.trafficmanager.net/emea/x",
                                "https://smba.trafficmanager.net:8443/emea/", "https://evil.example/emea/", ""})
    EXPECT_EQ(verdict_for(bearer(token), key_set(), {"msteams", url}).cause, "serviceurl does not match the activity")
        << url;
}

TEST(BotFrameworkAuth, RefusesAMissingOrMalformedHeaderWithoutFetchingKeys) {
  const std::string rs256 = bot_framework_key().sign(header(), claims());
  const std::string payload = core::base64url_encode(claims().dump());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "no Authorization header"},
      {"Basic dXNlcjpwYXNz", "Authorization is not a bearer token"},
      {rs256, "Authorization is not a bearer token"},
      {"Bearer not-a-token", "token is not a compact JWS"},
      {"Bearer " + core::base64url_encode(R"({"alg":"none","kid":"bf-1"})") + "." + payload + ".AA",
       "algorithm not allowed"},
      {"Bearer " + bot_framework_key().sign(header("HS256"), claims()), "algorithm not allowed"},
      {"Bearer " + bot_framework_key().sign({{"alg", "RS256"}}, claims()), "token names no key"},
  };
  for (const auto& [authorization, cause] : cases) {
    ScriptedKeySource source({key_set()});
    core::FakeClock clock(kNow);
    BotFrameworkAuth auth(source, clock, kAppId);
    const auto verdict = run_to_end(auth.verify(authorization, teams_activity()));
    EXPECT_EQ(verdict.status, 401u) << authorization;
    EXPECT_EQ(verdict.cause, cause) << authorization;
    EXPECT_TRUE(source.asked.empty()) << "no key fetched for " << cause;
  }
}

TEST(BotFrameworkAuth, AsksOnceMoreForAnUnknownKidThenRefuses) {
  const std::string token = bearer(bot_framework_key().sign(header("RS256", "bf-new"), claims()));
  core::FakeClock clock(kNow);
  ScriptedKeySource stale({key_set()});
  BotFrameworkAuth auth(stale, clock, kAppId);
  const auto refused = run_to_end(auth.verify(token, teams_activity()));
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(refused.cause, "token signed by an unknown key");
  EXPECT_EQ(stale.asked, (std::vector<bool>{false, true}));

  // The second answer (a rotated key set) has it.
  auto rotated = key_set();
  rotated.keys.push_back(bot_framework_key().jwk("bf-new"));
  ScriptedKeySource rotating({key_set(), rotated});
  BotFrameworkAuth auth2(rotating, clock, kAppId);
  EXPECT_TRUE(run_to_end(auth2.verify(token, teams_activity())).accepted());
  EXPECT_EQ(rotating.asked, (std::vector<bool>{false, true}));
}

TEST(BotFrameworkAuth, AnswersServiceUnavailableWhenNoKeysCanBeHad) {
  ScriptedKeySource source({key_set()});
  source.unavailable = true;
  core::FakeClock clock(kNow);
  BotFrameworkAuth auth(source, clock, kAppId);
  const auto verdict = run_to_end(auth.verify(bearer(bot_framework_key().sign(header(), claims())), teams_activity()));
  EXPECT_EQ(verdict.status, 503u);
  EXPECT_EQ(verdict.cause, "signing keys unavailable");
  EXPECT_THROW(BotFrameworkAuth(source, clock, ""), std::invalid_argument);
}

TEST(BotFrameworkAuth, ReadsTheActivitysChannelAndServiceUrl) {
  const auto identity = activity_identity(
      {{"type", "message"}, {"channelId", "msteams"}, {"serviceUrl", kServiceUrl}, {"from", {{"id", "29:1"}}}});
  EXPECT_EQ(identity.channel_id, "msteams");
  EXPECT_EQ(identity.service_url, kServiceUrl);
  EXPECT_EQ(activity_identity({{"channelId", 7}}).channel_id, "");
  EXPECT_EQ(activity_identity(json::array()).service_url, "");
}

// ---- CachedKeySource -----------------------------------------------------------------------------

/// Counts fetches; can fail, or take a while (so callers overlap).
class CountingFetcher final : public KeySetFetcher {
 public:
  net::awaitable<JwkSet> fetch() override {
    ++calls;
    if (delay.count() > 0) {
      net::steady_timer timer(co_await net::this_coro::executor, delay);
      co_await timer.async_wait(net::use_awaitable);
    }
    if (fail) throw KeySourceError("the key set answered HTTP 500");
    co_return key_set();
  }
  int calls = 0;
  bool fail = false;
  std::chrono::milliseconds delay{0};
};

struct KeyCacheBed {
  net::io_context io;
  core::FakeClock clock{kNow};
  CountingFetcher fetcher;
  CachedKeySource source{io.get_executor(), fetcher, clock};

  std::shared_ptr<const JwkSet> keys(bool kid_unknown = false) {
    auto result = net::co_spawn(io, source.key_set(kid_unknown), net::use_future);
    io.restart();
    io.run();
    return result.get();
  }
};

TEST(CachedKeySource, FetchesOnceForManyCallersAndAgainAfterADay) {
  KeyCacheBed bed;
  const auto first = bed.keys();
  ASSERT_NE(first->find("bf-1"), nullptr);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(bed.keys(), first);
  EXPECT_EQ(bed.fetcher.calls, 1);
  bed.clock.advance(std::chrono::hours{23});
  bed.keys();
  EXPECT_EQ(bed.fetcher.calls, 1);
  bed.clock.advance(std::chrono::hours{1});
  EXPECT_NE(bed.keys(), first);
  EXPECT_EQ(bed.fetcher.calls, 2);
}

TEST(CachedKeySource, FetchesForAnUnknownKidAtMostOnceAMinute) {
  KeyCacheBed bed;
  bed.keys();
  bed.clock.advance(std::chrono::seconds{59});
  for (int i = 0; i < 5; ++i) bed.keys(true);
  EXPECT_EQ(bed.fetcher.calls, 1) << "forged kids must not make the desk hammer the login service";
  bed.clock.advance(std::chrono::seconds{1});
  bed.keys(true);
  EXPECT_EQ(bed.fetcher.calls, 2);
  bed.clock.advance(std::chrono::minutes{5});
  bed.keys(false);
  EXPECT_EQ(bed.fetcher.calls, 2) << "a known kid needs no fetch";
}

TEST(CachedKeySource, KeepsTheKeysItHasWhenAFetchFails) {
  KeyCacheBed bed;
  const auto first = bed.keys();
  bed.fetcher.fail = true;
  bed.clock.advance(std::chrono::hours{25});
  EXPECT_EQ(bed.keys(), first);
  EXPECT_EQ(bed.fetcher.calls, 2);
  bed.clock.advance(std::chrono::seconds{30});
  EXPECT_EQ(bed.keys(), first);
  EXPECT_EQ(bed.fetcher.calls, 2) << "a failed fetch is not retried within the minute";
}

TEST(CachedKeySource, WithNoKeysAFailedFetchIsAnErrorAndIsNotRetriedAtOnce) {
  KeyCacheBed bed;
  bed.fetcher.fail = true;
  EXPECT_THROW(bed.keys(), KeySourceError);
  EXPECT_THROW(bed.keys(), KeySourceError);
  EXPECT_EQ(bed.fetcher.calls, 1);
  bed.fetcher.fail = false;
  bed.clock.advance(std::chrono::seconds{60});
  EXPECT_NE(bed.keys(), nullptr);
  EXPECT_EQ(bed.fetcher.calls, 2);
}

TEST(CachedKeySource, CallersArrivingDuringAFetchShareIt) {
  KeyCacheBed bed;
  bed.fetcher.delay = 20ms;
  std::vector<std::future<std::shared_ptr<const JwkSet>>> results;
  for (int i = 0; i < 4; ++i) results.push_back(net::co_spawn(bed.io, bed.source.key_set(i % 2 == 1), net::use_future));
  bed.io.run();
  EXPECT_EQ(bed.fetcher.calls, 1);
  std::vector<std::shared_ptr<const JwkSet>> sets;
  for (auto& r : results) sets.push_back(r.get());
  for (const auto& set : sets) EXPECT_EQ(set, sets.front());
}

}  // namespace desk::bot::teams::bot_framework_test
