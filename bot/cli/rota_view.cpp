#include "bot/cli/rota_view.hpp"

#include <date/tz.h>

#include <filesystem>
#include <iomanip>
#include <ostream>

#include "core/lifecycle.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot::cli {
namespace {

std::string local_time(const std::string& zone, core::TimePoint t) {
  try {
    return date::format("%a %d %b %Y %H:%M %Z", date::make_zoned(date::locate_zone(zone), t));
  } catch (const std::exception&) { return core::format_utc(t); }
}

/// The zone a role is shown in: its rotation's, or the duty lead's for fixed roles.
std::string zone_of(const core::Policy& p, const core::RoleSpec& role) {
  if (role.kind == core::RoleSpec::Kind::rotation) return role.rotation.time_zone;
  if (role.kind == core::RoleSpec::Kind::next_in_rotation) return zone_of(p, p.roles.at(role.follows));
  const auto& lead = p.roles.at(core::kDutyLeadRole);
  return lead.kind == core::RoleSpec::Kind::rotation ? lead.rotation.time_zone : "UTC";
}

}  // namespace

std::vector<core::RotaOverride> stored_overrides(const core::Policy& p, core::TimePoint now, std::ostream& err) {
  if (p.desk.database == ":memory:") return {};
  // Whoever runs a read-only command may not be allowed to look into the service's state directory
  // (0750 in the package): the rota is still shown, only without the stored overrides.
  std::error_code ec;
  const bool exists = std::filesystem::exists(p.desk.database, ec);
  if (ec) {
    err << "warning: rota overrides not read: cannot look at " << p.desk.database << ": " << ec.message() << "\n";
    return {};
  }
  if (!exists) return {};
  try {
    return storage::SqliteStore::open(p.desk.database)->overrides_active_after(now);
  } catch (const storage::StorageError& e) {
    err << "warning: rota overrides not read: " << e.what() << "\n";
    return {};
  }
}

void print_holders(const core::Policy& p, const core::Rota& rota, std::span<const core::RotaOverride> overrides,
                   core::TimePoint now, std::ostream& out) {
  for (const auto& [id, role] : p.roles) {
    const auto h = rota.holder(id, now, overrides);
    const std::string zone = zone_of(p, role);
    out << "  " << std::left << std::setw(20) << id << " " << (h ? core::display_name(rota, h->person) : "(nobody)");
    if (h) out << " [" << core::to_string(h->source) << "]";
    if (auto next = rota.next_handoff(id, now, overrides)) out << "; next handoff " << local_time(zone, *next);
    out << "\n";
  }
}

void print_rota(const core::Policy& p, core::TimePoint now, int weeks, std::ostream& out, std::ostream& err) {
  core::Rota rota(p.roles, p.people);
  const auto overrides = stored_overrides(p, now, err);
  out << "who holds each role now (" << core::format_utc(now) << "):\n";
  print_holders(p, rota, overrides, now, out);
  if (!overrides.empty()) {
    out << "overrides:\n";
    for (const auto& ov : overrides)
      out << "  " << ov.role << ": " << core::display_name(rota, ov.person) << " from " << core::format_utc(ov.from)
          << " until " << core::format_utc(ov.until) << (ov.reason.empty() ? "" : " (" + ov.reason + ")") << "\n";
  }
  for (const auto& [id, role] : p.roles) {
    if (role.kind == core::RoleSpec::Kind::fixed) continue;
    out << "\n" << id << " for the next " << weeks << " weeks (" << zone_of(p, role) << "):\n";
    for (const auto& h : rota.schedule(id, now, weeks))
      out << "  " << local_time(zone_of(p, role), h.since) << "  " << core::display_name(rota, h.person) << "\n";
  }
}

}  // namespace desk::bot::cli
