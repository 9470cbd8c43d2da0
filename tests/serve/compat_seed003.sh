#!/usr/bin/env bash
# Seed 003 (the ASSIST-IoT VPN enabler): its users switch to wgd without changing anything but
# the token. The server is configured with the enabler's own environment variables
# (WG_PRIVATE_KEY, API_PORT, SERVER_IP, WG_SUBNET, WG_PORT, PEER_ALLOWED_IPS), and the curl
# commands of its user guide run as that document writes them:
#   1. with WGD_COMPAT_AUTH=none, the guide's commands verbatim: GET /keys, POST /client; the
#      client's .conf written from the two answers with the guide's template; `wg-quick up` in a
#      second namespace (wireguard-go); ping the server through the tunnel; GET /info and
#      /info/conf (no PrivateKey line); PUT /client/disable cuts the tunnel and keeps the client
#      in the store, /client/enable restores it; the error answers (400 {message}) for a
#      duplicate key, a missing field, bad JSON, an unknown key; DELETE /client.
#   2. with authentication on (the default) and a /30 subnet: the same commands are refused
#      without the token (401), work with it, and the second client gets 400 "subnet full".
source "$(dirname "$0")/serve_lib.sh"
sv_init b

SERVER_KEY=$(wg genkey)
SERVER_PUB=$(wg pubkey <<<"$SERVER_KEY")
NET_DEFAULTS=0
SERVE_ENV=(WG_PRIVATE_KEY="$SERVER_KEY" API_PORT=$API_PORT SERVER_IP=$OUT_S WG_SUBNET=192.168.2.1/24
  WG_PORT=51820 PEER_ALLOWED_IPS=0.0.0.0/0,::/0 WGD_COMPAT_AUTH=none)
start_server
grep -qi "warn.*COMPAT_AUTH\|compat.*without auth\|WGD_COMPAT_AUTH" "$TMPD/serve.log" ||
  fail "no warning at start about WGD_COMPAT_AUTH=none: $(head -n 40 "$TMPD/serve.log")"
pass "WGD_COMPAT_AUTH=none is warned about at start"

# The guide's host and port placeholders.
wg_api_IP_address=127.0.0.1
wg_api_port=$API_PORT

log "=== 1.2.8.4.3 Create a VPN client, step 1: keys"
in_s curl --location --request GET "http://$wg_api_IP_address:$wg_api_port/keys" -sS -o "$TMPD/keys.json" \
  -w '%{http_code}' >"$TMPD/status"
assert_eq "GET /keys status" 200 "$(status)"
client_public_key=$(json 'd["public"]' <"$TMPD/keys.json")
client_private_key=$(json 'd["private"]' <"$TMPD/keys.json")
client_preshared_key=$(json 'd["preshared"]' <"$TMPD/keys.json")
assert_eq "GET /keys: public matches private" "$(wg pubkey <<<"$client_private_key")" "$client_public_key"
[[ ${#client_preshared_key} == 44 ]] || fail "GET /keys: preshared '$client_preshared_key'"

log "=== step 2: POST /client"
in_s curl --location --request POST "$wg_api_IP_address:$wg_api_port/client" \
  --header 'Content-Type: application/json' \
  --data-raw '{
        "publicKey": "'"$client_public_key"'",
        "presharedKey": "'"$client_preshared_key"'"
    }' -sS -o "$TMPD/client.json" -w '%{http_code}' >"$TMPD/status"
assert_eq "POST /client status" 200 "$(status)"
R=$TMPD/client.json
assert_eq "response fields" '["allowedIPs", "clientIP", "message", "serverIP", "serverPort", "serverPublicKey"]' \
  "$(json 'sorted(d)' <"$R")"
assert_eq "serverPublicKey (from WG_PRIVATE_KEY)" "$SERVER_PUB" "$(json 'd["serverPublicKey"]' <"$R")"
assert_eq "serverIP (SERVER_IP)" "$OUT_S" "$(json 'd["serverIP"]' <"$R")"
assert_eq "serverPort (WG_PORT)" 51820 "$(json 'd["serverPort"]' <"$R")"
assert_eq "clientIP: the first free /32 of WG_SUBNET" 192.168.2.2/32 "$(json 'd["clientIP"]' <"$R")"
assert_eq "allowedIPs (PEER_ALLOWED_IPS)" "0.0.0.0/0,::/0" "$(json 'd["allowedIPs"]' <"$R")"
assert_eq "message" "Peer added successfully" "$(json 'd["message"]' <"$R")"
wait_until 3 "the client on the interface" on_interface "$client_public_key"
ka=$(in_s wg show "$IF_S" persistent-keepalive | awk -v k="$client_public_key" '$1 == k {print $2}')
assert_eq "the client's keepalive on the interface" 25 "$ka"
allowed=$(in_s wg show "$IF_S" allowed-ips | awk -v k="$client_public_key" '$1 == k {print $2}')
assert_eq "the client's allowed ips on the interface" 192.168.2.2/32 "$allowed"

log "=== step 3: the client's .conf from the two answers (the guide's template), wg-quick up"
cat >"$TMPD/client.conf" <<EOF
[Interface]
PrivateKey = $client_private_key
Address = $(json 'd["clientIP"]' <"$R")

[Peer]
PublicKey = $(json 'd["serverPublicKey"]' <"$R")
PresharedKey = $client_preshared_key
AllowedIPs = $(json 'd["allowedIPs"]' <"$R")
Endpoint = $(json 'd["serverIP"]' <"$R"):$(json 'd["serverPort"]' <"$R")
PersistentKeepalive = 25
EOF
client_up "$TMPD/client.conf"
ping_ok "$NS_C" 192.168.2.1 || fail "no ping through the tunnel to 192.168.2.1"
pass "the client reaches the server (192.168.2.1) through the tunnel"

log "=== GET /info, GET /info/conf"
# The service caches the interface's status for up to 1 s: wait for the handshake to show.
info_has_handshake() {
  in_s curl -sS "http://$wg_api_IP_address:$wg_api_port/info" >"$TMPD/info.txt" && grep -q "latest handshake:" "$TMPD/info.txt"
}
wait_until 3 "/info shows the handshake" info_has_handshake
head -n 1 "$TMPD/info.txt" | grep -qx "interface: $IF_S" || fail "/info: $(cat "$TMPD/info.txt")"
grep -q "private key: (hidden)" "$TMPD/info.txt" || fail "/info does not hide the private key"
grep -q "peer: $client_public_key" "$TMPD/info.txt" || fail "/info: no peer"
# Same text as `wg show` prints for this interface, but for the seconds of "latest handshake".
diff <(grep -v "latest handshake\|transfer:" "$TMPD/info.txt") <(WG_COLOR_MODE=never in_s wg show "$IF_S" | grep -v "latest handshake\|transfer:") >"$TMPD/diff" ||
  fail "/info differs from wg show: $(cat "$TMPD/diff")"
pass "GET /info is the text of wg show"
in_s curl -sS "http://$wg_api_IP_address:$wg_api_port/info/conf" >"$TMPD/conf.txt"
grep -q "PrivateKey" "$TMPD/conf.txt" && fail "/info/conf has a PrivateKey line"
grep -qF "$SERVER_KEY" "$TMPD/conf.txt" && fail "/info/conf contains the server's private key"
diff "$TMPD/conf.txt" <(in_s wg showconf "$IF_S" | grep -v '^PrivateKey = ') >"$TMPD/diff" ||
  fail "/info/conf is not wg showconf without PrivateKey: $(cat "$TMPD/diff")"
pass "GET /info/conf is wg showconf without the PrivateKey line"

log "=== PUT /client/disable, /client/enable"
compat() { # METHOD PATH BODY: a guide-style request; body in $TMPD/body, status in $TMPD/status
  in_s curl --location --request "$1" "$wg_api_IP_address:$wg_api_port$2" --header 'Content-Type: application/json' \
    --data-raw "$3" -sS -o "$TMPD/body" -w '%{http_code}' >"$TMPD/status"
}
compat PUT /client/disable '{"publicKey": "'"$client_public_key"'"}'
assert_eq "disable: 204" 204 "$(status)"
[[ ! -s $TMPD/body ]] || fail "204 with a body: $(cat "$TMPD/body")"
wait_until 1 "the disabled client off the interface" off_interface "$client_public_key"
ping_fails "$NS_C" 192.168.2.1 || fail "the tunnel still works after /client/disable"
pass "disable: off the interface within ${WAITED_MS} ms, tunnel cut"
AUTH="Authorization: Bearer $TOKEN"
ENC=$("$PY" -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$client_public_key")
expect_status "the disabled client is kept in the store" 200 GET "/api/v1/peers/$ENC"
assert_eq "kept, disabled, managed_by compat, keepalive 25" "False compat 25" \
  "$(fields enabled managed_by persistent_keepalive <"$TMPD/body")"
[[ $(json 'd["name"]' <"$TMPD/body") == client-* ]] || fail "compat client name: $(cat "$TMPD/body")"
compat PUT /client/enable '{"publicKey": "'"$client_public_key"'"}'
assert_eq "enable: 204" 204 "$(status)"
wait_until 2 "the enabled client back on the interface" on_interface "$client_public_key"
ping_ok "$NS_C" 192.168.2.1 30 || fail "the tunnel did not come back after /client/enable"
pass "enable: the tunnel works again"

log "=== the enabler's error answers: 400 {message}, nothing changed"
before=$(api GET '/api/v1/peers?limit=1000' | "$PY" -c 'import json,sys; d=json.load(sys.stdin); [p.pop("status") for p in d["peers"]]; print(json.dumps(d,sort_keys=True))')
compat_error() { # DESCRIPTION METHOD PATH BODY
  compat "$2" "$3" "$4"
  [[ $(status) == 400 ]] || fail "$1: status $(status), expected 400: $(cat "$TMPD/body")"
  [[ $(json 'type(d["message"]).__name__' <"$TMPD/body") == str ]] || fail "$1: no {message}: $(cat "$TMPD/body")"
  pass "$1: 400 {\"message\": \"$(json 'd["message"]' <"$TMPD/body")\"}"
}
other=$(wg genkey | wg pubkey)
compat_error "duplicate key" POST /client '{"publicKey": "'"$client_public_key"'", "presharedKey": "'"$client_preshared_key"'"}'
compat_error "missing presharedKey" POST /client '{"publicKey": "'"$other"'"}'
compat_error "missing publicKey" POST /client '{"presharedKey": "'"$client_preshared_key"'"}'
compat_error "bad key" POST /client '{"publicKey": "abc", "presharedKey": "'"$client_preshared_key"'"}'
compat_error "malformed JSON" POST /client '{"publicKey": '
compat_error "unknown key, delete" DELETE /client '{"publicKey": "'"$other"'"}'
compat_error "unknown key, enable" PUT /client/enable '{"publicKey": "'"$other"'"}'
compat_error "unknown key, disable" PUT /client/disable '{"publicKey": "'"$other"'"}'
compat_error "missing publicKey, delete" DELETE /client '{}'
after=$(api GET '/api/v1/peers?limit=1000' | "$PY" -c 'import json,sys; d=json.load(sys.stdin); [p.pop("status") for p in d["peers"]]; print(json.dumps(d,sort_keys=True))')
assert_eq "the refused requests changed nothing" "$before" "$after"

log "=== DELETE /client"
client_down
compat DELETE /client '{"publicKey": "'"$client_public_key"'"}'
assert_eq "delete: 200" 200 "$(status)"
[[ $(json 'type(d["message"]).__name__' <"$TMPD/body") == str ]] || fail "delete: no {message}"
wait_until 2 "the deleted client off the interface" off_interface "$client_public_key"
expect_status "the deleted client is gone from the store" 404 GET "/api/v1/peers/$ENC"
stop_server

log "=== authentication on (the default), a /30: one client fits"
rm -rf "$DATA"
SERVE_ENV=(WG_PRIVATE_KEY="$SERVER_KEY" API_PORT=$API_PORT SERVER_IP=$OUT_S WG_SUBNET=192.168.3.1/30
  WG_PORT=51820 PEER_ALLOWED_IPS=192.168.3.0/30)
start_server
for path in /keys /info /info/conf; do
  code=$(in_s curl --location --request GET "http://$wg_api_IP_address:$wg_api_port$path" -s -o /dev/null -w '%{http_code}')
  assert_eq "GET $path without the token" 401 "$code"
done
compat POST /client '{"publicKey": "'"$other"'", "presharedKey": "'"$client_preshared_key"'"}'
assert_eq "POST /client without the token" 401 "$(status)"
in_s curl --location --request GET "http://$wg_api_IP_address:$wg_api_port/keys" --header "$AUTH" -sS -o "$TMPD/keys.json" -w '%{http_code}' >"$TMPD/status"
assert_eq "GET /keys with the token" 200 "$(status)"
k1=$(json 'd["public"]' <"$TMPD/keys.json")
with_token() { # METHOD PATH BODY
  in_s curl --location --request "$1" "$wg_api_IP_address:$wg_api_port$2" --header "$AUTH" \
    --header 'Content-Type: application/json' --data-raw "$3" -sS -o "$TMPD/body" -w '%{http_code}' >"$TMPD/status"
}
with_token POST /client '{"publicKey": "'"$k1"'", "presharedKey": "'"$client_preshared_key"'"}'
assert_eq "POST /client with the token" 200 "$(status)"
assert_eq "the only host address of the /30" 192.168.3.2/32 "$(json 'd["clientIP"]' <"$TMPD/body")"
with_token POST /client '{"publicKey": "'"$other"'", "presharedKey": "'"$client_preshared_key"'"}'
assert_eq "second client in a full /30: 400" 400 "$(status)"
grep -qi "free address\|full" "$TMPD/body" || fail "subnet full message: $(cat "$TMPD/body")"
pass "full subnet: 400 {\"message\": \"$(json 'd["message"]' <"$TMPD/body")\"}"
expect_status "the refused client was not stored" 200 GET /api/v1/peers
assert_eq "one peer" 1 "$(json 'd["total"]' <"$TMPD/body")"
stop_server
