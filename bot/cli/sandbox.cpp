// `escalation-desk sandbox`: the whole desk with the console as its channel, no account needed.
#include "bot/app/desk_app.hpp"
#include "bot/cli/command.hpp"
#include "bot/config/config_loader.hpp"

namespace desk::bot::cli {
namespace {

struct SandboxOptions {
  std::string config;
  SandboxSettings settings;
};

}  // namespace

void register_sandbox(CLI::App& app, const Streams&, Action& chosen) {
  auto* command = app.add_subcommand(
      "sandbox",
      "the whole desk with no Slack or Teams: the browser console is the channel, anyone in the config can act");
  auto options = std::make_shared<SandboxOptions>();
  add_config_option(*command, options->config);
  command->add_flag("--demo", options->settings.demo, "submit the seed's four cases through the intake API at start");
  command->add_option("--speed", options->settings.speed, "run the clocks N times faster (1-600; default 1)")
      ->type_name("N")
      ->check(CLI::Range(1, 600));
  command
      ->add_option("--database", options->settings.database,
                   "keep the sandbox's database in this file (default: a fresh one, removed at exit)")
      ->type_name("FILE");
  command
      ->add_option("--listen", options->settings.listen,
                   "host:port for the console and the intake API "
                   "(default: the config's intake_listen)")
      ->type_name("ADDRESS");
  command->footer("Exit codes: 0 stopped by SIGINT/SIGTERM, 1 the listener failed, 2 not configured.");
  when_chosen(*command, chosen, [options] {
    std::shared_ptr<const core::LexiconMatcher> lexicon;  // compiled to check the config; the engine uses it
    const core::Policy policy = load_config(options->config, &lexicon);
    return run_sandbox_app(policy, options->settings, std::move(lexicon));
  });
}

}  // namespace desk::bot::cli
