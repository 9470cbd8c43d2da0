#include "mesh/inventory_checks.h"

#include <map>
#include <string>

namespace wgd::mesh {
namespace {

IpAddress v4_broadcast(const IpPrefix& subnet) {
  const std::uint32_t host_mask =
      subnet.length == 0 ? 0xffffffffu : (std::uint32_t{1} << (32 - subnet.length)) - 1;
  return IpAddress::v4(subnet.address.v4_host_order() | host_mask);
}

bool is_multicast(const IpAddress& a) {
  static const IpPrefix v4 = *IpPrefix::parse("224.0.0.0/4");
  static const IpPrefix v6 = *IpPrefix::parse("ff00::/8");
  return v4.contains(a) || v6.contains(a);
}

// The port an endpoint names: its own, else the host's listen port, else the mesh's (0 stands
// for the one random mesh-wide port, the same for every host).
std::uint16_t effective_port(const Inventory& inv, const InventoryHost& host) {
  if (host.endpoint->port) return *host.endpoint->port;
  if (host.listen_port) return *host.listen_port;
  return inv.listen_port.value_or(0);
}

void check_fixed_addresses(const Inventory& inv, ErrorList& errors) {
  std::map<IpAddress, const InventoryHost*> owners;
  for (const auto& host : inv.hosts) {
    if (host.ipv4) {
      const int line = host.line_of("ipv4");
      const IpPrefix& subnet = inv.ipv4_subnet;
      if (!subnet.contains(*host.ipv4)) {
        errors.add(line, "[host {}] ipv4: {} is outside the mesh's subnet {}", host.name,
                   host.ipv4->to_string(), subnet.to_string());
      } else if (*host.ipv4 == subnet.address || *host.ipv4 == v4_broadcast(subnet)) {
        errors.add(line, "[host {}] ipv4: {} is the {} address of {}", host.name,
                   host.ipv4->to_string(), *host.ipv4 == subnet.address ? "network" : "broadcast",
                   subnet.to_string());
      }
    }
    if (host.ipv6) {
      const int line = host.line_of("ipv6");
      if (inv.ipv6_mode == Ipv6Mode::kOff) {
        errors.add(line, "[host {}] ipv6: given, but the mesh has ipv6 = off", host.name);
      } else if (inv.ipv6_mode == Ipv6Mode::kAuto) {
        errors.add(line,
                   "[host {}] ipv6: a fixed address needs a fixed prefix; [mesh] ipv6 is auto "
                   "(drawn at random), so write the prefix {} belongs to there",
                   host.name, host.ipv6->to_string());
      } else if (!inv.ipv6_prefix->contains(*host.ipv6)) {
        errors.add(line, "[host {}] ipv6: {} is outside the mesh's prefix {}", host.name,
                   host.ipv6->to_string(), inv.ipv6_prefix->to_string());
      } else if (*host.ipv6 == inv.ipv6_prefix->address) {
        errors.add(line,
                   "[host {}] ipv6: {} is the subnet-router anycast address of {} (all host "
                   "bits zero)",
                   host.name, host.ipv6->to_string(), inv.ipv6_prefix->to_string());
      }
    }
    for (const auto& [address, key] :
         {std::pair{host.ipv4, "ipv4"}, std::pair{host.ipv6, "ipv6"}}) {
      if (!address) continue;
      if (auto [it, inserted] = owners.emplace(*address, &host); !inserted) {
        errors.add(host.line_of(key), "[host {}] {}: {} is also given to {} (line {})", host.name,
                   key, address->to_string(), it->second->name, it->second->line_of(key));
      }
    }
  }
}

void check_subnets(const Inventory& inv, ErrorList& errors) {
  struct Owned {
    IpPrefix prefix;
    const InventoryHost* host;
  };
  std::vector<Owned> seen;
  for (const auto& host : inv.hosts) {
    const int line = host.line_of("subnets");
    for (const auto& subnet : host.subnets) {
      if (subnet.length == 0) {
        errors.add(line,
                   "[host {}] subnets: {} is a default route, not a subnet: every other host "
                   "would send all its traffic through {}",
                   host.name, subnet.to_string(), host.name);
        continue;
      }
      if (subnet.address.is_v6() && inv.ipv6_mode == Ipv6Mode::kOff) {
        errors.add(line,
                   "[host {}] subnets: {} is IPv6, but the mesh has ipv6 = off: the other hosts "
                   "would have no VPN address to send to it from",
                   host.name, subnet.to_string());
      }
      for (const auto& other : seen) {
        if (!other.prefix.overlaps(subnet)) continue;
        if (other.host == &host) {
          errors.add(line, "[host {}] subnets: {} overlaps {}, listed before", host.name,
                     subnet.to_string(), other.prefix.to_string());
        } else {
          errors.add(line,
                     "[host {}] subnets: {} overlaps {} behind host {} (line {}): a packet "
                     "must have one next host",
                     host.name, subnet.to_string(), other.prefix.to_string(), other.host->name,
                     other.host->line_of("subnets"));
        }
      }
      seen.push_back({subnet, &host});
    }
  }
}

void check_endpoints(const Inventory& inv, ErrorList& errors) {
  std::map<std::pair<std::string, std::uint16_t>, const InventoryHost*> owners;
  bool any_endpoint = false;
  for (const auto& host : inv.hosts) {
    if (!host.endpoint) continue;
    any_endpoint = true;
    const int line = host.line_of("endpoint");
    if (auto [it, inserted] =
            owners.emplace(std::pair{host.endpoint->host, effective_port(inv, host)}, &host);
        !inserted) {
      errors.add(line, "[host {}] endpoint: the same host and port as {} (line {})", host.name,
                 it->second->name, it->second->line_of("endpoint"));
    }
    const auto address = host.endpoint->address();
    if (!address) continue;
    if (address->is_unspecified() || is_multicast(*address)) {
      errors.add(line, "[host {}] endpoint: {} is not a unicast address", host.name,
                 address->to_string());
      continue;
    }
    std::vector<std::pair<IpPrefix, std::string>> routed = {
        {inv.ipv4_subnet, "the mesh's subnet"}};
    if (inv.ipv6_prefix) routed.emplace_back(*inv.ipv6_prefix, "the mesh's IPv6 prefix");
    for (const auto& other : inv.hosts)
      for (const auto& subnet : other.subnets)
        routed.emplace_back(subnet, fmt::format("the subnet behind {}", other.name));
    for (const auto& [prefix, what] : routed) {
      if (prefix.length > 0 && prefix.contains(*address)) {
        errors.add(line,
                   "[host {}] endpoint: {} is inside {} {}: packets to it would be routed "
                   "into the tunnel they carry",
                   host.name, address->to_string(), what, prefix.to_string());
      }
    }
  }
  if (inv.hosts.size() >= 2 && !any_endpoint) {
    errors.add(inv.hosts.front().line,
               "no host has an endpoint: each would wait for another to reach it, and none "
               "could start a connection");
  }
}

}  // namespace

void check_subnets_outside(const Inventory& inv, const IpPrefix& vpn_prefix,
                           std::string_view what, ErrorList& errors) {
  for (const auto& host : inv.hosts) {
    for (const auto& subnet : host.subnets) {
      if (subnet.length > 0 && subnet.overlaps(vpn_prefix)) {
        errors.add(host.line_of("subnets"), "[host {}] subnets: {} overlaps {} {}", host.name,
                   subnet.to_string(), what, vpn_prefix.to_string());
      }
    }
  }
}

void check_inventory(const Inventory& inv, ErrorList& errors) {
  if (inv.hosts.size() < 2) {
    errors.add(inv.mesh_line, "a mesh needs at least two [host NAME] sections (found {})",
               inv.hosts.size());
  }
  check_fixed_addresses(inv, errors);
  check_subnets(inv, errors);
  check_subnets_outside(inv, inv.ipv4_subnet, "the mesh's subnet", errors);
  if (inv.ipv6_prefix) check_subnets_outside(inv, *inv.ipv6_prefix, "the mesh's IPv6 prefix", errors);
  check_endpoints(inv, errors);
}

}  // namespace wgd::mesh
