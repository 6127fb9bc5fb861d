#include "handlers/agent_tokens.hpp"

#include "handlers/http_text.hpp"
#include "storage/digest.hpp"

namespace desk::handlers {

std::string token_scope_key(std::string_view audit_key) {
  if (audit_key.empty()) return {};
  // A label of its own: the audit chain's HMACs and the scopes never share an input space.
  return storage::hmac_sha256_hex(audit_key, "escalation-desk token scope key v1");
}

std::string token_scope(std::string_view scope_key, std::string_view token) {
  return scope_key.empty() ? storage::sha256_hex(token) : storage::hmac_sha256_hex(scope_key, token);
}

AgentTokens::AgentTokens(std::string_view scope_key, const std::vector<std::string>& tokens,
                         const std::vector<std::string>& admin_tokens)
    : scope_key_(scope_key) {
  for (const auto* list : {&tokens, &admin_tokens})
    for (const auto& t : *list)
      if (!t.empty()) entries_.push_back({token_scope(scope_key_, t), storage::sha256_hex(t), list == &admin_tokens});
}

std::optional<std::string> AgentTokens::scope_of(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  std::string scope = token_scope(scope_key_, token);
  bool found = false;
  for (const auto& e : entries_) found = same_digest(e.scope, scope) || found;  // no early exit
  if (!found) return std::nullopt;
  return scope;
}

bool AgentTokens::is_admin(const std::string& scope) const {
  bool admin = false;
  for (const auto& e : entries_) admin = (e.admin && same_digest(e.scope, scope)) || admin;
  return admin;
}

std::optional<std::string> AgentTokens::plain_digest(const std::string& scope) const {
  for (const auto& e : entries_)
    if (same_digest(e.scope, scope)) return e.plain;
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> AgentTokens::unkeyed_scopes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : entries_)
    if (e.plain != e.scope) out.emplace_back(e.plain, e.scope);
  return out;
}

}  // namespace desk::handlers
