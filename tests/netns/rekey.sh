#!/usr/bin/env bash
# Rekeying under load. With the protocol timers divided by SCALE (WGD_TEST_TIMER_SCALE, a
# test-only switch of wgd), REKEY_AFTER_TIME is 120/SCALE s, so a 30-second iperf3 run in both
# directions at once goes through several rekeys. It must never stall: no receiver may see more
# than one second of empty 0.2 s intervals. Runs:
#   1. wgd(A) <-> wgd(B), A initiates every session (only A knows B's endpoint)   30 s
#   2. wgd(A) <-> wgd(B), B initiates every session                                30 s
#   3. wgd(A) <-> wireguard-go(B), A (wgd) initiates; wireguard-go's timers are the
#      real ones, so it only answers; checks that wgd's rekeys interoperate. Two one-way
#      transfers of 12 s (A to B, then B to A) instead of --bidir: on two shared cores
#      wireguard-go cannot take what wgd sends at full speed, its socket drops ~8 % of the
#      A-to-B datagrams (UdpRcvbufErrors in B), and under --bidir those carry the ACKs of
#      the B-to-A transfer too, so B's TCP went into retransmission-timeout backoff (1.2 s
#      to 3 s without data, away from any rekey). One way, the ACKs travel in the direction
#      that is not overloaded and a stall means what this test is after.         24 s
# The rekeys are counted twice: handshake messages captured on A's outer interface (who sent
# how many initiations and responses) and the distinct values of `wg show latest-handshakes`
# polled every 0.5 s. Topology: see lib.sh.
source "$(dirname "$0")/lib.sh"
lib_init r
make_namespaces

SCALE=20           # REKEY_AFTER_TIME 6 s, REJECT_AFTER_TIME 9 s, REKEY_TIMEOUT 0.25 s
MIN_REKEYS=3       # handshakes after the first one, for a 30 s run (at most ~5 fit)

# run KIND_B INITIATOR SECONDS MIN_REKEYS [bidir|oneway]: bidir is one --bidir transfer of
# SECONDS; oneway is SECONDS/2 from the initiator's side, then SECONDS/2 back (-R).
run() {
  local kind_b=$1 initiator=$2 secs=$3 min_rekeys=$4 mode=${5:-bidir}
  local label="wgd(A) <-> $kind_b(B), $([[ $initiator == a ]] && echo A || echo B) initiating, ${secs}s $mode"
  log "=== $label"
  ENV_A=("WGD_TEST_TIMER_SCALE=$SCALE")
  ENV_B=("WGD_TEST_TIMER_SCALE=$SCALE")
  setup_pair wgd "$kind_b" 4 "$initiator"
  local ns_i=$NS_A dst=$IN4_B ns_r=$NS_B
  [[ $initiator == b ]] && ns_i=$NS_B dst=$IN4_A ns_r=$NS_A
  assert "$label: tunnel up" ping_ok "$ns_i" "$dst"

  local pcap=$TMPD/rekey-$kind_b-$initiator.pcap hs=$TMPD/handshakes-$kind_b-$initiator.txt
  capture_start "$NS_A" "$VETH_A" "$pcap" "$WG_INITIATION or $WG_RESPONSE or $WG_COOKIE"
  # Poll the handshake time on A (whole seconds since the epoch) during the run.
  (while :; do wg_field "$NS_A" "$IF_A" latest-handshakes; sleep 0.5; done) >"$hs" 2>/dev/null &
  local poller=$!
  STARTED_PIDS+=("$poller")
  local outs=() out
  if [[ $mode == bidir ]]; then
    outs=("$TMPD/rekey-$kind_b-$initiator.json")
    iperf "$ns_i" "$ns_r" "$dst" "$secs" "${outs[0]}" --bidir
  else
    outs=("$TMPD/rekey-$kind_b-$initiator-fwd.json" "$TMPD/rekey-$kind_b-$initiator-rev.json")
    iperf "$ns_i" "$ns_r" "$dst" $((secs / 2)) "${outs[0]}"
    iperf "$ns_i" "$ns_r" "$dst" $((secs / 2)) "${outs[1]}" -R
  fi
  kill "$poller"
  wait "$poller" 2>/dev/null || true
  capture_stop

  local gaps
  for out in "${outs[@]}"; do
    if ! gaps=$(python3 "$LIB_DIR/iperf_check.py" stalls "$out" 1.0 2>&1); then
      fail "$label: the transfer stalled ($(basename "$out")): $gaps"
    fi
    log "   $(python3 "$LIB_DIR/iperf_check.py" summary "$out" | tr '\n' ';')"
    log "   $(tr '\n' ';' <<<"$gaps")"
  done
  pass "$label: no receiver saw an empty stretch longer than 1 s"

  local init_a init_b resp_a resp_b
  init_a=$(capture_count "$pcap" "src host $OUT4_A and $WG_INITIATION")
  init_b=$(capture_count "$pcap" "src host $OUT4_B and $WG_INITIATION")
  resp_a=$(capture_count "$pcap" "src host $OUT4_A and $WG_RESPONSE")
  resp_b=$(capture_count "$pcap" "src host $OUT4_B and $WG_RESPONSE")
  local cookies
  cookies=$(capture_count "$pcap" "$WG_COOKIE")
  log "   handshake messages during the run: initiations A=$init_a B=$init_b, responses A=$resp_a B=$resp_b, cookie replies $cookies"
  # The initiator's rekeys are answered by the responder: count the responder's responses.
  local rekeys=$resp_b
  [[ $initiator == b ]] && rekeys=$resp_a
  [[ $rekeys -ge $min_rekeys ]] ||
    fail "$label: only $rekeys handshakes completed by the expected initiator during ${secs}s (want >= $min_rekeys at REKEY_AFTER_TIME $((120 / SCALE))s)"
  local distinct
  distinct=$(grep -E '^[1-9][0-9]*$' "$hs" | sort -u | wc -l)
  [[ $distinct -ge $min_rekeys ]] ||
    fail "$label: wg show latest-handshakes took only $distinct distinct values: $(sort -u "$hs" | tr '\n' ' ')"
  pass "$label: $rekeys rekeys initiated by $([[ $initiator == a ]] && echo A || echo B) ($distinct distinct latest-handshakes)"
  teardown_pair
}

run wgd a 30 $MIN_REKEYS
run wgd b 30 $MIN_REKEYS
run wggo a 24 2 oneway
log "rekey: all runs passed"
