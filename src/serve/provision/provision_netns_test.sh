#!/usr/bin/env bash
# linuxserver/wireguard-style provisioning, end to end (issue 6 item 1): the real `wgd serve`
# with seed 001's variables writes the container's tree; every generated .conf brings up a
# working tunnel with `wgd up` from a client namespace; restarts with a new SERVERPORT, an added
# and a removed name do what docs/provisioning.md promises (same keys, only that peer, disabled
# not deleted); every PNG decodes to its .conf byte for byte (zbarimg); the QR codes printed
# with LOG_CONFS equal `qrencode -t ansiutf8` of the file.
#
#        namespace $NS_S                                namespace $NS_C
#   +-----------------------------------+        +------------------------------------+
#   | wgd serve (interface $IF_S)       |        | wgd up $IF_C.conf (each peer's     |
#   |   10.13.13.1/24, UDP 51820/51821  |  UDP   |   .conf, DNS line left out)        |
#   |   API 127.0.0.1:$API_PORT         | <====> |   10.13.13.x, AllowedIPs 0.0.0.0/0 |
#   | $VETH_S 192.0.2.1/24              +--------+ $VETH_C 192.0.2.2/24               |
#   |   default via 192.0.2.2 (SERVERURL=auto finds 192.0.2.1)                          |
#   +-----------------------------------+        +------------------------------------+
#
# Names carry the prefix wgdpv/wgpv and the pid; everything is removed on exit, failed or not.
# Needs root; exits 77 (skipped) otherwise. WGD = the built wgd (CTest passes it).
set -eEuo pipefail
shopt -s inherit_errexit

TEST_NAME=serve_provision
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
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
WGD=${WGD:-$REPO/build/src/cli/wgd}
[[ -x $WGD ]] || fail "wgd binary not found: set WGD (got '$WGD')"
for tool in ip wg curl ping zbarimg qrencode python3 sha256sum; do
  command -v "$tool" >/dev/null || fail "missing tool '$tool' (zbar-tools, qrencode, ...)"
done

NS_S=wgdpv-$$-s
NS_C=wgdpv-$$-c
IF_S=wgpv$$s
IF_C=wgpv$$c
VETH_S=wgpv$$vs
VETH_C=wgpv$$vc
TMPD=$(mktemp -d /tmp/wgdpv.XXXXXX)
CONFIG=$TMPD/config
DATA=$TMPD/data
API_PORT=$((20000 + RANDOM % 20000))
SERVER_PID=

cleanup() {
  local rc=$?
  trap - ERR
  set +eE
  [[ -n $SERVER_PID ]] && kill -TERM "$SERVER_PID" 2>/dev/null
  ip netns exec "$NS_C" "$WGD" down "$TMPD/$IF_C.conf" >/dev/null 2>&1
  local ns p
  for ns in "$NS_S" "$NS_C"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
  done
  sleep 0.3
  for ns in "$NS_S" "$NS_C"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  wait 2>/dev/null
  rm -f "/var/run/wireguard/$IF_S.sock" "/var/run/wireguard/$IF_C.sock"
  if [[ $rc -ne 0 && $rc -ne 77 && -f $TMPD/serve.log ]]; then
    printf '\n--- last lines of the server log ---\n' >&2
    tail -n 40 "$TMPD/serve.log" >&2
  fi
  [[ "${WGD_PV_KEEP:-0}" == 1 ]] || rm -rf "$TMPD"
  exit "$rc"
}
trap cleanup EXIT

in_s() { ip netns exec "$NS_S" "$@"; }
in_c() { ip netns exec "$NS_C" "$@"; }

ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "$VETH_S" netns "$NS_S" type veth peer name "$VETH_C" netns "$NS_C"
ip -n "$NS_S" addr add 192.0.2.1/24 dev "$VETH_S"
ip -n "$NS_C" addr add 192.0.2.2/24 dev "$VETH_C"
for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; done
ip -n "$NS_S" link set "$VETH_S" up
ip -n "$NS_C" link set "$VETH_C" up
# SERVERURL=auto: the address of the interface with the default route (nothing leaves: the
# "router" is the client namespace).
ip -n "$NS_S" route add default via 192.0.2.2
log "wgd=$WGD namespaces $NS_S/$NS_C, config dir $CONFIG"

# start_server NAME=VALUE...: seed 001's variables plus the test's own, until provisioned.
start_server() {
  : >"$TMPD/stdout.log"
  # Not through in_s: $! must be the server itself (ip netns exec and env exec it), not a
  # subshell running a function.
  ip netns exec "$NS_S" env WGD_DATA_DIR="$DATA" WGD_CONFIG_DIR="$CONFIG" WGD_INTERFACE="$IF_S" \
    WGD_API_LISTEN=127.0.0.1:$API_PORT WGD_HOSTS_FILE=none WGD_CONFIG=/dev/null \
    SERVERURL=auto SERVERPORT=51820 PEERS=laptop,phone,tablet PEERDNS=auto ALLOWEDIPS=0.0.0.0/0 \
    "$@" "$WGD" serve >"$TMPD/stdout.log" 2>>"$TMPD/serve.log" &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 500; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || fail "wgd serve exited during start-up: $(tail -n 20 "$TMPD/serve.log")"
    # Provisioning ends before the summary's last line.
    if grep -q "; ready in " "$TMPD/serve.log" 2>/dev/null; then
      TOKEN=$(cat "$DATA/api-token")
      return 0
    fi
    sleep 0.02
  done
  fail "wgd serve not ready within 10 s"
}
stop_server() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || fail "wgd serve exited with status $? after SIGTERM"
  SERVER_PID=
  : >"$TMPD/serve.log"
}
api() { in_s curl -sS --max-time 10 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API_PORT$1"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# Every file of the tree with its checksum (the wg0.conf link shows as a link).
tree_sums() {
  (cd "$CONFIG" && find . -type f -printf '%P\n' | sort | xargs sha256sum)
}

# tunnel_ok PEER_ID: the peer's .conf, as written (DNS aside: resolv.conf is the host's), brings
# up an interface in $NS_C that reaches the server's tunnel address.
tunnel() {
  local id=$1
  grep -v '^DNS = ' "$CONFIG/$id/$id.conf" >"$TMPD/$IF_C.conf"
  in_c "$WGD" up "$TMPD/$IF_C.conf" >"$TMPD/up.log" 2>&1 || fail "wgd up $id.conf: $(cat "$TMPD/up.log")"
  local rc=0
  in_c ping -c 2 -i 0.2 -W 2 10.13.13.1 >"$TMPD/ping.log" 2>&1 || rc=$?
  in_c "$WGD" down "$TMPD/$IF_C.conf" >/dev/null 2>&1 || fail "wgd down $id.conf"
  return $rc
}

# ---- 1. seed 001's variables ---------------------------------------------------------------
start_server
expected=$(printf '%s\n' peer_laptop peer_laptop/peer_laptop.conf peer_laptop/peer_laptop.png \
  peer_laptop/presharedkey-peer_laptop peer_laptop/privatekey-peer_laptop peer_laptop/publickey-peer_laptop \
  peer_phone peer_phone/peer_phone.conf peer_phone/peer_phone.png peer_phone/presharedkey-peer_phone \
  peer_phone/privatekey-peer_phone peer_phone/publickey-peer_phone peer_tablet peer_tablet/peer_tablet.conf \
  peer_tablet/peer_tablet.png peer_tablet/presharedkey-peer_tablet peer_tablet/privatekey-peer_tablet \
  peer_tablet/publickey-peer_tablet server server/privatekey-server server/publickey-server wg0.conf \
  wg_confs wg_confs/wg0.conf | sort)
actual=$(cd "$CONFIG" && find . -mindepth 1 -printf '%P\n' | sort)
[[ "$actual" == "$expected" ]] || fail "tree differs from seed 001's layout:$(diff <(echo "$expected") <(echo "$actual"))"
[[ $(readlink "$CONFIG/wg0.conf") == wg_confs/wg0.conf ]] || fail "wg0.conf is not a link to wg_confs/wg0.conf"
pass "the tree has seed 001's layout (peer_NAME/ x5, server/ x2, wg0.conf -> wg_confs/wg0.conf)"
bad_modes=$(cd "$CONFIG" && find . -type f ! -perm 600 -printf '%P\n')
[[ -z $bad_modes ]] || fail "files not 0600: $bad_modes"
pass "every file is 0600 (keys, configs and QR codes all carry a key)"
grep -qx 'Endpoint = 192.0.2.1:51820' "$CONFIG/peer_laptop/peer_laptop.conf" || fail "SERVERURL=auto did not give 192.0.2.1: $(cat "$CONFIG/peer_laptop/peer_laptop.conf")"
grep -qx 'DNS = 10.13.13.1' "$CONFIG/peer_laptop/peer_laptop.conf" || fail "PEERDNS=auto is not the server's address"
grep -qx 'Address = 10.13.13.4' "$CONFIG/peer_tablet/peer_tablet.conf" || fail "tablet is not on .4"
pass "SERVERURL=auto -> 192.0.2.1 (default-route interface), PEERDNS=auto -> 10.13.13.1, peers from .2"

for id in peer_laptop peer_phone peer_tablet; do
  zbarimg --nodbus --raw -q -Sbinary "$CONFIG/$id/$id.png" >"$TMPD/decoded"
  cmp -s "$TMPD/decoded" "$CONFIG/$id/$id.conf" || fail "$id.png does not decode to $id.conf"
  # LOG_CONFS (default true): the code in the log is `qrencode -t ansiutf8` of the file.
  qrencode -t ansiutf8 <"$CONFIG/$id/$id.conf" >"$TMPD/qr"
  python3 - "$TMPD/stdout.log" "$TMPD/qr" "${id#peer_}" "$CONFIG/$id" <<'EOF' || fail "$id: the QR code in the log differs from qrencode's"
import sys
log, qr, name, where = (open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read(), sys.argv[3], sys.argv[4])
header = f"PEER {name} QR code (conf file is saved under {where}):\n".encode()
sys.exit(0 if header + qr in log else 1)
EOF
done
pass "3 PNGs decode to their .conf byte for byte; the 3 QR codes in the log equal qrencode -t ansiutf8"

for id in peer_laptop peer_phone peer_tablet; do
  tunnel "$id" || fail "$id.conf: no ping to 10.13.13.1 through the tunnel: $(cat "$TMPD/ping.log")"
done
pass "each generated .conf brings up a working tunnel (wgd up, AllowedIPs 0.0.0.0/0, ping 10.13.13.1)"
[[ $(api /api/v1/peers/laptop | field 'd["managed_by"]') == provision ]] || fail "laptop is not managed_by provision"
sums1=$(tree_sums)
stop_server

# ---- 2. the same variables again: nothing touched ------------------------------------------
start_server
[[ "$(tree_sums)" == "$sums1" ]] || fail "a restart with the same variables changed files"
[[ ! -s $TMPD/stdout.log ]] || fail "QR codes printed although no config changed"
pass "restart with the same variables: no file rewritten, no QR code printed"
stop_server

# ---- 3. SERVERPORT changed (the public port; the server listens there too here) -------------
keys_before=$(cd "$CONFIG" && cat peer_*/privatekey-* peer_*/presharedkey-* server/privatekey-server | sha256sum)
start_server SERVERPORT=51821 WGD_LISTEN_PORT=51821
for id in peer_laptop peer_phone peer_tablet; do
  grep -qx 'Endpoint = 192.0.2.1:51821' "$CONFIG/$id/$id.conf" || fail "$id.conf does not show port 51821"
  zbarimg --nodbus --raw -q -Sbinary "$CONFIG/$id/$id.png" >"$TMPD/decoded"
  cmp -s "$TMPD/decoded" "$CONFIG/$id/$id.conf" || fail "$id.png does not show the new config"
  grep -qx "PrivateKey = $(cat "$CONFIG/$id/privatekey-$id")" "$CONFIG/$id/$id.conf" || fail "$id.conf key differs from its key file"
done
keys_after=$(cd "$CONFIG" && cat peer_*/privatekey-* peer_*/presharedkey-* server/privatekey-server | sha256sum)
[[ "$keys_before" == "$keys_after" ]] || fail "keys changed with SERVERPORT"
[[ $(grep -c ' QR code (conf file is saved under ' "$TMPD/stdout.log") == 3 ]] || fail "expected 3 QR codes in the log"
tunnel peer_phone || fail "phone's new config: no tunnel on port 51821: $(cat "$TMPD/ping.log")"
pass "SERVERPORT=51821: every config and QR shows it, keys unchanged, the new config works"
stop_server

# ---- 4. a name added: only that peer --------------------------------------------------------
sums_before=$(tree_sums | grep -v ' wg_confs/wg0.conf$')
start_server SERVERPORT=51821 WGD_LISTEN_PORT=51821 PEERS=laptop,phone,tablet,desktop
sums_after=$(tree_sums | grep -v ' wg_confs/wg0.conf$' | grep -v ' peer_desktop/')
[[ "$sums_after" == "$sums_before" ]] || fail "adding desktop changed other files: $(diff <(echo "$sums_before") <(echo "$sums_after"))"
grep -qx 'Address = 10.13.13.5' "$CONFIG/peer_desktop/peer_desktop.conf" || fail "desktop is not on .5"
[[ $(grep -c ' QR code (conf file is saved under ' "$TMPD/stdout.log") == 1 ]] || fail "expected only desktop's QR code"
tunnel peer_desktop || fail "desktop: no tunnel"
pass "desktop added to PEERS: only peer_desktop/ new (on .5), the rest untouched, its tunnel works"
stop_server

# ---- 5. a name removed: disabled, nothing else touched ---------------------------------------
sums_before=$(tree_sums | grep -v ' wg_confs/wg0.conf$')
phone_key=$(cat "$CONFIG/peer_phone/publickey-peer_phone")
start_server SERVERPORT=51821 WGD_LISTEN_PORT=51821 PEERS=laptop,tablet,desktop
[[ "$(tree_sums | grep -v ' wg_confs/wg0.conf$')" == "$sums_before" ]] || fail "removing phone changed files"
[[ $(api /api/v1/peers/phone | field 'd["enabled"]') == False ]] || fail "phone is not disabled"
in_s wg show "$IF_S" peers | grep -qx "$phone_key" && fail "phone is still on the interface"
grep -q '# peer_phone' "$CONFIG/wg_confs/wg0.conf" && fail "wg0.conf still lists phone"
tunnel peer_phone && fail "phone's tunnel still works after it was removed from PEERS"
tunnel peer_laptop || fail "laptop's tunnel broke when phone was removed"
pass "phone removed from PEERS: disabled (off the interface, its files kept), the others untouched"
stop_server

# ---- 6. listed again: back with the same keys ------------------------------------------------
start_server SERVERPORT=51821 WGD_LISTEN_PORT=51821 PEERS=laptop,phone,tablet,desktop
[[ $(cat "$CONFIG/peer_phone/publickey-peer_phone") == "$phone_key" ]] || fail "phone came back with another key"
tunnel peer_phone || fail "phone's tunnel does not work again"
pass "phone listed again: enabled with the same keys and address, tunnel works"
stop_server
log "all provisioning checks passed"
