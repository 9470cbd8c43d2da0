#!/usr/bin/env bash
# `wgd peer add|list|show|config|qr|enable|disable|remove|update` against a running server:
# each command's effect seen through the API, --json printing the API's JSON, the QR code drawn
# as `qrencode -t ansiutf8` draws it and written as a 0600 PNG that decodes to the config, clear
# errors with exit code 1 (no server, wrong token, unknown peer, name taken), the address and
# token found from WGD_API_LISTEN/WGD_DATA_DIR, and the API over a unix socket.
source "$(dirname "$0")/serve_lib.sh"
sv_init p

start_server
peer() { in_s env WGD_API_LISTEN=127.0.0.1:$API_PORT WGD_DATA_DIR="$DATA" WGD_CONFIG=/dev/null "$WGD" peer "$@"; }
# run_ok DESCRIPTION ARGS...: exit 0; output in $TMPD/out, errors in $TMPD/err.
run_ok() {
  local what=$1
  shift
  peer "$@" >"$TMPD/out" 2>"$TMPD/err" || fail "$what: wgd peer $* failed: $(cat "$TMPD/err")"
  pass "$what"
}
# run_err DESCRIPTION PATTERN ARGS...: exit 1 and stderr matching PATTERN.
run_err() {
  local what=$1 pattern=$2 rc=0
  shift 2
  peer "$@" >"$TMPD/out" 2>"$TMPD/err" || rc=$?
  [[ $rc == 1 ]] || fail "$what: wgd peer $* exited $rc, expected 1: $(cat "$TMPD/err")"
  grep -qiE "$pattern" "$TMPD/err" || fail "$what: error '$(cat "$TMPD/err")' does not match /$pattern/"
  pass "$what: $(head -n 1 "$TMPD/err")"
}

run_ok "add alice" add alice --dns 10.77.0.1 --description "alice's laptop"
grep -q "^peer: alice" "$TMPD/out" || fail "add output: $(cat "$TMPD/out")"
run_ok "add bob --json with his own key" add bob --public-key "$(wg genkey | wg pubkey)" --ipv4 10.77.0.50 --ipv6 none --json
assert_eq "add --json prints the API's Peer" "bob 10.77.0.50 False" \
  "$(fields name ipv4 has_private_key <"$TMPD/out")"
run_err "a taken name" "409.*name" add alice
run_err "an address outside the subnet" "400.*ipv4" add carol --ipv4 10.99.0.1
run_err "a bad keepalive" "keepalive" add carol --keepalive soon

run_ok "list" list
head -n 1 "$TMPD/out" | grep -q "^ID  *NAME  *IPV4  *IPV6  *ENABLED  *HANDSHAKE" || fail "list header: $(cat "$TMPD/out")"
grep -q "alice  *10.77.0.2  *fd77::2  *yes  *never" "$TMPD/out" || fail "list row: $(cat "$TMPD/out")"
grep -q "bob  *10.77.0.50  *-  *yes" "$TMPD/out" || fail "list row bob: $(cat "$TMPD/out")"
run_ok "list --json" list --json
api GET /api/v1/peers >"$TMPD/api.json"
assert_eq "list --json is the API's list" "$(json '[p["name"] for p in d["peers"]]' <"$TMPD/api.json")" \
  "$(json '[p["name"] for p in d["peers"]]' <"$TMPD/out")"
run_ok "list --limit 1 --offset 1" list --limit 1 --offset 1 --json
assert_eq "paging" '["bob"]' "$(json '[p["name"] for p in d["peers"]]' <"$TMPD/out")"
run_ok "list --all --name ALI" list --all --name ALI --json
assert_eq "name filter" '["alice"]' "$(json '[p["name"] for p in d["peers"]]' <"$TMPD/out")"

run_ok "show alice" show alice
grep -q "public key: " "$TMPD/out" && grep -q "dns: 10.77.0.1" "$TMPD/out" || fail "show: $(cat "$TMPD/out")"
grep -qi "private key: kept by the server" "$TMPD/out" || fail "show: $(cat "$TMPD/out")"
ALICE_KEY=$(peer show alice --json | json 'd["public_key"]')
run_ok "show by public key (URL-encoded by the CLI)" show "$ALICE_KEY" --json
assert_eq "show by key" alice "$(json 'd["name"]' <"$TMPD/out")"
run_err "show an unknown peer" "404.*not found" show nobody

run_ok "config alice" config alice
api GET /api/v1/peers/alice/config >"$TMPD/api.conf"
cmp -s "$TMPD/out" "$TMPD/api.conf" || fail "config differs from the API's"
cp "$TMPD/out" "$TMPD/alice.conf"
run_ok "config --output" config alice --output "$TMPD/written.conf"
cmp -s "$TMPD/written.conf" "$TMPD/api.conf" || fail "config --output content"
assert_eq "config file mode" 600 "$(stat -c %a "$TMPD/written.conf")"
run_err "config of a peer whose key the client holds" "409" config bob

run_ok "qr alice" qr alice
if command -v qrencode >/dev/null; then
  qrencode -t ansiutf8 <"$TMPD/alice.conf" >"$TMPD/qrencode.txt"
  cmp -s "$TMPD/out" "$TMPD/qrencode.txt" || fail "wgd peer qr differs from qrencode -t ansiutf8"
  pass "the terminal QR code is byte for byte qrencode -t ansiutf8's"
else
  grep -q $'\e\[40;37;1m' "$TMPD/out" || fail "qr: no ANSI QR code"
fi
run_ok "qr --output" qr alice --output "$TMPD/alice.png"
assert_eq "PNG mode" 600 "$(stat -c %a "$TMPD/alice.png")"
if command -v zbarimg >/dev/null; then
  zbarimg -q --raw "$TMPD/alice.png" >"$TMPD/decoded" 2>/dev/null || fail "zbarimg cannot read the PNG"
  diff <(sed '/^$/d' "$TMPD/decoded") <(sed '/^$/d' "$TMPD/alice.conf") >/dev/null || fail "the PNG does not decode to the config"
  pass "the PNG decodes to the config"
fi

run_ok "disable alice" disable alice
grep -q "disabled" "$TMPD/out" || fail "disable output: $(cat "$TMPD/out")"
assert_eq "disabled in the store" False "$(api GET /api/v1/peers/alice | json 'd["enabled"]')"
wait_until 2 "alice off the interface" off_interface "$ALICE_KEY"
run_ok "enable alice --json" enable alice --json
assert_eq "enable --json" True "$(json 'd["enabled"]' <"$TMPD/out")"
run_ok "update alice" update alice --description "new text" --keepalive off --dns default --json
assert_eq "update applied" "new text None []" \
  "$(fields description persistent_keepalive dns <"$TMPD/out")"
rev=$(json 'd["revision"]' <"$TMPD/out")
run_err "update with a stale revision" "409" update alice --description x --revision $((rev - 1))
run_err "update with nothing to change" "nothing to change" update alice
run_ok "rename" update alice --name alice2
run_ok "remove" remove alice2
run_err "removed" "404" show alice2

log "=== errors outside the API"
run_err "no server at the address" "cannot connect.*running" list --api 127.0.0.1:1
run_err "a wrong token" "401 Unauthorized" list --token not-the-token
out=$(in_s env WGD_API_LISTEN=127.0.0.1:$API_PORT WGD_DATA_DIR=$TMPD/nowhere WGD_CONFIG=/dev/null "$WGD" peer list 2>&1) && fail "no token: succeeded"
grep -q "no token was sent" <<<"$out" || fail "no token: $out"
pass "no readable token file: 401 with a hint"
WGD_API_TOKEN=$TOKEN in_s env -u WGD_DATA_DIR WGD_CONFIG=/dev/null "$WGD" peer list --api 127.0.0.1:$API_PORT --json >/dev/null ||
  fail "WGD_API_TOKEN is not used"
pass "the token from WGD_API_TOKEN"
stop_server

log "=== the API on a unix socket"
SERVE_ENV=(WGD_API_LISTEN="unix:$TMPD/api.sock")
ip netns exec "$NS_S" env $(base_env | grep -v WGD_API_LISTEN) "${SERVE_ENV[@]}" "$WGD" serve >>"$TMPD/serve.log" 2>&1 &
SERVER_PID=$!
STARTED_PIDS+=("$SERVER_PID")
wait_until 10 "the unix socket" test -S "$TMPD/api.sock"
sock_peer() { env WGD_CONFIG=/dev/null "$WGD" peer "$@" --api "unix:$TMPD/api.sock" --data-dir "$DATA"; }
sock_peer list --json >"$TMPD/out" 2>"$TMPD/err" || fail "list over the unix socket: $(cat "$TMPD/err")"
assert_eq "list over the unix socket" '["bob"]' "$(json '[p["name"] for p in d["peers"]]' <"$TMPD/out")"
sock_peer add dave >/dev/null 2>"$TMPD/err" || fail "add over the unix socket: $(cat "$TMPD/err")"
pass "add over the unix socket"
rc=0
env WGD_CONFIG=/dev/null "$WGD" peer list --api "unix:$TMPD/none.sock" --data-dir "$DATA" >/dev/null 2>"$TMPD/err" || rc=$?
[[ $rc == 1 ]] && grep -q "cannot connect.*No such file" "$TMPD/err" || fail "missing socket: rc $rc $(cat "$TMPD/err")"
pass "a missing socket: $(cat "$TMPD/err")"
stop_server
