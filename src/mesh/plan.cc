#include "mesh/plan.h"

#include <array>
#include <set>

#include "crypto/random.h"
#include "crypto/x25519.h"
#include "mesh/error_list.h"
#include "mesh/inventory_checks.h"

namespace wgd::mesh {
namespace {

// `base` plus `n`, carrying across bytes (network order).
IpAddress add(const IpAddress& base, std::uint64_t n) {
  std::array<std::uint8_t, 16> b{};
  std::copy(base.bytes(), base.bytes() + base.byte_length(), b.begin());
  for (int i = static_cast<int>(base.byte_length()) - 1; i >= 0 && n; --i) {
    const std::uint64_t sum = b[i] + (n & 0xff);
    b[i] = static_cast<std::uint8_t>(sum);
    n = (n >> 8) + (sum >> 8);
  }
  return IpAddress::from_bytes(base.family(), b.data());
}

// How many host addresses a prefix offers (capped; IPv6 prefixes are huge): IPv4 leaves out
// the network and broadcast addresses, IPv6 the subnet-router anycast address (all zero).
std::uint64_t capacity(const IpPrefix& prefix) {
  const int host_bits = prefix.address.bit_length() - prefix.length;
  if (host_bits >= 63) return std::uint64_t{1} << 62;
  const std::uint64_t size = std::uint64_t{1} << host_bits;
  return prefix.address.is_v4() ? size - 2 : size - 1;
}

bool usable(const IpPrefix& prefix, const IpAddress& a) {
  if (!prefix.contains(a) || a == prefix.address) return false;
  return !(prefix.address.is_v4() && a == add(prefix.address, capacity(prefix) + 1));
}

// Assigns one family's addresses: fixed ones, then the kept ones still usable, then the lowest
// free ones. `chosen[i]` is host i's address; `fresh[i]` says it was allocated now.
Result<void> allocate(const IpPrefix& prefix, const std::vector<std::optional<IpAddress>>& fixed,
                      const std::vector<std::optional<IpAddress>>& kept,
                      std::vector<IpAddress>& chosen, std::vector<bool>& fresh) {
  const std::size_t n = fixed.size();
  if (n > capacity(prefix))
    return failf("{} has room for {} hosts, the inventory has {}", prefix.to_string(),
                 capacity(prefix), n);
  std::set<IpAddress> taken;
  std::vector<std::optional<IpAddress>> result(n);
  for (std::size_t i = 0; i < n; ++i)
    if (fixed[i]) taken.insert(*(result[i] = fixed[i]));
  for (std::size_t i = 0; i < n; ++i) {
    if (result[i] || !kept[i] || !usable(prefix, *kept[i]) || taken.contains(*kept[i])) continue;
    taken.insert(*(result[i] = kept[i]));
  }
  std::uint64_t next = 1;
  chosen.assign(n, IpAddress{});
  fresh.assign(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    if (!result[i]) {
      IpAddress candidate = add(prefix.address, next);
      while (taken.contains(candidate)) candidate = add(prefix.address, ++next);
      taken.insert(candidate);
      result[i] = candidate;
      fresh[i] = true;
    }
    chosen[i] = *result[i];
  }
  return {};
}

std::vector<std::string> warnings_for(const Inventory& inv) {
  std::vector<std::string> warnings;
  std::vector<std::string> waiting;
  for (const auto& h : inv.hosts)
    if (!h.endpoint) waiting.push_back(h.name);
  for (std::size_t i = 0; i < waiting.size(); ++i) {
    for (std::size_t j = i + 1; j < waiting.size(); ++j) {
      warnings.push_back(fmt::format(
          "{} and {} both have no endpoint: each waits for the other, so they cannot reach "
          "each other (a mesh does not relay)",
          waiting[i], waiting[j]));
    }
  }
  if (!waiting.empty() && inv.persistent_keepalive == 0) {
    warnings.push_back(
        "persistent_keepalive = off: hosts without an endpoint are reachable only after they "
        "have sent something, and only while their NAT remembers it");
  }
  return warnings;
}

}  // namespace

MeshRandom system_random() {
  MeshRandom r;
  r.private_key = [] { return crypto::x25519_generate(); };
  r.listen_port = [] {
    return static_cast<std::uint16_t>(
        kRandomPortLow + crypto::random_uniform(kRandomPortHigh - kRandomPortLow + 1));
  };
  r.ula_prefix = [] {
    std::array<std::uint8_t, 16> b{};
    b[0] = 0xfd;  // fc00::/7 with the L bit set: locally assigned
    crypto::random_bytes(std::span(b).subspan(1, 7));  // Global ID (40 bits) + Subnet ID (16)
    return IpPrefix{IpAddress::v6(b), 64};
  };
  return r;
}

const PlannedHost* MeshPlan::find(std::string_view name) const {
  for (const auto& h : hosts)
    if (h.inventory.name == name) return &h;
  return nullptr;
}

Result<MeshPlan> plan_mesh(const Inventory& inventory, const MeshState& state,
                           const MeshRandom& random) {
  ErrorList errors(inventory.file_name);
  MeshPlan plan;
  plan.inventory = inventory;
  plan.state = state.clone();
  plan.state.hosts.clear();

  switch (inventory.ipv6_mode) {
    case Ipv6Mode::kFixed:
      plan.ipv6_prefix = inventory.ipv6_prefix;
      break;
    case Ipv6Mode::kAuto:
      if (!state.ula_prefix) {
        plan.state.ula_prefix = random.ula_prefix();
        plan.new_ipv6_prefix = true;
      }
      plan.ipv6_prefix = plan.state.ula_prefix;
      check_subnets_outside(inventory, *plan.ipv6_prefix, "the mesh's IPv6 prefix (auto)", errors);
      break;
    case Ipv6Mode::kOff:
      break;
  }
  if (inventory.listen_port) {
    plan.mesh_port = *inventory.listen_port;
  } else {
    if (!state.listen_port) {
      plan.state.listen_port = random.listen_port();
      plan.new_mesh_port = true;
    }
    plan.mesh_port = *plan.state.listen_port;
  }

  const std::size_t n = inventory.hosts.size();
  std::vector<std::optional<IpAddress>> fixed4(n), kept4(n), fixed6(n), kept6(n);
  for (std::size_t i = 0; i < n; ++i) {
    const InventoryHost& h = inventory.hosts[i];
    fixed4[i] = h.ipv4;
    fixed6[i] = h.ipv6;
    if (auto it = state.hosts.find(h.name); it != state.hosts.end()) {
      kept4[i] = it->second.ipv4;
      kept6[i] = it->second.ipv6;
    }
  }
  std::vector<IpAddress> v4, v6;
  std::vector<bool> fresh4, fresh6;
  if (auto r = allocate(inventory.ipv4_subnet, fixed4, kept4, v4, fresh4); !r)
    errors.add(inventory.line_of("ipv4"), "[mesh] ipv4: {}", r.error().message);
  if (plan.ipv6_prefix) {
    if (auto r = allocate(*plan.ipv6_prefix, fixed6, kept6, v6, fresh6); !r)
      errors.add(inventory.line_of("ipv6"), "[mesh] ipv6: {}", r.error().message);
  }
  if (!errors.empty()) return std::unexpected(errors.to_error());

  for (std::size_t i = 0; i < n; ++i) {
    const InventoryHost& h = inventory.hosts[i];
    PlannedHost p;
    p.inventory = h;
    if (auto it = state.hosts.find(h.name); it != state.hosts.end()) {
      p.private_key = it->second.private_key.clone();
    } else {
      p.private_key = random.private_key();
      p.new_key = true;
    }
    p.public_key = crypto::x25519_public(p.private_key);
    p.ipv4 = v4[i];
    p.new_ipv4 = fresh4[i];
    if (plan.ipv6_prefix) {
      p.ipv6 = v6[i];
      p.new_ipv6 = fresh6[i];
    }
    p.listen_port = h.listen_port   ? *h.listen_port
                    : h.endpoint && h.endpoint->port ? *h.endpoint->port
                                                     : plan.mesh_port;
    if (h.endpoint) p.endpoint = h.endpoint->with_port(h.endpoint->port.value_or(p.listen_port));
    plan.state.hosts.emplace(h.name, HostState{p.private_key.clone(), p.ipv4, p.ipv6});
    plan.hosts.push_back(std::move(p));
  }
  for (const auto& [name, host] : state.hosts)
    if (!inventory.find_host(name)) plan.removed_hosts.push_back(name);
  plan.warnings = warnings_for(inventory);
  return plan;
}

}  // namespace wgd::mesh
