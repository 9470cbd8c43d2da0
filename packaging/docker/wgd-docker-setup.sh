#!/bin/sh
# wgd-docker-setup: the one-shot companion of `wgd serve` in compose.yaml (service wgd-nat). It
# adds what linuxserver/wireguard's wg0.conf did with PostUp and `wgd serve` does not do: the NAT
# rule for peers that route beyond the tunnel (ALLOWEDIPS=0.0.0.0/0). The peers of PEERS and their
# files are `wgd serve`'s own job (docs/provisioning.md). It runs in wgd's network namespace
# (network_mode: service:wgd), waits for the interface, and prints `wgd doctor` at the end.
# Running it again adds nothing twice.
#
# Environment:
#   ALLOWEDIPS (or WGD_CLIENT_ALLOWED_IPS)  what peers route here; beyond the subnet -> NAT rule
#   NAT_UPLINK=eth+             the interface(s) peers' traffic leaves by (iptables -o syntax)
#   WGD_INTERFACE=wg0           the server's interface
set -eu

interface=${WGD_INTERFACE:-wg0}
uplink=${NAT_UPLINK:-eth+}
allowed=${ALLOWEDIPS:-${WGD_CLIENT_ALLOWED_IPS:-0.0.0.0/0}}
log() { printf 'wgd-docker-setup: %s\n' "$*"; }

# --- wait for the server's interface and its address ---------------------------------------
tries=0
until ip -4 route show dev "$interface" proto kernel scope link 2>/dev/null | grep -q .; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    log "wgd serve did not come up within 60 s (interface $interface with an IPv4 address)"
    exit 1
  fi
  sleep 1
done

# --- NAT for peers that route beyond the tunnel --------------------------------------------
subnet=$(ip -4 route show dev "$interface" proto kernel scope link | awk 'NR == 1 {print $1}')
beyond=no
for prefix in $(printf '%s' "$allowed" | tr ',' ' '); do
  case "$prefix" in
    *:*) ;;                       # IPv6: routed, not NATed (see docs/packaging.md)
    "$subnet") ;;                 # the tunnel itself: no NAT needed
    *) beyond=yes ;;
  esac
done
if [ "$beyond" = yes ]; then
  if iptables -t nat -C POSTROUTING -s "$subnet" -o "$uplink" -j MASQUERADE 2>/dev/null; then
    log "NAT for $subnet via $uplink: already there"
  else
    iptables -t nat -A POSTROUTING -s "$subnet" -o "$uplink" -j MASQUERADE
    log "NAT for $subnet via $uplink: added"
  fi
fi

# --- what the server looks like now ---------------------------------------------------------
WGD_CLIENT_ALLOWED_IPS=$allowed wgd doctor --sample 0 "$interface" || true
