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

section "fuzz targets (ASan+UBSan)"
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
