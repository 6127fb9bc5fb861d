// `escalation-desk postmortems`: every post-mortem filed since a date, as JSON or CSV, from the store.
#include <filesystem>
#include <ostream>

#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/config/config_loader.hpp"
#include "handlers/postmortems.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot::cli {
namespace {

struct PostMortemOptions {
  std::string config, since, format = "json";
};

/// Midnight UTC starting the day `date` (YYYY-MM-DD) names; the validator refused anything else.
core::TimePoint start_of(const std::string& date) {
  const auto day = core::parse_date(date);
  if (!day) throw UsageError("--since: not a date like 2026-11-30: '" + date + "'");
  return std::chrono::sys_days(*day);
}

int postmortems(const PostMortemOptions& o, std::ostream& out) {
  const core::Policy p = load_config(o.config);
  const core::TimePoint since = start_of(o.since);
  std::vector<handlers::PostMortemRecord> records;
  // No database yet is a desk that has seen nothing: nothing filed. A read-only command creates none.
  if (p.desk.database == ":memory:" || std::filesystem::exists(p.desk.database)) {
    auto store = storage::SqliteStore::open(p.desk.database, read_only_figures());
    records = handlers::read_postmortems(*store, since);
  }
  if (o.format == "csv")
    out << handlers::postmortems_csv(records);
  else
    out << handlers::postmortems_json(records, since).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
  return kExitOk;
}

}  // namespace

void register_postmortems(CLI::App& app, const Streams& io, Action& chosen) {
  auto options = std::make_shared<PostMortemOptions>();
  auto* command = app.add_subcommand("postmortems", "export the post-mortems filed since a date, as JSON or CSV");
  command->footer(
      "Every post-mortem filed on or after --since (00:00 UTC that day), in filing order, with its\n"
      "escalation's id, workflow, decision (who, when), whether it was a fire drill, its author, when it\n"
      "was filed and last edited, and the three texts: what triggered it, what fixed it, what to automate\n"
      "next. CSV is RFC 4180; a field starting with =, +, -, @ is prefixed with ' for spreadsheets.\n"
      "Exit codes: 0 ok, 2 usage, config or storage error.");
  add_config_option(*command, options->config);
  command->add_option("--since", options->since, "the first day to include, e.g. 2026-11-30 (UTC)")
      ->type_name("DATE")
      ->required()
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            if (core::parse_date(value)) return {};
            return "must be a date as YYYY-MM-DD naming a real day, e.g. 2026-11-30, not '" + value + "'";
          },
          "", "date"));
  command->add_option("--format", options->format, "json (default) or csv")->check(one_of({"json", "csv"}));
  when_chosen(*command, chosen, [options, &io] { return postmortems(*options, io.out); });
}

}  // namespace desk::bot::cli
