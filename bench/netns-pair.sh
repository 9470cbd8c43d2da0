# Sourced by the benchmark scripts (not run): the two network namespaces they measure in,
# joined by one veth pair. Only documentation addresses, and nothing leaves the pair:
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
