#!/usr/bin/env bash
# 200 concurrent creates from several clients (4 processes x 50, each on its own keep-alive
# connection): every one answered 201, no address handed out twice (IPv4 or IPv6), none lost
# (all 200 in the store with the address their 201 announced), and the interface carries
# exactly those 200 peers with the right allowed IPs.
source "$(dirname "$0")/serve_lib.sh"
sv_init k

start_server
check burst --api "$API" --token="$TOKEN" --clients 4 --per 50 --prefix con --out "$TMPD/acks" \
  >"$TMPD/burst.out" 2>&1 || fail "$(cat "$TMPD/burst.out")"
pass "$(cat "$TMPD/burst.out")"
check verify-burst --api "$API" --token="$TOKEN" --acks "$TMPD/acks" --expect 200 --expect-total 200 \
  >"$TMPD/verify.out" 2>&1 || fail "$(cat "$TMPD/verify.out")"
pass "$(cat "$TMPD/verify.out")"
# The addresses are the 200 lowest of the subnet: none skipped, none reused.
api GET '/api/v1/peers?limit=1000' >"$TMPD/peers.json"
"$PY" - "$TMPD/peers.json" <<'PY' || fail "allocation is not dense"
import ipaddress, json, sys
peers = json.load(open(sys.argv[1]))["peers"]
v4 = sorted(int(ipaddress.ip_address(p["ipv4"])) for p in peers)
expected = [int(ipaddress.ip_address("10.77.0.2")) + i for i in range(200)]
sys.exit(0 if v4 == expected else f"IPv4 addresses are not 10.77.0.2-10.77.0.201: {v4[:5]}...")
PY
pass "the 200 addresses are 10.77.0.2-10.77.0.201"
have_all() { [[ $(dump_peers | wc -l) -eq 200 ]]; }
wait_until 5 "200 peers on the interface" have_all
dump_peers >/dev/null
in_s wg show "$IF_S" dump >"$TMPD/dump"
check compare-interface --api "$API" --token="$TOKEN" --dump "$TMPD/dump" >"$TMPD/cmp.out" 2>&1 || fail "$(cat "$TMPD/cmp.out")"
pass "$(cat "$TMPD/cmp.out")"
stop_server
