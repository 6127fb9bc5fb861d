#pragma once
/// The composition root of `escalation-desk run`: owns the process — io_context, signals, exit codes,
/// the store, the policy and its snapshots, the intake API and its committer, the SLA clock, the
/// outbox dispatcher and the agent callbacks — and starts every surface the config and secrets enable.
/// Nothing here decides anything: it only wires.
#include "core/policy.hpp"

namespace desk::bot {

inline constexpr int kExitStopped = 0;  ///< stopped by SIGINT/SIGTERM after finishing in-flight work
inline constexpr int kExitSurfaceFailed =
    1;  ///< a surface cannot go on (Slack unreachable, Socket Mode off), or the listener failed
inline constexpr int kExitNotConfigured = 2;  ///< no surface enabled, a secret missing or refused, an unusable store

/// Runs the desk until SIGINT/SIGTERM (kExitStopped) or a fatal condition (kExitSurfaceFailed,
/// kExitNotConfigured, with a message on stderr naming what to set and where to get it).
int run_desk_app(const core::Policy& policy);

}  // namespace desk::bot
