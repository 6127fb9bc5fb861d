#!/usr/bin/env bash
# Installs the Debian packages Escalation Desk needs to build, test and run.
# Idempotent and quick when everything is already there: apt is only touched for what is missing.
set -euo pipefail

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
  libhowardhinnant-date-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
