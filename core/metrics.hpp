#pragma once
/// The desk's metrics: a small, fixed registry of counters, gauges and histograms, rendered in the
/// Prometheus text exposition format 0.0.4 for GET /metrics. Standard library only; every method is
/// thread-safe (one mutex per family), so the Slack session, the SLA timer and the intake server may
/// count into one registry.
///
/// Fire drills stay out of real metrics: callers do not count anything for an escalation whose
/// `drill` flag is set (its submission, hits, pings, breaches and response time). The registry cannot
/// tell a drill from a real escalation, so that rule lives with each caller.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/escalation.hpp"

namespace desk::core {

/// A number as the exposition format writes it: integers plainly ("42"), others in the shortest
/// form that reads back exactly ("0.25", "1.5e-07"), and "NaN", "+Inf", "-Inf".
std::string prometheus_number(double value);

/// A label value escaped for the exposition format: backslash, double quote and line feed become
/// \\, \" and \n. Bytes that are not well-formed UTF-8 become '?', so a hostile value cannot break
/// the scrape.
std::string escape_label_value(std::string_view value);

/// HELP text escaped for the exposition format: backslash and line feed only.
std::string escape_help(std::string_view text);

/// Label value that takes every new series once a family holds `max_series` of them: a flood of
/// distinct values (Slack error strings, say) then costs one series, not unbounded memory.
inline constexpr const char* kOverflowLabel = "other";
inline constexpr std::size_t kDefaultMaxSeries = 1000;

/// A counter or gauge family: one value per combination of label values, for a fixed list of
/// label names. Series are rendered sorted by label values, so the text is deterministic.
class CounterFamily {
 public:
  enum class Type { counter, gauge };

  /// Throws std::invalid_argument for a name or label name the format does not allow.
  CounterFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names,
                std::size_t max_series = kDefaultMaxSeries);

  /// Adds `amount` (never negative for a counter) to the series. Throws std::invalid_argument when
  /// the number of label values differs from the number of label names.
  void add(const std::vector<std::string>& label_values, double amount = 1);
  /// Sets a gauge's series. Throws std::logic_error on a counter.
  void set(const std::vector<std::string>& label_values, double value);
  /// Creates the series at zero if absent, so a known label value shows 0 rather than nothing.
  void touch(const std::vector<std::string>& label_values);

  /// The series' value; 0 when it does not exist.
  double value(const std::vector<std::string>& label_values = {}) const;
  const std::string& name() const { return name_; }

  /// Appends # HELP, # TYPE and one line per series.
  void render(std::string& out) const;

 private:
  std::vector<std::string> key_for(const std::vector<std::string>& label_values);

  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> label_names_;
  std::size_t max_series_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, double> series_;
};

/// A histogram without labels over fixed bucket upper bounds (`le`, inclusive).
class Histogram {
 public:
  /// `upper_bounds` must be finite, strictly increasing and non-empty; +Inf is added when rendering.
  /// Throws std::invalid_argument otherwise, or for a bad name.
  Histogram(std::string name, std::string help, std::vector<double> upper_bounds);

  /// Records one observation. NaN is ignored: it would poison the sum for good.
  void observe(double value);

  std::uint64_t count() const;
  double sum() const;
  /// Observations <= upper_bounds[i] (cumulative), for i in [0, bounds size).
  std::uint64_t cumulative(std::size_t i) const;
  const std::string& name() const { return name_; }

  /// Appends # HELP, # TYPE, the cumulative _bucket lines ending with le="+Inf", _sum and _count.
  void render(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> buckets_;  ///< per bucket (not cumulative); the last is +Inf
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

/// What the counters of the desk's work have counted since its store began, as the store records it
/// (fire drills left out): read at start, so that a restart changes none of these figures.
struct MetricTotals {
  std::map<std::string, double> submissions;         ///< verdict → submissions
  std::map<std::string, double> escalations_opened;  ///< role that owned it when it opened → escalations
  std::map<std::string, double> escalations;         ///< state now → escalations
  double pings = 0;                                  ///< backup pings sent
  std::map<std::string, double> breaches;            ///< deadline kind ("triage", "decision") → breaches
  std::map<std::string, double> hits;                ///< rule id → hits kept
  std::vector<double> times_to_respond;              ///< seconds, one per escalation with a first response
};

/// The desk's registry: the families the desk exposes, under fixed names (all prefixed "desk_").
///
/// Where each family's figures come from: the work the store records (submissions, escalations opened
/// and by state, pings, breaches, hits, time to respond) is restored from it at start and counted as it
/// is committed; the rest (Slack API errors and 429s, intake responses, worker errors, ack and intake
/// latency) describes this process and starts at zero with it, as Prometheus counters may.
class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void count_submission(Verdict verdict);                     ///< desk_submissions_total{verdict}
  void count_escalation_opened(std::string_view owner_role);  ///< desk_escalations_opened_total{owner_role}
  /// desk_escalations{state} (gauge): one escalation left `from` (none: it just opened) for `to`.
  void count_escalation_moved(std::optional<EscalationState> from, EscalationState to);
  /// A committed submission: desk_submissions_total and desk_hits_total, and when it escalated,
  /// desk_escalations_opened_total and desk_escalations{state="open"}.
  void count_committed(Verdict verdict, const std::vector<TriggerHit>& hits, std::string_view owner_role);
  /// An escalation's committed change from `before` to `after`: its state (desk_escalations) and, at
  /// its first response, desk_time_to_respond_seconds (Escalation::time_to_respond). Drills count nowhere.
  void count_change(const Escalation& before, const Escalation& after);
  void count_ping();                                                            ///< desk_pings_total
  void count_breach(DeadlineKind kind);                                         ///< desk_breaches_total{kind}
  void count_hit(std::string_view rule_id);                                     ///< desk_hits_total{rule_id}
  void count_slack_api_error(std::string_view method, std::string_view error);  ///< desk_slack_api_errors_total
  void count_slack_rate_limited(std::string_view method);  ///< desk_slack_rate_limited_total{method}
  void count_intake_request(int status);                   ///< desk_intake_requests_total{status}
  void count_worker_error(std::string_view worker);        ///< desk_worker_errors_total{worker}
  void observe_ack_latency(double seconds);                ///< desk_ack_latency_seconds: envelope read to ack queued
  void observe_intake_latency(double seconds);             ///< desk_intake_latency_seconds: POST /v1/submissions
  void observe_time_to_respond(double seconds);            ///< desk_time_to_respond_seconds: opened to first response

  /// Adds what the store recorded before this process started; call once, before counting anything.
  void restore(const MetricTotals& totals);

  /// Value of a counter or gauge series by family name; 0 for an unknown family or series.
  double value(std::string_view family, const std::vector<std::string>& label_values = {}) const;
  /// A histogram by name (desk_ack_latency_seconds, …); nullptr when unknown.
  const Histogram* histogram(std::string_view name) const;

  /// Every family, in a fixed order, in the text exposition format 0.0.4.
  std::string prometheus_text() const;

 private:
  /// The counter and gauge families in rendering order.
  std::array<const CounterFamily*, 10> counter_families() const;

  CounterFamily submissions_;
  CounterFamily escalations_opened_;
  CounterFamily escalations_;
  CounterFamily pings_;
  CounterFamily breaches_;
  CounterFamily hits_;
  CounterFamily slack_api_errors_;
  CounterFamily slack_rate_limited_;
  CounterFamily intake_requests_;
  CounterFamily worker_errors_;
  Histogram ack_latency_;
  Histogram intake_latency_;
  Histogram time_to_respond_;
};

}  // namespace desk::core
