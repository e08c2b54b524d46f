#!/usr/bin/env bash
# Runs every fuzzer built in BUILD_DIR for SECONDS each, on a copy of its seed
# corpus, as many at once as there are cores (FUZZ_JOBS). Prints one line per
# fuzzer; exits non-zero if any finds a crash, leak, timeout or failed
# assertion (the input is kept in BUILD_DIR/fuzz-artifacts/).
#   tests/fuzz/run-fuzzers.sh build-fuzz 60
# FUZZ_ARGS adds libFuzzer options (FUZZ_ARGS=-detect_leaks=0); G_DEBUG=
# lets a run go on past GLib warnings.
set -uo pipefail

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
artifacts=$(cd "$build" && pwd)/fuzz-artifacts

fuzzers=()
for f in "$build"/tests/fuzz/fuzz-*; do
  [ -f "$f" ] && [ -x "$f" ] && fuzzers+=("$f")
done
if [ ${#fuzzers[@]} -eq 0 ]; then
  echo "no fuzzers in $build/tests/fuzz (needs a clang build and" \
    "libclang-rt-14-dev)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$artifacts"

# As the tests run: a GLib warning is a bug (G_DEBUG= to carry on past
# one). GSlice off, so leaks show.
export G_DEBUG="${G_DEBUG-fatal-warnings}" G_SLICE=always-malloc
# Full stacks for allocations, so that lsan.supp can match them.
export ASAN_OPTIONS="${ASAN_OPTIONS-fast_unwind_on_malloc=0}"
export LSAN_OPTIONS="suppressions=$here/../lsan.supp"

# One fuzzer; its lines go to $tmp/NAME.result, its status to NAME.rc.
run_one() {
  local fuzzer=$1 name corpus max_len unit_timeout rc=0 runs speed
  name=$(basename "$fuzzer")
  corpus=$tmp/$name
  mkdir -p "$corpus"
  cp "$here/corpus/$name"/* "$corpus"/ 2>/dev/null
  # The per-stream pipeline's fuzzers take whole streams, and a stream
  # may take its watchdog's time (10-15 s) to end; browsers' SDP offers
  # are 5 to 7 KiB.
  max_len=4096 unit_timeout=10
  case $name in
  fuzz-stream-*) max_len=65536 unit_timeout=30 ;;
  fuzz-webrtc-sdp) max_len=8192 ;;
  esac
  # Bounded even if the fuzzer itself hangs (its last input, its exit).
  timeout -k 10 $((seconds + 2 * unit_timeout + 30)) \
    "$fuzzer" -max_total_time="$seconds" -max_len=$max_len \
    -timeout=$unit_timeout -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name-" \
    ${FUZZ_ARGS:-} "$corpus" >"$tmp/$name.log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$name.log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/$name.log")
  {
    if [ $rc -eq 0 ]; then
      echo "$name: ok, ${runs:-?} runs, ${speed:-?} exec/s," \
        "corpus $(ls "$corpus" | wc -l) inputs"
    else
      echo "$name: FAILED (exit $rc) after ${runs:-?} runs; log, progress lines left out:"
      grep -v -E '^#[0-9]+[[:space:]]' "$tmp/$name.log" | tail -n 80 | sed 's/^/    /'
      cp "$tmp/$name.log" "$artifacts/$name.log"
      echo "    artifacts and full log in $artifacts"
    fi
  } >"$tmp/$name.result"
  echo $rc >"$tmp/$name.rc"
}

# As many at once as there are cores (FUZZ_JOBS to say otherwise); the
# lines are printed in the fuzzers' order.
jobs=${FUZZ_JOBS:-$(nproc)}
for fuzzer in "${fuzzers[@]}"; do
  # (a fuzzer's own status is in its .rc file, read below; no set -e here)
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n
  done
  run_one "$fuzzer" &
done
wait

status=0
for fuzzer in "${fuzzers[@]}"; do
  name=$(basename "$fuzzer")
  cat "$tmp/$name.result"
  [ "$(cat "$tmp/$name.rc" 2>/dev/null)" = 0 ] || status=1
done
exit $status
