#pragma once
/// What every command under bot/cli/ shares. A command is one file defining
/// `void register_<name>(CLI::App& app, const Streams& io, Action& chosen)`, listed in registry.cpp:
/// it adds its subcommand, options and help text to `app`, and when the subcommand is chosen it sets
/// `chosen` to the work to do. run_cli runs that work only after the whole command line parsed, so a
/// usage error never half-runs a command, and turns config, storage and usage errors into exit codes.
#include <CLI/CLI.hpp>

#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>

#include "core/clock.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot::cli {

struct Streams {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

/// The chosen command's work; returns the exit code.
using Action = std::function<int()>;
using RegisterCommand = void (*)(CLI::App& app, const Streams& io, Action& chosen);

/// A usage problem found while running (a draft file that cannot be read): exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Makes `work` the action to run when `command` is the one chosen on the command line.
void when_chosen(CLI::App& command, Action& chosen, Action work);

/// `--config FILE`, required by every command.
void add_config_option(CLI::App& command, std::string& config);

/// `--at INSTANT`: pretend it is this UTC instant. Refused at parse time unless it reads as one.
void add_at_option(CLI::App& command, std::string& at);

/// The instant `--at` named (already validated), or the wall clock when it was not given.
core::TimePoint now_or_at(const std::string& at);

/// How the commands that only read figures (report, backtest, drill report, postmortems) open the
/// store: without the page-by-page check at open, which costs more than the figures on a large store.
storage::StoreOptions read_only_figures();

/// DESK_AUDIT_KEY (or DESK_AUDIT_KEY_FILE), "" when unset; a key set wrongly (too short, both forms,
/// an unreadable file) is a UsageError naming the variable.
std::string audit_key_from_env();

/// Who runs this command, for the audit trail: "cli:" and the login name ($USER, else the uid).
std::string cli_actor();

/// A validator accepting only `allowed` values, saying which ones are allowed when it refuses.
CLI::Validator one_of(std::vector<std::string> allowed);

/// A validator accepting only whole numbers in [min, max].
CLI::Validator whole_number_between(int min, int max);

}  // namespace desk::bot::cli
