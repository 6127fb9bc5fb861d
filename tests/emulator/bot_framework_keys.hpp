#pragma once
/// The signing side of Bot Framework authentication, as the Bot Connector does it (reference/teams.md
/// §9.1): RSA keys published as a JWKS with `endorsements`, and JWTs signed with them. Written on
/// OpenSSL 3 alone, apart from the desk's verifier, so that the two can disagree.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace desk::emulator {

/// RFC 4648 §5 base64url without padding: JWT segments, JWK `n` and `e`, `x5t`.
std::string base64url(std::string_view bytes);

/// One 2048-bit RSA key with what the JWKS says about it. Copies share the key.
class SigningKey {
 public:
  /// Generates a fresh key. Throws std::runtime_error when OpenSSL fails.
  explicit SigningKey(std::vector<std::string> endorsements);

  /// The SHA-1 thumbprint of the public key (DER), base64url: unique per key, also served as `x5t`.
  const std::string& kid() const { return kid_; }
  const std::vector<std::string>& endorsements() const { return endorsements_; }
  /// {"kty":"RSA","use":"sig","kid","x5t","n","e","endorsements"}, as the JWKS lists it.
  nlohmann::json jwk() const;
  /// The public key as SubjectPublicKeyInfo PEM (what the HS256 confusion attack keys its HMAC with).
  std::string public_key_pem() const;
  /// The RSASSA-PKCS1-v1_5 signature of `data` for `alg` RS256, RS384 or RS512.
  std::string sign(std::string_view alg, std::string_view data) const;

 private:
  std::shared_ptr<evp_pkey_st> key_;
  std::string kid_;
  std::vector<std::string> endorsements_;
};

/// What is wrong with a token, so hostile tests read as what they try.
enum class TokenVariant {
  valid,                      ///< RS256 by the current key; every check passes
  rs384,                      ///< valid, signed RS384
  rs512,                      ///< valid, signed RS512
  forged,                     ///< names the current key's kid, signed by a key the JWKS does not hold
  unknown_kid,                ///< signed by a key the JWKS does not hold, under that key's own kid
  expired,                    ///< exp an hour ago (well past the 5 minutes of skew)
  expired_within_skew,        ///< exp 2 minutes ago: still accepted with 5 minutes of skew
  not_yet_valid,              ///< nbf an hour ahead
  not_yet_valid_within_skew,  ///< nbf 2 minutes ahead: still accepted
  wrong_audience,             ///< aud is another app's id
  wrong_issuer,               ///< iss is an Entra ID issuer, not https://api.botframework.com
  unendorsed,                 ///< signed by a published key whose endorsements lack "msteams"
  service_url_mismatch,       ///< the serviceurl claim differs from the activity's serviceUrl
  alg_none,                   ///< alg "none", no signature
  hs256_public_key,           ///< alg HS256, an HMAC keyed with the current key's public PEM
  malformed,                  ///< three segments that are not a JWT (the payload is not JSON)
  absent,                     ///< no Authorization header at all (the token is empty)
};

/// The keys a token can be signed with.
struct TokenKeys {
  const SigningKey& current;      ///< published, endorsed for msteams
  const SigningKey& unendorsed;   ///< published, endorsements without msteams
  const SigningKey& unpublished;  ///< never in the JWKS
};

inline constexpr const char* kBotFrameworkIssuer = "https://api.botframework.com";

/// A Bot Connector token for an activity posted to the bot `app_id`: iss, aud, exp, nbf, iat and
/// serviceurl (lower case, as the connector writes it) = `service_url`, changed as `variant` says.
std::string bot_framework_token(const TokenKeys& keys, const std::string& app_id, const std::string& service_url,
                                TokenVariant variant, std::chrono::system_clock::time_point now);

/// A valid RS256 token signed by `key` (e.g. a key rotated out, or one added with other endorsements).
std::string bot_framework_token_signed_by(const SigningKey& key, const std::string& app_id,
                                          const std::string& service_url, std::chrono::system_clock::time_point now);

}  // namespace desk::emulator
