#!/usr/bin/env bash
# Builds the Debian package with cpack from the build directory (the binary must already be built:
# cpack here builds nothing) and checks it as a server admin would get it:
#   - the file name (<name>_<version>_<arch>.deb), and no lintian errors;
#   - Depends names a package for every shared library the binary needs, and what postinst and the
#     desk use at run time;
#   - exactly the expected files, each where it belongs, with the package's paths; desk.yaml is a
#     conffile; the maintainer scripts are there, executable, valid sh, and start nothing;
#   - the unpacked binary accepts the unpacked config (check-config).
# Usage: package_test.sh BUILD_DIR VERSION. Exits 77 (CTest: skipped) when the packaging tools are
# missing: apt-get install dpkg-dev lintian.
set -euo pipefail

build_dir=$1
version=$2

for tool in dpkg-deb dpkg-shlibdeps lintian; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIPPED: $tool is not installed (apt-get install dpkg-dev lintian)"
    exit 77
  fi
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# --- Build ---------------------------------------------------------------------------------------
# Into the scratch directory, so a package the user built in build/ is left alone.
if ! (cd "$build_dir" && cpack -G DEB -B "$scratch/out") >"$scratch/cpack.log" 2>&1; then
  cat "$scratch/cpack.log"
  fail "cpack -G DEB failed"
fi
expected_name="escalation-desk_${version}_$(dpkg --print-architecture).deb"
deb="$scratch/out/$expected_name"
[[ -f $deb ]] || fail "no $expected_name; cpack wrote: $(cd "$scratch/out" && ls -- *.deb 2>/dev/null)"
echo "built $expected_name"

# --- lintian -------------------------------------------------------------------------------------
lintian_status=0
lintian --tag-display-limit 0 "$deb" >"$scratch/lintian.log" 2>&1 || lintian_status=$?
cat "$scratch/lintian.log"
# Exit status 2: an error-level tag (lintian's default --fail-on); 1: lintian itself failed.
if ((lintian_status == 2)) || grep -q '^E: ' "$scratch/lintian.log"; then fail "lintian reports errors"; fi
((lintian_status == 0)) || fail "lintian did not run (exit status $lintian_status)"

# --- Control fields ------------------------------------------------------------------------------
dpkg-deb -I "$deb"
depends=$(dpkg-deb -f "$deb" Depends)
depends_on() { [[ ", $depends," == *", $1 "* || ", $depends," == *", $1,"* ]]; }
for runtime_need in adduser ca-certificates tzdata libc6 libstdc++6; do
  depends_on "$runtime_need" || fail "Depends lacks $runtime_need: $depends"
done
root="$scratch/root"
control="$scratch/control"
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$control"
binary="$root/usr/bin/escalation-desk"
[[ -x $binary ]] || fail "no executable usr/bin/escalation-desk"
# Every library the binary links comes from a package that Depends names.
needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[[ -n $needed ]] || fail "readelf found no shared libraries in the binary"
for soname in $needed; do
  owners=$(dpkg-query -S "*/$soname" 2>/dev/null | sed 's/: .*//' | tr ',' '\n' | sed 's/^ *//; s/:.*//' | sort -u)
  found=""
  for owner in $owners; do if depends_on "$owner"; then found=$owner; fi; done
  [[ -n $found ]] || fail "$soname (from ${owners:-no installed package}) is not covered by Depends: $depends"
done

# --- Files ---------------------------------------------------------------------------------------
files=$(cd "$root" && find . -type f | sort)
expected_files="./etc/escalation-desk/desk.yaml
./lib/systemd/system/escalation-desk.service
./usr/bin/escalation-desk
./usr/share/doc/escalation-desk/changelog.gz
./usr/share/doc/escalation-desk/copyright
./usr/share/man/man1/escalation-desk.1.gz"
[[ $files == "$expected_files" ]] || fail "files in the package:
$files
expected:
$expected_files"
if readelf -S "$binary" | grep -q '\.debug_'; then fail "usr/bin/escalation-desk is not stripped"; fi

unit="$root/lib/systemd/system/escalation-desk.service"
for line in 'ExecStartPre=/usr/bin/escalation-desk check-config --config /etc/escalation-desk/desk.yaml' \
  'ExecStart=/usr/bin/escalation-desk run --config /etc/escalation-desk/desk.yaml' \
  'EnvironmentFile=-/etc/escalation-desk/secrets.env' 'StateDirectory=escalation-desk' 'User=escalation-desk'; do
  grep -qxF "$line" "$unit" || fail "the unit lacks the line: $line"
done
if grep -n '/usr/local' "$unit"; then fail "the unit names /usr/local"; fi
grep -q '^# .*Debian package' "$unit" || fail "the unit's header does not say how to use it with the package"

config="$root/etc/escalation-desk/desk.yaml"
grep -Eq '^  database: /var/lib/escalation-desk/desk\.db( |$)' "$config" ||
  fail "desk.yaml does not keep its database in /var/lib/escalation-desk"
grep -qxF /etc/escalation-desk/desk.yaml "$control/conffiles" || fail "desk.yaml is not a conffile"

for script in postinst prerm postrm; do
  [[ -x $control/$script ]] || fail "no executable $script"
  sh -n "$control/$script" || fail "$script is not valid sh"
  # A command, not the note that tells the admin what to run.
  if grep -En '(^|[;&|]|\<then|\<do) *(systemctl|deb-systemd-invoke) +(enable|start|restart)' "$control/$script"; then
    fail "$script enables or starts the service"
  fi
done
grep -q 'adduser --system' "$control/postinst" || fail "postinst does not create the system user"

# --- The unpacked desk accepts its config --------------------------------------------------------
# check-config reads rota overrides from the database only if the file exists, so the packaged
# config is checked as shipped. On a machine where a desk is installed that database is live: check
# a copy that names a scratch database instead, rather than open (and migrate) the live one.
if [[ -e /var/lib/escalation-desk/desk.db ]]; then
  sed "s|/var/lib/escalation-desk/desk.db|$scratch/desk.db|" "$config" >"$scratch/desk.yaml"
  config="$scratch/desk.yaml"
fi
"$binary" check-config --config "$config" >"$scratch/check.log" 2>&1 || {
  cat "$scratch/check.log"
  fail "check-config rejects the packaged config"
}
cat "$scratch/check.log"
grep -q '^config OK' "$scratch/check.log" || fail "check-config did not say the config is OK"
echo "package OK"
