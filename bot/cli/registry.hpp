#pragma once
/// Every command of `escalation-desk`, added to one CLI11 app.
#include "bot/cli/command.hpp"

namespace desk::bot::cli {

/// Adds each command in registry.cpp's table to `app`, in the order `--help` lists them.
void add_commands(CLI::App& app, const Streams& io, Action& chosen);

}  // namespace desk::bot::cli
