# Shared by the acceptance tests of `wgd serve` in tests/serve/ (sourced, not run). Each test
# runs the real `wgd serve` binary, with its data directory (SQLite store, token, server key) in
# a temporary directory, inside a network namespace it creates, and talks to it over real HTTP:
#
#        namespace $NS_S (server)                         namespace $NS_C (client)
#   +----------------------------------------+       +----------------------------------+
#   |  wgd serve                             |       |  wireguard-go via wg-quick       |
#   |    interface $IF_S  10.77.0.1/24       |  UDP  |    interface $IF_C (the peer's   |
#   |                     fd77::1/64         | <===> |    .conf fetched from the API)   |
#   |    UDP 51820, API 127.0.0.1:$API_PORT  |       |                                  |
#   |  $VETH_S 192.0.2.1/24                  +-------+  $VETH_C 192.0.2.2/24            |
#   +----------------------------------------+ veth  +----------------------------------+
#
# curl and the Python checks run inside $NS_S, where the API listens on loopback. Names carry
# the prefix wgdsa/wgsa (serve acceptance), a letter per test and the pid, so parallel runs
# never collide; the UAPI socket of each interface lives in the shared /var/run/wireguard,
# hence unique interface names (never wg0). Addresses: documentation (192.0.2.0/24) outside,
# private inside the tunnel.
# Everything is removed on exit, failed or not.
#
# Environment: WGD = the built wgd (CTest passes it); WGD_SV_VERBOSE=1 traces every command;
# WGD_SV_KEEP=1 keeps the temporary directory.

set -eEuo pipefail
shopt -s inherit_errexit

readonly SV_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly REPO_DIR=$(cd "$SV_DIR/../.." && pwd)
readonly OUT_S=192.0.2.1 OUT_C=192.0.2.2
readonly TUN4=10.77.0.1/24 TUN6=fd77::1/64
readonly WG_PORT=51820
readonly UAPI_DIR=/var/run/wireguard
PY=${PYTHON:-/usr/bin/python3}

TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
STARTED_PIDS=()
SERVER_PID=
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
trap 'fail "unexpected failure of \`$BASH_COMMAND\` (line $LINENO of ${BASH_SOURCE[0]##*/}, exit $?)"' ERR

assert_eq() {
  if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

# sv_init LETTER: names, temporary directory, tool checks, the EXIT trap, the namespaces.
sv_init() {
  local letter=$1
  [[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces)"
  [[ -n "${WGD:-}" ]] || WGD=$REPO_DIR/build/src/cli/wgd
  [[ -x "$WGD" ]] || fail "wgd binary not found: set WGD to the built binary (got '$WGD')"
  [[ -e /dev/net/tun ]] || skip "/dev/net/tun missing"
  local tool
  for tool in ip wg curl ping timeout; do
    command -v "$tool" >/dev/null || fail "missing tool '$tool' (see scripts/install-deps.sh)"
  done
  [[ -x $PY ]] || fail "missing $PY"
  [[ "${WGD_SV_VERBOSE:-0}" == 1 ]] && set -x
  NS_S=wgdsa-$TEST_NAME-$$-s
  NS_C=wgdsa-$TEST_NAME-$$-c
  IF_S=wgsa$letter$$s
  IF_C=wgsa$letter$$c
  VETH_S=wgsa$letter$$vs
  VETH_C=wgsa$letter$$vc
  TMPD=$(mktemp -d "/tmp/wgdsa-$TEST_NAME.XXXXXX")
  DATA=$TMPD/data
  API_PORT=$((20000 + RANDOM % 20000))
  API=http://127.0.0.1:$API_PORT
  trap cleanup EXIT
  trap 'exit 143' TERM INT HUP
  ip netns add "$NS_S"
  ip netns add "$NS_C"
  ip link add "$VETH_S" netns "$NS_S" type veth peer name "$VETH_C" netns "$NS_C"
  ip -n "$NS_S" addr add $OUT_S/24 dev "$VETH_S"
  ip -n "$NS_C" addr add $OUT_C/24 dev "$VETH_C"
  ip -n "$NS_S" link set lo up
  ip -n "$NS_C" link set lo up
  ip -n "$NS_S" link set "$VETH_S" up
  ip -n "$NS_C" link set "$VETH_C" up
  log "$TEST_NAME: wgd=$WGD server namespace $NS_S (interface $IF_S, API $API), logs in $TMPD"
}

cleanup() {
  local rc=$?
  trap - ERR
  set +eE
  local p ns
  for p in "${STARTED_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for ns in "$NS_S" "$NS_C"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
  done
  sleep 0.3
  for ns in "$NS_S" "$NS_C"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  wait 2>/dev/null
  rm -f "$UAPI_DIR/$IF_S.sock" "$UAPI_DIR/$IF_C.sock" 2>/dev/null
  if [[ $rc -ne 0 && $rc -ne 77 ]]; then
    local f
    for f in "$TMPD"/*.log; do
      [[ -s "$f" ]] || continue
      printf '\n--- last lines of %s ---\n' "$f" >&2
      tail -n 30 "$f" >&2
    done
  fi
  [[ "${WGD_SV_KEEP:-0}" == 1 ]] || rm -rf "$TMPD"
  exit "$rc"
}

in_s() { ip netns exec "$NS_S" "$@"; }
in_c() { ip netns exec "$NS_C" "$@"; }

# The settings every test's server gets; a test adds its own (later ones win) in SERVE_ENV.
SERVE_ENV=()
# With NET_DEFAULTS=0 only the data directory, interface and file settings are given, so a test
# can use the seed users' own variable names (a WGD_ name would win over its alias).
NET_DEFAULTS=1
base_env() {
  printf '%s\n' WGD_DATA_DIR="$DATA" WGD_INTERFACE="$IF_S" WGD_HOSTS_FILE=none WGD_CONFIG=/dev/null
  [[ $NET_DEFAULTS == 1 ]] || return 0
  printf '%s\n' WGD_LISTEN_PORT=$WG_PORT WGD_API_LISTEN=127.0.0.1:$API_PORT WGD_ENDPOINT=$OUT_S \
    WGD_IPV4_ADDRESS=$TUN4 WGD_IPV6_ADDRESS=$TUN6
}

# start_server [NAME=VALUE...]: `wgd serve` in $NS_S (logging to $TMPD/serve.log), then waits
# until /healthz answers and the token file exists. Sets SERVER_PID and TOKEN.
start_server() {
  local -a envs
  mapfile -t envs < <(base_env)
  ip netns exec "$NS_S" env "${envs[@]}" "${SERVE_ENV[@]}" "$@" "$WGD" serve >>"$TMPD/serve.log" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  wait_healthy 10
  TOKEN=$(cat "$DATA/api-token")
  AUTH="Authorization: Bearer $TOKEN"
}

# wait_healthy SECONDS: until GET /healthz answers 200 (fails if the server died).
wait_healthy() {
  local limit=$1 i
  for ((i = 0; i < limit * 50; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || fail "wgd serve exited during start-up: $(tail -n 20 "$TMPD/serve.log")"
    if [[ $(in_s curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$API/healthz" 2>/dev/null) == 200 ]]; then
      [[ -s $DATA/api-token ]] && return 0
    fi
    sleep 0.02
  done
  fail "wgd serve did not answer /healthz within ${limit}s: $(tail -n 20 "$TMPD/serve.log")"
}

# stop_server: SIGTERM and wait (at most 10 s) for a clean exit with status 0.
stop_server() {
  local i rc=0
  kill -TERM "$SERVER_PID"
  for ((i = 0; i < 200; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$SERVER_PID" 2>/dev/null && fail "wgd serve did not stop within 10 s of SIGTERM"
  wait "$SERVER_PID" || rc=$?
  [[ $rc -eq 0 ]] || fail "wgd serve exited with status $rc after SIGTERM: $(tail -n 20 "$TMPD/serve.log")"
}

# kill9_server: SIGKILL, as a crash. The in-process interface goes with the process.
kill9_server() {
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# api METHOD PATH [BODY [CURL_ARGS...]]: one request with the token. The body goes to stdout;
# the status is in $STATUS (use `api ... >file` or `out=$(api ...)`, then check $STATUS via
# the status file, since $(...) runs in a subshell).
api() {
  local method=$1 path=$2 body=${3-}
  shift $(($# < 3 ? $# : 3))
  local -a data=()
  # A POST without a body goes out as `curl -X POST URL` sends it: no Content-Length at all.
  [[ -n $body ]] && data=(--header 'Content-Type: application/json' --data-raw "$body")
  in_s curl -sS --max-time 20 -o "$TMPD/body" -w '%{http_code}' -X "$method" \
    --header "$AUTH" "${data[@]}" "$@" "$API$path" >"$TMPD/status"
  cat "$TMPD/body"
}
status() { cat "$TMPD/status"; }

# expect_status DESCRIPTION CODE METHOD PATH [BODY [CURL_ARGS...]]: the request answers CODE.
# Leaves the body in $TMPD/body.
expect_status() {
  local what=$1 code=$2
  shift 2
  api "$@" >/dev/null
  [[ $(status) == "$code" ]] || fail "$what: $1 $2 answered $(status), expected $code: $(head -c 600 "$TMPD/body")"
  pass "$what ($1 $2 -> $code)"
}

# jq-free JSON field access: json FIELD_EXPR < body (Python expression on `d`).
# Strings print bare, booleans and null as Python writes them (True, False, None), the rest as JSON.
json() { "$PY" -c "import json,sys; d=json.load(sys.stdin); v=$1; print(v if isinstance(v,(str,bool)) or v is None else json.dumps(v))"; }

# dump_peers: `wg show $IF_S dump` peer lines (key, psk, endpoint, allowed-ips, ...).
dump_peers() { in_s wg show "$IF_S" dump | tail -n +2; }

# check.py SUBCOMMAND ...: the Python side of the suite, run in the server namespace.
check() { in_s "$PY" "$SV_DIR/check.py" "$@"; }

# client_up CONF_TEXT_FILE: the client's wg-quick file as $TMPD/$IF_C.conf (wg-quick takes the
# interface name from the file name), brought up in $NS_C with wireguard-go as the userspace
# implementation (this kernel has no WireGuard module; wg-quick falls back to it).
client_up() {
  local conf=$TMPD/$IF_C.conf
  command -v wg-quick >/dev/null || fail "missing tool 'wg-quick' (wireguard-tools)"
  command -v wireguard-go >/dev/null || fail "missing tool 'wireguard-go'"
  install -m 0600 "$1" "$conf"
  in_c env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go wg-quick up "$conf" >"$TMPD/wg-quick-up.log" 2>&1 ||
    fail "wg-quick up failed: $(cat "$TMPD/wg-quick-up.log")"
}
client_down() {
  in_c wg-quick down "$TMPD/$IF_C.conf" >"$TMPD/wg-quick-down.log" 2>&1 ||
    fail "wg-quick down failed: $(cat "$TMPD/wg-quick-down.log")"
}

# ping_ok NS DEST [SECONDS]: DEST answers within SECONDS (the first echo may wait for a
# handshake), then three in a row.
ping_ok() {
  local ns=$1 dest=$2 limit=${3:-10} i
  for ((i = 0; i < limit; i++)); do
    if ip netns exec "$ns" ping -n -c 1 -W 1 "$dest" >/dev/null 2>&1; then
      ip netns exec "$ns" ping -n -q -c 3 -i 0.2 -W 2 "$dest" >/dev/null 2>&1 && return 0
    fi
  done
  return 1
}
# ping_fails NS DEST: none of 3 echoes (1 s each) answered.
ping_fails() { ! ip netns exec "$1" ping -n -q -c 3 -i 0.3 -W 1 "$2" >/dev/null 2>&1; }

# wait_until SECONDS DESCRIPTION CMD...: polls CMD every 50 ms; fails the test after SECONDS.
# Sets WAITED_MS to how long it took.
wait_until() {
  local limit=$1 what=$2
  shift 2
  local start=${EPOCHREALTIME/./} now
  while :; do
    if "$@" >/dev/null 2>&1; then
      WAITED_MS=$(((${EPOCHREALTIME/./} - start) / 1000))
      return 0
    fi
    now=${EPOCHREALTIME/./}
    ((now - start < limit * 1000000)) || fail "$what: not within ${limit}s"
    sleep 0.05
  done
}

# on_interface KEY / off_interface KEY: whether the server's interface carries the peer.
on_interface() { dump_peers | cut -f1 | grep -qxF "$1"; }
off_interface() { ! on_interface "$1"; }

# fields KEY... < body: the values (Python str(), so True/None/[...]) joined by spaces; a key
# may be a dotted path into nested objects ("status.connected").
fields() {
  "$PY" -c '
import json, sys
d = json.load(sys.stdin)
def get(v, path):
    for part in path.split("."):
        v = v[part]
    return v
print(" ".join(str(get(d, k)) for k in sys.argv[1:]))' "$@"
}
