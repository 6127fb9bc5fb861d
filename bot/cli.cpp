#include "bot/cli.hpp"

#include <CLI/CLI.hpp>

#include <ostream>

#include "bot/cli/registry.hpp"
#include "bot/config/config_loader.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot {
namespace {

constexpr const char* kProgram = "escalation-desk";

/// The program and every command on it. Unclaimed arguments are kept (allow_extras) rather than
/// refused by CLI11, so that unclaimed_argument can name them in our words and before anything else.
void build(CLI::App& app, const cli::Streams& io, cli::Action& chosen) {
  app.set_help_flag("-h,--help", "show this help and exit");
  app.allow_extras();
  app.require_subcommand(0, 1);  // one command per run; inherited, so `audit` takes one of its own too
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last --weeks wins
  app.group("Commands");  // the heading --help lists commands under; each command inherits it
  app.get_formatter()->label("SUBCOMMAND", "COMMAND");
  app.get_formatter()->column_width(32);
  cli::add_commands(app, io, chosen);
  app.footer(std::string("Run '") + kProgram + " <command> --help' for a command's options.\n" +
             "Exit codes: 0 ok, 1 a check failed, 2 usage, config or storage error.");
}

/// The chosen commands, outermost first: the program, then e.g. `audit`, then `verify`.
std::vector<const CLI::App*> chosen_path(const CLI::App& app) {
  std::vector<const CLI::App*> path{&app};
  for (auto subs = app.get_subcommands(); !subs.empty(); subs = subs.front()->get_subcommands())
    path.push_back(subs.front());
  return path;
}

std::string name_of(const std::vector<const CLI::App*>& path) {
  std::string name = kProgram;
  for (std::size_t i = 1; i < path.size(); ++i) name += " " + path[i]->get_name();
  return name;
}

bool has_commands(const CLI::App& app) {
  return !app.get_subcommands([](const CLI::App*) { return true; }).empty();
}

/// The first argument nothing claimed, said for the command it was given to: an unknown option or
/// command, or a stray argument. "" when every argument was claimed.
std::string unclaimed_argument(const std::vector<const CLI::App*>& path) {
  for (std::size_t depth = 0; depth < path.size(); ++depth) {
    const CLI::App& command = *path[depth];
    const auto left = command.remaining();
    if (left.empty()) continue;
    const std::string& arg = left.front();
    if (arg.size() > 1 && arg[0] == '-') {
      if (depth == 0)
        return "unknown option '" + arg + "': options go after the command (" + kProgram + " <command> [options])";
      const std::vector<const CLI::App*> here(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(depth) + 1);
      return "unknown option '" + arg + "' for '" + name_of(here) + "'";
    }
    if (depth == 0) return "unknown command '" + arg + "'";
    if (has_commands(command)) return "unknown " + command.get_name() + " command '" + arg + "'";
    return "unexpected argument '" + arg + "'";
  }
  return {};
}

/// What is missing when no command to run was chosen: any command, or one of a group's (`audit`).
/// "" when one was, or when a mistyped command name is the better thing to report.
std::string missing_command(const std::vector<const CLI::App*>& path) {
  const CLI::App& last = *path.back();
  if (!has_commands(last)) return {};
  const auto left = last.remaining();
  if (!left.empty() && !left.front().starts_with("-")) return {};  // unclaimed_argument names it
  if (path.size() == 1) return left.empty() ? "no command given" : "";
  std::string names;
  for (const auto* sub : last.get_subcommands([](const CLI::App*) { return true; }))
    names += (names.empty() ? "'" : " or '") + sub->get_name() + "'";
  return last.get_name() + " needs " + names;
}

/// CLI11's message in our words where it has a stock phrase; "--weeks: 1 required N missing" becomes
/// "--weeks needs a value". Validators already speak our words ("--weeks: must be a whole number ...").
std::string in_our_words(const CLI::ParseError& e) {
  const std::string what = e.what();
  const auto colon = what.find(": ");
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && colon != std::string::npos && what.ends_with(" missing"))
    return what.substr(0, colon) + " needs a value";
  return what;
}

int usage_error(const std::string& problem, const std::vector<const CLI::App*>& path, std::ostream& err) {
  const char* what_help_lists = has_commands(*path.back()) ? "its commands" : "its options";
  err << "error: " << problem << "\n"
      << "run '" << name_of(path) << " --help' for " << what_help_lists << "\n";
  return kExitUsage;
}

/// Runs the chosen command; what it throws becomes a message and an exit code.
int run_chosen(const cli::Action& action, std::ostream& err) {
  try {
    return action();
  } catch (const ConfigError& e) { err << "config error: " << e.what() << "\n"; } catch (const cli::UsageError& e) {
    err << "error: " << e.what() << "\n";
  } catch (const storage::StorageError& e) {
    err << "storage error: " << e.what() << "\n";
  } catch (const std::exception& e) { err << "error: " << e.what() << "\n"; }
  return kExitUsage;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  const cli::Streams io{in, out, err};
  cli::Action chosen;
  CLI::App app("Escalation Desk: routes risky drafts from AI marketing agents to whoever is on duty.", kProgram);
  try {
    build(app, io, chosen);
    if (args.empty()) {
      err << app.help();
      return kExitUsage;
    }
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them last first
  } catch (const CLI::Success&) {                                     // --help, for the command it follows
    out << app.help();
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    const auto path = chosen_path(app);
    const auto unclaimed = unclaimed_argument(path);  // a mistyped option explains a "missing" one
    return usage_error(unclaimed.empty() ? in_our_words(e) : unclaimed, path, err);
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return kExitUsage;
  }
  const auto path = chosen_path(app);
  for (const auto& problem : {missing_command(path), unclaimed_argument(path)})
    if (!problem.empty()) return usage_error(problem, path, err);
  if (!chosen) return usage_error("no command given", path, err);
  return run_chosen(chosen, err);
}

}  // namespace desk::bot
