#!/usr/bin/env bash
# Data-plane benchmark, everything measured in one run on one machine:
#
#   [ns wgbA] 192.0.2.1 --veth-- 192.0.2.2 [ns wgbB]
#      tunnel 10.77.0.1/24 ======== 10.77.0.2/24 tunnel      (MTU 1420)
#
# For each of: wgd <-> wgd, wireguard-go <-> wireguard-go (Debian package), and the bare veth
# pair (MTU 1420, no tunnel): iperf3 TCP with 1 and 4 streams (10 s, median of 3 runs), the
# 64-byte UDP packet rate delivered with < 1% loss, ping RTT idle and under TCP load, and CPU
# seconds per gigabyte moved (both tunnel processes, from /proc). Prints one table with the
# ratios wgd / wireguard-go.
#
# Usage: bench/netns-bench.sh [--quick] [--ablation] [--scale]   (WGD=path/to/wgd)
#   --quick     1 run of 5 s instead of the median of 3 runs of 10 s (for a smoke test)
#   --ablation  also wgd with its offloads switched off (what TSO/GSO/GRO/coalescing contribute)
#   --scale     also the 10,000-peer measurements (memory, apply time, one active peer)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
WGD=${WGD:-$here/build/src/cli/wgd}
RUNS=3 SECONDS_PER_RUN=10 SCALE=0 ABLATION=0
for a in "$@"; do
  case "$a" in
    --quick) RUNS=1 SECONDS_PER_RUN=5 ;;
    --scale) SCALE=1 ;;
    --ablation) ABLATION=1 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
[ -x "$WGD" ] || { echo "wgd binary not found at $WGD (build first, or set WGD=)" >&2; exit 1; }
for tool in iperf3 wireguard-go wg ping python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps.sh test)" >&2; exit 1; }
done

. "$here/bench/netns-pair.sh"
NA=wgbA$$ NB=wgbB$$
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done
  bench_pair_down $NA $NB
}
trap cleanup EXIT

inA() { ip netns exec $NA "$@"; }
inB() { ip netns exec $NB "$@"; }

make_namespaces() {  # $1 = veth MTU
  cleanup
  bench_pair_up $NA $NB "$1"
}

tunnel_pids=()
start_tunnel() {  # $1 = wgd | wgd-nooffload | wggo
  make_namespaces 1500
  if [ "$1" != wggo ]; then
    local extra=()
    [ "$1" = wgd-nooffload ] && extra=(--no-offloads)
    # The UAPI socket directory is shared by all namespaces: the two ends need distinct names.
    inA "$WGD" tunnel --log stderr -f "${extra[@]}" wgbtA 2>/dev/null & pids+=($!)
    inB "$WGD" tunnel --log stderr -f "${extra[@]}" wgbtB 2>/dev/null & pids+=($!)
  else
    WG_PROCESS_FOREGROUND=1 inA wireguard-go -f wgbtA >/dev/null 2>&1 & pids+=($!)
    WG_PROCESS_FOREGROUND=1 inB wireguard-go -f wgbtB >/dev/null 2>&1 & pids+=($!)
  fi
  bench_tunnel_link $NA $NB wgbtA wgbtB "$WGD"
  # The processes inside the namespaces (the CPU accounting reads their /proc entries).
  tunnel_pids=($(ip netns pids $NA) $(ip netns pids $NB))
}

start_bare() {
  make_namespaces 1420
  tunnel_pids=()
  inA ip addr add 10.77.0.1/24 dev veA
  inB ip addr add 10.77.0.2/24 dev veB
  inA ping -c 1 -W 3 10.77.0.2 >/dev/null
}

cpu_ticks() { bench_cpu_ticks ${tunnel_pids[@]+"${tunnel_pids[@]}"}; }  # the tunnel processes

iperf_server() {
  inB iperf3 -s -D -1 >/dev/null 2>&1
  sleep 0.2
}

# TCP throughput (Gbit/s) and bytes, one run.
tcp_run() { bench_tcp_run $NA $NB "$SECONDS_PER_RUN" "$1"; }  # $1 = parallel streams

# UDP, 64-byte payloads: the highest rate (packets/s) delivered with < 1% loss.
udp_rate() {
  # The figure is the rate iperf3's server saw delivered, not the rate asked for: when the
  # sender cannot keep up with -b, iperf3 counts loss against what it did send, so a run can
  # show < 1 % loss far below the offered rate (the bare veth pair does, at its ceiling).
  local lo=0 hi=0 rate=100000 loss got best=0
  udp_try() {  # $1 = packets/s; prints loss percent and delivered pps
    local loss pps _
    read -r loss pps _ < <(bench_udp_run $NA $NB 3 "$1")
    echo "$loss $pps"
  }
  good() { awk -v l="$1" 'BEGIN{exit !(l < 1)}'; }
  # Grow until loss appears (or the sender falls behind the asked rate), then bisect between
  # the last good and the first bad rate.
  while :; do
    read -r loss got < <(udp_try $rate)
    if good "$loss"; then
      lo=$rate; [ "$got" -gt "$best" ] && best=$got
      [ "$got" -lt $(( rate * 9 / 10 )) ] && break  # the sender's own limit: nothing above it
      rate=$((rate * 2)); [ $rate -gt 4000000 ] && break
    else hi=$rate; break; fi
  done
  if [ $hi -gt 0 ]; then
    for _ in 1 2 3 4 5; do
      rate=$(( (lo + hi) / 2 ))
      read -r loss got < <(udp_try $rate)
      if good "$loss"; then lo=$rate; [ "$got" -gt "$best" ] && best=$got; else hi=$rate; fi
    done
  fi
  echo $best
}

ping_avg() {  # average RTT in ms over 50 pings
  inA ping -c 50 -i 0.02 -q 10.77.0.2 | awk -F/ '/^rtt/ {print $5}'
}

ping_under_load() {
  iperf_server
  inA iperf3 -c 10.77.0.2 -t 8 >/dev/null 2>&1 &
  local ip=$!
  sleep 2
  local r
  r=$(ping_avg)
  wait $ip || true
  echo "$r"
}

declare -A R
measure() {  # $1 = label
  local label=$1 runs1=() runs4=() bytes=0 ticks0 ticks1 g b
  ticks0=$(cpu_ticks)
  for _ in $(seq $RUNS); do read -r g b < <(tcp_run 1); runs1+=($g); bytes=$((bytes + b)); done
  for _ in $(seq $RUNS); do read -r g b < <(tcp_run 4); runs4+=($g); bytes=$((bytes + b)); done
  ticks1=$(cpu_ticks)
  R[$label,tcp1]=$(printf '%s\n' "${runs1[@]}" | bench_median)
  R[$label,tcp4]=$(printf '%s\n' "${runs4[@]}" | bench_median)
  if [ ${#tunnel_pids[@]} -gt 0 ]; then
    R[$label,cpu]=$(bench_seconds_per_gb $((ticks1 - ticks0)) $bytes)
  else
    R[$label,cpu]=n/a
  fi
  R[$label,udp]=$(udp_rate)
  R[$label,ping]=$(ping_avg)
  R[$label,pingload]=$(ping_under_load)
  echo "  $label: tcp1=${R[$label,tcp1]} tcp4=${R[$label,tcp4]} Gbit/s, udp64=${R[$label,udp]} pps, ping=${R[$label,ping]}/${R[$label,pingload]} ms, cpu=${R[$label,cpu]} s/GB" >&2
}

stop_all() {
  for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done
  pids=()
  sleep 0.5
}

echo "machine: $(nproc) cores, $(uname -r); wgd: $WGD; wireguard-go: $(wireguard-go --version 2>/dev/null | head -1)" >&2
echo "runs: $RUNS x ${SECONDS_PER_RUN}s per TCP figure" >&2
start_tunnel wgd;  measure wgd;  stop_all
start_tunnel wggo; measure wggo; stop_all
if [ "$ABLATION" = 1 ]; then start_tunnel wgd-nooffload; measure nooff; stop_all; fi
start_bare;        measure veth

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 == 0 || a == "n/a" || b == "n/a") print "-"; else printf "%.2fx", a/b }'; }
printf '\n%-34s %12s %14s %12s %12s\n' "measure" "wgd" "wireguard-go" "veth" "wgd/wg-go"
row() { printf '%-34s %12s %14s %12s %12s\n' "$1" "${R[wgd,$2]}" "${R[wggo,$2]}" "${R[veth,$2]}" "$(ratio "${R[wgd,$2]}" "${R[wggo,$2]}")"; }
row "TCP 1 stream (Gbit/s, median)" tcp1
row "TCP 4 streams (Gbit/s, median)" tcp4
row "UDP 64 B, <1% loss (packets/s)" udp
row "ping idle (ms)" ping
row "ping under TCP load (ms)" pingload
row "CPU per GB moved (s/GB)" cpu
if [ "$ABLATION" = 1 ]; then
  printf '\nwgd without offloads (batching only): TCP %s / %s Gbit/s, UDP %s pps, CPU %s s/GB\n' \
    "${R[nooff,tcp1]}" "${R[nooff,tcp4]}" "${R[nooff,udp]}" "${R[nooff,cpu]}"
fi

if [ "$SCALE" = 1 ]; then
  exec "$here/bench/scale-bench.sh"
fi
