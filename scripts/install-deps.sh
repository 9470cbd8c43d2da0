#!/usr/bin/env bash
# Installs what wgd needs on Debian bookworm, from Debian's archive only.
#   install-deps.sh build   compilers and libraries: enough to build and run wgd
#   install-deps.sh test    everything: also test tools, reference peers and fuzzing toolchain
set -euo pipefail

mode=${1:-build}

build_packages=(
  g++ cmake ninja-build pkg-config git ca-certificates
  libssl-dev libsodium-dev libdecaf-dev libqrencode-dev libpng-dev libsqlite3-dev libpq-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libcpp-httplib-dev libmnl-dev
  iproute2 iptables
  help2man
)
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-16 libclang-rt-16-dev
  wireguard-go wireguard-tools iperf3 tcpdump procps psmisc iputils-ping
  qrencode zbar-tools librsvg2-bin
  curl netcat-openbsd python3 python3-yaml python3-prometheus-client sqlite3 wrk
  postgresql nftables systemd
)

case "$mode" in
  build) packages=("${build_packages[@]}") ;;
  test) packages=("${build_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: needs root to install packages (run it with sudo)" >&2
  exit 1
fi

# Skip the slow apt run when everything is present already (re-runs on a developer machine).
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps.sh: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
