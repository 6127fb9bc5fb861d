#pragma once
/// The Slack surface's deliverer: renders the desk's effects (handlers/effects.hpp) as Block Kit
/// messages in the desk channel, and delivers them exactly once where Slack lets us tell (SPEC,
/// "Exactly-once posting across a crash"): a row in doubt is looked up before it is sent again —
/// escalation posts by their metadata (event_type "escalation_posted"), thread replies by theirs
/// ("escalation_reply"). Updates are idempotent; pings and direct messages have nothing to look up
/// (that would need im:history), so those are sent again. A channel notice to pin (the SOP) is pinned
/// once posted, and the copies of it pinned before are unpinned (slack_pins.cpp).
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "bot/slack/backoff.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/slack/slack_messages.hpp"
#include "bot/workers/deliverer.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/evidence_masker.hpp"
#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::bot::slack {

/// The surface name Slack's rows and message references carry.
inline constexpr std::string_view kSlackSurface = "slack";

struct SlackDelivererOptions {
  std::string desk_channel = "ai-escalation";  ///< a name ("ai-escalation", "#ai-escalation") or an id C…/G…
  BackoffPolicy backoff{std::chrono::seconds{2}, std::chrono::minutes{5}};  ///< while the channel cannot be used
  std::string usergroup_id;  ///< "S…" of the on-duty user group, mentioned in posts; empty: none
  /// When set, asked at each post for the user group id to mention (empty: none); wins over
  /// `usergroup_id`, so a group found after start-up (UsergroupSync::group_id) is picked up.
  std::function<std::string()> usergroup_id_source;
  /// An in-doubt lookup reads history from this long before the row was created (clock skew with Slack).
  std::chrono::seconds lookup_margin{120};
  /// Who the bot is (auth.test): only its own pins are ever unpinned. Empty: the marks alone decide.
  std::string bot_id, bot_user_id;
};

/// The metadata event type of a channel notice the desk keeps pinned (the SOP).
inline constexpr const char* kPinnedNoticeEvent = "desk_pinned_notice";

/// The metadata of the desk's pinned notice `notice` ("sop") sent as outbox row `outbox_id`.
nlohmann::json pinned_notice_metadata(const std::string& notice, std::int64_t outbox_id);

/// The block id that also marks it: pins.list need not return a message's metadata, its blocks it does.
std::string pinned_block_id(const std::string& notice);

/// True when `pin` is a copy of the desk's pinned notice `notice`: it carries either mark, and was
/// posted by the bot (`options.bot_id` or `bot_user_id`) when those are known.
bool is_desk_pin(const PinnedMessage& pin, const std::string& notice, const SlackDelivererOptions& options);

/// True for Slack error strings that a later retry can fix (Slack-side trouble, rate limits);
/// everything else (invalid_blocks, channel_not_found, invalid_auth, missing_scope …) is permanent.
bool is_transient_slack_error(std::string_view error);

/// True when `channel` is a conversation id (C…/G…, upper-case letters and digits) rather than a name.
bool looks_like_channel_id(std::string_view channel);

/// A chat.postMessage request from a message body built by handlers/slack_messages (text, blocks,
/// metadata, unfurl_links) for `channel`.
PostMessage to_post_message(const std::string& channel, const nlohmann::json& body);

class SlackDeliverer final : public Deliverer {
 public:
  using Options = SlackDelivererOptions;

  /// Every reference must outlive the deliverer. `metrics` may be null. `on_ready` is called once the
  /// desk channel is resolved (the desk pokes the dispatcher, whose Slack rows were waiting).
  SlackDeliverer(boost::asio::any_io_executor executor, storage::Store& store, SlackApi& api,
                 handlers::PolicyResolver resolver, core::Clock& clock, core::Metrics* metrics, Options options,
                 std::function<void()> on_ready = {});
  ~SlackDeliverer() override;

  std::string surface() const override { return std::string(kSlackSurface); }
  bool ready() const override { return !channel_id_.empty(); }
  boost::asio::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage row, bool in_doubt) override;

  /// Finds (and joins, if public) the desk channel, retrying with backoff while it cannot be used.
  /// Returns once it is resolved (then calls on_ready) or after stop().
  boost::asio::awaitable<void> resolve_desk_channel();
  /// Ends resolve_desk_channel(). Call on the executor's thread.
  void stop();

  /// The desk channel's id once resolved; empty before.
  const std::string& desk_channel_id() const { return channel_id_; }

  /// Whether the desk may pin, for /healthz: "ok", or Slack's refusal and what an admin must do.
  const std::string& pins_health() const { return pins_problem_.empty() ? kPinsOk : pins_problem_; }

 private:
  struct ChannelLookup {
    std::string id;
    std::string problem;
  };

  boost::asio::awaitable<DeliveryOutcome> render_and_send(const storage::OutboxMessage& row, bool in_doubt);
  boost::asio::awaitable<DeliveryOutcome> post_escalation(const storage::OutboxMessage& row, bool in_doubt);
  boost::asio::awaitable<DeliveryOutcome> update_escalation(const storage::OutboxMessage& row);
  boost::asio::awaitable<DeliveryOutcome> thread_reply(const storage::OutboxMessage& row, bool in_doubt);
  /// The answer to a hotline message, in that message's own thread (not the escalation's).
  boost::asio::awaitable<DeliveryOutcome> hotline_reply(const storage::OutboxMessage& row,
                                                        const nlohmann::json& payload, const core::Escalation& e,
                                                        const storage::MessageRef& post, const core::Rota& rota,
                                                        bool in_doubt);
  boost::asio::awaitable<DeliveryOutcome> ping(const storage::OutboxMessage& row, bool in_doubt);
  boost::asio::awaitable<DeliveryOutcome> direct_message(const storage::OutboxMessage& row, bool in_doubt);
  boost::asio::awaitable<DeliveryOutcome> channel_notice(const storage::OutboxMessage& row, bool in_doubt);
  /// Uploads a notice's image (the digest's run chart) and shares it in the desk channel after the
  /// notice, once: in doubt, the channel is searched for the file's name (it carries the row's id).
  /// A permanent refusal (no files:write) is logged, once per process, saying what the admin must do;
  /// the notice stands without its image. Slack-side trouble throws, so the row is tried again.
  boost::asio::awaitable<void> share_notice_image(const storage::OutboxMessage& row, handlers::NoticeImage image,
                                                  bool in_doubt);
  boost::asio::awaitable<DeliveryOutcome> send_direct(const storage::OutboxMessage& row, std::string user_id,
                                                      nlohmann::json body, bool in_doubt);
  /// The direct message an earlier attempt of `row` may have sent to `user_id`: (channel, ts).
  boost::asio::awaitable<std::optional<std::pair<std::string, std::string>>> look_up_direct(
      const storage::OutboxMessage& row, const std::string& user_id, nlohmann::json metadata);

  // In-doubt lookups and the desk channel (slack_lookup.cpp).
  boost::asio::awaitable<ChannelLookup> find_desk_channel();
  /// chat.postMessage; on not_in_channel joins the channel once and tries again.
  boost::asio::awaitable<PostedMessage> post_in_channel(PostMessage message);
  /// The message in `channel` whose metadata is `metadata` (event_type and payload): in the
  /// channel's history, or in the thread under `thread_ts` when it is set (history has no replies).
  boost::asio::awaitable<std::optional<HistoryMessage>> find_by_metadata(std::string channel, std::string thread_ts,
                                                                         nlohmann::json metadata, std::string oldest);
  /// The newest message in `channel` (or the thread under `thread_ts`) from `oldest` on that `wanted`
  /// accepts, reading at most the lookup's pages.
  boost::asio::awaitable<std::optional<HistoryMessage>> find_in_history(
      std::string channel, std::string thread_ts, std::string oldest,
      std::function<bool(const HistoryMessage&)> wanted);
  /// Looks for an earlier send of `row` in `channel` (a post by its escalation id, anything else by
  /// `metadata`, in the thread under `thread_ts` if set). A permanent refusal (e.g. missing
  /// channels:history) is logged and reads as "not found": a possible duplicate beats a lost message.
  boost::asio::awaitable<std::optional<HistoryMessage>> look_up(const storage::OutboxMessage& row, std::string channel,
                                                                std::string thread_ts, nlohmann::json metadata);
  /// Where an in-doubt lookup starts reading history (a Slack ts).
  std::string lookup_oldest(const storage::OutboxMessage& row) const;

  // Keeping a notice pinned (slack_pins.cpp).
  /// Pins the message `ts` that carries `notice` and unpins the desk's earlier copies of it. Returns
  /// what became of the pins, for the row's result. Slack refusing (a missing pins:write scope …) is
  /// reported once and leaves the message posted; Slack-side trouble throws, so the row is retried
  /// (then in doubt: its post is found, not repeated).
  boost::asio::awaitable<nlohmann::json> keep_pinned(const storage::OutboxMessage& row, const std::string& notice,
                                                     const std::string& channel, const std::string& ts);
  /// A pins call Slack answered with an error: rethrown when a retry may mend it; a refusal (missing
  /// scope …) is kept for /healthz and logged once; anything else is logged.
  void pin_not_kept(const storage::OutboxMessage& row, const SlackApiError& e);

  EscalationView view_for(const core::Escalation& e, const handlers::PolicySet* set);

  static inline const std::string kPinsOk = "ok";

  storage::Store& store_;
  SlackApi& api_;
  handlers::PolicyResolver resolver_;
  core::Clock& clock_;
  core::Metrics* metrics_;
  Options options_;
  std::function<void()> on_ready_;
  boost::asio::steady_timer retry_timer_;
  bool stopping_ = false;
  std::string channel_id_;
  handlers::EvidenceMasker masker_;
  bool image_refusal_reported_ = false;
  std::string pins_problem_;  ///< Slack's refusal to pin and what to do about it; empty: none
};

}  // namespace desk::bot::slack
