#pragma once
/// The composition root of `escalation-desk run`: owns the process — io_context, signals, exit codes,
/// the store, the policy and its snapshots, the intake API and its committer, the SLA clock, the
/// outbox dispatcher and the agent callbacks — and starts every surface the config and secrets enable.
/// Nothing here decides anything: it only wires.
#include <memory>
#include <string>

#include "core/policy.hpp"

namespace desk::core {
class LexiconMatcher;
}

namespace desk::bot {

inline constexpr int kExitStopped = 0;  ///< stopped by SIGINT/SIGTERM after finishing in-flight work
inline constexpr int kExitSurfaceFailed =
    1;  ///< a surface cannot go on (Slack unreachable, Socket Mode off), or the listener failed
inline constexpr int kExitNotConfigured = 2;  ///< no surface enabled, a secret missing or refused, an unusable store

/// Runs the desk until SIGINT/SIGTERM (kExitStopped) or a fatal condition (kExitSurfaceFailed,
/// kExitNotConfigured, with a message on stderr naming what to set and where to get it).
/// `lexicon`: policy.lexicon compiled already (load_config's), or nullptr to compile it here.
int run_desk_app(const core::Policy& policy, std::shared_ptr<const core::LexiconMatcher> lexicon = nullptr);

/// `escalation-desk sandbox`: the same desk with the console as its only surface and channel (no
/// Slack or Teams), on its own database; `demo` feeds the seed's cases through the intake API and
/// `speed` runs the clocks faster. Prints the console's URL; same exit codes as run_desk_app.
struct SandboxSettings {
  bool demo = false;
  int speed = 1;
  std::string database;  ///< empty: a fresh file in a temporary folder, removed at exit
  std::string listen;    ///< empty: the config's intake_listen
};
int run_sandbox_app(const core::Policy& policy, const SandboxSettings& settings,
                    std::shared_ptr<const core::LexiconMatcher> lexicon = nullptr);

}  // namespace desk::bot
