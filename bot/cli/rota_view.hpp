#pragma once
/// The rota as check-config, rota and demo print it: who holds each role now, the next handoff in the
/// role's own time zone, stored overrides and the coming weeks.
#include <iosfwd>
#include <span>
#include <vector>

#include "core/policy.hpp"
#include "core/rota.hpp"

namespace desk::bot::cli {

/// Overrides from the database when it exists; a read-only command never creates one.
std::vector<core::RotaOverride> stored_overrides(const core::Policy& p, core::TimePoint now, std::ostream& err);

/// One line per role: holder, how they hold it, the next handoff.
void print_holders(const core::Policy& p, const core::Rota& rota, std::span<const core::RotaOverride> overrides,
                   core::TimePoint now, std::ostream& out);

/// Holders now, overrides, and each rotating role's next `weeks` weeks.
void print_rota(const core::Policy& p, core::TimePoint now, int weeks, std::ostream& out, std::ostream& err);

}  // namespace desk::bot::cli
