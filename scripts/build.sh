#!/usr/bin/env bash
# Configures and builds into ./build (optimised, with line tables). Extra args go to cmake configure.
# DESK_BUILD_TARGETS (space-separated) builds only those targets, e.g. escalation-desk.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${DESK_BUILD_JOBS:-$(nproc)}
cmake -S . -B build -DCMAKE_BUILD_TYPE=${DESK_BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
targets=()
for t in ${DESK_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build build -j "$jobs" "${targets[@]}"
