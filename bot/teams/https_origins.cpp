#include "bot/teams/https_origins.hpp"

#include <stdexcept>

namespace desk::bot::teams {

HttpsOrigins::HttpsOrigins(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
                           slack::HttpTimeouts timeouts, std::size_t max_idle_per_origin)
    : executor_(std::move(executor)), tls_(std::move(tls)), timeouts_(timeouts), max_idle_(max_idle_per_origin) {}

slack::HttpsClient& HttpsOrigins::client_for(const slack::Url& url) {
  if (url.scheme != "https") throw std::invalid_argument("not an https URL: " + url.host_header());
  auto& slot = clients_[url.host + " " + url.port];
  if (!slot) slot = std::make_unique<slack::HttpsClient>(executor_, url, tls_, timeouts_, max_idle_);
  return *slot;
}

void HttpsOrigins::close_idle() {
  for (auto& [origin, client] : clients_) client->close_idle();
}

std::size_t HttpsOrigins::connections_opened() const {
  std::size_t total = 0;
  for (const auto& [origin, client] : clients_) total += client->connections_opened();
  return total;
}

}  // namespace desk::bot::teams
