// `escalation-desk report`: the weekly figures (core/report.hpp) from the store, as text, JSON or CSV,
// and the run chart as SVG or PNG (both drawn by the desk itself).
#include <filesystem>
#include <fstream>
#include <ostream>

#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/config/config_loader.hpp"
#include "handlers/run_chart.hpp"
#include "handlers/run_chart_png.hpp"
#include "handlers/weekly_report.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot::cli {
namespace {

struct ReportOptions {
  std::string config, format = "text", at, chart;
  int weeks = 8;
};

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) throw UsageError("cannot write " + path.string());
}

void write_chart(const std::string& chart, const core::WeeklyReport& figures, core::Seconds target) {
  write_file(chart, ends_with(chart, ".png") ? handlers::run_chart_png(figures, target)
                                             : handlers::run_chart_svg(figures, target));
}

int report(const ReportOptions& o, std::ostream& out) {
  const core::Policy p = load_config(o.config);
  core::WeeklyReport figures;
  if (p.desk.database == ":memory:" || std::filesystem::exists(p.desk.database)) {
    auto store = storage::SqliteStore::open(p.desk.database, read_only_figures());
    figures = handlers::read_weekly_report(*store, p, now_or_at(o.at), o.weeks);
  } else {
    // No database yet is a desk that has seen nothing: every week is empty, every rule unfired.
    figures = core::weekly_report({}, core::policy_rule_ids(p), now_or_at(o.at), o.weeks);
  }
  if (!o.chart.empty()) write_chart(o.chart, figures, p.sla.triage);
  if (o.format == "json")
    out << handlers::report_json(figures).dump(2) << "\n";
  else if (o.format == "csv")
    out << handlers::report_csv(figures);
  else
    out << handlers::report_text(figures);
  return kExitOk;
}

}  // namespace

void register_report(CLI::App& app, const Streams& io, Action& chosen) {
  auto options = std::make_shared<ReportOptions>();
  auto* command = app.add_subcommand(
      "report", "weekly figures from the store: time to respond and to decide, legal, breaches, repeats, rules");
  command->footer(
      "Per ISO week (Monday 00:00 UTC), the current week last: escalations opened and decided; mean, p50\n"
      "and p90 time from opening to the first response by someone with rights and to the decision; the\n"
      "share of decided escalations that went to legal and that were resolved without it; triage and\n"
      "decision breaches; repeat incidents (an agent's escalation sharing a rule with another of its own\n"
      "from the 30 days before); escalations per rule and the rules that never fired. Fire drills are\n"
      "counted apart. Exit codes: 0 ok, 2 usage, config or storage error.");
  add_config_option(*command, options->config);
  command->add_option("--weeks", options->weeks, "how many weeks, ending with the current one (default 8)")
      ->check(whole_number_between(1, handlers::kMaxReportWeeks));
  command->add_option("--format", options->format, "text (default), json or csv")
      ->check(one_of({"text", "json", "csv"}));
  command
      ->add_option("--chart", options->chart,
                   "also draw the run chart (weekly mean time to respond, target line at the triage SLA)")
      ->type_name("FILE.svg|FILE.png")
      ->check([](const std::string& path) -> std::string {
        return ends_with(path, ".svg") || ends_with(path, ".png") ? "" : "the chart is written as .svg or .png";
      });
  add_at_option(*command, options->at);
  when_chosen(*command, chosen, [options, &io] { return report(*options, io.out); });
}

}  // namespace desk::bot::cli
