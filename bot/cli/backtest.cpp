// `escalation-desk backtest`: the stored submissions replayed through the policy of another config
// (handlers/backtest.hpp), to see what a change would do before it ships.
#include <filesystem>
#include <ostream>

#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/config/config_loader.hpp"
#include "handlers/backtest.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot::cli {
namespace {

struct BacktestOptions {
  std::string config, since = "30d", format = "text", at;
};

int backtest(const BacktestOptions& o, std::ostream& out) {
  const core::Policy p = load_config(o.config);
  const auto window = parse_duration(o.since);
  if (!window) throw UsageError("--since: not a duration like 30d or 12h: '" + o.since + "'");
  // Read-only: a config whose database does not exist has nothing to replay, and none is created.
  if (p.desk.database != ":memory:" && !std::filesystem::exists(p.desk.database))
    throw UsageError("no database at " + p.desk.database +
                     ": backtest replays what a desk stored, so the config must name that desk's database");
  auto store = storage::SqliteStore::open(p.desk.database, read_only_figures());
  const core::PolicyEngine engine(p);
  const core::Backtest result = handlers::run_backtest(*store, engine, now_or_at(o.at) - *window);
  if (o.format == "json")
    out << handlers::backtest_json(result).dump(2) << "\n";
  else
    out << handlers::backtest_text(result);
  return kExitOk;
}

}  // namespace

void register_backtest(CLI::App& app, const Streams& io, Action& chosen) {
  auto options = std::make_shared<BacktestOptions>();
  auto* command = app.add_subcommand(
      "backtest", "replay stored submissions through the policy of another config: what would change, rule by rule");
  command->footer(
      "Reads the database the config names (a copy of the live config with the change, usually) and judges\n"
      "every submission received in the window again with the config's policy: how many would be escalated\n"
      "then and now, which would newly escalate or no longer escalate (with example ids), and each rule\n"
      "that would fire on more or fewer submissions. Erased submissions, fire drills and manual\n"
      "escalations are not replayed. Nothing is written. Exit codes: 0 ok, 2 usage, config or storage error.");
  add_config_option(*command, options->config);
  command->add_option("--since", options->since, "how far back, as a duration: 30d (default), 12h, 2d12h")
      ->type_name("DURATION")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            if (parse_duration(value)) return {};
            return "must be a duration such as 30d, 12h or 2d12h, not '" + value + "'";
          },
          "", "duration"));
  command->add_option("--format", options->format, "text (default) or json")->check(one_of({"text", "json"}));
  add_at_option(*command, options->at);
  when_chosen(*command, chosen, [options, &io] { return backtest(*options, io.out); });
}

}  // namespace desk::bot::cli
