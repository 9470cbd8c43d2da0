#!/usr/bin/env bash
# wg-quick drives wgd: `wg-quick up` with WG_QUICK_USERSPACE_IMPLEMENTATION=wgd-tunnel (this
# kernel has no wireguard module, so wg-quick falls back to it) brings up a tunnel to a
# wireguard-go peer that carries traffic, and `wg-quick down` removes it: interface, UAPI
# socket and process gone. Two configurations, each run in namespace a:
#   1. split tunnel: AllowedIPs = B's tunnel addresses only; ping both families, 3 s iperf3.
#   2. full tunnel:  AllowedIPs = 0.0.0.0/0, ::/0. wg-quick then sets fwmark 51820 and policy
#      routing: every unmarked packet goes into the tunnel. The endpoint (198.51.100.2, on b's
#      loopback) is reachable from a only through a default route, which wg-quick's
#      "suppress_prefixlength 0" rule hides from unmarked packets, so the handshake works only if
#      wgd really puts the mark on its UDP sockets. The test checks that premise with
#      `ip route get` with and without the mark.
# No DNS= line: wg-quick would need resolvconf. Topology: lib.sh, plus the route above.
source "$(dirname "$0")/lib.sh"
lib_init q
make_namespaces
command -v wg-quick >/dev/null || fail "missing tool 'wg-quick' (wireguard-tools)"
[[ -x $WGD_TUNNEL ]] || fail "$WGD_TUNNEL (the wgd-tunnel link made with the wgd target) is missing"

readonly FAR_B=198.51.100.2
ip -n "$NS_B" addr add $FAR_B/32 dev lo
ip -n "$NS_A" route add default via $OUT4_B

KEY_A=$(genkey) KEY_B=$(genkey)
PUB_A=$(pubkey "$KEY_A") PUB_B=$(pubkey "$KEY_B")
start_peer wggo "$NS_B" "$IF_B"
in_ns "$NS_B" wg set "$IF_B" listen-port $PORT_B private-key <(echo "$KEY_B") \
  peer "$PUB_A" allowed-ips "$IN4_A/32,$IN6_A/128"
inner_up "$NS_B" "$IF_B" b
# b's replies to anything a sends through the full tunnel.
ip -n "$NS_B" route add default dev "$IF_B"

# wgd_pid: the wgd process serving $IF_A in namespace a (empty if none).
wgd_pid() {
  local p
  for p in $(ip netns pids "$NS_A"); do
    [[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" == *"wgd-tunnel $IF_A "* ]] && echo "$p"
  done
  return 0
}
wg_quick() {
  in_ns "$NS_A" env WG_QUICK_USERSPACE_IMPLEMENTATION="$WGD_TUNNEL" wg-quick "$@" >"$TMPD/wg-quick-$1.log" 2>&1 ||
    fail "wg-quick $* failed: $(cat "$TMPD/wg-quick-$1.log")"
}

run() {
  local mode=$1 allowed endpoint
  if [[ $mode == split ]]; then
    allowed="$IN4_B/32, $IN6_B/128" endpoint="$OUT4_B:$PORT_B"
  else
    allowed="0.0.0.0/0, ::/0" endpoint="$FAR_B:$PORT_B"
  fi
  local label="wg-quick ($mode tunnel)"
  log "=== $label"
  local conf=$TMPD/$IF_A.conf
  (
    umask 077
    printf '[Interface]\nPrivateKey = %s\nAddress = %s/24, %s/64\nListenPort = %s\n\n[Peer]\nPublicKey = %s\nAllowedIPs = %s\nEndpoint = %s\n' \
      "$KEY_A" "$IN4_A" "$IN6_A" "$PORT_A" "$PUB_B" "$allowed" "$endpoint" >"$conf"
  )
  wg_quick up "$conf"
  grep -q "userspace implementation" "$TMPD/wg-quick-up.log" ||
    fail "$label: premise: wg-quick did not fall back to the userspace implementation: $(cat "$TMPD/wg-quick-up.log")"
  local pid
  pid=$(wgd_pid)
  [[ -n $pid ]] || fail "$label: no wgd-tunnel process for $IF_A after wg-quick up: $(cat "$TMPD/wg-quick-up.log")"
  [[ -S $UAPI_DIR/$IF_A.sock ]] || fail "$label: no UAPI socket after wg-quick up"
  pass "$label: up, served by wgd-tunnel (pid $pid)"

  if [[ $mode == full ]]; then
    local mark
    mark=$(in_ns "$NS_A" wg show "$IF_A" fwmark)
    [[ $mark != off ]] || fail "$label: premise: wg-quick set no fwmark"
    in_ns "$NS_A" ip route get $FAR_B | grep -q "dev $IF_A" ||
      fail "$label: premise: unmarked packets to $FAR_B should go into the tunnel: $(in_ns "$NS_A" ip route get $FAR_B)"
    in_ns "$NS_A" ip route get $FAR_B mark "$mark" | grep -q "dev $VETH_A" ||
      fail "$label: premise: marked packets to $FAR_B should leave on $VETH_A"
    pass "$label: fwmark $mark set; only marked packets reach the endpoint"
  fi
  assert "$label: ping $IN4_B through the tunnel" ping_ok "$NS_A" "$IN4_B"
  assert "$label: ping $IN6_B through the tunnel" ping_ok "$NS_A" "$IN6_B"
  assert_eq "$label: peer learned a's endpoint" "$OUT4_A:$PORT_A" "$(wg_field "$NS_B" "$IF_B" endpoints)"
  local out=$TMPD/wg-quick-$mode.json
  iperf "$NS_A" "$NS_B" "$IN4_B" 3 "$out" --bidir
  assert "$label: iperf3 3 s both directions" python3 "$LIB_DIR/iperf_check.py" received "$out" 1000000
  log "   $(python3 "$LIB_DIR/iperf_check.py" summary "$out" | tr '\n' ';')"
  if [[ $mode == full ]]; then
    # Control: without the mark, wgd's own datagrams are routed back into the tunnel, so the
    # tunnel must stop working; with the mark back it must work again (the running sockets are
    # re-marked, not only new ones).
    in_ns "$NS_A" wg set "$IF_A" fwmark 0
    assert "$label: control: with fwmark 0 the full tunnel stops working" ping_fails "$NS_A" "$IN4_B"
    in_ns "$NS_A" wg set "$IF_A" fwmark "$mark"
    assert "$label: fwmark $mark back: the tunnel works again" ping_ok "$NS_A" "$IN4_B"
  fi

  wg_quick down "$conf"
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] && break  # init reaps later
    sleep 0.05
  done
  [[ $i -lt 100 ]] || fail "$label: wgd-tunnel (pid $pid) still running 5 s after wg-quick down"
  [[ ! -e $UAPI_DIR/$IF_A.sock ]] || fail "$label: $UAPI_DIR/$IF_A.sock left after wg-quick down"
  ! ip -n "$NS_A" link show "$IF_A" >/dev/null 2>&1 || fail "$label: interface $IF_A left after wg-quick down"
  ! in_ns "$NS_A" ip rule | grep -q 51820 || fail "$label: wg-quick down left policy rules: $(in_ns "$NS_A" ip rule)"
  pass "$label: down: interface, socket and process gone"
}

run split
run full
log "wg_quick: all runs passed"
