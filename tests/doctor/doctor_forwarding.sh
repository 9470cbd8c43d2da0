#!/usr/bin/env bash
# Forwarding and NAT for peers that route through the server (the linuxserver users'
# ALLOWEDIPS=0.0.0.0/0, seeds 001/004), inside namespace A with a default route via B:
#   net.ipv4.ip_forward=0, no NAT rule        -> two [fail]s naming the sysctl and the missing rule
#   nothing says peers route through          -> [ok], no forwarding demanded
#   ip_forward=1 + iptables MASQUERADE         -> [ok]s naming the rule
#   FORWARD policy DROP                        -> [fail] naming the policy
#   the MASQUERADE rule in nft instead         -> [ok] naming the nft table
# Topology: see doctor_lib.sh (only A's tunnel, with one peer).
source "$(dirname "$0")/doctor_lib.sh"
doc_init fwd
make_namespaces

start_tunnel "$NS_A" "$IF_A"
in_ns "$NS_A" wg set "$IF_A" listen-port $PORT_A private-key <(wg genkey) \
  peer "$(wg genkey | wg pubkey)" allowed-ips "$IN_B/32"
ip -n "$NS_A" addr add "$IN_A/24" dev "$IF_A"
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_A" route add default via $OUT_B dev "$VETH_A"
in_ns "$NS_A" sysctl -qw net.ipv4.ip_forward=0
SECTION="forwarding and NAT for $IF_A"

# forwarding_part FILE: the lines of the forwarding section only.
forwarding_part() {
  awk -v h="$SECTION" '$0 == h {on = 1; next} /^[^ ]/ {on = 0} on' "$1" >"$1.fwd"
}

# --- ALLOWEDIPS=0.0.0.0/0, forwarding off, no NAT ---------------------------------------------
RC=0
in_ns "$NS_A" env ALLOWEDIPS=0.0.0.0/0 "$WGD" doctor "$IF_A" --sample 0 \
  >"$TMPD/off.out" 2>&1 || RC=$?
cat "$TMPD/off.out" >>"$TMPD/doctor.log"
[[ $RC -eq 1 ]] || fail "forwarding off with ALLOWEDIPS=0.0.0.0/0: doctor should exit 1, got $RC"
forwarding_part "$TMPD/off.out"
expect_line "$TMPD/off.out.fwd" \
  "[fail] IPv4 forwarding is off (net.ipv4.ip_forward=0) but ALLOWEDIPS=0.0.0.0/0 sends peers' traffic for 0.0.0.0/0 through this host" \
  "forwarding off is a failure when ALLOWEDIPS routes through the server"
expect_line "$TMPD/off.out.fwd" \
  "[fail] no MASQUERADE or SNAT rule for 10.98.0.0/24: peers' packets leave via $VETH_A" \
  "missing NAT is a failure"
expect_line "$TMPD/off.out.fwd" "iptables -t nat -A POSTROUTING -s 10.98.0.0/24 -o $VETH_A -j MASQUERADE" \
  "the fix names the subnet and the uplink"

# --- nothing says peers route through this host ----------------------------------------------
doctor "$NS_A" "$TMPD/plain.out" "$IF_A" --sample 0
forwarding_part "$TMPD/plain.out"
expect_line "$TMPD/plain.out.fwd" "[ok]   nothing says peers route through this host" "no gateway role: nothing demanded"
refute_line "$TMPD/plain.out.fwd" "[fail]" "no gateway role: no failure"

# --- forwarding on, MASQUERADE with iptables -------------------------------------------------
in_ns "$NS_A" sysctl -qw net.ipv4.ip_forward=1
in_ns "$NS_A" iptables -t nat -A POSTROUTING -s 10.98.0.0/24 -o "$VETH_A" -j MASQUERADE
doctor "$NS_A" "$TMPD/on.out" "$IF_A" --sample 0 --gateway
forwarding_part "$TMPD/on.out"
expect_line "$TMPD/on.out.fwd" "[ok]   IPv4 forwarding is on (net.ipv4.ip_forward=1)" "forwarding on"
expect_line "$TMPD/on.out.fwd" \
  "[ok]   traffic from 10.98.0.0/24 leaving via $VETH_A is source-NATed by rule \"-A POSTROUTING -s 10.98.0.0/24 -o $VETH_A -j MASQUERADE\" (iptables -t nat, chain POSTROUTING)" \
  "MASQUERADE rule found and named"
expect_line "$TMPD/on.out.fwd" "[ok]   the firewall forwards IPv4 traffic from $IF_A and its replies" "FORWARD open"
refute_line "$TMPD/on.out.fwd" "[fail]" "gateway complete: no failure"

# --- FORWARD policy DROP (what Docker sets) ---------------------------------------------------
in_ns "$NS_A" iptables -P FORWARD DROP
doctor "$NS_A" "$TMPD/fwdrop.out" "$IF_A" --sample 0 --gateway
forwarding_part "$TMPD/fwdrop.out"
expect_line "$TMPD/fwdrop.out.fwd" \
  "[fail] IPv4 traffic forwarded from $IF_A is blocked by the drop policy of iptables -t filter, chain FORWARD" \
  "FORWARD drop policy named"
in_ns "$NS_A" iptables -P FORWARD ACCEPT

# --- the MASQUERADE rule in nft instead of iptables ---------------------------------------------
in_ns "$NS_A" iptables -t nat -F POSTROUTING
doctor "$NS_A" "$TMPD/nonat.out" "$IF_A" --sample 0 --gateway
forwarding_part "$TMPD/nonat.out"
expect_line "$TMPD/nonat.out.fwd" "[fail] no MASQUERADE or SNAT rule for 10.98.0.0/24" "NAT rule removed: failure again"
in_ns "$NS_A" nft -f - <<EOF
table ip wgddocnat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 10.98.0.0/24 oifname "$VETH_A" masquerade
  }
}
EOF
doctor "$NS_A" "$TMPD/nft.out" "$IF_A" --sample 0 --gateway
forwarding_part "$TMPD/nft.out"
expect_line "$TMPD/nft.out.fwd" \
  "source-NATed by rule \"ip saddr 10.98.0.0/24 oifname \"$VETH_A\" masquerade\" (nft table ip wgddocnat, chain post)" \
  "nft masquerade rule found and named"
refute_line "$TMPD/nft.out.fwd" "[fail]" "nft NAT: no failure"
log "doctor_forwarding: all checks passed"
