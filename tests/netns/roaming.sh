#!/usr/bin/env bash
# Roaming: the client (B, wgd, the only side that knows the other's endpoint) changes its outer
# address in the middle of an 8-second iperf3 run in both directions; the run must complete
# with data flowing both ways after the change, and the server (A, wgd) must report the new
# endpoint in `wg show`. Once over IPv4 (192.0.2.2 -> 192.0.2.3), once over IPv6
# (2001:db8::2 -> 2001:db8::3). The old address is deleted, so the client's socket can no
# longer send from it and the server's replies to it go nowhere until it learns the new one
# from the client's authenticated packets. Topology: see lib.sh.
source "$(dirname "$0")/lib.sh"
lib_init m
make_namespaces
# Deleting the primary IPv4 address must keep the new (secondary) one on the link.
in_ns "$NS_B" sysctl -qw "net.ipv4.conf.$VETH_B.promote_secondaries=1"

SECS=8 CHANGE_AT=3

run() {
  local fam=$1 old new plen nodad=()
  if [[ $fam == 4 ]]; then
    old=$OUT4_B new=192.0.2.3 plen=24
  else
    old=$OUT6_B new=2001:db8::3 plen=64 nodad=(nodad)
  fi
  local label="roaming over IPv$fam ($old -> $new)"
  log "=== $label"
  setup_pair wgd wgd "$fam" b
  assert "$label: tunnel up" ping_ok "$NS_B" "$IN4_A"
  local want_old
  want_old=$(endpoint "$fam" b)
  assert_eq "$label: server sees the client at its first address" "$want_old" "$(wg_field "$NS_A" "$IF_A" endpoints)"

  local out=$TMPD/roam-$fam.json
  (
    sleep $CHANGE_AT
    ip -n "$NS_B" addr add "$new/$plen" dev "$VETH_B" "${nodad[@]}"
    ip -n "$NS_B" addr del "$old/$plen" dev "$VETH_B"
  ) &
  local mover=$!
  iperf "$NS_B" "$NS_A" "$IN4_A" $SECS "$out" --bidir
  wait "$mover" || fail "$label: changing the client's address failed"
  ! ip -n "$NS_B" addr show dev "$VETH_B" | grep -q " $old/" || fail "$label: premise: $old still on the client"

  local after
  after=$(python3 "$LIB_DIR/iperf_check.py" received-after "$out" $((CHANGE_AT + 2)) 1000000 2>&1) ||
    fail "$label: data stopped after the address change: $after"
  log "   $(tr '\n' ';' <<<"$after")"
  log "   $(python3 "$LIB_DIR/iperf_check.py" stalls "$out" 100 | tr '\n' ';')"
  pass "$label: the iperf3 run completed with data both ways after the change"
  local want_new
  if [[ $fam == 4 ]]; then want_new="$new:$PORT_B"; else want_new="[$new]:$PORT_B"; fi
  assert_eq "$label: server's wg show reports the new endpoint" "$want_new" "$(wg_field "$NS_A" "$IF_A" endpoints)"
  # Back to the first address for the next run.
  ip -n "$NS_B" addr add "$old/$plen" dev "$VETH_B" "${nodad[@]}"
  ip -n "$NS_B" addr del "$new/$plen" dev "$VETH_B"
  teardown_pair
}

run 4
run 6
log "roaming: all runs passed"
