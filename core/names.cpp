// String forms of the domain's enums: the names used in the config, the database, the API and logs.
#include <array>
#include <charconv>
#include <cstdio>
#include <string_view>
#include <utility>

#include "core/escalation.hpp"
#include "core/policy.hpp"
#include "core/rota.hpp"

namespace desk::core {
namespace {

template <typename Enum, std::size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& table, Enum value) {
  for (const auto& [e, name] : table)
    if (e == value) return name;
  return "unknown";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, const char*>, N>& table, std::string_view name) {
  for (const auto& [e, n] : table)
    if (name == n) return e;
  return std::nullopt;
}

constexpr std::array<std::pair<PersonalDataKind, const char*>, 6> kPersonalDataNames{{
    {PersonalDataKind::email, "email"},
    {PersonalDataKind::phone, "phone"},
    {PersonalDataKind::iban, "iban"},
    {PersonalDataKind::payment_card, "payment_card"},
    {PersonalDataKind::uk_nino, "uk_nino"},
    {PersonalDataKind::us_ssn, "us_ssn"},
}};
constexpr std::array<std::pair<TriggerKind, const char*>, 5> kTriggerNames{{
    {TriggerKind::low_confidence, "low_confidence"},
    {TriggerKind::lexicon, "lexicon"},
    {TriggerKind::personal_data, "personal_data"},
    {TriggerKind::stale_citation, "stale_citation"},
    {TriggerKind::manual, "manual"},
}};
constexpr std::array<std::pair<EscalationState, const char*>, 4> kStateNames{{
    {EscalationState::open, "open"},
    {EscalationState::triaged, "triaged"},
    {EscalationState::accepted, "accepted"},
    {EscalationState::rejected, "rejected"},
}};
constexpr std::array<std::pair<Macro, const char*>, 4> kMacroNames{{
    {Macro::accept, "accept"},
    {Macro::reject, "reject"},
    {Macro::escalate_to_legal, "escalate_to_legal"},
    {Macro::route, "route"},
}};
constexpr std::array<std::pair<DeadlineKind, const char*>, 3> kDeadlineNames{{
    {DeadlineKind::backup_ping, "backup_ping"},
    {DeadlineKind::triage, "triage"},
    {DeadlineKind::decision, "decision"},
}};
constexpr std::array<std::pair<Holding::Source, const char*>, 4> kSourceNames{{
    {Holding::Source::rotation, "rotation"},
    {Holding::Source::fixed, "fixed"},
    {Holding::Source::next_in_rotation, "next_in_rotation"},
    {Holding::Source::override_, "override"},
}};

}  // namespace

const char* to_string(PersonalDataKind kind) { return name_of(kPersonalDataNames, kind); }
std::optional<PersonalDataKind> personal_data_kind_from(std::string_view name) {
  return value_of(kPersonalDataNames, name);
}
const char* to_string(TriggerKind kind) { return name_of(kTriggerNames, kind); }
std::optional<TriggerKind> trigger_kind_from(std::string_view name) { return value_of(kTriggerNames, name); }
const char* to_string(Verdict verdict) { return verdict == Verdict::approved ? "approved" : "escalated"; }
const char* to_string(EscalationState state) { return name_of(kStateNames, state); }
std::optional<EscalationState> escalation_state_from(std::string_view name) { return value_of(kStateNames, name); }
const char* to_string(Macro macro) { return name_of(kMacroNames, macro); }
std::optional<Macro> macro_from(std::string_view name) { return value_of(kMacroNames, name); }
const char* to_string(DeadlineKind kind) { return name_of(kDeadlineNames, kind); }
std::optional<DeadlineKind> deadline_kind_from(std::string_view name) { return value_of(kDeadlineNames, name); }
const char* to_string(Holding::Source source) { return name_of(kSourceNames, source); }

bool Escalation::with_legal() const { return owner_role == kLegalRole; }

std::optional<Seconds> Escalation::time_to_respond() const {
  std::optional<TimePoint> responded = triaged_at;
  if (!responded && decision) responded = decision->at;
  if (!responded) return std::nullopt;
  return std::max(Seconds{0}, *responded - opened_at);
}

const Deadline* Escalation::deadline(DeadlineKind kind) const {
  for (const auto& d : deadlines)
    if (d.kind == kind) return &d;
  return nullptr;
}

Deadline* Escalation::deadline(DeadlineKind kind) {
  for (auto& d : deadlines)
    if (d.kind == kind) return &d;
  return nullptr;
}

}  // namespace desk::core

namespace desk::core {

std::string format_utc(TimePoint t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

std::string format_date(std::chrono::year_month_day day) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                static_cast<unsigned>(day.day()));
  return buf;
}

std::optional<std::chrono::year_month_day> parse_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  // from_chars takes no sign and no white space, unlike sscanf: " 6" is not a month.
  auto digits = [&](std::size_t at, std::size_t n, auto& out) {
    auto [p, ec] = std::from_chars(t.data() + at, t.data() + at + n, out);
    return ec == std::errc{} && p == t.data() + at + n;
  };
  if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

std::string format_duration(Seconds d) {
  const bool negative = d < Seconds{0};
  long long s = negative ? -d.count() : d.count();
  const long long h = s / 3600, m = (s % 3600) / 60;
  s %= 60;
  std::string out = negative ? "-" : "";
  if (h > 0) return out + std::to_string(h) + " h" + (m ? " " + std::to_string(m) + " min" : "");
  if (m > 0) return out + std::to_string(m) + " min" + (s ? " " + std::to_string(s) + " s" : "");
  return out + std::to_string(s) + " s";
}

}  // namespace desk::core
