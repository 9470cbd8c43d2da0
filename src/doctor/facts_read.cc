#include "doctor/facts_read.h"

#include <linux/rtnetlink.h>

#include <charconv>
#include <fstream>
#include <map>
#include <string>

#include "net/address.h"
#include "net/link.h"
#include "net/route.h"
#include "net/sysctl.h"

namespace wgd::doctor {
namespace {

// Whether a /proc/net/udp{,6} table lists a socket bound to `port`. Lines read
// "  sl  local_address rem_address   st ..." with the local address as HEXADDR:HEXPORT.
bool table_has_port(const char* path, std::uint16_t port) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    auto colon = line.find(':');  // after the slot number
    if (colon == std::string::npos) continue;
    auto start = line.find_first_not_of(' ', colon + 1);
    if (start == std::string::npos) continue;
    auto port_colon = line.find(':', start);  // in the local address
    if (port_colon == std::string::npos) continue;
    unsigned value = 0;
    const char* first = line.data() + port_colon + 1;
    auto [p, ec] = std::from_chars(first, line.data() + line.size(), value, 16);
    if (ec == std::errc() && p == first + 4 && value == port) return true;
  }
  return false;
}

std::optional<bool> read_flag(std::string_view key) {
  auto v = net::sysctl_read(key);
  if (!v) return std::nullopt;
  return *v != "0";
}

std::map<int, net::LinkInfo> links_by_index(net::NetlinkSocket& nl) {
  std::map<int, net::LinkInfo> out;
  if (auto links = net::link_list(nl))
    for (auto& l : *links) out.emplace(l.index, std::move(l));
  return out;
}

std::optional<std::string> link_name(const std::map<int, net::LinkInfo>& links, int index) {
  auto it = links.find(index);
  if (it == links.end()) return std::nullopt;
  return it->second.name;
}

}  // namespace

BoundSockets udp_sockets_on_port(std::uint16_t port) {
  return {table_has_port("/proc/net/udp", port), table_has_port("/proc/net/udp6", port)};
}

IpAddress representative_address(const IpPrefix& prefix) {
  if (prefix.length == 0)
    return *IpAddress::parse(prefix.address.is_v4() ? "8.8.8.8" : "2001:4860:4860::8888");
  const IpPrefix c = prefix.canonical();
  if (c.length >= c.address.bit_length() - 1) return prefix.address;
  // The network address + 1: the last byte of a network address is never 0xff.
  auto bytes = std::array<std::uint8_t, 16>{};
  std::copy(c.address.bytes(), c.address.bytes() + c.address.byte_length(), bytes.begin());
  bytes[c.address.byte_length() - 1] |= 1;
  return IpAddress::from_bytes(c.address.family(), bytes.data());
}

InterfaceFacts read_interface_facts(net::NetlinkSocket& nl, std::string_view name,
                                    const wg::DeviceStatus& status) {
  InterfaceFacts facts;
  facts.name = std::string(name);
  auto link = net::link_get(nl, net::LinkRef(name));
  if (!link) {
    facts.lookup_error = link.error().message;
    return facts;
  }
  facts.exists = true;
  facts.up = link->up;
  facts.mtu = link->mtu;
  if (auto addrs = net::address_list(nl, {.link = net::LinkRef(link->index)}))
    for (const auto& a : *addrs) facts.addresses.push_back(a.prefix);
  if (status.listen_port) {
    auto bound = udp_sockets_on_port(status.listen_port);
    facts.udp4_bound = bound.v4;
    facts.udp6_bound = bound.v6;
  }

  std::vector<net::RouteInfo> routes;
  if (auto r = net::route_list(nl, {.oif = link->index})) routes = std::move(*r);
  const auto links = links_by_index(nl);
  for (const auto& peer : status.peers) {
    for (const auto& prefix : peer.allowed_ips) {
      const IpPrefix canon = prefix.canonical();
      if (facts.allowed_ip_routes.contains(canon)) continue;
      AllowedIpRoute r;
      for (const auto& route : routes) {
        if (route.type != RTN_UNICAST) continue;
        const IpPrefix& d = route.destination;
        if (d.address.family() == canon.address.family() && d.length <= canon.length &&
            d.contains(canon.address)) {
          r.routed_via_interface = true;
          break;
        }
      }
      r.probe_address = representative_address(canon);
      if (auto got = net::route_get(nl, r.probe_address)) {
        r.kernel_interface = link_name(links, got->oif);
      } else {
        r.kernel_error = got.error().message;
      }
      facts.allowed_ip_routes.emplace(canon, std::move(r));
    }
    if (!peer.endpoint || facts.endpoint_routes.contains(*peer.endpoint)) continue;
    EndpointRoute er;
    // WireGuard's own packets carry the interface's fwmark, which wg-quick's rules use to keep
    // them out of the tunnel: look the route up the same way.
    std::optional<std::uint32_t> mark;
    if (status.fwmark) mark = status.fwmark;
    if (auto got = net::route_get(nl, peer.endpoint->address.unmapped(), mark)) {
      er.interface = link_name(links, got->oif);
      if (auto it = links.find(got->oif); it != links.end()) er.mtu = it->second.mtu;
      if (got->mtu && *got->mtu) er.mtu = *got->mtu;
    } else {
      er.error = got.error().message;
    }
    facts.endpoint_routes.emplace(*peer.endpoint, std::move(er));
  }
  return facts;
}

HostFacts read_host_facts(net::NetlinkSocket& nl) {
  HostFacts host;
  host.ipv4_forwarding = read_flag("net.ipv4.ip_forward");
  host.ipv6_forwarding = read_flag("net.ipv6.conf.all.forwarding");
  const auto links = links_by_index(nl);
  if (auto routes = net::route_list(nl, {.table = net::kTableMain})) {
    for (const auto& r : *routes) {
      if (r.destination.length != 0 || r.type != RTN_UNICAST || r.oif == 0) continue;
      auto& slot = r.destination.address.is_v4() ? host.default_route_v4 : host.default_route_v6;
      if (!slot) slot = link_name(links, r.oif);
    }
  }
  return host;
}

}  // namespace wgd::doctor
