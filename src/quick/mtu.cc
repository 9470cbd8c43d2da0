#include "quick/mtu.h"

#include <optional>

#include "net/link.h"
#include "net/route.h"

namespace wgd::quick {
namespace {

// wg-quick's test on one line of `ip route ...` output: its "mtu N", else its device's MTU.
std::optional<std::uint32_t> route_mtu(net::NetlinkSocket& nl, const net::RouteInfo& route) {
  if (route.mtu && *route.mtu > 0) return route.mtu;
  if (route.oif == 0) return std::nullopt;
  auto link = net::link_get(nl, route.oif);
  if (!link || link->mtu == 0) return std::nullopt;
  return link->mtu;
}

}  // namespace

Result<std::uint32_t> underlay_mtu(net::NetlinkSocket& nl, std::span<const Endpoint> endpoints) {
  std::optional<std::uint32_t> mtu;
  for (const auto& e : endpoints) {
    if (e.scope_id != 0) continue;
    auto route = net::route_get(nl, e.address);
    if (!route) continue;
    if (auto m = route_mtu(nl, *route); m && (!mtu || *m < *mtu)) mtu = m;
  }
  if (!mtu) {
    auto routes = net::route_list(
        nl, {.family = IpAddress::Family::kV4, .table = net::kTableMain, .oif = std::nullopt});
    if (!routes) return std::unexpected(routes.error());
    for (const auto& r : *routes) {
      if (r.destination.length != 0) continue;
      mtu = route_mtu(nl, r);
      break;  // `read -r output < <(ip route show default)`: the first line only
    }
  }
  return mtu.value_or(kFallbackUnderlayMtu);
}

Result<std::uint32_t> automatic_mtu(net::NetlinkSocket& nl, std::span<const Endpoint> endpoints) {
  auto m = underlay_mtu(nl, endpoints);
  if (!m) return std::unexpected(m.error());
  // An underlay below 80 would make no sense; wg-quick would ask for a negative MTU and fail.
  if (*m <= kWireGuardOverhead) return failf("underlay MTU {} is too small for WireGuard", *m);
  return *m - kWireGuardOverhead;
}

}  // namespace wgd::quick
