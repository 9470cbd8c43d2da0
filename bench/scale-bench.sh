#!/usr/bin/env bash
# 10,000 configured peers on one wgd interface (set through the UAPI with the stock `wg`):
# resident memory and memory per peer, the time to apply the configuration, and the TCP
# throughput of the one active peer with and without the 9,999 others.
#
#   [ns wgsA] 192.0.2.1 --veth-- 192.0.2.2 [ns wgsB]      A carries 10,000 peers, B is one of them
#
# Usage: bench/scale-bench.sh [PEERS]   (default 10000; WGD=path/to/wgd)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
WGD=${WGD:-$here/build/src/cli/wgd}
PEERS=${1:-10000}
SECS=${SECS:-10}
NA=wgsA$$ NB=wgsB$$
tmp=$(mktemp -d)
. "$here/bench/netns-pair.sh"
cleanup() {
  bench_pair_down $NA $NB
  rm -rf "$tmp"
}
trap cleanup EXIT

bench_pair_up $NA $NB

kA=$("$WGD" genkey); kB=$("$WGD" genkey)
pA=$(echo "$kA" | "$WGD" pubkey); pB=$(echo "$kB" | "$WGD" pubkey)
ip netns exec $NA "$WGD" tunnel wgsA
ip netns exec $NB "$WGD" tunnel wgsB
pidA=$(ip netns pids $NA | head -1)
ip netns exec $NB wg set wgsB listen-port 51821 private-key <(echo "$kB") peer "$pA" allowed-ips 10.88.0.1/32 endpoint 192.0.2.1:51820
ip -n $NA addr add 10.88.0.1/16 dev wgsA && ip -n $NA link set wgsA mtu 1420 up
ip -n $NB addr add 10.88.0.2/16 dev wgsB && ip -n $NB link set wgsB mtu 1420 up

rss_kib() { awk '/^VmRSS/ {print $2}' /proc/$pidA/status; }
throughput() {
  ip netns exec $NB iperf3 -s -D -1 >/dev/null 2>&1; sleep 0.2
  ip netns exec $NA iperf3 -c 10.88.0.2 -t "$SECS" -J 2>/dev/null |
    python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}

# The one real peer alone.
printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.88.0.2/32\nEndpoint = 192.0.2.2:51821\n' "$kA" "$pB" > "$tmp/one.conf"
ip netns exec $NA wg setconf wgsA "$tmp/one.conf"
ip netns exec $NA ping -c 1 -W 3 10.88.0.2 >/dev/null
rss_one=$(rss_kib)
single=$(throughput)

# The same plus PEERS-1 others (random keys, one /32 each in 10.89.0.0/16 and beyond).
python3 - "$PEERS" "$tmp/one.conf" > "$tmp/many.conf" <<'PY'
import base64, ipaddress, os, sys
n = int(sys.argv[1])
sys.stdout.write(open(sys.argv[2]).read())
base = ipaddress.IPv4Address("10.89.0.0")
for i in range(n - 1):
    key = base64.b64encode(os.urandom(32)).decode()
    sys.stdout.write("\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\n" % (key, base + i + 1))
PY
start=$(date +%s.%N)
ip netns exec $NA wg setconf wgsA "$tmp/many.conf"
end=$(date +%s.%N)
configured=$(ip netns exec $NA wg show wgsA peers | wc -l)
rss_many=$(rss_kib)
apply_s=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
show_start=$(date +%s.%N); ip netns exec $NA wg show wgsA dump >/dev/null; show_end=$(date +%s.%N)
ip netns exec $NA ping -c 1 -W 3 10.88.0.2 >/dev/null
among=$(throughput)

per_peer=$(awk -v a="$rss_one" -v b="$rss_many" -v n="$PEERS" 'BEGIN{printf "%.0f", (b-a)*1024/(n-1)}')
echo
printf '%-52s %s\n' "peers configured (wg show peers)" "$configured"
printf '%-52s %s\n' "time to apply them (wg setconf, one UAPI set=1)" "${apply_s} s"
printf '%-52s %s\n' "time to read them back (wg show dump)" "$(awk -v a="$show_start" -v b="$show_end" 'BEGIN{printf "%.2f s", b-a}')"
printf '%-52s %s\n' "resident memory, 1 peer / $PEERS peers" "$((rss_one / 1024)) MiB / $((rss_many / 1024)) MiB"
printf '%-52s %s\n' "memory per additional peer" "$per_peer bytes"
printf '%-52s %s\n' "TCP, the one active peer alone (Gbit/s)" "$single"
printf '%-52s %s\n' "TCP, the same peer among $PEERS (Gbit/s)" "$among"
printf '%-52s %s\n' "ratio" "$(awk -v a="$among" -v b="$single" 'BEGIN{printf "%.2f", a/b}')"
