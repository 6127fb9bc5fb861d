#pragma once
/// The `escalation-desk` command line: run, check-config, evaluate, rota, audit verify|export, demo.
/// Exit codes scripts can rely on: 0 ok, 1 a check failed, 2 usage or config error.
#include <iosfwd>
#include <string>
#include <vector>

namespace desk::bot {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitUsage = 2;

/// Runs the command line. Output goes to `out`, errors to `err`; `in` is read for `evaluate -`.
int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace desk::bot
