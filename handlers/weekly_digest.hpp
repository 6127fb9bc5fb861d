#pragma once
/// The weekly digest (issue 14, item 2): last week's figures from the report, the rules that fired
/// most and those that never fired, the open "what to automate next" items from last week's
/// post-mortems, the last fire drill (with a nudge when none ran this quarter) and shadow rules, posted
/// in the desk channel on every surface as a channel notice, once per ISO week across restarts.
/// Due by default at the duty lead's first rotation handoff of the week (right after its notice), or
/// Monday 09:00 UTC when the duty lead is not a rotation; `desk.weekly_digest` sets a weekday and a
/// UTC time instead, or turns it off.
#include <optional>
#include <string>
#include <vector>

#include "core/report.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

/// When the digest of the week before `now`'s is due (desk.weekly_digest); nullopt when it is off.
std::optional<core::TimePoint> digest_due(const core::Policy& policy, const core::Rota& rota, core::TimePoint now);

/// What the digest of the report's second-to-last week says. `report` covers the weeks up to `now`'s
/// (at least two); `automate` are the post-mortems filed in that week; `last_drill` the latest drill
/// ever started.
ChannelNotice digest_notice(const core::WeeklyReport& report, const std::vector<storage::PostMortem>& automate,
                            std::optional<core::TimePoint> last_drill, core::Seconds triage_target, core::TimePoint now,
                            const std::string& policy_digest);

/// Posts the digest of last week when it is due and not posted yet (Store::record_digest commits it
/// with its rows, once), unless the store recorded nothing before this week (a new desk). True when it
/// was committed now.
bool post_weekly_digest(storage::Store& store, const PolicySet& policy, const SurfaceNames& surfaces,
                        core::TimePoint now);

}  // namespace desk::handlers
