#!/usr/bin/env bash
# Runs every test of an existing build in build/: unit tests, the tests that build network
# namespaces (root), and the fuzz targets for a fixed number of iterations under ASan+UBSan.
# Prints a summary and exits non-zero if anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
jobs=$(nproc)
failed=()

section() { printf '\n=== %s ===\n' "$1"; }

section "unit tests"
ctest --test-dir build -L unit -j "$jobs" --output-on-failure --timeout 300 || failed+=(unit)

section "network namespace and integration tests"
# Serial: they create interfaces and namespaces and measure traffic.
ctest --test-dir build -L netns --output-on-failure --timeout 900 || failed+=(netns)

section "core unit tests under ASan+UBSan"
# The protocol core, crypto layer and packet splitting/merging once more with the sanitizers
# (build-asan): the code that parses what the network sends.
asan_tests=(crypto_test wg_core_test tunnel_offload_test util_test)
mkdir -p build-asan
if cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWGD_SANITIZE=ON -DWGD_TESTS=ON \
     -DWGD_BENCH=OFF >build-asan/configure.log 2>&1 &&
   ninja -C build-asan "${asan_tests[@]}" >build-asan/build.log 2>&1; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  for t in "${asan_tests[@]}"; do
    bin=$(find build-asan/src -name "$t" -type f -perm -u+x | head -n 1)
    if [ -z "$bin" ] || ! "$bin" --gtest_brief=1 >"build-asan/$t.log" 2>&1; then
      tail -n 40 "build-asan/$t.log" 2>/dev/null
      failed+=("asan:$t")
    else
      echo "$t: passed under ASan+UBSan"
    fi
  done
else
  tail -n 40 build-asan/configure.log build-asan/build.log 2>/dev/null
  failed+=(asan-build)
fi

section "fuzz targets (ASan+UBSan)"
# One million iterations for the decoders; the two targets that run whole handshakes (X25519
# under ASan, ~1.5k and ~0.3k executions/s on 2 cores) and gro_coalescer (up to 96 packets per
# input, ~3k/s) get a budget that keeps CI inside its time. fuzz/README.md records the full
# million-iteration runs of every target.
export WGD_FUZZ_RUNS_handshake=${WGD_FUZZ_RUNS_handshake:-200000}
export WGD_FUZZ_RUNS_device_receive=${WGD_FUZZ_RUNS_device_receive:-30000}
export WGD_FUZZ_RUNS_gro_coalescer=${WGD_FUZZ_RUNS_gro_coalescer:-100000}
if [ -x fuzz/run.sh ]; then
  fuzz/run.sh "${WGD_FUZZ_ITERATIONS:-1000000}" || failed+=(fuzz)
else
  echo "fuzz/run.sh missing"
  failed+=(fuzz)
fi

section "summary"
if [ ${#failed[@]} -ne 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all tests passed"
