#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan and UBSan) into ./build-fuzz and runs each:
# first over its corpus in the repo (tests/fuzz/corpus/<target>: every input must pass), then fuzzing
# for FUZZ_SECONDS (default 30) each. New inputs go to build-fuzz/corpus/<target>, never into the repo;
# a crash is saved as build-fuzz/artifacts/<target>-crash-… and fails the run.
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh                     # longer, by hand
#   FUZZ_SECONDS=300 bash scripts/fuzz.sh submission_parser   # some targets only
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --fuzz
seconds=${FUZZ_SECONDS:-30}
all_targets=(submission_parser slack_envelope slack_payloads config_loader mcp_json_rpc)
targets=("$@")
((${#targets[@]} > 0)) || targets=("${all_targets[@]}")

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DENABLE_SANITIZERS=ON \
  -DDESK_BUILD_FUZZERS=ON -DDESK_BUILD_TESTS=OFF -DDESK_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "${DESK_BUILD_JOBS:-$(nproc)}" --target desk_fuzzers

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p build-fuzz/artifacts
for target in "${targets[@]}"; do
  binary=build-fuzz/tests/fuzz/${target}_fuzz
  seeds=tests/fuzz/corpus/$target
  work=build-fuzz/corpus/$target
  [[ -x "$binary" && -d "$seeds" ]] || { echo "fuzz: no target '$target' (or no $seeds)" >&2; exit 2; }
  dict=tests/fuzz/dict/json.dict
  [[ "$target" == config_loader ]] && dict=tests/fuzz/dict/yaml.dict
  mkdir -p "$work"
  # -timeout: one input taking longer is a finding; -rss_limit_mb: so is one needing more memory.
  flags=(-dict="$dict" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="build-fuzz/artifacts/$target-"
         -print_final_stats=1)
  echo "fuzz: $target: the corpus ($(find "$seeds" -type f | wc -l) inputs), then ${seconds}s" >&2
  "$binary" "${flags[@]}" -runs=0 "$seeds" 2>"build-fuzz/$target-corpus.log" ||
    { cat "build-fuzz/$target-corpus.log" >&2; echo "fuzz: $target fails on an input of $seeds" >&2; exit 1; }
  "$binary" "${flags[@]}" -max_total_time="$seconds" "$work" "$seeds" 2>"build-fuzz/$target.log" ||
    { tail -n 60 "build-fuzz/$target.log" >&2; echo "fuzz: $target found a problem (build-fuzz/$target.log)" >&2; exit 1; }
  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "build-fuzz/$target.log" >&2 || true
done
echo "fuzz: ${targets[*]}: no findings" >&2
