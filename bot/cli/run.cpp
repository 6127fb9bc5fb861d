// `escalation-desk run`: the desk itself, until SIGINT/SIGTERM.
#include "bot/app/desk_app.hpp"
#include "bot/cli/command.hpp"
#include "bot/config/config_loader.hpp"

namespace desk::bot::cli {
namespace {

struct RunOptions {
  std::string config;
};

}  // namespace

void register_run(CLI::App& app, const Streams&, Action& chosen) {
  auto* command = app.add_subcommand("run", "start the desk: Slack Socket Mode and the agent intake API");
  auto options = std::make_shared<RunOptions>();
  add_config_option(*command, options->config);
  command->footer(
      "Exit codes: 0 stopped by SIGINT/SIGTERM, 1 a surface or the listener failed,\n"
      "2 not configured (no surface, a secret missing, an unusable store).");
  when_chosen(*command, chosen, [options] {
    std::shared_ptr<const core::LexiconMatcher> lexicon;  // compiled to check the config; the engine uses it
    const core::Policy policy = load_config(options->config, &lexicon);
    return run_desk_app(policy, std::move(lexicon));
  });
}

}  // namespace desk::bot::cli
