#!/usr/bin/env bash
# What compose.yaml runs, without Docker (this machine has no Docker engine): a network
# namespace stands for the container's network, `wgd serve` runs in it as the image's
# ENTRYPOINT would, and packaging/docker/wgd-docker-setup.sh runs in the same namespace as the
# wgd-setup service does (network_mode: service:wgd):
#   - PEERS=laptop,phone: both peers exist in the server, /config/peer_NAME/peer_NAME.conf and
#     .png written 0600, the configuration naming SERVERURL:SERVERPORT and the seed's subnet;
#   - WGD_CLIENT_ALLOWED_IPS=0.0.0.0/0: the MASQUERADE rule for the subnet, once;
#   - a second run changes nothing; PEERS=3 means peer1..peer3;
#   - with the compose file's sysctl net.ipv4.ip_forward=1, `wgd doctor` finds forwarding and
#     NAT in order.
# Usage: docker_setup_netns.sh (CTest passes WGD, the built wgd). Root only.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }
[[ -n ${WGD:-} && -x $WGD ]] || { echo "FAIL: set WGD to the built wgd" >&2; exit 1; }
for tool in ip iptables-save iptables; do
  command -v "$tool" >/dev/null || { echo "FAIL: missing $tool" >&2; exit 1; }
done
here=$(cd "$(dirname "$0")" && pwd)
setup=$here/../docker/wgd-docker-setup.sh
ns=wgddoc-pkg-$$
itf=wgddocpk$$
veth=wgddocpv$$
tmp=$(mktemp -d /tmp/wgddoc-pkg.XXXXXX)
serve_pid=
cleanup() {
  local rc=$?
  if [[ -n $serve_pid ]]; then
    kill -TERM "$serve_pid" 2>/dev/null
    for _ in $(seq 30); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -f "/var/run/wireguard/$itf.sock"
  [[ $rc -ne 0 && -f $tmp/serve.log ]] && tail -n 30 "$tmp/serve.log" >&2
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

# The "container": its own network namespace with an uplink and a default route.
ip netns add "$ns"
ip -n "$ns" link set lo up
ip link add "${veth}a" type veth peer name "${veth}b" netns "$ns"
ip link set "${veth}a" up
ip -n "$ns" addr add 192.0.2.10/24 dev "${veth}b"
ip -n "$ns" link set "${veth}b" up
ip -n "$ns" route add default via 192.0.2.1
ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=0

mkdir -p "$tmp/data" "$tmp/config"
# The settings compose.yaml gives the wgd service (interface name and port made unique here).
common=(WGD_DATA_DIR="$tmp/data" WGD_INTERFACE="$itf" WGD_HOSTS_FILE=none
        WGD_CLIENT_ALLOWED_IPS=0.0.0.0/0)
ip netns exec "$ns" env "${common[@]}" SERVERURL=vpn.example.org SERVERPORT=51821 \
  WGD_LISTEN_PORT=51820 WGD_IPV4_ADDRESS=10.13.13.1/24 WGD_IPV6_ADDRESS=none \
  "$WGD" serve >"$tmp/serve.log" 2>&1 &
serve_pid=$!

# run_setup ENV...: the setup script as the wgd-setup service runs it.
run_setup() {
  ip netns exec "$ns" env PATH="$(dirname "$WGD"):$PATH" "${common[@]}" CONFIG_DIR="$tmp/config" \
    SETUP_DEBUG="$tmp/setup-debug.log" \
    NAT_UPLINK="${veth}b" "$@" timeout 90 sh "$setup" >"$tmp/setup.out" 2>&1 ||
    fail "wgd-docker-setup.sh failed: $(cat "$tmp/setup.out"; tail -3 "$tmp/setup-debug.log" 2>/dev/null)"
}

run_setup PEERS=laptop,phone
for name in laptop phone; do
  for ext in conf png; do
    f=$tmp/config/peer_$name/peer_$name.$ext
    [[ -s $f ]] || fail "$f not written"
    [[ $(stat -c %a "$f") == 600 ]] || fail "$f should be mode 600 (it holds the private key)"
  done
  grep -qx "Endpoint = vpn.example.org:51821" "$tmp/config/peer_$name/peer_$name.conf" ||
    fail "peer_$name.conf should use SERVERURL:SERVERPORT: $(cat "$tmp/config/peer_$name/peer_$name.conf")"
  grep -q "^Address = 10\.13\.13\." "$tmp/config/peer_$name/peer_$name.conf" ||
    fail "peer_$name.conf should have an address from 10.13.13.0/24"
done
ok "PEERS=laptop,phone: peers added, peer_NAME.conf and .png written 0600 with SERVERURL:SERVERPORT"
rules=$(ip netns exec "$ns" iptables-save -t nat | grep -c -- "-A POSTROUTING -s 10.13.13.0/24 -o ${veth}b -j MASQUERADE" || true)
[[ $rules -eq 1 ]] || fail "expected one MASQUERADE rule for 10.13.13.0/24, found $rules"
ok "WGD_CLIENT_ALLOWED_IPS=0.0.0.0/0: MASQUERADE rule for the subnet"
grep -q "forwarding is off (net.ipv4.ip_forward=0)" "$tmp/setup.out" ||
  fail "doctor at the end of the setup should report forwarding off: $(cat "$tmp/setup.out")"
ok "doctor at the end of the setup notices that forwarding is off"

ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1  # compose.yaml: sysctls
run_setup PEERS=laptop,phone
grep -q "peer laptop: exists" "$tmp/setup.out" || fail "second run should find laptop: $(cat "$tmp/setup.out")"
grep -q "already there" "$tmp/setup.out" || fail "second run should find the NAT rule"
rules=$(ip netns exec "$ns" iptables-save -t nat | grep -c -- "-j MASQUERADE" || true)
[[ $rules -eq 1 ]] || fail "a second run must not add a second NAT rule (found $rules)"
awk '/^forwarding and NAT/ {on = 1} on' "$tmp/setup.out" | grep -q '\[fail\]' &&
  fail "with ip_forward=1 and the NAT rule doctor should find no forwarding problem: $(cat "$tmp/setup.out")"
ok "second run: nothing added twice; doctor finds forwarding and NAT in order"

run_setup PEERS=3
for n in 1 2 3; do [[ -s $tmp/config/peer_peer$n/peer_peer$n.conf ]] || fail "PEERS=3: peer$n missing"; done
count=$(ip netns exec "$ns" env WGD_DATA_DIR="$tmp/data" "$WGD" peer list --json |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["peers"]) if isinstance(d, dict) else len(d))')
[[ $count -eq 5 ]] || fail "the server should have 5 peers (laptop, phone, peer1-3), has $count"
ok "PEERS=3: peer1..peer3, 5 peers in all"
