#!/usr/bin/env bash
# Installs what is missing, builds, and runs the desk on the example config (or $DESK_CONFIG).
# With Slack tokens in the environment (SLACK_APP_TOKEN and SLACK_BOT_TOKEN, or their *_FILE forms)
# it starts the desk proper; without them it shows the rota and the verdicts on sample drafts, and
# says what to set. Arguments replace the sub-command: `scripts/run.sh rota --weeks 6`.
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
./build/bot/escalation-desk demo --config "$config"
cat <<'MSG'

To connect the desk to Slack, set SLACK_APP_TOKEN (xapp-…, App-Level Token with connections:write)
and SLACK_BOT_TOKEN (xoxb-…, Bot User OAuth Token) — a workspace admin creates the app from
deploy/slack-app-manifest.yaml — then run this script again. See the README.
MSG
