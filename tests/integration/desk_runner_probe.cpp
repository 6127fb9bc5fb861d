// A tiny desk process for the integration tests: run_desk with a default policy, configured only
// through the environment, exactly as `escalation-desk run` will call it.
#include "bot/slack/desk_runner.hpp"

int main() { return desk::bot::slack::run_desk(desk::core::Policy{}); }
