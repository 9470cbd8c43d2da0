#!/usr/bin/env bash
# Interoperability: wgd <-> wgd and wgd <-> wireguard-go (Debian's), each side initiating the
# handshake in turn, over IPv4 and over IPv6 outer addresses. Each case: ping both inner
# families, then a 5-second iperf3 TCP run in both directions at once (--bidir), over inner
# IPv4 when A initiates and inner IPv6 when B does, so that every outer family carries both
# inner families. Side A (namespace a) is always wgd; two more cases run it with its offloads
# switched off. Topology: see lib.sh.
source "$(dirname "$0")/lib.sh"
lib_init i
make_namespaces

# What makes "INITIATOR starts the handshake" certain: only it knows the other's endpoint
# (setup_pair), so the responder has nowhere to send until the initiation reached it. The
# responder's learned endpoint then proves where the initiation came from.
run_case() {
  local kind_b=$1 fam=$2 initiator=$3
  local label="wgd(A) <-> $kind_b(B), outer IPv$fam, $([[ $initiator == a ]] && echo A || echo B) initiates"
  log "=== $label"
  setup_pair wgd "$kind_b" "$fam" "$initiator"
  local ns_i=$NS_A ns_r=$NS_B if_r=$IF_B dst4=$IN4_B dst6=$IN6_B src_out
  if [[ $initiator == b ]]; then
    ns_i=$NS_B ns_r=$NS_A if_r=$IF_A dst4=$IN4_A dst6=$IN6_A
  fi
  assert "$label: ping inner IPv4 $dst4" ping_ok "$ns_i" "$dst4"
  assert "$label: ping inner IPv6 $dst6" ping_ok "$ns_i" "$dst6"
  src_out=$(endpoint "$fam" "$([[ $initiator == a ]] && echo a || echo b)")
  assert_eq "$label: responder learned the initiator's endpoint" "$src_out" \
    "$(wg_field "$ns_r" "$if_r" endpoints)"
  local hs_a hs_b
  hs_a=$(wg_field "$NS_A" "$IF_A" latest-handshakes)
  hs_b=$(wg_field "$NS_B" "$IF_B" latest-handshakes)
  [[ $hs_a -gt 0 && $hs_b -gt 0 ]] || fail "$label: latest-handshakes A=$hs_a B=$hs_b, expected both set"

  local server=$dst4
  [[ $initiator == b ]] && server=$dst6
  local out=$TMPD/iperf-$kind_b-$fam-$initiator.json
  iperf "$ns_i" "$ns_r" "$server" 5 "$out" --bidir
  assert "$label: iperf3 5 s both directions over $server moved data each way" \
    python3 "$LIB_DIR/iperf_check.py" received "$out" 1000000
  log "   $(python3 "$LIB_DIR/iperf_check.py" summary "$out" | tr '\n' ';')"
  teardown_pair
}

for kind_b in wgd wggo; do
  for fam in 4 6; do
    for initiator in a b; do
      run_case "$kind_b" "$fam" "$initiator"
    done
  done
done
# The fallback without offloads (a kernel without IFF_VNET_HDR, or WGD_OFFLOADS=0): side A
# reads and writes plain packets, one per syscall, against a peer that uses its offloads
# (wgd) or has none (wireguard-go); TCP in both directions must still flow.
ENV_A=(WGD_OFFLOADS=0)
run_case wgd 4 a
run_case wggo 6 b
ENV_A=()
log "interop: all cases passed"
