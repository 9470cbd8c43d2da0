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
