// Decision callbacks over a real loopback socket: a tiny plain-HTTP receiver on 127.0.0.1, port 0,
// records what arrives and answers with the status the test chose.
#include "bot/callback_sender.hpp"

#include "handlers/callback_signing.hpp"

#include <gtest/gtest.h>

#include <deque>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "bot/workers/outbox_dispatcher.hpp"
#include "storage/digest.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/fakes/fake_slack_api.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr const char* kSecret = "callback-secret-for-tests";

struct Received {
  std::string target, content_type, timestamp, signature, body;
};

/// Answers each request with the next queued status (200 when none), or holds it unanswered.
class Receiver {
 public:
  explicit Receiver(net::io_context& io) : acceptor_(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    net::co_spawn(io, serve(), net::detached);
  }
  void close() { acceptor_.close(); }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& path = "/desk-callback") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }

  std::vector<Received> received;
  std::deque<unsigned> statuses;
  bool silent = false;

 private:
  net::awaitable<void> serve() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      auto [rec, n] = co_await http::async_read(*stream, buffer, req, kTuple);
      if (rec) continue;
      received.push_back({std::string(req.target()), std::string(req[http::field::content_type]),
                          std::string(req["X-Desk-Timestamp"]), std::string(req["X-Desk-Signature"]), req.body()});
      if (silent) {
        held_.push_back(stream);  // keeps the connection open with no answer
        continue;
      }
      unsigned status = 200;
      if (!statuses.empty()) {
        status = statuses.front();
        statuses.pop_front();
      }
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.body() = "{}";
      res.keep_alive(false);
      res.prepare_payload();
      co_await http::async_write(*stream, res, kTuple);
    }
  }

  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<beast::tcp_stream>> held_;
};

class CallbackSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    receiver_ = std::make_unique<Receiver>(io_);
    id_ = decided_escalation(receiver_->url());
  }
  void TearDown() override {
    receiver_->close();
    io_.restart();
    io_.poll();
  }

  /// A decided escalation whose submission asked for a callback at `url`.
  std::string decided_escalation(const std::string& url, const std::string& scope = "") {
    storage::NewSubmission ns;
    ns.idempotency_scope = scope;
    ns.submission.workflow = "paid_ads";
    ns.submission.agent = "ads-agent";
    ns.submission.output = "Try it today.";
    ns.submission.callback_url = url;
    ns.submission.submitted_at = clock_.now();
    ns.verdict = core::Verdict::escalated;
    core::Escalation e;
    e.workflow = "paid_ads";
    e.policy_digest = set_->digest();
    e.owner_role = "duty_lead";
    e.owner_person = "alice";
    e.opened_at = clock_.now();
    e.state = core::EscalationState::accepted;
    e.decision = core::Decision{core::Macro::accept, "alice", clock_.now(), "Checked the claim; it is fine."};
    ns.escalation = e;
    return store_->add_submission(ns).escalation_id;
  }

  storage::OutboxMessage row(const std::string& url) {
    storage::OutboxMessage m;
    m.id = 7;
    m.surface = "agent";
    m.kind = "decision_callback";
    m.escalation_id = id_;
    m.payload_json = json{{"url", url}}.dump();
    m.created_at = clock_.now();
    m.attempts = 1;
    return m;
  }

  /// Runs one delivery on the io_context until it completes (generous deadline, no fixed sleep).
  DeliveryOutcome deliver(CallbackSender& sender, storage::OutboxMessage m) {
    std::optional<DeliveryOutcome> outcome;
    net::co_spawn(io_, sender.deliver(std::move(m)), [&](std::exception_ptr p, DeliveryOutcome o) {
      if (p) std::rethrow_exception(p);
      outcome = std::move(o);
    });
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (!outcome && std::chrono::steady_clock::now() < end) {
      io_.restart();
      io_.run_for(5ms);
    }
    EXPECT_TRUE(outcome) << "delivery did not finish";
    return outcome.value_or(DeliveryOutcome{DeliveryOutcome::Kind::fail, "unfinished", {}, {}});
  }

  /// The receiver is on loopback: these senders run with the testing setting that allows it.
  static CallbackOptions loopback() {
    CallbackOptions options;
    options.allow_loopback = true;
    return options;
  }

  CallbackSender make(std::optional<std::string> secret = std::string(kSecret), CallbackOptions options = loopback()) {
    return CallbackSender(io_.get_executor(), *store_, resolver_, clock_, std::move(secret), std::move(options));
  }

  /// The key the agent that submitted escalation id_ holds under `secret` (GET /v1/callback-key).
  std::string agent_key(const std::string& secret) {
    const auto e = store_->escalation(id_);
    return handlers::agent_callback_key(secret, store_->submission_scope(e->submission_id).value());
  }

  net::io_context io_;
  core::FakeClock clock_{testing::tuesday_noon()};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  std::shared_ptr<const handlers::PolicySet> set_ = std::make_shared<handlers::PolicySet>(testing::seed_policy());
  handlers::PolicyResolver resolver_ = [this](const std::string& d) { return d == set_->digest() ? set_ : nullptr; };
  std::unique_ptr<Receiver> receiver_;
  std::string id_;
};

TEST_F(CallbackSenderTest, DuringARotationTheCallbackCarriesASignatureUnderEachSecret) {
  CallbackOptions options = loopback();
  options.previous_secret = "the-secret-being-rotated-out";
  auto sender = make(std::string(kSecret), options);
  ASSERT_EQ(deliver(sender, row(receiver_->url("/cb"))).kind, DeliveryOutcome::Kind::sent);
  const Received& got = receiver_->received.at(0);
  const std::string url = receiver_->url("/cb");
  EXPECT_NE(got.signature.find(", v2="), std::string::npos) << got.signature;
  EXPECT_TRUE(handlers::verify_callback_signature(agent_key(kSecret), got.timestamp, url, got.body, got.signature));
  EXPECT_TRUE(handlers::verify_callback_signature(agent_key("the-secret-being-rotated-out"), got.timestamp, url,
                                                  got.body, got.signature));
}

TEST_F(CallbackSenderTest, AKeyedScopeSignsWithTheKeyDerivedFromTheTokensPlainDigest) {
  const std::string token = "ads-agent-token-0123456789";
  const std::string scope_key = handlers::token_scope_key("an-audit-key-of-at-least-32-characters");
  id_ = decided_escalation(receiver_->url("/cb"), handlers::token_scope(scope_key, token));
  CallbackOptions options = loopback();
  options.tokens = std::make_shared<const handlers::AgentTokens>(scope_key, std::vector<std::string>{token});
  auto sender = make(std::string(kSecret), options);
  ASSERT_EQ(deliver(sender, row(receiver_->url("/cb"))).kind, DeliveryOutcome::Kind::sent);
  const Received& got = receiver_->received.at(0);
  // The key the agent has held all along (GET /v1/callback-key), whatever the store keeps of its token.
  EXPECT_TRUE(handlers::verify_callback_signature(handlers::agent_callback_key(kSecret, storage::sha256_hex(token)),
                                                  got.timestamp, receiver_->url("/cb"), got.body, got.signature));

  // The token since removed from the config: no key to sign with, so nothing goes out.
  options.tokens =
      std::make_shared<const handlers::AgentTokens>(scope_key, std::vector<std::string>{"another-token-0123456"});
  auto without = make(std::string(kSecret), options);
  const auto outcome = deliver(without, row(receiver_->url("/cb")));
  EXPECT_EQ(outcome.kind, DeliveryOutcome::Kind::fail);
  EXPECT_NE(outcome.detail.find("DESK_INTAKE_TOKENS"), std::string::npos) << outcome.detail;
  EXPECT_EQ(outcome.detail.find(token), std::string::npos);
  EXPECT_EQ(receiver_->received.size(), 1u);
}

TEST_F(CallbackSenderTest, WithoutTheTestingSettingTheDesksOwnNetworkIsNeverCalled) {
  CallbackOptions strict;  // allow_loopback false: production
  auto sender = make(std::string(kSecret), strict);
  for (const std::string& url :
       {receiver_->url("/cb"), "https://127.0.0.1:" + std::to_string(receiver_->port()) + "/cb",
        std::string("https://169.254.169.254/latest/meta-data/"), std::string("https://[::ffff:10.0.0.5]/cb"),
        std::string("https://localhost./cb"), std::string("https://metadata.google.internal/computeMetadata/v1/")}) {
    const auto outcome = deliver(sender, row(url));
    EXPECT_EQ(outcome.kind, DeliveryOutcome::Kind::fail) << url << ": " << outcome.detail;
    EXPECT_EQ(outcome.detail.find(std::to_string(receiver_->port())), std::string::npos) << outcome.detail;
  }
  EXPECT_TRUE(receiver_->received.empty());
}

TEST_F(CallbackSenderTest, PostsTheSignedDecisionThatTheReceiverCanVerify) {
  auto sender = make();
  const auto outcome = deliver(sender, row(receiver_->url("/desk-callback?agent=ads")));
  ASSERT_EQ(outcome.kind, DeliveryOutcome::Kind::sent) << outcome.detail;
  ASSERT_EQ(receiver_->received.size(), 1u);
  const Received& got = receiver_->received[0];
  EXPECT_EQ(got.target, "/desk-callback?agent=ads");
  EXPECT_EQ(got.content_type, "application/json");
  EXPECT_EQ(got.timestamp, std::to_string(clock_.now().time_since_epoch().count()));
  // Verifiable with this agent's key only, and only for the URL it was sent to.
  const std::string url = receiver_->url("/desk-callback?agent=ads");
  const std::string key = agent_key(kSecret);
  EXPECT_TRUE(handlers::verify_callback_signature(key, got.timestamp, url, got.body, got.signature)) << got.signature;
  EXPECT_FALSE(handlers::verify_callback_signature(handlers::agent_callback_key(kSecret, "another-agents-digest"),
                                                   got.timestamp, url, got.body, got.signature));
  EXPECT_FALSE(handlers::verify_callback_signature(key, got.timestamp, url + "x", got.body, got.signature));
  EXPECT_FALSE(
      handlers::verify_callback_signature(agent_key("wrong-secret"), got.timestamp, url, got.body, got.signature));
  EXPECT_EQ(got.signature.find(','), std::string::npos) << "one signature outside a rotation";

  const json body = json::parse(got.body);
  EXPECT_EQ(body["escalation_id"], id_);
  EXPECT_EQ(body["status"], "accepted");
  EXPECT_EQ(body["decision"]["macro"], "accept");
  EXPECT_EQ(body["decision"]["by"]["id"], "alice");
  EXPECT_EQ(body["decision"]["by"]["name"], "Alice");
  EXPECT_EQ(body["decision"]["rationale"], "Checked the claim; it is fine.");
  EXPECT_EQ(body["decision"]["at"], core::format_utc(clock_.now()));
  EXPECT_FALSE(body["submission_id"].get<std::string>().empty());
}

TEST_F(CallbackSenderTest, NonSuccessAnswerIsRetriedWithBackoffThenSucceeds) {
  receiver_->statuses = {500, 302};
  auto sender = make();
  auto m = row(receiver_->url());
  const auto first = deliver(sender, m);
  ASSERT_EQ(first.kind, DeliveryOutcome::Kind::retry);
  EXPECT_NE(first.detail.find("HTTP 500"), std::string::npos) << first.detail;
  ASSERT_TRUE(first.retry_at);
  EXPECT_GT(*first.retry_at, clock_.now());

  m.attempts = 2;
  const auto second = deliver(sender, m);
  EXPECT_EQ(second.kind, DeliveryOutcome::Kind::retry) << "a redirect is not a delivery";
  m.attempts = 3;
  EXPECT_EQ(deliver(sender, m).kind, DeliveryOutcome::Kind::sent);
  EXPECT_EQ(receiver_->received.size(), 3u);
}

TEST_F(CallbackSenderTest, UnreachableReceiverIsRetriedAndGivenUpAfterADay) {
  auto sender = make();
  const std::string url = receiver_->url();
  receiver_->close();  // connection refused from now on
  auto m = row(url);
  const auto refused = deliver(sender, m);
  EXPECT_EQ(refused.kind, DeliveryOutcome::Kind::retry);
  EXPECT_EQ(refused.detail.find("desk-callback"), std::string::npos) << "the URL path stays out of errors";

  clock_.advance(24h);
  EXPECT_EQ(deliver(sender, m).kind, DeliveryOutcome::Kind::fail);
}

TEST_F(CallbackSenderTest, SilentReceiverTimesOutAndIsRetried) {
  receiver_->silent = true;
  CallbackOptions options = loopback();
  options.timeout = 200ms;
  auto sender = make(std::string(kSecret), options);
  const auto outcome = deliver(sender, row(receiver_->url()));
  EXPECT_EQ(outcome.kind, DeliveryOutcome::Kind::retry);
  EXPECT_NE(outcome.detail.find("timed out"), std::string::npos) << outcome.detail;
}

TEST_F(CallbackSenderTest, PlainHttpToAnotherHostIsRefusedWithoutConnecting) {
  auto sender = make();
  const auto outcome = deliver(sender, row("http://agents.example.com/desk-callback"));
  EXPECT_EQ(outcome.kind, DeliveryOutcome::Kind::fail);
  EXPECT_NE(outcome.detail.find("https"), std::string::npos) << outcome.detail;
  EXPECT_TRUE(receiver_->received.empty());
}

TEST_F(CallbackSenderTest, WithoutASecretRowsFailInsteadOfGoingOutUnsigned) {
  auto sender = make(std::nullopt);
  EXPECT_FALSE(sender.configured());
  const auto outcome = deliver(sender, row(receiver_->url()));
  EXPECT_EQ(outcome.kind, DeliveryOutcome::Kind::fail);
  EXPECT_NE(outcome.detail.find(kCallbackSecretEnv), std::string::npos);
  EXPECT_TRUE(receiver_->received.empty());
}

TEST_F(CallbackSenderTest, RowWithoutUrlFallsBackToTheSubmissionsCallbackUrl) {
  auto sender = make();
  auto m = row("");
  m.payload_json = "{}";
  EXPECT_EQ(deliver(sender, m).kind, DeliveryOutcome::Kind::sent);
  EXPECT_EQ(receiver_->received.size(), 1u);
}

TEST_F(CallbackSenderTest, UnknownEscalationFails) {
  auto sender = make();
  auto m = row(receiver_->url());
  m.escalation_id = "ESC-999999";
  EXPECT_EQ(deliver(sender, m).kind, DeliveryOutcome::Kind::fail);
}

TEST_F(CallbackSenderTest, OutboxRowGoesThroughTheDispatcherAndIsRetriedUntil2xx) {
  receiver_->statuses = {503};
  storage::OutboxMessage m = row(receiver_->url());
  m.next_attempt_at = clock_.now();
  const std::int64_t id = store_->enqueue({m}, {});
  CallbackSender callbacks = make();
  slack::FakeSlackApi api;
  OutboxDispatcher sender(io_.get_executor(), *store_, clock_);
  sender.add(callbacks);
  bool finished = false;
  net::co_spawn(io_, sender.run(), [&](std::exception_ptr) { finished = true; });
  auto drive = [&](auto done) {
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < end) {
      io_.restart();
      io_.run_for(5ms);
    }
    return done();
  };

  ASSERT_TRUE(drive([&] {
    return store_->outbox_message(id)->attempts == 1 &&
           store_->outbox_message(id)->state == storage::OutboxMessage::State::pending;
  }));
  EXPECT_NE(store_->outbox_message(id)->last_error.find("HTTP 503"), std::string::npos);
  clock_.advance(1h);
  sender.poke();
  ASSERT_TRUE(drive([&] { return store_->outbox_message(id)->state == storage::OutboxMessage::State::sent; }));
  ASSERT_EQ(receiver_->received.size(), 2u);
  for (const auto& got : receiver_->received)
    EXPECT_TRUE(handlers::verify_callback_signature(agent_key(kSecret), got.timestamp, receiver_->url(), got.body,
                                                    got.signature));
  EXPECT_EQ(receiver_->received[0].body, receiver_->received[1].body) << "a retry sends the same decision";
  EXPECT_NE(receiver_->received[0].timestamp, receiver_->received[1].timestamp) << "signed afresh at each attempt";
  EXPECT_TRUE(api.calls().empty());
  sender.stop();
  EXPECT_TRUE(drive([&] { return finished; }));
}

TEST(CallbackSecret, ReadFromTheEnvironmentOrItsFile) {
  const auto none = CallbackSender::secret_from_env([](const char*) -> const char* { return nullptr; });
  EXPECT_FALSE(none);
  const auto set = CallbackSender::secret_from_env([](const char* name) -> const char* {
    return std::string(name) == kCallbackSecretEnv ? "s3cret-value" : nullptr;
  });
  ASSERT_TRUE(set);
  EXPECT_EQ(*set, "s3cret-value");
}

TEST(CallbackBody, UndecidedEscalationHasANullDecision) {
  core::Escalation e;
  e.id = "ESC-000003";
  e.submission_id = "SUB-000009";
  const json body = json::parse(decision_callback_body(e, nullptr));
  EXPECT_EQ(body["status"], "open");
  EXPECT_TRUE(body["decision"].is_null());
  e.state = core::EscalationState::rejected;
  e.decision = core::Decision{core::Macro::reject, "U0XYZ", testing::tuesday_noon(), "No."};
  EXPECT_EQ(json::parse(decision_callback_body(e, nullptr))["decision"]["by"]["id"], "U0XYZ");
}

}  // namespace
}  // namespace desk::bot
