// Moving a tunnel address into the server's current subnet while keeping its host part:
// 10.42.42.7 becomes 10.42.44.7 when the server moves from 10.42.42.1/24 to 10.42.44.1/24
// (seed 000's `--vpnaddr`), and 10.13.13.5 becomes 10.14.0.5 for INTERNAL_SUBNET=10.14.0.0.
// Fleet sync renumbers devices with it, provisioning its peers, so a server move never needs
// a device or client edited by hand just to stay reachable.
#pragma once

#include <optional>

#include "serve/store/address_allocator.h"
#include "util/ip.h"

namespace wgd::serve {

// `address` unchanged when it is inside `subnet`; else the subnet's network bits with the host
// bits of `address` (the host part is as long as the subnet's). Nothing when the result is not
// a host address a peer may have: the network or broadcast address, a reserved (server)
// address, or the families differ.
std::optional<IpAddress> renumber_into(const IpAddress& address, const TunnelSubnet& subnet);

}  // namespace wgd::serve
