// The rules between the hosts of an inventory, checked after every value parsed on its own.
// Each one stops a mesh that could not work, or would work differently than written:
// - at least two hosts, and at least one with an endpoint (else nobody can start a handshake);
// - fixed VPN addresses inside the mesh's prefixes, not its network or broadcast address (or
//   IPv6's subnet-router anycast address), and not given to two hosts; a fixed IPv6 address
//   needs a fixed [mesh] ipv6 prefix (an `auto` prefix is not known before it is drawn);
// - subnets behind hosts: not a default route, not overlapping each other (within one host or
//   between hosts: a packet must have one next host), not overlapping the VPN's own prefixes,
//   and no IPv6 subnet in a mesh with ipv6 = off (no host would have a VPN source address the
//   subnet's host accepts);
// - endpoints: no numeric endpoint that is unspecified, multicast, inside the VPN or inside a
//   subnet routed into the mesh (packets to it would be routed into the tunnel they carry), and
//   no two hosts with the same host and port (a copy-paste slip, like the ones in seed 002).
#pragma once

#include <string_view>

#include "mesh/error_list.h"
#include "mesh/inventory.h"

namespace wgd::mesh {

void check_inventory(const Inventory& inventory, ErrorList& errors);

// Subnets behind hosts must not overlap `vpn_prefix` (the mesh's IPv4 subnet or IPv6 prefix;
// plan_mesh calls it again once an `auto` IPv6 prefix has been drawn). `what` names the prefix.
void check_subnets_outside(const Inventory& inventory, const IpPrefix& vpn_prefix,
                           std::string_view what, ErrorList& errors);

}  // namespace wgd::mesh
