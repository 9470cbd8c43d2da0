#!/usr/bin/env bash
# A wgd tunnel pair (wgd tunnel, configured with wg): healthy, `wgd doctor` on both sides is all
# [ok]; then a fresh pair with B's port firewalled: A (which sends the handshakes) is diagnosed
# "we send but nothing arrives: a firewall is likely blocking UDP 51821 on the way to
# 192.0.2.2:51821", B names its DROP rule and waits for the peer — seed 000's two `wg show`s,
# read by doctor. Removing the rule heals it. Topology: see doctor_lib.sh.
source "$(dirname "$0")/doctor_lib.sh"
doc_init pair
make_namespaces

ping_ok() {
  local i
  for ((i = 0; i < 5; i++)); do
    in_ns "$NS_A" ping -n -c 1 -W 1 "$IN_B" >/dev/null 2>&1 && return 0
  done
  return 1
}

# --- healthy -------------------------------------------------------------------------------
setup_pair
ping_ok || fail "healthy pair: $IN_B does not answer through the tunnel"
pass "healthy pair: ping through the tunnel"
for side in A B; do
  ns=NS_$side itf=IF_$side
  doctor "${!ns}" "$TMPD/healthy-$side.out" "${!itf}" --sample 1
  [[ $RC -eq 0 ]] || fail "healthy pair: doctor on $side exited $RC: $(cat "$TMPD/healthy-$side.out")"
  grep -qE '^\s+\[(warn|fail)\]' "$TMPD/healthy-$side.out" &&
    fail "healthy pair: doctor on $side reports problems: $(cat "$TMPD/healthy-$side.out")"
  expect_line "$TMPD/healthy-$side.out" "[ok]   connected: latest handshake" "healthy pair: $side's peer connected"
  expect_line "$TMPD/healthy-$side.out" "0 problems, 0 warnings" "healthy pair: doctor on $side is all [ok]"
done
expect_line "$TMPD/healthy-A.out" "[ok]   endpoint $OUT_B:$PORT_B is reached via $VETH_A" "healthy pair: A's endpoint route"
teardown_pair

# --- B's port firewalled --------------------------------------------------------------------
in_ns "$NS_B" iptables -A INPUT -p udp --dport $PORT_B -j DROP
setup_pair
ping_ok && fail "B's port is firewalled but the tunnel works"
doctor "$NS_A" "$TMPD/blocked-A.out" "$IF_A" --sample 1
[[ $RC -eq 1 ]] || fail "doctor on A should exit 1, got $RC: $(cat "$TMPD/blocked-A.out")"
expect_line "$TMPD/blocked-A.out" \
  "we send but nothing arrives: a firewall is likely blocking UDP $PORT_B on the way to $OUT_B:$PORT_B, or the peer's key is wrong" \
  "sending side: 'sends but nothing arrives' with the port and endpoint"
expect_line "$TMPD/blocked-A.out" "[fail] no handshake; received 0 B, sent" "sending side: no handshake, 0 B received"
expect_line "$TMPD/blocked-A.out" "more: wgd doctor probe $OUT_B:$PORT_B" "sending side: suggests the probe"

doctor "$NS_B" "$TMPD/blocked-B.out" "$IF_B" --sample 0
[[ $RC -eq 1 ]] || fail "doctor on B should exit 1, got $RC: $(cat "$TMPD/blocked-B.out")"
expect_line "$TMPD/blocked-B.out" \
  "blocked by rule \"-A INPUT -p udp -m udp --dport $PORT_B -j DROP\" (iptables -t filter, chain INPUT)" \
  "receiving side: names the DROP rule"
expect_line "$TMPD/blocked-B.out" "waiting for the peer to connect" "receiving side: waits for the peer"

# --- healed --------------------------------------------------------------------------------
in_ns "$NS_B" iptables -D INPUT -p udp --dport $PORT_B -j DROP
ping_ok || fail "after removing the rule the tunnel should come up"
doctor "$NS_A" "$TMPD/healed-A.out" "$IF_A" --sample 0
[[ $RC -eq 0 ]] || fail "after healing doctor on A exited $RC: $(cat "$TMPD/healed-A.out")"
expect_line "$TMPD/healed-A.out" "[ok]   connected: latest handshake" "healed: connected again"
log "doctor_tunnel_pair: all checks passed"
