#!/usr/bin/env bash
# Every endpoint of the native API over real HTTP against a running `wgd serve` (real SQLite
# file, real interface in a namespace): health, OpenAPI (document <-> routes <-> server),
# server info and status, keys, peers (create/list/filter/page/get by id, name and key/update/
# enable/disable/config/QR/delete), token rotation, /metrics, the hosts file. Then every class
# of invalid input (bad key, bad CIDR, name clash, address outside or already taken, unknown
# peer, malformed JSON, unknown field, missing or wrong token) must get its 4xx with the right
# error code and field, and change nothing: the store (read back through the API) and the
# interface (wg show dump) are compared before and after. No response may ever contain the
# server's private key.
source "$(dirname "$0")/serve_lib.sh"
sv_init a

SERVER_KEY=$(wg genkey)
SERVER_PUB=$(wg pubkey <<<"$SERVER_KEY")
HOSTS=$TMPD/hosts
printf '127.0.0.1\tlocalhost\n# the administrator'"'"'s comment\n192.0.2.50 printer' >"$HOSTS"
chmod 0644 "$HOSTS"
SERVE_ENV=(WGD_PRIVATE_KEY="$SERVER_KEY" WGD_HOSTS_FILE="$HOSTS" WGD_HOSTS_DOMAIN=vpn
  WGD_CLIENT_ALLOWED_IPS=10.77.0.0/24,fd77::/64 WGD_RECONCILE_INTERVAL=1)
start_server
ALL_BODIES=$TMPD/all-bodies
: >"$ALL_BODIES"
# Every response body goes here too, to look for the server's private key at the end.
keep() { cat "$TMPD/body" >>"$ALL_BODIES"; echo >>"$ALL_BODIES"; }

log "=== health, document, server"
[[ $(in_s curl -s -w ' %{http_code}' "$API/healthz") == '{"status":"ok"} 200' ]] || fail "GET /healthz without a token"
pass "GET /healthz answers {\"status\":\"ok\"} without a token"
[[ $(in_s curl -s "$API/openapi.yaml") == "$(cat "$REPO_DIR/docs/openapi.yaml")" ]] ||
  fail "GET /openapi.yaml (no token) is not docs/openapi.yaml"
pass "GET /openapi.yaml serves docs/openapi.yaml without a token"

expect_status "server info" 200 GET /api/v1/server
keep
assert_eq "server public key" "$SERVER_PUB" "$(json 'd["public_key"]' <"$TMPD/body")"
assert_eq "server interface" "$IF_S" "$(json 'd["interface"]' <"$TMPD/body")"
assert_eq "server listen port" "$WG_PORT" "$(json 'd["listen_port"]' <"$TMPD/body")"
assert_eq "server ipv4 address" "$TUN4" "$(json 'd["ipv4_address"]' <"$TMPD/body")"
assert_eq "server ipv6 address" "$TUN6" "$(json 'd["ipv6_address"]' <"$TMPD/body")"
assert_eq "server endpoint" "$OUT_S:$WG_PORT" "$(json 'd["endpoint"]' <"$TMPD/body")"
assert_eq "client allowed ips" '["10.77.0.0/24", "fd77::/64"]' "$(json 'd["client_allowed_ips"]' <"$TMPD/body")"
expect_status "status" 200 GET /api/v1/status
keep
assert_eq "status: no peers yet" 0 "$(json 'd["peers"]["total"]' <"$TMPD/body")"
assert_eq "status: interface up" True "$(json 'd["interface"]["up"]' <"$TMPD/body")"

expect_status "fresh keys" 200 POST /api/v1/keys
keep
priv=$(json 'd["private_key"]' <"$TMPD/body")
assert_eq "POST /api/v1/keys: the public key is the private key's" "$(wg pubkey <<<"$priv")" \
  "$(json 'd["public_key"]' <"$TMPD/body")"

log "=== peers"
expect_status "create alice (server-generated keys)" 201 POST /api/v1/peers \
  '{"name":"alice","dns":["10.77.0.1"],"description":"laptop"}'
keep
ALICE=$(cat "$TMPD/body")
ALICE_ID=$(json 'd["id"]' <<<"$ALICE")
ALICE_KEY=$(json 'd["public_key"]' <<<"$ALICE")
assert_eq "alice ipv4: the lowest free address" 10.77.0.2 "$(json 'd["ipv4"]' <<<"$ALICE")"
assert_eq "alice ipv6" fd77::2 "$(json 'd["ipv6"]' <<<"$ALICE")"
assert_eq "alice keys kept by the server" "True True" "$(fields has_private_key has_preshared_key <<<"$ALICE")"
assert_eq "alice server-side allowed ips" '["10.77.0.2/32", "fd77::2/128"]' "$(json 'd["allowed_ips"]' <<<"$ALICE")"
assert_eq "alice managed by api" api "$(json 'd["managed_by"]' <<<"$ALICE")"
grep -q '"private_key"\|"preshared_key"' <<<"$ALICE" && fail "a Peer document carries a key field: $ALICE"
pass "no private or preshared key in the Peer document"
wait_until 3 "alice on the interface" on_interface "$ALICE_KEY"
pass "alice is on the interface within ${WAITED_MS} ms"

BOB_PRIV=$(wg genkey)
BOB_KEY=$(wg pubkey <<<"$BOB_PRIV")
expect_status "create bob with his own public key, fixed address, extra route, no keepalive" 201 POST /api/v1/peers \
  "{\"name\":\"bob\",\"public_key\":\"$BOB_KEY\",\"ipv4\":\"10.77.0.20\",\"ipv6\":\"none\",\"allowed_ips\":[\"192.168.50.0/24\"],\"persistent_keepalive\":null,\"generate_preshared_key\":false}"
keep
assert_eq "bob's fields" "10.77.0.20 None False False" \
  "$(fields ipv4 ipv6 has_private_key has_preshared_key <"$TMPD/body")"
assert_eq "bob's allowed ips" '["10.77.0.20/32", "192.168.50.0/24"]' "$(json 'd["allowed_ips"]' <"$TMPD/body")"
expect_status "create carol, disabled, expiring in the past" 201 POST /api/v1/peers \
  '{"name":"carol","enabled":false,"expires_at":"2001-01-01T00:00:00Z","managed_by":"provisioning"}'
keep
assert_eq "carol expired" True "$(json 'd["expired"]' <"$TMPD/body")"
CAROL_KEY=$(json 'd["public_key"]' <"$TMPD/body")

expect_status "list" 200 GET /api/v1/peers
assert_eq "list: total and defaults" "3 100 0" "$(fields total limit offset <"$TMPD/body")"
assert_eq "list: ordered by id" '["alice", "bob", "carol"]' "$(json '[p["name"] for p in d["peers"]]' <"$TMPD/body")"
expect_status "list filtered by name" 200 GET '/api/v1/peers?name=LIC'
assert_eq "name filter (case-insensitive substring)" '["alice"]' "$(json '[p["name"] for p in d["peers"]]' <"$TMPD/body")"
expect_status "list filtered by enabled" 200 GET '/api/v1/peers?enabled=false'
assert_eq "enabled filter" '["carol"]' "$(json '[p["name"] for p in d["peers"]]' <"$TMPD/body")"
expect_status "list filtered by managed_by" 200 GET '/api/v1/peers?managed_by=provisioning'
assert_eq "managed_by filter" '["carol"]' "$(json '[p["name"] for p in d["peers"]]' <"$TMPD/body")"
expect_status "list paged" 200 GET '/api/v1/peers?limit=1&offset=1'
assert_eq "paging" '3 ["bob"]' "$(json 'str(d["total"]) + " " + json.dumps([p["name"] for p in d["peers"]])' <"$TMPD/body")"

expect_status "get by id" 200 GET "/api/v1/peers/$ALICE_ID"
assert_eq "get by id" alice "$(json 'd["name"]' <"$TMPD/body")"
expect_status "get by name" 200 GET /api/v1/peers/alice
ENC_BOB=$("$PY" -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$BOB_KEY")
expect_status "get by URL-encoded public key" 200 GET "/api/v1/peers/$ENC_BOB"
assert_eq "get by key" bob "$(json 'd["name"]' <"$TMPD/body")"
on_interface "$CAROL_KEY" && fail "carol (disabled, expired) is on the interface"
pass "carol is not on the interface"

REV=$(json 'd["revision"]' <<<"$ALICE")
expect_status "update alice" 200 PATCH /api/v1/peers/alice \
  "{\"description\":\"work laptop\",\"persistent_keepalive\":15,\"revision\":$REV}"
keep
assert_eq "update applied" "work laptop 15" "$(fields description persistent_keepalive <"$TMPD/body")"
wait_until 3 "keepalive 15 on the interface" bash -c "ip netns exec $NS_S wg show $IF_S persistent-keepalive | grep -q '$ALICE_KEY.15'"
pass "the interface follows the update"
expect_status "update with a stale revision" 409 PATCH /api/v1/peers/alice "{\"description\":\"x\",\"revision\":$REV}"
assert_eq "stale revision: code" conflict "$(json 'd["error"]["code"]' <"$TMPD/body")"

api GET /api/v1/peers/alice/config "" -D "$TMPD/headers" >"$TMPD/alice.conf"
assert_eq "config status" 200 "$(status)"
grep -qi '^content-disposition: attachment; filename="alice.conf"' "$TMPD/headers" || fail "config: no Content-Disposition: $(cat "$TMPD/headers")"
grep -q "^PrivateKey = " "$TMPD/alice.conf" || fail "config has no PrivateKey: $(cat "$TMPD/alice.conf")"
grep -q "^Address = 10.77.0.2/32" "$TMPD/alice.conf" || fail "config address: $(cat "$TMPD/alice.conf")"
grep -q "^PublicKey = $SERVER_PUB" "$TMPD/alice.conf" || fail "config server key"
grep -q "^Endpoint = $OUT_S:$WG_PORT" "$TMPD/alice.conf" || fail "config endpoint"
grep -q "^DNS = 10.77.0.1" "$TMPD/alice.conf" || fail "config DNS"
pass "GET config: a wg-quick file with the peer's key, address, DNS and the server"
api GET /api/v1/peers/alice/qr.png >"$TMPD/alice.png"
assert_eq "qr.png status" 200 "$(status)"
[[ $(head -c 8 "$TMPD/alice.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "qr.png is not a PNG"
if command -v zbarimg >/dev/null; then
  zbarimg -q --raw "$TMPD/alice.png" >"$TMPD/decoded" 2>/dev/null || fail "zbarimg cannot decode qr.png"
  diff <(sed '/^$/d' "$TMPD/decoded") <(sed '/^$/d' "$TMPD/alice.conf") >/dev/null || fail "qr.png does not decode to the config"
  pass "qr.png decodes (zbarimg) to the config"
fi
api GET /api/v1/peers/alice/qr.svg >"$TMPD/alice.svg"
assert_eq "qr.svg status" 200 "$(status)"
grep -q "<svg" "$TMPD/alice.svg" || fail "qr.svg is not SVG"
expect_status "config of a peer whose key the client holds" 409 GET /api/v1/peers/bob/config
assert_eq "no_private_key code" no_private_key "$(json 'd["error"]["code"]' <"$TMPD/body")"
expect_status "QR of a peer whose key the client holds" 409 GET /api/v1/peers/bob/qr.png

expect_status "disable bob" 200 POST /api/v1/peers/bob/disable
assert_eq "bob disabled" False "$(json 'd["enabled"]' <"$TMPD/body")"
wait_until 2 "bob off the interface" off_interface "$BOB_KEY"
pass "disabled bob left the interface within ${WAITED_MS} ms"
expect_status "enable bob" 200 POST /api/v1/peers/bob/enable
wait_until 2 "bob back on the interface" on_interface "$BOB_KEY"
pass "enabled bob is back within ${WAITED_MS} ms"

log "=== hosts file"
block_ok() {
  grep -qx "10.77.0.2 alice alice.vpn" "$HOSTS" && grep -qx "fd77::2 alice alice.vpn" "$HOSTS" &&
    grep -qx "10.77.0.20 bob bob.vpn" "$HOSTS"
}
wait_until 5 "hosts block with alice and bob" block_ok
grep -q "carol" "$HOSTS" && fail "the inactive carol is in the hosts file"
head -n 3 "$HOSTS" | diff - <(printf '127.0.0.1\tlocalhost\n# the administrator'"'"'s comment\n192.0.2.50 printer\n') >/dev/null ||
  fail "the hosts file's own lines changed: $(cat "$HOSTS")"
grep -qx "# BEGIN wgd (interface $IF_S)" "$HOSTS" || fail "no BEGIN marker: $(cat "$HOSTS")"
assert_eq "hosts file mode kept" 644 "$(stat -c %a "$HOSTS")"
pass "hosts file: the active peers' names in a marked block, other lines untouched"

log "=== invalid input: 4xx, and nothing changes"
snapshot() {
  api GET '/api/v1/peers?limit=1000' |
    "$PY" -c 'import json,sys; d=json.load(sys.stdin); [p.pop("status") for p in d["peers"]]; print(json.dumps(d, sort_keys=True, indent=1))'
  dump_peers | cut -f1,2,4,8 | sort
}
snapshot >"$TMPD/before"
# bad_request DESCRIPTION STATUS CODE FIELD METHOD PATH [BODY]
bad_request() {
  local what=$1 code=$2 ecode=$3 field=$4
  shift 4
  expect_status "$what" "$code" "$@"
  keep
  local got
  got=$(json 'd["error"]["code"] + " " + d["error"].get("field", "-")' <"$TMPD/body")
  [[ $got == "$ecode $field" ]] || fail "$what: error '$got', expected '$ecode $field': $(cat "$TMPD/body")"
}
bad_request "bad public key" 400 invalid_field public_key POST /api/v1/peers '{"name":"x1","public_key":"not-a-key"}'
bad_request "public key of 32 zero bytes" 400 invalid_field public_key POST /api/v1/peers \
  '{"name":"x1","public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}'
bad_request "bad preshared key" 400 invalid_field preshared_key POST /api/v1/peers '{"name":"x1","preshared_key":"abc"}'
bad_request "bad CIDR in allowed_ips" 400 invalid_field allowed_ips POST /api/v1/peers '{"name":"x1","allowed_ips":["10.9.0.0/33"]}'
bad_request "bad CIDR in client_allowed_ips" 400 invalid_field client_allowed_ips POST /api/v1/peers '{"name":"x1","client_allowed_ips":["nope"]}'
bad_request "extra route already routed to bob" 409 conflict allowed_ips POST /api/v1/peers '{"name":"x1","allowed_ips":["192.168.50.0/24"]}'
bad_request "name clash" 409 conflict name POST /api/v1/peers '{"name":"alice"}'
bad_request "name clash, other case" 409 conflict name POST /api/v1/peers '{"name":"ALICE"}'
bad_request "invalid name" 400 invalid_field name POST /api/v1/peers '{"name":"bad name!"}'
bad_request "missing name" 400 invalid_field name POST /api/v1/peers '{"description":"no name"}'
bad_request "name of the wrong type" 400 invalid_field name POST /api/v1/peers '{"name":42}'
bad_request "duplicate public key" 409 conflict public_key POST /api/v1/peers "{\"name\":\"x1\",\"public_key\":\"$BOB_KEY\"}"
bad_request "address outside the subnet" 400 invalid_field ipv4 POST /api/v1/peers '{"name":"x1","ipv4":"10.99.0.5"}'
bad_request "IPv6 address outside the subnet" 400 invalid_field ipv6 POST /api/v1/peers '{"name":"x1","ipv6":"fd00:1::5"}'
bad_request "address already taken" 409 conflict ipv4 POST /api/v1/peers '{"name":"x1","ipv4":"10.77.0.2"}'
bad_request "the server's address" 409 conflict ipv4 POST /api/v1/peers '{"name":"x1","ipv4":"10.77.0.1"}'
bad_request "the network address" 400 invalid_field ipv4 POST /api/v1/peers '{"name":"x1","ipv4":"10.77.0.0"}'
bad_request "the broadcast address" 400 invalid_field ipv4 POST /api/v1/peers '{"name":"x1","ipv4":"10.77.0.255"}'
bad_request "not an address" 400 invalid_field ipv4 POST /api/v1/peers '{"name":"x1","ipv4":"10.77.0"}'
bad_request "unknown field" 400 invalid_field bogus POST /api/v1/peers '{"name":"x1","bogus":1}'
bad_request "keepalive out of range" 400 invalid_field persistent_keepalive POST /api/v1/peers '{"name":"x1","persistent_keepalive":70000}'
bad_request "bad expiry" 400 invalid_field expires_at POST /api/v1/peers '{"name":"x1","expires_at":"tomorrow"}'
bad_request "bad DNS entry" 400 invalid_field dns POST /api/v1/peers '{"name":"x1","dns":["bad dns!"]}'
bad_request "malformed JSON" 400 invalid_json - POST /api/v1/peers '{"name": "x1",'
bad_request "JSON that is not an object" 400 invalid_json - POST /api/v1/peers '["x1"]'
bad_request "malformed JSON in an update" 400 invalid_json - PATCH /api/v1/peers/alice '{'
bad_request "rename onto a taken name" 409 conflict name PATCH /api/v1/peers/alice '{"name":"bob"}'
bad_request "move onto a taken address" 409 conflict ipv4 PATCH /api/v1/peers/alice '{"ipv4":"10.77.0.20"}'
bad_request "update with a bad CIDR" 400 invalid_field allowed_ips PATCH /api/v1/peers/alice '{"allowed_ips":["300.1.1.1/8"]}'
bad_request "list: limit above 1000" 400 invalid_field limit GET '/api/v1/peers?limit=5000'
bad_request "list: enabled not a boolean" 400 invalid_field enabled GET '/api/v1/peers?enabled=maybe'
for req in "GET /api/v1/peers/nobody" "PATCH /api/v1/peers/nobody" "DELETE /api/v1/peers/nobody" \
  "POST /api/v1/peers/nobody/enable" "POST /api/v1/peers/nobody/disable" "GET /api/v1/peers/nobody/config" \
  "GET /api/v1/peers/nobody/qr.png" "GET /api/v1/peers/999999"; do
  # shellcheck disable=SC2086
  bad_request "unknown peer ($req)" 404 not_found - $req $([[ $req == PATCH* ]] && echo '{"description":"x"}')
done
# Tokens: none, wrong, wrong scheme. Every endpoint that needs one refuses with 401 + WWW-Authenticate.
for hdr in "" "Authorization: Bearer wrong-token" "Authorization: Basic $(printf 'x:%s' "$TOKEN" | base64 -w0)" "Authorization: Bearer"; do
  for req in "GET /api/v1/server" "GET /api/v1/status" "GET /api/v1/peers" "POST /api/v1/peers" \
    "GET /api/v1/peers/alice" "PATCH /api/v1/peers/alice" "DELETE /api/v1/peers/alice" \
    "POST /api/v1/peers/alice/disable" "GET /api/v1/peers/alice/config" "GET /api/v1/peers/alice/qr.svg" \
    "POST /api/v1/keys" "POST /api/v1/token/rotate" "GET /metrics" "GET /keys" "GET /info/conf"; do
    set -- $req
    code=$(in_s curl -s -o "$TMPD/body" -D "$TMPD/headers" -w '%{http_code}' -X "$1" ${hdr:+--header "$hdr"} \
      --header 'Content-Type: application/json' --data-raw '{"name":"x2","description":"x"}' "$API$2")
    [[ $code == 401 ]] || fail "$req with '${hdr:-no header}' answered $code, expected 401: $(cat "$TMPD/body")"
    grep -qi '^www-authenticate: bearer' "$TMPD/headers" || fail "$req: 401 without WWW-Authenticate: Bearer"
    [[ $(json 'd["error"]["code"]' <"$TMPD/body") == unauthorized ]] || fail "$req: 401 body $(cat "$TMPD/body")"
  done
done
pass "missing, wrong and non-Bearer tokens: 401 unauthorized with WWW-Authenticate on every protected endpoint"
snapshot >"$TMPD/after"
diff -u "$TMPD/before" "$TMPD/after" >"$TMPD/diff" || fail "a refused request changed the store or the interface: $(cat "$TMPD/diff")"
pass "after every refused request the store and the interface are exactly as before"

log "=== metrics"
expect_status "metrics" 200 GET /metrics
cp "$TMPD/body" "$TMPD/metrics.txt"
VERSION=$(api GET /api/v1/server | json 'd["version"]')
check metrics --file "$TMPD/metrics.txt" --expect 'wgd_peers{state="total"}=3' 'wgd_peers{state="enabled"}=2' \
  'wgd_peers{state="active"}=2' 'wgd_peers{state="connected"}=0' \
  "wgd_peer_receive_bytes_total{name=\"alice\",public_key=\"$ALICE_KEY\"}=0" \
  "wgd_peer_transmit_bytes_total{name=\"alice\",public_key=\"$ALICE_KEY\"}=*" \
  "wgd_peer_latest_handshake_seconds{name=\"bob\",public_key=\"$BOB_KEY\"}=0" \
  'wgd_api_requests_total=*' 'wgd_api_errors_total=*' 'wgd_api_auth_failures_total=*' \
  "wgd_build_info{version=\"$VERSION\"}=1" >"$TMPD/metrics-check" 2>&1 || fail "$(cat "$TMPD/metrics-check")"
pass "$(cat "$TMPD/metrics-check")"
auth_failures=$(grep '^wgd_api_auth_failures_total ' "$TMPD/metrics.txt" | cut -d' ' -f2)
((auth_failures >= 60)) || fail "wgd_api_auth_failures_total is $auth_failures after 60 refused requests"
errors=$(grep '^wgd_api_errors_total ' "$TMPD/metrics.txt" | cut -d' ' -f2)
((errors >= 100)) || fail "wgd_api_errors_total is $errors after more than 100 4xx answers"
pass "API counters count: $auth_failures auth failures, $errors errors"

log "=== OpenAPI document against the routes and the running server"
check openapi --yaml "$REPO_DIR/docs/openapi.yaml" --sources "$REPO_DIR/src/serve/api" "$REPO_DIR/src/serve/fleet" \
  --live-skip /api/v1/fleet/ --api "$API" --token="$TOKEN" \
  >"$TMPD/openapi-check" 2>&1 || fail "$(cat "$TMPD/openapi-check")"
pass "$(cat "$TMPD/openapi-check")"
# The check above rotated the token last: read the new one.
TOKEN=$(cat "$DATA/api-token")
AUTH="Authorization: Bearer $TOKEN"

log "=== delete, token rotation"
expect_status "delete bob" 204 DELETE "/api/v1/peers/$ENC_BOB"
wait_until 2 "bob off the interface after delete" off_interface "$BOB_KEY"
expect_status "bob is gone" 404 GET /api/v1/peers/bob
expect_status "rotate the token" 200 POST /api/v1/token/rotate
NEW=$(json 'd["token"]' <"$TMPD/body")
[[ $NEW != "$TOKEN" && ${#NEW} -ge 43 ]] || fail "rotation returned '$NEW'"
expect_status "the old token is refused" 401 GET /api/v1/server
AUTH="Authorization: Bearer $NEW"
expect_status "the new token works" 200 GET /api/v1/server
assert_eq "the token file holds the new token" "$NEW" "$(cat "$DATA/api-token")"
assert_eq "token file mode" 600 "$(stat -c %a "$DATA/api-token")"
assert_eq "database mode" 600 "$(stat -c %a "$DATA/wgd.db")"

grep -qF "$SERVER_KEY" "$ALL_BODIES" "$TMPD/alice.conf" && fail "a response contained the server's private key"
grep -qF "$SERVER_KEY" "$TMPD/serve.log" && fail "the log contains the server's private key"
pass "no response and no log line contains the server's private key"
stop_server
pass "SIGTERM: clean exit"
