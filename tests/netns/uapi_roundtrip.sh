#!/usr/bin/env bash
# The stock wg(8) drives wgd through UAPI: every key set with `wg setconf`/`wg set`/`wg addconf`
# /`wg syncconf` reads back with `wg showconf` exactly; the same commands applied to
# wireguard-go (namespace b) serve as the reference for what each step must show. Then raw
# requests that wg(8) itself would never send (unknown key, protocol_version=2, bad allowed_ip,
# bad endpoint, a line without '=') must be refused with the documented errno, and the
# configuration must be the one from before the request, even when the request also carried
# valid lines before the bad one (wgd applies a set request whole or not at all).
# Namespace a runs wgd ($IF_A); namespace b runs wireguard-go ($IF_B). No traffic is sent.
source "$(dirname "$0")/lib.sh"
lib_init u
make_namespaces
start_peer wgd "$NS_A" "$IF_A"
start_peer wggo "$NS_B" "$IF_B"

# showconf NS IFNAME: `wg showconf` with the peers sorted by public key and each AllowedIPs list
# sorted, since the order of peers (and of one peer's prefixes) is the implementation's choice.
showconf() {
  in_ns "$1" wg showconf "$2" | python3 -c '
import sys
blocks = sys.stdin.read().strip("\n").split("\n\n")
def norm(block):
    out = []
    for line in block.split("\n"):
        if line.startswith("AllowedIPs = "):
            line = "AllowedIPs = " + ", ".join(sorted(line[13:].split(", ")))
        out.append(line)
    return "\n".join(out)
blocks = [norm(b) for b in blocks]
print("\n\n".join(blocks[:1] + sorted(blocks[1:])))'
}
# same_as_reference STEP: wgd shows what wireguard-go shows after the same commands.
same_as_reference() {
  local mine theirs
  mine=$(showconf "$NS_A" "$IF_A")
  theirs=$(showconf "$NS_B" "$IF_B")
  if [[ "$mine" != "$theirs" ]]; then
    fail "$1: wgd and wireguard-go differ (- wgd, + wireguard-go):
$(diff <(echo "$mine") <(echo "$theirs") || true)"
  fi
  pass "$1: wgd shows the same configuration as wireguard-go"
}
# both CMD...: run a wg command on both interfaces (IFNAME stands for the interface name).
both() {
  local args=("$@")
  in_ns "$NS_A" wg "${args[@]/#IFNAME/$IF_A}"
  in_ns "$NS_B" wg "${args[@]/#IFNAME/$IF_B}"
}

KEY=$(genkey)
P1=$(pubkey "$(genkey)") P2=$(pubkey "$(genkey)") P3=$(pubkey "$(genkey)") P4=$(pubkey "$(genkey)")
PSK=$(wg genpsk)
# Written the way wg showconf prints (its key order and spacing), peers already sorted, so
# that the round trip can be compared byte for byte after the same normalization.
sorted_peers=$(printf '%s\n' "$P1" "$P2" "$P3" | sort)
peer_block() {
  case "$1" in
    "$P1") printf '[Peer]\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = 10.99.1.0/24, 10.99.2.7/32, fd00:99:1::/48\nEndpoint = 192.0.2.2:51821\nPersistentKeepalive = 25\n' "$P1" "$PSK" ;;
    "$P2") printf '[Peer]\nPublicKey = %s\nAllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = [2001:db8::2]:65535\n' "$P2" ;;
    "$P3") printf '[Peer]\nPublicKey = %s\nPersistentKeepalive = 65535\n' "$P3" ;;
  esac
}
{
  printf '[Interface]\nListenPort = 51820\nFwMark = 0x4d2\nPrivateKey = %s\n' "$KEY"
  for p in $sorted_peers; do
    printf '\n'
    peer_block "$p"
  done
} >"$TMPD/full.conf"
chmod 600 "$TMPD/full.conf"

# --- wg setconf / showconf round trip --------------------------------------------------------
both setconf IFNAME "$TMPD/full.conf"
got=$(showconf "$NS_A" "$IF_A")
if [[ "$got" != "$(cat "$TMPD/full.conf")" ]]; then
  fail "wg showconf after wg setconf differs from the file set (- set, + shown):
$(diff "$TMPD/full.conf" <(echo "$got") || true)"
fi
pass "wg setconf then wg showconf round-trips every key (listen port, fwmark, private key, public/preshared key, allowed IPs v4+v6, endpoint v4+v6, keepalive)"
same_as_reference "setconf"
assert_eq "wg show public-key matches the private key" "$(pubkey "$KEY")" "$(in_ns "$NS_A" wg show "$IF_A" public-key)"
assert_eq "wg show fwmark" "0x4d2" "$(in_ns "$NS_A" wg show "$IF_A" fwmark)"

# --- wg set, one key at a time ------------------------------------------------------------
both set IFNAME listen-port 40001 fwmark 0x10000
both set IFNAME peer "$P1" allowed-ips 10.99.4.9/24,fd00:99:4::1/64 endpoint '[2001:db8::9]:1' persistent-keepalive off preshared-key /dev/null
both set IFNAME peer "$P2" remove
both set IFNAME peer "$P3" endpoint 198.51.100.7:9 allowed-ips 203.0.113.0/25
got=$(showconf "$NS_A" "$IF_A")
grep -qx 'ListenPort = 40001' <<<"$got" || fail "listen-port change not shown: $got"
grep -qx 'FwMark = 0x10000' <<<"$got" || fail "fwmark change not shown: $got"
grep -q "$P2" <<<"$got" && fail "peer removed with 'remove' is still shown: $got"
grep -qx 'AllowedIPs = 10.99.4.0/24, fd00:99:4::/64' <<<"$got" ||
  fail "allowed-ips not replaced (or not masked to the prefix): $got"
grep -qx "PresharedKey = $PSK" <<<"$got" && fail "preshared-key /dev/null did not remove the key: $got"
pass "wg set: listen-port, fwmark, allowed-ips (replaced), endpoint, keepalive off, psk removed, peer removed"
same_as_reference "wg set"

both set IFNAME fwmark off listen-port 0
got=$(showconf "$NS_A" "$IF_A")
grep -q '^FwMark' <<<"$got" && fail "fwmark off still shows a mark: $got"
port=$(in_ns "$NS_A" wg show "$IF_A" listen-port)
[[ $port -gt 0 && $port -ne 40001 ]] || fail "listen-port 0 should pick a new free port, shows $port"
pass "fwmark off removes the mark; listen-port 0 picks port $port"

# --- addconf, syncconf ----------------------------------------------------------------------
printf '[Peer]\nPublicKey = %s\nAllowedIPs = 10.99.9.0/24\n' "$P4" >"$TMPD/add.conf"
both addconf IFNAME "$TMPD/add.conf"
grep -q "$P4" <<<"$(showconf "$NS_A" "$IF_A")" || fail "wg addconf did not add the peer"
grep -q "$P1" <<<"$(showconf "$NS_A" "$IF_A")" || fail "wg addconf removed an existing peer"
pass "wg addconf adds a peer and keeps the others"
# Ports differ between the two (each picked its own), so compare with the port line removed.
mine=$(showconf "$NS_A" "$IF_A" | grep -v ListenPort)
theirs=$(showconf "$NS_B" "$IF_B" | grep -v ListenPort)
[[ "$mine" == "$theirs" ]] || fail "addconf: wgd and wireguard-go differ: $(diff <(echo "$mine") <(echo "$theirs"))"
pass "addconf: wgd shows the same configuration as wireguard-go"

both syncconf IFNAME "$TMPD/full.conf"
# syncconf sends only what the file says: P3 keeps the endpoint set above (UAPI cannot unset
# an endpoint), everything else is the file's.
expected=$(awk -v p3="$P3" '{print} $0 == "PublicKey = " p3 {print "Endpoint = 198.51.100.7:9"}' "$TMPD/full.conf")
got=$(showconf "$NS_A" "$IF_A")
grep -q "$P4" <<<"$got" && fail "wg syncconf did not remove the peer missing from the file: $got"
grep -qx "PresharedKey = $PSK" <<<"$got" || fail "wg syncconf did not restore the preshared key: $got"
grep -qx "PublicKey = $P2" <<<"$got" || fail "wg syncconf did not add back the peer: $got"
[[ "$got" == "$expected" ]] ||
  fail "wg syncconf back to the first file (- expected, + shown): $(diff <(echo "$expected") <(echo "$got") || true)"
pass "wg syncconf: peer not in the file removed, removed peer back, keys restored"
same_as_reference "syncconf"

# --- raw requests wg(8) would refuse to send ----------------------------------------------------
before=$(showconf "$NS_A" "$IF_A")
raw() { python3 "$LIB_DIR/uapi_raw.py" "$UAPI_DIR/$1.sock"; }
# refused NAME EXPECTED_ERRNO REQUEST_BODY: wgd answers errno=EXPECTED (negative, as on the
# wire) and its configuration is unchanged; the line listen_port=40002 that precedes the bad line
# would change the port if wgd applied requests partially.
refused() {
  local what=$1 want=$2 body=$3 reply
  reply=$(printf 'set=1\nlisten_port=40002\n%s\n' "$body" | raw "$IF_A") ||
    fail "$what: no complete reply from wgd (got: $reply)"
  grep -qx "errno=$want" <<<"$reply" || fail "$what: expected errno=$want, wgd replied: $reply"
  local now
  now=$(showconf "$NS_A" "$IF_A")
  [[ "$now" == "$before" ]] ||
    fail "$what: refused request changed the configuration (- before, + after): $(diff <(echo "$before") <(echo "$now") || true)"
  # The reference refuses the same line (it applies the lines before it, as it always does).
  local ref
  ref=$(printf 'set=1\n%s\n' "$body" | raw "$IF_B" || true)
  grep -q "^errno=-" <<<"$ref" || fail "$what: wireguard-go accepts this request, so the test is wrong: $ref"
  pass "$what: errno=$want, configuration unchanged (wireguard-go: $(grep errno <<<"$ref"))"
}
refused "unknown interface key" -22 $'bogus_key=1\n'
refused "unknown peer key" -22 "public_key=$(wg pubkey <<<"$KEY" | base64 -d | od -An -tx1 | tr -d ' \n')"$'\nbogus_key=1\n'
hex1=$(base64 -d <<<"$P1" | od -An -tx1 | tr -d ' \n')
refused "protocol_version=2" -22 "public_key=$hex1"$'\nprotocol_version=2\n'
refused "allowed_ip with an octet over 255" -22 "public_key=$hex1"$'\nallowed_ip=10.99.0.256/32\n'
refused "allowed_ip prefix length 33" -22 "public_key=$hex1"$'\nallowed_ip=10.99.0.0/33\n'
refused "allowed_ip without a prefix length" -22 "public_key=$hex1"$'\nallowed_ip=10.99.0.1\n'
refused "endpoint without a port" -22 "public_key=$hex1"$'\nendpoint=192.0.2.2\n'
refused "endpoint with a host name" -22 "public_key=$hex1"$'\nendpoint=localhost:51820\n'
refused "endpoint IPv6 without brackets" -22 "public_key=$hex1"$'\nendpoint=2001:db8::2:51820\n'
refused "endpoint port 65536" -22 "public_key=$hex1"$'\nendpoint=192.0.2.2:65536\n'
refused "public_key not 64 hex digits" -22 $'public_key=abcd\n'
refused "listen_port not a number" -22 $'listen_port=http\n'
# A line without '=' breaks the framing: EPROTO (documented in uapi_protocol.h).
reply=$(printf 'set=1\nlisten_port=40002\nnot a key value line\n\n' | raw "$IF_A" || true)
grep -qx "errno=-71" <<<"$reply" || fail "line without '=': expected errno=-71 (EPROTO), got: $reply"
[[ "$(showconf "$NS_A" "$IF_A")" == "$before" ]] || fail "line without '=': configuration changed"
pass "line without '=': errno=-71, configuration unchanged"

# A listen port another socket holds: wg(8) reports the error, the old port stays.
old_port=$(in_ns "$NS_A" wg show "$IF_A" listen-port)
ip netns exec "$NS_A" python3 -c '
import socket, sys, time
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4.bind(("0.0.0.0", 40003))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); s6.bind(("::", 40003))
print("bound", flush=True); time.sleep(30)' >"$TMPD/holder.out" &
holder=$!
STARTED_PIDS+=("$holder")
for _ in $(seq 50); do grep -q bound "$TMPD/holder.out" && break; sleep 0.05; done
if out=$(in_ns "$NS_A" wg set "$IF_A" listen-port 40003 2>&1); then
  fail "wg set listen-port 40003 succeeded although another socket holds the port"
fi
grep -qi "address already in use\|address in use" <<<"$out" || fail "listen port in use: wg printed '$out', expected EADDRINUSE"
assert_eq "listen port in use: old port kept" "$old_port" "$(in_ns "$NS_A" wg show "$IF_A" listen-port)"
[[ "$(showconf "$NS_A" "$IF_A")" == "$before" ]] || fail "listen port in use: configuration changed"
kill "$holder"

# The interface still works as a UAPI server after all that.
# (uapi_raw.py exits non-zero unless the reply ends with an errno line and a blank line.)
reply=$(printf 'get=1\n\n' | raw "$IF_A") || fail "get=1 after the refused requests: incomplete reply: $reply"
[[ "$(tail -n 1 <<<"$reply")" == errno=0 ]] || fail "get=1 after the refused requests: $reply"
pass "get=1 still answers errno=0 after the refused requests"
log "uapi_roundtrip: all checks passed"
