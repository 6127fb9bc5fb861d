#pragma once
/// A local Teams Workflows webhook over TLS, for the integration tests: it records every POST (path
/// and query, content type, body as JSON) and answers as the service does — 202 with an empty body —
/// or with the statuses a test queues (429 with Retry-After, 500, 401). It checks each message the way
/// the flow's template reads it: one Adaptive Card attachment, version at most 1.5, only Action.OpenUrl,
/// at most 28 KB; a message that breaks a rule is answered 400 and kept with why.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/emulator/test_pki.hpp"

namespace desk::emulator {

struct WebhookPost {
  std::string target;  ///< path and query as requested
  std::string content_type;
  std::string body;
  nlohmann::json json;  ///< the body parsed (discarded when it is not JSON)
  std::string problem;  ///< why it was refused as a message; empty when it was a good one
  int answered = 0;     ///< the status it got
};

/// A status to answer the next POST with instead of 202.
struct WebhookAnswer {
  int status = 202;
  std::optional<int> retry_after;  ///< seconds, as the Retry-After header
};

class TeamsWebhook {
 public:
  explicit TeamsWebhook(const TestPki& pki);
  ~TeamsWebhook();
  TeamsWebhook(const TeamsWebhook&) = delete;
  TeamsWebhook& operator=(const TeamsWebhook&) = delete;

  /// "https://127.0.0.1:<port>/workflows/…/invoke?api-version=1&sig=…": what TEAMS_WEBHOOK_URL is set to.
  std::string url() const;
  /// Every POST so far, in arrival order.
  std::vector<WebhookPost> posts() const;
  /// The cards of the good posts, in order.
  std::vector<nlohmann::json> cards() const;
  /// The next POSTs get these answers, one each, before 202 again.
  void queue(std::vector<WebhookAnswer> answers);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace desk::emulator
