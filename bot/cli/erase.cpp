// `escalation-desk erase --submission ID --reason TEXT`: a submission's personal data erased on
// request, everywhere the desk keeps it; the escalation's messages are updated to say so.
#include <filesystem>
#include <ostream>

#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/config/config_loader.hpp"
#include "handlers/erasure.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot::cli {
namespace {

struct EraseOptions {
  std::string config, submission, reason;
};

std::string surfaces_text(const std::vector<std::string>& surfaces) {
  if (surfaces.empty()) return "no message to update (none was posted)";
  std::string names;
  for (const auto& s : surfaces) names += (names.empty() ? "" : ", ") + s;
  return "an update of its message is queued for " + names;
}

int erase(const EraseOptions& o, std::ostream& out, std::ostream& err) {
  const core::Policy p = load_config(o.config);
  if (p.desk.database != ":memory:" && !std::filesystem::exists(p.desk.database)) {
    err << "error: no database at " << p.desk.database << " (desk.database in " << o.config << "): no submission "
        << o.submission << "; nothing was changed\n";
    return kExitCheckFailed;
  }
  storage::StoreOptions options;
  options.audit_key = audit_key_from_env();
  auto store = storage::SqliteStore::open(p.desk.database, options);
  // The erasure is audited: refuse before touching anything if the chain cannot take the row.
  if (const std::string problem = store->audit_key_problem(); !problem.empty()) throw UsageError(problem);
  const auto r = handlers::erase_submission(*store, {o.submission, cli_actor(), o.reason}, core::SystemClock{}.now());
  using Status = handlers::ErasureResult::Status;
  switch (r.status) {
    case Status::invalid:
      throw UsageError("--" + r.field + ": " + r.message);
    case Status::not_found:
      err << "error: " << r.message << "\n";
      return kExitCheckFailed;
    case Status::already_erased:
      out << o.submission << " was already erased at " << core::format_utc(*r.erasure.erased_at) << " by "
          << r.erasure.erased_by << ": nothing changed\n";
      return kExitOk;
    case Status::erased:
      break;
  }
  const auto& e = r.erasure;
  out << "erased " << e.submission_id << (e.escalation_id.empty() ? "" : " (" + e.escalation_id + ")")
      << ": its evidence text, " << e.hits << " trigger matches, the stored answer"
      << (e.rationale ? ", the decision's rationale" : "") << ", " << e.notes << " notes beside the audit trail and "
      << e.outbox_rows << " outbox texts" << (e.postmortems > 0 ? ", the post-mortem's texts" : "") << "; "
      << surfaces_text(r.updated_surfaces) << "\n";
  return kExitOk;
}

}  // namespace

void register_erase(CLI::App& app, const Streams& io, Action& chosen) {
  auto* command = app.add_subcommand("erase", "erase a submission's personal data everywhere the desk keeps it");
  auto options = std::make_shared<EraseOptions>();
  add_config_option(*command, options->config);
  command->add_option("--submission", options->submission, "the submission to erase, e.g. SUB-000123")
      ->type_name("ID")
      ->required();
  command->add_option("--reason", options->reason, "why (e.g. the request's ticket); audited, no personal data")
      ->type_name("TEXT")
      ->required();
  command->footer(
      "Needs DESK_AUDIT_KEY when the audit trail is keyed: the erasure itself is audited (who, when, what).\n"
      "Exit codes: 0 erased (or erased before), 1 no such submission, 2 usage, key, config or storage error.");
  when_chosen(*command, chosen, [options, &io] { return erase(*options, io.out, io.err); });
}

}  // namespace desk::bot::cli
