// Routes: add, delete, list, and "which way would a packet to X go" — what `ip route` does.
//
// wg-quick adds one route per AllowedIPs prefix, `ip route add PREFIX dev IF [table N]`, unless a
// route via IF that already covers the prefix exists in the main table (has_route_covering());
// a default route (/0) goes into its own table, selected by the rules in rule.h.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "net/netlink_socket.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::net {

// Routing table numbers as the kernel knows them (RT_TABLE_MAIN, RT_TABLE_LOCAL).
inline constexpr std::uint32_t kTableMain = 254;
inline constexpr std::uint32_t kTableLocal = 255;

// A directly connected route, `ip route add DESTINATION dev OIF table TABLE [metric METRIC]`.
// The destination's host bits are cleared (the kernel refuses 10.0.0.1/24 for IPv4 and silently
// masks it for IPv6; we make both behave the same).
struct RouteSpec {
  IpPrefix destination;
  int oif = 0;
  std::uint32_t table = kTableMain;
  std::optional<std::uint32_t> metric;
};

struct RouteInfo {
  IpPrefix destination;
  int oif = 0;  // 0 for multipath or blackhole routes
  std::optional<IpAddress> gateway;
  std::optional<IpAddress> prefsrc;  // the source address the kernel would choose
  std::uint32_t table = 0;
  std::optional<std::uint32_t> metric;
  std::optional<std::uint32_t> mtu;  // the route's own MTU metric, if it has one (`mtu 1400`)
  std::uint8_t type = 0;             // RTN_UNICAST, RTN_LOCAL, ...
  std::uint8_t protocol = 0;         // RTPROT_KERNEL, RTPROT_BOOT, ...
  std::uint8_t scope = 0;
};

// An existing route fails with code EEXIST (see is_already_exists()).
Result<void> route_add(NetlinkSocket& nl, const RouteSpec& route);
// A missing route fails with code ESRCH.
Result<void> route_delete(NetlinkSocket& nl, const RouteSpec& route);

struct RouteFilter {
  std::optional<IpAddress::Family> family;
  std::optional<std::uint32_t> table;  // every table when unset
  std::optional<int> oif;
};
// Lists routes like `ip route show table all`, without the IPv6 route cache.
Result<std::vector<RouteInfo>> route_list(NetlinkSocket& nl, const RouteFilter& filter = {});

// `ip route get DST [mark FWMARK]`: the route a packet to `dst` (carrying `fwmark`) would take,
// after policy rules; its oif, gateway, preferred source and table. Fails with ENETUNREACH etc.
Result<RouteInfo> route_get(NetlinkSocket& nl, const IpAddress& dst,
                            std::optional<std::uint32_t> fwmark = std::nullopt);

// True when `table` holds a route via `oif` whose destination covers `prefix` (same or shorter
// prefix containing it) — `ip route show dev IF match PREFIX`, the test wg-quick uses to skip
// AllowedIPs that the interface's own address route already reaches.
Result<bool> has_route_covering(NetlinkSocket& nl, const IpPrefix& prefix, int oif,
                                std::uint32_t table = kTableMain);

}  // namespace wgd::net
