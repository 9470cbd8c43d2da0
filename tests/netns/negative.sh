#!/usr/bin/env bash
# Negative cases: what must NOT work, and what must not be answered. wgd always runs in
# namespace a ($IF_A, the listening side, port 51820); namespace b runs the other party as
# Debian's wireguard-go (so that a bug shared by two wgd instances cannot hide itself) plus, for
# the flood, a python sender. Every case captures on $VETH_A, a's outer interface, and counts
# what a sends; each also checks its premise (that b's packets really reached a), so a case
# cannot pass because nothing was sent.
#   1. unknown public key: a does not know b's key     -> no connectivity, a sends nothing
#   2. wrong preshared key, a responding               -> no connectivity, no transport data;
#                                                         at most one response per initiation
#   3. wrong preshared key, a initiating               -> a sends nothing but its initiations
#   4. inner source outside b's allowed IPs            -> dropped: not on a's TUN, no reply
#   5. 10,000 random datagrams at the port (IPv4+IPv6) -> a sends nothing, still works after
# Topology: see lib.sh.
source "$(dirname "$0")/lib.sh"
lib_init n
make_namespaces

# Everything a sends on the wire, except address resolution (ARP, IPv6 neighbour discovery).
FROM_A="not arp and (src host $OUT4_A or src host $OUT6_A) and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)"
TO_A="not arp and (dst host $OUT4_A or dst host $OUT6_A)"

# start_both [WG_SET_ARGS_FOR_A...] -- [WG_SET_ARGS_FOR_B...]: fresh wgd in a and wireguard-go in
# b with fresh keys (KEY_A, KEY_B, PUB_A, PUB_B are set before the arguments are read, so they
# can be used in them through eval'd single-quoted strings).
start_both() {
  start_peer wgd "$NS_A" "$IF_A"
  PID_A=$LAST_PID
  start_peer wggo "$NS_B" "$IF_B"
  PID_B=$LAST_PID
  inner_up "$NS_A" "$IF_A" a
  inner_up "$NS_B" "$IF_B" b
}
new_keys() {
  KEY_A=$(genkey) KEY_B=$(genkey)
  PUB_A=$(pubkey "$KEY_A") PUB_B=$(pubkey "$KEY_B")
}
# show_capture FILE: the packets, for failure messages.
show_capture() { capture_show "$1" "$FROM_A"; }

# --- 1. unknown public key ---------------------------------------------------------------------
log "=== 1. b initiates with a key a does not know"
new_keys
start_both
other=$(pubkey "$(genkey)")
in_ns "$NS_A" wg set "$IF_A" listen-port $PORT_A private-key <(echo "$KEY_A") \
  peer "$other" allowed-ips "$IN4_B/32,$IN6_B/128"
in_ns "$NS_B" wg set "$IF_B" listen-port $PORT_B private-key <(echo "$KEY_B") \
  peer "$PUB_A" allowed-ips "$IN4_A/32,$IN6_A/128" endpoint "$(endpoint 4 a)"
capture_start "$NS_A" "$VETH_A" "$TMPD/unknown.pcap"
assert "unknown key: no connectivity" ping_fails "$NS_B" "$IN4_A"
capture_stop
n_in=$(capture_count "$TMPD/unknown.pcap" "$TO_A and $WG_INITIATION")
n_out=$(capture_count "$TMPD/unknown.pcap" "$FROM_A")
[[ $n_in -ge 1 ]] || fail "unknown key: premise: no handshake initiation from b reached a"
[[ $n_out -eq 0 ]] || fail "unknown key: a sent $n_out packets in reply to $n_in initiations: $(show_capture "$TMPD/unknown.pcap")"
pass "unknown key: $n_in initiations received, not one packet sent back"
teardown_pair

# --- 2. wrong preshared key, a responds -------------------------------------------------------
# The responder cannot know that the initiator's psk differs: the psk is mixed in only from the
# responder's own reply on, so a answers each initiation with a handshake response, as the
# kernel and wireguard-go do. What must hold: b cannot open that response, so no session
# exists: no connectivity, no transport message from a, and no more than one response per
# initiation.
log "=== 2. wrong preshared key, wgd responding"
new_keys
start_both
in_ns "$NS_A" wg set "$IF_A" listen-port $PORT_A private-key <(echo "$KEY_A") \
  peer "$PUB_B" allowed-ips "$IN4_B/32,$IN6_B/128" preshared-key <(wg genpsk)
in_ns "$NS_B" wg set "$IF_B" listen-port $PORT_B private-key <(echo "$KEY_B") \
  peer "$PUB_A" allowed-ips "$IN4_A/32,$IN6_A/128" endpoint "$(endpoint 4 a)" preshared-key <(wg genpsk)
capture_start "$NS_A" "$VETH_A" "$TMPD/psk-resp.pcap"
assert "wrong psk (a responds): no connectivity" ping_fails "$NS_B" "$IN4_A"
capture_stop
n_init=$(capture_count "$TMPD/psk-resp.pcap" "$TO_A and $WG_INITIATION")
n_resp=$(capture_count "$TMPD/psk-resp.pcap" "$FROM_A and $WG_RESPONSE")
n_out=$(capture_count "$TMPD/psk-resp.pcap" "$FROM_A")
[[ $n_init -ge 1 ]] || fail "wrong psk (a responds): premise: no initiation from b reached a"
[[ $n_resp -le $n_init ]] || fail "wrong psk (a responds): $n_resp responses to $n_init initiations"
[[ $n_out -eq $n_resp ]] ||
  fail "wrong psk (a responds): a sent $((n_out - n_resp)) packets besides its $n_resp handshake responses: $(show_capture "$TMPD/psk-resp.pcap")"
assert_eq "wrong psk (a responds): no session on a (latest handshake)" 0 "$(wg_field "$NS_A" "$IF_A" latest-handshakes)"
pass "wrong psk (a responds): $n_init initiations, $n_resp responses, nothing else sent"
teardown_pair

# --- 3. wrong preshared key, a initiates ------------------------------------------------------
# Here the listening side is the initiator's peer (b), and the side we watch, a, is the
# initiator: b's response carries the wrong psk, a must drop it and send nothing in answer:
# no keepalive (which confirms a session), no data; only its own (re)initiations.
log "=== 3. wrong preshared key, wgd initiating"
new_keys
start_both
in_ns "$NS_A" wg set "$IF_A" listen-port $PORT_A private-key <(echo "$KEY_A") \
  peer "$PUB_B" allowed-ips "$IN4_B/32,$IN6_B/128" endpoint "$(endpoint 4 b)" preshared-key <(wg genpsk)
in_ns "$NS_B" wg set "$IF_B" listen-port $PORT_B private-key <(echo "$KEY_B") \
  peer "$PUB_A" allowed-ips "$IN4_A/32,$IN6_A/128" preshared-key <(wg genpsk)
capture_start "$NS_A" "$VETH_A" "$TMPD/psk-init.pcap"
assert "wrong psk (a initiates): no connectivity" ping_fails "$NS_A" "$IN4_B"
capture_stop
n_resp=$(capture_count "$TMPD/psk-init.pcap" "$TO_A and $WG_RESPONSE")
n_init=$(capture_count "$TMPD/psk-init.pcap" "$FROM_A and $WG_INITIATION")
n_out=$(capture_count "$TMPD/psk-init.pcap" "$FROM_A")
[[ $n_resp -ge 1 ]] || fail "wrong psk (a initiates): premise: b sent no handshake response"
[[ $n_init -ge 1 && $n_out -eq $n_init ]] ||
  fail "wrong psk (a initiates): a sent $n_out packets, of which $n_init initiations: $(show_capture "$TMPD/psk-init.pcap")"
assert_eq "wrong psk (a initiates): no session on a (latest handshake)" 0 "$(wg_field "$NS_A" "$IF_A" latest-handshakes)"
pass "wrong psk (a initiates): $n_resp bad responses received, a sent only its $n_init initiations"
teardown_pair

# --- 4. inner source outside the allowed IPs -----------------------------------------------------
log "=== 4. b sends from inner addresses outside its allowed IPs on a"
new_keys
start_both
in_ns "$NS_A" wg set "$IF_A" listen-port $PORT_A private-key <(echo "$KEY_A") \
  peer "$PUB_B" allowed-ips "$IN4_B/32,$IN6_B/128"
# b would send anything to a (a's allowed IPs on b cover the whole tunnel subnets).
in_ns "$NS_B" wg set "$IF_B" listen-port $PORT_B private-key <(echo "$KEY_B") \
  peer "$PUB_A" allowed-ips "10.99.0.0/24,fd00:99::/64" endpoint "$(endpoint 4 a)"
ip -n "$NS_B" addr add 10.99.0.99/24 dev "$IF_B"
ip -n "$NS_B" addr add fd00:99::99/64 dev "$IF_B" nodad
assert "allowed IPs: control: b pings a from its allowed address" ping_ok "$NS_B" "$IN4_A"
capture_start "$NS_A" "$VETH_A" "$TMPD/spoof.pcap"
capture_tun=$TMPD/spoof-tun.pcap
ip netns exec "$NS_A" tcpdump -n -i "$IF_A" -U -w "$capture_tun" 2>"$capture_tun.log" &
tun_pid=$!
CAPTURE_PIDS+=("$tun_pid")
for _ in $(seq 100); do grep -q "listening on" "$capture_tun.log" && break; sleep 0.05; done
assert "allowed IPs: ping from 10.99.0.99 gets no answer" ping_fails "$NS_B" "$IN4_A" -I 10.99.0.99
assert "allowed IPs: ping from fd00:99::99 gets no answer" ping_fails "$NS_B" "$IN6_A" -I fd00:99::99
capture_stop
kill -INT "$tun_pid"
wait "$tun_pid" 2>/dev/null || true
n_in=$(capture_count "$TMPD/spoof.pcap" "$TO_A and $WG_DATA")
n_out=$(capture_count "$TMPD/spoof.pcap" "$FROM_A and $WG_DATA")
n_tun=$(capture_count "$capture_tun" "src host 10.99.0.99 or src host fd00:99::99")
[[ $n_in -ge 6 ]] || fail "allowed IPs: premise: only $n_in data messages from b reached a (6 pings sent)"
[[ $n_tun -eq 0 ]] || fail "allowed IPs: $n_tun packets from the disallowed sources came out of a's TUN: $(capture_show "$capture_tun")"
[[ $n_out -eq 0 ]] || fail "allowed IPs: a sent $n_out data messages back: $(show_capture "$TMPD/spoof.pcap")"
pass "allowed IPs: $n_in data messages from disallowed sources dropped by wgd (none on the TUN, no reply)"
assert "allowed IPs: the allowed source still works" ping_ok "$NS_B" "$IN4_A"
teardown_pair

# --- 5. 10,000 random datagrams --------------------------------------------------------------------
# Half are random bytes of random length, half look like WireGuard messages (a type 1 to 4, three
# zero bytes, the type's length, random content). a has a real peer configured (b), so a reply
# would have somewhere to go; nothing legitimate is sent during the capture.
log "=== 5. 10,000 random datagrams at a's port"
new_keys
start_both
in_ns "$NS_A" wg set "$IF_A" listen-port $PORT_A private-key <(echo "$KEY_A") \
  peer "$PUB_B" allowed-ips "$IN4_B/32,$IN6_B/128"
in_ns "$NS_B" wg set "$IF_B" listen-port $PORT_B private-key <(echo "$KEY_B") \
  peer "$PUB_A" allowed-ips "$IN4_A/32,$IN6_A/128" endpoint "$(endpoint 4 a)"
capture_start "$NS_A" "$VETH_A" "$TMPD/flood.pcap"
in_ns "$NS_B" python3 - "$OUT4_A" "$OUT6_A" "$PORT_A" <<'PY'
import os, random, socket, sys, time
v4, v6, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
sizes = {1: 148, 2: 92, 3: 64}
rng = random.Random(0x5eed)
for i in range(10000):
    if i % 2:
        kind = rng.randint(1, 4)
        size = sizes.get(kind) or rng.choice([32, rng.randint(33, 1452)])
        data = bytes([kind, 0, 0, 0]) + os.urandom(size - 4)
    else:
        data = os.urandom(rng.randint(1, 1452))
    if i % 4 < 2:
        s4.sendto(data, (v4, port))
    else:
        s6.sendto(data, (v6, port))
    if i % 200 == 199:
        time.sleep(0.005)  # let a's receive buffer drain: the point is that a reads them
PY
sleep 1  # a's answers, if any, would leave now
capture_stop
n_in=$(capture_count "$TMPD/flood.pcap" "$TO_A and udp dst port $PORT_A")
n_in6=$(capture_count "$TMPD/flood.pcap" "ip6 and $TO_A and udp dst port $PORT_A")
n_init6=$(capture_count "$TMPD/flood.pcap" "ip6 and $TO_A and $WG_INITIATION")
n_out=$(capture_count "$TMPD/flood.pcap" "$FROM_A")
[[ $n_in -ge 9900 ]] || fail "flood: premise: only $n_in of 10000 datagrams seen arriving"
[[ $n_in6 -ge 4900 ]] || fail "flood: premise: only $n_in6 of 5000 IPv6 datagrams seen arriving"
[[ $n_init6 -ge 100 ]] || fail "flood: premise: the filter for WireGuard types matches only $n_init6 IPv6 datagrams"
[[ $n_out -eq 0 ]] || fail "flood: a sent $n_out packets: $(show_capture "$TMPD/flood.pcap")"
pass "flood: $n_in datagrams arrived ($n_in6 over IPv6), not one packet left a"
kill -0 "$PID_A" 2>/dev/null || fail "flood: wgd died"
assert "flood: the real peer still connects afterwards" ping_ok "$NS_B" "$IN4_A"
teardown_pair
log "   wgd's own count: $(grep -o 'dropped packets:.*' "$TMPD/$IF_A.log" | tail -n 1)"
log "negative: all cases passed"
