#!/usr/bin/env bash
# The store is the desired state, the interface the actual one: a change made by hand with
# `wg set` is put back by the reconciler within its interval (WGD_RECONCILE_INTERVAL=1 here):
# a peer removed by hand comes back, changed allowed IPs, keepalive and preshared key are
# restored, a peer added by hand is removed, the listen port and the server's key are put
# back. A restart keeps every peer.
source "$(dirname "$0")/serve_lib.sh"
sv_init d

SERVE_ENV=(WGD_RECONCILE_INTERVAL=1)
start_server
for n in p1 p2 p3; do
  expect_status "create $n" 201 POST /api/v1/peers "{\"name\":\"$n\"}"
done
K1=$(api GET /api/v1/peers/p1 | json 'd["public_key"]')
K2=$(api GET /api/v1/peers/p2 | json 'd["public_key"]')
K3=$(api GET /api/v1/peers/p3 | json 'd["public_key"]')
wait_until 3 "the three peers on the interface" bash -c "[[ \$(ip netns exec $NS_S wg show $IF_S peers | wc -l) == 3 ]]"
in_s wg show "$IF_S" dump >"$TMPD/dump"
check compare-interface --api "$API" --token="$TOKEN" --dump "$TMPD/dump" >/dev/null || fail "not in sync at start"

matches_store() {
  in_s wg show "$IF_S" dump >"$TMPD/dump.now" && check compare-interface --api "$API" --token="$TOKEN" --dump "$TMPD/dump.now"
}

in_s wg set "$IF_S" peer "$K1" remove
on_interface "$K1" && fail "premise: wg set did not remove p1"
wait_until 4 "p1 put back after a manual remove" on_interface "$K1"
wait_until 4 "in sync" matches_store
pass "a peer removed with wg set is put back within ${WAITED_MS} ms"

in_s wg set "$IF_S" peer "$K2" allowed-ips 10.77.0.200/32 persistent-keepalive 7
wait_until 4 "p2's allowed ips and keepalive restored" matches_store
pass "allowed IPs and keepalive changed with wg set are restored within ${WAITED_MS} ms"

STRAY=$(wg genkey | wg pubkey)
in_s wg set "$IF_S" peer "$STRAY" allowed-ips 10.77.0.250/32
wait_until 4 "the stray peer removed" off_interface "$STRAY"
pass "a peer added by hand is removed within ${WAITED_MS} ms"

in_s wg set "$IF_S" peer "$K3" preshared-key /dev/null
wait_until 4 "p3's preshared key restored" matches_store
pass "a preshared key removed by hand is restored"

in_s wg set "$IF_S" listen-port 51999
port_back() { [[ $(in_s wg show "$IF_S" listen-port) == "$WG_PORT" ]]; }
wait_until 4 "listen port restored" port_back
pass "the listen port changed by hand is restored within ${WAITED_MS} ms"

SERVER_PUB=$(api GET /api/v1/server | json 'd["public_key"]')
in_s wg set "$IF_S" private-key <(wg genkey)
key_back() { [[ $(in_s wg show "$IF_S" public-key) == "$SERVER_PUB" ]]; }
wait_until 4 "server key restored" key_back
pass "the server's private key changed by hand is restored within ${WAITED_MS} ms"

stop_server
start_server
assert_eq "a restart keeps every peer" 3 "$(api GET /api/v1/peers | json 'd["total"]')"
wait_until 3 "in sync after restart" matches_store
pass "after the restart the interface carries the same peers"
stop_server
