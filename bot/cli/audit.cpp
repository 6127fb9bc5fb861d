// `escalation-desk audit verify|export|anchor`: the audit trail for auditors, read straight from the
// database, or (verify --file) from an export alone, offline, with DESK_AUDIT_KEY.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <ostream>

#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/config/config_loader.hpp"
#include "storage/audit_chain.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot::cli {
namespace {

using nlohmann::json;

struct AuditOptions {
  std::string action;  // "verify", "export" or "anchor"
  std::string config, escalation, file;
};

int report(const storage::AuditVerification& v, const std::string& what, std::ostream& out, std::ostream& err) {
  if (v.needs_key) {
    err << "error: " << v.problem << "\n";
    return kExitUsage;
  }
  if (!v.ok) {
    out << what << " BROKEN";
    if (v.first_bad_seq > 0) out << " at row " << v.first_bad_seq;
    out << ": " << v.problem << " (" << v.rows << " rows)\n";
    return kExitCheckFailed;
  }
  out << what << " OK: " << v.rows << " rows, " << v.evidence_checked << " evidence bundles match the chain";
  if (v.keyed)
    out << ", keyed hash chain intact up to its head\n";
  else
    out << ", hash chain intact\nwarning: the chain is not keyed (plain SHA-256): a rewritten or truncated chain would "
           "not show; set DESK_AUDIT_KEY and run `escalation-desk audit anchor --config FILE` once\n";
  return kExitOk;
}

json evidence_and_trail(storage::SqliteStore& store, const std::string& id, const storage::EvidenceBundle& ev) {
  json j = {{"type", "escalation"},
            {"escalation_id", id},
            {"submission_id", ev.submission_id},
            {"channel", ev.channel},
            {"digest", ev.digest}};
  if (ev.erased_at) {
    j["erased"] = {{"at", core::format_utc(*ev.erased_at)}, {"by", ev.erased_by}, {"reason", ev.erase_reason}};
  } else {
    j["prompt"] = ev.prompt;
    j["output"] = ev.output;
    j["metadata"] = json::parse(ev.metadata_json, nullptr, false);
    j["metadata_json"] = ev.metadata_json;  // verbatim: what the digest covers
    j["permalink"] = ev.permalink;
    j["suggested_fix"] = ev.suggested_fix;
  }
  json trail = json::array();
  for (const auto& row : store.audit_trail(id)) {
    json fields = json::object();
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

json row_line(const storage::AuditRow& row) {
  json notes = json::object();
  for (const auto& [name, text] : row.notes) notes[name] = text;
  return {{"type", "audit_row"},
          {"seq", row.seq},
          {"at", row.event.at.time_since_epoch().count()},
          {"kind", row.event.kind},
          {"escalation_id", row.event.escalation_id},
          {"actor", row.event.actor},
          {"fields", row.stored_fields},
          {"prev_hash", row.prev_hash},
          {"hash", row.hash},
          {"notes", std::move(notes)}};
}

json head_line(const storage::AuditChain& chain) {
  if (!chain.head) {
    const std::int64_t seq = chain.rows.empty() ? 0 : chain.rows.back().seq;
    return {{"type", "audit_head"}, {"keyed", false}, {"seq", seq}};
  }
  const auto& h = *chain.head;
  return {{"type", "audit_head"},       {"keyed", true}, {"seq", h.seq}, {"hash", h.hash},
          {"keyed_from", h.keyed_from}, {"mac", h.mac}};
}

/// One JSON line per escalation (`only` when given, else every one), then every row of the chain and
/// its head: enough to verify the chain, its end and the exported evidence offline (verify --file).
int export_lines(storage::SqliteStore& store, const std::string& only, std::ostream& out, std::ostream& err) {
  std::vector<std::string> ids;
  if (!only.empty())
    ids.push_back(only);
  else
    for (const auto& e : store.escalations(std::nullopt, 1'000'000)) ids.push_back(e.id);
  // Evidence before the chain: an erasure in between then finds its row in the chain read after.
  std::vector<json> escalations;
  for (const auto& id : ids) {
    const auto ev = store.evidence(id);
    if (!ev) {
      err << "error: no escalation " << id << "\n";
      return kExitCheckFailed;
    }
    escalations.push_back(evidence_and_trail(store, id, *ev));
  }
  const storage::AuditChain chain = store.audit_chain();
  for (const auto& j : escalations) out << j.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  for (const auto& row : chain.rows) out << row_line(row).dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  out << head_line(chain).dump() << "\n";
  return kExitOk;
}

/// Reads an export back; throws std::runtime_error naming the line and what is wrong with it.
struct ParsedExport {
  std::vector<storage::AuditRow> rows;
  std::vector<storage::EvidenceToCheck> evidence;
  std::optional<storage::AuditHead> head;
  bool head_seen = false;
};

ParsedExport parse_export(std::istream& in) {
  ParsedExport out;
  std::string line;
  int number = 0;
  auto bad = [&](const std::string& what) {
    return std::runtime_error("line " + std::to_string(number) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    if (out.head_seen) throw bad("a line after the audit_head line");
    const json j = json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) throw bad("not an audit export line");
    auto text = [&](const char* key) {
      if (!j.contains(key) || !j[key].is_string()) throw bad(std::string("\"") + key + "\" must be a string");
      return j[key].get<std::string>();
    };
    auto number_of = [&](const char* key) {
      if (!j.contains(key) || !j[key].is_number_integer()) throw bad(std::string("\"") + key + "\" must be an integer");
      return j[key].get<std::int64_t>();
    };
    const std::string type = j["type"];
    if (type == "escalation") {
      storage::EvidenceToCheck ev;
      ev.submission_id = text("submission_id");
      ev.digest = text("digest");
      ev.text.channel = text("channel");
      ev.erased = j.contains("erased");
      if (!ev.erased) {
        ev.text.prompt = text("prompt");
        ev.text.output = text("output");
        ev.text.metadata_json = text("metadata_json");
        ev.text.permalink = text("permalink");
        ev.text.suggested_fix = text("suggested_fix");
      }
      out.evidence.push_back(std::move(ev));
    } else if (type == "audit_row") {
      storage::AuditRow row;
      row.seq = number_of("seq");
      row.event.at = core::TimePoint{core::Seconds{number_of("at")}};
      row.event.kind = text("kind");
      row.event.escalation_id = text("escalation_id");
      row.event.actor = text("actor");
      row.stored_fields = text("fields");
      row.prev_hash = text("prev_hash");
      row.hash = text("hash");
      try {
        row.event.fields = storage::parse_fields(row.stored_fields);
      } catch (const storage::StorageError&) { throw bad("\"fields\" must hold a JSON object"); }
      if (j.contains("notes")) {
        if (!j["notes"].is_object()) throw bad("\"notes\" must be an object");
        for (const auto& [name, note] : j["notes"].items()) {
          if (!note.is_string()) throw bad("each note must be a string");
          row.notes.emplace_back(name, note.get<std::string>());
        }
      }
      out.rows.push_back(std::move(row));
    } else if (type == "audit_head") {
      out.head_seen = true;
      if (!j.contains("keyed") || !j["keyed"].is_boolean()) throw bad("\"keyed\" must be true or false");
      if (j["keyed"].get<bool>())
        out.head = storage::AuditHead{number_of("seq"), text("hash"), number_of("keyed_from"), text("mac")};
    } else {
      throw bad("unknown line type '" + type + "'");
    }
  }
  // The head is what makes a cut-off export show: without one, the export ends early.
  if (!out.head_seen) throw bad("the export has no audit_head line: it was cut off");
  return out;
}

int verify_file(const std::string& path, std::ostream& out, std::ostream& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("--file: cannot read " + path);
  ParsedExport parsed;
  try {
    parsed = parse_export(in);
  } catch (const std::runtime_error& e) {
    out << "audit export BROKEN: " << path << ": " << e.what() << "\n";
    return kExitCheckFailed;
  }
  storage::AuditChainVerifier verifier(audit_key_from_env(), parsed.head);
  for (const auto& row : parsed.rows) verifier.add(row, row.stored_fields);
  for (const auto& ev : parsed.evidence) verifier.check_evidence(ev);
  return report(verifier.finish(), "audit export", out, err);
}

int anchor(storage::SqliteStore& store, std::ostream& out) {
  if (const auto earlier = store.anchor_audit(cli_actor(), core::SystemClock{}.now()))
    out << "audit trail keyed: its " << *earlier
        << " earlier rows are covered by an audit.keyed row chained under DESK_AUDIT_KEY\n";
  else
    out << "audit trail already keyed with this DESK_AUDIT_KEY: nothing changed\n";
  return kExitOk;
}

int audit(const AuditOptions& o, std::ostream& out, std::ostream& err) {
  if (!o.file.empty()) return verify_file(o.file, out, err);
  const core::Policy p = load_config(o.config);
  if (p.desk.database != ":memory:" && !std::filesystem::exists(p.desk.database)) {
    // Nothing recorded yet is nothing broken; say where we looked so a wrong path is obvious.
    out << "no database at " << p.desk.database << " yet (desk.database in " << o.config << "): nothing to " << o.action
        << "\n";
    return o.action == "export" && !o.escalation.empty() ? kExitCheckFailed : kExitOk;
  }
  storage::StoreOptions options;
  options.audit_key = audit_key_from_env();
  if (o.action == "anchor" && options.audit_key.empty())
    throw UsageError("audit anchor needs DESK_AUDIT_KEY (or DESK_AUDIT_KEY_FILE): the key to chain with from now on");
  auto store = storage::SqliteStore::open(p.desk.database, options);
  if (o.action == "verify") return report(store->verify_audit(), "audit trail", out, err);
  if (o.action == "anchor") return anchor(*store, out);
  return export_lines(*store, o.escalation, out, err);
}

}  // namespace

void register_audit(CLI::App& app, const Streams& io, Action& chosen) {
  auto* command = app.add_subcommand("audit", "check, export or key the audit trail kept in the database");
  command->footer(
      "DESK_AUDIT_KEY (or DESK_AUDIT_KEY_FILE) is the key the chain is kept with; verify needs it for a\n"
      "keyed chain. Exit codes: 0 ok, 1 the chain or evidence does not verify or the escalation is unknown,\n"
      "2 usage, key, config or storage error.");

  auto verify_options = std::make_shared<AuditOptions>();
  verify_options->action = "verify";
  auto* verify_command = command->add_subcommand(
      "verify",
      "check the hash chain, its keyed head and the evidence digests: any edited, added or deleted row shows");
  auto* config = verify_command
                     ->add_option("--config", verify_options->config,
                                  "the policy file (YAML) naming the database; see deploy/desk.example.yaml")
                     ->type_name("FILE");
  auto* file =
      verify_command
          ->add_option("--file", verify_options->file, "check an `audit export` offline instead, with no database")
          ->type_name("EXPORT");
  config->excludes(file);
  file->excludes(config);
  verify_command->callback([verify_options, &io, &chosen] {
    if (verify_options->config.empty() && verify_options->file.empty())
      throw CLI::ValidationError("--config is required (or --file EXPORT, to check an export offline)");
    chosen = [verify_options, &io] { return audit(*verify_options, io.out, io.err); };
  });

  auto export_options = std::make_shared<AuditOptions>();
  export_options->action = "export";
  auto* export_command = command->add_subcommand(
      "export", "each escalation's evidence and trail, then the whole chain and its head, as JSON lines");
  add_config_option(*export_command, export_options->config);
  export_command->add_option("--escalation", export_options->escalation, "only this escalation (default: every one)")
      ->type_name("ID");
  when_chosen(*export_command, chosen, [export_options, &io] { return audit(*export_options, io.out, io.err); });

  auto anchor_options = std::make_shared<AuditOptions>();
  anchor_options->action = "anchor";
  auto* anchor_command = command->add_subcommand(
      "anchor",
      "key a trail chained before DESK_AUDIT_KEY existed, once (it is checked first; a broken one is refused)");
  add_config_option(*anchor_command, anchor_options->config);
  when_chosen(*anchor_command, chosen, [anchor_options, &io] { return audit(*anchor_options, io.out, io.err); });
}

}  // namespace desk::bot::cli
