#!/bin/sh
# wgd-docker-setup: the one-shot companion of `wgd serve` in compose.yaml, doing what
# linuxserver/wireguard's start-up did for the seed users (001, 004) and `wgd serve` itself does
# not: a NAT rule for peers that route everything through the server, and the peers named in
# PEERS with their configuration files and QR codes in /config. It runs in wgd's network
# namespace (network_mode: service:wgd) and reaches the API on 127.0.0.1 with the token from
# the shared /var/lib/wgd. Running it again changes nothing that is already there.
#
# Environment:
#   PEERS=laptop,phone,tablet   names (or a number N: peer1..peerN), as linuxserver's PEERS
#   WGD_CLIENT_ALLOWED_IPS      what peers route here; beyond the tunnel subnet -> NAT rule
#   NAT_UPLINK=eth+             the interface(s) peers' traffic leaves by (iptables -o syntax)
#   WGD_INTERFACE=wg0           the server's interface
#   CONFIG_DIR=/config          where peer_NAME/peer_NAME.conf and .png go
#   SETUP_DEBUG=FILE            where `wgd peer`'s errors go while waiting for the API
set -eu

interface=${WGD_INTERFACE:-wg0}
config_dir=${CONFIG_DIR:-/config}
uplink=${NAT_UPLINK:-eth+}
log() { printf 'wgd-docker-setup: %s\n' "$*"; }

# --- wait for the server: its interface and its API ---------------------------------------
tries=0
until ip -4 route show dev "$interface" proto kernel scope link 2>/dev/null | grep -q . &&
      wgd peer list >/dev/null 2>"${SETUP_DEBUG:-/dev/null}"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    log "wgd serve did not come up within 60 s (interface $interface with an address, API answering)"
    exit 1
  fi
  sleep 1
done

# --- NAT for peers that route beyond the tunnel --------------------------------------------
subnet=$(ip -4 route show dev "$interface" proto kernel scope link | awk 'NR == 1 {print $1}')
beyond=no
for prefix in $(printf '%s' "${WGD_CLIENT_ALLOWED_IPS:-0.0.0.0/0}" | tr ',' ' '); do
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

# --- the peers of PEERS, with their files ---------------------------------------------------
peers=${PEERS:-}
case "$peers" in
  '' ) names="" ;;
  *[!0-9]*) names=$(printf '%s' "$peers" | tr ',' ' ') ;;
  *) names=$(seq 1 "$peers" | sed 's/^/peer/') ;;
esac
for name in $names; do
  if wgd peer show "$name" >/dev/null 2>&1; then
    log "peer $name: exists"
  else
    wgd peer add "$name" >/dev/null
    log "peer $name: added"
  fi
  dir="$config_dir/peer_$name"
  mkdir -p "$dir"
  wgd peer config "$name" --output "$dir/peer_$name.conf"
  wgd peer qr "$name" --output "$dir/peer_$name.png"
done

# --- what the server looks like now ---------------------------------------------------------
wgd doctor --sample 0 "$interface" || true
