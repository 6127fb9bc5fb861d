// `escalation-desk audit verify|export`: the audit trail for auditors, read straight from the database.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <ostream>

#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/config/config_loader.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot::cli {
namespace {

struct AuditOptions {
  std::string action;  // "verify" or "export"
  std::string config, escalation;
};

int verify(storage::SqliteStore& store, std::ostream& out) {
  const auto v = store.verify_audit();
  if (v.ok) {
    out << "audit trail OK: " << v.rows << " rows, hash chain intact\n";
    return kExitOk;
  }
  out << "audit trail BROKEN at row " << v.first_bad_seq << ": " << v.problem << " (" << v.rows << " rows)\n";
  return kExitCheckFailed;
}

nlohmann::json evidence_and_trail(storage::SqliteStore& store, const std::string& id,
                                  const storage::EvidenceBundle& ev) {
  nlohmann::json j = {{"escalation_id", id}, {"channel", ev.channel}, {"digest", ev.digest}};
  if (ev.erased_at) {
    j["erased"] = {{"at", core::format_utc(*ev.erased_at)}, {"by", ev.erased_by}, {"reason", ev.erase_reason}};
  } else {
    j["prompt"] = ev.prompt;
    j["output"] = ev.output;
    j["metadata"] = nlohmann::json::parse(ev.metadata_json, nullptr, false);
    j["permalink"] = ev.permalink;
    j["suggested_fix"] = ev.suggested_fix;
  }
  nlohmann::json trail = nlohmann::json::array();
  for (const auto& row : store.audit_trail(id)) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [k, v] : row.event.fields) fields[k] = v;
    trail.push_back({{"seq", row.seq},
                     {"at", core::format_utc(row.event.at)},
                     {"kind", row.event.kind},
                     {"actor", row.event.actor},
                     {"fields", fields},
                     {"hash", row.hash}});
  }
  j["audit"] = std::move(trail);
  return j;
}

/// One JSON line per escalation: `only` when given, else every escalation.
int export_lines(storage::SqliteStore& store, const std::string& only, std::ostream& out, std::ostream& err) {
  std::vector<std::string> ids;
  if (!only.empty())
    ids.push_back(only);
  else
    for (const auto& e : store.escalations(std::nullopt, 1'000'000)) ids.push_back(e.id);
  for (const auto& id : ids) {
    const auto ev = store.evidence(id);
    if (!ev) {
      err << "error: no escalation " << id << "\n";
      return kExitCheckFailed;
    }
    out << evidence_and_trail(store, id, *ev).dump() << "\n";
  }
  return kExitOk;
}

int audit(const AuditOptions& o, std::ostream& out, std::ostream& err) {
  const core::Policy p = load_config(o.config);
  if (p.desk.database != ":memory:" && !std::filesystem::exists(p.desk.database)) {
    // Nothing recorded yet is nothing broken; say where we looked so a wrong path is obvious.
    out << "no database at " << p.desk.database << " yet (desk.database in " << o.config << "): nothing to " << o.action
        << "\n";
    return o.action == "verify" || o.escalation.empty() ? kExitOk : kExitCheckFailed;
  }
  auto store = storage::SqliteStore::open(p.desk.database);
  return o.action == "verify" ? verify(*store, out) : export_lines(*store, o.escalation, out, err);
}

}  // namespace

void register_audit(CLI::App& app, const Streams& io, Action& chosen) {
  auto* command = app.add_subcommand("audit", "check or export the audit trail kept in the database");
  command->footer(
      "Exit codes: 0 ok, 1 the hash chain is broken or the escalation unknown,\n"
      "2 usage, config or storage error.");

  auto verify_options = std::make_shared<AuditOptions>();
  verify_options->action = "verify";
  auto* verify_command = command->add_subcommand("verify", "check the hash chain: any edited or deleted row shows");
  add_config_option(*verify_command, verify_options->config);
  when_chosen(*verify_command, chosen, [verify_options, &io] { return audit(*verify_options, io.out, io.err); });

  auto export_options = std::make_shared<AuditOptions>();
  export_options->action = "export";
  auto* export_command = command->add_subcommand("export", "each escalation's evidence and audit trail, as JSON lines");
  add_config_option(*export_command, export_options->config);
  export_command->add_option("--escalation", export_options->escalation, "only this escalation (default: every one)")
      ->type_name("ID");
  when_chosen(*export_command, chosen, [export_options, &io] { return audit(*export_options, io.out, io.err); });
}

}  // namespace desk::bot::cli
