// The Teams (Bot Framework) emulator against plain clients written here, so the desk's Teams tests can
// trust it: the OpenID metadata leads to a JWKS whose keys verify the tokens it signs (checked with
// OpenSSL here, not with the emulator's code), each hostile token breaks the rule it is named for, the
// token endpoint knows the secret, the connector records posts, replies and updates behind a bearer
// token and answers faults as asked, the card checks catch what Teams would not render, and inbound
// activities reach a server over http and https with their token.
#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <mutex>
#include <set>
#include <thread>

#include "tests/emulator/teams_bot_emulator.hpp"
#include "tests/integration/slack_test_bed.hpp"

namespace desk::integration::teams_bot_emulator_test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using emu::TeamsRoute;
using emu::TokenVariant;

// ---- A plain HTTPS client: one request per connection, trusting only the test CA ------------------

struct Reply {
  int status = 0;  ///< 0 when the connection closed without an answer
  std::string retry_after;
  std::string body;
  json parsed() const { return json::parse(body, nullptr, false); }
};

Reply call(const emu::TeamsBotEmulator& teams, http::verb method, const std::string& target,
           const std::string& body = {}, const std::string& authorization = {},
           const std::string& content_type = "application/json") {
  net::io_context io;
  net::ssl::context tls(net::ssl::context::tls_client);
  tls.add_certificate_authority(net::buffer(pki().trusted().ca_pem));
  tls.set_verify_mode(net::ssl::verify_peer);
  Reply reply;
  auto exchange = [&]() -> net::awaitable<void> {
    beast::ssl_stream<beast::tcp_stream> stream(io, tls);
    stream.set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
    beast::get_lowest_layer(stream).expires_after(10s);
    co_await beast::get_lowest_layer(stream).async_connect(
        net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), teams.port()), net::use_awaitable);
    co_await stream.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(teams.port()));
    if (!authorization.empty()) request.set(http::field::authorization, authorization);
    if (!body.empty()) request.set(http::field::content_type, content_type);
    request.body() = body;
    request.prepare_payload();
    co_await http::async_write(stream, request, net::use_awaitable);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    auto [ec, n] = co_await http::async_read(stream, buffer, response, net::as_tuple(net::use_awaitable));
    if (ec) co_return;  // cut before the answer: status stays 0
    reply = Reply{static_cast<int>(response.result_int()), std::string(response[http::field::retry_after]),
                  response.body()};
  };
  net::co_spawn(io, exchange(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  return reply;
}

Reply get(const emu::TeamsBotEmulator& teams, const std::string& url) {
  const std::string prefix = "https://127.0.0.1:" + std::to_string(teams.port());
  EXPECT_EQ(url.rfind(prefix, 0), 0u) << url << " is not served by the emulator";
  return call(teams, http::verb::get, url.substr(prefix.size()));
}

constexpr const char* kScope = "https%3A%2F%2Fapi.botframework.com%2F.default";

Reply request_token(const emu::TeamsBotEmulator& teams, const std::string& client_id, const std::string& secret,
                    const std::string& scope = kScope) {
  const std::string form =
      "grant_type=client_credentials&client_id=" + client_id + "&client_secret=" + secret + "&scope=" + scope;
  return call(teams, http::verb::post, "/" + teams.options().tenant_id + "/oauth2/v2.0/token", form, {},
              "application/x-www-form-urlencoded");
}

std::string bearer(const emu::TeamsBotEmulator& teams) {
  const Reply reply = request_token(teams, teams.options().app_id, teams.options().app_password);
  EXPECT_EQ(reply.status, 200) << reply.body;
  return "Bearer " + reply.parsed().value("access_token", "");
}

std::string activities_path(const std::string& conversation, const std::string& activity_id = {}) {
  return "/v3/conversations/" + conversation + "/activities" + (activity_id.empty() ? "" : "/" + activity_id);
}

json card_message(const json& card) {
  return {
      {"type", "message"},
      {"attachments", json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"}, {"content", card}}})}};
}

json text_message(const std::string& text) { return {{"type", "message"}, {"text", text}}; }

// An escalation card as the spec describes it: facts, a rationale input, three Action.Execute.
json escalation_card(const std::string& version = "1.5") {
  json actions = json::array();
  const std::vector<std::pair<std::string, std::string>> buttons = {
      {"accept", "Accept"}, {"reject", "Reject"}, {"escalate_legal", "Escalate to legal"}};
  for (const auto& [verb, title] : buttons)
    actions.push_back(
        {{"type", "Action.Execute"}, {"verb", verb}, {"title", title}, {"data", {{"escalation", "E-7"}}}});
  return {{"type", "AdaptiveCard"},
          {"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
          {"version", version},
          {"body",
           {{{"type", "TextBlock"}, {"text", "Escalation E-7"}, {"weight", "Bolder"}},
            {{"type", "FactSet"}, {"facts", {{{"title", "Owner"}, {"value", "Ivan Petrov"}}}}},
            {{"type", "Input.Text"}, {"id", "rationale"}, {"label", "Rationale"}, {"isMultiline", true}}}},
          {"actions", actions}};
}

// ---- JWTs, read and verified with OpenSSL alone -----------------------------------------------------

std::string base64url_decode(std::string text) {
  for (auto& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  const std::size_t padding = (4 - text.size() % 4) % 4;
  text.append(padding, '=');
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

struct Jwt {
  json header, claims;
  std::string signing_input, signature;
};

Jwt split_jwt(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  if (first == std::string::npos || second == std::string::npos) return {};
  return Jwt{json::parse(base64url_decode(token.substr(0, first)), nullptr, false),
             json::parse(base64url_decode(token.substr(first + 1, second - first - 1)), nullptr, false),
             token.substr(0, second), base64url_decode(token.substr(second + 1))};
}

std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> public_key_of(const json& jwk) {
  const std::string n = base64url_decode(jwk.value("n", "")), e = base64url_decode(jwk.value("e", ""));
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) key = nullptr;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  BN_free(bn_n);
  BN_free(bn_e);
  return {key, EVP_PKEY_free};
}

// True when `token`'s RS256/384/512 signature verifies with the JWK's public key.
bool verifies_with(const std::string& token, const json& jwk) {
  const Jwt jwt = split_jwt(token);
  const std::string alg = jwt.header.is_object() ? jwt.header.value("alg", "") : "";
  const EVP_MD* md = alg == "RS256"   ? EVP_sha256()
                     : alg == "RS384" ? EVP_sha384()
                     : alg == "RS512" ? EVP_sha512()
                                      : nullptr;
  auto key = public_key_of(jwk);
  if (md == nullptr || !key) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(jwt.signature.data()), jwt.signature.size(),
                          reinterpret_cast<const unsigned char*>(jwt.signing_input.data()),
                          jwt.signing_input.size()) == 1;
}

json jwk_named(const json& jwks, const std::string& kid) {
  for (const auto& key : jwks["keys"])
    if (key.value("kid", "") == kid) return key;
  return nullptr;
}

long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// ---- A plain HTTP server standing in for the desk's /api/messages ----------------------------------

class CapturingDesk {
 public:
  CapturingDesk() : acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    net::co_spawn(io_, serve(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~CapturingDesk() {
    io_.stop();
    thread_.join();
  }
  std::string messages_url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/api/messages";
  }
  std::vector<http::request<http::string_body>> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  // Answers every request as a desk answers a card click: 200 with an invoke response.
  net::awaitable<void> serve() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(net::use_awaitable);
      beast::tcp_stream stream(std::move(socket));
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      auto [ec, n] = co_await http::async_read(stream, buffer, request, net::as_tuple(net::use_awaitable));
      if (ec) continue;  // a client that gave up: wait for the next
      {
        std::lock_guard lock(mu_);
        received_.push_back(request);
      }
      http::response<http::string_body> response{http::status::ok, 11};
      response.set(http::field::content_type, "application/json");
      response.set("X-Desk", "captured");
      response.body() = R"({"statusCode":200,"type":"application/vnd.microsoft.activity.message","value":"ok"})";
      response.prepare_payload();
      co_await http::async_write(stream, response, net::as_tuple(net::use_awaitable));
    }
  }

  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<http::request<http::string_body>> received_;
};

const emu::TeamsUser kDana{"7d1b4c9e-2f3a-4b6c-8d0e-1a2b3c4d5e6f", "Dana Ruiz", {}};
const emu::TeamsUser kErin{"2e4f6a8c-1b3d-4e5f-9a7b-0c2d4e6f8a1b", "Erin Walsh", {}};

// ---- Keys ------------------------------------------------------------------------------------------

TEST(TeamsBotEmulator, MetadataLeadsToAJwksOfRsaKeysWithEndorsements) {
  emu::TeamsBotEmulator teams(pki());
  const Reply metadata = get(teams, teams.openid_metadata_url());
  ASSERT_EQ(metadata.status, 200) << metadata.body;
  const json meta = metadata.parsed();
  EXPECT_EQ(meta["issuer"], "https://api.botframework.com");
  EXPECT_EQ(meta["jwks_uri"], teams.jwks_url());
  EXPECT_EQ(meta["id_token_signing_alg_values_supported"], json::array({"RS256"}));
  EXPECT_EQ(meta["token_endpoint_auth_methods_supported"], json::array({"private_key_jwt"}));
  EXPECT_TRUE(meta["authorization_endpoint"].is_string());

  const Reply keys = get(teams, meta.value("jwks_uri", ""));
  ASSERT_EQ(keys.status, 200) << keys.body;
  const json jwks = keys.parsed();
  ASSERT_EQ(jwks["keys"].size(), 2u) << jwks.dump();
  const json current = jwk_named(jwks, teams.current_kid());
  ASSERT_TRUE(current.is_object()) << jwks.dump();
  EXPECT_EQ(current["kty"], "RSA");
  EXPECT_EQ(current["use"], "sig");
  EXPECT_EQ(current["e"], "AQAB");
  EXPECT_EQ(current["x5t"], current["kid"]);
  EXPECT_EQ(base64url_decode(current["n"]).size(), 256u) << "a 2048-bit modulus";
  EXPECT_EQ(current["n"].get<std::string>().find_first_of("+/="), std::string::npos) << "base64url, unpadded";
  EXPECT_NE(std::find(current["endorsements"].begin(), current["endorsements"].end(), "msteams"),
            current["endorsements"].end());
  const json unendorsed = jwk_named(jwks, teams.unendorsed_kid());
  ASSERT_TRUE(unendorsed.is_object());
  EXPECT_EQ(std::find(unendorsed["endorsements"].begin(), unendorsed["endorsements"].end(), "msteams"),
            unendorsed["endorsements"].end());
  EXPECT_EQ(teams.metadata_fetches(), 1u);
  EXPECT_EQ(teams.jwks_fetches(), 1u);
}

TEST(TeamsBotEmulator, RotationPublishesANewCurrentKeyAndRemovalUnpublishesTheOld) {
  emu::TeamsBotEmulator teams(pki());
  const std::string old_kid = teams.current_kid();
  const std::string new_kid = teams.rotate_key();
  EXPECT_NE(new_kid, old_kid);
  EXPECT_EQ(teams.current_kid(), new_kid);
  EXPECT_EQ(teams.published_kids().size(), 3u);
  const json both = get(teams, teams.jwks_url()).parsed();
  EXPECT_TRUE(jwk_named(both, old_kid).is_object());
  EXPECT_TRUE(jwk_named(both, new_kid).is_object());

  const json activity = teams.channel_message(kDana, "rota");
  const std::string by_old = teams.token_signed_by(activity, old_kid);
  EXPECT_TRUE(verifies_with(by_old, jwk_named(both, old_kid)));
  EXPECT_EQ(split_jwt(teams.token_for(activity)).header["kid"], new_kid);

  teams.remove_key(old_kid);
  const json after = get(teams, teams.jwks_url()).parsed();
  EXPECT_TRUE(jwk_named(after, old_kid).is_null()) << after.dump();
  EXPECT_TRUE(jwk_named(after, new_kid).is_object());

  const std::string added = teams.add_key({"msteams", "directline"});
  EXPECT_EQ(teams.current_kid(), new_kid) << "an added key does not become current";
  const json added_jwk = jwk_named(get(teams, teams.jwks_url()).parsed(), added);
  EXPECT_EQ(added_jwk["endorsements"], json::array({"msteams", "directline"}));
  EXPECT_TRUE(verifies_with(teams.token_signed_by(activity, added), added_jwk));
  EXPECT_EQ(teams.jwks_fetches(), 3u);
  EXPECT_EQ(teams.metadata_fetches(), 0u);
}

// ---- Token endpoint --------------------------------------------------------------------------------

TEST(TeamsBotEmulator, TokenIsIssuedForTheRightSecretAndRefusedOtherwise) {
  emu::TeamsBotEmulator teams(pki());
  const auto& options = teams.options();
  const Reply good = request_token(teams, options.app_id, options.app_password);
  ASSERT_EQ(good.status, 200) << good.body;
  const json token = good.parsed();
  EXPECT_EQ(token["token_type"], "Bearer");
  EXPECT_EQ(token["expires_in"], 3599);
  EXPECT_EQ(token["ext_expires_in"], 3599);
  ASSERT_TRUE(token["access_token"].is_string());
  EXPECT_EQ(teams.access_tokens(), std::vector<std::string>{token["access_token"].get<std::string>()});

  const Reply wrong_secret = request_token(teams, options.app_id, "not-the-password");
  EXPECT_EQ(wrong_secret.status, 401);
  EXPECT_EQ(wrong_secret.parsed()["error"], "invalid_client");
  EXPECT_TRUE(wrong_secret.parsed()["error_description"].is_string());
  const Reply unknown_app = request_token(teams, "00000000-0000-0000-0000-000000000000", options.app_password);
  EXPECT_EQ(unknown_app.status, 400);
  EXPECT_EQ(unknown_app.parsed()["error"], "unauthorized_client");
  const Reply wrong_scope =
      request_token(teams, options.app_id, options.app_password, "https%3A%2F%2Fgraph.microsoft.com%2F.default");
  EXPECT_EQ(wrong_scope.status, 400);
  EXPECT_EQ(wrong_scope.parsed()["error"], "invalid_scope");
  const Reply other_tenant = call(teams, http::verb::post, "/botframework.com/oauth2/v2.0/token",
                                  "grant_type=client_credentials", {}, "application/x-www-form-urlencoded");
  EXPECT_EQ(other_tenant.status, 400);
  EXPECT_EQ(teams.tokens_issued(), 1u);
  EXPECT_EQ(teams.count(TeamsRoute::token), 5u);
  for (const auto& r : teams.requests()) {
    EXPECT_EQ(r.body.dump().find(options.app_password), std::string::npos) << "the secret is not kept";
    EXPECT_EQ(r.body.dump().find("not-the-password"), std::string::npos);
  }
}

// ---- Connector -------------------------------------------------------------------------------------

TEST(TeamsBotEmulator, APostAReplyAndAnUpdateAreRecordedAndAnUnknownActivityIs404) {
  emu::TeamsBotEmulator teams(pki());
  const std::string auth = bearer(teams);
  const std::string channel = teams.options().channel_id;
  const std::string encoded = "19%3Adesk-channel-emulated%40thread.tacv2";  // as clients escape it

  const Reply posted =
      call(teams, http::verb::post, activities_path(encoded), card_message(escalation_card()).dump(), auth);
  ASSERT_EQ(posted.status, 201) << posted.body;
  const std::string card_id = posted.parsed().value("id", "");
  ASSERT_FALSE(card_id.empty());
  const Reply replied =
      call(teams, http::verb::post, activities_path(channel, card_id), text_message("Accepted by Dana").dump(), auth);
  ASSERT_EQ(replied.status, 201) << replied.body;
  const std::string reply_id = replied.parsed().value("id", "");
  EXPECT_NE(reply_id, card_id);
  // A thread addressed the way Teams names it in inbound activities: a reply in that thread too.
  const Reply in_thread = call(teams, http::verb::post, activities_path(channel + ";messageid=" + card_id),
                               text_message("ping").dump(), auth);
  ASSERT_EQ(in_thread.status, 201) << in_thread.body;
  json decided = card_message(escalation_card());
  decided["summary"] = "decided";
  const Reply updated = call(teams, http::verb::put, activities_path(channel, card_id), decided.dump(), auth);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.parsed()["id"], card_id);

  EXPECT_EQ(teams.conversations(), std::vector<std::string>{channel});
  const auto all = teams.activities(channel);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, card_id);
  EXPECT_TRUE(all[0].reply_to_id.empty());
  const auto card = teams.activity(channel, card_id);
  ASSERT_TRUE(card.has_value());
  ASSERT_EQ(card->history.size(), 2u);
  EXPECT_EQ(card->history[0], card_message(escalation_card()));
  EXPECT_EQ(card->content, decided);
  ASSERT_EQ(card->cards().size(), 1u);
  EXPECT_EQ(card->cards()[0]["version"], "1.5");
  const auto replies = teams.replies(channel, card_id);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].id, reply_id);
  EXPECT_EQ(replies[0].reply_to_id, card_id);
  EXPECT_EQ(replies[0].content["text"], "Accepted by Dana");
  EXPECT_EQ(replies[1].thread_id, card_id);

  EXPECT_EQ(call(teams, http::verb::put, activities_path(channel, "1234"), decided.dump(), auth).status, 404);
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel, "1234"), text_message("x").dump(), auth).status,
            404);
  EXPECT_EQ(
      call(teams, http::verb::put, activities_path("19:other@thread.tacv2", card_id), decided.dump(), auth).status,
      404);
  const Reply not_a_message = call(teams, http::verb::post, activities_path(channel), R"({"type":"typing"})", auth);
  EXPECT_EQ(not_a_message.status, 400);
  EXPECT_EQ(not_a_message.parsed()["error"]["code"], "BadArgument");
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel), "{not json", auth).status, 400);
  EXPECT_EQ(teams.activities(channel).size(), 3u) << "refused requests record nothing";
  EXPECT_EQ(teams.count(TeamsRoute::send), 4u);
  EXPECT_EQ(teams.count(TeamsRoute::reply), 2u);
  EXPECT_EQ(teams.count(TeamsRoute::update), 3u);
  EXPECT_TRUE(teams.card_problems().empty()) << teams.card_problems().front();
}

TEST(TeamsBotEmulator, TheConnectorRefusesAMissingMadeUpOrExpiredAccessToken) {
  emu::TeamsBotEmulator teams(pki());
  const std::string channel = teams.options().channel_id;
  const std::string body = text_message("hello").dump();
  const Reply anonymous = call(teams, http::verb::post, activities_path(channel), body);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel), body, "Bearer made-up").status, 401);

  teams.set_token_lifetime(1s);
  const Reply short_lived = request_token(teams, teams.options().app_id, teams.options().app_password);
  ASSERT_EQ(short_lived.status, 200);
  EXPECT_EQ(short_lived.parsed()["expires_in"], 1);
  const std::string auth = "Bearer " + short_lived.parsed().value("access_token", "");
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel), body, auth).status, 201);
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel), body, auth).status, 401);

  teams.set_token_lifetime(3599s);
  const std::string fresh = bearer(teams);
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel), body, fresh).status, 201);
  teams.expire_access_tokens();
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel), body, fresh).status, 401);
  EXPECT_EQ(teams.activities(channel).size(), 2u);
}

TEST(TeamsBotEmulator, InjectedFaultsAnswerWithoutProcessingThenTheRequestSucceeds) {
  emu::TeamsBotEmulator teams(pki());
  const std::string auth = bearer(teams);
  const std::string channel = teams.options().channel_id;
  const std::string body = text_message("hello").dump();
  teams.throttle_next(TeamsRoute::send, 2, 3);
  for (int i = 0; i < 2; ++i) {
    const Reply throttled = call(teams, http::verb::post, activities_path(channel), body, auth);
    EXPECT_EQ(throttled.status, 429);
    EXPECT_EQ(throttled.retry_after, "3");
  }
  const Reply sent = call(teams, http::verb::post, activities_path(channel), body, auth);
  ASSERT_EQ(sent.status, 201);
  const std::string id = sent.parsed().value("id", "");

  teams.fail_next(TeamsRoute::update, 1, 412);
  teams.fail_next(TeamsRoute::reply, 1, 502);
  teams.fail_next(TeamsRoute::reply, 1, 504, 1);
  EXPECT_EQ(call(teams, http::verb::put, activities_path(channel, id), body, auth).status, 412);
  EXPECT_EQ(call(teams, http::verb::put, activities_path(channel, id), body, auth).status, 200);
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel, id), body, auth).status, 502);
  const Reply timeout = call(teams, http::verb::post, activities_path(channel, id), body, auth);
  EXPECT_EQ(timeout.status, 504);
  EXPECT_EQ(timeout.retry_after, "1");
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel, id), body, auth).status, 201);
  // Faults count only requests with a good token: this 401 leaves the queued 429 for the next.
  teams.throttle_next(TeamsRoute::send, 1, 2);
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel), body).status, 401);
  EXPECT_EQ(call(teams, http::verb::post, activities_path(channel), body, auth).status, 429);

  EXPECT_EQ(teams.activities(channel).size(), 2u) << "faults process nothing";
  EXPECT_EQ(teams.activity(channel, id)->history.size(), 2u);
  std::vector<int> statuses;
  for (const auto& r : teams.requests())
    if (r.route != TeamsRoute::token) statuses.push_back(r.status);
  EXPECT_EQ(statuses, (std::vector<int>{429, 429, 201, 412, 200, 502, 504, 201, 401, 429}));
}

TEST(TeamsBotEmulator, ADroppedAnswerIsStillRecorded) {
  emu::TeamsBotEmulator teams(pki());
  const std::string auth = bearer(teams);
  const std::string channel = teams.options().channel_id;
  teams.drop_next_answer(TeamsRoute::send);
  const Reply lost = call(teams, http::verb::post, activities_path(channel), text_message("first").dump(), auth);
  EXPECT_EQ(lost.status, 0) << "the connection is cut before the answer";
  ASSERT_EQ(teams.activities(channel).size(), 1u);
  EXPECT_EQ(teams.activities(channel)[0].content["text"], "first");
  EXPECT_TRUE(teams.requests().back().dropped);
  EXPECT_EQ(teams.requests().back().status, 201);
  const Reply next = call(teams, http::verb::post, activities_path(channel), text_message("second").dump(), auth);
  EXPECT_EQ(next.status, 201);
  EXPECT_EQ(teams.activities(channel).size(), 2u);
}

TEST(TeamsBotEmulator, ConcurrentClientsGetDistinctIdsAndEveryPostIsKept) {
  emu::TeamsBotEmulator teams(pki());
  const std::string auth = bearer(teams);
  const std::string channel = teams.options().channel_id;
  std::vector<std::thread> clients;
  std::mutex mu;
  std::set<std::string> ids;
  for (int c = 0; c < 4; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < 5; ++i) {
        const Reply r = call(teams, http::verb::post, activities_path(channel),
                             text_message(std::to_string(c) + "/" + std::to_string(i)).dump(), auth);
        std::lock_guard lock(mu);
        ids.insert(r.parsed().value("id", ""));
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(ids.count(""), 0u);
  EXPECT_EQ(teams.activities(channel).size(), 20u);
}

// ---- Card checks -----------------------------------------------------------------------------------

TEST(TeamsBotEmulator, CardChecksPassAValid15CardAndFlagWhatTeamsWouldNotRender) {
  EXPECT_TRUE(emu::check_adaptive_card(escalation_card()).empty()) << emu::check_adaptive_card(escalation_card())[0];
  const auto too_new = emu::check_adaptive_card(escalation_card("1.6"));
  ASSERT_EQ(too_new.size(), 1u);
  EXPECT_NE(too_new[0].find("/version"), std::string::npos) << too_new[0];
  EXPECT_NE(too_new[0].find("1.6"), std::string::npos) << too_new[0];

  json submit = escalation_card();
  submit["actions"][1] = {{"type", "Action.Submit"}, {"title", "Reject"}};
  const auto submitted = emu::check_adaptive_card(submit);
  ASSERT_EQ(submitted.size(), 1u);
  EXPECT_EQ(submitted[0].rfind("/actions/1/type: ", 0), 0u) << submitted[0];
  EXPECT_TRUE(emu::check_adaptive_card(submit, emu::CardRules{true, 28 * 1024}).empty());

  json odd = escalation_card();
  odd["body"].push_back({{"type", "Container"}, {"items", {{{"type", "Carousel"}}}}});
  odd["body"].push_back({{"type", "Media"}, {"sources", json::array()}});
  odd["actions"].push_back({{"type", "Action.Execute"}, {"title", "No verb"}});
  odd["actions"].push_back({{"type", "Action.Popover"}});
  const auto problems = emu::check_adaptive_card(odd);
  ASSERT_EQ(problems.size(), 4u) << json(problems).dump();
  EXPECT_EQ(problems[0].rfind("/body/3/items/0/type: unknown element type \"Carousel\"", 0), 0u) << problems[0];
  EXPECT_EQ(problems[1].rfind("/body/4/type: Media", 0), 0u) << problems[1];
  EXPECT_EQ(problems[2].rfind("/actions/3/verb", 0), 0u) << problems[2];
  EXPECT_EQ(problems[3].rfind("/actions/4/type: unknown action type", 0), 0u) << problems[3];
}

TEST(TeamsBotEmulator, TheConnectorRecordsCardProblemsInsteadOfRefusing) {
  emu::TeamsBotEmulator teams(pki());
  const std::string auth = bearer(teams);
  const std::string channel = teams.options().channel_id;
  ASSERT_EQ(
      call(teams, http::verb::post, activities_path(channel), card_message(escalation_card()).dump(), auth).status,
      201);
  EXPECT_TRUE(teams.card_problems().empty());

  const Reply newer =
      call(teams, http::verb::post, activities_path(channel), card_message(escalation_card("1.6")).dump(), auth);
  ASSERT_EQ(newer.status, 201);
  json big = escalation_card();
  big["body"].push_back({{"type", "TextBlock"}, {"text", std::string(29 * 1024, 'x')}});
  const std::string card_id = teams.activities(channel)[0].id;
  ASSERT_EQ(call(teams, http::verb::put, activities_path(channel, card_id), card_message(big).dump(), auth).status,
            200);

  const auto problems = teams.card_problems();
  ASSERT_EQ(problems.size(), 2u) << json(problems).dump();
  EXPECT_EQ(problems[0], "send " + channel + "/" + newer.parsed().value("id", "") +
                             ": /attachments/0/content/version: version 1.6 is above 1.5, the highest Teams renders");
  EXPECT_EQ(problems[1].rfind("update " + channel + "/" + card_id + ": size: the activity is ", 0), 0u) << problems[1];
}

// ---- Inbound tokens --------------------------------------------------------------------------------

TEST(TeamsBotEmulator, AValidTokenVerifiesWithTheJwksKeyAndCarriesTheBotFrameworkClaims) {
  emu::TeamsBotEmulator teams(pki());
  const json jwks = get(teams, teams.jwks_url()).parsed();
  const json activity = teams.card_action(kDana, "1700000000001", "accept", {{"escalation", "E-7"}});
  const std::vector<std::pair<TokenVariant, std::string>> valid_variants = {
      {TokenVariant::valid, "RS256"}, {TokenVariant::rs384, "RS384"}, {TokenVariant::rs512, "RS512"}};
  for (const auto& [variant, alg] : valid_variants) {
    const std::string token = teams.token_for(activity, variant);
    const Jwt jwt = split_jwt(token);
    EXPECT_EQ(jwt.header["alg"], alg);
    EXPECT_EQ(jwt.header["kid"], teams.current_kid());
    EXPECT_TRUE(verifies_with(token, jwk_named(jwks, teams.current_kid()))) << alg;
    EXPECT_EQ(jwt.claims["iss"], "https://api.botframework.com");
    EXPECT_EQ(jwt.claims["aud"], teams.options().app_id);
    EXPECT_EQ(jwt.claims["serviceurl"], activity["serviceUrl"]);
    EXPECT_EQ(jwt.claims["serviceurl"], teams.service_url());
    const long long now = now_seconds();
    EXPECT_GT(jwt.claims.value("exp", 0LL), now + 300);
    EXPECT_LT(jwt.claims.value("nbf", 0LL), now);
    EXPECT_LE(jwt.claims.value("iat", 0LL), now);
  }
  // A tampered payload no longer verifies: the check above can fail.
  std::string token = teams.token_for(activity);
  const auto dot = token.find('.');
  token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verifies_with(token, jwk_named(jwks, teams.current_kid())));
}

TEST(TeamsBotEmulator, EachHostileTokenBreaksTheRuleItIsNamedFor) {
  emu::TeamsBotEmulator teams(pki());
  const json jwks = get(teams, teams.jwks_url()).parsed();
  const json current = jwk_named(jwks, teams.current_kid());
  const json activity = teams.channel_message(kDana, "rota");
  auto token = [&](TokenVariant v) { return teams.token_for(activity, v); };
  auto claims = [&](TokenVariant v) { return split_jwt(token(v)).claims; };
  const long long now = now_seconds();

  const std::string forged = token(TokenVariant::forged);
  EXPECT_EQ(split_jwt(forged).header["kid"], teams.current_kid());
  EXPECT_FALSE(verifies_with(forged, current));
  const Jwt unknown = split_jwt(token(TokenVariant::unknown_kid));
  EXPECT_TRUE(jwk_named(jwks, unknown.header.value("kid", "")).is_null());

  EXPECT_LT(claims(TokenVariant::expired).value("exp", 0LL), now - 300);
  EXPECT_TRUE(verifies_with(token(TokenVariant::expired), current)) << "only the time is wrong";
  const long long nearly = claims(TokenVariant::expired_within_skew).value("exp", 0LL);
  EXPECT_LT(nearly, now);
  EXPECT_GT(nearly, now - 300);
  EXPECT_GT(claims(TokenVariant::not_yet_valid).value("nbf", 0LL), now + 300);
  const long long soon = claims(TokenVariant::not_yet_valid_within_skew).value("nbf", 0LL);
  EXPECT_GT(soon, now);
  EXPECT_LT(soon, now + 300);

  EXPECT_NE(claims(TokenVariant::wrong_audience)["aud"], teams.options().app_id);
  EXPECT_TRUE(verifies_with(token(TokenVariant::wrong_audience), current));
  EXPECT_NE(claims(TokenVariant::wrong_issuer)["iss"], "https://api.botframework.com");
  EXPECT_NE(claims(TokenVariant::service_url_mismatch)["serviceurl"], activity["serviceUrl"]);
  EXPECT_TRUE(verifies_with(token(TokenVariant::service_url_mismatch), current));

  const std::string unendorsed = token(TokenVariant::unendorsed);
  const json unendorsed_key = jwk_named(jwks, split_jwt(unendorsed).header.value("kid", ""));
  ASSERT_TRUE(unendorsed_key.is_object()) << "published";
  EXPECT_TRUE(verifies_with(unendorsed, unendorsed_key));
  const json endorsements = unendorsed_key["endorsements"];
  EXPECT_EQ(std::find(endorsements.begin(), endorsements.end(), "msteams"), endorsements.end());

  const std::string none = token(TokenVariant::alg_none);
  EXPECT_EQ(split_jwt(none).header["alg"], "none");
  EXPECT_EQ(none.back(), '.') << "no signature";
  EXPECT_EQ(split_jwt(token(TokenVariant::hs256_public_key)).header["alg"], "HS256");
  EXPECT_FALSE(verifies_with(token(TokenVariant::hs256_public_key), current));
  EXPECT_TRUE(claims(TokenVariant::malformed).is_discarded()) << "the payload is not JSON";
  EXPECT_TRUE(token(TokenVariant::absent).empty());
}

// ---- Inbound activities ----------------------------------------------------------------------------

TEST(TeamsBotEmulator, ACardClickIsPostedOverHttpWithItsBearerToken) {
  emu::TeamsBotEmulator teams(pki());
  CapturingDesk desk;
  const json click = teams.card_action(kDana, "1700000000042", "accept", {{"escalation", "E-7"}},
                                       {{"rationale", "Claims are sourced."}});
  const emu::InboundResponse answer = teams.post_activity(desk.messages_url(), click);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers.at("x-desk"), "captured");
  EXPECT_EQ(answer.json()["statusCode"], 200);

  ASSERT_EQ(desk.received().size(), 1u);
  const auto request = desk.received()[0];
  EXPECT_EQ(request.method(), http::verb::post);
  EXPECT_EQ(request.target(), "/api/messages");
  EXPECT_EQ(json::parse(request.body()), click);
  const std::string authorization(request[http::field::authorization]);
  ASSERT_EQ(authorization.rfind("Bearer ", 0), 0u) << authorization;
  const json jwks = get(teams, teams.jwks_url()).parsed();
  EXPECT_TRUE(verifies_with(authorization.substr(7), jwk_named(jwks, teams.current_kid())));

  // The click as Teams shapes it (reference/teams.md §9.3).
  EXPECT_EQ(click["type"], "invoke");
  EXPECT_EQ(click["name"], "adaptiveCard/action");
  EXPECT_EQ(click["channelId"], "msteams");
  EXPECT_EQ(click["serviceUrl"], teams.service_url());
  EXPECT_EQ(click["value"]["trigger"], "manual");
  EXPECT_EQ(click["value"]["action"]["type"], "Action.Execute");
  EXPECT_EQ(click["value"]["action"]["verb"], "accept");
  EXPECT_EQ(click["value"]["action"]["data"], (json{{"escalation", "E-7"}, {"rationale", "Claims are sourced."}}));
  EXPECT_EQ(click["from"]["aadObjectId"], kDana.aad_object_id);
  EXPECT_EQ(click["from"]["name"], "Dana Ruiz");
  EXPECT_EQ(click["conversation"]["id"], teams.options().channel_id + ";messageid=1700000000042");
  EXPECT_EQ(click["conversation"]["conversationType"], "channel");
  EXPECT_EQ(click["conversation"]["tenantId"], teams.options().tenant_id);
  EXPECT_EQ(click["replyToId"], "1700000000042");
  EXPECT_EQ(click["recipient"]["id"], "28:" + teams.options().app_id);
  EXPECT_EQ(click["channelData"]["tenant"]["id"], teams.options().tenant_id);
  EXPECT_EQ(click["channelData"]["channel"]["id"], teams.options().channel_id);
  EXPECT_EQ(click["channelData"]["team"]["id"], teams.options().team_id);

  EXPECT_EQ(teams.post_activity(desk.messages_url(), click, TokenVariant::absent).status, 200);
  ASSERT_EQ(desk.received().size(), 2u);
  EXPECT_EQ(desk.received()[1].count(http::field::authorization), 0u);
  EXPECT_EQ(teams.post_raw(desk.messages_url(), "{", std::string("Basic abc")).status, 200);
  EXPECT_EQ(desk.received()[2][http::field::authorization], "Basic abc");
  EXPECT_EQ(desk.received()[2].body(), "{");
}

TEST(TeamsBotEmulator, PostActivitySpeaksHttpsTrustingTheTestCa) {
  emu::TeamsBotEmulator teams(pki());
  // The emulator itself is an https server with no /api/messages: it answers 404 and records the POST.
  const auto answer = teams.post_activity(teams.service_url() + "api/messages", teams.channel_message(kDana, "rota"));
  EXPECT_EQ(answer.status, 404);
  ASSERT_EQ(teams.requests().size(), 1u);
  EXPECT_EQ(teams.requests()[0].route, TeamsRoute::other);
  EXPECT_EQ(teams.requests()[0].target, "/api/messages");
  EXPECT_THROW(teams.post_activity("http://127.0.0.1:1/api/messages", json::object()), std::exception);
}

TEST(TeamsBotEmulator, MessagesMentionTheBotInAChannelAndNotInAPersonalChat) {
  emu::TeamsBotEmulator teams(pki());
  const json mention = teams.channel_message(kDana, "escalate https://drafts.example.com/post/77");
  EXPECT_EQ(mention["type"], "message");
  EXPECT_EQ(mention["text"], "<at>Escalation Desk</at> escalate https://drafts.example.com/post/77");
  EXPECT_EQ(mention["conversation"]["id"],
            teams.options().channel_id + ";messageid=" + mention["id"].get<std::string>());
  EXPECT_EQ(mention["conversation"]["conversationType"], "channel");
  json mentioned;
  for (const auto& e : mention["entities"])
    if (e["type"] == "mention") mentioned = e;
  EXPECT_EQ(mentioned["text"], "<at>Escalation Desk</at>");
  EXPECT_EQ(mentioned["mentioned"]["id"], "28:" + teams.options().app_id);
  const json in_thread = teams.channel_message(kDana, "rota", "1700000000007");
  EXPECT_EQ(in_thread["conversation"]["id"], teams.options().channel_id + ";messageid=1700000000007");
  EXPECT_NE(in_thread["id"], mention["id"]);

  const json personal = teams.personal_chat_message(kDana, "rota");
  EXPECT_EQ(personal["text"], "rota");
  EXPECT_EQ(personal["conversation"]["conversationType"], "personal");
  EXPECT_EQ(personal["from"]["aadObjectId"], kDana.aad_object_id);
  for (const auto& e : personal["entities"]) EXPECT_NE(e["type"], "mention");
  EXPECT_EQ(personal["serviceUrl"], teams.service_url());
}

TEST(TeamsBotEmulator, TheRosterSaysWhoAMentionNamesAndTheBotMayReplyToAPersonsMessage) {
  emu::TeamsBotEmulator teams(pki());
  teams.add_member(kErin);
  const std::string channel = teams.options().channel_id;
  const json message = teams.channel_message(kDana, "rota override <at>Erin Walsh</at> duty_lead 2h", {}, {kErin});
  json erin;
  for (const auto& e : message["entities"])
    if (e["type"] == "mention" && e["text"] == "<at>Erin Walsh</at>") erin = e["mentioned"];
  ASSERT_TRUE(erin.is_object()) << message.dump();
  EXPECT_FALSE(erin.contains("aadObjectId")) << "Teams names a mentioned person by their Teams id only";
  const std::string erin_id = erin["id"];
  EXPECT_EQ(erin_id.rfind("29:", 0), 0u);

  const std::string auth = bearer(teams);
  const std::string members = "/v3/conversations/19%3Adesk-channel-emulated%40thread.tacv2/members/";
  const Reply found = call(teams, http::verb::get, members + erin_id, {}, auth);
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(found.parsed()["aadObjectId"], kErin.aad_object_id);
  EXPECT_EQ(found.parsed()["name"], "Erin Walsh");
  EXPECT_EQ(found.parsed()["id"], erin_id);
  EXPECT_EQ(call(teams, http::verb::get, members + erin_id).status, 401) << "the connector wants the bot's token";
  const Reply stranger = call(teams, http::verb::get, members + "29:1nobody", {}, auth);
  EXPECT_EQ(stranger.status, 404);
  EXPECT_EQ(stranger.parsed()["error"]["code"], "MemberNotFoundInConversation");
  const Reply elsewhere =
      call(teams, http::verb::get, "/v3/conversations/19%3Aother%40thread.tacv2/members/" + erin_id, {}, auth);
  EXPECT_EQ(elsewhere.parsed()["error"]["code"], "ConversationNotFound");
  EXPECT_EQ(teams.count(TeamsRoute::member), 4u);

  // The bot answers the person's message in its thread, and a personal chat message in that chat.
  const std::string id = message["id"];
  const Reply answered = call(teams, http::verb::post, activities_path(channel + ";messageid=" + id, id),
                              text_message("Erin Walsh covers duty_lead").dump(), auth);
  ASSERT_EQ(answered.status, 201) << answered.body;
  const auto replies = teams.replies(channel, id);
  for (const auto& a : teams.activities(channel))
    std::cerr << "DBG " << a.id << " thread " << a.thread_id << " to " << a.reply_to_id << " conv " << a.conversation_id
              << " want " << id << "\n";
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].reply_to_id, id);
  const json personal = teams.personal_chat_message(kDana, "rota");
  const std::string chat = personal["conversation"]["id"];
  const Reply in_chat = call(teams, http::verb::post, activities_path(chat, personal["id"]),
                             text_message("Who is on duty now").dump(), auth);
  ASSERT_EQ(in_chat.status, 201) << in_chat.body;
  EXPECT_EQ(teams.replies(chat, personal["id"]).size(), 1u);
  EXPECT_EQ(call(teams, http::verb::put, activities_path(chat, personal["id"]), text_message("x").dump(), auth).status,
            404)
      << "the bot cannot edit a person's message";
}

}  // namespace desk::integration::teams_bot_emulator_test
