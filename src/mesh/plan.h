// From an inventory and the kept state to every value the generated files hold: keys, VPN
// addresses, listen ports, endpoints. Nothing here touches a file, so a plan is what `show`
// prints and what `generate` writes, and tests can run it with a scripted random source.
//
// What is kept and what is chosen:
// - A host's private key: kept from the state; new for a host the state does not know. A host
//   removed from the inventory loses its key (re-adding it makes a new one).
// - VPN addresses: a fixed address from the inventory wins; else the state's, if it is still
//   inside the mesh's prefix and not taken by a fixed one; else the lowest free address
//   (hosts needing one in inventory order). So adding a host never moves another one.
// - The IPv6 prefix for `ipv6 = auto` and the mesh-wide port for `listen_port = random` are
//   drawn once and kept.
// - A host's listen port: its own listen_port, else its endpoint's port, else the mesh's.
//   A peer's Endpoint line: the endpoint's host with its port, else with the listen port.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "crypto/types.h"
#include "mesh/inventory.h"
#include "mesh/state.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::mesh {

// Where new keys, ports and prefixes come from; tests script it.
struct MeshRandom {
  std::function<crypto::PrivateKey()> private_key;
  std::function<std::uint16_t()> listen_port;  // in kRandomPortLow-kRandomPortHigh
  std::function<IpPrefix()> ula_prefix;        // an RFC 4193 /64
};
// X25519 keys from the crypto layer, uniform ports, RFC 4193 section 3.2 prefixes: fd00::/8,
// a random 40-bit Global ID and a random 16-bit Subnet ID.
MeshRandom system_random();

struct PlannedHost {
  InventoryHost inventory;
  crypto::PrivateKey private_key;
  crypto::PublicKey public_key{};
  IpAddress ipv4;
  std::optional<IpAddress> ipv6;  // none when the mesh has ipv6 = off
  std::uint16_t listen_port = 0;
  std::optional<std::string> endpoint;  // the others' Endpoint line; none: they wait for it
  // What this plan chose anew rather than kept from the state.
  bool new_key = false;
  bool new_ipv4 = false;
  bool new_ipv6 = false;
};

struct MeshPlan {
  Inventory inventory;
  std::optional<IpPrefix> ipv6_prefix;  // the fixed or drawn one; none with ipv6 = off
  std::uint16_t mesh_port = 0;          // the listen port of hosts that set none
  bool new_ipv6_prefix = false;
  bool new_mesh_port = false;
  std::vector<PlannedHost> hosts;          // in inventory order
  std::vector<std::string> removed_hosts;  // in the state but no longer in the inventory
  std::vector<std::string> warnings;       // meshes that work, but not fully
  MeshState state;  // what to keep for the next run (its `files` still the old list)

  const PlannedHost* find(std::string_view name) const;
};

// Fails (listing every problem, with file and line) when the prefixes have no room for the
// hosts, or a subnet behind a host overlaps a drawn IPv6 prefix.
Result<MeshPlan> plan_mesh(const Inventory& inventory, const MeshState& state,
                           const MeshRandom& random);

}  // namespace wgd::mesh
