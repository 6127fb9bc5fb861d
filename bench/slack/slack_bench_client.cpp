// The process under test for slack_bench: the desk's Slack side (run_desk) with a default policy,
// configured through the environment like the real thing.
#include "bot/slack/desk_runner.hpp"

int main() { return desk::bot::slack::run_desk(desk::core::Policy{}); }
