#pragma once
/// A local Microsoft Teams for the interactive bot's tests (reference/teams.md §9.4): one TLS port on
/// 127.0.0.1 serving the Bot Framework OpenID metadata and JWKS, the Entra ID token endpoint and the
/// Bot Connector, on its own thread and io_context; and the inbound side, which signs activities as
/// the connector does and POSTs them to a desk's /api/messages. Every method is thread-safe.
///
/// An independent oracle: nothing here uses the desk's Teams code.
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/emulator/adaptive_card_check.hpp"
#include "tests/emulator/bot_endpoint_client.hpp"
#include "tests/emulator/bot_framework_keys.hpp"
#include "tests/emulator/teams_activity_factory.hpp"
#include "tests/emulator/test_pki.hpp"

namespace desk::emulator {

struct TeamsBotOptions {
  std::string app_id = "5c0f7e2a-3b1d-4e8f-9a6c-2d4b8e1f0a37";     ///< aud of inbound tokens; the token client id
  std::string app_password = "emu~teams.app-password_0123456789";  ///< the client secret
  std::string tenant_id = "0d3e9a8b-6c21-4f57-b4a0-7e2c9f1d5b63";
  std::string team_id = "19:desk-team-emulated@thread.tacv2";
  std::string channel_id = "19:desk-channel-emulated@thread.tacv2";  ///< the desk channel, as in the config
  std::string bot_name = "Escalation Desk";
  /// The current key's endorsements (the real ones list every channel the key serves).
  std::vector<std::string> endorsements = {"msteams", "skype", "webchat", "directline", "emulator"};
  std::chrono::seconds token_lifetime{3599};
  CardRules card_rules;
};

/// What a request was for: fault injection and records are kept per route.
enum class TeamsRoute {
  openid_metadata,  ///< GET /v1/.well-known/openidconfiguration
  jwks,             ///< GET /v1/.well-known/keys
  token,            ///< POST /<tenant>/oauth2/v2.0/token
  send,             ///< POST /v3/conversations/{conversation}/activities: 201 {"id"} (a reply when the
                    ///< conversation is "<channel>;messageid=<root>", as Teams names a thread)
  reply,            ///< POST /v3/conversations/{conversation}/activities/{activity}: 201 {"id"}
  update,           ///< PUT  /v3/conversations/{conversation}/activities/{activity}: 200 {"id"}
  member,           ///< GET  /v3/conversations/{conversation}/members/{member}: 200 the member (with their
                    ///< aadObjectId), 404 MemberNotFoundInConversation for someone not in the team
  other,            ///< anything else (answered 404)
};

/// One request as the emulator received it.
struct TeamsRequest {
  TeamsRoute route = TeamsRoute::other;
  std::string method;
  std::string target;           ///< path and query as requested
  std::string conversation_id;  ///< connector routes: the conversation, percent-decoded
  std::string activity_id;      ///< reply and update: the activity addressed; member: the member asked for
  /// Connector routes: the activity as sent (null when not JSON). Token: the form's fields without
  /// client_secret (the emulator keeps no secret it was sent).
  nlohmann::json body;
  int status = 0;        ///< what it was answered (also for a dropped answer: what it would have got)
  bool dropped = false;  ///< processed, then the connection was cut before the answer
};

/// One activity the bot created in a conversation, as the connector holds it.
struct BotActivity {
  std::string conversation_id;  ///< the channel part (before any ";messageid=")
  std::string id;
  std::string reply_to_id;              ///< empty for a new post; else the activity it answered
  std::string thread_id;                ///< the post its thread hangs from (its own id for a new post)
  nlohmann::json content;               ///< the current activity (after every update)
  std::vector<nlohmann::json> history;  ///< each version in order: as posted, then after each PUT
  /// The Adaptive Cards (attachment content) of the current version.
  std::vector<nlohmann::json> cards() const;
};

class TeamsBotEmulator {
 public:
  /// Generates the signing keys and starts listening on 127.0.0.1, port 0, with the certificate of
  /// pki.trusted(). Throws when the port, TLS or key generation fails.
  explicit TeamsBotEmulator(const TestPki& pki, TeamsBotOptions options = {});
  ~TeamsBotEmulator();
  TeamsBotEmulator(const TeamsBotEmulator&) = delete;
  TeamsBotEmulator& operator=(const TeamsBotEmulator&) = delete;

  const TeamsBotOptions& options() const;
  unsigned short port() const;
  /// "https://127.0.0.1:<port>/v1/.well-known/openidconfiguration": TEAMS_OPENID_METADATA_URL.
  std::string openid_metadata_url() const;
  /// "https://127.0.0.1:<port>/v1/.well-known/keys", the metadata's jwks_uri.
  std::string jwks_url() const;
  /// "https://127.0.0.1:<port>/<tenant>/oauth2/v2.0/token": TEAMS_TOKEN_URL.
  std::string token_url() const;
  /// "https://127.0.0.1:<port>/": the connector, the serviceUrl of every activity built here.
  std::string service_url() const;
  /// The scene the activity builders use (service URL, app, tenant, team, channel).
  TeamsScene scene() const;

  // ---- Signing keys (OpenID metadata and JWKS) ----
  /// The kid that signs valid tokens.
  std::string current_kid() const;
  /// A published key endorsed only for "webchat": what TokenVariant::unendorsed signs with.
  std::string unendorsed_kid() const;
  /// Publishes a new key with `endorsements`; it does not become current. Returns its kid.
  std::string add_key(std::vector<std::string> endorsements);
  /// Publishes a new key with the options' endorsements and makes it current; the old one stays
  /// published until remove_key. Returns the new kid.
  std::string rotate_key();
  /// Takes a key out of the JWKS; the emulator can still sign with it (token_signed_by).
  void remove_key(const std::string& kid);
  /// The kids the JWKS lists, in order.
  std::vector<std::string> published_kids() const;
  /// The JWKS as served now.
  nlohmann::json jwks() const;
  /// GETs of the metadata and of the JWKS so far (answered or failed), i.e. count() of their routes.
  std::size_t metadata_fetches() const;
  std::size_t jwks_fetches() const;

  // ---- Token endpoint ----
  /// Tokens issued from now on live this long (expires_in says so, and the connector enforces it).
  void set_token_lifetime(std::chrono::seconds lifetime);
  /// Every access token issued so far stops being accepted.
  void expire_access_tokens();
  std::size_t tokens_issued() const;
  /// Every access token issued, oldest first (to check that none reaches a log).
  std::vector<std::string> access_tokens() const;

  // ---- Bot Connector ----
  /// Every request to any route, in arrival order.
  std::vector<TeamsRequest> requests() const;
  std::size_t count(TeamsRoute route) const;
  /// Conversations the bot has created activities in, in order of first use.
  std::vector<std::string> conversations() const;
  /// Everything the bot created in `conversation_id` (posts and replies), in order.
  std::vector<BotActivity> activities(const std::string& conversation_id) const;
  /// The replies in the thread of `activity_id`, in order.
  std::vector<BotActivity> replies(const std::string& conversation_id, const std::string& activity_id) const;
  std::optional<BotActivity> activity(const std::string& conversation_id, const std::string& activity_id) const;
  /// Card problems of every activity sent, posted or updated (see CardRules), each
  /// "<route> <conversation>/<activity>: <pointer>: <what>". Tests assert it stays empty.
  std::vector<std::string> card_problems() const;

  /// Puts `user` in the team (and so in its channels): the member route answers for their Teams id.
  void add_member(const TeamsUser& user);

  // ---- Faults ----
  /// The next `times` requests of `route` are answered `status` (429, 412, 502, 504, 500 …) with an
  /// error body, and Retry-After when given, without being processed. On connector routes only
  /// requests with a good access token count.
  void fail_next(TeamsRoute route, int times, int status, std::optional<int> retry_after_s = std::nullopt);
  /// 429 with Retry-After for the next `times` requests of `route`.
  void throttle_next(TeamsRoute route, int times, int retry_after_s);
  /// The next request of `route` that succeeds is processed (an activity recorded, a token issued)
  /// but its connection is cut before the answer: the client cannot know it happened.
  void drop_next_answer(TeamsRoute route);

  // ---- Inbound: the connector calling the desk ----
  /// A card click in the options' channel (see card_action_invoke), served from this emulator.
  nlohmann::json card_action(const TeamsUser& from, const std::string& card_activity_id, const std::string& verb,
                             const nlohmann::json& data, const nlohmann::json& inputs = nlohmann::json::object()) const;
  /// An @mention of the bot in the options' channel (see channel_mention_message). The message is
  /// in the channel from now on: the bot may reply in its thread.
  nlohmann::json channel_message(const TeamsUser& from, const std::string& text, const std::string& thread_root_id = {},
                                 const std::vector<TeamsUser>& mentioned = {}) const;
  /// A message in the bot's personal chat with `from`; the bot may reply to it.
  nlohmann::json personal_chat_message(const TeamsUser& from, const std::string& text) const;
  /// The token the connector would send with `activity` (serviceurl = its serviceUrl), as `variant`.
  std::string token_for(const nlohmann::json& activity, TokenVariant variant = TokenVariant::valid) const;
  /// A valid RS256 token for `activity` signed by the key `kid` (published, removed or added).
  std::string token_signed_by(const nlohmann::json& activity, const std::string& kid) const;
  /// POSTs `activity` to `messages_url` (http:// or https:// on 127.0.0.1, e.g. the desk's
  /// ".../api/messages") with "Authorization: Bearer <token_for(activity, variant)>" (none for
  /// TokenVariant::absent). Blocks the calling thread; throws on a transport error or timeout.
  InboundResponse post_activity(const std::string& messages_url, const nlohmann::json& activity,
                                TokenVariant variant = TokenVariant::valid,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  /// POSTs any body with any Authorization value (none when nullopt): for malformed requests.
  InboundResponse post_raw(const std::string& messages_url, const std::string& body,
                           const std::optional<std::string>& authorization,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace desk::emulator
