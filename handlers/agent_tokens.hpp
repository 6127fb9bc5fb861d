#pragma once
/// The bearer tokens agents (and admins) present, kept only as digests.
///
/// What the store keeps of a token — the idempotency scope of every submission made with it, which is
/// also who may read that submission — is keyed: HMAC-SHA256 under a key derived from DESK_AUDIT_KEY.
/// Someone holding the database file alone then cannot test a guessed token against it, nor tell
/// which rows came from which token of a list they know. Without a key (the sandbox's scratch
/// database, tests) the scope is the token's plain SHA-256.
///
/// An agent's callback key stays derived from the token's plain SHA-256 (handlers/callback_signing),
/// so keying the store changes no agent's key; the plain digest is known here for configured tokens
/// only, which is why a callback for a token since removed from the config cannot be signed.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace desk::handlers {

/// The key scopes are computed under, derived from the audit key (so that no second secret has to be
/// kept and the two can never disagree); empty for an empty audit key.
std::string token_scope_key(std::string_view audit_key);

/// The scope of `token` under `scope_key`: hex HMAC-SHA256, or plain SHA-256 when the key is empty.
std::string token_scope(std::string_view scope_key, std::string_view token);

class AgentTokens {
 public:
  /// `scope_key` from token_scope_key(); empty tokens are ignored.
  AgentTokens(std::string_view scope_key, const std::vector<std::string>& tokens,
              const std::vector<std::string>& admin_tokens = {});

  /// The scope of `token` when it is accepted (an agent's or an admin's), else nullopt. Every
  /// configured digest is compared in full, so which one matched does not show in the time taken.
  std::optional<std::string> scope_of(std::string_view token) const;
  bool is_admin(const std::string& scope) const;
  bool empty() const { return entries_.empty(); }

  /// The plain SHA-256 digest of the configured token whose scope is `scope`: what its callback key
  /// derives from. nullopt for a scope of no configured token.
  std::optional<std::string> plain_digest(const std::string& scope) const;

  /// (plain SHA-256, keyed scope) of each configured token whose two differ: the rewrites that bring
  /// a store written before keying up to date. Empty without a key.
  std::vector<std::pair<std::string, std::string>> unkeyed_scopes() const;

 private:
  struct Entry {
    std::string scope;
    std::string plain;
    bool admin = false;
  };
  std::string scope_key_;
  std::vector<Entry> entries_;
};

}  // namespace desk::handlers
