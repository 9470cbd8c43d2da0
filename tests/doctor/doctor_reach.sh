#!/usr/bin/env bash
# UDP reachability, seed 000's `nc -lup` recipe automated: `wgd doctor listen` in A, `wgd doctor
# probe` from B — answered; seed 000's own netcat line shows up in the listener; then an iptables
# rule in A drops UDP to the port: the probe reports it blocked and the listener saw nothing.
# Then a wgd tunnel in A on port 51820 with a DROP rule for it: `wgd doctor IF` names the rule;
# `wgd doctor listen` while the interface holds its port listens on a spare port and says the
# firewall treats the two ports differently. Last, the same with an nft-only firewall (inet
# table, drop policy). Topology: see doctor_lib.sh.
source "$(dirname "$0")/doctor_lib.sh"
doc_init reach
make_namespaces

PROBE_PORT=40001

# listen_bg LOGNAME ARGS...: `wgd doctor listen ARGS` in A in the background, until it listens.
listen_bg() {
  local log=$TMPD/$1.log
  shift
  ip netns exec "$NS_A" "$WGD" doctor listen "$@" >"$log" 2>&1 &
  LISTEN_PID=$!
  STARTED_PIDS+=("$LISTEN_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q "^listening on UDP" "$log" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "wgd doctor listen did not start: $(cat "$log")"
}

# --- reachable ----------------------------------------------------------------------------
listen_bg listen-open --port $PROBE_PORT --timeout 20 --count 4
out=$TMPD/probe-open.out
rc=0
in_ns "$NS_B" "$WGD" doctor probe "$OUT_A:$PROBE_PORT" --count 3 --interval 100 >"$out" 2>&1 || rc=$?
cat "$out" >>"$TMPD/doctor.log"
[[ $rc -eq 0 ]] || fail "probe to an open port exited $rc: $(cat "$out")"
expect_line "$out" "UDP $PROBE_PORT reaches $OUT_A:$PROBE_PORT and back: 3 of 3 probes answered" \
  "probe: reachable, 3 of 3 answered"
# Seed 000's own check, with netcat, into the same listener.
echo "UDP is not blocked on this port!" | in_ns "$NS_B" nc -u -w 1 "$OUT_A" $PROBE_PORT || true
wait "$LISTEN_PID" || fail "listener exited $? after 4 datagrams: $(cat "$TMPD/listen-open.log")"
[[ $(grep -c "bytes from $OUT_B:.*doctor probe #.*answered" "$TMPD/listen-open.log") -eq 3 ]] ||
  fail "listener should show 3 answered probes from $OUT_B: $(cat "$TMPD/listen-open.log")"
pass "listener: 3 probes from $OUT_B, each answered"
expect_line "$TMPD/listen-open.log" "\"UDP is not blocked on this port!\\n\"" \
  "listener shows seed 000's netcat line"

# --- blocked ------------------------------------------------------------------------------
in_ns "$NS_A" iptables -A INPUT -p udp --dport $PROBE_PORT -j DROP
listen_bg listen-blocked --port $PROBE_PORT --timeout 4
rc=0
in_ns "$NS_B" "$WGD" doctor probe "$OUT_A:$PROBE_PORT" --count 3 --interval 100 --wait 1 >"$out" 2>&1 || rc=$?
cat "$out" >>"$TMPD/doctor.log"
[[ $rc -eq 1 ]] || fail "probe to a firewalled port should exit 1, got $rc: $(cat "$out")"
expect_line "$out" "sent 3 probes to $OUT_A:$PROBE_PORT, no answer: UDP $PROBE_PORT is blocked on the way or nothing listens" \
  "probe: blocked"
rc=0
wait "$LISTEN_PID" || rc=$?
[[ $rc -eq 1 ]] || fail "listener behind the DROP rule should exit 1 (nothing arrived), got $rc"
expect_line "$TMPD/listen-blocked.log" "nothing arrived on UDP $PROBE_PORT in 4 s" "listener: nothing arrived"

# --- local checks name the DROP rule for the interface's port --------------------------------
start_tunnel "$NS_A" "$IF_A"
KEY_A=$(wg genkey)
in_ns "$NS_A" wg set "$IF_A" listen-port $PORT_A private-key <(echo "$KEY_A") \
  peer "$(wg genkey | wg pubkey)" allowed-ips "$IN_B/32"
ip -n "$NS_A" addr add "$IN_A/24" dev "$IF_A"
ip -n "$NS_A" link set "$IF_A" up
doctor "$NS_A" "$TMPD/open.out" "$IF_A" --sample 0
# Without a name doctor scans /var/run/wireguard, which every namespace shares: from B, A's
# interface is one of another namespace, skipped with a warning rather than failed.
doctor "$NS_B" "$TMPD/scan.out" --sample 0
expect_line "$TMPD/scan.out" "[warn] $IF_A runs in another network namespace" \
  "default scan from another namespace: skipped with a warning"
expect_line "$TMPD/open.out" "[ok]   this host's firewall lets UDP $PORT_A in" "doctor: port $PORT_A open before the rule"

in_ns "$NS_A" iptables -A INPUT -p udp --dport $PORT_A -j DROP
doctor "$NS_A" "$TMPD/blocked.out" "$IF_A" --sample 0
[[ $RC -eq 1 ]] || fail "doctor should exit 1 with the port blocked, got $RC: $(cat "$TMPD/blocked.out")"
expect_line "$TMPD/blocked.out" \
  "[fail] the firewall blocks UDP $PORT_A (IPv4): blocked by rule \"-A INPUT -p udp -m udp --dport $PORT_A -j DROP\" (iptables -t filter, chain INPUT)" \
  "doctor names the DROP rule for the interface's port"
expect_line "$TMPD/blocked.out" "[ok]   UAPI socket $UAPI_DIR/$IF_A.sock answers" "doctor: socket answers"
expect_line "$TMPD/blocked.out" "[ok]   listening on UDP $PORT_A" "doctor: listening port"
expect_line "$TMPD/blocked.out" "[warn] no handshake yet and no endpoint: waiting for the peer to connect" \
  "doctor: the peer without endpoint is waited for"

# --- listen while the interface holds its port ---------------------------------------------
rc=0
in_ns "$NS_A" "$WGD" doctor listen --timeout 1 >"$TMPD/listen-busy.out" 2>&1 || rc=$?
cat "$TMPD/listen-busy.out" >>"$TMPD/doctor.log"
expect_line "$TMPD/listen-busy.out" "UDP $PORT_A is in use by interface $IF_A" "listen: default port in use by the interface"
expect_line "$TMPD/listen-busy.out" "listening on spare port $((PORT_A + 1)) instead" "listen: spare port"
expect_line "$TMPD/listen-busy.out" "[warn] this host's firewall treats UDP $PORT_A and $((PORT_A + 1)) differently" \
  "listen: the firewall difference between the two ports is named"
in_ns "$NS_A" iptables -D INPUT -p udp --dport $PORT_A -j DROP
in_ns "$NS_A" "$WGD" doctor listen --timeout 1 >"$TMPD/listen-busy.out" 2>&1 || true
expect_line "$TMPD/listen-busy.out" "[ok] this host's firewall treats UDP $PORT_A and UDP $((PORT_A + 1)) alike" \
  "listen: without the rule both ports are alike"

# --- an nft-only firewall: inet table, drop policy ------------------------------------------
in_ns "$NS_A" iptables -F INPUT
in_ns "$NS_A" nft -f - <<EOF
table inet wgddocfw {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iifname "lo" accept
    udp dport $PROBE_PORT accept
  }
}
EOF
doctor "$NS_A" "$TMPD/nft.out" "$IF_A" --sample 0
[[ $RC -eq 1 ]] || fail "doctor should exit 1 with nft dropping the port, got $RC"
expect_line "$TMPD/nft.out" \
  "[fail] the firewall blocks UDP $PORT_A (IPv4): blocked by the drop policy of nft table inet wgddocfw, chain input" \
  "doctor names the nft drop policy (IPv4)"
expect_line "$TMPD/nft.out" "[fail] the firewall blocks UDP $PORT_A (IPv6)" "doctor: the inet table drops IPv6 too"
listen_bg listen-nft --port $PROBE_PORT --timeout 10 --count 1
rc=0
in_ns "$NS_B" "$WGD" doctor probe "$OUT_A:$PROBE_PORT" --count 1 >"$out" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || fail "the nft table accepts $PROBE_PORT, probe exited $rc: $(cat "$out")"
pass "probe through the nft-accepted port answered"
log "doctor_reach: all checks passed"
