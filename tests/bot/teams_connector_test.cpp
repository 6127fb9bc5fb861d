// The Bot Framework's outbound side over real TLS on 127.0.0.1 (a throwaway CA from TestPki): the
// OpenID metadata and key set fetched with GET, the client-credentials token (form body, one request
// for many callers, renewed near expiry, errors without secrets), and the Bot Connector calls (paths
// with encoded ids, PUT for updates, retries honouring Retry-After, one token refresh on 401, "in
// doubt" for a POST whose answer was lost, a PUT sent again). A small Beast server in this file plays
// each service; it answers what the test's handler says.
#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "bot/slack/tls.hpp"
#include "bot/teams/bot_token_client.hpp"
#include "bot/teams/connector_client.hpp"
#include "bot/teams/openid_key_source.hpp"
#include "tests/emulator/test_pki.hpp"

namespace desk::bot::teams::connector_test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

constexpr const char* kPassword = "app-password-Q~never.in.a.log";
constexpr const char* kChannel = "19:d6f1c0b4e5a94f1b@thread.tacv2";

const emulator::TestPki& pki() {
  static emulator::TestPki instance;
  return instance;
}

struct SeenRequest {
  std::string method, target, authorization, content_type, body;
};

struct Reply {
  Reply(unsigned status_code = 200, std::string json_body = "{}", std::string retry_after_header = {})
      : status(status_code), body(std::move(json_body)), retry_after(std::move(retry_after_header)) {}
  unsigned status;
  std::string body;
  std::string retry_after;
  bool hang_up = false;  ///< read the request, then close the connection without answering
  std::chrono::milliseconds delay{0};
};

/// HTTPS on 127.0.0.1, port 0, on the test's io_context: records each request, answers as `handler` says.
class LocalHttpsServer {
 public:
  using Handler = std::function<Reply(const SeenRequest&)>;

  LocalHttpsServer(net::io_context& io, Handler handler)
      : tls_(net::ssl::context::tls_server),
        acceptor_(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
        handler_(std::move(handler)) {
    tls_.use_certificate_chain(net::buffer(pki().trusted().server_cert_pem));
    tls_.use_private_key(net::buffer(pki().trusted().server_key_pem), net::ssl::context::pem);
    net::co_spawn(io, accept_loop(), net::detached);
  }
  ~LocalHttpsServer() { acceptor_.close(); }

  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }

  std::vector<SeenRequest> seen;
  std::size_t connections = 0;

 private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      ++connections;
      net::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> serve(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls_);
    auto [hec] = co_await stream.async_handshake(net::ssl::stream_base::server, kTuple);
    if (hec) co_return;
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [rec, n] = co_await http::async_read(stream, buffer, req, kTuple);
      if (rec) co_return;
      seen.push_back({std::string(req.method_string()), std::string(req.target()),
                      std::string(req[http::field::authorization]), std::string(req[http::field::content_type]),
                      req.body()});
      const Reply reply = handler_(seen.back());
      if (reply.delay.count() > 0) {
        net::steady_timer timer(acceptor_.get_executor(), reply.delay);
        co_await timer.async_wait(kTuple);
      }
      if (reply.hang_up) {
        beast::get_lowest_layer(stream).socket().close();
        co_return;
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      res.set(http::field::content_type, "application/json; charset=utf-8");
      if (!reply.retry_after.empty()) res.set(http::field::retry_after, reply.retry_after);
      res.body() = reply.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
      if (wec || !req.keep_alive()) co_return;
    }
  }

  net::ssl::context tls_;
  tcp::acceptor acceptor_;
  Handler handler_;
};

/// Drives `io` until `task` finishes (the server's loops keep it from running out of work).
template <typename T>
T run_until_done(net::io_context& io, net::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  net::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result = std::move(value);
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!done && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
  if (!done) throw std::runtime_error("timed out");
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

void run_until_done(net::io_context& io, net::awaitable<void> task) {
  auto wrapped = [](net::awaitable<void> inner) -> net::awaitable<bool> {
    co_await std::move(inner);
    co_return true;
  }(std::move(task));
  run_until_done(io, std::move(wrapped));
}

std::map<std::string, std::string> form_fields(const std::string& body) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto end = std::min(body.find('&', start), body.size());
    const auto pair = body.substr(start, end - start);
    const auto eq = pair.find('=');
    out[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
    start = end + 1;
  }
  return out;
}

// ---- OpenID metadata and key set (GET) -----------------------------------------------------------

TEST(OpenIdKeySetFetcher, GetsTheMetadataThenTheKeySetItNames) {
  net::io_context io;
  std::string keys_url;
  LocalHttpsServer server(io, [&](const SeenRequest& r) {
    if (r.target == "/v1/.well-known/openidconfiguration")
      return Reply{200, json{{"issuer", "https://api.botframework.com"}, {"jwks_uri", keys_url}}.dump()};
    if (r.target == "/v1/.well-known/keys")
      return Reply{200, R"({"keys":[{"kty":"RSA","use":"sig","kid":"k1","n":"AQAB","e":"AQAB",
                           "endorsements":["msteams"]}]})"};
    return Reply{404};
  });
  keys_url = server.url("/v1/.well-known/keys");
  OpenIdKeySetFetcher fetcher(io.get_executor(), slack::make_client_tls_context(pki().trusted().ca_cert),
                              server.url("/v1/.well-known/openidconfiguration"));
  const auto set = run_until_done(io, fetcher.fetch());
  ASSERT_NE(set.find("k1"), nullptr);
  EXPECT_EQ(set.find("k1")->endorsements, std::vector<std::string>{"msteams"});
  ASSERT_EQ(server.seen.size(), 2u);
  for (const auto& r : server.seen) {
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.authorization, "");
  }
  EXPECT_EQ(server.connections, 1u) << "one kept connection for the one origin";
}

TEST(OpenIdKeySetFetcher, RefusesAnswersThatAreNotAKeySetOverHttps) {
  net::io_context io;
  std::deque<Reply> replies;
  LocalHttpsServer server(io, [&](const SeenRequest&) {
    auto r = replies.front();
    replies.pop_front();
    return r;
  });
  OpenIdKeySetFetcher fetcher(io.get_executor(), slack::make_client_tls_context(pki().trusted().ca_cert),
                              server.url("/metadata"));
  const std::vector<std::pair<std::vector<Reply>, std::string>> cases = {
      {{Reply{500}}, "the OpenID metadata answered HTTP 500"},
      {{Reply{200, "<html>"}}, "the OpenID metadata is not a JSON object"},
      {{Reply{200, R"({"jwks_uri":"http://127.0.0.1/keys"})"}}, "the OpenID metadata names no https jwks_uri"},
      {{Reply{200, json{{"jwks_uri", server.url("/keys")}}.dump()}, Reply{200, R"({"keys":{}})"}},
       "the key set has no keys array"},
  };
  for (const auto& [answers, cause] : cases) {
    replies.assign(answers.begin(), answers.end());
    try {
      run_until_done(io, fetcher.fetch());
      ADD_FAILURE() << "expected " << cause;
    } catch (const KeySourceError& e) { EXPECT_EQ(std::string(e.what()), cause); }
  }
  EXPECT_THROW(OpenIdKeySetFetcher(io.get_executor(), slack::make_client_tls_context(), "http://login.example/m"),
               std::invalid_argument);
}

// ---- the token ------------------------------------------------------------------------------------

constexpr const char* kTokenPath = "/tenant-1/oauth2/v2.0/token";

/// The login service's token endpoint and a Bot Connector on one local server. Tokens are "token-1",
/// "token-2", …; the connector answers 201 (200 for PUT) with a new id, unless a reply is queued.
struct FakeBotServices {
  explicit FakeBotServices(net::io_context& io) : server(io, [this](const SeenRequest& r) { return answer(r); }) {}

  Reply answer(const SeenRequest& r) {
    const bool to_token = r.target == kTokenPath;
    if (!to_token && r.target.find("/v3/conversations/") == std::string::npos) return Reply{404};
    auto& queued = to_token ? token_replies : connector_replies;
    if (!queued.empty()) {
      auto reply = queued.front();
      queued.pop_front();
      return reply;
    }
    if (!to_token)
      return Reply{r.method == "PUT" ? 200u : 201u, json{{"id", "act-" + std::to_string(++posted)}}.dump()};
    const json token = {{"token_type", "Bearer"},
                        {"expires_in", expires_in},
                        {"ext_expires_in", expires_in},
                        {"access_token", "token-" + std::to_string(++issued)}};
    Reply reply{200, token.dump()};
    reply.delay = token_delay;
    return reply;
  }

  std::vector<SeenRequest> requests(bool to_token) const {
    std::vector<SeenRequest> out;
    for (const auto& r : server.seen)
      if ((r.target == kTokenPath) == to_token) out.push_back(r);
    return out;
  }

  BotTokenConfig token_config() const { return {server.url(kTokenPath), "app-1", kPassword, {}}; }
  std::string service_url() const { return server.url("/emea/"); }

  int issued = 0;
  int posted = 0;
  int expires_in = 3599;
  std::chrono::milliseconds token_delay{0};
  std::deque<Reply> token_replies;
  std::deque<Reply> connector_replies;
  LocalHttpsServer server;  // last: its handler uses the members above
};

ConnectorConfig fast_retries(unsigned max_attempts = 4) {
  ConnectorConfig c;
  c.backoff = {1ms, 4ms};
  c.max_attempts = max_attempts;
  return c;
}

struct BotBed {
  explicit BotBed(ConnectorConfig config = fast_retries()) : connector(io.get_executor(), tls, tokens, config) {}

  std::string token() { return run_until_done(io, tokens.token()); }

  net::io_context io;
  FakeBotServices services{io};
  core::FakeClock clock{core::TimePoint{} + std::chrono::hours{24 * 20000}};
  std::shared_ptr<net::ssl::context> tls = slack::make_client_tls_context(pki().trusted().ca_cert);
  BotTokenClient tokens{io.get_executor(), tls, clock, services.token_config()};
  ConnectorClient connector;
};

TEST(BotTokenClient, AsksWithClientCredentialsForTheBotFrameworkScope) {
  BotBed bed;
  EXPECT_EQ(bed.token(), "token-1");
  ASSERT_EQ(bed.services.server.seen.size(), 1u);
  const auto& request = bed.services.server.seen[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.content_type, "application/x-www-form-urlencoded");
  const auto fields = form_fields(request.body);
  EXPECT_EQ(fields.at("grant_type"), "client_credentials");
  EXPECT_EQ(fields.at("client_id"), "app-1");
  EXPECT_EQ(fields.at("client_secret"), "app-password-Q~never.in.a.log");
  EXPECT_EQ(fields.at("scope"), "https%3A%2F%2Fapi.botframework.com%2F.default");
  EXPECT_EQ(request.authorization, "");
  EXPECT_EQ(default_token_url("72f988bf-86f1-41af-91ab-2d7cd011db47"),
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token");
  EXPECT_THROW(default_token_url("a/../b"), std::invalid_argument);
  EXPECT_THROW(default_token_url(""), std::invalid_argument);
}

TEST(BotTokenClient, KeepsTheTokenUntilFiveMinutesBeforeItExpires) {
  BotBed bed;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(bed.token(), "token-1");
  EXPECT_EQ(bed.services.requests(true).size(), 1u);
  bed.clock.advance(std::chrono::seconds{3599 - 300 - 1});
  EXPECT_EQ(bed.token(), "token-1");
  bed.clock.advance(std::chrono::seconds{1});
  EXPECT_EQ(bed.token(), "token-2");
  EXPECT_EQ(bed.services.requests(true).size(), 2u);
  bed.tokens.invalidate("token-1");  // an old token refused: the current one stays
  EXPECT_EQ(bed.token(), "token-2");
  bed.tokens.invalidate("token-2");
  EXPECT_EQ(bed.token(), "token-3");
}

TEST(BotTokenClient, ConcurrentCallersShareOneRequest) {
  BotBed bed;
  bed.services.token_delay = 50ms;
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i)
    net::co_spawn(bed.io, bed.tokens.token(), [&](std::exception_ptr, std::string t) { got.push_back(t); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.size() < 5 && std::chrono::steady_clock::now() < deadline) bed.io.run_for(5ms);
  EXPECT_EQ(got, std::vector<std::string>(5, "token-1"));
  EXPECT_EQ(bed.services.requests(true).size(), 1u);
}

TEST(BotTokenClient, ErrorsCarryTheOAuthCodeButNeitherSecretNorToken) {
  BotBed bed;
  const json refused = {
      {"error", "invalid_client"},
      {"error_description", std::string("AADSTS7000215: client secret ") + kPassword + " is invalid"}};
  bed.services.token_replies.push_back(Reply{401, refused.dump()});
  try {
    bed.token();
    FAIL() << "expected a BotTokenError";
  } catch (const BotTokenError& e) {
    EXPECT_TRUE(e.permanent());
    EXPECT_EQ(e.oauth_error(), "invalid_client");
    EXPECT_EQ(std::string(e.what()), "the token service answered HTTP 401 (invalid_client)");
  }
  bed.services.token_replies.push_back(Reply{503, "{}"});
  try {
    bed.token();
    FAIL() << "expected a BotTokenError";
  } catch (const BotTokenError& e) { EXPECT_FALSE(e.permanent()); }
  bed.services.token_replies.push_back(Reply{200, R"({"token_type":"Bearer","expires_in":3600})"});
  EXPECT_THROW(bed.token(), BotTokenError);
  bed.services.token_replies.push_back(
      Reply{200, R"({"token_type":"Bearer","expires_in":3600,"access_token":"abc\r\nX-Injected: 1"})"});
  EXPECT_THROW(bed.token(), BotTokenError);
  EXPECT_EQ(bed.token(), "token-1") << "each failure was forgotten; the next call asks again";
  const BotTokenConfig plain_http{"http://127.0.0.1/t", "app-1", kPassword, {}};
  EXPECT_THROW(BotTokenClient(bed.io.get_executor(), bed.tls, bed.clock, plain_http), std::invalid_argument);
  const BotTokenConfig no_password{bed.services.token_config().token_url, "app-1", "", {}};
  EXPECT_THROW(BotTokenClient(bed.io.get_executor(), bed.tls, bed.clock, no_password), std::invalid_argument);
}

// ---- the Bot Connector ----------------------------------------------------------------------------

TEST(ConnectorPaths, EncodeConversationAndActivityIds) {
  const auto url = activities_url("https://smba.trafficmanager.net/emea", "19:abc@thread.tacv2;messageid=17", "1:7x");
  EXPECT_EQ(url.host, "smba.trafficmanager.net");
  EXPECT_EQ(url.target, "/emea/v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D17/activities/1%3A7x");
  EXPECT_EQ(activities_url("https://127.0.0.1:4443/", "a:b").target, "/v3/conversations/a%3Ab/activities");
  for (const std::string bad : {"http://smba.trafficmanager.net/emea/", "https://smba.trafficmanager.net/emea/?x=1",
                                "smba.trafficmanager.net/emea/", ""}) {
    try {
      activities_url(bad, "a:b");
      ADD_FAILURE() << bad;
    } catch (const ConnectorError& e) { EXPECT_EQ(e.kind(), ConnectorError::Kind::permanent) << bad; }
  }
  EXPECT_THROW(activities_url("https://smba.trafficmanager.net/emea/", ""), ConnectorError);
}

json message(const std::string& text) { return {{"type", "message"}, {"text", text}}; }

/// The ConnectorError `task` ends with (fails the test when it ends well).
template <typename T>
ConnectorError error_of(BotBed& bed, net::awaitable<T> task) {
  try {
    run_until_done(bed.io, std::move(task));
  } catch (const ConnectorError& e) { return e; }
  ADD_FAILURE() << "expected a ConnectorError";
  return ConnectorError(ConnectorError::Kind::permanent, "none");
}

TEST(ConnectorClient, PostsRepliesAndUpdatesOnEncodedPathsWithTheToken) {
  BotBed bed;
  const auto url = bed.services.service_url();
  EXPECT_EQ(run_until_done(bed.io, bed.connector.post_activity(url, kChannel, message("card"))), "act-1");
  EXPECT_EQ(run_until_done(bed.io, bed.connector.reply_to(url, kChannel, "act-1", message("reply"))), "act-2");
  run_until_done(bed.io, bed.connector.update_activity(url, kChannel, "act-1", message("decided")));

  const auto seen = bed.services.requests(false);
  ASSERT_EQ(seen.size(), 3u);
  const std::string base = "/emea/v3/conversations/19%3Ad6f1c0b4e5a94f1b%40thread.tacv2/activities";
  EXPECT_EQ(seen[0].method + " " + seen[0].target, "POST " + base);
  EXPECT_EQ(seen[1].method + " " + seen[1].target, "POST " + base + "/act-1");
  EXPECT_EQ(seen[2].method + " " + seen[2].target, "PUT " + base + "/act-1");
  for (const auto& r : seen) {
    EXPECT_EQ(r.authorization, "Bearer token-1");
    EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
  }
  EXPECT_EQ(json::parse(seen[2].body), message("decided"));
  EXPECT_EQ(bed.services.requests(true).size(), 1u) << "one token for every call";
  EXPECT_EQ(bed.connector.connections_opened(), 1u) << "one kept connection per origin";
}

TEST(ConnectorClient, LooksUpWhoAMemberIsAndHearsNoneForSomeoneNotThere) {
  BotBed bed;
  const auto url = bed.services.service_url();
  bed.services.connector_replies = {
      Reply{429, "{}", "0"},
      Reply{200, R"({"id":"29:1bob","name":"Bob Lee","aadObjectId":"6b1f0c9e-0000-4000-8000-000000000001"})"},
      Reply{404, R"({"error":{"code":"MemberNotFoundInConversation","message":"Member not found."}})"},
      Reply{200, R"({"id":"29:1bob","name":"Bob Lee"})"},
      Reply{403, R"({"error":{"code":"BotNotInConversationRoster","message":"not in the team"}})"}};
  const auto bob = run_until_done(bed.io, bed.connector.member(url, kChannel, "29:1bob"));
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->aad_object_id, "6b1f0c9e-0000-4000-8000-000000000001");
  EXPECT_EQ(bob->name, "Bob Lee");
  const auto seen = bed.services.requests(false);
  ASSERT_EQ(seen.size(), 2u) << "the 429 was retried";
  EXPECT_EQ(seen[1].method + " " + seen[1].target,
            "GET /emea/v3/conversations/19%3Ad6f1c0b4e5a94f1b%40thread.tacv2/members/29%3A1bob");
  EXPECT_EQ(seen[1].authorization, "Bearer token-1");
  EXPECT_TRUE(seen[1].body.empty());
  EXPECT_FALSE(run_until_done(bed.io, bed.connector.member(url, kChannel, "29:1gone"))) << "404: no such member";
  EXPECT_EQ(error_of(bed, bed.connector.member(url, kChannel, "29:1bob")).kind(), ConnectorError::Kind::permanent)
      << "an answer without aadObjectId names nobody";
  const auto refused = error_of(bed, bed.connector.member(url, kChannel, "29:1bob"));
  EXPECT_EQ(refused.kind(), ConnectorError::Kind::permanent);
  EXPECT_EQ(refused.code(), "BotNotInConversationRoster");
  EXPECT_THROW(member_url(url, kChannel, ""), ConnectorError);
}

TEST(ConnectorClient, RetriesThrottlingAndGatewayErrorsHonouringRetryAfter) {
  BotBed bed(fast_retries(5));
  bed.services.connector_replies = {Reply{429, "{}", "1"}, Reply{412}, Reply{502}, Reply{504}};
  const auto started = std::chrono::steady_clock::now();
  const auto id =
      run_until_done(bed.io, bed.connector.post_activity(bed.services.service_url(), kChannel, message("x")));
  EXPECT_EQ(id, "act-1");
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1s) << "Retry-After: 1 was waited out";
  EXPECT_EQ(bed.services.requests(false).size(), 5u);
}

TEST(ConnectorClient, GivesUpAsTransientAfterItsAttemptsOrOnATooLongRetryAfter) {
  BotBed bed(fast_retries(3));
  const auto url = bed.services.service_url();
  bed.services.connector_replies = {Reply{502}, Reply{502}, Reply{502}, Reply{502}};
  auto e = error_of(bed, bed.connector.post_activity(url, kChannel, message("x")));
  EXPECT_EQ(e.kind(), ConnectorError::Kind::transient);
  EXPECT_EQ(e.status(), 502u);
  EXPECT_EQ(bed.services.requests(false).size(), 3u);

  bed.services.connector_replies = {Reply{429, "{}", "120"}};
  e = error_of(bed, bed.connector.update_activity(url, kChannel, "act-9", message("x")));
  EXPECT_EQ(e.kind(), ConnectorError::Kind::transient);
  EXPECT_EQ(e.retry_after(), std::chrono::seconds{120}) << "the outbox can park the row that long";
  EXPECT_EQ(bed.services.requests(false).size(), 4u) << "not held for two minutes";

  bed.services.connector_replies = {Reply{500, R"({"error":{"code":"ServiceError","message":"try later"}})"}};
  e = error_of(bed, bed.connector.post_activity(url, kChannel, message("x")));
  EXPECT_EQ(e.kind(), ConnectorError::Kind::transient);
  EXPECT_EQ(e.code(), "ServiceError");
  EXPECT_EQ(bed.services.requests(false).size(), 5u) << "a 500 is not retried here: the POST may have been done";
}

TEST(ConnectorClient, OtherClientErrorsArePermanentWithTheServicesCodeAndMessage) {
  BotBed bed;
  const auto url = bed.services.service_url();
  bed.services.connector_replies = {
      Reply{400, R"({"error":{"code":"BadArgument","message":"Activity text is too long"}})"},
      Reply{404, R"({"error":{"code":"ConversationNotFound","message":"Conversation not found."}})"}};
  auto e = error_of(bed, bed.connector.post_activity(url, kChannel, message("x")));
  EXPECT_EQ(e.kind(), ConnectorError::Kind::permanent);
  EXPECT_EQ(e.status(), 400u);
  EXPECT_EQ(e.code(), "BadArgument");
  EXPECT_EQ(std::string(e.what()), "post activity: HTTP 400 BadArgument: Activity text is too long");
  e = error_of(bed, bed.connector.update_activity(url, kChannel, "act-1", message("x")));
  EXPECT_EQ(e.code(), "ConversationNotFound");
  EXPECT_EQ(bed.services.requests(false).size(), 2u);

  e = error_of(bed, bed.connector.post_activity(url, kChannel, json::array({"not", "an", "activity"})));
  EXPECT_EQ(e.kind(), ConnectorError::Kind::permanent);
  e = error_of(bed, bed.connector.reply_to(url, kChannel, "", message("x")));
  EXPECT_EQ(e.kind(), ConnectorError::Kind::permanent);
  e = error_of(bed, bed.connector.post_activity("http://127.0.0.1:1/emea/", kChannel, message("x")));
  EXPECT_EQ(e.kind(), ConnectorError::Kind::permanent);
  EXPECT_EQ(bed.services.requests(false).size(), 2u) << "nothing invalid was sent";
}

TEST(ConnectorClient, A401FetchesANewTokenOnceThenGivesUp) {
  BotBed bed;
  const auto url = bed.services.service_url();
  bed.services.connector_replies = {Reply{401}};
  EXPECT_EQ(run_until_done(bed.io, bed.connector.post_activity(url, kChannel, message("x"))), "act-1");
  auto seen = bed.services.requests(false);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].authorization, "Bearer token-1");
  EXPECT_EQ(seen[1].authorization, "Bearer token-2");

  bed.services.connector_replies = {Reply{401}, Reply{401}, Reply{401}};
  const auto e = error_of(bed, bed.connector.update_activity(url, kChannel, "act-1", message("x")));
  EXPECT_EQ(e.kind(), ConnectorError::Kind::permanent);
  EXPECT_EQ(e.status(), 401u);
  EXPECT_EQ(bed.services.requests(false).size(), 4u);
  EXPECT_EQ(bed.services.requests(true).size(), 3u) << "one refresh per call";
}

TEST(ConnectorClient, APostWhoseAnswerIsLostIsInDoubtButAPutIsSentAgain) {
  BotBed bed;
  const auto url = bed.services.service_url();
  Reply lost;
  lost.hang_up = true;
  bed.services.connector_replies = {lost};
  auto e = error_of(bed, bed.connector.post_activity(url, kChannel, message("x")));
  EXPECT_EQ(e.kind(), ConnectorError::Kind::in_doubt);
  EXPECT_EQ(bed.services.requests(false).size(), 1u) << "never posted twice";

  bed.services.connector_replies = {lost};
  run_until_done(bed.io, bed.connector.update_activity(url, kChannel, "act-1", message("x")));
  const auto seen = bed.services.requests(false);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(seen[2].method, "PUT");
}

TEST(ConnectorClient, RefusedCredentialsSayNothingWillWorkUntilTheConfigChanges) {
  BotBed bed;
  bed.services.token_replies = {Reply{400, R"({"error":"unauthorized_client"})"}};
  const auto e = error_of(bed, bed.connector.post_activity(bed.services.service_url(), kChannel, message("x")));
  EXPECT_EQ(e.kind(), ConnectorError::Kind::credentials);
  EXPECT_EQ(e.code(), "unauthorized_client");
  EXPECT_EQ(std::string(e.what()).find(kPassword), std::string::npos);
  EXPECT_TRUE(bed.services.requests(false).empty());
}

TEST(ConnectorClient, CancelEndsACallWaitingOutARetryAfter) {
  BotBed bed;
  bed.services.connector_replies = {Reply{429, "{}", "30"}};
  std::optional<ConnectorError> ended;
  net::co_spawn(bed.io, bed.connector.post_activity(bed.services.service_url(), kChannel, message("x")),
                [&](std::exception_ptr e, std::string) {
                  try {
                    if (e) std::rethrow_exception(e);
                  } catch (const ConnectorError& error) { ended = error; }
                });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (bed.services.requests(false).empty() && std::chrono::steady_clock::now() < deadline) bed.io.run_for(5ms);
  bed.io.run_for(20ms);
  bed.connector.cancel();
  for (int i = 0; i < 20 && !ended; ++i) bed.io.run_for(5ms);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->kind(), ConnectorError::Kind::transient);
  EXPECT_EQ(std::string(ended->what()), "not sent: the desk is stopping");
  EXPECT_EQ(bed.services.requests(false).size(), 1u);
}

}  // namespace desk::bot::teams::connector_test
