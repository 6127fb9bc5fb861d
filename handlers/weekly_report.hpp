#pragma once
/// The weekly report (core/report.hpp) read from the store and written out: as JSON for the API
/// (`GET /v1/reports/weekly`) and `report --format json`, CSV for spreadsheets, text for people.
#include <string>

#include <nlohmann/json.hpp>

#include "core/report.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

inline constexpr int kMaxReportWeeks = 104;

/// The report over the `weeks` ISO weeks ending with the one `now` is in, from what `store` holds
/// (escalations, and the breaches their audit trails record) and the rules of `policy`.
core::WeeklyReport read_weekly_report(storage::Store& store, const core::Policy& policy, core::TimePoint now,
                                      int weeks);

/// "3.5 min", or "-" for an absent figure: durations as people read them.
std::string minutes(const std::optional<core::Seconds>& s);
/// "25%", or "-" for an absent share.
std::string percent(const std::optional<double>& share);

/// Durations in seconds, shares as fractions (0–1), absent figures as null.
nlohmann::json report_json(const core::WeeklyReport& report);
/// One row per week, a header first; RFC 4180 (CRLF line ends). Rules are in the JSON and text forms.
std::string report_csv(const core::WeeklyReport& report);
/// A table per week and the rules, for a terminal.
std::string report_text(const core::WeeklyReport& report);

}  // namespace desk::handlers
