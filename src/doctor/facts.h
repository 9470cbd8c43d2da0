// What doctor knows about the host and one interface, read once (facts_read.cc) and then judged
// by pure functions (the *_checks.h files) — so every diagnosis can be tested from hand-made
// facts, without a kernel.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/ip.h"

namespace wgd::doctor {

// Where the kernel sends traffic for one of a peer's allowed IPs.
struct AllowedIpRoute {
  bool routed_via_interface = false;  // some route via the interface (any table) covers it
  // `ip route get` for an address inside it: the interface the kernel picks, or why it cannot.
  std::optional<std::string> kernel_interface;
  std::string kernel_error;
  IpAddress probe_address;  // the address `ip route get` was asked about
};

// How this host reaches a peer's endpoint.
struct EndpointRoute {
  std::optional<std::string> interface;  // outgoing interface
  std::uint32_t mtu = 0;                 // its MTU (or the route's own MTU)
  std::string error;                     // "Network is unreachable", when there is no route
};

struct InterfaceFacts {
  std::string name;
  bool exists = false;
  std::string lookup_error;  // why it does not (e.g. another network namespace)
  bool up = false;
  std::uint32_t mtu = 0;
  std::vector<IpPrefix> addresses;  // as configured (host bits kept): 10.8.0.1/24
  // UDP sockets bound to the interface's listening port in this network namespace.
  bool udp4_bound = false;
  bool udp6_bound = false;
  std::map<IpPrefix, AllowedIpRoute> allowed_ip_routes;  // by canonical prefix
  std::map<Endpoint, EndpointRoute> endpoint_routes;
};

struct HostFacts {
  std::optional<bool> ipv4_forwarding;          // net.ipv4.ip_forward; nullopt: could not be read
  std::optional<bool> ipv6_forwarding;          // net.ipv6.conf.all.forwarding
  std::optional<std::string> default_route_v4;  // the default route's interface
  std::optional<std::string> default_route_v6;
};

}  // namespace wgd::doctor
