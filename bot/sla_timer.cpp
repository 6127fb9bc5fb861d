#include "bot/sla_timer.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/slack/log.hpp"
#include "handlers/effects.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;

std::int64_t unix_seconds(core::TimePoint t) { return t.time_since_epoch().count(); }
core::TimePoint from_unix(const json& j) { return core::TimePoint{core::Seconds{j.get<std::int64_t>()}}; }

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

/// Who core::fire_due notifies for a deadline kind, for payloads that did not record it.
std::vector<std::string> default_notify(core::DeadlineKind kind, const core::Escalation& e) {
  std::vector<std::string> out;
  if (kind != core::DeadlineKind::backup_ping) add_unique(out, e.owner_person);
  if (kind != core::DeadlineKind::decision) add_unique(out, e.backup_person);
  add_unique(out, e.director_person);
  return out;
}

/// Stands in for a policy snapshot that cannot be resolved: reminders still fire and are announced
/// (with nobody to ping), instead of silently never firing.
const handlers::PolicySet& empty_policy_set() {
  static const handlers::PolicySet set{core::Policy{}};
  return set;
}

}  // namespace

json reminder_payload(const core::Reminder& r, const core::Escalation& e) {
  return {{"reply", "reminder"},
          {"deadline", core::to_string(r.kind)},
          {"late_by_s", r.late_by.count()},
          {"due", unix_seconds(r.due)},
          {"fired_at", unix_seconds(r.fired_at)},
          {"owned_since", unix_seconds(e.owned_since)},
          {"generation", e.generation},
          {"notify", r.notify}};
}

core::Reminder reminder_from_payload(const json& payload, const core::Escalation& e) {
  const auto kind = core::deadline_kind_from(payload.value("deadline", std::string{}));
  if (!kind) throw std::invalid_argument("reminder reply without a known deadline kind");
  core::Reminder r;
  r.kind = *kind;
  r.escalation_id = e.id;
  r.late_by = core::Seconds{payload.value("late_by_s", std::int64_t{0})};
  if (auto due = payload.find("due"); due != payload.end() && due->is_number_integer()) {
    r.due = from_unix(*due);
  } else if (const core::Deadline* d = e.deadline(r.kind)) {
    r.due = d->due;
  }
  r.fired_at = r.due + r.late_by;
  if (auto at = payload.find("fired_at"); at != payload.end() && at->is_number_integer()) r.fired_at = from_unix(*at);
  if (auto notify = payload.find("notify"); notify != payload.end() && notify->is_array()) {
    for (const auto& p : *notify)
      if (p.is_string()) add_unique(r.notify, p.get<std::string>());
  } else {
    r.notify = default_notify(r.kind, e);
  }
  return r;
}

core::Escalation escalation_at_reminder(const json& payload, core::Escalation e) {
  if (auto g = payload.find("generation"); g != payload.end() && g->is_number_integer()) e.generation = g->get<int>();
  if (auto s = payload.find("owned_since"); s != payload.end() && s->is_number_integer()) e.owned_since = from_unix(*s);
  return e;
}

std::vector<storage::OutboxMessage> reminder_outbox(const core::Fired& fired, const core::Escalation& e,
                                                    const handlers::SurfaceNames& surfaces, core::TimePoint now) {
  using handlers::Effect;
  std::vector<storage::OutboxMessage> rows;
  for (const auto& r : fired.reminders) {
    const json payload = reminder_payload(r, e);
    // Each surface orders a reply behind the post it answers (same escalation, same ordering key).
    for (auto& row : handlers::effect_rows(Effect::thread_reply, surfaces, e.id, payload, now))
      rows.push_back(std::move(row));
    if (r.kind != core::DeadlineKind::backup_ping) continue;
    // The ping also reaches each person directly: a thread mention is easy to miss. Each surface
    // knows how to reach a person (a Slack DM, a Teams mention) or that it cannot.
    for (const auto& person : r.notify) {
      json ping = payload;
      ping["person"] = person;
      for (auto& row : handlers::effect_rows(Effect::ping, surfaces, e.id, ping, now)) rows.push_back(std::move(row));
    }
  }
  return rows;
}

SlaTimer::SlaTimer(net::any_io_executor executor, storage::Store& store, handlers::PolicyResolver resolver,
                   core::Clock& clock, core::Metrics* metrics, std::function<void()> on_enqueued,
                   SlaTimerOptions options)
    : store_(store),
      resolver_(std::move(resolver)),
      clock_(clock),
      metrics_(metrics),
      on_enqueued_(std::move(on_enqueued)),
      options_(options),
      timer_(executor) {}

void SlaTimer::poke() {
  full_pass_ = true;
  timer_.cancel();
}

void SlaTimer::poke(const std::string& escalation_id) {
  poked_.insert(escalation_id);
  timer_.cancel();
}

void SlaTimer::schedule(const std::string& escalation_id, std::optional<core::TimePoint> next) {
  unschedule(escalation_id);
  if (!next) return;
  due_by_id_.emplace(escalation_id, *next);
  due_in_order_.emplace(*next, escalation_id);
}

void SlaTimer::unschedule(const std::string& escalation_id) {
  auto it = due_by_id_.find(escalation_id);
  if (it == due_by_id_.end()) return;
  due_in_order_.erase(std::pair(it->second, escalation_id));
  due_by_id_.erase(it);
}

std::pair<std::string, bool> SlaTimer::health() const {
  if (problem_.empty()) return {"running", true};
  return {"retrying after an error: " + problem_, false};
}

void SlaTimer::stop() {
  stopping_ = true;
  timer_.cancel();
}

std::shared_ptr<const handlers::PolicySet> SlaTimer::policy_for(const core::Escalation& e) {
  auto set = resolver_ ? resolver_(e.policy_digest) : nullptr;
  if (!set && missing_policy_logged_.insert(e.id).second) {
    slack::log_error("sla.policy_missing", {{"escalation_id", e.id},
                                            {"policy_digest", e.policy_digest},
                                            {"effect", "reminders fire without the rota: nobody is pinged by name"}});
  }
  return set;
}

int SlaTimer::fire_escalation(core::Escalation e, core::TimePoint now, std::span<const core::RotaOverride> overrides) {
  const auto set = policy_for(e);
  const handlers::PolicySet& policy = set ? *set : empty_policy_set();
  const core::LifecycleContext ctx{policy.policy(), policy.rota(), overrides};
  for (int round = 0; round < options_.conflict_retries; ++round) {
    const core::Escalation before = e;
    core::Fired fired = core::fire_due(e, ctx, now);
    if (fired.reminders.empty()) {
      schedule(e.id, core::next_deadline(e));
      return 0;
    }
    if (store_.update_escalation(e, fired.audit, reminder_outbox(fired, e, options_.surfaces, now))) {
      if (metrics_) metrics_->count_change(before, e);
      for (const auto& r : fired.reminders) {
        slack::log_info("sla.fired", {{"escalation_id", e.id},
                                      {"deadline", core::to_string(r.kind)},
                                      {"late_by_s", static_cast<std::int64_t>(r.late_by.count())}});
        if (!metrics_ || e.drill) continue;  // fire drills stay out of real metrics
        if (r.kind == core::DeadlineKind::backup_ping)
          metrics_->count_ping();
        else
          metrics_->count_breach(r.kind);
      }
      schedule(e.id, core::next_deadline(e));
      return static_cast<int>(fired.reminders.size());
    }
    // Someone changed it first (a click, another desk): start again from what they committed.
    auto fresh = store_.escalation(e.id, storage::Hits::skip);
    if (!fresh || core::is_decided(fresh->state)) {
      unschedule(e.id);
      return 0;
    }
    e = std::move(*fresh);
  }
  slack::log_warn("sla.conflict", {{"escalation_id", e.id}, {"rounds", options_.conflict_retries}});
  retry_soon_ = true;
  full_pass_ = true;  // it is no longer scheduled: the retry reads everything again
  return 0;
}

int SlaTimer::fire_due() {
  const core::TimePoint now = clock_.now();
  // Whatever fails from here on, the next pass reads everything again.
  full_pass_ = true;
  retry_soon_ = false;
  const auto overrides = store_.overrides_active_after(now);
  auto undecided = store_.undecided_escalations(storage::Hits::skip);  // deadlines need no hits
  due_by_id_.clear();
  due_in_order_.clear();
  poked_.clear();
  int fired = 0;
  for (auto& e : undecided) fired += fire_escalation(std::move(e), now, overrides);
  if (!retry_soon_) full_pass_ = false;
  resync_at_ = now + options_.resync_every;
  next_ = due_in_order_.empty() ? std::nullopt : std::optional(due_in_order_.begin()->first);
  if (fired > 0 && on_enqueued_) on_enqueued_();
  return fired;
}

int SlaTimer::fire_pending() {
  const core::TimePoint now = clock_.now();
  if (full_pass_ || !resync_at_ || now >= *resync_at_) return fire_due();
  std::set<std::string> ids = std::move(poked_);
  poked_.clear();
  for (auto it = due_in_order_.begin(); it != due_in_order_.end() && it->first <= now; ++it) ids.insert(it->second);
  if (ids.empty()) return 0;
  retry_soon_ = false;
  full_pass_ = true;  // until this pass has succeeded
  const auto overrides = store_.overrides_active_after(now);
  int fired = 0;
  for (const auto& id : ids) {
    auto e = store_.escalation(id, storage::Hits::skip);
    if (!e || core::is_decided(e->state)) {
      unschedule(id);
      continue;
    }
    fired += fire_escalation(std::move(*e), now, overrides);
  }
  if (!retry_soon_) full_pass_ = false;
  next_ = due_in_order_.empty() ? std::nullopt : std::optional(due_in_order_.begin()->first);
  if (fired > 0 && on_enqueued_) on_enqueued_();
  return fired;
}

net::awaitable<void> SlaTimer::run() {
  while (!stopping_) {
    std::optional<std::chrono::milliseconds> sleep;  // nullopt: nothing pending, wait for a poke
    try {
      fire_pending();
      problem_.clear();
      if (retry_soon_) {
        sleep = options_.retry_after_error;
      } else {
        // The earliest deadline or the periodic resync, whichever comes first.
        auto wake = *resync_at_;
        if (next_ && *next_ < wake) wake = *next_;
        const auto until = std::max(core::Seconds{0}, wake - clock_.now());
        sleep = std::min<std::chrono::milliseconds>(until, options_.max_sleep);
      }
    } catch (const std::exception& e) {
      // A storage error, or anything unexpected: the clock keeps running and tries again shortly.
      const bool storage = dynamic_cast<const storage::StorageError*>(&e) != nullptr;
      problem_ = storage ? std::string(e.what()) : std::string("unexpected: ") + e.what();
      if (metrics_) metrics_->count_worker_error("sla_clock");
      slack::log_error(
          storage ? "sla.storage_error" : "sla.unexpected_error",
          {{"error", e.what()}, {"retry_in_s", static_cast<std::int64_t>(options_.retry_after_error.count())}});
      sleep = options_.retry_after_error;
    }
    if (stopping_) break;
    if (sleep)
      timer_.expires_after(*sleep);
    else
      timer_.expires_at(std::chrono::steady_clock::time_point::max());
    // Cancelled by poke() or stop(): either way, look again.
    co_await timer_.async_wait(net::as_tuple(net::use_awaitable));
  }
}

}  // namespace desk::bot
