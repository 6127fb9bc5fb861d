#!/usr/bin/env bash
# Builds everything with AddressSanitizer and UndefinedBehaviorSanitizer into ./build-asan (-O1, no
# benchmarks) and runs the unit and integration tests there. Extra args go to ctest. Each unit-test
# executable runs as one process (DESK_UNIT_TESTS_WHOLE): under ASan a process's start and exit cost
# more than most unit tests; scripts/test.sh still gives every test a process of its own.
# Left out, each for a reason:
#   browser_console, mcp_conformance: npm-driven clients against the binary; they test the console's
#     pages and MCP's protocol, which the sanitized C++ tests (console_test, mcp_test, the end-to-end
#     test with the official SDK's agent) already drive through the same code.
#   package_deb: packages the build's binary; a sanitized binary is not what we ship.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --tests
jobs=${DESK_BUILD_JOBS:-$(nproc)}
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DENABLE_SANITIZERS=ON -DDESK_BUILD_BENCH=OFF \
  -DDESK_UNIT_TESTS_WHOLE=ON >/dev/null
cmake --build build-asan -j "$jobs"
# detect_leaks: a leak fails the test like a bad read. halt_on_error/abort: stop at the first finding.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd build-asan
ctest --output-on-failure -j "${DESK_TEST_JOBS:-$(nproc)}" -E '^(browser_console|mcp_conformance|package_deb)$' "$@"
