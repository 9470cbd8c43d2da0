#!/usr/bin/env bash
# UDP inside the tunnel, wgd <-> wgd: bursts of datagrams in runs of equal sizes with a shorter
# one now and then (udp_burst.py), over inner IPv4 and IPv6. Every datagram must arrive exactly
# as sent and in the order sent, and (nearly) all must arrive. Where the TUN took UDP
# segmentation (USO, Linux 6.2+), the receiving wgd writes runs of datagrams as one UDP
# super-packet (GroCoalescer); a capture on its tunnel interface, which sees packets before the
# kernel cuts them, must then show packets longer than the MTU: the merge path ran and the
# kernel accepted it. Topology: see lib.sh.
source "$(dirname "$0")/lib.sh"
lib_init d
make_namespaces

COUNT=6000
setup_pair wgd wgd 4 a
assert "tunnel up" ping_ok "$NS_A" "$IN4_B"
# wgd logs the TUN offloads it got: TUN_F_USO4 is 0x20, TUN_F_USO6 0x40.
offloads=$(sed -n 's/.*offloads: TUN \(0x[0-9a-f]*\).*/\1/p' "$TMPD/$IF_B.log" | head -n 1)
[[ -n $offloads ]] || fail "no offload line in B's log: $(cat "$TMPD/$IF_B.log")"

for dst in "$IN4_B" "$IN6_B"; do
  fam=4 uso=$((offloads & 0x20))
  [[ $dst == *:* ]] && fam=6 uso=$((offloads & 0x40))
  label="inner IPv$fam, $COUNT datagrams A -> B"
  pcap=$TMPD/udp$fam.pcap out=$TMPD/udp$fam.json
  capture_start "$NS_B" "$IF_B" "$pcap" udp and greater 1500
  in_ns "$NS_B" python3 "$LIB_DIR/udp_burst.py" receive "$dst" 5300 "$out" >"$TMPD/recv$fam.log" 2>&1 &
  receiver=$!
  STARTED_PIDS+=("$receiver")
  for _ in $(seq 100); do grep -q listening "$TMPD/recv$fam.log" 2>/dev/null && break; sleep 0.05; done
  in_ns "$NS_A" python3 "$LIB_DIR/udp_burst.py" send "$dst" 5300 "$COUNT"
  wait "$receiver" || fail "$label: the receiver failed: $(cat "$TMPD/recv$fam.log")"
  capture_stop
  result=$(python3 "$LIB_DIR/udp_burst.py" check "$out" "$COUNT" 0.95 2>&1) ||
    fail "$label: $result"
  pass "$label: $result"
  merged=$(capture_count "$pcap" udp and greater 1500)
  if [[ $uso -ne 0 ]]; then
    [[ $merged -gt 0 ]] || fail "$label: B's TUN took USO (offloads $offloads) but no UDP super-packet was written"
    pass "$label: $merged UDP super-packets (longer than the MTU) written to B's TUN"
  else
    log "   B's TUN has no USO for IPv$fam (offloads $offloads): datagrams written one by one ($merged longer than the MTU)"
  fi
done
teardown_pair
log "udp_inner: all checks passed"
