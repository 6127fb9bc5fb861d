#!/usr/bin/env bash
# Configures and builds into ./build (Release with debug info). Extra args go to cmake configure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${DESK_BUILD_JOBS:-$(nproc)}
cmake -S . -B build -DCMAKE_BUILD_TYPE=${DESK_BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build build -j "$jobs"
