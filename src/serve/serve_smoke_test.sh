#!/usr/bin/env bash
# `wgd serve` with a real interface, end to end, in two network namespaces of its own:
#
#      namespace $NS_S                                   namespace $NS_C
#   +----------------------------------+            +----------------------------------+
#   | wgd serve: interface $IF_S       |            | wireguard-go: interface $IF_C    |
#   |   10.8.0.1/24, UDP 51820         |  WireGuard |   the .conf the API hands out    |
#   |   API 127.0.0.1:18080            | <========> |   (10.8.0.2/32)                  |
#   | $VETH_S 192.0.2.1/24             +------------+ $VETH_C 192.0.2.2/24             |
#   +----------------------------------+    veth    +----------------------------------+
#
# Checks: start-up on a fresh data directory (modes of what it creates); a peer created over
# HTTP is on the interface (`wg show`) when the API answers; its config brings up a tunnel
# (ping); disabling cuts it at once, enabling restores it; changes made by hand with `wg set`
# are put back; SIGTERM exits 0 and removes the interface and its UAPI socket; a restart keeps
# every peer and the server key.
# Environment: WGD = the built wgd binary. Exit 77 (skipped) when not root.
set -eEuo pipefail

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
[[ -x "${WGD:-}" ]] || { echo "FAIL: set WGD to the built wgd binary"; exit 1; }
for tool in ip wg wireguard-go curl python3 ping; do
  command -v "$tool" >/dev/null || { echo "FAIL: missing tool $tool"; exit 1; }
done

# Names unique to this component and this run (interface names: at most 15 characters, and
# unique across namespaces, since every UAPI socket lives in the one /var/run/wireguard).
ID=$$
NS_S=wgdsv-$ID-s
NS_C=wgdsv-$ID-c
IF_S=wgsv${ID}s
IF_C=wgsv${ID}c
VETH_S=wgsv${ID}vs
VETH_C=wgsv${ID}vc
API=127.0.0.1:18080
TMPD=$(mktemp -d /tmp/wgdsv-smoke.XXXXXX)
DATA=$TMPD/data
PIDS=()
T0=${EPOCHREALTIME/./}

log() {
  local us=$((${EPOCHREALTIME/./} - T0))
  printf '[%3d.%02d] %s\n' $((us / 1000000)) $((us % 1000000 / 10000)) "$*"
}
pass() { log "ok - $*"; }
fail() {
  trap - ERR
  printf '\n[serve_smoke] FAIL: %s\n' "$*" >&2
  exit 1
}
trap 'fail "unexpected failure of \`$BASH_COMMAND\` (line $LINENO, exit $?)"' ERR

cleanup() {
  local rc=$? p
  trap - ERR
  set +eE
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for ns in "$NS_S" "$NS_C"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  wait 2>/dev/null
  rm -f "/var/run/wireguard/$IF_S.sock" "/var/run/wireguard/$IF_C.sock"
  if [[ $rc -ne 0 ]]; then
    for f in "$TMPD"/*.log; do
      [[ -s "$f" ]] || continue
      printf '\n--- last lines of %s ---\n' "$f" >&2
      tail -n 30 "$f" >&2
    done
  fi
  rm -rf "$TMPD"
  exit "$rc"
}
trap cleanup EXIT

in_s() { ip netns exec "$NS_S" "$@"; }
in_c() { ip netns exec "$NS_C" "$@"; }
api() {  # api METHOD PATH [JSON]: prints the body, then the status on the last line
  local method=$1 path=$2 body=${3:-}
  local args=(-sS -X "$method" -H "Authorization: Bearer $TOKEN" -w '\n%{http_code}')
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  in_s curl "${args[@]}" "http://$API$path"
}
status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
field() { python3 -c 'import json,sys; v=json.load(sys.stdin); [v:=v[k] for k in sys.argv[1:]]; print(v)' "$@"; }
# until SECONDS CMD...: CMD succeeds within SECONDS (polled every 50 ms).
until_ok() {
  local limit=$1 i
  shift
  for ((i = 0; i < limit * 20; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}
# ping_ok ADDR [TRIES]: an echo answered within TRIES (default 5) one-second attempts.
ping_ok() {
  local i
  for ((i = 0; i < ${2:-5}; i++)); do
    in_c ping -n -c 1 -W 1 "$1" >/dev/null 2>&1 && return 0
  done
  return 1
}
# has_peer_on IFNAME KEY / has_peer KEY: the interface (default: the server's) lists KEY.
has_peer_on() { [[ $'\n'"$(in_s wg show "$1" peers)"$'\n' == *$'\n'"$2"$'\n'* ]]; }
has_peer() { has_peer_on "$IF_S" "$1"; }
ping_fails() { ! in_c ping -n -q -c 3 -i 0.3 -W 1 "$1" >/dev/null 2>&1; }

start_server() {
  ip netns exec "$NS_S" env WGD_DATA_DIR="$DATA" WGD_INTERFACE="$IF_S" WGD_API_LISTEN="$API" \
    WGD_HOSTS_FILE="$TMPD/hosts" WGD_ENDPOINT=192.0.2.1 WGD_RECONCILE_INTERVAL=1 \
    "$WGD" serve >>"$TMPD/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  until_ok 10 in_s curl -sf "http://$API/healthz" || fail "wgd serve did not answer /healthz within 10 s"
  TOKEN=$(cat "$DATA/api-token")
}
stop_server() {
  kill -TERM "$SERVER_PID"
  local rc=0
  wait "$SERVER_PID" || rc=$?
  [[ $rc -eq 0 ]] || fail "wgd serve exited with $rc after SIGTERM"
  [[ ! -e /var/run/wireguard/$IF_S.sock ]] || fail "the UAPI socket is still there after SIGTERM"
  ! ip -n "$NS_S" link show "$IF_S" >/dev/null 2>&1 || fail "interface $IF_S still exists after SIGTERM"
}

# --- network ---------------------------------------------------------------------------------
ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "$VETH_S" netns "$NS_S" type veth peer name "$VETH_C" netns "$NS_C"
ip -n "$NS_S" addr add 192.0.2.1/24 dev "$VETH_S"
ip -n "$NS_C" addr add 192.0.2.2/24 dev "$VETH_C"
for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; done
ip -n "$NS_S" link set "$VETH_S" up
ip -n "$NS_C" link set "$VETH_C" up
log "namespaces $NS_S, $NS_C; logs in $TMPD"

# --- first start -----------------------------------------------------------------------------
start_server
pass "wgd serve answers on $API"
[[ $(stat -c %a "$DATA") == 700 ]] || fail "data directory mode $(stat -c %a "$DATA"), want 700"
[[ $(stat -c %a "$DATA/api-token") == 600 ]] || fail "api-token mode $(stat -c %a "$DATA/api-token")"
[[ $(stat -c %a "$DATA/wgd.db") == 600 ]] || fail "wgd.db mode $(stat -c %a "$DATA/wgd.db")"
pass "data directory 0700, token and database 0600"
SERVER_KEY=$(in_s wg show "$IF_S" public-key)
[[ $(in_s wg show "$IF_S" listen-port) == 51820 ]] || fail "listen port is not 51820"
ADDRS=$(in_s ip -o addr show dev "$IF_S")
[[ $ADDRS == *"inet 10.8.0.1/24"* ]] || fail "10.8.0.1/24 not on $IF_S: $ADDRS"
[[ $ADDRS == *"inet6 fd"* ]] || fail "no ULA IPv6 address on $IF_S: $ADDRS"
pass "interface $IF_S: key, port 51820, 10.8.0.1/24 and a ULA /64"

r=$(api GET /api/v1/server)
[[ $(status_of "$r") == 200 ]] || fail "GET /api/v1/server: $r"
[[ $(body_of "$r" | field public_key) == "$SERVER_KEY" ]] || fail "server info shows another public key"
r=$(in_s curl -s -o /dev/null -w '%{http_code}' "http://$API/api/v1/server")
[[ $r == 401 ]] || fail "no token should give 401, got $r"
pass "server info with the token, 401 without"

# --- a peer through the API ------------------------------------------------------------------
r=$(api POST /api/v1/peers '{"name":"client1"}')
[[ $(status_of "$r") == 201 ]] || fail "create: $r"
PEER_KEY=$(body_of "$r" | field public_key)
PEER_V4=$(body_of "$r" | field ipv4)
PEER_ID=$(body_of "$r" | field id)
[[ $PEER_V4 == 10.8.0.2 ]] || fail "first peer got $PEER_V4, want 10.8.0.2"
# No sleep: the API answers once the interface carries the peer.
has_peer "$PEER_KEY" || fail "wg show $IF_S does not list the new peer"
[[ $(in_s wg show "$IF_S" allowed-ips) == *"10.8.0.2/32"* ]] || fail "wg show: allowed IPs lack 10.8.0.2/32"
# The hosts file follows within a second (it is rewritten at most once a second).
until_ok 3 grep -q "^10.8.0.2 client1 client1.wg$" "$TMPD/hosts" || fail "hosts file lacks client1: $(cat "$TMPD/hosts")"
pass "peer created over HTTP is on the interface (wg show) and in the hosts file"

r=$(api GET "/api/v1/peers/$PEER_ID/config")
[[ $(status_of "$r") == 200 ]] || fail "config: $r"
body_of "$r" >"$TMPD/client1.conf"
grep -q "Endpoint = 192.0.2.1:51820" "$TMPD/client1.conf" || fail "config lacks the endpoint: $(cat "$TMPD/client1.conf")"

# --- the tunnel from the client's namespace ----------------------------------------------------
ip netns exec "$NS_C" env WG_PROCESS_FOREGROUND=1 wireguard-go "$IF_C" >"$TMPD/client.log" 2>&1 &
PIDS+=($!)
until_ok 5 test -S "/var/run/wireguard/$IF_C.sock" || fail "wireguard-go did not start"
# What `wg-quick strip` keeps: the keys, the peer; Address/DNS/MTU are set here by hand.
grep -Ev '^(Address|DNS|MTU) *=|^#' "$TMPD/client1.conf" >"$TMPD/client1.wg"
in_c wg setconf "$IF_C" "$TMPD/client1.wg"
in_c ip addr add "$PEER_V4/32" dev "$IF_C"
in_c ip link set "$IF_C" up
in_c ip route add 10.8.0.0/24 dev "$IF_C"
ping_ok 10.8.0.1 || fail "no ping through the tunnel from the client"
pass "the API's config brings up a working tunnel (ping 10.8.0.1)"

r=$(api POST "/api/v1/peers/$PEER_ID/disable")
[[ $(status_of "$r") == 200 ]] || fail "disable: $r"
! has_peer "$PEER_KEY" || fail "disabled peer still on the interface"
ping_fails 10.8.0.1 || fail "ping still answered after disable"
pass "disable: off the interface when the API answers, tunnel cut"
r=$(api POST "/api/v1/peers/$PEER_ID/enable")
[[ $(status_of "$r") == 200 ]] || fail "enable: $r"
ping_ok 10.8.0.1 || fail "no ping after enable"
pass "enable: tunnel restored"

# --- drift made by hand ----------------------------------------------------------------------
in_s wg set "$IF_S" peer "$PEER_KEY" allowed-ips 10.99.99.99/32
STRANGER=$(wg genkey | wg pubkey)
in_s wg set "$IF_S" peer "$STRANGER" allowed-ips 10.8.0.250/32
put_back() {
  [[ $(in_s wg show "$IF_S" allowed-ips) == *"$PEER_KEY"$'\t'"10.8.0.2/32"* ]] && ! has_peer "$STRANGER"
}
until_ok 5 put_back || fail "the reconciler did not repair the 'wg set' changes: $(in_s wg show "$IF_S")"
ping_ok 10.8.0.1 || fail "no ping after the repair"
pass "changes made with 'wg set' are put back (and the unknown peer removed)"

# --- restart ---------------------------------------------------------------------------------
r=$(api POST /api/v1/peers '{"name":"client2","enabled":false}')
[[ $(status_of "$r") == 201 ]] || fail "create client2: $r"
stop_server
pass "SIGTERM: exit 0, interface and UAPI socket removed"
start_server
[[ $(in_s wg show "$IF_S" public-key) == "$SERVER_KEY" ]] || fail "the server key changed across a restart"
has_peer "$PEER_KEY" || fail "client1 not on the interface after restart"
[[ $(in_s wg show "$IF_S" peers | wc -l) == 1 ]] || fail "the disabled peer must stay off the interface"
r=$(api GET /api/v1/peers)
[[ $(body_of "$r" | field total) == 2 ]] || fail "after restart the store should hold 2 peers: $r"
# The client still holds the session of the server's previous run; like with any WireGuard
# server, it starts a new handshake after 15 s without an answer (REKEY_TIMEOUT + KEEPALIVE).
ping_ok 10.8.0.1 25 || fail "no ping within 25 s after the restart"
pass "restart keeps every peer and the server key; the client reconnects"
stop_server
grep -q "peer client1 (id $PEER_ID) created: 10.8.0.2/32" "$TMPD/server.log" || fail "no log line for the creation"
CLIENT_PRIVATE=$(sed -n 's/^PrivateKey = //p' "$TMPD/client1.conf")
if grep -F -e "$CLIENT_PRIVATE" -e "$(cat "$DATA/api-token")" "$TMPD/server.log"; then
  fail "the log carries a private key or the token"
fi
pass "one log line per change, no secret in the log"
# --- another implementation's interface, driven over its UAPI socket ------------------------
IF_U=wgsv${ID}u
ip netns exec "$NS_S" env WG_PROCESS_FOREGROUND=1 wireguard-go "$IF_U" >"$TMPD/wggo.log" 2>&1 &
WGGO_PID=$!
PIDS+=("$WGGO_PID")
until_ok 5 test -S "/var/run/wireguard/$IF_U.sock" || fail "wireguard-go did not start"
STRANGER=$(wg genkey | wg pubkey)
in_s wg set "$IF_U" peer "$STRANGER" allowed-ips 10.8.0.99/32  # not in the store: must go
ip netns exec "$NS_S" env WGD_DATA_DIR="$DATA" WGD_DEVICE="uapi:$IF_U" WGD_API_LISTEN="$API" \
  WGD_HOSTS_FILE=none WGD_LISTEN_PORT=51830 "$WGD" serve >>"$TMPD/server-uapi.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
until_ok 10 in_s curl -sf "http://$API/healthz" || fail "wgd serve (uapi) did not answer /healthz"
[[ $(in_s wg show "$IF_U" public-key) == "$SERVER_KEY" ]] || fail "uapi: the server key was not set on $IF_U"
[[ $(in_s wg show "$IF_U" listen-port) == 51830 ]] || fail "uapi: listen port not set on $IF_U"
[[ $(in_s wg show "$IF_U" allowed-ips) == *"$PEER_KEY"$'\t'"10.8.0.2/32"* ]] || fail "uapi: client1 not on $IF_U"
! has_peer_on "$IF_U" "$STRANGER" || fail "uapi: the unknown peer was not removed"
r=$(api POST /api/v1/peers '{"name":"client3"}')
[[ $(status_of "$r") == 201 ]] || fail "uapi: create: $r"
has_peer_on "$IF_U" "$(body_of "$r" | field public_key)" || fail "uapi: the new peer is not on $IF_U"
kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
[[ $rc -eq 0 ]] || fail "wgd serve (uapi) exited with $rc after SIGTERM"
kill -0 "$WGGO_PID" || fail "stopping wgd serve must leave another implementation's interface alone"
grep -q "operator's job" "$TMPD/server-uapi.log" || fail "uapi: the log does not say addresses are the operator's job"
pass "WGD_DEVICE=uapi: drives wireguard-go's interface (key, port, peers), leaves it running"
log "serve_smoke: all passed"
