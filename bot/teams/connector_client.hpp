#pragma once
/// The Bot Connector calls the desk makes (reference/teams.md §9.2): post an activity in a
/// conversation, reply to one (a thread reply in a channel), update one in place, and look up a
/// member of a conversation (who a mention names, by their Entra object id). Each carries
/// the bot's token; a 401 fetches a new token once. 429, 412, 502 and 504 are retried with backoff,
/// honouring Retry-After up to a bound. A POST that may have reached the service is never sent again
/// here: the caller hears "in doubt" and decides (the outbox looks for it first). A PUT replaces the
/// whole activity, so sending it again is harmless.
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/https_client.hpp"
#include "bot/teams/bot_token_client.hpp"
#include "bot/teams/https_origins.hpp"

namespace desk::bot::teams {

struct ConnectorConfig {
  slack::HttpTimeouts timeouts;
  unsigned max_attempts = 4;  ///< sends per call, counting the first (a token refresh after 401 is extra)
  slack::BackoffPolicy backoff{std::chrono::milliseconds{500}, std::chrono::milliseconds{8000}};
  /// A longer Retry-After ends the call as transient (with the wait in the error) instead of holding it.
  std::chrono::seconds longest_retry_after{60};
  std::size_t max_idle_per_origin = 2;
};

class ConnectorError : public std::runtime_error {
 public:
  enum class Kind {
    permanent,    ///< the service refused this request (a 4xx): sending it again will not help
    transient,    ///< not done, worth trying later (retries ran out, 5xx, unreachable before sending)
    in_doubt,     ///< a POST may or may not have been carried out: the connection failed after sending
    credentials,  ///< the login service refused the app's id or password: nothing works until the config changes
  };
  ConnectorError(Kind kind, const std::string& what, unsigned status = 0, std::string code = {},
                 std::optional<std::chrono::seconds> retry_after = std::nullopt)
      : std::runtime_error(what), kind_(kind), status_(status), code_(std::move(code)), retry_after_(retry_after) {}

  Kind kind() const { return kind_; }
  unsigned status() const { return status_; }  ///< the HTTP status; 0 when there was no answer
  /// The service's error code ("BadArgument", "ConversationNotFound"), or the OAuth error for credentials.
  const std::string& code() const { return code_; }
  /// How long the service asked to wait, when it did.
  std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }

 private:
  Kind kind_;
  unsigned status_;
  std::string code_;
  std::optional<std::chrono::seconds> retry_after_;
};

/// `{service_url}/v3/conversations/{conversation_id}/activities[/{activity_id}]`, ids percent-encoded
/// (Teams' conversation ids hold ':', ';' and '@'). Throws ConnectorError (permanent) when the service
/// URL is not an https URL without query, or an id is empty.
slack::Url activities_url(std::string_view service_url, std::string_view conversation_id,
                          std::string_view activity_id = {});

/// `{service_url}/v3/conversations/{conversation_id}/members/{member_id}`, checked as activities_url.
slack::Url member_url(std::string_view service_url, std::string_view conversation_id, std::string_view member_id);

/// Someone in a conversation, as the service describes them (a TeamsChannelAccount).
struct ConversationMember {
  std::string id;  ///< the Teams user id, "29:…"
  std::string name;
  std::string aad_object_id;  ///< the Entra object id, by which the config knows people
};

class ConnectorClient {
 public:
  /// `tokens` must outlive it. Keeps one HttpsClient per service URL origin.
  ConnectorClient(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
                  BotTokenSource& tokens, ConnectorConfig config = {});
  ~ConnectorClient();
  ConnectorClient(const ConnectorClient&) = delete;
  ConnectorClient& operator=(const ConnectorClient&) = delete;

  /// POST …/v3/conversations/{id}/activities: a new message (a new thread in a channel). Returns the
  /// new activity's id (empty if the service gave none). Throws ConnectorError.
  boost::asio::awaitable<std::string> post_activity(std::string service_url, std::string conversation_id,
                                                    nlohmann::json activity);
  /// POST …/activities/{activity_id}: a reply in that activity's thread. Returns the reply's id.
  boost::asio::awaitable<std::string> reply_to(std::string service_url, std::string conversation_id,
                                               std::string activity_id, nlohmann::json activity);
  /// PUT …/activities/{activity_id}: `activity` replaces the one shown.
  boost::asio::awaitable<void> update_activity(std::string service_url, std::string conversation_id,
                                               std::string activity_id, nlohmann::json activity);

  /// GET …/v3/conversations/{id}/members/{member_id}: who `member_id` (a "29:…" id from a mention)
  /// is. nullopt when the service knows no such member there (404). Throws ConnectorError.
  boost::asio::awaitable<std::optional<ConversationMember>> member(std::string service_url, std::string conversation_id,
                                                                   std::string member_id);

  /// For a stopping desk: every call waiting (a backoff, a Retry-After) ends now with a transient
  /// ConnectorError, and no new request is sent; one on the wire finishes within its timeouts.
  void cancel();

  /// Connections opened so far, over every origin (tests check keep-alive).
  std::size_t connections_opened() const { return origins_.connections_opened(); }

 private:
  enum class Method { post, put, get };
  boost::asio::awaitable<slack::HttpResponse> send(Method method, slack::Url url, nlohmann::json activity);
  boost::asio::awaitable<std::string> bearer_token();
  boost::asio::awaitable<void> pause(std::chrono::milliseconds delay);
  void stop_if_stopping() const;

  boost::asio::any_io_executor executor_;
  BotTokenSource& tokens_;
  ConnectorConfig config_;
  HttpsOrigins origins_;
  bool stopping_ = false;
  // Shared with the pausing calls: a call's frame may be destroyed after the client.
  std::shared_ptr<std::set<boost::asio::steady_timer*>> pauses_;
};

}  // namespace desk::bot::teams
