#include "serve/fleet/fleet_plan.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "serve/fleet/address_renumber.h"

namespace wgd::serve::fleet {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string show(const std::optional<IpAddress>& a) { return a ? a->to_string() : std::string("none"); }

std::vector<IpPrefix> legacy_routes(const DeviceAddress& a) {
  if (!a.legacy) return {};
  return {IpPrefix{*a.legacy, 32}};
}

}  // namespace

Result<DeviceAddress> device_address(const std::optional<IpAddress>& registry_ip, const TunnelSubnet& subnet) {
  DeviceAddress out;
  if (!registry_ip) return out;
  const IpPrefix net = subnet.subnet.canonical();
  auto moved = renumber_into(*registry_ip, subnet);
  if (!moved) {
    if (net.contains(*registry_ip))
      return failf("{} is not an address a device may have in {} (the network, broadcast or the "
                   "server's own address)",
                   registry_ip->to_string(), net.to_string());
    return failf("{} lies outside the tunnel subnet {}, and its host part there gives the "
                 "network, broadcast or server address",
                 registry_ip->to_string(), net.to_string());
  }
  out.request = AddressRequest::exactly(*moved);
  if (*moved != *registry_ip) out.legacy = *registry_ip;
  return out;
}

Result<FleetPlan> plan_fleet(std::span<const RegistryDevice> devices, std::span<const FleetPeer> current,
                             const TunnelSubnet& subnet) {
  FleetPlan plan;
  std::map<std::string, const FleetPeer*> by_name;
  for (const auto& p : current) by_name[lower(p.name)] = &p;

  // Where every device goes; two devices may not land on one address.
  std::vector<DeviceAddress> where;
  where.reserve(devices.size());
  std::map<IpAddress, std::string> targets;
  for (const auto& d : devices) {
    auto a = device_address(d.ip, subnet);
    if (!a) return failf("device {}: {}", d.name, a.error().message);
    if (a->request.mode == AddressRequest::Mode::kExplicit) {
      if (auto [it, fresh] = targets.emplace(a->request.address, d.name); !fresh)
        return failf("devices {} and {} both get {} (after moving into the tunnel subnet {})",
                     it->second, d.name, a->request.address.to_string(), subnet.subnet.canonical().to_string());
    }
    where.push_back(std::move(*a));
  }

  std::set<std::string> listed;
  std::vector<FleetChange> updates, creations;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const RegistryDevice& d = devices[i];
    const DeviceAddress& a = where[i];
    const std::string key = lower(d.name);
    listed.insert(key);
    auto it = by_name.find(key);
    if (it == by_name.end()) {
      FleetChange c;
      c.kind = FleetChange::Kind::kCreate;
      c.name = d.name;
      c.public_key = d.public_key;
      c.ipv4 = a.request;
      c.extra_allowed_ips = legacy_routes(a);
      c.enabled = d.enabled;
      c.reason = a.legacy ? fmt::format("new device (registry address {} moved to {})", a.legacy->to_string(),
                                        a.request.address.to_string())
                          : "new device";
      creations.push_back(std::move(c));
      continue;
    }
    const FleetPeer& p = *it->second;
    FleetChange c;
    c.kind = FleetChange::Kind::kUpdate;
    c.name = d.name;
    c.id = p.id;
    std::vector<std::string> why;
    if (p.name != d.name) why.push_back(fmt::format("name {} -> {}", p.name, d.name));
    if (p.public_key != d.public_key) {
      c.public_key = d.public_key;
      why.push_back("key changed");
    }
    if (a.request.mode == AddressRequest::Mode::kExplicit) {
      if (p.ipv4 != a.request.address) {
        c.ipv4 = a.request;
        why.push_back(fmt::format("ip {} -> {}", show(p.ipv4), a.request.address.to_string()));
      }
    } else if (!p.ipv4) {
      c.ipv4 = AddressRequest::automatic();
      why.push_back("ip assigned");
    } else if (!subnet.subnet.contains(*p.ipv4)) {
      // No address in the registry, and the server moved: same host part in the new subnet.
      if (auto moved = renumber_into(*p.ipv4, subnet)) {
        c.ipv4 = AddressRequest::exactly(*moved);
        why.push_back(fmt::format("ip {} -> {} (server moved)", p.ipv4->to_string(), moved->to_string()));
      } else {
        c.ipv4 = AddressRequest::automatic();
        plan.release_first.push_back(p.id);
        why.push_back(fmt::format("ip {} -> a free one (server moved)", p.ipv4->to_string()));
      }
    }
    auto routes = legacy_routes(a);
    if (p.extra_allowed_ips != routes) {
      why.push_back(routes.empty() ? std::string("old address no longer routed")
                                   : fmt::format("old address {} still routed", routes.front().address.to_string()));
      c.extra_allowed_ips = std::move(routes);
    }
    if (p.enabled != d.enabled) {
      c.enabled = d.enabled;
      why.push_back(d.enabled ? "enabled" : "disabled");
    }
    if (why.empty()) {
      ++plan.unchanged;
      continue;
    }
    c.reason = fmt::format("{}", fmt::join(why, ", "));
    updates.push_back(std::move(c));
  }

  // Removals first: they free names, keys and addresses for the rest.
  for (const auto& p : current) {
    if (listed.contains(lower(p.name))) continue;
    FleetChange c;
    c.kind = FleetChange::Kind::kRemove;
    c.name = p.name;
    c.id = p.id;
    c.reason = "no longer listed";
    plan.changes.push_back(std::move(c));
  }
  // A peer that moves away from an address another device is to get releases it first, so
  // that swaps (a -> b while b -> a) go through.
  std::map<IpAddress, std::int64_t> holder;
  for (const auto& p : current)
    if (p.ipv4) holder[*p.ipv4] = p.id;
  for (const auto& u : updates) {
    if (!u.ipv4 || u.ipv4->mode != AddressRequest::Mode::kExplicit) continue;
    auto h = holder.find(u.ipv4->address);
    if (h == holder.end() || h->second == u.id) continue;
    const bool holder_moves = std::any_of(updates.begin(), updates.end(), [&](const FleetChange& o) {
      return o.id == h->second && o.ipv4.has_value();
    });
    if (holder_moves && std::find(plan.release_first.begin(), plan.release_first.end(), h->second) ==
                            plan.release_first.end())
      plan.release_first.push_back(h->second);
  }
  for (auto& c : updates) plan.changes.push_back(std::move(c));
  for (auto& c : creations) plan.changes.push_back(std::move(c));
  return plan;
}

PeerUpdate to_update(const FleetChange& c) {
  PeerUpdate u;
  u.name = c.name;
  if (c.public_key) {
    KeyMaterial k;
    k.public_key = *c.public_key;
    u.keys = std::move(k);
  }
  u.ipv4 = c.ipv4;
  u.extra_allowed_ips = c.extra_allowed_ips;
  u.enabled = c.enabled;
  return u;
}

NewPeer to_new_peer(const FleetChange& c, std::string_view managed_by, std::string_view factory) {
  NewPeer n;
  n.name = c.name;
  n.keys.public_key = c.public_key;
  n.ipv4 = c.ipv4.value_or(AddressRequest::automatic());
  n.ipv6 = AddressRequest::none();  // devices get an IPv4 address in wireguard-client only
  n.extra_allowed_ips = c.extra_allowed_ips.value_or(std::vector<IpPrefix>{});
  n.enabled = c.enabled.value_or(true);
  n.managed_by = std::string(managed_by);
  n.description = fmt::format("device of factory {} (fleet registry)", factory);
  return n;
}

}  // namespace wgd::serve::fleet
