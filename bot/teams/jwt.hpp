#pragma once
/// JSON Web Tokens as the Bot Connector signs them: a compact JWS (RFC 7515 §7.1) split and decoded
/// strictly, and its RSASSA-PKCS1-v1_5 signature (RS256, RS384, RS512; RFC 7518 §3.3) checked with an
/// RSA JSON Web Key (RFC 7517 §4, RFC 7518 §6.3.1). Pure functions: no I/O, no clock. Nothing here
/// puts a token or a key into an error: causes are short fixed phrases a log may carry.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace desk::bot::teams {

/// A compact JWS, decoded. Its claims are only to be believed once its signature is verified.
struct Jws {
  nlohmann::json header;      ///< the protected header (an object)
  nlohmann::json payload;     ///< the claims (an object)
  std::string signing_input;  ///< "<header b64url>.<payload b64url>": the bytes that were signed
  std::string signature;      ///< raw signature bytes
  std::string alg;            ///< header "alg"
  std::string kid;            ///< header "kid"; empty when absent
};

/// A JWS, or why the text is not one.
struct JwsParse {
  std::optional<Jws> jws;
  std::string problem;  ///< empty when `jws` is set
};

/// Splits `compact` into its three base64url parts and decodes them: exactly two dots, strict
/// base64url (no padding, no stray bits), header and payload JSON objects, "alg" a string, "kid" a
/// string when present, no "crit" (no extension is understood here, so RFC 7515 §4.1.11 says refuse),
/// and a non-empty signature. Tokens longer than 16 KB are refused before any decoding.
JwsParse parse_jws(std::string_view compact);

/// One key of a JSON Web Key Set. Bot Framework keys carry an extra "endorsements" array: the
/// channels (e.g. "msteams") the key may sign for.
struct Jwk {
  std::string kid;
  std::string kty;  ///< "RSA" for every key this verifier can use
  std::string alg;  ///< empty when the key does not name one
  std::string use;  ///< empty when the key does not say
  std::string n;    ///< RSA modulus, base64url
  std::string e;    ///< RSA public exponent, base64url
  std::vector<std::string> endorsements;
};

/// A JSON Web Key Set: the keys of `{"keys":[…]}`.
struct JwkSet {
  std::vector<Jwk> keys;
  /// The key named `kid`, or null.
  const Jwk* find(std::string_view kid) const;
};

/// Reads `{"keys":[…]}`. Keys without a string "kid" or "kty" are left out (a set may hold key types
/// this verifier does not use); returns nullopt when the document is not a key set at all.
std::optional<JwkSet> parse_jwk_set(const nlohmann::json& document);

/// Empty when `jws` carries a valid RS256/RS384/RS512 signature by `key`; otherwise why not ("algorithm
/// not allowed" for none, HS*, ES* and anything unknown; "key is not an RSA key"; "key is for another
/// algorithm"; "key is not for signatures"; "key is malformed"; "RSA key shorter than 2048 bits";
/// "signature does not verify"). Never reads a key's kid: choosing the key is the caller's part.
std::string jws_signature_problem(const Jws& jws, const Jwk& key);

}  // namespace desk::bot::teams
