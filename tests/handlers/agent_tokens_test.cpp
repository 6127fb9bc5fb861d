// What the desk keeps of agents' tokens: keyed scopes, admin rights, the plain digest callback keys
// derive from, and the rewrites that key a store written before.
#include "handlers/agent_tokens.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/digest.hpp"

namespace desk::handlers {
namespace {

const std::string kAgent = "agt_live_7f3a9c1e5b2d4f60";
const std::string kAdmin = "adm_live_compliance_9e8d7c6b";
const std::string kAuditKey = "an-audit-key-of-at-least-32-characters";

TEST(AgentTokens, AScopeIsKeyedUnderTheAuditKeyAndPlainWithoutOne) {
  const std::string key = token_scope_key(kAuditKey);
  ASSERT_EQ(key.size(), 64u);
  EXPECT_NE(key, storage::hmac_sha256_hex(kAuditKey, ""));  // a label of its own, not the bare key
  EXPECT_EQ(token_scope(key, kAgent), storage::hmac_sha256_hex(key, kAgent));
  EXPECT_NE(token_scope(key, kAgent), storage::sha256_hex(kAgent));
  EXPECT_NE(token_scope(token_scope_key("another-audit-key-of-32-characters-"), kAgent), token_scope(key, kAgent));
  EXPECT_EQ(token_scope_key(""), "");
  EXPECT_EQ(token_scope("", kAgent), storage::sha256_hex(kAgent));
}

TEST(AgentTokens, AcceptsConfiguredTokensOnlyAndKnowsWhichAreAdmins) {
  const AgentTokens tokens(token_scope_key(kAuditKey), {kAgent, ""}, {kAdmin});
  const auto agent = tokens.scope_of(kAgent);
  const auto admin = tokens.scope_of(kAdmin);
  ASSERT_TRUE(agent && admin);
  EXPECT_FALSE(tokens.is_admin(*agent));
  EXPECT_TRUE(tokens.is_admin(*admin));
  EXPECT_FALSE(tokens.scope_of(""));  // the empty entry in the list is no token
  EXPECT_FALSE(tokens.scope_of(kAgent + "x"));
  EXPECT_FALSE(tokens.scope_of(storage::sha256_hex(kAgent)));
  EXPECT_FALSE(tokens.is_admin(storage::sha256_hex(kAdmin)));  // a plain digest is not the admin's scope
  EXPECT_FALSE(AgentTokens("", {}).scope_of(kAgent));
  EXPECT_TRUE(AgentTokens("", {}).empty());
}

TEST(AgentTokens, ThePlainDigestIsFoundFromTheScopeOfAConfiguredTokenOnly) {
  const AgentTokens tokens(token_scope_key(kAuditKey), {kAgent}, {kAdmin});
  EXPECT_EQ(tokens.plain_digest(*tokens.scope_of(kAgent)), storage::sha256_hex(kAgent));
  EXPECT_EQ(tokens.plain_digest(*tokens.scope_of(kAdmin)), storage::sha256_hex(kAdmin));
  EXPECT_FALSE(tokens.plain_digest(token_scope(token_scope_key(kAuditKey), "a-token-since-removed-0123")));
  EXPECT_FALSE(tokens.plain_digest(storage::sha256_hex(kAgent)));
}

TEST(AgentTokens, UnkeyedScopesListEachTokensPlainAndKeyedDigestOnlyWithAKey) {
  const std::string key = token_scope_key(kAuditKey);
  const AgentTokens tokens(key, {kAgent}, {kAdmin});
  const std::vector<std::pair<std::string, std::string>> expected = {
      {storage::sha256_hex(kAgent), token_scope(key, kAgent)}, {storage::sha256_hex(kAdmin), token_scope(key, kAdmin)}};
  EXPECT_EQ(tokens.unkeyed_scopes(), expected);
  EXPECT_TRUE(AgentTokens("", {kAgent}, {kAdmin}).unkeyed_scopes().empty());
}

}  // namespace
}  // namespace desk::handlers
