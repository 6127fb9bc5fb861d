// The intake HTTP server over a real loopback socket, with the real handler and an in-memory store.
#include "bot/intake_server.hpp"
#include "bot/intake_committer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "storage/sqlite_store.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

/// Runs every test twice: answering on the server's thread, and through an IntakeCommitter.
class IntakeServerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    handler_ = std::make_unique<handlers::IntakeHandler>(
        handlers::IntakeDependencies{policy_, engine_, rota_, *store_, metrics_, {"agent-token-123456"}, {}, {}});
    IntakeServerOptions options;
    options.listen = "127.0.0.1:0";
    options.body_limit = 64 * 1024;
    options.read_timeout = std::chrono::seconds{5};
    options.max_connections = 3;
    options.screen = [this](const handlers::HttpRequest& head) { return handler_->screen(head); };
    server_ = make_server(options);
    port_ = server_->bind();
    net::co_spawn(io_, server_->run(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (committer_) committer_->stop();  // its last answers go back to a running io_context
    net::post(io_, [this] { server_->stop(); });
    thread_.join();
  }

  std::unique_ptr<IntakeServer> make_server(const IntakeServerOptions& options) {
    if (GetParam()) {
      committer_ = std::make_unique<IntakeCommitter>(*handler_, clock_);
      return std::make_unique<IntakeServer>(io_.get_executor(), options,
                                            [this](handlers::HttpRequest r, IntakeServer::Reply reply) {
                                              committer_->submit(std::move(r), std::move(reply));
                                            });
    }
    return std::make_unique<IntakeServer>(io_.get_executor(), options, [this](const handlers::HttpRequest& r) {
      return handler_->handle(r, testing::tuesday_noon());
    });
  }

  /// Sends raw bytes and reads until the server closes the connection.
  std::string exchange(const std::string& raw) {
    net::io_context client;
    tcp::socket socket(client);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    net::write(socket, net::buffer(raw));
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
      const auto n = socket.read_some(net::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    return out;
  }

  static std::string post(const std::string& body, const std::string& extra_headers = "") {
    return "POST /v1/submissions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
           "Authorization: Bearer agent-token-123456\r\nContent-Type: application/json\r\n" +
           extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  core::FakeClock clock_{testing::tuesday_noon()};
  core::Policy policy_ = testing::seed_policy();
  core::PolicyEngine engine_{policy_};
  core::Rota rota_{policy_.roles, policy_.people};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  core::Metrics metrics_;
  std::unique_ptr<handlers::IntakeHandler> handler_;
  std::unique_ptr<IntakeCommitter> committer_;  // destroyed after the server and its io thread
  net::io_context io_;
  std::unique_ptr<IntakeServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_P(IntakeServerTest, EscalatedSubmissionIsCommittedAndAnswered201) {
  const auto out = exchange(post(
      R"({"workflow":"paid_ads","channel":"meta","agent":"ads-agent","confidence":0.4,"output":"Try it today."})"));
  ASSERT_EQ(out.rfind("HTTP/1.1 201", 0), 0u) << out;
  EXPECT_NE(out.find("Location: /v1/escalations/ESC-"), std::string::npos) << out;
  EXPECT_EQ(store_->escalations(core::EscalationState::open).size(), 1u);
  if (committer_) { EXPECT_EQ(committer_->stats().submissions, 1u); }
}

TEST_P(IntakeServerTest, KeepAliveServesSeveralRequests) {
  const std::string get = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  const auto out = exchange(get + get + "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  std::size_t count = 0;
  for (auto pos = out.find("HTTP/1.1 200"); pos != std::string::npos; pos = out.find("HTTP/1.1 200", pos + 1)) ++count;
  EXPECT_EQ(count, 3u) << out;
}

TEST_P(IntakeServerTest, OversizedBodyGets413WithoutBeingRead) {
  const std::string head =
      "POST /v1/submissions HTTP/1.1\r\nHost: localhost\r\n"
      "Authorization: Bearer agent-token-123456\r\nContent-Type: application/json\r\n"
      "Content-Length: 10000000\r\n\r\n{";
  const auto out = exchange(head);
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  EXPECT_NE(out.find("\"error\":\"too_large\""), std::string::npos) << out;
  EXPECT_TRUE(store_->escalations(std::nullopt).empty());
}

TEST_P(IntakeServerTest, GarbageIsA400AndTheServerCarriesOn) {
  EXPECT_EQ(exchange("\x01\x02 not http at all\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

TEST_P(IntakeServerTest, WrongTokenIs401AndChangesNothing) {
  auto raw = post(R"({"workflow":"paid_ads","channel":"meta","agent":"a","confidence":0.4,"output":"x"})");
  raw.replace(raw.find("agent-token-123456"), 18, "agent-token-XXXXXX");
  const auto out = exchange(raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 401", 0), 0u) << out;
  EXPECT_EQ(out.find("agent-token"), std::string::npos) << "never echo a token";
  EXPECT_TRUE(store_->escalations(std::nullopt).empty());
}

TEST_P(IntakeServerTest, KeepAliveMixesSubmissionsReadsAndErrorsInOrder) {
  const std::string body = R"({"workflow":"paid_ads","channel":"meta","agent":"a","confidence":0.4,"output":"x"})";
  std::string first = post(body);
  first.replace(first.find("Connection: close\r\n"), 19, "");
  const std::string read =
      "GET /v1/escalations/ESC-000001 HTTP/1.1\r\nHost: x\r\n"
      "Authorization: Bearer agent-token-123456\r\n\r\n";
  const std::string unauthorised = "GET /v1/escalations HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto out =
      exchange(first + read + unauthorised + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto a = out.find("HTTP/1.1 201"), b = out.find("HTTP/1.1 200"), c = out.find("HTTP/1.1 401"),
             d = out.find("HTTP/1.1 200", b + 1);
  ASSERT_NE(d, std::string::npos) << out;
  EXPECT_TRUE(a < b && b < c && c < d) << out;
  EXPECT_NE(out.find("\"id\":\"ESC-000001\""), std::string::npos) << out;
  if (committer_) {
    EXPECT_EQ(committer_->stats().reads, 2u);  // the escalation and /healthz; the 401 needed no store
  }
}

TEST_P(IntakeServerTest, AWrongTokenIsRefusedOnTheHeadBeforeAnyBodyIsSent) {
  // Headers announcing a large body, and no body at all: the 401 must come from the head alone
  // (waiting for the body would end in the 5 s read timeout with no answer).
  const auto started = std::chrono::steady_clock::now();
  const auto out = exchange(
      "POST /v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-token-0000000\r\n"
      "Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 401", 0), 0u) << out;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds{4});
  EXPECT_TRUE(store_->escalations(std::nullopt).empty());
}

TEST_P(IntakeServerTest, TwoIdempotencyKeyHeadersAreRefused) {
  const auto out =
      exchange(post(R"({"workflow":"paid_ads","channel":"meta","agent":"a","confidence":0.4,"output":"x"})",
                    "Idempotency-Key: first\r\nIdempotency-Key: second\r\n"));
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  EXPECT_NE(out.find("Idempotency-Key"), std::string::npos) << out;
  EXPECT_TRUE(store_->escalations(std::nullopt).empty());
}

TEST_P(IntakeServerTest, ConnectionsBeyondTheCapWaitUntilOneCloses) {
  net::io_context client;
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port_);
  std::vector<std::unique_ptr<tcp::socket>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<tcp::socket>(client));
    idle.back()->connect(endpoint);
  }
  // A fourth connection is taken by the kernel's backlog, but the server does not serve it yet.
  tcp::socket fourth(client);
  fourth.connect(endpoint);
  net::write(fourth, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  fourth.non_blocking(true);
  char buf[256];
  boost::system::error_code ec;
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  fourth.read_some(net::buffer(buf), ec);
  EXPECT_EQ(ec, net::error::would_block) << "served beyond the cap";
  idle.front()->close();  // one slot frees: the fourth is served
  fourth.non_blocking(false);
  std::string out;
  for (;;) {
    const auto n = fourth.read_some(net::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
}

INSTANTIATE_TEST_SUITE_P(AnsweredOnTheIoThreadOrByTheCommitter, IntakeServerTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Committer" : "Inline";
                         });

/// A committer whose thread can be held inside the reply to a read (replies to reads are called on
/// its thread), so that submissions queue up behind it and are seen to go through as one batch.
class IntakeCommitterTest : public ::testing::Test {
 protected:
  IntakeCommitterTest() {
    handler_ = std::make_unique<handlers::IntakeHandler>(
        handlers::IntakeDependencies{policy_, engine_, rota_, *store_, metrics_, {"agent-token-123456"}, {}, {}});
  }

  static handlers::HttpRequest submission(double confidence, const std::string& key = "") {
    handlers::HttpRequest r{"POST",
                            "/v1/submissions",
                            {{"content-type", "application/json"}, {"authorization", "Bearer agent-token-123456"}},
                            R"({"workflow":"paid_ads","channel":"meta","agent":"a","confidence":)" +
                                std::to_string(confidence) + R"(,"output":"Our new plan is here."})"};
    if (!key.empty()) r.headers["idempotency-key"] = key;
    return r;
  }

  /// Collects an answer; `on_thread` records which thread gave it.
  IntakeCommitter::Reply collect(std::size_t slot, std::thread::id* on_thread = nullptr) {
    return [this, slot, on_thread](handlers::HttpResponse r) {
      std::lock_guard lock(mutex_);
      answers_[slot] = std::move(r);
      if (on_thread) *on_thread = std::this_thread::get_id();
      ++answered_;
      changed_.notify_all();
    };
  }

  /// Returns once the committer thread is inside the reply to a /healthz, where it stays until released.
  void hold_committer(IntakeCommitter& committer) {
    committer.submit({"GET", "/healthz", {}, ""}, [this](handlers::HttpResponse r) {
      std::unique_lock lock(mutex_);
      held_ = true;
      changed_.notify_all();
      changed_.wait(lock, [this] { return !hold_; });
      answers_[99] = std::move(r);
      ++answered_;
      changed_.notify_all();
    });
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return held_; });
  }
  void release_committer() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    changed_.notify_all();
  }
  void wait_for_answers(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return answered_ >= n; });
  }

  core::FakeClock clock_{testing::tuesday_noon()};
  core::Policy policy_ = testing::seed_policy();
  core::PolicyEngine engine_{policy_};
  core::Rota rota_{policy_.roles, policy_.people};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  core::Metrics metrics_;
  std::unique_ptr<handlers::IntakeHandler> handler_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_ = true, held_ = false;
  std::size_t answered_ = 0;
  std::map<std::size_t, handlers::HttpResponse> answers_;
};

TEST_F(IntakeCommitterTest, SubmissionsWaitingTogetherShareOneBatchAndEachGetsItsAnswer) {
  IntakeCommitter committer(*handler_, clock_);
  hold_committer(committer);
  committer.submit(submission(0.5, "one"), collect(0));
  committer.submit(submission(0.95), collect(1));
  committer.submit(submission(0.5, "one"), collect(2));  // a retry of the first, in the same batch
  committer.submit(submission(0.6, "one"), collect(3));  // the same key with another body
  release_committer();
  wait_for_answers(5);
  EXPECT_EQ(committer.stats().batches, 1u);
  EXPECT_EQ(committer.stats().largest_batch, 4u);
  EXPECT_EQ(answers_[99].status, 200);
  EXPECT_EQ(answers_[0].status, 201) << answers_[0].body;
  EXPECT_EQ(answers_[1].status, 200) << answers_[1].body;
  EXPECT_EQ(answers_[2].status, 201);
  EXPECT_EQ(answers_[2].body, answers_[0].body);
  EXPECT_NE(answers_[2].header("Idempotent-Replayed"), nullptr);
  EXPECT_EQ(answers_[3].status, 422) << answers_[3].body;
  EXPECT_EQ(store_->escalations(std::nullopt, 0).size(), 1u);
}

TEST_F(IntakeCommitterTest, WhatNeedsNoStoreIsAnsweredAtOnceOnTheCallersThread) {
  IntakeCommitter committer(*handler_, clock_);
  hold_committer(committer);  // the committer thread is busy: an answer now cannot have come from it
  handlers::HttpRequest no_token = submission(0.5);
  no_token.headers.erase("authorization");
  std::thread::id answered_on;
  committer.submit(no_token, collect(0, &answered_on));
  {
    std::lock_guard lock(mutex_);
    ASSERT_EQ(answers_.count(0), 1u);
    EXPECT_EQ(answers_[0].status, 401);
    EXPECT_EQ(answered_on, std::this_thread::get_id());
  }
  release_committer();
}

TEST_F(IntakeCommitterTest, StopAnswersWhatIsQueuedAndRefusesWhatComesAfter) {
  auto committer = std::make_unique<IntakeCommitter>(*handler_, clock_);
  hold_committer(*committer);
  committer->submit(submission(0.5), collect(0));
  std::thread stopper([&] { committer->stop(); });
  release_committer();
  stopper.join();
  EXPECT_EQ(answers_[0].status, 201) << "queued before stop: committed and answered";
  committer->submit(submission(0.5), collect(1));
  EXPECT_EQ(answers_[1].status, 503);
  EXPECT_EQ(store_->escalations(std::nullopt, 0).size(), 1u);
}

TEST_F(IntakeCommitterTest, AFullQueueAnswers503AtOnceAndKeepsWhatItHolds) {
  IntakeCommitterOptions options;
  options.max_queue = 2;
  IntakeCommitter committer(*handler_, clock_, options);
  hold_committer(committer);  // the thread is busy: what comes now waits in the queue
  committer.submit(submission(0.5), collect(0));
  committer.submit(submission(0.5), collect(1));
  std::thread::id answered_on;
  committer.submit(submission(0.5), collect(2, &answered_on));  // one too many
  {
    std::lock_guard lock(mutex_);
    ASSERT_EQ(answers_.count(2), 1u) << "refused at once, not queued";
    EXPECT_EQ(answers_[2].status, 503);
    ASSERT_NE(answers_[2].header("Retry-After"), nullptr);
    EXPECT_NE(answers_[2].body.find("limits.queued_requests"), std::string::npos);
    EXPECT_EQ(answered_on, std::this_thread::get_id());
  }
  release_committer();
  wait_for_answers(4);
  EXPECT_EQ(answers_[0].status, 201);
  EXPECT_EQ(answers_[1].status, 201);
  EXPECT_EQ(committer.stats().refused_full, 1u);
  EXPECT_EQ(store_->escalations(std::nullopt, 0).size(), 2u);
}

TEST(SplitHostPort, ParsesAndRefuses) {
  EXPECT_EQ(split_host_port("127.0.0.1:8080"), (std::pair<std::string, std::uint16_t>{"127.0.0.1", 8080}));
  EXPECT_EQ(split_host_port("[::1]:9"), (std::pair<std::string, std::uint16_t>{"::1", 9}));
  for (const char* bad : {"localhost", ":80", "host:", "host:99999", "host:8o"})
    EXPECT_THROW(split_host_port(bad), std::invalid_argument) << bad;
}

}  // namespace
}  // namespace desk::bot
