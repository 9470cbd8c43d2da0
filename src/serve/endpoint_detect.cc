#include "serve/endpoint_detect.h"

#include <linux/rtnetlink.h>

#include "net/address.h"
#include "net/route.h"

namespace wgd::serve {
namespace {

std::optional<IpAddress> default_route_address(net::NetlinkSocket& nl, IpAddress::Family family) {
  auto routes = net::route_list(nl, {.family = family, .table = net::kTableMain});
  if (!routes) return std::nullopt;
  for (const auto& r : *routes) {
    if (r.destination.length != 0 || r.oif == 0) continue;
    if (r.prefsrc) return r.prefsrc;
    auto addrs = net::address_list(nl, {.link = net::LinkRef(r.oif), .family = family});
    if (!addrs) continue;
    for (const auto& a : *addrs)
      if (a.scope == RT_SCOPE_UNIVERSE && !a.tentative()) return a.prefix.address;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> detect_endpoint_host() {
  auto nl = net::NetlinkSocket::open();
  if (!nl) return std::nullopt;
  for (auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6})
    if (auto a = default_route_address(*nl, family)) return a->to_string();
  return std::nullopt;
}

}  // namespace wgd::serve
