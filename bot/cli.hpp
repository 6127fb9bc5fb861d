#pragma once
/// The `escalation-desk` command line: one CLI11 subcommand per file under bot/cli/ (run, check-config,
/// evaluate, rota, audit verify|export|anchor, erase, demo, sandbox), each with its own --help.
/// Exit codes scripts can rely on: 0 ok, 1 a check failed, 2 usage or config error.
#include <iosfwd>
#include <string>
#include <vector>

namespace desk::bot {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitUsage = 2;

/// Runs the command line (`args` without the program name). Output and help go to `out`, errors to
/// `err`; `in` is read for `evaluate -`. Never throws: every failure is a message and an exit code.
int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace desk::bot
