#include "bot/outbox_sender.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/sla_timer.hpp"
#include "bot/slack/log.hpp"

// GCC 12 false positive: once it inlines an Asio coroutine's frame allocation (thread_info_base's
// recycling allocator) into deliver(), it pairs the aligned_new inside with the frame's operator
// delete and warns. The pair is Asio's own and matched.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace desk::bot {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;
using Kind = DeliveryOutcome::Kind;

constexpr std::string_view kPost = "slack.post_escalation";
constexpr std::string_view kUpdate = "slack.update_escalation";
constexpr std::string_view kThreadReply = "slack.thread_reply";
constexpr std::string_view kDirectMessage = "slack.dm";
constexpr std::string_view kCallback = "callback.decision";
constexpr const char* kReplyEvent = "escalation_reply";
constexpr int kLookupPages = 5;
constexpr int kChannelListPages = 50;

/// A payload that cannot be what its kind needs: retrying cannot fix it.
class BadPayload : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

DeliveryOutcome sent(const std::string& channel, const std::string& ts, bool found = false) {
  json result = {{"channel", channel}, {"ts", ts}};
  if (found) result["found_in_history"] = true;
  return {Kind::sent, {}, result.dump(), {}};
}
DeliveryOutcome retry(std::string why) { return {Kind::retry, std::move(why), {}, {}}; }
DeliveryOutcome failed(std::string why) { return {Kind::fail, std::move(why), {}, {}}; }

/// An update or reply whose escalation has no Slack post yet. The post row comes first in the same
/// ordering key, so this is rare; after a day the post has evidently failed for good.
DeliveryOutcome no_post_yet(const storage::OutboxMessage& row, core::TimePoint now) {
  if (now - row.created_at >= std::chrono::hours{24})
    return failed("escalation " + row.escalation_id + " was never posted to Slack");
  return retry("escalation " + row.escalation_id + " has no Slack post yet");
}

double jitter() {
  static std::mt19937 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

const core::Rota& empty_rota() {
  static const core::Rota rota({}, {});
  return rota;
}

json parse_payload(const storage::OutboxMessage& row) {
  json payload = json::parse(row.payload_json, nullptr, false);
  if (!payload.is_object()) throw BadPayload("payload is not a JSON object");
  return payload;
}

std::string string_field(const json& payload, const char* key) {
  auto it = payload.find(key);
  return it != payload.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

/// The reply a slack.thread_reply row announces, rendered from the escalation as it is now (a
/// reminder as it was when it fired).
json reply_body(const json& payload, const core::Escalation& e, const core::Rota& rota) {
  const std::string reply = string_field(payload, "reply");
  if (reply == "decision") return handlers::decision_reply(e, rota);
  if (reply == "reowned")
    return handlers::reowned_reply(e, rota, string_field(payload, "actor"), string_field(payload, "rationale"));
  if (reply == "reminder") {
    try {
      return handlers::reminder_reply(reminder_from_payload(payload, e), escalation_at_reminder(payload, e), rota);
    } catch (const std::invalid_argument& bad) {
      throw BadPayload(bad.what());
    }
  }
  throw BadPayload("unknown thread reply '" + reply + "'");
}

std::string normalised_name(std::string_view channel) {
  if (!channel.empty() && channel.front() == '#') channel.remove_prefix(1);
  std::string out(channel);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

bool is_transient_slack_error(std::string_view error) {
  // Slack-side trouble and rate limits (the Web API client already waits out a 429's Retry-After;
  // these are what is left when it gave up). team_added_to_org: a migration in progress.
  static constexpr std::array<std::string_view, 7> kTransient = {
      "internal_error", "service_unavailable", "fatal_error",      "request_timeout",
      "ratelimited",    "rate_limited",        "team_added_to_org"};
  return std::find(kTransient.begin(), kTransient.end(), error) != kTransient.end();
}

bool looks_like_channel_id(std::string_view channel) {
  return channel.size() > 1 && (channel[0] == 'C' || channel[0] == 'G') &&
         channel.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == std::string_view::npos;
}

slack::PostMessage to_post_message(const std::string& channel, const json& body) {
  slack::PostMessage m;
  m.channel = channel;
  m.text = string_field(body, "text");
  if (auto blocks = body.find("blocks"); blocks != body.end() && blocks->is_array()) m.blocks = *blocks;
  m.unfurl_links = body.value("unfurl_links", false);
  if (auto meta = body.find("metadata"); meta != body.end() && meta->is_object()) {
    m.metadata = slack::MessageMetadata{string_field(*meta, "event_type"), meta->value("event_payload", json::object())};
  }
  return m;
}

OutboxSender::OutboxSender(net::any_io_executor executor, storage::Store& store, slack::SlackApi& api,
                           handlers::PolicyResolver resolver, core::Clock& clock, core::Metrics* metrics,
                           Options options, CallbackSender* callbacks)
    : store_(store),
      api_(api),
      resolver_(std::move(resolver)),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      callbacks_(callbacks),
      wake_(executor) {
  options_.batch_size = std::max(1, options_.batch_size);
}

OutboxSender::~OutboxSender() = default;

void OutboxSender::poke() {
  if (!resolving_channel_) wake_.cancel();
}

void OutboxSender::stop() {
  stopping_ = true;
  wake_.cancel();
}

void OutboxSender::add_kind(std::string kind, KindHandler handler) { extra_kinds_[std::move(kind)] = std::move(handler); }

net::awaitable<void> OutboxSender::sleep_for(std::optional<std::chrono::milliseconds> delay) {
  if (delay) wake_.expires_after(std::max(std::chrono::milliseconds{0}, *delay));
  else wake_.expires_at(std::chrono::steady_clock::time_point::max());
  // Cancelled by poke() or stop(): either way the caller looks again.
  co_await wake_.async_wait(net::as_tuple(net::use_awaitable));
}

std::chrono::milliseconds OutboxSender::backoff(int attempts) const {
  return slack::backoff_delay(options_.backoff, static_cast<unsigned>(std::max(0, attempts - 1)), jitter());
}

net::awaitable<void> OutboxSender::run() {
  co_await resolve_desk_channel();
  int failures = 0;
  while (!stopping_) {
    bool worked = false;
    std::string problem;
    try {
      if (recheck_in_doubt_) {
        recheck_in_doubt_ = false;
        co_await resolve_in_doubt();
      }
      worked = co_await send_due();
      failures = 0;
    } catch (const storage::StorageError& e) {
      problem = e.what();
    }
    if (!problem.empty()) {
      // A row may be left `sending` by the failure: settle it like a crash's before going on.
      recheck_in_doubt_ = true;
      const auto delay = backoff(++failures);
      slack::log_error("outbox.storage_error", {{"error", problem}, {"retry_in_ms", static_cast<std::int64_t>(delay.count())}});
      co_await sleep_for(delay);
      continue;
    }
    if (worked || stopping_) continue;
    std::optional<std::chrono::milliseconds> wait;
    if (auto next = store_.outbox_next_attempt()) wait = std::max(core::Seconds{0}, *next - clock_.now());
    co_await sleep_for(wait);
  }
}

net::awaitable<void> OutboxSender::resolve_desk_channel() {
  resolving_channel_ = true;
  for (int attempt = 1; !stopping_; ++attempt) {
    ChannelLookup found;
    try {
      found = co_await find_desk_channel();
    } catch (const slack::SlackApiError& e) {
      found.problem = e.what();
    } catch (const slack::SlackTransportError& e) {
      found.problem = e.what();
    }
    if (!found.id.empty()) {
      channel_id_ = found.id;
      slack::log_info("outbox.desk_channel", {{"channel", options_.desk_channel}, {"id", channel_id_}});
      break;
    }
    const auto delay = backoff(attempt);
    slack::log_error("outbox.desk_channel_unavailable",
                     {{"channel", options_.desk_channel},
                      {"problem", found.problem},
                      {"effect", "nothing is sent until the channel can be used"},
                      {"retry_in_ms", static_cast<std::int64_t>(delay.count())}});
    co_await sleep_for(delay);
  }
  resolving_channel_ = false;
}

net::awaitable<OutboxSender::ChannelLookup> OutboxSender::find_desk_channel() {
  if (looks_like_channel_id(options_.desk_channel)) co_return ChannelLookup{options_.desk_channel, {}};
  const std::string name = normalised_name(options_.desk_channel);
  std::string cursor;
  for (int page = 0; page < kChannelListPages; ++page) {
    auto list = co_await api_.conversations_list(cursor, 200);
    for (const auto& c : list.channels) {
      if (c.name != name) continue;
      if (c.is_archived) co_return ChannelLookup{{}, "#" + name + " is archived"};
      if (c.is_member) co_return ChannelLookup{c.id, {}};
      if (c.is_private) co_return ChannelLookup{{}, "#" + name + " is private and the bot is not in it: /invite the bot"};
      co_await api_.conversations_join(c.id);
      slack::log_info("outbox.desk_channel_joined", {{"channel", name}, {"id", c.id}});
      co_return ChannelLookup{c.id, {}};
    }
    if (list.next_cursor.empty()) break;
    cursor = list.next_cursor;
  }
  co_return ChannelLookup{{}, "no channel #" + name + " is visible to the bot (a private one must invite it first)"};
}

net::awaitable<void> OutboxSender::resolve_in_doubt() {
  auto rows = store_.outbox_in_doubt();
  if (!rows.empty()) slack::log_info("outbox.in_doubt", {{"rows", rows.size()}});
  // mark_sending accepts a row left `sending`; send_row looks it up first (attempts > 1).
  for (auto& row : rows) {
    if (stopping_) break;
    co_await send_row(std::move(row));
  }
}

net::awaitable<bool> OutboxSender::send_due() {
  auto rows = store_.outbox_due(clock_.now(), options_.batch_size);
  for (auto& row : rows) {
    if (stopping_) break;
    co_await send_row(std::move(row));
  }
  co_return !rows.empty();
}

net::awaitable<void> OutboxSender::send_row(storage::OutboxMessage row) {
  // Committed before the network call: a crash from here on leaves the row in doubt, never pending.
  store_.outbox_mark_sending(row.id, clock_.now());
  ++row.attempts;
  const DeliveryOutcome outcome = co_await deliver(row);
  apply(row, outcome);
}

net::awaitable<DeliveryOutcome> OutboxSender::deliver(storage::OutboxMessage row) {
  std::string error, method, problem;
  bool transport = false;
  try {
    if (row.kind == kPost) co_return co_await post_escalation(row);
    if (row.kind == kUpdate) co_return co_await update_escalation(row);
    if (row.kind == kThreadReply) co_return co_await thread_reply(row);
    if (row.kind == kDirectMessage) co_return co_await direct_message(row);
    if (row.kind == kCallback) {
      if (!callbacks_) co_return failed("no callback sender is configured");
      co_return co_await callbacks_->deliver(row);
    }
    if (auto it = extra_kinds_.find(row.kind); it != extra_kinds_.end()) co_return co_await it->second(row);
    co_return failed("no sender for outbox kind '" + row.kind + "'");
  } catch (const storage::StorageError&) {
    throw;  // run() settles the row after a storage failure
  } catch (const slack::SlackApiError& e) {
    error = e.error();
    method = e.method();
    problem = e.what();
  } catch (const slack::SlackTransportError& e) {
    transport = true;
    problem = e.what();
  } catch (const BadPayload& e) {
    problem = std::string("bad payload: ") + e.what();
  } catch (const json::exception& e) {
    problem = std::string("bad payload: ") + e.what();
  } catch (const std::exception& e) {
    // A bug in one row's message must not stop the whole outbox; the row fails loudly instead.
    problem = std::string("internal error: ") + e.what();
  }
  if (transport || (!error.empty() && is_transient_slack_error(error))) co_return retry(std::move(problem));
  if (!error.empty() && metrics_) metrics_->count_slack_api_error(method, error);
  co_return failed(std::move(problem));
}

void OutboxSender::apply(const storage::OutboxMessage& row, const DeliveryOutcome& outcome) {
  const core::TimePoint now = clock_.now();
  if (outcome.kind == Kind::sent) {
    store_.outbox_mark_sent(row.id, outcome.result_json.empty() ? "{}" : outcome.result_json, now);
    slack::log_debug("outbox.sent", {{"id", row.id}, {"kind", row.kind}, {"escalation_id", row.escalation_id}});
    return;
  }
  std::int64_t retry_in_s = -1;
  if (outcome.kind == Kind::retry) {
    // At least a second ahead (the store counts whole seconds), so no retry can spin.
    const auto backed_off = now + std::chrono::ceil<core::Seconds>(backoff(row.attempts));
    const core::TimePoint at = std::max(now + core::Seconds{1}, outcome.retry_at.value_or(backed_off));
    store_.outbox_retry(row.id, at, outcome.detail);
    retry_in_s = (at - now).count();
  } else {
    store_.outbox_fail(row.id, outcome.detail);
  }
  // Never the payload: it may hold agent output or personal data. The error names what went wrong.
  slack::log(retry_in_s >= 0 ? slack::LogLevel::warn : slack::LogLevel::error,
             retry_in_s >= 0 ? "outbox.retry" : "outbox.failed",
             {{"id", row.id}, {"kind", row.kind}, {"escalation_id", row.escalation_id}, {"attempts", row.attempts},
              {"retry_in_s", retry_in_s}, {"error", outcome.detail}});
}

std::string OutboxSender::lookup_oldest(const storage::OutboxMessage& row) const {
  // Any earlier attempt of this row happened after it was created.
  const auto from = row.created_at - options_.lookup_margin;
  return std::to_string(std::max<std::int64_t>(0, from.time_since_epoch().count())) + ".000000";
}

net::awaitable<std::optional<slack::HistoryMessage>> OutboxSender::find_by_metadata(std::string channel,
                                                                                     std::string thread_ts,
                                                                                     json metadata, std::string oldest) {
  slack::HistoryQuery query;
  query.channel = std::move(channel);
  query.thread_ts = std::move(thread_ts);
  query.oldest = std::move(oldest);
  query.limit = 200;
  const std::string type = string_field(metadata, "event_type");
  const json payload = metadata.value("event_payload", json::object());
  for (int page = 0; page < kLookupPages; ++page) {
    slack::HistoryPage result;
    if (query.thread_ts.empty())
      result = co_await api_.conversations_history(query);
    else
      result = co_await api_.conversations_replies(query);
    for (auto& m : result.messages)
      if (m.metadata && m.metadata->event_type == type && m.metadata->event_payload == payload) co_return std::move(m);
    if (!result.has_more || result.next_cursor.empty()) break;
    query.cursor = result.next_cursor;
  }
  co_return std::nullopt;
}

net::awaitable<slack::PostedMessage> OutboxSender::post_in_channel(slack::PostMessage message) {
  bool joined = false;
  for (;;) {
    try {
      co_return co_await api_.chat_post_message(message);
    } catch (const slack::SlackApiError& e) {
      if (e.error() != "not_in_channel" || joined) throw;
    }
    joined = true;  // removed from the channel since start: join once, then the error is permanent
    co_await api_.conversations_join(message.channel);
  }
}

net::awaitable<std::optional<slack::HistoryMessage>> OutboxSender::look_up(const storage::OutboxMessage& row,
                                                                            std::string channel, std::string thread_ts,
                                                                            json metadata) {
  std::string refused;
  try {
    if (row.kind == kPost)
      co_return co_await slack::find_escalation_post(api_, channel, row.escalation_id, lookup_oldest(row), kLookupPages);
    co_return co_await find_by_metadata(channel, std::move(thread_ts), std::move(metadata), lookup_oldest(row));
  } catch (const slack::SlackApiError& e) {
    if (is_transient_slack_error(e.error())) throw;
    refused = e.what();
  }
  slack::log_warn("outbox.lookup_refused", {{"id", row.id},
                                            {"kind", row.kind},
                                            {"escalation_id", row.escalation_id},
                                            {"error", refused},
                                            {"effect", "sending again; Slack may show it twice"}});
  co_return std::nullopt;
}

net::awaitable<DeliveryOutcome> OutboxSender::post_escalation(const storage::OutboxMessage& row) {
  const auto e = store_.escalation(row.escalation_id);
  if (!e) co_return failed("escalation '" + row.escalation_id + "' not found");
  const auto set = resolver_ ? resolver_(e->policy_digest) : nullptr;
  const json body = handlers::escalation_post(*e, view_for(*e, set.get()));
  if (row.attempts > 1) {
    // An earlier attempt may have reached Slack: chat.postMessage has no idempotency key.
    if (auto found = co_await look_up(row, channel_id_, {}, body.value("metadata", json::object()))) {
      store_.record_slack_post(e->id, channel_id_, found->ts);
      slack::log_info("outbox.found_earlier_post", {{"id", row.id}, {"escalation_id", e->id}, {"ts", found->ts}});
      co_return sent(channel_id_, found->ts, true);
    }
  }
  const auto posted = co_await post_in_channel(to_post_message(channel_id_, body));
  const std::string channel = posted.channel.empty() ? channel_id_ : posted.channel;
  // Recorded before mark_sent: a crash in between leaves the row in doubt, and its lookup records the same post.
  store_.record_slack_post(e->id, channel, posted.ts);
  co_return sent(channel, posted.ts);
}

net::awaitable<DeliveryOutcome> OutboxSender::update_escalation(const storage::OutboxMessage& row) {
  const auto e = store_.escalation(row.escalation_id);
  if (!e) co_return failed("escalation '" + row.escalation_id + "' not found");
  const auto post = store_.slack_post(e->id);
  if (!post) co_return no_post_yet(row, clock_.now());
  const auto set = resolver_ ? resolver_(e->policy_digest) : nullptr;
  const json body = handlers::escalation_update(*e, view_for(*e, set.get()), set ? set->rota() : empty_rota());
  slack::UpdateMessage update;
  update.channel = post->channel;
  update.ts = post->ts;
  update.text = string_field(body, "text");
  if (auto blocks = body.find("blocks"); blocks != body.end()) update.blocks = *blocks;
  co_await api_.chat_update(std::move(update));
  co_return sent(post->channel, post->ts);
}

net::awaitable<DeliveryOutcome> OutboxSender::thread_reply(const storage::OutboxMessage& row) {
  const auto e = store_.escalation(row.escalation_id);
  if (!e) co_return failed("escalation '" + row.escalation_id + "' not found");
  const auto post = store_.slack_post(e->id);
  if (!post) co_return no_post_yet(row, clock_.now());
  const auto set = resolver_ ? resolver_(e->policy_digest) : nullptr;
  const json body = reply_body(parse_payload(row), *e, set ? set->rota() : empty_rota());
  if (row.attempts > 1) {
    json metadata = body.value("metadata", json::object());
    if (string_field(metadata, "event_type") == kReplyEvent) {
      if (auto found = co_await look_up(row, post->channel, post->ts, std::move(metadata)))
        co_return sent(post->channel, found->ts, true);
    }
  }
  slack::PostMessage message = to_post_message(post->channel, body);
  message.thread_ts = post->ts;
  const auto posted = co_await post_in_channel(std::move(message));
  co_return sent(post->channel, posted.ts);
}

net::awaitable<DeliveryOutcome> OutboxSender::direct_message(const storage::OutboxMessage& row) {
  const json payload = parse_payload(row);
  slack::PostMessage message;
  message.channel = string_field(payload, "user");
  const bool user_id = message.channel.size() > 1 && (message.channel[0] == 'U' || message.channel[0] == 'W');
  if (!user_id) co_return failed("slack.dm without a Slack user id");
  message.text = string_field(payload, "text");
  if (auto blocks = payload.find("blocks"); blocks != payload.end() && blocks->is_array()) message.blocks = *blocks;
  if (message.text.empty() && message.blocks.is_null()) co_return failed("slack.dm with nothing to say");
  // Posting to a user id lands in the bot's DM with them; there is nothing to look up afterwards.
  const auto posted = co_await api_.chat_post_message(std::move(message));
  co_return sent(posted.channel, posted.ts);
}

const core::PersonalDataScanner& OutboxSender::scanner_for(const handlers::PolicySet* set) {
  // Without the escalation's policy, mask with every detector: showing too little beats leaking.
  const std::string key = set ? "policy:" + set->digest() : "all";
  auto& scanner = scanners_[key];
  if (!scanner) {
    const std::vector<core::PersonalDataKind> all(std::begin(core::kAllPersonalDataKinds),
                                                  std::end(core::kAllPersonalDataKinds));
    scanner = std::make_unique<core::PersonalDataScanner>(set ? set->policy().personal_data.detectors : all);
  }
  return *scanner;
}

handlers::EscalationView OutboxSender::view_for(const core::Escalation& e, const handlers::PolicySet* set) {
  handlers::EscalationView view;
  view.usergroup_id = options_.usergroup_id_source ? options_.usergroup_id_source() : options_.usergroup_id;
  if (const auto evidence = store_.evidence(e.id)) {
    view.masked_excerpt = core::mask_personal_data(evidence->output, scanner_for(set).scan(evidence->output));
    view.permalink = evidence->permalink;
    view.suggested_fix = evidence->suggested_fix;
  }
  if (!set) {
    view.owner = handlers::PersonRef{{}, e.owner_person};
    return view;
  }
  const core::Rota& rota = set->rota();
  view.owner = handlers::person_ref(rota, e.owner_person);
  std::string backup = e.backup_person;
  if (backup.empty()) {
    // Who the ping would reach now; legal has no backup, so the director is pinged for it.
    const auto now = clock_.now();
    const auto overrides = store_.overrides_active_after(now);
    if (auto h = rota.holder(e.with_legal() ? core::kDirectorRole : core::kBackupRole, now, overrides)) backup = h->person;
  }
  if (!backup.empty()) view.backup = handlers::person_ref(rota, backup);
  return view;
}

}  // namespace desk::bot
