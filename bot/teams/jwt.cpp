#include "bot/teams/jwt.hpp"

#include <memory>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "bot/teams/json_fields.hpp"
#include "core/base64.hpp"

namespace desk::bot::teams {
namespace {

using json = nlohmann::json;

// Real Bot Framework tokens are about 1.5 KB; anything far larger is not one and is not decoded.
constexpr std::size_t kMaxTokenBytes = 16 * 1024;
constexpr int kMinModulusBits = 2048;

// OpenSSL objects owned by unique_ptr, each freed by its own function.
template <typename T, void (*Free)(T*)>
struct Freed {
  void operator()(T* p) const { Free(p); }
};
using Bignum = std::unique_ptr<BIGNUM, Freed<BIGNUM, BN_free>>;
using Pkey = std::unique_ptr<EVP_PKEY, Freed<EVP_PKEY, EVP_PKEY_free>>;
using ParamBuilder = std::unique_ptr<OSSL_PARAM_BLD, Freed<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Freed<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyContext = std::unique_ptr<EVP_PKEY_CTX, Freed<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using DigestContext = std::unique_ptr<EVP_MD_CTX, Freed<EVP_MD_CTX, EVP_MD_CTX_free>>;

// A failed OpenSSL call leaves entries on this thread's error queue; clearing them keeps a refused
// token from surfacing later in an unrelated TLS error message.
struct ClearOpensslErrors {
  ~ClearOpensslErrors() { ERR_clear_error(); }
};

std::optional<json> decode_object(std::string_view part) {
  auto bytes = core::base64url_decode(part);
  if (!bytes) return std::nullopt;
  auto value = json::parse(*bytes, nullptr, false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

JwsParse refuse(std::string problem) { return {std::nullopt, std::move(problem)}; }

const EVP_MD* digest_for(const std::string& alg) {
  if (alg == "RS256") return EVP_sha256();
  if (alg == "RS384") return EVP_sha384();
  if (alg == "RS512") return EVP_sha512();
  return nullptr;  // none, HS*, ES*, PS* and anything unknown
}

Bignum bignum_of(const std::string& base64url) {
  auto bytes = core::base64url_decode(base64url);
  if (!bytes || bytes->empty()) return nullptr;
  return Bignum(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes->data()), static_cast<int>(bytes->size()), nullptr));
}

// The public key the JWK describes (OpenSSL 3: EVP_PKEY_fromdata), or null.
Pkey rsa_public_key(const Jwk& key) {
  const Bignum n = bignum_of(key.n);
  const Bignum e = bignum_of(key.e);
  if (!n || !e || BN_is_zero(e.get())) return nullptr;
  ParamBuilder build(OSSL_PARAM_BLD_new());
  if (!build || OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return nullptr;
  Params params(OSSL_PARAM_BLD_to_param(build.get()));
  PkeyContext ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  return Pkey(raw);
}

}  // namespace

JwsParse parse_jws(std::string_view compact) {
  if (compact.empty()) return refuse("token is empty");
  if (compact.size() > kMaxTokenBytes) return refuse("token is too long");
  const auto first = compact.find('.');
  const auto second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos)
    return refuse("token is not a compact JWS");
  Jws jws;
  auto header = decode_object(compact.substr(0, first));
  if (!header) return refuse("token header is not base64url JSON");
  auto payload = decode_object(compact.substr(first + 1, second - first - 1));
  if (!payload) return refuse("token payload is not base64url JSON");
  auto signature = core::base64url_decode(compact.substr(second + 1));
  if (!signature) return refuse("token signature is not base64url");
  if (signature->empty()) return refuse("token is unsigned");
  const auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return refuse("token header has no alg");
  const auto kid = header->find("kid");
  if (kid != header->end() && !kid->is_string()) return refuse("token kid is not a string");
  if (header->contains("crit")) return refuse("token names critical extensions");
  jws.alg = alg->get<std::string>();
  jws.kid = kid != header->end() ? kid->get<std::string>() : std::string();
  jws.header = std::move(*header);
  jws.payload = std::move(*payload);
  jws.signing_input = std::string(compact.substr(0, second));
  jws.signature = std::move(*signature);
  return {std::move(jws), {}};
}

const Jwk* JwkSet::find(std::string_view kid) const {
  for (const auto& key : keys)
    if (key.kid == kid) return &key;
  return nullptr;
}

std::optional<JwkSet> parse_jwk_set(const nlohmann::json& document) {
  if (!document.is_object()) return std::nullopt;
  const auto keys = document.find("keys");
  if (keys == document.end() || !keys->is_array()) return std::nullopt;
  JwkSet set;
  for (const auto& entry : *keys) {
    if (!entry.is_object()) continue;
    Jwk key;
    key.kid = string_field(entry, "kid");
    key.kty = string_field(entry, "kty");
    if (key.kid.empty() || key.kty.empty()) continue;
    key.alg = string_field(entry, "alg");
    key.use = string_field(entry, "use");
    key.n = string_field(entry, "n");
    key.e = string_field(entry, "e");
    if (const auto endorsements = entry.find("endorsements"); endorsements != entry.end() && endorsements->is_array()) {
      for (const auto& channel : *endorsements)
        if (channel.is_string()) key.endorsements.push_back(channel.get<std::string>());
    }
    set.keys.push_back(std::move(key));
  }
  return set;
}

std::string jws_signature_problem(const Jws& jws, const Jwk& key) {
  const EVP_MD* digest = digest_for(jws.alg);
  if (digest == nullptr) return "algorithm not allowed";
  if (key.kty != "RSA") return "key is not an RSA key";
  if (!key.alg.empty() && key.alg != jws.alg) return "key is for another algorithm";
  if (!key.use.empty() && key.use != "sig") return "key is not for signatures";
  ClearOpensslErrors clear;
  const Pkey pkey = rsa_public_key(key);
  if (!pkey) return "key is malformed";
  if (EVP_PKEY_get_bits(pkey.get()) < kMinModulusBits) return "RSA key shorter than 2048 bits";
  // PKCS #1 v1.5 signatures are exactly as long as the modulus (RFC 8017 §8.2.2 step 1).
  if (static_cast<int>(jws.signature.size()) != EVP_PKEY_get_size(pkey.get())) return "signature does not verify";
  DigestContext ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digest, nullptr, pkey.get()) != 1) return "key is malformed";
  const int verified =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(jws.signature.data()), jws.signature.size(),
                       reinterpret_cast<const unsigned char*>(jws.signing_input.data()), jws.signing_input.size());
  return verified == 1 ? std::string() : "signature does not verify";
}

}  // namespace desk::bot::teams
