#!/usr/bin/env bash
# Lifecycle of `wgd tunnel`: going to the background returns only once the UAPI socket serves
# (so `wgd tunnel X && wg show X` needs no sleep); it ends cleanly, removing its socket and its
# interface, on SIGTERM, on SIGINT, when the interface is deleted, and when its socket is
# removed (what wg-quick down does); a stale socket left by a killed instance does not block a
# new one; a second instance on a name in use fails clearly and leaves the first one alone;
# listen-port 0 picks a free port; fwmark set with `wg set` is on the UDP sockets (ss shows the
# socket mark), also after the sockets are rebound. Only namespace a of lib.sh is used.
source "$(dirname "$0")/lib.sh"
lib_init l
make_namespaces

# wgd_pid NS IFNAME: the pid of the wgd process serving IFNAME in NS (empty if none).
wgd_pid() {
  local p
  for p in $(ip netns pids "$1"); do
    [[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" == *"tunnel"*" $2 " ]] && echo "$p"
  done
  return 0
}
# gone_within PID SECONDS: true once PID has ended. A zombie has ended too: a daemon's parent
# is then init, which may take a while to reap it.
gone_within() {
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" == Z ]] && return 0
    sleep 0.05
  done
  return 1
}
# assert_removed NAME IFNAME: the socket and the interface are gone.
assert_removed() {
  [[ ! -e $UAPI_DIR/$2.sock ]] || fail "$1: $UAPI_DIR/$2.sock still exists after wgd ended"
  ! ip -n "$NS_A" link show "$2" >/dev/null 2>&1 || fail "$1: interface $2 still exists after wgd ended"
  pass "$1: socket and interface removed"
}
# --- background start: socket first, then return -------------------------------------------
for i in 1 2 3 4 5; do
  ifn=${PFX}$i
  in_ns "$NS_A" "$WGD" tunnel "$ifn" || fail "wgd tunnel $ifn (background) exited with $?"
  # No sleep on purpose: the parent returns after the socket exists.
  in_ns "$NS_A" wg show "$ifn" >/dev/null || fail "wg show $ifn right after 'wgd tunnel $ifn' returned failed"
  port=$(in_ns "$NS_A" wg show "$ifn" listen-port)
  [[ $port -gt 0 ]] || fail "a new interface should listen on a random port, shows '$port'"
  pid=$(wgd_pid "$NS_A" "$ifn")
  [[ -n $pid ]] || fail "no wgd process found for $ifn after the background start"
  kill -TERM "$pid"
  gone_within "$pid" 5 || fail "background wgd ($ifn, pid $pid) still running 5 s after SIGTERM"
  assert_removed "background wgd, SIGTERM (round $i)" "$ifn"
done
pass "'wgd tunnel X && wg show X' works with no sleep (5 rounds), each with a random listen port"

# --- foreground: SIGTERM, SIGINT --------------------------------------------------------------
for sig in TERM INT; do
  ifn=${PFX}f
  # A background job of a script starts with SIGINT ignored (bash does that without job
  # control); wgd must stop on it all the same, as wireguard-go does (a signal that is blocked
  # for a signalfd is still queued although its disposition is "ignore").
  ip netns exec "$NS_A" "$WGD" tunnel --foreground --log stderr "$ifn" >"$TMPD/$ifn-$sig.log" 2>&1 &
  pid=$!
  STARTED_PIDS+=("$pid")
  wait_socket "$ifn"
  in_ns "$NS_A" wg show "$ifn" >/dev/null
  kill -"$sig" "$pid"
  gone_within "$pid" 5 || fail "wgd --foreground still running 5 s after SIG$sig"
  rc=0
  wait "$pid" || rc=$?
  assert_eq "SIG$sig: wgd exit status" 0 "$rc"
  assert_removed "SIG$sig" "$ifn"
done

# --- the interface deleted, the socket removed ---------------------------------------------------
ifn=${PFX}d
start_peer wgd "$NS_A" "$ifn"
pid=$LAST_PID
ip -n "$NS_A" link del "$ifn"
gone_within "$pid" 5 || fail "wgd still running 5 s after 'ip link del $ifn'"
rc=0
wait "$pid" || rc=$?
link_del_rc=$rc  # checked at the end, so that the checks below still run when this one fails
assert_removed "ip link del" "$ifn"

start_peer wgd "$NS_A" "$ifn"
pid=$LAST_PID
rm "$UAPI_DIR/$ifn.sock"
gone_within "$pid" 5 || fail "wgd still running 5 s after its socket was removed (wg-quick down does this)"
rc=0
wait "$pid" || rc=$?
assert_eq "socket removed: wgd exit status" 0 "$rc"
assert_removed "socket removed" "$ifn"

# --- a stale socket from a killed instance -------------------------------------------------------
ifn=${PFX}k
start_peer wgd "$NS_A" "$ifn"
kill -KILL "$LAST_PID"
wait "$LAST_PID" 2>/dev/null || true
[[ -S $UAPI_DIR/$ifn.sock ]] || fail "test premise: SIGKILL should leave the socket behind"
start_peer wgd "$NS_A" "$ifn"
in_ns "$NS_A" wg show "$ifn" >/dev/null || fail "wgd started over a stale socket does not answer"
pass "a stale socket left by SIGKILL does not block a new instance"
first=$LAST_PID

# --- a second instance on a name in use ----------------------------------------------------------
port=$(in_ns "$NS_A" wg show "$ifn" listen-port)
for mode in --foreground ""; do
  rc=0
  out=$(in_ns "$NS_A" timeout 10 "$WGD" tunnel $mode "$ifn" 2>&1) || rc=$?
  [[ $rc -ne 0 && $rc -ne 124 ]] || fail "second 'wgd tunnel $mode $ifn' exited with $rc (124 = still running after 10 s); output: $out"
  grep -q "$ifn" <<<"$out" || fail "second 'wgd tunnel $mode $ifn' failed without naming the interface: '$out'"
  log "   second instance ($mode): exit $rc: $out"
  kill -0 "$first" 2>/dev/null || fail "the first instance died when a second one was started"
  [[ -S $UAPI_DIR/$ifn.sock ]] || fail "a second instance removed the first one's socket"
  assert_eq "first instance still answers on its socket" "$port" "$(in_ns "$NS_A" wg show "$ifn" listen-port)"
done
# The same name in another namespace: the TUN name is free there, the socket path is not.
rc=0
out=$(in_ns "$NS_B" timeout 10 "$WGD" tunnel --foreground "$ifn" 2>&1) || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "'wgd tunnel $ifn' in a second namespace exited with $rc although the UAPI socket is in use; output: $out"
grep -q "$ifn" <<<"$out" || fail "same name in another namespace failed without naming the interface: '$out'"
log "   same name, other namespace: exit $rc: $out"
! ip -n "$NS_B" link show "$ifn" >/dev/null 2>&1 || fail "the refused instance left interface $ifn behind in $NS_B"
assert_eq "first instance still answers after the other namespace tried its name" "$port" \
  "$(in_ns "$NS_A" wg show "$ifn" listen-port)"

# --- listen-port 0, fwmark ---------------------------------------------------------------------
# sockets_of PID: the UDP sockets of PID as "address:port fwmark" lines (fwmark - if none).
sockets_of() {
  in_ns "$NS_A" ss -uapneH 2>/dev/null | awk -v pat="pid=$1," 'index($0, pat) {
    m = "-"; for (i = 1; i <= NF; i++) if ($i ~ /^fwmark:/) m = substr($i, 8)
    print $4, m }'
}
in_ns "$NS_A" wg set "$ifn" listen-port 0
port=$(in_ns "$NS_A" wg show "$ifn" listen-port)
[[ $port -gt 0 ]] || fail "listen-port 0 shows port '$port'"
socks=$(sockets_of "$first")
grep -q ":$port " <<<"$socks" || fail "listen-port 0 -> $port, but wgd has no socket on it: $socks"
# The sockets of the previous port must be closed: a port wgd no longer reports must be free.
stale=$(grep -v ":$port " <<<"$socks" || true)
[[ -z $stale ]] || fail "after listen-port 0 -> $port wgd still holds sockets on its old port: ${stale//$'\n'/, }"
pass "listen-port 0 picked free port $port and wgd listens on it (${socks//$'\n'/, })"

in_ns "$NS_A" wg set "$ifn" fwmark 0x1234
assert_eq "wg show fwmark" 0x1234 "$(in_ns "$NS_A" wg show "$ifn" fwmark)"
socks=$(sockets_of "$first")
if [[ -z $socks ]] || grep -qv ' 0x1234$' <<<"$socks"; then fail "fwmark 0x1234 not on every wgd socket: $socks"; fi
pass "fwmark 0x1234 is on every UDP socket (${socks//$'\n'/, })"
in_ns "$NS_A" wg set "$ifn" listen-port 0
socks=$(sockets_of "$first")
if [[ -z $socks ]] || grep -qv ' 0x1234$' <<<"$socks"; then
  fail "after rebinding (listen-port 0) the new sockets lost fwmark 0x1234: $socks"
fi
pass "fwmark kept on the rebound sockets (${socks//$'\n'/, })"
in_ns "$NS_A" wg set "$ifn" fwmark 0
socks=$(sockets_of "$first")
! grep -q ' 0x' <<<"$socks" || fail "fwmark 0 should clear the mark: $socks"
pass "fwmark 0 clears the mark (${socks//$'\n'/, })"

assert_eq "ip link del: wgd exit status (0: a deleted interface is a normal way to stop)" 0 "$link_del_rc"
log "lifecycle: all checks passed"
