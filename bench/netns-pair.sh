# Sourced by the data-plane benchmark scripts (not run): the two network namespaces they
# measure in, joined by one veth pair, the tunnel between them, and the measuring steps they
# share (an iperf3 TCP or UDP run, CPU ticks, medians). Only documentation addresses, and nothing
# leaves the pair:
#
#   [ns $1] veA 192.0.2.1/24 --veth-- 192.0.2.2/24 veB [ns $2]

# bench_pair_up NS_A NS_B [MTU]: creates both namespaces (removing leftovers of the same names
# first) with loopback and the veth pair up.
bench_pair_up() {
  local a=$1 b=$2 mtu=${3:-1500}
  bench_pair_down "$a" "$b"
  ip netns add "$a"
  ip netns add "$b"
  ip link add veA netns "$a" mtu "$mtu" type veth peer name veB netns "$b" mtu "$mtu"
  ip -n "$a" addr add 192.0.2.1/24 dev veA
  ip -n "$b" addr add 192.0.2.2/24 dev veB
  local n
  for n in "$a" "$b"; do ip -n "$n" link set lo up; done
  ip -n "$a" link set veA up
  ip -n "$b" link set veB up
}

# bench_pair_down NS_A NS_B: stops every process inside them and deletes them; quiet when
# they do not exist.
bench_pair_down() {
  local n
  for n in "$@"; do ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  sleep 0.3
  for n in "$@"; do ip netns del "$n" 2>/dev/null || true; done
}

# bench_tunnel_link NS_A NS_B IF_A IF_B WGD: once the WireGuard interfaces IF_A (in NS_A) and
# IF_B (in NS_B) answer on their UAPI sockets, gives them fresh keys (made by WGD), each other
# as the one peer (UDP 51820 on 192.0.2.1, 51821 on 192.0.2.2), the tunnel addresses
# 10.77.0.1/24 and 10.77.0.2/24 and MTU 1420, and waits for the first ping through.
bench_tunnel_link() {
  local a=$1 b=$2 ifa=$3 ifb=$4 wgd=$5 k1 k2 p1 p2
  for _ in $(seq 50); do
    ip netns exec "$a" wg show "$ifa" >/dev/null 2>&1 && ip netns exec "$b" wg show "$ifb" >/dev/null 2>&1 && break
    sleep 0.1
  done
  k1=$("$wgd" genkey); k2=$("$wgd" genkey)
  p1=$(echo "$k1" | "$wgd" pubkey); p2=$(echo "$k2" | "$wgd" pubkey)
  ip netns exec "$a" wg set "$ifa" listen-port 51820 private-key <(echo "$k1") \
    peer "$p2" allowed-ips 10.77.0.2/32 endpoint 192.0.2.2:51821
  ip netns exec "$b" wg set "$ifb" listen-port 51821 private-key <(echo "$k2") \
    peer "$p1" allowed-ips 10.77.0.1/32 endpoint 192.0.2.1:51820
  ip -n "$a" addr add 10.77.0.1/24 dev "$ifa"
  ip -n "$b" addr add 10.77.0.2/24 dev "$ifb"
  ip -n "$a" link set "$ifa" mtu 1420 up
  ip -n "$b" link set "$ifb" mtu 1420 up
  ip netns exec "$a" ping -c 1 -W 3 10.77.0.2 >/dev/null
}

# bench_iperf3 NS_A NS_B EXTRACT ARGS...: one iperf3 run from NS_A to 10.77.0.2 in NS_B (a
# one-shot server started for it) with the client ARGS; prints what the Python expression EXTRACT
# makes of `e`, the "end" section of the client's JSON report. iperf3 sometimes fails to start a
# test at all (the one-shot server not yet listening, "the server is busy"): such a run is tried
# again, up to 3 times, and a run that still fails stops the script with iperf3's own message.
bench_iperf3() {
  local a=$1 b=$2 extract=$3 attempt out
  shift 3
  for attempt in 1 2 3; do
    ip netns exec "$b" iperf3 -s -D -1 >/dev/null 2>&1
    sleep 0.2
    out=$(ip netns exec "$a" iperf3 -c 10.77.0.2 "$@" -J 2>/dev/null || true)
    if printf '%s' "$out" | python3 -c "import json, sys
try:
    r = json.loads(sys.stdin.read())
except ValueError:
    sys.exit('iperf3 wrote no JSON report')
if 'error' in r:
    sys.exit('iperf3: ' + r['error'])
e = r['end']
print($extract)"; then
      return 0
    fi
    echo "iperf3 $* (attempt $attempt of 3) failed" >&2
    # Only this namespace's iperf3 (a leftover one-shot server): pkill would reach every one.
    ip netns pids "$b" | xargs -r ps -o pid=,comm= -p | awk '$2 == "iperf3" {print $1}' |
      xargs -r kill 2>/dev/null || true
    sleep 1
  done
  echo "iperf3 $* failed 3 times: giving up" >&2
  return 1
}

# bench_tcp_run NS_A NS_B SECONDS STREAMS: one iperf3 TCP run from NS_A to 10.77.0.2 in NS_B;
# prints the received rate in Gbit/s and the bytes received.
bench_tcp_run() {
  bench_iperf3 "$1" "$2" \
    '"%.3f %d" % (e["sum_received"]["bits_per_second"] / 1e9, e["sum_received"]["bytes"])' \
    -t "$3" -P "$4"
}

# bench_udp_run NS_A NS_B SECONDS PPS: one iperf3 UDP run of 64-byte datagrams from NS_A to
# 10.77.0.2 in NS_B, offered at PPS packets/s; prints the loss percent, the delivered packets/s
# and the packets delivered (what iperf3's server received, not what was asked for).
bench_udp_run() {
  bench_iperf3 "$1" "$2" \
    '(lambda s, d: "%.3f %d %d" % (s["lost_percent"], d / s["seconds"], d))(e["sum"], e["sum"]["packets"] - e["sum"]["lost_packets"])' \
    -u -l 64 -b $(($4 * 64 * 8)) -t "$3"
}

# bench_cpu_ticks PID...: the summed utime+stime (clock ticks) of those processes; ones that
# are gone count nothing.
bench_cpu_ticks() {
  local t=0 p
  for p in "$@"; do
    [ -n "$p" ] && [ -r "/proc/$p/stat" ] || continue
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo $t
}

# bench_seconds_per_gb TICKS BYTES: CPU seconds per gigabyte (10^9 bytes) moved.
bench_seconds_per_gb() {
  awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v b="$2" 'BEGIN{printf "%.2f", (t/hz)/(b/1e9)}'
}

# Median of the numbers on standard input, one per line.
bench_median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
