#!/usr/bin/env bash
# Builds the protocol core's libFuzzer targets under ASan+UBSan and runs each one for a fixed
# number of iterations, starting from a seed corpus of real messages written by the real code.
# Exits non-zero on any finding (crash, invariant violation, leak, UB, timeout, OOM), printing
# the reproducer's path; prints executions per second and wall time per target.
#
#   fuzz/run.sh [ITERATIONS]            default 1000000 per target
#
# Environment:
#   WGD_FUZZ_RUNS_<target>=N   iterations for one target (e.g. WGD_FUZZ_RUNS_device_receive=50000)
#   WGD_FUZZ_JOBS=N            targets run side by side (default: number of CPUs)
#   WGD_FUZZ_BUILD=DIR         build directory (default: build-fuzz at the top of the tree)
#   CXX=clang++-NN             the compiler (default: the newest clang++ >= 16 found)
#
# Reproducing a finding: BUILD/fuzz/fuzz_<target> BUILD/fuzz-artifacts/<target>/crash-...
# (for device_receive, WGD_FUZZ_TRACE=1 prints what each operation of the input did).
#
# The compiler: clang >= 16. libstdc++ 12's <expected>, which util/error.h includes, needs
# conditionally trivial special members (P0848), which clang implements from 16 on; clang 14
# and 15 cannot compile the core at all. clang 16 to 18 also report __cpp_concepts as 201907,
# for which libstdc++ 12 hides std::expected, so the feature macro is raised on their command
# line (the feature itself is there). Debian bookworm: apt-get install clang-16 libclang-rt-16-dev.
set -euo pipefail

ITERATIONS=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${WGD_FUZZ_BUILD:-$ROOT/build-fuzz}
JOBS=${WGD_FUZZ_JOBS:-$(nproc)}
TARGETS=(decode_initiation decode_response decode_cookie_reply decode_transport ip_header
         handshake device_receive gro_coalescer)

find_clang() {
  local c
  for c in ${CXX:-} clang++-19 clang++-18 clang++-17 clang++-16 clang++; do
    command -v "$c" >/dev/null 2>&1 || continue
    local major
    major=$("$c" -dumpversion | cut -d. -f1)
    if [ "$major" -ge 16 ]; then echo "$c"; return 0; fi
  done
  echo "fuzz/run.sh: needs clang >= 16 (Debian: apt-get install clang-16 libclang-rt-16-dev)" >&2
  return 1
}
CXX_BIN=$(find_clang)
CC_BIN=${CXX_BIN/clang++/clang}
CXX_FLAGS=""
concepts=$(echo | "$CXX_BIN" -std=c++2b -dM -E -x c++ - | awk '/__cpp_concepts/ {print $3}' | tr -d L)
if [ "${concepts:-0}" -lt 202002 ]; then
  CXX_FLAGS="-D__cpp_concepts=202002L -Wno-macro-redefined"
fi

mkdir -p "$BUILD"
echo "== configuring $BUILD with $CXX_BIN ($("$CXX_BIN" -dumpversion))"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCMAKE_CXX_FLAGS="$CXX_FLAGS" \
  -DWGD_FUZZ=ON -DWGD_SANITIZE=ON -DWGD_TESTS=OFF -DWGD_BENCH=OFF >"$BUILD/configure.log" 2>&1 ||
  { cat "$BUILD/configure.log"; exit 1; }
echo "== building"
ninja -C "$BUILD" fuzz_all >"$BUILD/build.log" 2>&1 || { tail -n 50 "$BUILD/build.log"; exit 1; }

SEEDS=$BUILD/fuzz-seeds
rm -rf "$SEEDS"
"$BUILD/fuzz/wgd_fuzz_seeds" "$SEEDS"

for s in llvm-symbolizer-19 llvm-symbolizer-18 llvm-symbolizer-17 llvm-symbolizer-16 llvm-symbolizer; do
  if command -v "$s" >/dev/null 2>&1; then
    ASAN_SYMBOLIZER_PATH=$(command -v "$s")
    export ASAN_SYMBOLIZER_PATH
    break
  fi
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

max_len() {
  case $1 in
    device_receive) echo 1024 ;;
    handshake) echo 512 ;;
    *) echo 2048 ;;
  esac
}

# Runs one target; leaves "<rc> <runs> <seconds> <executions per second>" in RESULTS/<target>.
RESULTS=$BUILD/fuzz-results
rm -rf "$RESULTS" "$BUILD/fuzz-corpus" "$BUILD/fuzz-artifacts"
mkdir -p "$RESULTS"
run_target() {
  local t=$1
  local var="WGD_FUZZ_RUNS_$t"
  local runs=${!var:-$ITERATIONS}
  local corpus=$BUILD/fuzz-corpus/$t artifacts=$BUILD/fuzz-artifacts/$t/
  mkdir -p "$corpus" "$artifacts" "$SEEDS/$t"
  local start end rc=0
  start=$(date +%s.%N)
  "$BUILD/fuzz/fuzz_$t" -runs="$runs" -max_len="$(max_len "$t")" -timeout=30 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "$SEEDS/$t" \
    >"$RESULTS/$t.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  # Rate over the whole run (libFuzzer's own figure rounds down to 0 for runs under a second);
  # a run stopped by a finding did fewer iterations than asked, so it gets no rate.
  awk -v rc="$rc" -v n="$runs" -v a="$start" -v b="$end" \
    'BEGIN {printf "%s %s %.1f %s\n", rc, n, b - a, rc == 0 ? sprintf("%.0f", n / (b - a)) : "-"}' \
    >"$RESULTS/$t"
}

echo "== fuzzing: ${#TARGETS[@]} targets, $JOBS at a time"
running=0
for t in "${TARGETS[@]}"; do
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

status=0
printf '\n%-22s %10s %9s %10s  %s\n' target iterations wall_s exec/s result
for t in "${TARGETS[@]}"; do
  read -r rc runs secs eps <"$RESULTS/$t"
  result=ok
  if [ "$rc" != 0 ]; then
    result="FINDING (exit $rc)"
    status=1
  fi
  printf '%-22s %10s %9.1f %10s  %s\n' "$t" "$runs" "$secs" "$eps" "$result"
done
if [ "$status" != 0 ]; then
  for t in "${TARGETS[@]}"; do
    read -r rc _ <"$RESULTS/$t"
    [ "$rc" = 0 ] && continue
    echo
    echo "== $t: $RESULTS/$t.log"
    grep -E "ERROR|invariant|runtime error|SUMMARY|Test unit written" "$RESULTS/$t.log" | head -n 20
  done
fi
exit "$status"
