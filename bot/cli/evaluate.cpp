// `escalation-desk evaluate`: the verdict JSON for one draft, for trying a policy change in a script.
#include <fstream>
#include <istream>
#include <ostream>
#include <sstream>

#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/cli/draft_verdict.hpp"
#include "bot/config/config_loader.hpp"

namespace desk::bot::cli {
namespace {

struct EvaluateOptions {
  std::string config, at, input, expect;
};

std::string read_draft(const std::string& input, std::istream& in) {
  std::ostringstream text;
  if (input.empty() || input == "-") {
    text << in.rdbuf();
  } else {
    std::ifstream file(input, std::ios::binary);
    if (!file) throw UsageError("cannot read '" + input + "'");
    text << file.rdbuf();
  }
  return text.str();
}

int evaluate(const EvaluateOptions& o, std::istream& in, std::ostream& out) {
  const core::Policy p = load_config(o.config);
  const core::TimePoint now = now_or_at(o.at);
  const auto body = read_draft(o.input, in);
  const core::PolicyEngine engine(p);
  const core::Rota rota(p.roles, p.people);
  const auto verdict = draft_verdict(p, engine, rota, body, now);
  out << verdict.json.dump(2) << "\n";
  if (!verdict.valid) return kExitCheckFailed;
  if (!o.expect.empty() && verdict.json["verdict"] != o.expect) return kExitCheckFailed;
  return kExitOk;
}

}  // namespace

void register_evaluate(CLI::App& app, const Streams& io, Action& chosen) {
  auto* command =
      app.add_subcommand("evaluate", "the verdict JSON for one draft; touches neither Slack nor the database");
  auto options = std::make_shared<EvaluateOptions>();
  add_config_option(*command, options->config);
  add_at_option(*command, options->at);
  command->add_option("draft", options->input, "the draft's JSON file; - or none reads standard input")
      ->type_name("FILE|-");
  command->add_option("--expect", options->expect, "exit 1 unless the verdict is this one (test a policy change)")
      ->type_name("approved|escalated")
      ->check(one_of({"approved", "escalated"}));
  command->footer(
      "Exit codes: 0 evaluated (as expected), 1 the draft is invalid or the verdict unexpected,\n"
      "2 usage or config error.");
  when_chosen(*command, chosen, [options, &io] { return evaluate(*options, io.in, io.out); });
}

}  // namespace desk::bot::cli
