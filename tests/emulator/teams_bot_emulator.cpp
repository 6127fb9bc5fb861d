#include "tests/emulator/teams_bot_emulator.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace desk::emulator {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

constexpr std::string_view kMetadataPath = "/v1/.well-known/openidconfiguration";
constexpr std::string_view kJwksPath = "/v1/.well-known/keys";
constexpr const char* kBotFrameworkScope = "https://api.botframework.com/.default";
constexpr std::string_view kMessageIdMarker = ";messageid=";

std::string route_name(TeamsRoute route) {
  static constexpr const char* kNames[] = {"openid_metadata", "jwks",   "token",  "send",
                                           "reply",           "update", "member", "other"};
  return kNames[static_cast<int>(route)];
}

bool is_connector(TeamsRoute route) {
  return route == TeamsRoute::send || route == TeamsRoute::reply || route == TeamsRoute::update ||
         route == TeamsRoute::member;
}

// Conversation ids travel percent-encoded in paths ("19%3A…%40thread.tacv2") and form fields with
// '+' for spaces.
std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += plus_is_space && text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> fields;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto pair = body.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos)
      fields[percent_decode(pair.substr(0, eq), true)] = percent_decode(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return fields;
}

std::vector<std::string> path_segments(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.push_back(percent_decode(path.substr(0, slash), false));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

// An answer before it becomes an HTTP response.
struct Answer {
  int status = 200;
  Json body;
  std::optional<int> retry_after;
  bool drop = false;
};

Answer connector_error(int status, const std::string& code, const std::string& message) {
  return Answer{status, Json{{"error", {{"code", code}, {"message", message}}}}, std::nullopt, false};
}

Answer oauth_error(int status, const std::string& error, const std::string& description) {
  return Answer{status, Json{{"error", error}, {"error_description", description}}, std::nullopt, false};
}

// A status queued by fail_next, answered in the shape the route's real service uses for errors.
Answer injected(TeamsRoute route, int status, std::optional<int> retry_after) {
  Answer answer =
      route == TeamsRoute::token
          ? oauth_error(status, "temporarily_unavailable", "injected by the test")
          : connector_error(status, status == 429 ? "TooManyRequests" : "ServiceError", "injected by the test");
  answer.retry_after = retry_after;
  return answer;
}

struct Fault {
  int status = 0;
  std::optional<int> retry_after;
};

}  // namespace

std::vector<Json> BotActivity::cards() const {
  std::vector<Json> out;
  for (const auto& a : content.value("attachments", Json::array()))
    if (a.is_object() && a.value("contentType", "") == kAdaptiveCardContentType)
      out.push_back(a.value("content", Json()));
  return out;
}

struct TeamsBotEmulator::Impl {
  Impl(const TestPki& pki, TeamsBotOptions opts)
      : options(std::move(opts)), ca_pem(pki.trusted().ca_pem), tls(net::ssl::context::tls_server), acceptor(io) {
    // RSA key generation takes a few hundred milliseconds; three at once keep a test's start short.
    auto unendorsed = std::async(std::launch::async, [] { return SigningKey({"webchat"}); });
    auto forger = std::async(std::launch::async, [this] { return SigningKey(options.endorsements); });
    keys.emplace_back(options.endorsements);
    keys.push_back(unendorsed.get());
    keys.push_back(forger.get());  // never published
    current_kid = keys[0].kid();
    unendorsed_kid = keys[1].kid();
    unpublished_kid = keys[2].kid();
    published = {current_kid, unendorsed_kid};
    token_lifetime = options.token_lifetime;

    tls.use_certificate_chain(net::buffer(pki.trusted().server_cert_pem));
    tls.use_private_key(net::buffer(pki.trusted().server_key_pem), net::ssl::context::pem);
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    net::co_spawn(io, accept_loop(), net::detached);
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() {
    net::post(io, [this] {
      boost::system::error_code ec;
      acceptor.close(ec);
    });
    io.stop();
    thread.join();
  }

  std::string base_url() const { return "https://127.0.0.1:" + std::to_string(port); }

  // ---- HTTP ------------------------------------------------------------------------------------

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      net::co_spawn(io, serve(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> serve(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(std::chrono::seconds{10});
    auto [hec] = co_await stream.async_handshake(net::ssl::stream_base::server, kTuple);
    beast::flat_buffer buffer;
    while (!hec) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1024 * 1024);
      lowest.expires_after(std::chrono::seconds{30});
      auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kTuple);
      if (rec) break;
      const auto& request = parser.get();
      const Answer answer = handle(request);
      if (answer.drop) break;  // processed, and the client never hears of it
      http::response<http::string_body> response{static_cast<http::status>(answer.status), request.version()};
      response.set(http::field::content_type, "application/json; charset=utf-8");
      if (answer.retry_after) response.set(http::field::retry_after, std::to_string(*answer.retry_after));
      response.keep_alive(request.keep_alive());
      response.body() = answer.body.dump();
      response.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, response, kTuple);
      if (wec || !response.keep_alive()) break;
    }
    boost::system::error_code ec;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest.socket().close(ec);
  }

  // ---- Routing (under the lock) ----------------------------------------------------------------

  Answer handle(const http::request<http::string_body>& request) {
    std::lock_guard lock(mu);
    TeamsRequest record;
    record.method = std::string(request.method_string());
    record.target = std::string(request.target());
    const std::string path = record.target.substr(0, record.target.find('?'));
    const auto segments = path_segments(path);
    const bool post = request.method() == http::verb::post;
    if (request.method() == http::verb::get && path == kMetadataPath) {
      record.route = TeamsRoute::openid_metadata;
    } else if (request.method() == http::verb::get && path == kJwksPath) {
      record.route = TeamsRoute::jwks;
    } else if (post && segments.size() == 4 && segments[1] == "oauth2" && segments[2] == "v2.0" &&
               segments[3] == "token") {
      record.route = TeamsRoute::token;
    } else if (segments.size() >= 4 && segments.size() <= 5 && segments[0] == "v3" && segments[1] == "conversations" &&
               segments[3] == "activities") {
      record.conversation_id = segments[2];
      if (segments.size() == 5) record.activity_id = segments[4];
      if (post) record.route = segments.size() == 4 ? TeamsRoute::send : TeamsRoute::reply;
      if (request.method() == http::verb::put && segments.size() == 5) record.route = TeamsRoute::update;
    } else if (request.method() == http::verb::get && segments.size() == 5 && segments[0] == "v3" &&
               segments[1] == "conversations" && segments[3] == "members") {
      record.route = TeamsRoute::member;
      record.conversation_id = segments[2];
      record.activity_id = segments[4];
    }

    Answer answer = route(record, request, segments);
    if (!answer.drop && answer.status < 300 && take_drop(record.route)) answer.drop = true;
    record.status = answer.status;
    record.dropped = answer.drop;
    requests.push_back(std::move(record));
    return answer;
  }

  Answer route(TeamsRequest& record, const http::request<http::string_body>& request,
               const std::vector<std::string>& segments) {
    if (record.route == TeamsRoute::other) return connector_error(404, "NotFound", "no such route");
    if (is_connector(record.route)) {
      if (!authorized(request[http::field::authorization]))
        return Answer{401, Json{{"message", "Authorization has been denied for this request."}}, std::nullopt, false};
    }
    if (auto fault = take_fault(record.route)) return injected(record.route, fault->status, fault->retry_after);
    switch (record.route) {
      case TeamsRoute::openid_metadata:
        return Answer{200, metadata(), std::nullopt, false};
      case TeamsRoute::jwks:
        return Answer{200, jwks(), std::nullopt, false};
      case TeamsRoute::token:
        return token(record, request, segments[0]);
      case TeamsRoute::member:
        return member(record);
      default:
        return connector(record, request.body());
    }
  }

  std::optional<Fault> take_fault(TeamsRoute route) {
    auto& queue = faults[route];
    if (queue.empty()) return std::nullopt;
    Fault fault = queue.front();
    queue.pop_front();
    return fault;
  }

  bool take_drop(TeamsRoute route) {
    auto it = drops.find(route);
    if (it == drops.end() || it->second == 0) return false;
    --it->second;
    return true;
  }

  Json metadata() const {
    return Json{{"issuer", kBotFrameworkIssuer},
                {"authorization_endpoint", "https://invalid.botframework.com"},
                {"jwks_uri", base_url() + std::string(kJwksPath)},
                {"id_token_signing_alg_values_supported", Json::array({"RS256"})},
                {"token_endpoint_auth_methods_supported", Json::array({"private_key_jwt"})}};
  }

  Json jwks() const {
    Json list = Json::array();
    for (const auto& kid : published) list.push_back(key(kid).jwk());
    return Json{{"keys", list}};
  }

  const SigningKey& key(const std::string& kid) const {
    for (const auto& k : keys)
      if (k.kid() == kid) return k;
    throw std::invalid_argument("TeamsBotEmulator: no key with kid " + kid);
  }

  // ---- Token endpoint --------------------------------------------------------------------------

  // Entra ID's answers (AADSTS codes) for what a client gets wrong; the secret is compared, never kept.
  Answer token(TeamsRequest& record, const http::request<http::string_body>& request, const std::string& tenant) {
    auto form = parse_form(request.body());
    const std::string secret = form["client_secret"];
    form.erase("client_secret");
    record.body = form;
    if (tenant != options.tenant_id)
      return oauth_error(400, "invalid_request", "AADSTS90002: Tenant '" + tenant + "' not found.");
    if (!std::string_view(request[http::field::content_type]).starts_with("application/x-www-form-urlencoded"))
      return oauth_error(400, "invalid_request", "AADSTS900144: The request body must be form-encoded.");
    if (form["grant_type"] != "client_credentials")
      return oauth_error(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.");
    if (form["client_id"] != options.app_id)
      return oauth_error(400, "unauthorized_client",
                         "AADSTS700016: Application with identifier '" + form["client_id"] + "' was not found.");
    if (secret != options.app_password)
      return oauth_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
    if (form["scope"] != kBotFrameworkScope)
      return oauth_error(400, "invalid_scope", "AADSTS70011: The provided value for scope is not valid.");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string access_token = "emu-teams-access.";
    for (int i = 0; i < 40; ++i) access_token += kHex[rng() % 16];
    issued.emplace_back(access_token, Clock::now() + token_lifetime);
    const auto lifetime = token_lifetime.count();
    return Answer{200,
                  Json{{"token_type", "Bearer"},
                       {"expires_in", lifetime},
                       {"ext_expires_in", lifetime},
                       {"access_token", access_token}},
                  std::nullopt, false};
  }

  bool authorized(std::string_view header) const {
    if (!header.starts_with("Bearer ")) return false;
    header.remove_prefix(7);
    const auto now = Clock::now();
    for (const auto& [token, expires] : issued)
      if (token == header) return now < expires;
    return false;
  }

  // ---- Connector -------------------------------------------------------------------------------

  BotActivity* find(const std::string& conversation_id, const std::string& id) {
    for (auto& a : activities)
      if (a.conversation_id == conversation_id && a.id == id) return &a;
    return nullptr;
  }

  Answer connector(TeamsRequest& record, const std::string& body) {
    record.body = Json::parse(body, nullptr, false);
    if (record.body.is_discarded()) record.body = nullptr;
    if (!record.body.is_object() || record.body.value("type", "") != "message")
      return connector_error(400, "BadArgument", "the body must be a JSON activity of type \"message\"");
    // A channel thread is addressed as "<channel>;messageid=<root>": posting there replies in it.
    std::string conversation = record.conversation_id;
    std::string addressed = record.activity_id;
    if (const auto at = conversation.find(kMessageIdMarker); at != std::string::npos) {
      if (addressed.empty()) addressed = conversation.substr(at + kMessageIdMarker.size());
      conversation.resize(at);
    }
    BotActivity* target = addressed.empty() ? nullptr : find(conversation, addressed);
    // A person's message (to the bot) can be replied to as well; its thread is the one it is in.
    const auto by_person = people_messages.find({conversation, addressed});
    const bool to_person = target == nullptr && by_person != people_messages.end() && record.route == TeamsRoute::reply;
    if (!addressed.empty() && target == nullptr && !to_person)
      return connector_error(404, "NotFound", "no activity " + addressed + " in " + conversation);

    std::string id;
    if (record.route == TeamsRoute::update) {
      id = target->id;
      target->content = record.body;
      target->history.push_back(record.body);
    } else {
      id = new_message_id();  // shared with people's messages: ids never collide
      BotActivity created;
      created.conversation_id = conversation;
      created.id = id;
      created.reply_to_id = addressed;
      created.thread_id = target != nullptr ? target->thread_id : to_person ? by_person->second : id;
      created.content = record.body;
      created.history = {record.body};
      if (std::find(conversation_order.begin(), conversation_order.end(), conversation) == conversation_order.end())
        conversation_order.push_back(conversation);
      activities.push_back(std::move(created));
    }
    for (const auto& problem : check_activity_cards(record.body, body.size(), options.card_rules))
      card_problems.push_back(route_name(record.route) + " " + conversation + "/" + id + ": " + problem);
    // Like the Bot Connector: 201 Created for a new activity, 200 for one updated in place.
    return Answer{record.route == TeamsRoute::update ? 200 : 201, Json{{"id", id}}, std::nullopt, false};
  }

  // The member route: the team's roster. Any conversation of the team (its id, the desk channel, a
  // thread in it) answers for it, as the service does.
  Answer member(const TeamsRequest& record) {
    std::string conversation = record.conversation_id.substr(0, record.conversation_id.find(kMessageIdMarker));
    if (conversation != options.channel_id && conversation != options.team_id)
      return connector_error(404, "ConversationNotFound", "Conversation not found.");
    const auto found = roster.find(record.activity_id);
    if (found == roster.end())
      return connector_error(404, "MemberNotFoundInConversation", "The member was not found in the conversation.");
    const TeamsUser& user = found->second;
    return Answer{200,
                  Json{{"id", teams_user_id(user)},
                       {"name", user.name},
                       {"aadObjectId", user.aad_object_id},
                       {"tenantId", options.tenant_id},
                       {"userRole", "user"}},
                  std::nullopt, false};
  }

  TeamsBotOptions options;
  std::string ca_pem;
  net::io_context io{1};
  net::ssl::context tls;
  tcp::acceptor acceptor;
  unsigned short port = 0;
  std::thread thread;

  mutable std::mutex mu;               // guards everything below; I/O objects are touched on the io thread only
  std::vector<SigningKey> keys;        // every key held: published, removed and the forger's
  std::vector<std::string> published;  // kids in JWKS order
  std::string current_kid, unendorsed_kid, unpublished_kid;
  std::chrono::seconds token_lifetime{3599};
  std::vector<std::pair<std::string, Clock::time_point>> issued;  // access tokens and their expiry
  std::mt19937_64 rng{std::random_device{}()};
  std::map<TeamsRoute, std::deque<Fault>> faults;
  std::map<TeamsRoute, int> drops;
  std::vector<TeamsRequest> requests;
  std::vector<std::string> conversation_order;
  std::vector<BotActivity> activities;      // creation order
  std::map<std::string, TeamsUser> roster;  // the team's members by Teams user id
  // Messages people sent to the bot, by (conversation, id): the thread each is in.
  std::map<std::pair<std::string, std::string>, std::string> people_messages;
  std::vector<std::string> card_problems;
};

TeamsBotEmulator::TeamsBotEmulator(const TestPki& pki, TeamsBotOptions options)
    : impl_(std::make_unique<Impl>(pki, std::move(options))) {}
TeamsBotEmulator::~TeamsBotEmulator() = default;

const TeamsBotOptions& TeamsBotEmulator::options() const { return impl_->options; }
unsigned short TeamsBotEmulator::port() const { return impl_->port; }
std::string TeamsBotEmulator::openid_metadata_url() const { return impl_->base_url() + std::string(kMetadataPath); }
std::string TeamsBotEmulator::jwks_url() const { return impl_->base_url() + std::string(kJwksPath); }
std::string TeamsBotEmulator::token_url() const {
  return impl_->base_url() + "/" + impl_->options.tenant_id + "/oauth2/v2.0/token";
}
std::string TeamsBotEmulator::service_url() const { return impl_->base_url() + "/"; }

TeamsScene TeamsBotEmulator::scene() const {
  const auto& o = impl_->options;
  return TeamsScene{service_url(), o.app_id, o.bot_name, o.tenant_id, o.team_id, o.channel_id};
}

// ---- Keys ----------------------------------------------------------------------------------------

std::string TeamsBotEmulator::current_kid() const {
  std::lock_guard lock(impl_->mu);
  return impl_->current_kid;
}

std::string TeamsBotEmulator::unendorsed_kid() const {
  std::lock_guard lock(impl_->mu);
  return impl_->unendorsed_kid;
}

std::string TeamsBotEmulator::add_key(std::vector<std::string> endorsements) {
  SigningKey key(std::move(endorsements));  // generated outside the lock: it takes a while
  std::lock_guard lock(impl_->mu);
  impl_->keys.push_back(key);
  impl_->published.push_back(key.kid());
  return key.kid();
}

std::string TeamsBotEmulator::rotate_key() {
  const std::string kid = add_key(impl_->options.endorsements);
  std::lock_guard lock(impl_->mu);
  impl_->current_kid = kid;
  return kid;
}

void TeamsBotEmulator::remove_key(const std::string& kid) {
  std::lock_guard lock(impl_->mu);
  std::erase(impl_->published, kid);
}

std::vector<std::string> TeamsBotEmulator::published_kids() const {
  std::lock_guard lock(impl_->mu);
  return impl_->published;
}

nlohmann::json TeamsBotEmulator::jwks() const {
  std::lock_guard lock(impl_->mu);
  return impl_->jwks();
}

std::size_t TeamsBotEmulator::metadata_fetches() const { return count(TeamsRoute::openid_metadata); }
std::size_t TeamsBotEmulator::jwks_fetches() const { return count(TeamsRoute::jwks); }

// ---- Tokens --------------------------------------------------------------------------------------

void TeamsBotEmulator::set_token_lifetime(std::chrono::seconds lifetime) {
  std::lock_guard lock(impl_->mu);
  impl_->token_lifetime = lifetime;
}

void TeamsBotEmulator::expire_access_tokens() {
  std::lock_guard lock(impl_->mu);
  for (auto& [token, expires] : impl_->issued) expires = Clock::now();
}

std::size_t TeamsBotEmulator::tokens_issued() const {
  std::lock_guard lock(impl_->mu);
  return impl_->issued.size();
}

std::vector<std::string> TeamsBotEmulator::access_tokens() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [token, expires] : impl_->issued) out.push_back(token);
  return out;
}

// ---- Connector records ---------------------------------------------------------------------------

std::vector<TeamsRequest> TeamsBotEmulator::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

std::size_t TeamsBotEmulator::count(TeamsRoute route) const {
  std::lock_guard lock(impl_->mu);
  return static_cast<std::size_t>(std::count_if(impl_->requests.begin(), impl_->requests.end(),
                                                [&](const TeamsRequest& r) { return r.route == route; }));
}

std::vector<std::string> TeamsBotEmulator::conversations() const {
  std::lock_guard lock(impl_->mu);
  return impl_->conversation_order;
}

std::vector<BotActivity> TeamsBotEmulator::activities(const std::string& conversation_id) const {
  std::lock_guard lock(impl_->mu);
  std::vector<BotActivity> out;
  for (const auto& a : impl_->activities)
    if (a.conversation_id == conversation_id) out.push_back(a);
  return out;
}

std::vector<BotActivity> TeamsBotEmulator::replies(const std::string& conversation_id,
                                                   const std::string& activity_id) const {
  std::vector<BotActivity> out;
  for (auto& a : activities(conversation_id))
    if (a.thread_id == activity_id && a.id != activity_id) out.push_back(std::move(a));
  return out;
}

std::optional<BotActivity> TeamsBotEmulator::activity(const std::string& conversation_id,
                                                      const std::string& activity_id) const {
  std::lock_guard lock(impl_->mu);
  if (const BotActivity* a = impl_->find(conversation_id, activity_id)) return *a;
  return std::nullopt;
}

std::vector<std::string> TeamsBotEmulator::card_problems() const {
  std::lock_guard lock(impl_->mu);
  return impl_->card_problems;
}

// ---- Faults --------------------------------------------------------------------------------------

void TeamsBotEmulator::fail_next(TeamsRoute route, int times, int status, std::optional<int> retry_after_s) {
  std::lock_guard lock(impl_->mu);
  for (int i = 0; i < times; ++i) impl_->faults[route].push_back(Fault{status, retry_after_s});
}

void TeamsBotEmulator::throttle_next(TeamsRoute route, int times, int retry_after_s) {
  fail_next(route, times, 429, retry_after_s);
}

void TeamsBotEmulator::drop_next_answer(TeamsRoute route) {
  std::lock_guard lock(impl_->mu);
  ++impl_->drops[route];
}

// ---- Inbound -------------------------------------------------------------------------------------

nlohmann::json TeamsBotEmulator::card_action(const TeamsUser& from, const std::string& card_activity_id,
                                             const std::string& verb, const nlohmann::json& data,
                                             const nlohmann::json& inputs) const {
  return card_action_invoke(scene(), from, card_activity_id, verb, data, inputs);
}

nlohmann::json TeamsBotEmulator::channel_message(const TeamsUser& from, const std::string& text,
                                                 const std::string& thread_root_id,
                                                 const std::vector<TeamsUser>& mentioned) const {
  auto message = channel_mention_message(scene(), from, text, thread_root_id, mentioned);
  const std::string id = message["id"];
  std::lock_guard lock(impl_->mu);
  impl_->people_messages[{impl_->options.channel_id, id}] = thread_root_id.empty() ? id : thread_root_id;
  return message;
}

nlohmann::json TeamsBotEmulator::personal_chat_message(const TeamsUser& from, const std::string& text) const {
  auto message = personal_message(scene(), from, text);
  const std::string id = message["id"];
  std::lock_guard lock(impl_->mu);
  impl_->people_messages[{message["conversation"]["id"].get<std::string>(), id}] = id;
  return message;
}

void TeamsBotEmulator::add_member(const TeamsUser& user) {
  std::lock_guard lock(impl_->mu);
  impl_->roster[teams_user_id(user)] = user;
}

std::string TeamsBotEmulator::token_for(const nlohmann::json& activity, TokenVariant variant) const {
  const std::string service_url =
      activity.is_object() ? activity.value("serviceUrl", this->service_url()) : this->service_url();
  std::lock_guard lock(impl_->mu);
  const TokenKeys keys{impl_->key(impl_->current_kid), impl_->key(impl_->unendorsed_kid),
                       impl_->key(impl_->unpublished_kid)};
  return bot_framework_token(keys, impl_->options.app_id, service_url, variant, std::chrono::system_clock::now());
}

std::string TeamsBotEmulator::token_signed_by(const nlohmann::json& activity, const std::string& kid) const {
  const std::string service_url =
      activity.is_object() ? activity.value("serviceUrl", this->service_url()) : this->service_url();
  std::lock_guard lock(impl_->mu);
  return bot_framework_token_signed_by(impl_->key(kid), impl_->options.app_id, service_url,
                                       std::chrono::system_clock::now());
}

InboundResponse TeamsBotEmulator::post_activity(const std::string& messages_url, const nlohmann::json& activity,
                                                TokenVariant variant, std::chrono::milliseconds timeout) const {
  std::optional<std::string> authorization;
  if (variant != TokenVariant::absent) authorization = "Bearer " + token_for(activity, variant);
  return post_raw(messages_url, activity.dump(), authorization, timeout);
}

InboundResponse TeamsBotEmulator::post_raw(const std::string& messages_url, const std::string& body,
                                           const std::optional<std::string>& authorization,
                                           std::chrono::milliseconds timeout) const {
  return post_to_bot(messages_url, body, authorization, timeout, impl_->ca_pem);
}

}  // namespace desk::emulator
