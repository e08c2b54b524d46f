#!/usr/bin/env bash
# The Debian packages (debian/): built from a copy of the tree with
# dpkg-buildpackage, checked by lintian, installed, tried (the unit, the
# plugin system-wide, the man page, the server started as its unit starts
# it), then purged, whatever happened, with anything apt installed for them.
# Runs as root (./dev test does); exit 0 passed, 1 failed, 77 skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."

PACKAGES=(tollgate gstreamer1.0-tollgate)
UNIT=/lib/systemd/system/tollgate.service

step() { echo "== package: $* (${SECONDS}s)"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# apt-get, waiting for another one's lock rather than failing.
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300 "$@"
}

# What dpkg knows as present, in any state but purged.
installed() {
  dpkg-query -W -f='${db:Status-Status} ${binary:Package}\n' |
    awk '$1 != "not-installed" { print $2 }' | sort
}

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: installing the packages needs root"
  exit 77
fi
for p in "${PACKAGES[@]}"; do
  if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null |
    grep -qv '^not-installed$'; then
    echo "SKIP: $p is on this machine; the test would purge it"
    exit 77
  fi
done
[ -f web/node_modules/hls.js/package.json ] ||
  fail "web/node_modules is missing: npm ci --prefix web"

work=$(mktemp -d /tmp/tollgate-package.XXXXXX)
chmod 755 "$work" # the server runs as nobody below
installed >"$work/before"
server=""

cleanup() {
  local rc=$?
  local added
  if [ -n "$server" ]; then kill -KILL "$server" 2>/dev/null || true; fi
  installed >"$work/after"
  added=$(comm -13 "$work/before" "$work/after")
  if [ -n "$added" ]; then
    step "purge: $(tr "\n" " " <<<"$added")"
    # shellcheck disable=SC2086 # one package a word
    apt_get purge $added >"$work/purge.log" 2>&1 ||
      { cat "$work/purge.log" >&2; rc=1; }
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

step "copy of the tree (the files git knows, web/node_modules)"
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard |
  tar --null -T - --ignore-failed-read -cf - 2>/dev/null |
  tar -xf - -C "$work/src"
cp -rL web/node_modules "$work/src/web/"

step "dpkg-buildpackage -us -uc -b"
(cd "$work/src" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b) \
  >"$work/build.log" 2>&1 || {
  tail -n 60 "$work/build.log" >&2
  fail "dpkg-buildpackage"
}
changes=$(echo "$work"/tollgate_*.changes)
sed '1,/^Files:/d' "$changes"

step "lintian (fails on an error or a warning not overridden)"
lintian --info --fail-on error,warning "$changes" || fail "lintian"

step "apt-get install"
apt_get install --no-install-recommends "$work"/tollgate_*.deb \
  "$work"/gstreamer1.0-tollgate_*.deb \
  >"$work/install.log" 2>&1 || {
  cat "$work/install.log" >&2
  fail "apt-get install"
}

step "systemd-analyze verify $UNIT"
systemd-analyze verify "$UNIT" || fail "systemd-analyze verify"
# Its sandbox stays as tight as it is (1.7, "OK"; 10 is no sandbox at all).
step "systemd-analyze security: exposure at most 2.0"
systemd-analyze security --offline=yes --threshold=20 "$UNIT" \
  >"$work/security" 2>&1 || {
  cat "$work/security" >&2
  fail "systemd-analyze security"
}
tail -n 1 "$work/security"

step "gst-inspect-1.0 tokencheck, with no plugin path set"
env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_SYSTEM_PATH \
  -u GST_PLUGIN_SYSTEM_PATH_1_0 GST_REGISTRY_1_0="$work/registry.bin" \
  gst-inspect-1.0 tokencheck >"$work/inspect" || {
  cat "$work/inspect" >&2
  fail "gst-inspect-1.0 tokencheck"
}
grep -E '^\s+Filename\s+(/usr)?/lib/[^/]+/gstreamer-1.0/libgsttollgate.so$' \
  "$work/inspect" || {
  cat "$work/inspect" >&2
  fail "tokencheck is not the installed plugin"
}

step "the man page"
page=/usr/share/man/man8/tollgate.8.gz
lexgrog "$page" || fail "lexgrog $page"
warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
[ -z "$warnings" ] || fail "man --warnings: $warnings"
zcat "$page" | sed 's/\\-/-/g' >"$work/page"
for option in $(tollgate --help | grep -oE '^\s+(-., )?--[a-z-]+' |
  grep -oE -- '--[a-z-]+'); do
  grep -q -- "$option" "$work/page" || fail "the man page does not name $option"
done

# As its unit starts it (ExecStart, an unprivileged user, a bare
# environment), but on ports the system chooses and a data dir of its own:
# there is no systemd to run the unit itself.
step "the server, started as the unit starts it"
read -r -a exec_start <<<"$(sed -n 's/^ExecStart=//p' "$UNIT")"
install -d -o nobody -g nogroup "$work/service"
setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs \
  env -i PATH=/usr/bin:/bin HOME=/nonexistent \
  GST_REGISTRY_1_0="$work/service/registry.bin" \
  "${exec_start[@]}" --random-ports --data-dir "$work/service/data" \
  >"$work/server.out" 2>"$work/server.err" &
server=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's/^tollgate: ready http=\([0-9]*\) .*/\1/p' "$work/server.out")
  [ -n "$port" ] || ! kill -0 "$server" 2>/dev/null && break
  sleep 0.1
done
[ -n "$port" ] || {
  cat "$work/server.err" >&2
  fail "the server did not start"
}
healthz=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
  "http://127.0.0.1:$port/healthz")
echo "GET /healthz: $healthz"
[ "$healthz" = '{"status":"ok"}' ] || fail "/healthz answered $healthz"
[ -f "$work/service/data/audit.log" ] || fail "no audit log in the data dir"
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
[ "$status" -eq 0 ] || {
  cat "$work/server.err" >&2
  fail "the server exited with $status after SIGTERM"
}
step "passed"
