#pragma once
/// The SLA clock (SPEC, flow step 5). Deadlines are data in each escalation, not sleeping tasks: one
/// steady_timer waits for the earliest deadline of all undecided escalations, and when it fires,
/// core::fire_due decides what is due. The timer keeps each undecided escalation's next deadline in
/// memory: it reads them all from the store only at start, after poke() and on a periodic resync;
/// poke(id) for a new or changed escalation reads that one alone, so a busy intake costs a read per
/// escalation, not a read of every undecided escalation per new one. The fired marks are committed in the same
/// transaction as the outbox rows that announce them, so after a restart each overdue reminder fires exactly once, and
/// its reply says how late it is ("sent 35 min late: the desk was down").
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/lifecycle.hpp"
#include "core/metrics.hpp"
#include "handlers/effects.hpp"
#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::bot {

/// The slack.thread_reply payload announcing `r`: {"reply":"reminder","deadline":kind,"late_by_s":n}
/// plus what the reply needs to be rendered later as it was when it fired, even if the escalation has
/// moved on by then: "due", "fired_at", "owned_since" (unix seconds), "generation", "notify" (person ids).
nlohmann::json reminder_payload(const core::Reminder& r, const core::Escalation& e);

/// The reminder a payload announces. Fields missing from the payload are taken from `e` (its
/// deadline of that kind, and the people the lifecycle notifies for it). Throws std::invalid_argument
/// when "deadline" is not a deadline kind.
core::Reminder reminder_from_payload(const nlohmann::json& payload, const core::Escalation& e);

/// `e` as it was when the payload's reminder fired (generation and owned_since), for rendering.
core::Escalation escalation_at_reminder(const nlohmann::json& payload, core::Escalation e);

/// The outbox rows announcing what fired on `e`, on each of `surfaces`: a thread reply per reminder
/// (ordered after the escalation's post), and for the backup ping a `ping` of each notified person.
std::vector<storage::OutboxMessage> reminder_outbox(const core::Fired& fired, const core::Escalation& e,
                                                    const handlers::SurfaceNames& surfaces, core::TimePoint now);

struct SlaTimerOptions {
  /// Where reminders are announced (each surface showing escalations); none: fired and audited only.
  handlers::SurfaceNames surfaces;
  /// Longest single wait even with a deadline further away: a steady timer does not see wall-clock
  /// steps or a suspended host, so the deadline is recomputed at least this often while one is pending.
  std::chrono::seconds max_sleep{300};
  std::chrono::seconds retry_after_error{5};  ///< after a storage error or repeated version conflicts
  int conflict_retries = 5;                   ///< reload-and-retry rounds when someone else changed it first
  /// How often every undecided escalation is read again, by the desk's clock, although no poke() asked
  /// for it: catches changes nobody poked about (another process writing the same database).
  std::chrono::seconds resync_every{300};
};

class SlaTimer {
 public:
  /// Every reference must outlive run(). `metrics` may be null. `on_enqueued` is called after reminder
  /// rows were committed (the desk pokes the outbox sender).
  SlaTimer(boost::asio::any_io_executor executor, storage::Store& store, handlers::PolicyResolver resolver,
           core::Clock& clock, core::Metrics* metrics, std::function<void()> on_enqueued, SlaTimerOptions options = {});
  SlaTimer(const SlaTimer&) = delete;
  SlaTimer& operator=(const SlaTimer&) = delete;

  /// Fires what is due, then sleeps until the next deadline or a poke(). Returns after stop().
  boost::asio::awaitable<void> run();

  /// The escalations changed in ways not known one by one, or the clock moved: read every undecided
  /// escalation again and recompute the next deadline now. Call on the io_context's thread.
  void poke();
  /// Escalation `escalation_id` was opened or changed (a decision, a re-owning): fire what is due on
  /// it and reschedule it alone, along with anything already due. Call on the io_context's thread.
  void poke(const std::string& escalation_id);
  /// Ends run(). Call on the io_context's thread.
  void stop();

  /// One full pass: reads every undecided escalation, fires and commits what is due at clock.now(),
  /// and schedules the rest. Returns how many reminders fired. Throws StorageError.
  int fire_due();
  /// One pass over the escalations poked by id and those whose scheduled deadline has come; a full
  /// pass instead when one is asked for or the periodic resync is due. Returns how many fired.
  /// Throws StorageError (the next pass is then a full one).
  int fire_pending();

  /// "running", or what keeps it from firing ("retrying after a storage error: …"), for /healthz;
  /// false in the pair when it cannot fire reminders right now.
  std::pair<std::string, bool> health() const;

  /// The earliest unfired deadline after the last pass; nullopt when nothing is pending.
  std::optional<core::TimePoint> next_deadline() const { return next_; }

 private:
  /// Fires and commits what is due on one escalation, reloading it on a version conflict, and
  /// schedules its next deadline.
  int fire_escalation(core::Escalation e, core::TimePoint now, std::span<const core::RotaOverride> overrides);
  void schedule(const std::string& escalation_id, std::optional<core::TimePoint> next);
  void unschedule(const std::string& escalation_id);
  std::shared_ptr<const handlers::PolicySet> policy_for(const core::Escalation& e);

  storage::Store& store_;
  handlers::PolicyResolver resolver_;
  core::Clock& clock_;
  core::Metrics* metrics_;
  std::function<void()> on_enqueued_;
  SlaTimerOptions options_;
  boost::asio::steady_timer timer_;
  std::optional<core::TimePoint> next_;
  /// The next unfired deadline of each undecided escalation, by id and in time order.
  std::map<std::string, core::TimePoint> due_by_id_;
  std::set<std::pair<core::TimePoint, std::string>> due_in_order_;
  std::set<std::string> poked_;  ///< ids poked since the last pass
  bool full_pass_ = true;        ///< the next pass reads every undecided escalation
  std::optional<core::TimePoint> resync_at_;
  bool retry_soon_ = false;
  bool stopping_ = false;
  std::string problem_;                          ///< the last storage failure, until a pass succeeds
  std::set<std::string> missing_policy_logged_;  ///< escalation ids already reported, to log once
};

}  // namespace desk::bot
