// `escalation-desk rota`: who holds each role now, the next handoffs, and the coming weeks.
#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/cli/rota_view.hpp"
#include "bot/config/config_loader.hpp"

namespace desk::bot::cli {
namespace {

struct RotaOptions {
  std::string config, at;
  int weeks = 4;
};

}  // namespace

void register_rota(CLI::App& app, const Streams& io, Action& chosen) {
  auto* command = app.add_subcommand("rota", "who holds each role now, the next handoffs and the coming weeks");
  auto options = std::make_shared<RotaOptions>();
  add_config_option(*command, options->config);
  add_at_option(*command, options->at);
  command->add_option("--weeks", options->weeks, "weeks to list ahead for each rotating role (default 4)")
      ->type_name("N")
      ->check(whole_number_between(1, 104));
  when_chosen(*command, chosen, [options, &io] {
    const core::Policy policy = load_config(options->config);
    print_rota(policy, now_or_at(options->at), options->weeks, io.out, io.err);
    return kExitOk;
  });
}

}  // namespace desk::bot::cli
