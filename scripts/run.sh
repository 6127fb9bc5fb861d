#!/usr/bin/env bash
# Installs what is missing, builds, and runs the desk on the example config.
# Arguments replace the default sub-command (e.g. `scripts/run.sh rota --weeks 4`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
config=${DESK_CONFIG:-deploy/desk.example.yaml}
if (($# == 0)); then set -- demo; fi
exec ./build/bot/escalation-desk "$@" --config "$config"
