// The table of commands. A new command is a new file under bot/cli/ defining its register function,
// one declaration and one table entry here, and the file in bot/CMakeLists.txt.
#include "bot/cli/registry.hpp"

namespace desk::bot::cli {

void register_run(CLI::App& app, const Streams& io, Action& chosen);
void register_check_config(CLI::App& app, const Streams& io, Action& chosen);
void register_evaluate(CLI::App& app, const Streams& io, Action& chosen);
void register_rota(CLI::App& app, const Streams& io, Action& chosen);
void register_audit(CLI::App& app, const Streams& io, Action& chosen);
void register_demo(CLI::App& app, const Streams& io, Action& chosen);
void register_sandbox(CLI::App& app, const Streams& io, Action& chosen);
void register_report(CLI::App& app, const Streams& io, Action& chosen);
void register_erase(CLI::App& app, const Streams& io, Action& chosen);
void register_postmortems(CLI::App& app, const Streams& io, Action& chosen);
void register_backtest(CLI::App& app, const Streams& io, Action& chosen);
void register_drill(CLI::App& app, const Streams& io, Action& chosen);

namespace {

constexpr RegisterCommand kCommands[] = {
    register_run,     register_check_config, register_evaluate, register_rota,        register_audit,    register_demo,
    register_sandbox, register_report,       register_erase,    register_postmortems, register_backtest, register_drill,
};

}  // namespace

void add_commands(CLI::App& app, const Streams& io, Action& chosen) {
  for (RegisterCommand add : kCommands) add(app, io, chosen);
}

}  // namespace desk::bot::cli
