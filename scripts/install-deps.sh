#!/usr/bin/env bash
# Installs the Debian packages Escalation Desk needs to build, test and run.
# Idempotent and quick when everything is already there: apt is only touched for what is missing.
# --tests also installs what only the tests need: Debian's headless Chromium, dpkg-dev and lintian
# for the package test, promtool (taken out of Debian's prometheus package into ./.tools) for
# /metrics, and, with the machine's npm, the npm packages pinned in tests/browser/package-lock.json
# (playwright-core) and tests/mcp/package-lock.json (the MCP SDK and conformance suite).
# --fuzz installs only what the fuzz targets need on top (scripts/fuzz.sh): Debian's clang and its
# runtime libraries (libFuzzer, ASan, UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=false
for_fuzz=false
[[ "${1:-}" == "--tests" ]] && for_tests=true
[[ "${1:-}" == "--fuzz" ]] && for_fuzz=true

packages=(
  build-essential cmake pkg-config ca-certificates openssl tzdata
  ccache                      # compiler cache: rebuilds of unchanged files are free
  libcli11-dev                # the command line: one file per command, --help for each
  libboost1.81-dev            # Asio/Beast with C++20 coroutines (the default libboost-dev is 1.74: too old)
  libssl-dev
  nlohmann-json3-dev
  libsqlitecpp-dev libsqlite3-dev
  libyaml-cpp-dev
  libre2-dev
  zlib1g-dev                  # deflate and CRC-32 for the run chart's PNG
  libhowardhinnant-date-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev
)
if $for_tests; then
  packages+=(chromium-headless-shell)  # the browser tests of the console (tests/browser)
  packages+=(dpkg-dev lintian)         # the package test: dpkg-shlibdeps for Depends, lintian (tests/package)
  packages+=(faketime)                 # libfaketime: the end-to-end digest test runs the desk at chosen dates
fi
if $for_fuzz; then
  packages+=(clang libclang-rt-dev)    # libFuzzer and clang's sanitizer runtimes (tests/fuzz)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# promtool checks /metrics in the tests. It comes in Debian's prometheus package, whose installation
# would also start a Prometheus server: only the one binary is taken out of it, into ./.tools.
if $for_tests && [[ ! -x .tools/usr/bin/promtool ]]; then
  echo "install-deps: taking promtool out of Debian's prometheus package (into .tools/)" >&2
  work=$(mktemp -d)
  if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update -qq
    (cd "$work" && apt-get download prometheus >/dev/null)
  fi
  dpkg-deb --fsys-tarfile "$work"/prometheus_*.deb | tar -x -C "$work" ./usr/bin/promtool
  mkdir -p .tools/usr/bin
  mv "$work/usr/bin/promtool" .tools/usr/bin/promtool
  rm -rf "$work"
fi

# npm ci only when a lock file changed since the last install (a copy is kept as a stamp): the browser
# tests' playwright-core, and the MCP tests' official TypeScript SDK and conformance suite.
if $for_tests; then
  for dir in tests/browser tests/mcp; do
    stamp=$dir/node_modules/.installed-from-package-lock.json
    cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null && continue
    if ! command -v npm >/dev/null; then
      echo "install-deps: npm is missing; the browser and MCP tests need Node.js and npm" >&2
      exit 1
    fi
    echo "install-deps: installing $dir's npm packages ($dir/package-lock.json)" >&2
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
    cp "$dir/package-lock.json" "$stamp"
  done
fi
