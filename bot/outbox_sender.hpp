#pragma once
/// The outbox sender: the one coroutine that turns committed outbox rows into Slack posts, updates,
/// thread replies, DMs and agent callbacks, in order per ordering key, exactly once where Slack lets
/// us tell (SPEC, "Exactly-once posting across a crash").
///
///   row pending ──mark_sending (committed)──▶ network call ──▶ sent | retry later | failed
///
/// A row whose outcome is unknown (left `sending` by a crash, or a transport error after the request
/// may have reached Slack) is looked up before it is sent again: escalation posts by their metadata
/// (event_type "escalation_posted"), thread replies by theirs ("escalation_reply"). Updates are
/// idempotent and DMs and callbacks have nothing to look up, so those are sent again.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "bot/callback_sender.hpp"
#include "bot/slack/backoff.hpp"
#include "bot/slack/slack_api.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/text_scan.hpp"
#include "handlers/policy_set.hpp"
#include "handlers/slack_messages.hpp"
#include "storage/store.hpp"

namespace desk::bot {

struct OutboxSenderOptions {
  std::string desk_channel = "ai-escalation";  ///< a name ("ai-escalation", "#ai-escalation") or an id C…/G…
  slack::BackoffPolicy backoff{std::chrono::seconds{2}, std::chrono::minutes{5}};  ///< transient Slack errors
  int batch_size = 20;         ///< rows taken per outbox_due() call
  std::string usergroup_id;    ///< "S…" of the on-duty user group, mentioned in posts; empty: none
  /// When set, asked at each post for the user group id to mention (empty: none); wins over
  /// `usergroup_id`, so a group found after start-up (UsergroupSync::group_id) is picked up.
  std::function<std::string()> usergroup_id_source;
  /// An in-doubt lookup reads history from this long before the row was created (clock skew with Slack).
  std::chrono::seconds lookup_margin{120};
};

/// True for Slack error strings that a later retry can fix (Slack-side trouble, rate limits);
/// everything else (invalid_blocks, channel_not_found, invalid_auth, missing_scope …) is permanent.
bool is_transient_slack_error(std::string_view error);

/// True when `channel` is a conversation id (C…/G…, upper-case letters and digits) rather than a name.
bool looks_like_channel_id(std::string_view channel);

/// A chat.postMessage request from a message body built by handlers/slack_messages (text, blocks,
/// metadata, unfurl_links) for `channel`.
slack::PostMessage to_post_message(const std::string& channel, const nlohmann::json& body);

class OutboxSender {
 public:
  using Options = OutboxSenderOptions;
  /// Sends one row of a kind this sender does not know itself (e.g. "teams.card").
  using KindHandler = std::function<boost::asio::awaitable<DeliveryOutcome>(storage::OutboxMessage row)>;

  /// Every reference must outlive run(). `metrics` and `callbacks` may be null: without a callback
  /// sender, callback rows fail with a clear error rather than wait forever.
  OutboxSender(boost::asio::any_io_executor executor, storage::Store& store, slack::SlackApi& api,
               handlers::PolicyResolver resolver, core::Clock& clock, core::Metrics* metrics, Options options,
               CallbackSender* callbacks = nullptr);
  ~OutboxSender();
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  /// Resolves the desk channel (retrying with backoff while it cannot be used), settles the rows in
  /// doubt, then sends due rows and sleeps until the next one is due or poke() is called. Returns
  /// after stop().
  boost::asio::awaitable<void> run();

  /// New rows were committed: look again now. Call on the io_context's thread.
  void poke();
  /// Ends run() after the row in flight, if any. Call on the io_context's thread.
  void stop();

  /// Registers a sender for another outbox kind; rows of a kind nobody sends fail with a clear error.
  void add_kind(std::string kind, KindHandler handler);

  /// The desk channel's id once resolved; empty before.
  const std::string& desk_channel_id() const { return channel_id_; }

 private:
  struct ChannelLookup {
    std::string id;
    std::string problem;
  };

  boost::asio::awaitable<void> resolve_desk_channel();
  boost::asio::awaitable<ChannelLookup> find_desk_channel();
  boost::asio::awaitable<void> resolve_in_doubt();
  boost::asio::awaitable<bool> send_due();
  boost::asio::awaitable<void> send_row(storage::OutboxMessage row);
  boost::asio::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage row);
  boost::asio::awaitable<DeliveryOutcome> post_escalation(const storage::OutboxMessage& row);
  boost::asio::awaitable<DeliveryOutcome> update_escalation(const storage::OutboxMessage& row);
  boost::asio::awaitable<DeliveryOutcome> thread_reply(const storage::OutboxMessage& row);
  boost::asio::awaitable<DeliveryOutcome> direct_message(const storage::OutboxMessage& row);
  /// chat.postMessage; on not_in_channel joins the channel once and tries again.
  boost::asio::awaitable<slack::PostedMessage> post_in_channel(slack::PostMessage message);
  /// The message in `channel` whose metadata is `metadata` (event_type and payload): in the
  /// channel's history, or in the thread under `thread_ts` when it is set (history has no replies).
  boost::asio::awaitable<std::optional<slack::HistoryMessage>> find_by_metadata(
      std::string channel, std::string thread_ts, nlohmann::json metadata, std::string oldest);
  /// Looks for an earlier send of `row` in `channel` (a post by its escalation id, anything else by
  /// `metadata`, in the thread under `thread_ts` if set). A permanent refusal (e.g. missing
  /// channels:history) is logged and reads as "not found": a possible duplicate beats a lost message.
  boost::asio::awaitable<std::optional<slack::HistoryMessage>> look_up(const storage::OutboxMessage& row,
                                                                       std::string channel, std::string thread_ts,
                                                                       nlohmann::json metadata);
  /// Where an in-doubt lookup starts reading history (a Slack ts), or empty for no bound.
  std::string lookup_oldest(const storage::OutboxMessage& row) const;
  /// Waits `delay` (nullopt: until poked or stopped) on the wake-up timer.
  boost::asio::awaitable<void> sleep_for(std::optional<std::chrono::milliseconds> delay);

  void apply(const storage::OutboxMessage& row, const DeliveryOutcome& outcome);
  std::chrono::milliseconds backoff(int attempts) const;
  handlers::EscalationView view_for(const core::Escalation& e, const handlers::PolicySet* set);
  const core::PersonalDataScanner& scanner_for(const handlers::PolicySet* set);

  storage::Store& store_;
  slack::SlackApi& api_;
  handlers::PolicyResolver resolver_;
  core::Clock& clock_;
  core::Metrics* metrics_;
  Options options_;
  CallbackSender* callbacks_;
  boost::asio::steady_timer wake_;
  bool stopping_ = false;
  bool resolving_channel_ = false;  ///< a poke does not cut a channel-resolution backoff short
  bool recheck_in_doubt_ = true;    ///< rows may be left `sending`: look them up before sending more
  std::string channel_id_;
  std::map<std::string, KindHandler> extra_kinds_;
  std::map<std::string, std::unique_ptr<core::PersonalDataScanner>> scanners_;  ///< by policy digest
};

}  // namespace desk::bot
