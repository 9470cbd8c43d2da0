# Shared by the doctor namespace tests (sourced). Two namespaces joined by a veth pair; wgd
# tunnels in them when a test needs one; everything removed on exit, failed or not.
#
#        namespace $NS_A                              namespace $NS_B
#   +-------------------------+                  +-------------------------+
#   |  $IF_A  10.98.0.1/24    |  WireGuard/UDP   |  $IF_B  10.98.0.2/24    |
#   |         port 51820      | <==============> |         port 51821      |
#   |  $VETH_A 192.0.2.1/24   +------------------+  $VETH_B 192.0.2.2/24   |
#   +-------------------------+    veth pair     +-------------------------+
#
# Names carry the prefix "wgddoc" and this process's pid, so parallel runs never collide:
# namespaces wgddoc-<topic>-<pid>-a/b, interfaces wgddoc<pid><x> (at most 15 characters, unique
# across namespaces since every UAPI socket lives in the one /var/run/wireguard).
# Traffic stays inside: documentation addresses outside the tunnel, private ones inside it.
# Environment: WGD = the built wgd binary (CTest passes it). DOCTOR_TEST_VERBOSE=1 traces;
# DOCTOR_TEST_SHOW=1 prints every doctor output at the end.

set -eEuo pipefail
shopt -s inherit_errexit

readonly OUT_A=192.0.2.1 OUT_B=192.0.2.2 IN_A=10.98.0.1 IN_B=10.98.0.2
readonly PORT_A=51820 PORT_B=51821
readonly UAPI_DIR=/var/run/wireguard
TEST_NAME=$(basename "$0" .sh)
STARTED_PIDS=()

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
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

# doc_init TOPIC: names, temporary directory, tool checks, the EXIT trap.
doc_init() {
  [[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces)"
  [[ -n "${WGD:-}" && -x "$WGD" ]] || fail "set WGD to the built wgd binary (got '${WGD:-}')"
  [[ -e /dev/net/tun ]] || skip "/dev/net/tun missing"
  local tool
  for tool in ip wg iptables iptables-save nft ping timeout python3; do
    command -v "$tool" >/dev/null || fail "missing tool '$tool' (see scripts/install-deps.sh)"
  done
  [[ "${DOCTOR_TEST_VERBOSE:-0}" == 1 ]] && set -x
  PFX=wgddoc$$
  NS_A=wgddoc-$1-$$-a
  NS_B=wgddoc-$1-$$-b
  IF_A=${PFX}a
  IF_B=${PFX}b
  VETH_A=${PFX}va
  VETH_B=${PFX}vb
  TMPD=$(mktemp -d "/tmp/wgddoc-$1.XXXXXX")
  trap cleanup EXIT
  log "$TEST_NAME: wgd=$WGD namespaces $NS_A $NS_B, logs in $TMPD"
}

cleanup() {
  local rc=$?
  trap - ERR
  set +eE
  local p ns
  for p in "${STARTED_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for ns in "$NS_A" "$NS_B"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
  done
  sleep 0.3
  for ns in "$NS_A" "$NS_B"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  wait 2>/dev/null
  rm -f "$UAPI_DIR/$PFX"*.sock 2>/dev/null
  if [[ $rc -ne 0 && $rc -ne 77 ]]; then
    local f
    for f in "$TMPD"/*.log; do
      [[ -s "$f" ]] || continue
      printf '\n--- %s ---\n' "$f" >&2
      tail -n 40 "$f" >&2
    done
  fi
  [[ "${DOCTOR_TEST_SHOW:-0}" == 1 && -f $TMPD/doctor.log ]] && cat "$TMPD/doctor.log"
  rm -rf "$TMPD"
  exit "$rc"
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

make_namespaces() {
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B"
  ip -n "$NS_A" addr add $OUT_A/24 dev "$VETH_A"
  ip -n "$NS_B" addr add $OUT_B/24 dev "$VETH_B"
  local ns
  for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
  ip -n "$NS_A" link set "$VETH_A" up
  ip -n "$NS_B" link set "$VETH_B" up
}

# wait_socket IFNAME: until the UAPI socket accepts connections (at most 5 s).
wait_socket() {
  python3 - "$UAPI_DIR/$1.sock" <<'PY' || fail "UAPI socket of $1 did not come up"
import socket, sys, time
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(sys.argv[1]); sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY
}

# start_tunnel NS IFNAME: `wgd tunnel` in the foreground as our child. Sets LAST_PID.
start_tunnel() {
  ip netns exec "$1" "$WGD" tunnel --foreground --log stderr "$2" >"$TMPD/$2.log" 2>&1 &
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
  wait_socket "$2"
}

stop_pid() {
  local i
  kill -TERM "$1" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
    sleep 0.05
  done
  kill -KILL "$1" 2>/dev/null || true
}

# setup_pair: tunnels in both namespaces; only A knows B's endpoint, so A starts every
# handshake. Keys in KEY_A/KEY_B, PUB_A/PUB_B; pids in PID_A/PID_B.
setup_pair() {
  KEY_A=$(wg genkey) KEY_B=$(wg genkey)
  PUB_A=$(wg pubkey <<<"$KEY_A") PUB_B=$(wg pubkey <<<"$KEY_B")
  start_tunnel "$NS_A" "$IF_A"
  PID_A=$LAST_PID
  start_tunnel "$NS_B" "$IF_B"
  PID_B=$LAST_PID
  in_ns "$NS_A" wg set "$IF_A" listen-port $PORT_A private-key <(echo "$KEY_A") \
    peer "$PUB_B" allowed-ips "$IN_B/32" endpoint "$OUT_B:$PORT_B"
  in_ns "$NS_B" wg set "$IF_B" listen-port $PORT_B private-key <(echo "$KEY_B") \
    peer "$PUB_A" allowed-ips "$IN_A/32"
  ip -n "$NS_A" addr add "$IN_A/24" dev "$IF_A"
  ip -n "$NS_B" addr add "$IN_B/24" dev "$IF_B"
  ip -n "$NS_A" link set "$IF_A" up
  ip -n "$NS_B" link set "$IF_B" up
}

teardown_pair() {
  stop_pid "$PID_A"
  stop_pid "$PID_B"
}

# doctor NS OUTFILE ARGS...: `wgd doctor ARGS` in NS, output to OUTFILE (and the log); sets RC.
doctor() {
  local ns=$1 out=$2
  shift 2
  RC=0
  in_ns "$ns" "$WGD" doctor "$@" >"$out" 2>&1 || RC=$?
  { echo "### wgd doctor $* (in $ns): exit $RC"; cat "$out"; } >>"$TMPD/doctor.log"
}

# expect_line FILE TEXT DESCRIPTION: some line of FILE contains TEXT (fixed string).
expect_line() {
  grep -qF -- "$2" "$1" || fail "$3: no line with '$2' in:
$(cat "$1")"
  pass "$3"
}
refute_line() {
  if grep -qF -- "$2" "$1"; then
    fail "$3: unexpected '$2' in:
$(cat "$1")"
  fi
  pass "$3"
}
