#!/usr/bin/env bash
# Acceptance test of `wgd mesh` (issue 6, seed 002): the four hosts of seed 002 generated from one
# inventory, each brought up with `wgd up` in its own network namespace, reach each other's VPN
# addresses over IPv4 and IPv6, and dolores reaches a machine on the home network behind
# charlotte, which has no public endpoint (dolores, maeve and bernard wait for it; its keepalive
# opens the paths).
#
#   ns dolores           ns maeve             ns bernard           ns charlotte          ns home
#   192.0.2.54           192.0.2.7            192.0.2.14           192.0.2.100           172.27.88.10
#   2001:db8::54         2001:db8::7          2001:db8::14         2001:db8::100         fdc1:d89e:b128:13a6::10
#     |                    |                    |                    |  172.27.88.1/24 ----+
#     +--------------------+--------------------+--------------------+  fdc1:..:13a6::1/64
#                  bridge in ns lan (192.0.2.0/24, 2001:db8::/64)        (forwarding on)
#
# In the inventory: dolores's endpoint 192.0.2.54 (the mesh's random port) and the seed's fixed
# VPN address 10.195.171.142; maeve's is [2001:db8::7] (an IPv6 path); bernard's
# 192.0.2.14:55867 (so it listens there); charlotte has none ("dynamic") and routes
# 172.27.88.0/24 and fdc1:d89e:b128:13a6::/64. Other addresses come from 10.195.171.0/24 and a
# random ULA /64, drawn by `wgd mesh generate`.
#
# All hosts share /var/run/wireguard (UAPI sockets are named by interface), so each host's
# interface gets its own name: the test copies OUT/HOST/wg0.conf to wgdm<pid><letter>.conf, as
# `wgd up` takes the interface name from the file name. On real, separate hosts wg0 is right.
#
# Names: namespaces wgdmesh-<pid>-<host>, interfaces wgdm<pid>*; everything is removed on exit,
# failed or not. Traffic stays inside the namespaces. Needs root; exits 77 (skipped) otherwise.
# Environment: WGD = the built wgd (CTest passes it); WGD_MESH_KEEP=1 keeps the temporary files.
set -eEuo pipefail
shopt -s inherit_errexit

TEST_NAME=mesh_netns
T0=${EPOCHREALTIME/./}
log() {
  local us=$((${EPOCHREALTIME/./} - T0))
  printf '[%3d.%02d] %s\n' $((us / 1000000)) $((us % 1000000 / 10000)) "$*"
}
pass() { log "ok - $*"; }
fail() {
  trap - ERR
  printf '\n[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
  exit 1
}
skip() {
  printf '[%s] SKIP: %s\n' "$TEST_NAME" "$*"
  exit 77
}
trap 'fail "unexpected failure of \`$BASH_COMMAND\` (line $LINENO, exit $?)"' ERR

[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces)"
[[ -e /dev/net/tun ]] || skip "/dev/net/tun missing"
[[ -n "${WGD:-}" ]] || WGD=$(cd "$(dirname "$0")/../.." && pwd)/build/src/cli/wgd
[[ -x "$WGD" ]] || fail "wgd binary not found: set WGD to the built binary (got '$WGD')"
for tool in ip ping sysctl; do
  command -v "$tool" >/dev/null || fail "missing tool '$tool'"
done

readonly HOSTS=(dolores maeve bernard charlotte)
readonly UAPI_DIR=/var/run/wireguard
readonly PFX=wgdm$$
declare -A NS IFNAME OUT4 OUT6 VPN4 VPN6
letter=(d m b c)
for i in "${!HOSTS[@]}"; do
  h=${HOSTS[$i]}
  NS[$h]=wgdmesh-$$-$h
  IFNAME[$h]=$PFX${letter[$i]}
done
NS[lan]=wgdmesh-$$-lan
NS[home]=wgdmesh-$$-home
OUT4=([dolores]=192.0.2.54 [maeve]=192.0.2.7 [bernard]=192.0.2.14 [charlotte]=192.0.2.100)
OUT6=([dolores]=2001:db8::54 [maeve]=2001:db8::7 [bernard]=2001:db8::14 [charlotte]=2001:db8::100)
readonly HOME4=172.27.88.10 HOME6=fdc1:d89e:b128:13a6::10
readonly GW4=172.27.88.1 GW6=fdc1:d89e:b128:13a6::1

TMPD=$(mktemp -d /tmp/wgdmesh.XXXXXX)
cleanup() {
  local rc=$?
  trap - ERR
  set +eE
  local ns p
  for ns in "${NS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
  done
  sleep 0.3
  for ns in "${NS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -f "$UAPI_DIR/$PFX"*.sock 2>/dev/null
  if [[ $rc -ne 0 && $rc -ne 77 ]]; then
    local f
    for f in "$TMPD"/*.log; do
      [[ -s "$f" ]] || continue
      printf '\n--- %s ---\n' "$f" >&2
      tail -n 30 "$f" >&2
    done
  fi
  [[ "${WGD_MESH_KEEP:-0}" == 1 ]] && echo "kept $TMPD" >&2 || rm -rf "$TMPD"
  exit "$rc"
}
trap cleanup EXIT
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ping_ok NS DEST: DEST answers within 8 s (the first echo may wait for a handshake), then three
# echoes in a row all answer.
ping_ok() {
  local ns=$1 dest=$2 i
  for ((i = 0; i < 8; i++)); do
    if in_ns "$ns" ping -n -c 1 -W 1 "$dest" >/dev/null 2>&1; then
      in_ns "$ns" ping -n -q -c 3 -i 0.2 -W 2 "$dest" >/dev/null 2>&1 && return 0
    fi
  done
  return 1
}

log "$TEST_NAME: wgd=$WGD, namespaces wgdmesh-$$-*, files in $TMPD"

# --- the network: a bridge on the outer documentation network, home behind charlotte --------
ip netns add "${NS[lan]}"
ip -n "${NS[lan]}" link set lo up
ip -n "${NS[lan]}" link add br0 type bridge
ip -n "${NS[lan]}" link set br0 up
for i in "${!HOSTS[@]}"; do
  h=${HOSTS[$i]}
  ip netns add "${NS[$h]}"
  ip -n "${NS[$h]}" link set lo up
  ip link add "${PFX}o" netns "${NS[$h]}" type veth peer name "${PFX}${letter[$i]}" netns "${NS[lan]}"
  ip -n "${NS[lan]}" link set "${PFX}${letter[$i]}" master br0 up
  ip -n "${NS[$h]}" addr add "${OUT4[$h]}/24" dev "${PFX}o"
  ip -n "${NS[$h]}" addr add "${OUT6[$h]}/64" dev "${PFX}o" nodad
  ip -n "${NS[$h]}" link set "${PFX}o" up
done
ip netns add "${NS[home]}"
ip -n "${NS[home]}" link set lo up
ip link add "${PFX}h" netns "${NS[charlotte]}" type veth peer name "${PFX}h" netns "${NS[home]}"
ip -n "${NS[charlotte]}" addr add "$GW4/24" dev "${PFX}h"
ip -n "${NS[charlotte]}" addr add "$GW6/64" dev "${PFX}h" nodad
ip -n "${NS[charlotte]}" link set "${PFX}h" up
ip -n "${NS[home]}" addr add "$HOME4/24" dev "${PFX}h"
ip -n "${NS[home]}" addr add "$HOME6/64" dev "${PFX}h" nodad
ip -n "${NS[home]}" link set "${PFX}h" up
# Home's way back to the VPN is its default route: charlotte, which forwards.
ip -n "${NS[home]}" route add default via "$GW4"
ip -n "${NS[home]}" -6 route add default via "$GW6"
in_ns "${NS[charlotte]}" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
for h in maeve bernard charlotte; do
  ping_ok "${NS[dolores]}" "${OUT4[$h]}" || fail "premise: the bridge does not carry IPv4 dolores -> $h"
  ping_ok "${NS[dolores]}" "${OUT6[$h]}" || fail "premise: the bridge does not carry IPv6 dolores -> $h"
done
ping_ok "${NS[charlotte]}" "$HOME4" || fail "premise: charlotte does not reach home"
if in_ns "${NS[dolores]}" ping -n -c 1 -W 1 "$HOME4" >/dev/null 2>&1; then
  fail "premise: dolores reaches $HOME4 without the VPN"
fi
pass "outer network up; home is reachable only from charlotte"

# --- the inventory of seed 002 and `wgd mesh generate` ----------------------------------------
cat >"$TMPD/mesh.ini" <<INI
# The servers of seed 002, joined in one mesh (numeric endpoints on the test's outer network).
[mesh]
name = example
ipv4 = 10.195.171.0/24
ipv6 = auto
listen_port = random
domain = example.net
output = out

[host dolores]
endpoint = ${OUT4[dolores]}
comment = Hetzner, San Francisco
ipv4 = 10.195.171.142

[host maeve]
endpoint = [${OUT6[maeve]}]
comment = Rackspace, London

[host bernard]
endpoint = ${OUT4[bernard]}:55867
comment = Rollnet, Phoenix

[host charlotte]
endpoint = dynamic
comment = Home, Frankfurt
subnets = 172.27.88.0/24, fdc1:d89e:b128:13a6::/64
INI
"$WGD" mesh generate "$TMPD/mesh.ini" >"$TMPD/generate.log" 2>&1 ||
  fail "wgd mesh generate failed: $(cat "$TMPD/generate.log")"
[[ $(grep -c '^created ' "$TMPD/generate.log") -eq 13 ]] ||
  fail "expected 13 created files (state + 3 per host): $(cat "$TMPD/generate.log")"
"$WGD" mesh generate "$TMPD/mesh.ini" >"$TMPD/regenerate.log" 2>&1 ||
  fail "second wgd mesh generate failed: $(cat "$TMPD/regenerate.log")"
grep -q "0 created, 0 updated, 13 unchanged, 0 removed" "$TMPD/regenerate.log" ||
  fail "a second run must change nothing: $(cat "$TMPD/regenerate.log")"
"$WGD" mesh show "$TMPD/mesh.ini" >"$TMPD/show.log" 2>&1 || fail "wgd mesh show failed: $(cat "$TMPD/show.log")"
grep -q "charlotte: no endpoint; dolores, maeve, bernard wait for it" "$TMPD/show.log" ||
  fail "wgd mesh show: $(cat "$TMPD/show.log")"
pass "generated and re-generated (nothing changed); mesh show explains who waits"

mkdir -m 0700 "$TMPD/conf"
for h in "${HOSTS[@]}"; do
  src=$TMPD/out/$h/wg0.conf
  [[ $(stat -c %a "$src") == 600 ]] || fail "$src is not 0600"
  addr=$(sed -n 's/^Address = //p' "$src")
  VPN4[$h]=${addr%%/*}
  v6=${addr#*, }
  VPN6[$h]=${v6%%/*}
  [[ ${VPN4[$h]} == 10.195.171.* && ${VPN6[$h]} == fd* ]] || fail "$h: unexpected Address line '$addr'"
  install -m 0600 "$src" "$TMPD/conf/${IFNAME[$h]}.conf"
done
[[ ${VPN4[dolores]} == 10.195.171.142 ]] || fail "dolores lost its fixed address: ${VPN4[dolores]}"
log "VPN addresses: $(for h in "${HOSTS[@]}"; do printf '%s=%s,%s ' "$h" "${VPN4[$h]}" "${VPN6[$h]}"; done)"

# --- `wgd up` in each namespace --------------------------------------------------------------
for h in "${HOSTS[@]}"; do
  in_ns "${NS[$h]}" "$WGD" up "$TMPD/conf/${IFNAME[$h]}.conf" >"$TMPD/up-$h.log" 2>&1 ||
    fail "wgd up for $h failed: $(cat "$TMPD/up-$h.log")"
done
pass "wgd up in four namespaces"

# --- every host reaches every other host, over IPv4 and IPv6 ---------------------------------
# dolores goes first: charlotte is reachable only because its keepalive opened the path.
for src in "${HOSTS[@]}"; do
  for dst in "${HOSTS[@]}"; do
    [[ $src == "$dst" ]] && continue
    ping_ok "${NS[$src]}" "${VPN4[$dst]}" || fail "$src cannot ping $dst at ${VPN4[$dst]}"
    ping_ok "${NS[$src]}" "${VPN6[$dst]}" || fail "$src cannot ping $dst at ${VPN6[$dst]}"
  done
  pass "$src pings every other host over IPv4 and IPv6"
done

# --- the subnet behind charlotte ---------------------------------------------------------------
ping_ok "${NS[dolores]}" "$HOME4" || fail "dolores cannot reach $HOME4 behind charlotte"
ping_ok "${NS[dolores]}" "$HOME6" || fail "dolores cannot reach $HOME6 behind charlotte"
ping_ok "${NS[maeve]}" "$HOME4" || fail "maeve cannot reach $HOME4 behind charlotte"
pass "dolores and maeve reach home ($HOME4, $HOME6) behind charlotte"
# The packets really went through the tunnel to charlotte: dolores's route names its interface.
in_ns "${NS[dolores]}" ip route get "$HOME4" | grep -q "dev ${IFNAME[dolores]}" ||
  fail "dolores routes $HOME4 elsewhere: $(in_ns "${NS[dolores]}" ip route get "$HOME4")"
# charlotte's endpoint was learned, not configured: it reached dolores from its outer address.
ep=$(in_ns "${NS[dolores]}" "$WGD" show "${IFNAME[dolores]}" endpoints | grep "$(cat "$TMPD/out/charlotte/publickey")" | awk '{print $2}')
[[ $ep == "${OUT4[charlotte]}:"* ]] || fail "dolores's endpoint for charlotte: '$ep'"
pass "charlotte's endpoint learned by dolores: $ep"

# --- down ---------------------------------------------------------------------------------------
for h in "${HOSTS[@]}"; do
  in_ns "${NS[$h]}" "$WGD" down "$TMPD/conf/${IFNAME[$h]}.conf" >"$TMPD/down-$h.log" 2>&1 ||
    fail "wgd down for $h failed: $(cat "$TMPD/down-$h.log")"
  [[ ! -e $UAPI_DIR/${IFNAME[$h]}.sock ]] || fail "$h: UAPI socket left after wgd down"
done
pass "wgd down in four namespaces"
log "$TEST_NAME: all passed"
