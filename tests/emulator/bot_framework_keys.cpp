#include "tests/emulator/bot_framework_keys.hpp"

#include <array>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace desk::emulator {
namespace {

using Json = nlohmann::json;
using std::chrono::system_clock;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("bot framework keys: ") + what + " failed");
}

std::string bignum_bytes(EVP_PKEY* key, const char* param) {
  BIGNUM* bn = nullptr;
  require(EVP_PKEY_get_bn_param(key, param, &bn) == 1, "reading an RSA parameter");
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

const EVP_MD* digest_for(std::string_view alg) {
  if (alg == "RS256") return EVP_sha256();
  if (alg == "RS384") return EVP_sha384();
  if (alg == "RS512") return EVP_sha512();
  throw std::invalid_argument("SigningKey::sign: unsupported alg " + std::string(alg));
}

std::string thumbprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int der_len = i2d_PUBKEY(key, &der);
  require(der_len > 0, "DER-encoding a public key");
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_len = 0;
  const int ok = EVP_Digest(der, static_cast<std::size_t>(der_len), digest.data(), &digest_len, EVP_sha1(), nullptr);
  OPENSSL_free(der);
  require(ok == 1, "hashing a public key");
  return base64url(std::string_view(reinterpret_cast<const char*>(digest.data()), digest_len));
}

std::string segment(const Json& part) { return base64url(part.dump()); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  std::size_t mac_len = 0;
  require(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                    reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), mac.size(),
                    &mac_len) != nullptr,
          "HMAC-SHA256");
  return std::string(reinterpret_cast<const char*>(mac.data()), mac_len);
}

long long epoch_seconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The claims of a good token; real ones are valid for an hour, with nbf five minutes before iat.
Json claims_for(const std::string& app_id, const std::string& service_url, system_clock::time_point now) {
  using std::chrono::minutes;
  return Json{{"iss", kBotFrameworkIssuer},
              {"aud", app_id},
              {"iat", epoch_seconds(now)},
              {"nbf", epoch_seconds(now - minutes(5))},
              {"exp", epoch_seconds(now + minutes(60))},
              {"serviceurl", service_url}};
}

std::string signed_token(const SigningKey& key, const std::string& kid, const std::string& alg, const Json& claims) {
  const Json header{{"alg", alg}, {"typ", "JWT"}, {"kid", kid}, {"x5t", kid}};
  const std::string input = segment(header) + "." + segment(claims);
  return input + "." + base64url(key.sign(alg, input));
}

}  // namespace

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto chunk = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(chunk >> shift) & 63];
  }
  const std::size_t rest = bytes.size() - i;  // 0, 1 or 2 bytes left: 0, 2 or 3 characters, no padding
  if (rest == 0) return out;
  unsigned chunk = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
  if (rest == 2) chunk |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  out += kAlphabet[(chunk >> 18) & 63];
  out += kAlphabet[(chunk >> 12) & 63];
  if (rest == 2) out += kAlphabet[(chunk >> 6) & 63];
  return out;
}

SigningKey::SigningKey(std::vector<std::string> endorsements) : endorsements_(std::move(endorsements)) {
  EVP_PKEY* raw = EVP_RSA_gen(2048);
  require(raw != nullptr, "RSA key generation");
  key_ = std::shared_ptr<evp_pkey_st>(raw, EVP_PKEY_free);
  kid_ = thumbprint(raw);
}

Json SigningKey::jwk() const {
  return Json{{"kty", "RSA"},
              {"use", "sig"},
              {"kid", kid_},
              {"x5t", kid_},
              {"n", base64url(bignum_bytes(key_.get(), OSSL_PKEY_PARAM_RSA_N))},
              {"e", base64url(bignum_bytes(key_.get(), OSSL_PKEY_PARAM_RSA_E))},
              {"endorsements", endorsements_}};
}

std::string SigningKey::public_key_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  require(bio && PEM_write_bio_PUBKEY(bio.get(), key_.get()) == 1, "PEM-encoding a public key");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string SigningKey::sign(std::string_view alg, std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  require(ctx && EVP_DigestSignInit(ctx.get(), nullptr, digest_for(alg), nullptr, key_.get()) == 1,
          "starting a signature");
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t len = 0;
  require(EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) == 1, "sizing a signature");
  std::string signature(len, '\0');
  require(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len, in, data.size()) == 1,
          "signing");
  signature.resize(len);
  return signature;
}

std::string bot_framework_token(const TokenKeys& keys, const std::string& app_id, const std::string& service_url,
                                TokenVariant variant, system_clock::time_point now) {
  using std::chrono::hours;
  using std::chrono::minutes;
  Json claims = claims_for(app_id, service_url, now);
  const std::string& kid = keys.current.kid();
  switch (variant) {
    case TokenVariant::valid:
      return signed_token(keys.current, kid, "RS256", claims);
    case TokenVariant::rs384:
      return signed_token(keys.current, kid, "RS384", claims);
    case TokenVariant::rs512:
      return signed_token(keys.current, kid, "RS512", claims);
    case TokenVariant::forged:
      return signed_token(keys.unpublished, kid, "RS256", claims);
    case TokenVariant::unknown_kid:
      return signed_token(keys.unpublished, keys.unpublished.kid(), "RS256", claims);
    case TokenVariant::unendorsed:
      return signed_token(keys.unendorsed, keys.unendorsed.kid(), "RS256", claims);
    case TokenVariant::expired:
      claims = claims_for(app_id, service_url, now - hours(2));  // iat 2 h ago, exp 1 h ago
      break;
    case TokenVariant::expired_within_skew:
      claims = claims_for(app_id, service_url, now - minutes(62));  // exp 2 min ago
      break;
    case TokenVariant::not_yet_valid:
      claims["nbf"] = epoch_seconds(now + hours(1));
      claims["exp"] = epoch_seconds(now + hours(2));
      break;
    case TokenVariant::not_yet_valid_within_skew:
      claims["nbf"] = epoch_seconds(now + minutes(2));
      break;
    case TokenVariant::wrong_audience:
      claims["aud"] = "a0b1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d";
      break;
    case TokenVariant::wrong_issuer:
      claims["iss"] = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/";
      break;
    case TokenVariant::service_url_mismatch:
      claims["serviceurl"] = "https://smba.trafficmanager.net/emea/";
      break;
    case TokenVariant::alg_none:
      return segment(Json{{"alg", "none"}, {"typ", "JWT"}, {"kid", kid}}) + "." + segment(claims) + ".";
    case TokenVariant::hs256_public_key: {
      // The classic confusion: a verifier that feeds its RSA public key to whatever alg the header names.
      const std::string input = segment(Json{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", kid}}) + "." + segment(claims);
      return input + "." + base64url(hmac_sha256(keys.current.public_key_pem(), input));
    }
    case TokenVariant::malformed:
      return segment(Json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid}}) + "." + base64url("{not json") + "." +
             base64url("not a signature");
    case TokenVariant::absent:
      return {};
  }
  return signed_token(keys.current, kid, "RS256", claims);
}

std::string bot_framework_token_signed_by(const SigningKey& key, const std::string& app_id,
                                          const std::string& service_url, system_clock::time_point now) {
  return signed_token(key, key.kid(), "RS256", claims_for(app_id, service_url, now));
}

}  // namespace desk::emulator
