# Shared by the integration tests in tests/netns/ (sourced, not run). Each test builds its own
# network out of two namespaces joined by one veth pair, runs a WireGuard implementation in
# each, and removes everything on exit, failed or not:
#
#        namespace $NS_A                                     namespace $NS_B
#   +-------------------------------+                  +-------------------------------+
#   |  $IF_A (wgd | wireguard-go)   |                  |  $IF_B (wgd | wireguard-go)   |
#   |    10.99.0.1/24               |   WireGuard/UDP  |    10.99.0.2/24               |
#   |    fd00:99::1/64              | <==============> |    fd00:99::2/64              |
#   |    listen port 51820          |                  |    listen port 51821          |
#   |                               |                  |                               |
#   |  $VETH_A                      +------------------+  $VETH_B                      |
#   |    192.0.2.1/24               |    veth pair     |    192.0.2.2/24               |
#   |    2001:db8::1/64             |                  |    2001:db8::2/64             |
#   +-------------------------------+                  +-------------------------------+
#
# Names: namespaces are wgdit-<topic>-<pid>-a/b; interfaces (max 15 characters, and unique
# across namespaces too, since every UAPI socket lives in the one /var/run/wireguard) are
# wgdit<t><pid><side> with <t> one letter per topic. Parallel runs therefore never collide.
# Traffic stays inside these namespaces: only documentation ranges (192.0.2.0/24,
# 2001:db8::/64) outside the tunnel and private ranges (10.99.0.0/24, fd00:99::/64) inside it.
#
# Environment: WGD = path of the built wgd binary (CTest passes $<TARGET_FILE:wgd>); the
# wgd-tunnel link next to it is what wg-quick runs. WGD_IT_VERBOSE=1 prints every command.

set -eEuo pipefail
shopt -s inherit_errexit

readonly LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly PORT_A=51820 PORT_B=51821
readonly OUT4_A=192.0.2.1 OUT4_B=192.0.2.2 OUT6_A=2001:db8::1 OUT6_B=2001:db8::2
readonly IN4_A=10.99.0.1 IN4_B=10.99.0.2 IN6_A=fd00:99::1 IN6_B=fd00:99::2
readonly UAPI_DIR=/var/run/wireguard

TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
STARTED_PIDS=()   # our own children (wgd -f, wireguard-go, iperf3, tcpdump...)
CAPTURE_PIDS=()
T0=${EPOCHREALTIME/./}

# --- messages and assertions ---------------------------------------------------------------

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

# assert DESCRIPTION CMD...: runs CMD; fails the test with DESCRIPTION and CMD's output if it fails.
assert() {
  local what=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    pass "$what"
  else
    fail "$what: \`$*\` failed: ${out:0:2000}"
  fi
}
# refute DESCRIPTION CMD...: CMD must fail.
refute() {
  local what=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    fail "$what: \`$*\` succeeded but must not: ${out:0:2000}"
  else
    pass "$what"
  fi
}
# assert_eq DESCRIPTION EXPECTED ACTUAL
assert_eq() {
  if [[ "$2" == "$3" ]]; then
    pass "$1"
  else
    fail "$1: expected '$2', got '$3'"
  fi
}

# --- setup and cleanup ---------------------------------------------------------------------

# lib_init TOPIC_LETTER: names, temporary directory, tool checks, the EXIT trap.
lib_init() {
  local letter=$1
  [[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces)"
  [[ -n "${WGD:-}" ]] || WGD=$(cd "$LIB_DIR/../.." && pwd)/build/src/cli/wgd
  [[ -x "$WGD" ]] || fail "wgd binary not found: set WGD to the built binary (got '$WGD')"
  WGD_TUNNEL=$(dirname "$WGD")/wgd-tunnel
  local tool
  for tool in ip wg wireguard-go iperf3 tcpdump ping python3 ss timeout; do
    command -v "$tool" >/dev/null || fail "missing tool '$tool' (see scripts/install-deps.sh)"
  done
  [[ -e /dev/net/tun ]] || skip "/dev/net/tun missing"
  [[ "${WGD_IT_VERBOSE:-0}" == 1 ]] && set -x
  PFX=wgdit$letter$$
  NS_A=wgdit-$TEST_NAME-$$-a
  NS_B=wgdit-$TEST_NAME-$$-b
  IF_A=${PFX}a
  IF_B=${PFX}b
  VETH_A=${PFX}va
  VETH_B=${PFX}vb
  TMPD=$(mktemp -d "/tmp/wgdit-$TEST_NAME.XXXXXX")
  trap cleanup EXIT
  log "$TEST_NAME: wgd=$WGD namespaces $NS_A $NS_B, logs in $TMPD"
}

# Kills what we started and whatever still runs in our namespaces (daemonized wgd), removes
# the namespaces, our UAPI sockets and the temporary directory. On failure shows the logs.
cleanup() {
  local rc=$?
  trap - ERR
  set +eE
  local p ns
  for p in "${CAPTURE_PIDS[@]}" "${STARTED_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for ns in "$NS_A" "$NS_B" "${EXTRA_NS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
  done
  sleep 0.3
  for p in "${CAPTURE_PIDS[@]}" "${STARTED_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for ns in "$NS_A" "$NS_B" "${EXTRA_NS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  wait 2>/dev/null
  rm -f "$UAPI_DIR/$PFX"*.sock 2>/dev/null
  if [[ $rc -ne 0 && $rc -ne 77 ]]; then
    local f
    for f in "$TMPD"/*.log; do
      [[ -s "$f" ]] || continue
      printf '\n--- last lines of %s ---\n' "$f" >&2
      tail -n 25 "$f" >&2
    done
  fi
  [[ "${WGD_IT_KEEP:-0}" == 1 ]] || rm -rf "$TMPD"
  exit "$rc"
}
EXTRA_NS=()

# make_namespaces: the two namespaces, the veth pair with IPv4 and IPv6 addresses, loopback up.
make_namespaces() {
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B"
  ip -n "$NS_A" addr add $OUT4_A/24 dev "$VETH_A"
  ip -n "$NS_B" addr add $OUT4_B/24 dev "$VETH_B"
  ip -n "$NS_A" addr add $OUT6_A/64 dev "$VETH_A" nodad
  ip -n "$NS_B" addr add $OUT6_B/64 dev "$VETH_B" nodad
  local ns
  for ns in "$NS_A" "$NS_B"; do
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_A" link set "$VETH_A" up
  ip -n "$NS_B" link set "$VETH_B" up
}

# --- WireGuard peers -----------------------------------------------------------------------

# in_ns NS CMD...: CMD in namespace NS. Background jobs use `ip netns exec` itself instead, so
# that $! is the command's pid (ip netns exec execs it) and not a subshell's.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

genkey() { wg genkey; }
pubkey() { wg pubkey <<<"$1"; }

# wait_socket IFNAME [SECONDS]: until the UAPI socket accepts a connection (a socket file
# left behind by a killed instance exists but refuses connections).
wait_socket() {
  local ifname=$1 limit=${2:-5}
  python3 - "$UAPI_DIR/$ifname.sock" "$limit" <<'PY' ||
import socket, sys, time
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(sys.argv[1])
            sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY
    fail "UAPI socket $UAPI_DIR/$ifname.sock did not accept connections within ${limit}s"
}

# start_peer KIND NS IFNAME [VAR=VALUE...]: runs wgd (in the foreground, as our child, logging
# to $TMPD/IFNAME.log) or wireguard-go in NS and waits for its UAPI socket. Sets LAST_PID.
start_peer() {
  local kind=$1 ns=$2 ifname=$3
  shift 3
  case "$kind" in
    wgd) ip netns exec "$ns" env "$@" "$WGD" tunnel --foreground --log stderr "$ifname" \
           >"$TMPD/$ifname.log" 2>&1 & ;;
    wggo) ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose "$@" wireguard-go "$ifname" \
           >"$TMPD/$ifname.log" 2>&1 & ;;
    *) fail "start_peer: unknown kind '$kind'" ;;
  esac
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
  wait_socket "$ifname"
}

# stop_pid PID: SIGTERM, then wait (at most 5 s) for it to end.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  fail "process $pid did not end within 5 s of SIGTERM"
}

# endpoint FAMILY SIDE: the outer address of side a/b as an endpoint string for family 4/6.
endpoint() {
  local fam=$1 side=$2
  case "$fam$side" in
    4a) echo "$OUT4_A:$PORT_A" ;;
    4b) echo "$OUT4_B:$PORT_B" ;;
    6a) echo "[$OUT6_A]:$PORT_A" ;;
    6b) echo "[$OUT6_B]:$PORT_B" ;;
  esac
}

# inner_up NS IFNAME SIDE: tunnel addresses of side a/b (IPv4 and IPv6) and link up.
inner_up() {
  local ns=$1 ifname=$2 side=$3
  local v4=$IN4_A v6=$IN6_A
  [[ $side == b ]] && v4=$IN4_B v6=$IN6_B
  ip -n "$ns" addr add "$v4/24" dev "$ifname"
  ip -n "$ns" addr add "$v6/64" dev "$ifname" nodad
  ip -n "$ns" link set "$ifname" up
}

# setup_pair KIND_A KIND_B FAMILY INITIATOR [EXTRA_WG_SET_A] [EXTRA_WG_SET_B]: starts both peers
# in the existing namespaces and configures them so that only INITIATOR (a or b) knows the
# other's endpoint over outer FAMILY (4 or 6): the other side cannot send first, so the first
# handshake is INITIATOR's. Keys end up in KEY_A/KEY_B/PUB_A/PUB_B; pids in PID_A/PID_B.
# Extra environment for the peers goes in ENV_A/ENV_B (arrays).
setup_pair() {
  local kind_a=$1 kind_b=$2 fam=$3 initiator=$4
  KEY_A=$(genkey) KEY_B=$(genkey)
  PUB_A=$(pubkey "$KEY_A") PUB_B=$(pubkey "$KEY_B")
  start_peer "$kind_a" "$NS_A" "$IF_A" "${ENV_A[@]}"
  PID_A=$LAST_PID
  start_peer "$kind_b" "$NS_B" "$IF_B" "${ENV_B[@]}"
  PID_B=$LAST_PID
  local ep_a=() ep_b=()
  [[ $initiator == a ]] && ep_a=(endpoint "$(endpoint "$fam" b)")
  [[ $initiator == b ]] && ep_b=(endpoint "$(endpoint "$fam" a)")
  in_ns "$NS_A" wg set "$IF_A" listen-port $PORT_A private-key <(echo "$KEY_A") \
    peer "$PUB_B" allowed-ips "$IN4_B/32,$IN6_B/128" "${ep_a[@]}"
  in_ns "$NS_B" wg set "$IF_B" listen-port $PORT_B private-key <(echo "$KEY_B") \
    peer "$PUB_A" allowed-ips "$IN4_A/32,$IN6_A/128" "${ep_b[@]}"
  inner_up "$NS_A" "$IF_A" a
  inner_up "$NS_B" "$IF_B" b
}
ENV_A=()
ENV_B=()

# teardown_pair: stops both peers (their interfaces and sockets go with them).
teardown_pair() {
  stop_pid "$PID_A"
  stop_pid "$PID_B"
}

# wg_field NS IFNAME FIELD: `wg show IFNAME FIELD` for the only peer: the value column.
wg_field() {
  in_ns "$1" wg show "$2" "$3" | awk '{print $2}'
}

# --- traffic -------------------------------------------------------------------------------

# ping_ok NS DEST [SECONDS]: DEST answers within SECONDS (default 5; the first echo also
# waits for the handshake), then three more echoes in a row all answer.
ping_ok() {
  local ns=$1 dest=$2 limit=${3:-5} i
  for ((i = 0; i < limit; i++)); do
    if in_ns "$ns" ping -n -c 1 -W 1 "$dest" >/dev/null 2>&1; then
      in_ns "$ns" ping -n -q -c 3 -i 0.2 -W 2 "$dest" >/dev/null 2>&1 && return 0
    fi
  done
  return 1
}
# ping_fails NS DEST [ARGS...]: no echo answered out of 3 (1 s deadline each).
ping_fails() {
  local ns=$1 dest=$2
  shift 2
  ! in_ns "$ns" ping -n -q -c 3 -i 0.3 -W 1 "$@" "$dest" >/dev/null 2>&1
}

# iperf NS_CLIENT NS_SERVER SERVER_ADDR SECONDS OUT [CLIENT_ARGS...]: one iperf3 TCP run with
# 0.2 s interval reports; the client's JSON (including the server's, --get-server-output) goes
# to OUT. Fails the test with iperf3's error if the run fails or times out.
iperf() {
  local nsc=$1 nss=$2 addr=$3 secs=$4 out=$5
  shift 5
  ip netns exec "$nss" timeout $((secs + 30)) iperf3 -s -1 -J -i 0.2 -B "$addr" >"$out.server" 2>&1 &
  local spid=$!
  STARTED_PIDS+=("$spid")
  local i
  for ((i = 0; i < 100; i++)); do
    in_ns "$nss" ss -ltnH "sport = 5201" | grep -q LISTEN && break
    sleep 0.05
  done
  local rc=0
  in_ns "$nsc" timeout $((secs + 20)) iperf3 -c "$addr" -t "$secs" -i 0.2 -J --get-server-output \
    --connect-timeout 5000 "$@" >"$out" 2>&1 || rc=$?
  wait "$spid" 2>/dev/null || true
  if [[ $rc -ne 0 ]]; then
    fail "iperf3 -c $addr -t $secs $* (from $nsc) failed with exit $rc: $(python3 "$LIB_DIR/iperf_check.py" error "$out" 2>&1 | head -c 1500)"
  fi
}

# --- packet captures -----------------------------------------------------------------------

# capture_start NS DEV FILE [FILTER...]: tcpdump writing every packet to FILE as it arrives;
# returns once tcpdump is listening. Sets CAPTURE_PID.
capture_start() {
  local ns=$1 dev=$2 file=$3
  shift 3
  ip netns exec "$ns" tcpdump -n -i "$dev" -U -s 256 -w "$file" "$@" 2>"$file.log" &
  CAPTURE_PID=$!
  CAPTURE_PIDS+=("$CAPTURE_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q "listening on" "$file.log" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "tcpdump on $dev in $ns did not start: $(cat "$file.log")"
}
# capture_stop: ends the capture started last (and flushes its file).
capture_stop() {
  sleep 0.2
  kill -INT "$CAPTURE_PID" 2>/dev/null || true
  wait "$CAPTURE_PID" 2>/dev/null || true
}
# capture_count FILE FILTER...: how many packets of FILE match FILTER. A filter tcpdump rejects
# fails the test (a count of 0 from a broken filter would make "nothing sent" pass).
capture_count() {
  local file=$1 out
  shift
  out=$(tcpdump -n -r "$file" "$@" 2>"$file.err") || fail "tcpdump -r $file '$*': $(cat "$file.err")"
  if [[ -z $out ]]; then echo 0; else wc -l <<<"$out"; fi
}
# capture_show FILE FILTER...: the first matching packets, for failure messages.
capture_show() {
  local file=$1
  shift
  tcpdump -n -r "$file" "$@" 2>/dev/null | head -n 10
}

# wg_msg TYPE [UDP_LENGTH_TEST]: a tcpdump filter for WireGuard messages of TYPE (1 initiation,
# 2 response, 3 cookie reply, 4 transport: the first payload byte, then three zero bytes), over
# IPv4 or IPv6, optionally with a test on the UDP length field (8 + payload), e.g. "> 40".
# libpcap's udp[] only indexes IPv4 packets, so IPv6 is matched at fixed offsets (40-byte header,
# no extension headers: what WireGuard sends).
wg_msg() {
  local v4="udp[8:4] = 0x0${1}000000" v6="ip6[6] = 17 and ip6[48:4] = 0x0${1}000000"
  if [[ -n ${2:-} ]]; then
    v4+=" and udp[4:2] $2"
    v6+=" and ip6[44:2] $2"
  fi
  echo "((ip and $v4) or (ip6 and $v6))"
}
WG_INITIATION=$(wg_msg 1)
WG_RESPONSE=$(wg_msg 2)
WG_COOKIE=$(wg_msg 3)
WG_TRANSPORT=$(wg_msg 4)
# A keepalive is a transport message with an empty payload (16 header + 16 tag bytes); data is
# anything longer.
WG_KEEPALIVE=$(wg_msg 4 "= 40")
WG_DATA=$(wg_msg 4 "> 40")
readonly WG_INITIATION WG_RESPONSE WG_COOKIE WG_TRANSPORT WG_KEEPALIVE WG_DATA
