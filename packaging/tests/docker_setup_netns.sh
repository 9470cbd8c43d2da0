#!/usr/bin/env bash
# What compose.yaml runs, without Docker (this machine has no Docker engine): a network
# namespace stands for the container's network, `wgd serve` runs in it as the image's
# ENTRYPOINT would with the compose file's linuxserver variables, and
# packaging/docker/wgd-docker-setup.sh runs in the same namespace as the wgd-nat service does
# (network_mode: service:wgd):
#   - PEERS=laptop,phone: `wgd serve` itself creates both peers and writes
#     /config/peer_NAME/peer_NAME.conf and .png 0600, naming SERVERURL:SERVERPORT and the subnet;
#   - ALLOWEDIPS=0.0.0.0/0: the setup adds the MASQUERADE rule for the subnet, once;
#   - a second run adds nothing; with the compose file's sysctl net.ipv4.ip_forward=1,
#     `wgd doctor` finds forwarding and NAT in order.
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
# The settings compose.yaml gives the wgd service (interface name made unique here; the
# container's WGD_IPV6_ADDRESS=none comes from the Dockerfile).
ip netns exec "$ns" env WGD_DATA_DIR="$tmp/data" WGD_INTERFACE="$itf" WGD_HOSTS_FILE=none \
  WGD_CONFIG_DIR="$tmp/config" WGD_IPV6_ADDRESS=none TZ=Etc/UTC \
  SERVERURL=vpn.example.org SERVERPORT=51821 PEERS=laptop,phone PEERDNS=auto \
  INTERNAL_SUBNET=10.13.13.0 ALLOWEDIPS=0.0.0.0/0 LOG_CONFS=true \
  "$WGD" serve >"$tmp/serve.log" 2>&1 &
serve_pid=$!

# run_setup: the setup script as the wgd-nat service runs it.
run_setup() {
  ip netns exec "$ns" env PATH="$(dirname "$WGD"):$PATH" WGD_INTERFACE="$itf" \
    ALLOWEDIPS=0.0.0.0/0 NAT_UPLINK="${veth}b" timeout 90 sh "$setup" >"$tmp/setup.out" 2>&1 ||
    fail "wgd-docker-setup.sh failed: $(cat "$tmp/setup.out")"
}

for _ in $(seq 100); do
  [[ -s $tmp/config/peer_phone/peer_phone.png ]] && break
  kill -0 "$serve_pid" 2>/dev/null || fail "wgd serve ended: $(tail -5 "$tmp/serve.log")"
  sleep 0.1
done
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
count=$(ip netns exec "$ns" env WGD_DATA_DIR="$tmp/data" "$WGD" peer list --json |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["peers"]) if isinstance(d, dict) else len(d))')
[[ $count -eq 2 ]] || fail "the server should have 2 peers (laptop, phone), has $count"
ok "compose's PEERS=laptop,phone: wgd serve made the peers and peer_NAME.conf/.png 0600 with SERVERURL:SERVERPORT"

run_setup
rules=$(ip netns exec "$ns" iptables-save -t nat | grep -c -- "-A POSTROUTING -s 10.13.13.0/24 -o ${veth}b -j MASQUERADE" || true)
[[ $rules -eq 1 ]] || fail "expected one MASQUERADE rule for 10.13.13.0/24, found $rules"
ok "ALLOWEDIPS=0.0.0.0/0: MASQUERADE rule for the subnet"
grep -q "forwarding is off (net.ipv4.ip_forward=0)" "$tmp/setup.out" ||
  fail "doctor at the end of the setup should report forwarding off: $(cat "$tmp/setup.out")"
ok "doctor at the end of the setup notices that forwarding is off"

ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1  # compose.yaml: sysctls
run_setup
grep -q "already there" "$tmp/setup.out" || fail "second run should find the NAT rule: $(cat "$tmp/setup.out")"
rules=$(ip netns exec "$ns" iptables-save -t nat | grep -c -- "-j MASQUERADE" || true)
[[ $rules -eq 1 ]] || fail "a second run must not add a second NAT rule (found $rules)"
awk '/^forwarding and NAT/ {on = 1} on' "$tmp/setup.out" | grep -q '\[fail\]' &&
  fail "with ip_forward=1 and the NAT rule doctor should find no forwarding problem: $(cat "$tmp/setup.out")"
ok "second run: nothing added twice; doctor finds forwarding and NAT in order"
