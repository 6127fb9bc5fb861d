#!/usr/bin/env bash
# Installs what is missing, builds, and runs the desk on the example config (or $DESK_CONFIG).
# With Slack tokens in the environment (SLACK_APP_TOKEN and SLACK_BOT_TOKEN, or their *_FILE forms)
# it starts the desk proper; without them it starts the sandbox on a fresh database with the demo
# cases, and prints the console's URL (Ctrl-C stops it). Arguments replace the sub-command:
# `scripts/run.sh rota --weeks 6`. DESK_SANDBOX_SPEED (default 10) speeds the sandbox's clocks up.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
DESK_BUILD_TARGETS=escalation-desk bash scripts/build.sh  # only the desk: no tests, no benchmarks
config=${DESK_CONFIG:-deploy/desk.example.yaml}
if (($# > 0)); then
  exec ./build/bot/escalation-desk "$@" --config "$config"
fi
if [[ -n "${SLACK_APP_TOKEN:-}${SLACK_APP_TOKEN_FILE:-}" || -n "${SLACK_BOT_TOKEN:-}${SLACK_BOT_TOKEN_FILE:-}" ]]; then
  exec ./build/bot/escalation-desk run --config "$config"
fi
cat <<'MSG'
No Slack tokens are set, so this starts the sandbox: the whole desk with the browser console as its
channel and four demo drafts arriving. To connect Slack instead, set SLACK_APP_TOKEN (xapp-…) and
SLACK_BOT_TOKEN (xoxb-…) — a workspace admin creates the app from deploy/slack-app-manifest.yaml —
and run this script again (see the README).

MSG
exec ./build/bot/escalation-desk sandbox --config "$config" --demo --speed "${DESK_SANDBOX_SPEED:-10}"
