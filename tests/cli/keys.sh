#!/usr/bin/env bash
# wgd genkey / pubkey / genpsk against the stock wg (issue 2):
#   wg genkey | tee k | wg pubkey   equals   wgd pubkey < k, and the reverse;
#   wgd genpsk output is accepted by `wg set ... preshared-key` on a live interface;
#   malformed input: a clear error and exit code 1; wg's warning for world-readable output.
set -euo pipefail
WGD=${WGD:?set WGD to the wgd binary}
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespace)"; exit 77; }
tmp=$(mktemp -d)
ns=wgdkeys$$
cleanup() {
  ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true
  sleep 0.2
  ip netns del $ns 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }
cd "$tmp"
umask 077

for i in 1 2 3 4 5; do
  wg genkey | tee k1 | wg pubkey > p1
  "$WGD" pubkey < k1 > p2
  cmp -s p1 p2 || fail "wgd pubkey differs from wg pubkey for a wg key"
  "$WGD" genkey | tee k2 | "$WGD" pubkey > q1
  wg pubkey < k2 > q2
  cmp -s q1 q2 || fail "wg pubkey differs from wgd pubkey for a wgd key"
done
ok "wg genkey | wgd pubkey == wg pubkey, and the reverse (5 keys each)"

[ "$(wc -c < k2)" -eq 45 ] && grep -qE '^[A-Za-z0-9+/]{43}=$' k2 || fail "genkey output is not 44 base64 characters and a newline"
"$WGD" genpsk > psk
grep -qE '^[A-Za-z0-9+/]{43}=$' psk || fail "genpsk output is not a base64 key"
[ "$("$WGD" genpsk)" != "$("$WGD" genpsk)" ] || fail "two genpsk calls gave the same key"
ok "genkey/genpsk print one base64 key and a newline; keys differ"

# Clamping is as wg's: the private key's first and last bytes have the X25519 bits set.
python3 - k2 <<'PY' || fail "genkey output is not clamped"
import base64, sys
k = base64.b64decode(open(sys.argv[1]).read())
assert k[0] & 7 == 0 and k[31] & 128 == 0 and k[31] & 64 == 64
PY
ok "genkey output is clamped"

ip netns add $ns
ip netns exec $ns "$WGD" tunnel wgdkeys$$
ip netns exec $ns wg set wgdkeys$$ private-key k2 peer "$(cat p1)" preshared-key psk \
  || fail "wg set refused a wgd genpsk key"
[ "$(ip netns exec $ns wg show wgdkeys$$ preshared-keys | cut -f2)" = "$(cat psk)" ] \
  || fail "the preshared key did not round-trip"
ok "wg set accepts wgd genpsk output and reads it back"

check_bad() {  # input, expected message
  set +e
  printf '%s' "$1" | "$WGD" pubkey > out 2> err
  rc=$?
  set -e
  [ $rc -eq 1 ] || fail "pubkey exit code $rc for input '$1' (want 1)"
  grep -q "$2" err || fail "pubkey error for '$1' was '$(cat err)', want '$2'"
  [ ! -s out ] || fail "pubkey printed output for a bad key"
}
check_bad "" "not the correct length or format"
check_bad "abc" "not the correct length or format"
check_bad "$(cat k1 | tr 'A-Z' 'a-z' | head -c 43)!" "not the correct length or format"
check_bad "$(head -c 43 k1)A" "not the correct length or format"   # no padding
check_bad "$(cat k1) extra" "Trailing characters found after key"
printf '%s\n\n  \n' "$(cat k1)" | "$WGD" pubkey > out || fail "trailing white space after a key must be accepted"
cmp -s out p1 || fail "pubkey with trailing white space gave another key"
ok "malformed keys: clear error, exit 1, nothing printed; trailing white space accepted"

umask 022
"$WGD" genkey > world 2> warn
grep -q "Warning: writing to world accessible file" warn || fail "no warning for a world-readable key file"
umask 077
"$WGD" genkey > private 2> warn
[ ! -s warn ] || fail "warning printed for a private file: $(cat warn)"
"$WGD" genkey 2> warn | cat > /dev/null
[ ! -s warn ] || fail "warning printed for a pipe"
ok "world-readable output file warns like wg; private file and pipe do not"
echo "keys: all checks passed"
