#!/usr/bin/env bash
# `cmake --install BUILD --prefix TMP` (and once more with DESTDIR): the binaries, the systemd
# units with ExecStart/ExecStop naming TMP/bin/wgd, the man pages (when help2man was found) and
# help texts for the subcommands; `systemd-analyze verify` on the units where systemd is
# installed. Usage: install_test.sh BUILD_DIR (CTest passes it, and WGD_HELP2MAN).
set -euo pipefail
build=${1:?usage: install_test.sh BUILD_DIR}
tmp=$(mktemp -d /tmp/wgd-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  fail "cmake --install failed: $(tail -20 "$tmp/install.log")"

[[ -x $prefix/bin/wgd ]] || fail "bin/wgd not installed"
[[ -L $prefix/bin/wgd-tunnel && $(readlink "$prefix/bin/wgd-tunnel") == wgd ]] ||
  fail "bin/wgd-tunnel should be a link to wgd"
"$prefix/bin/wgd" genkey | "$prefix/bin/wgd" pubkey >/dev/null || fail "installed wgd does not run"
ok "binaries: bin/wgd runs, bin/wgd-tunnel -> wgd"

units=$prefix/lib/systemd/system
for u in wgd.service wgd-up@.service wgd-up.target; do
  [[ -f $units/$u ]] || fail "unit $u not installed in lib/systemd/system"
  [[ $(stat -c %a "$units/$u") == 644 ]] || fail "unit $u should be mode 644"
done
grep -qx "ExecStart=$prefix/bin/wgd serve" "$units/wgd.service" ||
  fail "wgd.service: ExecStart should be $prefix/bin/wgd serve: $(grep Exec "$units/wgd.service")"
grep -qx "ExecStart=$prefix/bin/wgd up %i" "$units/wgd-up@.service" ||
  fail "wgd-up@.service: ExecStart should be $prefix/bin/wgd up %i"
grep -qx "ExecStop=$prefix/bin/wgd down %i" "$units/wgd-up@.service" ||
  fail "wgd-up@.service: ExecStop should be $prefix/bin/wgd down %i"
grep -qxF "ExecReload=/bin/bash -c 'exec wg syncconf %i <(exec $prefix/bin/wgd strip %i)'" \
  "$units/wgd-up@.service" || fail "wgd-up@.service: ExecReload should run $prefix/bin/wgd strip"
"$prefix/bin/wgd" strip --help >/dev/null 2>&1 || fail "ExecReload needs \`wgd strip\`, which the installed wgd lacks"
! grep -q '@WGD_' "$units"/* || fail "a unit still has a @WGD_...@ placeholder"
grep -qx "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE" "$units/wgd.service" ||
  fail "wgd.service must limit capabilities to NET_ADMIN and NET_BIND_SERVICE"
grep -qx "DeviceAllow=/dev/net/tun rw" "$units/wgd.service" || fail "wgd.service must allow /dev/net/tun"
ok "units: installed 644, Exec lines name $prefix/bin/wgd"

# Every subcommand wgd lists has a help text (and a man page with help2man); nested ones too.
subs=$("$prefix/bin/wgd" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[[ -n $subs ]] || fail "wgd --help lists no subcommands"
docdir=$prefix/share/doc/wgd/help
mandir=$prefix/share/man/man1
for s in "" $subs; do
  name=wgd${s:+-$s}
  if [[ $s == showconf ]]; then continue; fi  # wg's grammar: no --help text to make a page of
  [[ -s $docdir/$name.txt ]] || fail "no help text $docdir/$name.txt"
  if [[ -n ${WGD_HELP2MAN:-} ]]; then
    [[ -s $mandir/$name.1 ]] || fail "no man page $mandir/$name.1"
    grep -q '^\.TH' "$mandir/$name.1" || fail "$name.1 is not a man page"
  fi
done
grep -q "doctor" "$docdir/wgd.txt" || fail "wgd.txt should list the doctor subcommand"
if [[ -n ${WGD_HELP2MAN:-} ]]; then
  [[ -s $mandir/wgd-doctor-probe.1 ]] || fail "no page for the nested subcommand wgd doctor probe"
  if command -v man >/dev/null; then
    MANWIDTH=100 man -l "$mandir/wgd-doctor.1" 2>/dev/null | grep -q "listen" ||
      fail "man -l wgd-doctor.1 does not render the listen subcommand"
  fi
  ok "man pages: $(ls "$mandir" | wc -l) pages, one per subcommand (nested ones too)"
else
  ok "help texts: $(ls "$docdir" | wc -l) (help2man was not found: no man pages)"
fi

# DESTDIR: staged under it, the paths inside still the final ones.
DESTDIR=$tmp/stage cmake --install "$build" --prefix /opt/wgd >"$tmp/install2.log" 2>&1 ||
  fail "cmake --install with DESTDIR failed: $(tail -20 "$tmp/install2.log")"
staged=$tmp/stage/opt/wgd/lib/systemd/system/wgd.service
[[ -f $staged ]] || fail "DESTDIR install: $staged missing"
grep -qx "ExecStart=/opt/wgd/bin/wgd serve" "$staged" || fail "DESTDIR install: ExecStart should be /opt/wgd/bin/wgd serve"
ok "DESTDIR: staged under DESTDIR, ExecStart=/opt/wgd/bin/wgd serve"

if command -v systemd-analyze >/dev/null; then
  # verify checks the unit syntax, that ExecStart's binary exists and, with MANPATH pointing at
  # the installed pages, that every Documentation=man:... page exists.
  man_check=(--man=yes)
  [[ -n ${WGD_HELP2MAN:-} ]] || man_check=(--man=no)
  out=$(MANPATH=$prefix/share/man SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "${man_check[@]}" \
          "$units/wgd.service" "$units/wgd-up@.service" "$units/wgd-up.target" 2>&1) ||
    fail "systemd-analyze verify failed: $out"
  [[ -z $out ]] || fail "systemd-analyze verify reports: $out"
  ok "systemd-analyze verify: no complaints (${man_check[*]})"
else
  echo "systemd-analyze not installed: units not verified"
fi
