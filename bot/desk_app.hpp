#pragma once
/// The composition root of `escalation-desk run`: opens the store, keeps the policy and its snapshots,
/// and plugs the intake API, the Slack handlers, the outbox sender and the SLA timer into the Slack
/// transport's event loop. Nothing here decides anything: it only wires.
#include "core/policy.hpp"

namespace desk::bot {

/// Runs the desk until SIGINT/SIGTERM. Exit codes as slack::run_desk (0, 1 Slack or intake failure,
/// 2 configuration or secret error).
int run_desk_app(const core::Policy& policy);

}  // namespace desk::bot
