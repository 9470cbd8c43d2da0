#!/usr/bin/env bash
# Before/after comparison of two wgd builds on the data path: one-stream iperf3 TCP through a
# wgd pair, the two builds taking turns (A, B, A, B, ...) so that a host that speeds up or
# slows down during the run affects both alike. Prints every run and the medians: throughput
# and the two wgd processes' CPU seconds (utime+stime from /proc) per gigabyte moved.
#
#   [ns wgaA] 192.0.2.1 --veth-- 192.0.2.2 [ns wgaB]
#      wgd 10.77.0.1/24 ============ 10.77.0.2/24 wgd      (MTU 1420)
#
# Usage: bench/ab-tcp.sh OLD_WGD NEW_WGD [PAIRS]   (default 6 pairs; SECONDS_PER_RUN=10)
# The figures are to read side by side, not a test: nothing here fails on a noisy machine.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 OLD_WGD NEW_WGD [PAIRS]" >&2; exit 2; }
A=$1 B=$2 PAIRS=${3:-6}
SECS=${SECONDS_PER_RUN:-10}
for w in "$A" "$B"; do [ -x "$w" ] || { echo "not an executable: $w" >&2; exit 1; }; done
for tool in iperf3 wg python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps.sh test)" >&2; exit 1; }
done

. "$(dirname "$0")/netns-pair.sh"
NA=wgaA$$ NB=wgaB$$
trap 'bench_pair_down $NA $NB' EXIT
inA() { ip netns exec $NA "$@"; }
inB() { ip netns exec $NB "$@"; }

one_run() {  # $1 = wgd binary; prints "Gbit/s s/GB"
  local wgd=$1 pids t0 t1 gbit bytes
  bench_pair_up $NA $NB
  # The UAPI socket directory is shared by all namespaces: the two ends need distinct names.
  inA "$wgd" tunnel --log stderr -f wgatA >/dev/null 2>&1 &
  inB "$wgd" tunnel --log stderr -f wgatB >/dev/null 2>&1 &
  bench_tunnel_link $NA $NB wgatA wgatB "$wgd"
  pids=($(ip netns pids $NA) $(ip netns pids $NB))
  t0=$(bench_cpu_ticks "${pids[@]}")
  read -r gbit bytes < <(bench_tcp_run $NA $NB "$SECS" 1)
  t1=$(bench_cpu_ticks "${pids[@]}")
  echo "$gbit $(bench_seconds_per_gb $((t1 - t0)) "$bytes")"
}

echo "A = $A"
echo "B = $B"
echo "$PAIRS pairs of ${SECS} s one-stream TCP runs, alternating (A first in odd pairs, B first in even ones)"
declare -a ga gb ca cb
for i in $(seq "$PAIRS"); do
  order=(A B)
  [ $((i % 2)) -eq 0 ] && order=(B A)
  for w in "${order[@]}"; do
    bin=$A; [ "$w" = B ] && bin=$B
    read -r g c < <(one_run "$bin")
    printf '  pair %d  %s  %6s Gbit/s  %5s s/GB\n' "$i" "$w" "$g" "$c"
    if [ "$w" = A ]; then ga+=("$g"); ca+=("$c"); else gb+=("$g"); cb+=("$c"); fi
  done
done
mga=$(printf '%s\n' "${ga[@]}" | bench_median); mgb=$(printf '%s\n' "${gb[@]}" | bench_median)
mca=$(printf '%s\n' "${ca[@]}" | bench_median); mcb=$(printf '%s\n' "${cb[@]}" | bench_median)
printf '\n%-22s %10s %10s %8s\n' "median" "A" "B" "B / A"
awk -v a="$mga" -v b="$mgb" 'BEGIN{printf "%-22s %10.3f %10.3f %7.2fx\n", "TCP (Gbit/s)", a, b, b/a}'
awk -v a="$mca" -v b="$mcb" 'BEGIN{printf "%-22s %10.2f %10.2f %7.2fx\n", "CPU per GB (s/GB)", a, b, b/a}'
