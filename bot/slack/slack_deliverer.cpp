#include "bot/slack/slack_deliverer.hpp"

#include <algorithm>
#include <stdexcept>

#include "bot/sla_timer.hpp"
#include "bot/slack/log.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/drills.hpp"
#include "handlers/effects.hpp"

// GCC 12 false positive: once it inlines an Asio coroutine's frame allocation (thread_info_base's
// recycling allocator) into deliver(), it pairs the aligned_new inside with the frame's operator
// delete and warns. The pair is Asio's own and matched.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace desk::bot::slack {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;
using handlers::Effect;

constexpr const char* kReplyEvent = "escalation_reply";
constexpr const char* kDirectMessageEvent = "desk_direct_message";
constexpr const char* kChannelNoticeEvent = "desk_channel_notice";

/// A payload that cannot be what its effect needs: retrying cannot fix it.
class BadPayload : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `more`: what else became of the message (e.g. its pin), recorded with the row.
DeliveryOutcome sent(const std::string& channel, const std::string& ts, bool found = false,
                     const json& more = json::object()) {
  json result = {{"channel", channel}, {"ts", ts}};
  if (found) result["found_in_history"] = true;
  result.update(more);
  return DeliveryOutcome::sent(result.dump());
}

/// An update or reply whose escalation has no Slack post. The post row comes first in the same
/// ordering key, so it is usually on its way; once it has failed for good, so does everything that
/// needed it, at once and saying why (the escalation's other messages and every other escalation
/// never waited on it). A post that never came at all gives up after a day.
DeliveryOutcome no_post_yet(storage::Store& store, const storage::OutboxMessage& row, core::TimePoint now) {
  const std::string_view post_kind = handlers::to_string(Effect::post_escalation);
  for (const auto& earlier : store.outbox_of_escalation(row.escalation_id, 0)) {
    if (earlier.surface == row.surface && earlier.kind == post_kind &&
        earlier.state == storage::OutboxMessage::State::failed)
      return DeliveryOutcome::fail("escalation " + row.escalation_id +
                                   " has no Slack post: posting it failed for good (" + earlier.last_error + ")");
  }
  if (now - row.created_at >= std::chrono::hours{24})
    return DeliveryOutcome::fail("escalation " + row.escalation_id + " was never posted to Slack");
  return DeliveryOutcome::retry("escalation " + row.escalation_id + " has no Slack post yet");
}

/// A section's text holds at most 3,000 characters (bytes here: never more than characters).
constexpr std::size_t kSectionText = 3000;

/// A channel notice in Block Kit: the title in bold and its lines, in as many sections as they need
/// (an SOP's text and link may not fit one), and the people it names mentioned (those with a Slack
/// id; the others by name), so a handoff reaches the incoming duty lead. A notice to pin carries its
/// marks (pinned_notice_metadata, pinned_block_id) so its copies are known later in pins.list.
json channel_notice_body(const handlers::ChannelNotice& n, const core::Rota* rota, std::int64_t outbox_id) {
  json blocks = json::array();
  std::string text = "*" + escape_mrkdwn(n.title) + "*";
  auto flush = [&] {
    json section = {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}};
    if (n.pin && blocks.empty()) section["block_id"] = pinned_block_id(n.notice);
    blocks.push_back(std::move(section));
  };
  for (const auto& line : n.lines) {
    std::string escaped = escape_mrkdwn(line);
    if (text.size() + 1 + escaped.size() > kSectionText) {
      flush();
      text = std::move(escaped);  // a line longer than a section is cut by within_limits
    } else {
      text += "\n" + escaped;
    }
  }
  flush();
  std::string mentions;
  for (const auto& person : n.mentions)
    if (rota) mentions += (mentions.empty() ? "" : " ") + mention(person_ref(*rota, person));
  if (!mentions.empty())
    blocks.push_back({{"type", "context"}, {"elements", json::array({{{"type", "mrkdwn"}, {"text", mentions}}})}});
  return {
      {"text", n.title},
      {"blocks", std::move(blocks)},
      {"metadata", n.pin ? pinned_notice_metadata(n.notice, outbox_id)
                         : json{{"event_type", kChannelNoticeEvent}, {"event_payload", {{"outbox_id", outbox_id}}}}}};
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

bool is_slack_user_id(const std::string& id) {
  return id.size() > 1 && (id[0] == 'U' || id[0] == 'W') &&
         id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == std::string::npos;
}

/// The reminder a ping or thread reply announces, as it was when it fired.
json reminder_body(const json& payload, const core::Escalation& e, const core::Rota& rota) {
  try {
    return reminder_reply(reminder_from_payload(payload, e), escalation_at_reminder(payload, e), rota);
  } catch (const std::invalid_argument& bad) { throw BadPayload(bad.what()); }
}

/// The reply a thread_reply row announces, rendered from the escalation as it is now (a reminder as
/// it was when it fired).
json reply_body(const json& payload, const core::Escalation& e, const core::Rota& rota) {
  const std::string reply = string_field(payload, "reply");
  if (reply == "decision") return decision_reply(e, rota);
  if (reply == "reowned")
    return reowned_reply(e, rota, string_field(payload, "actor"), string_field(payload, "rationale"));
  if (reply == "reminder") return reminder_body(payload, e, rota);
  if (reply == "postmortem") return postmortem_reply(e, rota, string_field(payload, "actor"));
  if (reply == "drill_score") try {
      return drill_score_reply(e, handlers::drill_score_from_payload(payload));
    } catch (const std::invalid_argument& bad) { throw BadPayload(bad.what()); }
  throw BadPayload("unknown thread reply '" + reply + "'");
}

/// `body` as Block Kit will take it (fit_block_kit); a body that had to be degraded is
/// logged with what was wrong, so the builder can be mended while people still get the message.
json within_limits(const storage::OutboxMessage& row, json body) {
  std::vector<std::string> problems;
  json fitted = fit_block_kit(std::move(body), &problems);
  if (!problems.empty()) {
    std::string first;
    for (std::size_t i = 0; i < problems.size() && i < 3; ++i) first += (i ? "; " : "") + problems[i];
    log_warn("outbox.block_kit_degraded", {{"id", row.id},
                                           {"kind", row.kind},
                                           {"escalation_id", row.escalation_id},
                                           {"problems", problems.size()},
                                           {"first", first}});
  }
  return fitted;
}

}  // namespace

bool is_transient_slack_error(std::string_view error) {
  // Slack-side trouble and rate limits (the Web API client already waits out a 429's Retry-After;
  // these are what is left when it gave up). team_added_to_org: a migration in progress.
  static constexpr std::string_view kTransient[] = {"internal_error",   "service_unavailable", "fatal_error",
                                                    "request_timeout",  "ratelimited",         "rate_limited",
                                                    "team_added_to_org"};
  return std::find(std::begin(kTransient), std::end(kTransient), error) != std::end(kTransient);
}

bool looks_like_channel_id(std::string_view channel) {
  return channel.size() > 1 && (channel[0] == 'C' || channel[0] == 'G') &&
         channel.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == std::string_view::npos;
}

PostMessage to_post_message(const std::string& channel, const json& body) {
  PostMessage m;
  m.channel = channel;
  m.text = string_field(body, "text");
  if (auto blocks = body.find("blocks"); blocks != body.end() && blocks->is_array()) m.blocks = *blocks;
  m.unfurl_links = body.value("unfurl_links", false);
  if (auto meta = body.find("metadata"); meta != body.end() && meta->is_object()) {
    m.metadata = MessageMetadata{string_field(*meta, "event_type"), meta->value("event_payload", json::object())};
  }
  return m;
}

SlackDeliverer::SlackDeliverer(net::any_io_executor executor, storage::Store& store, SlackApi& api,
                               handlers::PolicyResolver resolver, core::Clock& clock, core::Metrics* metrics,
                               Options options, std::function<void()> on_ready)
    : store_(store),
      api_(api),
      resolver_(std::move(resolver)),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      on_ready_(std::move(on_ready)),
      retry_timer_(executor) {}

SlackDeliverer::~SlackDeliverer() = default;

void SlackDeliverer::stop() {
  stopping_ = true;
  retry_timer_.cancel();
}

net::awaitable<DeliveryOutcome> SlackDeliverer::deliver(storage::OutboxMessage row, bool in_doubt) {
  std::string error, method, problem;
  bool transport = false;
  try {
    co_return co_await render_and_send(row, in_doubt);
  } catch (const storage::StorageError&) {
    throw;  // the dispatcher settles the row after a storage failure
  } catch (const SlackApiError& e) {
    error = e.error();
    method = e.method();
    problem = e.what();
  } catch (const SlackTransportError& e) {
    transport = true;
    problem = e.what();
  } catch (const BadPayload& e) {
    problem = std::string("bad payload: ") + e.what();
  } catch (const json::exception& e) { problem = std::string("bad payload: ") + e.what(); }
  if (transport || (!error.empty() && is_transient_slack_error(error)))
    co_return DeliveryOutcome::retry(std::move(problem));
  if (!error.empty() && metrics_) metrics_->count_slack_api_error(method, error);
  co_return DeliveryOutcome::fail(std::move(problem));
}

net::awaitable<DeliveryOutcome> SlackDeliverer::render_and_send(const storage::OutboxMessage& row, bool in_doubt) {
  const auto effect = handlers::effect_from(row.kind);
  if (!effect) co_return DeliveryOutcome::fail("Slack cannot deliver outbox kind '" + row.kind + "'");
  switch (*effect) {
    case Effect::post_escalation:
      co_return co_await post_escalation(row, in_doubt);
    case Effect::update_escalation:
      co_return co_await update_escalation(row);
    case Effect::thread_reply:
      co_return co_await thread_reply(row, in_doubt);
    case Effect::ping:
      co_return co_await ping(row, in_doubt);
    case Effect::direct_message:
      co_return co_await direct_message(row, in_doubt);
    case Effect::channel_notice:
      co_return co_await channel_notice(row, in_doubt);
    case Effect::decision_callback:
      break;
  }
  co_return DeliveryOutcome::fail("Slack cannot deliver outbox kind '" + row.kind + "'");
}

net::awaitable<DeliveryOutcome> SlackDeliverer::post_escalation(const storage::OutboxMessage& row, bool in_doubt) {
  const auto e = store_.escalation(row.escalation_id);
  if (!e) co_return DeliveryOutcome::fail("escalation '" + row.escalation_id + "' not found");
  const auto set = resolver_ ? resolver_(e->policy_digest) : nullptr;
  const json body = within_limits(row, escalation_post(*e, view_for(*e, set.get())));
  const std::string surface(kSlackSurface);
  if (in_doubt) {
    // An earlier attempt may have reached Slack: chat.postMessage has no idempotency key.
    if (auto found = co_await look_up(row, channel_id_, {}, body.value("metadata", json::object()))) {
      log_info("outbox.found_earlier_post", {{"id", row.id}, {"escalation_id", e->id}, {"ts", found->ts}});
      auto outcome = sent(channel_id_, found->ts, true);
      outcome.message = storage::MessageRef{e->id, surface, channel_id_, found->ts, {}};
      co_return outcome;
    }
  }
  const auto posted = co_await post_in_channel(to_post_message(channel_id_, body));
  const std::string channel = posted.channel.empty() ? channel_id_ : posted.channel;
  // Recorded with the row's settlement: a crash before it leaves the row in doubt, and its lookup
  // finds this same post.
  auto outcome = sent(channel, posted.ts);
  outcome.message = storage::MessageRef{e->id, surface, channel, posted.ts, {}};
  co_return outcome;
}

net::awaitable<DeliveryOutcome> SlackDeliverer::update_escalation(const storage::OutboxMessage& row) {
  const auto e = store_.escalation(row.escalation_id);
  if (!e) co_return DeliveryOutcome::fail("escalation '" + row.escalation_id + "' not found");
  const auto post = store_.message(e->id, std::string(kSlackSurface));
  if (!post) co_return no_post_yet(store_, row, clock_.now());
  const auto set = resolver_ ? resolver_(e->policy_digest) : nullptr;
  const json body =
      within_limits(row, escalation_update(*e, view_for(*e, set.get()), set ? set->rota() : empty_rota()));
  UpdateMessage update;
  update.channel = post->channel;
  update.ts = post->message_id;
  update.text = string_field(body, "text");
  if (auto blocks = body.find("blocks"); blocks != body.end()) update.blocks = *blocks;
  co_await api_.chat_update(std::move(update));
  co_return sent(post->channel, post->message_id);
}

net::awaitable<DeliveryOutcome> SlackDeliverer::thread_reply(const storage::OutboxMessage& row, bool in_doubt) {
  const auto e = store_.escalation(row.escalation_id);
  if (!e) co_return DeliveryOutcome::fail("escalation '" + row.escalation_id + "' not found");
  const auto post = store_.message(e->id, std::string(kSlackSurface));
  if (!post) co_return no_post_yet(store_, row, clock_.now());
  const auto set = resolver_ ? resolver_(e->policy_digest) : nullptr;
  const json payload = parse_payload(row);
  if (string_field(payload, "reply") == handlers::kHotlineReply)
    co_return co_await hotline_reply(row, payload, *e, *post, set ? set->rota() : empty_rota(), in_doubt);
  const json body = within_limits(row, reply_body(payload, *e, set ? set->rota() : empty_rota()));
  if (in_doubt) {
    json metadata = body.value("metadata", json::object());
    if (string_field(metadata, "event_type") == kReplyEvent) {
      if (auto found = co_await look_up(row, post->channel, post->message_id, std::move(metadata)))
        co_return sent(post->channel, found->ts, true);
    }
  }
  PostMessage message = to_post_message(post->channel, body);
  message.thread_ts = post->message_id;
  const auto posted = co_await post_in_channel(std::move(message));
  co_return sent(post->channel, posted.ts);
}

net::awaitable<DeliveryOutcome> SlackDeliverer::hotline_reply(const storage::OutboxMessage& row, const json& payload,
                                                              const core::Escalation& e,
                                                              const storage::MessageRef& post, const core::Rota& rota,
                                                              bool in_doubt) {
  const std::string channel = string_field(payload, "channel"), thread = string_field(payload, "thread_id");
  if (channel.empty() || thread.empty()) co_return DeliveryOutcome::fail("a hotline answer without its thread");
  std::string link;
  try {
    link = co_await api_.chat_get_permalink(post.channel, post.message_id);
  } catch (const SlackApiError& refused) {
    // The answer still names the escalation; only the link to its post is missing.
    log_warn("outbox.permalink_refused", {{"id", row.id}, {"escalation_id", e.id}, {"error", refused.error()}});
  }
  const json body = within_limits(row, slack::hotline_reply(e, rota, string_field(payload, "author"), link));
  if (in_doubt) {
    if (auto found = co_await look_up(row, channel, thread, body.value("metadata", json::object())))
      co_return sent(channel, found->ts, true);
  }
  PostMessage message = to_post_message(channel, body);
  message.thread_ts = thread;
  const auto posted = co_await post_in_channel(std::move(message));
  co_return sent(channel, posted.ts);
}

net::awaitable<DeliveryOutcome> SlackDeliverer::ping(const storage::OutboxMessage& row, bool in_doubt) {
  const json payload = parse_payload(row);
  const auto e = store_.escalation(row.escalation_id);
  if (!e) co_return DeliveryOutcome::fail("escalation '" + row.escalation_id + "' not found");
  const auto set = resolver_ ? resolver_(e->policy_digest) : nullptr;
  const core::Rota& rota = set ? set->rota() : empty_rota();
  const std::string person = string_field(payload, "person");
  const core::Person* p = rota.person(person);
  // Someone without a Slack id is reached by the thread mention and the other surfaces only.
  if (!p || !is_slack_user_id(p->slack_user))
    co_return DeliveryOutcome::sent(json{{"skipped", "'" + person + "' has no Slack user id"}}.dump());
  json body = {{"text", reminder_body(payload, *e, rota).value("text", std::string{})}};
  co_return co_await send_direct(row, p->slack_user, std::move(body), in_doubt);
}

net::awaitable<DeliveryOutcome> SlackDeliverer::direct_message(const storage::OutboxMessage& row, bool in_doubt) {
  const json payload = parse_payload(row);
  // "user" is a Slack id (rows written before surfaces existed); "person" is resolved through the rota.
  std::string user = string_field(payload, "user");
  if (user.empty() && !row.escalation_id.empty()) {
    if (const auto e = store_.escalation(row.escalation_id)) {
      const auto set = resolver_ ? resolver_(e->policy_digest) : nullptr;
      if (const core::Person* p = set ? set->rota().person(string_field(payload, "person")) : nullptr)
        user = p->slack_user;
    }
  }
  if (!is_slack_user_id(user)) co_return DeliveryOutcome::fail("direct message without a Slack user id");
  json body = {{"text", string_field(payload, "text")}};
  if (auto blocks = payload.find("blocks"); blocks != payload.end() && blocks->is_array()) body["blocks"] = *blocks;
  co_return co_await send_direct(row, std::move(user), std::move(body), in_doubt);
}

net::awaitable<DeliveryOutcome> SlackDeliverer::channel_notice(const storage::OutboxMessage& row, bool in_doubt) {
  auto notice = handlers::channel_notice_from(parse_payload(row));
  if (!notice) co_return DeliveryOutcome::fail("not a channel notice the desk wrote");
  const auto set = resolver_ && !notice->policy_digest.empty() ? resolver_(notice->policy_digest) : nullptr;
  const json body = within_limits(row, channel_notice_body(*notice, set ? &set->rota() : nullptr, row.id));
  PostedMessage posted;
  bool found = false;
  if (in_doubt) {
    // The row's id is in the metadata: after a crash the notice is found in the channel, not repeated.
    // A notice to pin whose pin failed is retried the same way, so it is pinned, not posted again.
    if (auto earlier = co_await look_up(row, channel_id_, {}, body.value("metadata", json::object()))) {
      posted = PostedMessage{channel_id_, earlier->ts};
      found = true;
    }
  }
  if (!found) {
    // Named, not a temporary inside the co_await: GCC 12 destroys such temporaries twice.
    PostMessage message = to_post_message(channel_id_, body);
    posted = co_await post_in_channel(std::move(message));
  }
  const std::string channel = posted.channel.empty() ? channel_id_ : posted.channel;
  json pins = json::object();
  if (notice->pin) pins = co_await keep_pinned(row, notice->notice, channel, posted.ts);
  // Posted first: the text never waits on (or is lost with) its picture.
  if (notice->image) co_await share_notice_image(row, std::move(*notice->image), in_doubt || found);
  co_return sent(channel, posted.ts, found, pins);
}

net::awaitable<void> SlackDeliverer::share_notice_image(const storage::OutboxMessage& row, handlers::NoticeImage image,
                                                        bool in_doubt) {
  // The row's id in the file's name makes this row's upload the one to look for.
  const std::string name = image.name.substr(0, image.name.size() - 4) + "-" + std::to_string(row.id) + ".png";
  const std::function<bool(const HistoryMessage&)> shares_it = [&name](const HistoryMessage& m) {
    return std::find(m.file_names.begin(), m.file_names.end(), name) != m.file_names.end();
  };
  if (in_doubt) {
    try {
      if (co_await find_in_history(channel_id_, std::string(), lookup_oldest(row), shares_it)) co_return;
    } catch (const SlackApiError& e) {
      // As with messages: a possible second copy beats a lost one.
      if (is_transient_slack_error(e.error())) throw;
      log_warn("outbox.lookup_refused", {{"id", row.id}, {"error", e.what()}, {"effect", "uploading the image again"}});
    }
  }
  try {
    const UploadTicket ticket = co_await api_.files_get_upload_url_external(name, image.png.size(), image.alt);
    co_await api_.upload_file_bytes(ticket.upload_url, std::move(image.png));
    CompleteUpload share;
    share.file_id = ticket.file_id;
    share.title = image.alt;
    share.channel_id = channel_id_;
    co_await api_.files_complete_upload_external(std::move(share));
    log_info("slack.notice_image_shared", {{"id", row.id}, {"file", ticket.file_id}});
  } catch (const SlackApiError& e) {
    if (is_transient_slack_error(e.error())) throw;
    if (metrics_) metrics_->count_slack_api_error(e.method(), e.error());
    if (image_refusal_reported_) co_return;
    image_refusal_reported_ = true;
    const bool scope = e.error() == "missing_scope" || e.error() == "not_allowed_token_type";
    log_error("slack.notice_image_refused",
              {{"id", row.id},
               {"error", e.what()},
               {"effect", "the notice is posted without its image (the weekly digest without its run chart)"},
               {"fix", scope ? "add the files:write bot scope to the Slack app and reinstall it in the workspace"
                             : "see the error; the next notice with an image tries again"}});
  }
}

net::awaitable<DeliveryOutcome> SlackDeliverer::send_direct(const storage::OutboxMessage& row, std::string user_id,
                                                            json body, bool in_doubt) {
  // The row's id in the metadata: after a crash the message can be found in the DM and not sent twice.
  body["metadata"] = {{"event_type", kDirectMessageEvent}, {"event_payload", {{"outbox_id", row.id}}}};
  body = within_limits(row, std::move(body));
  PostMessage message = to_post_message(user_id, body);
  if (message.text.empty() && message.blocks.is_null())
    co_return DeliveryOutcome::fail("direct message with nothing to say");
  if (in_doubt) {
    if (auto found = co_await look_up_direct(row, user_id, body["metadata"]))
      co_return sent(found->first, found->second, true);
  }
  // Posting to a user id lands in the bot's DM with them.
  const auto posted = co_await api_.chat_post_message(std::move(message));
  co_return sent(posted.channel, posted.ts);
}

EscalationView SlackDeliverer::view_for(const core::Escalation& e, const handlers::PolicySet* set) {
  EscalationView view;
  view.usergroup_id = options_.usergroup_id_source ? options_.usergroup_id_source() : options_.usergroup_id;
  if (const auto evidence = store_.evidence(e.id)) {
    auto masked = masker_.mask_evidence(set, *evidence);
    view.masked_excerpt = std::move(masked.output);
    view.permalink = std::move(masked.permalink);
    view.suggested_fix = std::move(masked.suggested_fix);
    view.erased_at = evidence->erased_at;
  }
  if (!set) {
    view.owner = PersonRef{{}, e.owner_person};
    return view;
  }
  const core::Rota& rota = set->rota();
  view.owner = person_ref(rota, e.owner_person);
  std::string backup = e.backup_person;
  if (backup.empty()) {
    // Who the ping would reach now; legal has no backup, so the director is pinged for it.
    const auto now = clock_.now();
    const auto overrides = store_.overrides_active_after(now);
    if (auto h = rota.holder(e.with_legal() ? core::kDirectorRole : core::kBackupRole, now, overrides))
      backup = h->person;
  }
  if (!backup.empty()) view.backup = person_ref(rota, backup);
  return view;
}

}  // namespace desk::bot::slack
