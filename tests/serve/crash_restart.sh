#!/usr/bin/env bash
# kill -9 during a burst of creates, then restart: every create that got a 201 is in the store
# with the address it was told, no address twice, and the interface (rebuilt from the store at
# start) matches the store exactly. Then a clean restart keeps every peer, and a second kill -9
# with no burst changes nothing either.
source "$(dirname "$0")/serve_lib.sh"
sv_init r

start_server
# 4 clients x 150 creates; the server is killed partway through.
check burst --api "$API" --token="$TOKEN" --clients 4 --per 150 --prefix crash --out "$TMPD/acks" \
  --tolerate-errors >"$TMPD/burst.out" 2>&1 &
BURST=$!
STARTED_PIDS+=("$BURST")
acked() { cat "$TMPD"/acks/acks-*.jsonl 2>/dev/null | wc -l; }
wait_until 30 "some creates acknowledged" bash -c "(( \$(cat $TMPD/acks/acks-*.jsonl 2>/dev/null | wc -l) >= 60 ))"
kill9_server
log "killed wgd serve (kill -9) after $(acked) acknowledged creates"
wait "$BURST" || true
n_acked=$(acked)
((n_acked < 600)) || fail "the burst finished before the kill: nothing was tested"
pass "burst interrupted: $n_acked of 600 creates acknowledged before the kill"
in_s ip link show "$IF_S" >/dev/null 2>&1 && fail "the interface outlived kill -9 of its process"

start_server
check verify-burst --api "$API" --token="$TOKEN" --acks "$TMPD/acks" >"$TMPD/verify.out" 2>&1 || fail "$(cat "$TMPD/verify.out")"
pass "after restart: $(cat "$TMPD/verify.out")"
total=$(api GET '/api/v1/peers?limit=1' | json 'd["total"]')
((total >= n_acked && total <= n_acked + 4)) ||
  fail "the store has $total peers: $n_acked were acknowledged, at most 4 more were in flight"
pass "store: $total peers ($n_acked acknowledged + $((total - n_acked)) committed while their answer was lost)"
in_s wg show "$IF_S" dump >"$TMPD/dump"
check compare-interface --api "$API" --token="$TOKEN" --dump "$TMPD/dump" >"$TMPD/cmp.out" 2>&1 || fail "$(cat "$TMPD/cmp.out")"
pass "$(cat "$TMPD/cmp.out")"

# The store still takes writes after the crash (no leftover lock), and addresses continue.
expect_status "create after the crash" 201 POST /api/v1/peers '{"name":"after-crash"}'
api GET '/api/v1/peers?limit=1000' >/dev/null

stop_server
start_server
after=$(api GET '/api/v1/peers?limit=1' | json 'd["total"]')
assert_eq "a clean restart keeps every peer" $((total + 1)) "$after"
in_s wg show "$IF_S" dump >"$TMPD/dump"
check compare-interface --api "$API" --token="$TOKEN" --dump "$TMPD/dump" >"$TMPD/cmp.out" 2>&1 || fail "$(cat "$TMPD/cmp.out")"
pass "after a clean restart: $(cat "$TMPD/cmp.out")"
kill9_server
start_server
assert_eq "kill -9 while idle keeps every peer" $((total + 1)) "$(api GET '/api/v1/peers?limit=1' | json 'd["total"]')"
stop_server
