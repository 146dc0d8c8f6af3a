#!/bin/bash
# Fuzz smoke (fuzz/README.md): builds the libFuzzer targets with clang, ASan and UBSan in
# build-fuzz/ (ALFS_FUZZ_BUILD moves it) and runs each for SECONDS (default 60) from its
# seeds in fuzz/corpus/<target>/, ALFS_FUZZ_JOBS (default: the number of CPUs) at a time.
# Fails when a target crashes, hangs or breaks an invariant; the input that did it is in
# <build>/fuzz/artifacts/, the target's output in <build>/fuzz/logs/.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
seconds=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ALFS_FUZZ_BUILD:-$root/build-fuzz}
jobs=${ALFS_FUZZ_JOBS:-$(nproc)}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(disk_ident config protocol guest_control stream_mux nfs_reply probe listing)

echo "fuzz: building ${targets[*]} in $build"
mkdir -p "$build"
if ! { cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DALFS_FUZZ=ON &&
       cmake --build "$build" --target fuzzers -j"$(nproc)"; } >"$build/fuzz-build.log" 2>&1; then
  tail -n 40 "$build/fuzz-build.log" >&2
  echo "fuzz: the build failed (see $build/fuzz-build.log)" >&2
  exit 1
fi

out=$build/fuzz
mkdir -p "$out/logs" "$out/artifacts"
export UBSAN_OPTIONS=print_stacktrace=1

# One target: the seeds, and a working corpus of what it found (kept between runs).
run() {
  local t=$1
  mkdir -p "$out/work/$t"
  rm -f "$out/artifacts/$t-"*
  "$out/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$t-" "$out/work/$t" "$root/fuzz/corpus/$t" >"$out/logs/$t.log" 2>&1
}

echo "fuzz: running each target for $seconds s, $jobs at a time"
declare -A pid
for t in "${targets[@]}"; do
  [ -x "$out/${t}_fuzz" ] || { echo "fuzz: no target $t" >&2; exit 1; }
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run "$t" &
  pid[$t]=$!
done

failed=0
for t in "${targets[@]}"; do
  rc=0
  wait "${pid[$t]}" || rc=$?
  log=$out/logs/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  if [ "$rc" = 0 ]; then
    printf 'fuzz: %-10s ok      %9s execs  %6s/s\n' "$t" "${execs:-?}" "${rate:-?}"
  else
    failed=1
    printf 'fuzz: %-10s FAILED  (exit %s; log %s)\n' "$t" "$rc" "$log"
    pattern='ERROR:|invariant broken|runtime error|terminate called'
    if grep -qE "$pattern" "$log"; then grep -E -A 30 "$pattern" "$log" | head -n 60; else tail -n 40 "$log"; fi
    for input in "$out/artifacts/$t-"*; do [ -e "$input" ] && echo "fuzz:   input: $input"; done
  fi
done
exit "$failed"
