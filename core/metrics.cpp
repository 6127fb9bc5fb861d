#include "core/metrics.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/text_scan.hpp"

namespace desk::core {
namespace {

bool is_name_start(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
}

// Metric names may hold colons (recording rules); label names may not, and "__" is reserved.
void check_name(const std::string& name, bool metric) {
  bool ok = !name.empty() && is_name_start(name[0], metric);
  for (char c : name) ok = ok && (is_name_start(c, metric) || (c >= '0' && c <= '9'));
  if (!metric && name.rfind("__", 0) == 0) ok = false;
  if (!ok)
    throw std::invalid_argument("'" + name + "' is not a valid Prometheus " + (metric ? "metric" : "label") + " name");
}

void render_header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + ' ' + escape_help(help) + '\n';
  out += "# TYPE " + name + ' ' + type + '\n';
}

std::vector<std::string> one(std::string_view v) { return {std::string(v)}; }

// Buckets in seconds. Ack: Slack allows 3 s, the target is well under a millisecond. Intake: a
// submission commits to disk, so milliseconds. Time to respond: the triage target is 5 minutes.
const std::vector<double> kAckBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                         0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
const std::vector<double> kIntakeBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const std::vector<double> kRespondBuckets = {30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 14400, 86400};

}  // namespace

std::string prometheus_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";  // also -0
  char buf[64];
  std::to_chars_result r{};
  // Integers below 2^53 are exact: write them plainly ("1000000", not "1e+06").
  if (std::trunc(value) == value && std::fabs(value) < 9007199254740992.0)
    r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(value));
  else
    r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general);
  return std::string(buf, r.ptr);
}

std::string escape_label_value(std::string_view value) {
  const std::string clean = is_valid_utf8(value) ? std::string(value) : replace_invalid_utf8(value, '?');
  std::string out;
  out.reserve(clean.size());
  for (char c : clean) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view text) {
  const std::string clean = is_valid_utf8(text) ? std::string(text) : replace_invalid_utf8(text, '?');
  std::string out;
  for (char c : clean) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// ---- CounterFamily ----------------------------------------------------------------------------

CounterFamily::CounterFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names,
                             std::size_t max_series)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      max_series_(max_series == 0 ? 1 : max_series) {
  check_name(name_, true);
  for (const auto& l : label_names_) {
    check_name(l, false);
    if (l == "le" || l == "quantile") throw std::invalid_argument("label name '" + l + "' is reserved");
  }
}

std::vector<std::string> CounterFamily::key_for(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size())
    throw std::invalid_argument(name_ + " takes " + std::to_string(label_names_.size()) + " label values, not " +
                                std::to_string(label_values.size()));
  if (series_.size() >= max_series_ && !series_.count(label_values))
    return std::vector<std::string>(label_names_.size(), kOverflowLabel);
  return label_values;
}

void CounterFamily::add(const std::vector<std::string>& label_values, double amount) {
  if (std::isnan(amount)) return;
  if (type_ == Type::counter && amount < 0) throw std::invalid_argument(name_ + " is a counter: it cannot go down");
  std::lock_guard lock(mutex_);
  series_[key_for(label_values)] += amount;
}

void CounterFamily::set(const std::vector<std::string>& label_values, double value) {
  if (type_ != Type::gauge) throw std::logic_error(name_ + " is a counter: it can only be added to");
  std::lock_guard lock(mutex_);
  series_[key_for(label_values)] = value;
}

void CounterFamily::touch(const std::vector<std::string>& label_values) {
  std::lock_guard lock(mutex_);
  series_.try_emplace(key_for(label_values), 0.0);
}

double CounterFamily::value(const std::vector<std::string>& label_values) const {
  std::lock_guard lock(mutex_);
  auto it = series_.find(label_values);
  return it == series_.end() ? 0.0 : it->second;
}

void CounterFamily::render(std::string& out) const {
  render_header(out, name_, help_, type_ == Type::counter ? "counter" : "gauge");
  std::lock_guard lock(mutex_);
  for (const auto& [labels, v] : series_) {
    out += name_;
    if (!labels.empty()) {
      out += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i) out += ',';
        out += label_names_[i] + "=\"" + escape_label_value(labels[i]) + '"';
      }
      out += '}';
    }
    out += ' ' + prometheus_number(v) + '\n';
  }
}

// ---- Histogram --------------------------------------------------------------------------------

Histogram::Histogram(std::string name, std::string help, std::vector<double> upper_bounds)
    : name_(std::move(name)), help_(std::move(help)), bounds_(std::move(upper_bounds)) {
  check_name(name_, true);
  if (bounds_.empty()) throw std::invalid_argument(name_ + " needs at least one bucket");
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i])) throw std::invalid_argument(name_ + ": bucket bounds must be finite");
    if (i > 0 && !(bounds_[i - 1] < bounds_[i]))
      throw std::invalid_argument(name_ + ": bucket bounds must be strictly increasing");
  }
  buckets_.assign(bounds_.size() + 1, 0);
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;  // `le` is inclusive
  std::lock_guard lock(mutex_);
  ++buckets_[i];
  sum_ += value;
  ++count_;
}

std::uint64_t Histogram::count() const {
  std::lock_guard lock(mutex_);
  return count_;
}

double Histogram::sum() const {
  std::lock_guard lock(mutex_);
  return sum_;
}

std::uint64_t Histogram::cumulative(std::size_t i) const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = 0;
  for (std::size_t k = 0; k <= i && k < buckets_.size(); ++k) total += buckets_[k];
  return total;
}

void Histogram::render(std::string& out) const {
  render_header(out, name_, help_, "histogram");
  std::lock_guard lock(mutex_);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    running += buckets_[i];
    const std::string le = i < bounds_.size() ? prometheus_number(bounds_[i]) : "+Inf";
    out += name_ + "_bucket{le=\"" + le + "\"} " + std::to_string(running) + '\n';
  }
  out += name_ + "_sum " + prometheus_number(sum_) + '\n';
  out += name_ + "_count " + std::to_string(count_) + '\n';
}

// ---- Metrics ----------------------------------------------------------------------------------

using Type = CounterFamily::Type;

Metrics::Metrics()
    : submissions_("desk_submissions_total", "Submissions received from agents, by verdict.", Type::counter,
                   {"verdict"}),
      escalations_opened_("desk_escalations_opened_total", "Escalations opened, by the role that owns them.",
                          Type::counter, {"owner_role"}),
      escalations_("desk_escalations", "Escalations by state now (fire drills left out).", Type::gauge, {"state"}),
      pings_("desk_pings_total", "Backup-owner pings sent because the owner had not responded.", Type::counter, {}),
      breaches_("desk_breaches_total", "Deadlines missed, by deadline kind.", Type::counter, {"kind"}),
      hits_("desk_hits_total", "Trigger hits per policy rule (a rule that never hits may be retired).", Type::counter,
            {"rule_id"}),
      slack_api_errors_("desk_slack_api_errors_total", "Slack Web API calls that failed, by method and error.",
                        Type::counter, {"method", "error"}),
      slack_rate_limited_("desk_slack_rate_limited_total", "Slack Web API calls answered 429, by method.",
                          Type::counter, {"method"}),
      intake_requests_("desk_intake_requests_total", "Intake API responses, by HTTP status.", Type::counter,
                       {"status"}),
      worker_errors_("desk_worker_errors_total",
                     "Errors a background worker met and recovered from (it backs off and goes on), by worker.",
                     Type::counter, {"worker"}),
      ack_latency_("desk_ack_latency_seconds", "Time from reading a Socket Mode envelope to queueing its ack.",
                   kAckBuckets),
      intake_latency_("desk_intake_latency_seconds", "Time to answer POST /v1/submissions.", kIntakeBuckets),
      time_to_respond_("desk_time_to_respond_seconds", "Time from an escalation opening to its first human response.",
                       kRespondBuckets) {
  // Known label values start at zero, so a rate() over them works from the first scrape.
  submissions_.touch({"approved"});
  submissions_.touch({"escalated"});
  for (auto s : {EscalationState::open, EscalationState::triaged, EscalationState::accepted, EscalationState::rejected})
    escalations_.touch(one(to_string(s)));
  breaches_.touch(one(to_string(DeadlineKind::triage)));
  breaches_.touch(one(to_string(DeadlineKind::decision)));
  pings_.touch({});
  for (const char* worker : {"outbox", "sla_clock", "intake"}) worker_errors_.touch(one(worker));
}

void Metrics::count_submission(Verdict verdict) { submissions_.add(one(to_string(verdict))); }
void Metrics::count_escalation_opened(std::string_view owner_role) { escalations_opened_.add(one(owner_role)); }
void Metrics::count_escalation_moved(std::optional<EscalationState> from, EscalationState to) {
  if (from == to) return;
  if (from) escalations_.add(one(to_string(*from)), -1);
  escalations_.add(one(to_string(to)));
}
void Metrics::count_committed(Verdict verdict, const std::vector<TriggerHit>& hits, std::string_view owner_role) {
  count_submission(verdict);
  for (const auto& h : hits) count_hit(h.rule_id);
  if (verdict != Verdict::escalated) return;
  count_escalation_opened(owner_role);
  count_escalation_moved(std::nullopt, EscalationState::open);
}
void Metrics::count_change(const Escalation& before, const Escalation& after) {
  if (after.drill) return;
  count_escalation_moved(before.state, after.state);
  if (before.time_to_respond()) return;
  if (const auto responded = after.time_to_respond()) observe_time_to_respond(static_cast<double>(responded->count()));
}
void Metrics::count_ping() { pings_.add({}); }
void Metrics::count_breach(DeadlineKind kind) { breaches_.add(one(to_string(kind))); }
void Metrics::count_hit(std::string_view rule_id) { hits_.add(one(rule_id)); }
void Metrics::count_slack_api_error(std::string_view method, std::string_view error) {
  slack_api_errors_.add({std::string(method), std::string(error)});
}
void Metrics::count_slack_rate_limited(std::string_view method) { slack_rate_limited_.add(one(method)); }
void Metrics::count_intake_request(int status) { intake_requests_.add({std::to_string(status)}); }
void Metrics::count_worker_error(std::string_view worker) { worker_errors_.add(one(worker)); }
void Metrics::observe_ack_latency(double seconds) { ack_latency_.observe(seconds); }
void Metrics::observe_intake_latency(double seconds) { intake_latency_.observe(seconds); }
void Metrics::observe_time_to_respond(double seconds) { time_to_respond_.observe(seconds); }

void Metrics::restore(const MetricTotals& totals) {
  for (const auto& [verdict, n] : totals.submissions) submissions_.add(one(verdict), n);
  for (const auto& [role, n] : totals.escalations_opened) escalations_opened_.add(one(role), n);
  for (const auto& [state, n] : totals.escalations) escalations_.add(one(state), n);
  pings_.add({}, totals.pings);
  for (const auto& [kind, n] : totals.breaches) breaches_.add(one(kind), n);
  for (const auto& [rule, n] : totals.hits) hits_.add(one(rule), n);
  for (double seconds : totals.times_to_respond) time_to_respond_.observe(seconds);
}

double Metrics::value(std::string_view family, const std::vector<std::string>& label_values) const {
  for (const CounterFamily* f : counter_families())
    if (f->name() == family) return f->value(label_values);
  return 0;
}

const Histogram* Metrics::histogram(std::string_view name) const {
  for (const Histogram* h : {&ack_latency_, &intake_latency_, &time_to_respond_})
    if (h->name() == name) return h;
  return nullptr;
}

std::array<const CounterFamily*, 10> Metrics::counter_families() const {
  return {&submissions_, &escalations_opened_, &escalations_,        &pings_,           &breaches_,
          &hits_,        &slack_api_errors_,   &slack_rate_limited_, &intake_requests_, &worker_errors_};
}

std::string Metrics::prometheus_text() const {
  std::string out;
  out.reserve(8192);
  for (const CounterFamily* f : counter_families()) f->render(out);
  for (const Histogram* h : {&ack_latency_, &intake_latency_, &time_to_respond_}) h->render(out);
  return out;
}

}  // namespace desk::core
