#!/usr/bin/env bash
# Fleet device sync, end to end (issue 6 item 3): the real `wgd serve` follows a registry
# served locally (Python's http.server answering as Foundries' wireguard-ips endpoint, with a
# bearer token), a "device" in a client namespace keeps a tunnel to it, and:
# - added, updated and removed devices reach the interface within one poll interval (1 s),
#   while the device's tunnel keeps running (no interface down/up, no packet lost);
# - answers that are broken (HTTP 500, garbage, a bad key) change nothing and are reported by
#   GET /api/v1/fleet/status;
# - the hosts file's "## Factory(acme) VPN Lookups" block follows;
# - the server's settings and each device's wireguard-client are published;
# - moving the server's VPN address (seed 000's --vpnaddr) renumbers the devices: a device
#   that has not yet fetched its new wireguard-client keeps working, and works again after it
#   has, without anybody writing a config by hand.
#
#        namespace $NS_S                                namespace $NS_C ("device-1")
#   +------------------------------------+        +------------------------------------+
#   | wgd serve (interface $IF_S)        |        | wgd up $IF_C.conf                  |
#   |   10.42.42.1/24 (later 10.42.44.1) |  UDP   |   the device's address, AllowedIPs |
#   |   UDP 5555, API 127.0.0.1:$API_PORT| <====> |   = the server's address           |
#   | registry 127.0.0.1:$REG_PORT       |        |                                    |
#   | $VETH_S 192.0.2.1/24               +--------+ $VETH_C 192.0.2.2/24               |
#   +------------------------------------+        +------------------------------------+
#
# Names carry the prefix wgdfl/wgfl and the pid; everything is removed on exit, failed or not.
# Needs root; exits 77 (skipped) otherwise. WGD = the built wgd (CTest passes it).
set -eEuo pipefail
shopt -s inherit_errexit

TEST_NAME=serve_fleet
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
for tool in ip wg curl ping python3; do
  command -v "$tool" >/dev/null || fail "missing tool '$tool'"
done

NS_S=wgdfl-$$-s
NS_C=wgdfl-$$-c
IF_S=wgfl$$s
IF_C=wgfl$$c
VETH_S=wgfl$$vs
VETH_C=wgfl$$vc
TMPD=$(mktemp -d /tmp/wgdfl.XXXXXX)
DATA=$TMPD/data
HOSTS=$TMPD/hosts
API_PORT=$((20000 + RANDOM % 10000))
REG_PORT=$((30000 + RANDOM % 10000))
REG_TOKEN=registry-token-$RANDOM$RANDOM
SERVER_PID=
REGISTRY_PID=
PING_PID=

cleanup() {
  local rc=$?
  trap - ERR
  set +eE
  local p ns
  for p in "$SERVER_PID" "$REGISTRY_PID" "$PING_PID"; do [[ -n $p ]] && kill -TERM "$p" 2>/dev/null; done
  ip netns exec "$NS_C" "$WGD" down "$TMPD/$IF_C.conf" >/dev/null 2>&1
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
  [[ "${WGD_FL_KEEP:-0}" == 1 ]] || rm -rf "$TMPD"
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
printf '127.0.0.1 localhost\n192.0.2.9 printer\n' >"$HOSTS"

# ---- the registry ----------------------------------------------------------------------------
# Answers GET /ota/factories/acme/wireguard-ips/ with $TMPD/registry/body and the status in
# $TMPD/registry/status; 401 without the bearer token.
mkdir -p "$TMPD/registry"
cat >"$TMPD/registry.py" <<'EOF'
import http.server, sys
root, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class Registry(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/ota/factories/acme/wireguard-ips/":
            status, body = 404, b"{}"
        elif self.headers.get("Authorization") != "Bearer " + token:
            status, body = 401, b'{"detail": "bad token"}'
        else:
            status = int(open(root + "/status").read())
            body = open(root + "/body", "rb").read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Registry).serve_forever()
EOF
# registry STATUS BODY: what the next polls get (written atomically).
registry() {
  printf '%s' "$1" >"$TMPD/registry/status.new" && mv "$TMPD/registry/status.new" "$TMPD/registry/status"
  printf '%s' "$2" >"$TMPD/registry/body.new" && mv "$TMPD/registry/body.new" "$TMPD/registry/body"
}
# devices_json NAME:KEY:IP ...: the registry's array (IP may be empty).
devices_json() {
  local out="[" item name key ip
  for item in "$@"; do
    IFS=: read -r name key ip <<<"$item"
    [[ $out == "[" ]] || out+=","
    out+="{\"name\":\"$name\",\"pubkey\":\"$key\",\"ip\":$([[ -n $ip ]] && echo "\"$ip\"" || echo null),\"enabled\":true}"
  done
  echo "$out]"
}

DEV1_PRIV=$(wg genkey); DEV1=$(echo "$DEV1_PRIV" | wg pubkey)
DEV2=$(wg genkey | wg pubkey); DEV2B=$(wg genkey | wg pubkey); DEV3=$(wg genkey | wg pubkey)
registry 200 "$(devices_json "device-1:$DEV1:10.42.42.2" "device-2:$DEV2:10.42.42.3")"
ip netns exec "$NS_S" python3 "$TMPD/registry.py" "$TMPD/registry" "$REG_PORT" "$REG_TOKEN" &
REGISTRY_PID=$!
for ((i = 0; i < 100; i++)); do
  in_s curl -s -o /dev/null -H "Authorization: Bearer $REG_TOKEN" "http://127.0.0.1:$REG_PORT/ota/factories/acme/wireguard-ips/" && break
  sleep 0.05
done

# ---- the server ------------------------------------------------------------------------------
start_server() {
  ip netns exec "$NS_S" env WGD_DATA_DIR="$DATA" WGD_INTERFACE="$IF_S" WGD_LISTEN_PORT=5555 \
    WGD_API_LISTEN=127.0.0.1:$API_PORT WGD_ENDPOINT=192.0.2.1 WGD_IPV4_ADDRESS=10.42.42.1/24 WGD_IPV6_ADDRESS=none \
    WGD_HOSTS_FILE="$HOSTS" WGD_CONFIG=/dev/null \
    WGD_FLEET_REGISTRY="http://127.0.0.1:$REG_PORT/ota/factories/acme/wireguard-ips/" \
    WGD_FLEET_NAME=acme WGD_FLEET_TOKEN="$REG_TOKEN" WGD_FLEET_INTERVAL=1 WGD_FLEET_PUBLISH_AUTH=none \
    "$@" "$WGD" serve >>"$TMPD/serve.log" 2>&1 &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 500; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || fail "wgd serve exited during start-up: $(tail -n 20 "$TMPD/serve.log")"
    grep -q "; ready in " "$TMPD/serve.log" 2>/dev/null && [[ -s $DATA/api-token ]] && break
    sleep 0.02
  done
  TOKEN=$(cat "$DATA/api-token")
}
stop_server() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || fail "wgd serve exited with status $? after SIGTERM"
  SERVER_PID=
  : >"$TMPD/serve.log"
}
api() { in_s curl -sS --max-time 10 -H "Authorization: Bearer $TOKEN" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); v=$1; print(v if isinstance(v,str) else json.dumps(v))"; }
server_peers() { in_s wg show "$IF_S" peers | sort; }
# until SECONDS DESCRIPTION CMD...: CMD succeeds within SECONDS, else the test fails.
until_ok() {
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 20; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  fail "$what: not within ${limit}s"
}
has_peer() { server_peers | grep -qx "$1"; }
lacks_peer() { ! server_peers | grep -qx "$1"; }
status_error_has() { api "http://127.0.0.1:$API_PORT/api/v1/fleet/status" | json 'd["last_error"] or ""' | grep -q "$1"; }
status_ok() { [[ $(api "http://127.0.0.1:$API_PORT/api/v1/fleet/status" | json 'd["last_error"] is None') == true ]]; }
# has_allowed KEY PREFIX: the interface routes PREFIX to the peer with KEY.
has_allowed() { in_s wg show "$IF_S" allowed-ips | awk -v k="$1" -v a="$2" '$1 == k && index($0, a) { f = 1 } END { exit !f }'; }
client_address_is() {
  [[ $(in_s curl -s "http://127.0.0.1:$API_PORT/api/v1/fleet/devices/$1/wireguard-client" | head -n 1) == "address=$2" ]]
}

start_server
until_ok 3 "first poll" has_peer "$DEV1"
until_ok 3 "first poll" has_peer "$DEV2"
pass "first poll: device-1 and device-2 on the interface"
SERVER_KEY=$(api "http://127.0.0.1:$API_PORT/api/v1/server" | json 'd["public_key"]')

# ---- the device, configured as its wireguard-server / wireguard-client files say ------------
# device_up ADDRESS SERVER_ADDRESS
device_up() {
  cat >"$TMPD/$IF_C.conf" <<EOF
[Interface]
PrivateKey = $DEV1_PRIV
Address = $1/32

[Peer]
PublicKey = $SERVER_KEY
Endpoint = 192.0.2.1:5555
AllowedIPs = $2/32
PersistentKeepalive = 25
EOF
  in_c "$WGD" up "$TMPD/$IF_C.conf" >"$TMPD/up.log" 2>&1 || fail "device: wgd up: $(cat "$TMPD/up.log")"
}
device_down() { in_c "$WGD" down "$TMPD/$IF_C.conf" >/dev/null 2>&1; }
device_up 10.42.42.2 10.42.42.1
in_c ping -c 2 -i 0.2 -W 2 10.42.42.1 >/dev/null || fail "device-1 cannot reach the server"
in_s ping -c 1 -W 2 10.42.42.2 >/dev/null || fail "the server cannot reach device-1"
pass "device-1's tunnel works both ways"
grep -q "^## Factory(acme) VPN Lookups$" "$HOSTS" || fail "no Factory block in the hosts file: $(cat "$HOSTS")"
block=$(sed -n '/^## Factory(acme) VPN Lookups$/,/^## END Factory(acme) VPN Lookups$/p' "$HOSTS")
[[ $block == *"10.42.42.2 device-1"* && $block == *"10.42.42.3 device-2"* ]] || fail "hosts block: $block"
head -n 2 "$HOSTS" | grep -q "192.0.2.9 printer" || fail "the administrator's lines were touched"
wgd_block=$(sed -n '/^# BEGIN wgd/,/^# END wgd/p' "$HOSTS")
[[ $wgd_block != *device-* ]] || fail "devices are named in wgd's own block too (two answers for one name): $wgd_block"
pass "hosts file: the Factory(acme) block lists device-1 and device-2, other lines kept"

# ---- changes, live: the device's tunnel must not notice --------------------------------------
ifindex_before=$(in_s cat "/sys/class/net/$IF_S/ifindex")
# Directly, not through in_c: $! must be ping itself (ip netns exec execs it), which ends on
# SIGINT with its summary (a background subshell would ignore SIGINT).
ip netns exec "$NS_C" ping -i 0.1 -W 1 10.42.42.1 >"$TMPD/live-ping.log" 2>&1 &
PING_PID=$!
sleep 0.5

registry 200 "$(devices_json "device-1:$DEV1:10.42.42.2" "device-2:$DEV2:10.42.42.3" "device-3:$DEV3:")"
t=${EPOCHREALTIME/./}
until_ok 3 "device-3 added" has_peer "$DEV3"
log "device-3 on the interface $(((${EPOCHREALTIME/./} - t) / 1000)) ms after the registry listed it"
[[ $(api "http://127.0.0.1:$API_PORT/api/v1/peers/device-3" | json 'd["ipv4"]') == 10.42.42.4 ]] || fail "device-3 (no ip) did not get the next free address"
pass "added within one interval; a device without ip gets the lowest free address"

registry 200 "$(devices_json "device-1:$DEV1:10.42.42.2" "device-2:$DEV2B:10.42.42.13" "device-3:$DEV3:")"
until_ok 3 "device-2 re-keyed" has_peer "$DEV2B"
lacks_peer "$DEV2" || fail "device-2's old key is still on the interface"
until_ok 2 "device-2's new address" has_allowed "$DEV2B" 10.42.42.13/32
pass "updated within one interval (new key, new address)"

registry 200 "$(devices_json "device-1:$DEV1:10.42.42.2" "device-2:$DEV2B:10.42.42.13")"
until_ok 3 "device-3 removed" lacks_peer "$DEV3"
pass "removed within one interval"

# Broken answers: nothing changes, the error is reported.
before=$(in_s wg show "$IF_S" dump | tail -n +2 | cut -f1,2,4 | sort)
hosts_before=$(cat "$HOSTS")
broken() {
  local what=$1 expect=$2
  registry "$3" "$4"
  until_ok 3 "$what reported" status_error_has "$expect"
  sleep 1.2  # another poll of the same answer
  [[ $(in_s wg show "$IF_S" dump | tail -n +2 | cut -f1,2,4 | sort) == "$before" ]] || fail "$what changed the peers"
  [[ $(cat "$HOSTS") == "$hosts_before" ]] || fail "$what changed the hosts file"
  pass "$what: peers and hosts block unchanged, reported as '$(api "http://127.0.0.1:$API_PORT/api/v1/fleet/status" | json 'd["last_error"]' | cut -c1-70)...'"
}
broken "HTTP 500" "HTTP 500" 500 '{"detail":"internal"}'
broken "garbage" "not JSON" 200 '<html>maintenance</html>'
broken "a bad key" "devices\[1\].pubkey" 200 "$(devices_json "device-1:$DEV1:10.42.42.2" "device-2:not-a-key:10.42.42.13")"
broken "an empty body" "not JSON" 200 ''
registry 200 "$(devices_json "device-1:$DEV1:10.42.42.2" "device-2:$DEV2B:10.42.42.13")"
until_ok 3 "recovery after the broken answers" status_ok
pass "a good answer again: GET /api/v1/fleet/status shows no error"

kill -INT "$PING_PID"
wait "$PING_PID" 2>/dev/null || true
PING_PID=
loss=$(grep -o '[0-9.]*% packet loss' "$TMPD/live-ping.log" | cut -d% -f1)
sent=$(grep -o '^[0-9]* packets transmitted' "$TMPD/live-ping.log" | cut -d' ' -f1)
[[ $loss == 0 ]] || fail "device-1 lost packets while the fleet changed: $(tail -n 2 "$TMPD/live-ping.log")"
[[ $(in_s cat "/sys/class/net/$IF_S/ifindex") == "$ifindex_before" ]] || fail "the interface was recreated"
pass "device-1 pinged the server throughout ($sent packets, 0% loss, same interface): changes are live"

# ---- published settings ----------------------------------------------------------------------
server_text=$(in_s curl -sS "http://127.0.0.1:$API_PORT/api/v1/fleet/wireguard-server")
[[ $server_text == $'endpoint=192.0.2.1:5555\nserver_address=10.42.42.1\npubkey='"$SERVER_KEY" ]] || fail "wireguard-server: $server_text"
client_text=$(in_s curl -sS "http://127.0.0.1:$API_PORT/api/v1/fleet/devices/device-1/wireguard-client")
[[ $client_text == $'address=10.42.42.2\npubkey='"$DEV1" ]] || fail "wireguard-client: $client_text"
[[ $(in_s curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/api/v1/fleet/status") == 401 ]] || fail "fleet status without a token"
[[ $(in_s curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/api/v1/fleet/devices/nobody/wireguard-client") == 404 ]] || fail "unknown device"
pass "published without the token (WGD_FLEET_PUBLISH_AUTH=none): wireguard-server and device-1's wireguard-client"

# ---- the server moves: --vpnaddr 10.42.44.1 --------------------------------------------------
device_down
stop_server
start_server WGD_IPV4_ADDRESS=10.42.44.1/24
until_ok 3 "device-1 renumbered to 10.42.44.2" client_address_is device-1 10.42.44.2
[[ $(in_s curl -sS "http://127.0.0.1:$API_PORT/api/v1/fleet/wireguard-server" | sed -n 2p) == server_address=10.42.44.1 ]] || fail "wireguard-server does not show the move"
fioctl=$(in_s curl -sS "http://127.0.0.1:$API_PORT/api/v1/fleet/devices/device-1/wireguard-client.json")
[[ $(echo "$fioctl" | json 'd["files"][0]["value"]') == $'address=10.42.44.2\npubkey='"$DEV1" ]] || fail "fioctl body: $fioctl"
pass "after the move: device-1's wireguard-client says 10.42.44.2 (and its fioctl body), the server 10.42.44.1"

# The device got the factory's new wireguard-server but still has its old wireguard-client.
device_up 10.42.42.2 10.42.44.1
until_ok 5 "device-1 with its old address" in_c ping -c 1 -W 1 10.42.44.1
block=$(sed -n '/^## Factory(acme) VPN Lookups$/,/^## END Factory(acme) VPN Lookups$/p' "$HOSTS")
[[ $block == *"10.42.42.2 device-1"* ]] || fail "hosts block should name device-1 by the address it still uses: $block"
in_s ping -c 1 -W 2 10.42.42.2 >/dev/null || fail "the server cannot reach device-1 at its old address"
pass "a device not yet updated keeps working (its old address stays routed) and keeps its name"
device_down
# ... then applies the wireguard-client it fetched: no hand-written config anywhere.
new_address=$(in_s curl -sS "http://127.0.0.1:$API_PORT/api/v1/fleet/devices/device-1/wireguard-client" | sed -n 's/^address=//p')
device_up "$new_address" 10.42.44.1
until_ok 5 "device-1 with its new address" in_c ping -c 1 -W 1 10.42.44.1
in_s ping -c 1 -W 2 10.42.44.2 >/dev/null || fail "the server cannot reach device-1 at 10.42.44.2"
pass "with the wireguard-client it fetched ($new_address), device-1 works in the new subnet"
# The registry catches up: the old address is no longer routed, the hosts block follows.
registry 200 "$(devices_json "device-1:$DEV1:10.42.44.2" "device-2:$DEV2B:10.42.42.13")"
until_ok 3 "hosts block after the registry caught up" grep -q "^10.42.44.2 device-1$" "$HOSTS"
has_allowed "$DEV1" 10.42.42.2/32 && fail "the old address is still routed"
pass "once the registry reports 10.42.44.2, the old address is dropped and the hosts block follows"
device_down
stop_server
# Without a known endpoint (auto, and this namespace has no default route to detect one from)
# the server's file is refused rather than published with an empty endpoint; a device's own
# file does not carry the endpoint and is still served.
start_server WGD_ENDPOINT=auto
code=$(in_s curl -sS -o "$TMPD/noendpoint.json" -w '%{http_code}' "http://127.0.0.1:$API_PORT/api/v1/fleet/wireguard-server")
[[ $code == 503 ]] && grep -q '"no_endpoint"' "$TMPD/noendpoint.json" ||
  fail "wireguard-server without an endpoint: expected 503 no_endpoint, got $code $(cat "$TMPD/noendpoint.json")"
code=$(in_s curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/api/v1/fleet/devices/device-1/wireguard-client")
[[ $code == 200 ]] || fail "device-1's wireguard-client without a server endpoint: $code"
pass "no endpoint known: the server's file is refused (503 no_endpoint), device files still served"
stop_server
log "all fleet checks passed"
