#pragma once
// Weekly reports for the run chart's tests (SVG and PNG): only the weeks and their mean time to respond.
#include <chrono>
#include <vector>

#include "core/report.hpp"

namespace desk::testing {

/// One week per entry of `minutes`, from ISO week 2026-W42 on: that week's mean time to respond over
/// three responses; a negative entry is a week with no response.
inline core::WeeklyReport weeks_of_response(const std::vector<double>& minutes) {
  core::WeeklyReport report;
  core::TimePoint monday{std::chrono::sys_days{std::chrono::year{2026} / 10 / 12}};
  for (double m : minutes) {
    core::WeekFigures w;
    w.starts = monday;
    w.week = core::iso_week_name(monday);
    if (m >= 0) {
      w.respond.count = 3;
      w.respond.mean = core::Seconds{static_cast<long>(m * 60)};
    }
    report.weeks.push_back(w);
    monday += std::chrono::days{7};
  }
  return report;
}

/// Eight weeks falling from 11 to 4 minutes, like the playbook's chart, with no response in the fourth.
inline core::WeeklyReport playbook_weeks() { return weeks_of_response({11.0, 9.5, 8.3, -1, 6.0, 5.5, 4.8, 4.0}); }

}  // namespace desk::testing
