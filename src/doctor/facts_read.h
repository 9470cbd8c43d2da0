// Reading the facts of facts.h from the kernel of the calling thread's network namespace:
// rtnetlink for links, addresses and routes, /proc/sys for forwarding, /proc/net/udp{,6} for
// the sockets bound to a port. Read-only: doctor changes nothing.
#pragma once

#include <cstdint>
#include <string_view>

#include "doctor/facts.h"
#include "net/netlink_socket.h"
#include "wg/config_change.h"

namespace wgd::doctor {

InterfaceFacts read_interface_facts(net::NetlinkSocket& nl, std::string_view name,
                                    const wg::DeviceStatus& status);
HostFacts read_host_facts(net::NetlinkSocket& nl);

struct BoundSockets {
  bool v4 = false;
  bool v6 = false;
};
// The UDP sockets bound to `port` in this network namespace, from /proc/net/udp and udp6.
BoundSockets udp_sockets_on_port(std::uint16_t port);

// For `ip route get`: an address inside `prefix` that stands for it — the prefix's first host
// (10.8.0.1 for 10.8.0.0/24), the address itself for a host prefix, and for a default route a
// well-known public address (only looked up, never sent to).
IpAddress representative_address(const IpPrefix& prefix);

}  // namespace wgd::doctor
