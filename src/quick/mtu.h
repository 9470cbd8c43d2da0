// The MTU wg-quick gives an interface whose file has no MTU (set_mtu_up):
//
//   for each peer endpoint: the MTU of the route to it (`ip route get`: the route's own `mtu`, else
//   its device's MTU); if no endpoint gave one, the same for the main table's first IPv4 default
//   route; then that MTU minus 80 (the largest WireGuard overhead: IPv6 40 + UDP 8 + WireGuard 32),
//   or 1500 - 80 = 1420 when nothing was found.
//
// Among several endpoints, current wg-quick takes the smallest MTU (so the tunnel's packets fit
// every path); wireguard-tools 1.0.20210914 (Debian 12) took the largest. We follow current
// wg-quick. Endpoints with an IPv6 scope ("fe80::1%eth0") are skipped, as wg-quick's pattern
// skips them.
#pragma once

#include <cstdint>
#include <span>

#include "net/netlink_socket.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::quick {

inline constexpr std::uint32_t kWireGuardOverhead = 80;
inline constexpr std::uint32_t kFallbackUnderlayMtu = 1500;

// The underlay MTU: smallest over the endpoints' routes, else the default route's, else 1500.
// Lookups that fail (no route) are skipped, as wg-quick's `|| true`.
Result<std::uint32_t> underlay_mtu(net::NetlinkSocket& nl, std::span<const Endpoint> endpoints);

// underlay_mtu() - 80.
Result<std::uint32_t> automatic_mtu(net::NetlinkSocket& nl, std::span<const Endpoint> endpoints);

}  // namespace wgd::quick
