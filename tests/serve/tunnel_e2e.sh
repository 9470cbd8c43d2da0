#!/usr/bin/env bash
# End to end: a peer created through the API, its .conf fetched from the API, brings up a
# working tunnel from a second namespace (wg-quick with wireguard-go); ping over IPv4 and IPv6.
# Disabling the peer cuts the tunnel within 1 s of the API's answer (measured: the peer is off
# the server's interface and pings stop); enabling restores it; the same for a restart of the
# server (the tunnel comes back by itself: the peer's key and addresses are kept).
source "$(dirname "$0")/serve_lib.sh"
sv_init e

SERVE_ENV=(WGD_CLIENT_ALLOWED_IPS=10.77.0.0/24,fd77::/64 WGD_CLIENT_KEEPALIVE=1)
start_server

expect_status "create the peer" 201 POST /api/v1/peers '{"name":"roadwarrior"}'
KEY=$(json 'd["public_key"]' <"$TMPD/body")
V4=$(json 'd["ipv4"]' <"$TMPD/body")
V6=$(json 'd["ipv6"]' <"$TMPD/body")
api GET /api/v1/peers/roadwarrior/config >"$TMPD/fetched.conf"
assert_eq "fetch the .conf" 200 "$(status)"
log "client config (keys elided): $(grep -v 'Key = ' "$TMPD/fetched.conf" | tr '\n' '|')"

client_up "$TMPD/fetched.conf"
ping_ok "$NS_C" 10.77.0.1 || fail "no IPv4 ping through the tunnel"
pass "ping 10.77.0.1 from the client ($V4) through the tunnel"
ping_ok "$NS_C" fd77::1 || fail "no IPv6 ping through the tunnel"
pass "ping fd77::1 from the client ($V6) through the tunnel"
in_s ping -n -q -c 2 -W 2 "$V4" >/dev/null || fail "the server cannot ping the client at $V4"
pass "the server reaches the client at $V4"
# The service caches the interface's status for up to 1 s.
live_connected() { [[ $(api GET /api/v1/peers/roadwarrior | fields status.on_interface status.connected) == "True True" ]]; }
wait_until 3 "live status: on the interface and connected" live_connected
api GET /api/v1/peers/roadwarrior >/dev/null
[[ $(json 'd["status"]["endpoint"]' <"$TMPD/body") == "$OUT_C:"* ]] || fail "status endpoint: $(cat "$TMPD/body")"
(($(json 'd["status"]["rx_bytes"]' <"$TMPD/body") > 0)) || fail "no rx_bytes in the live status"
pass "the live status shows the handshake, the endpoint and traffic"

# A continuous ping (every 50 ms) records which echoes come back; the disable request is sent
# in the middle and the last answered echo must be less than 1 s after the API answered.
log "=== disable cuts the tunnel within 1 s"
ip netns exec "$NS_C" ping -n -D -i 0.05 -W 1 10.77.0.1 >"$TMPD/ping.log" 2>&1 &
PING_PID=$!
STARTED_PIDS+=("$PING_PID")
sleep 1
expect_status "disable" 200 POST /api/v1/peers/roadwarrior/disable
DISABLED_AT=$EPOCHREALTIME
wait_until 1 "the disabled peer off the interface" off_interface "$KEY"
off_ms=$WAITED_MS
sleep 2
kill -INT "$PING_PID" 2>/dev/null
wait "$PING_PID" 2>/dev/null || true
last_reply=$(grep -o '^\[[0-9.]*\] [0-9]* bytes from' "$TMPD/ping.log" | tail -n 1 | tr -d '[]' | cut -d' ' -f1)
[[ -n $last_reply ]] || fail "the continuous ping got no reply before the disable: $(head "$TMPD/ping.log")"
cut_ms=$("$PY" -c "print(max(0, int((float('$last_reply') - float('$DISABLED_AT')) * 1000)))")
((cut_ms < 1000)) || fail "echoes still answered ${cut_ms} ms after the disable"
ping_fails "$NS_C" 10.77.0.1 || fail "the tunnel still works after the disable"
pass "disable: off the interface after ${off_ms} ms, last echo ${cut_ms} ms after the API answered"

log "=== enable restores it"
expect_status "enable" 200 POST /api/v1/peers/roadwarrior/enable
wait_until 1 "the peer back on the interface" on_interface "$KEY"
ping_ok "$NS_C" 10.77.0.1 30 || fail "the tunnel did not come back after enable"
pass "enable: the tunnel works again"

log "=== restart"
stop_server
ping_fails "$NS_C" 10.77.0.1 || fail "the tunnel works while the server is stopped"
start_server
expect_status "the peer survived the restart" 200 GET /api/v1/peers/roadwarrior
assert_eq "same key after the restart" "$KEY" "$(json 'd["public_key"]' <"$TMPD/body")"
ping_ok "$NS_C" 10.77.0.1 30 || fail "the tunnel did not come back after the restart"
pass "after a restart the same client config works again"
client_down
stop_server
