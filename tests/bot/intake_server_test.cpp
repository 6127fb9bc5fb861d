// The intake HTTP server over a real loopback socket, with the real handler and an in-memory store.
#include "bot/intake_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <thread>

#include "storage/sqlite_store.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class IntakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    handler_ = std::make_unique<handlers::IntakeHandler>(handlers::IntakeDependencies{
        policy_, engine_, rota_, *store_, metrics_, {"agent-token-123456"}, {}, {}});
    IntakeServerOptions options;
    options.listen = "127.0.0.1:0";
    options.body_limit = 64 * 1024;
    server_ = std::make_unique<IntakeServer>(io_.get_executor(), options, [this](const handlers::HttpRequest& r) {
      return handler_->handle(r, testing::tuesday_noon());
    });
    port_ = server_->bind();
    net::co_spawn(io_, server_->run(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    net::post(io_, [this] { server_->stop(); });
    thread_.join();
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

  core::Policy policy_ = testing::seed_policy();
  core::PolicyEngine engine_{policy_};
  core::Rota rota_{policy_.roles, policy_.people};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  core::Metrics metrics_;
  std::unique_ptr<handlers::IntakeHandler> handler_;
  net::io_context io_;
  std::unique_ptr<IntakeServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(IntakeServerTest, EscalatedSubmissionIsCommittedAndAnswered201) {
  const auto out = exchange(post(
      R"({"workflow":"paid_ads","channel":"meta","agent":"ads-agent","confidence":0.4,"output":"Try it today."})"));
  ASSERT_EQ(out.rfind("HTTP/1.1 201", 0), 0u) << out;
  EXPECT_NE(out.find("Location: /v1/escalations/ESC-"), std::string::npos) << out;
  EXPECT_EQ(store_->escalations(core::EscalationState::open).size(), 1u);
}

TEST_F(IntakeServerTest, KeepAliveServesSeveralRequests) {
  const std::string get = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  const auto out = exchange(get + get + "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  std::size_t count = 0;
  for (auto pos = out.find("HTTP/1.1 200"); pos != std::string::npos; pos = out.find("HTTP/1.1 200", pos + 1)) ++count;
  EXPECT_EQ(count, 3u) << out;
}

TEST_F(IntakeServerTest, OversizedBodyGets413WithoutBeingRead) {
  const std::string head = "POST /v1/submissions HTTP/1.1\r\nHost: localhost\r\n"
                           "Authorization: Bearer agent-token-123456\r\nContent-Type: application/json\r\n"
                           "Content-Length: 10000000\r\n\r\n{";
  const auto out = exchange(head);
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  EXPECT_NE(out.find("\"error\":\"too_large\""), std::string::npos) << out;
  EXPECT_TRUE(store_->escalations(std::nullopt).empty());
}

TEST_F(IntakeServerTest, GarbageIsA400AndTheServerCarriesOn) {
  EXPECT_EQ(exchange("\x01\x02 not http at all\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(IntakeServerTest, WrongTokenIs401AndChangesNothing) {
  auto raw = post(R"({"workflow":"paid_ads","channel":"meta","agent":"a","confidence":0.4,"output":"x"})");
  raw.replace(raw.find("agent-token-123456"), 18, "agent-token-XXXXXX");
  const auto out = exchange(raw);
  EXPECT_EQ(out.rfind("HTTP/1.1 401", 0), 0u) << out;
  EXPECT_EQ(out.find("agent-token"), std::string::npos) << "never echo a token";
  EXPECT_TRUE(store_->escalations(std::nullopt).empty());
}

TEST(SplitHostPort, ParsesAndRefuses) {
  EXPECT_EQ(split_host_port("127.0.0.1:8080"), (std::pair<std::string, std::uint16_t>{"127.0.0.1", 8080}));
  EXPECT_EQ(split_host_port("[::1]:9"), (std::pair<std::string, std::uint16_t>{"::1", 9}));
  for (const char* bad : {"localhost", ":80", "host:", "host:99999", "host:8o"})
    EXPECT_THROW(split_host_port(bad), std::invalid_argument) << bad;
}

}  // namespace
}  // namespace desk::bot
