// One host's wg-quick file, in the layout of seed 002: comments naming the host above
// [Interface] and each [Peer], every other host as a peer, never the host itself.
//
//   [Interface]  PrivateKey; ListenPort; Address = its VPN IPv4/len, IPv6/len.
//   [Peer] (each other host, in inventory order)
//     PublicKey; AllowedIPs = the peer's VPN /32 and /128, then the subnets behind it (wg-quick
//     adds a route for each, which is how "subnets behind a host are routed to it");
//     Endpoint = the peer's public endpoint, if it has one (else we wait for it to reach us);
//     PersistentKeepalive = the mesh's keepalive, when THIS host has no endpoint of its own and
//     the peer has one: this host is the only side that can open the path (it is behind NAT or
//     has a dynamic address), and the keepalive keeps its NAT mapping alive so the peer can
//     send to it at any time. Hosts with endpoints need none: they can always be reached.
#pragma once

#include <cstddef>
#include <string>

#include "mesh/plan.h"
#include "uapi/wg_quick_config.h"
#include "util/error.h"

namespace wgd::mesh {

uapi::WgQuickConfig host_config(const MeshPlan& plan, std::size_t host_index);
// The file's text (uapi::render_wg_quick of host_config).
Result<std::string> render_host_config(const MeshPlan& plan, std::size_t host_index);

}  // namespace wgd::mesh
