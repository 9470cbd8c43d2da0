#!/usr/bin/env bash
# The two set-up commands of the README:
#   setup.sh serve   install what is needed, build, install wgd, and start `wgd serve`
#   setup.sh test    install what is needed, build, and run every test
# Extra arguments after `serve` go to `wgd serve`.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

if [ "$(id -u)" -ne 0 ]; then
  # Packages, TUN devices and network namespaces all need root.
  exec sudo --preserve-env=PATH "$0" "$@"
fi

mode=${1:-}
shift || true
jobs=$(nproc)

build_release() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  cmake --build build -j "$jobs"
}

case "$mode" in
  serve)
    scripts/install-deps.sh build
    build_release -DWGD_TESTS=OFF -DWGD_BENCH=OFF
    cmake --install build
    exec wgd serve "$@"
    ;;
  test)
    scripts/install-deps.sh test
    build_release -DWGD_TESTS=ON -DWGD_BENCH=ON
    scripts/run-tests.sh
    ;;
  *)
    echo "usage: $0 serve [wgd serve options] | test" >&2
    exit 2
    ;;
esac
