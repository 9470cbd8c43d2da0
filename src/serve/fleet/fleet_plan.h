// What a registry answer changes, as pure logic: the devices it lists against the peers this
// factory's sync manages (managed_by "fleet:<factory>"; nothing else is ever touched).
//
// - A device not yet a peer is created (no private key: the device holds it).
// - A listed device that is a peer is updated where it differs: key, address, enabled. A
//   device is matched by name (names ignore case), so a re-keyed device keeps its peer.
// - A peer whose device is no longer listed is removed.
//
// Addresses: the registry's `ip` is the address the device's own config gives it. Inside the
// server's tunnel subnet it is used as is. Outside (the server was moved, as seed 000's
// `--vpnaddr 10.42.44.1` does) the peer is renumbered into the new subnet keeping its host
// part (10.42.42.7 -> 10.42.44.7): that is the address the device is told to use from now on
// (GET /api/v1/fleet/devices/NAME/wireguard-client). Until the registry reports the new
// address, the old one stays routed to the device too (a /32 extra route on its peer), so a
// device not yet updated is not cut off. A device without an `ip` gets the lowest free one.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/types.h"
#include "serve/fleet/registry_document.h"
#include "serve/store/address_allocator.h"
#include "serve/store/peer_spec.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::serve::fleet {

// A peer of this factory as the store has it (no private key: devices keep theirs).
struct FleetPeer {
  std::int64_t id = 0;
  std::string name;
  crypto::PublicKey public_key{};
  std::optional<IpAddress> ipv4;
  std::vector<IpPrefix> extra_allowed_ips;
  bool enabled = true;
};

// Where a device should be.
struct DeviceAddress {
  AddressRequest request = AddressRequest::automatic();  // the peer's ipv4
  std::optional<IpAddress> legacy;  // the registry's address outside the subnet, still routed
};

// The address rule above for one registry `ip`. Fails when the registry's address, moved into
// the subnet, is not an address a peer may have (the network, broadcast or server address).
Result<DeviceAddress> device_address(const std::optional<IpAddress>& registry_ip, const TunnelSubnet& subnet);

struct FleetChange {
  enum class Kind : std::uint8_t { kCreate, kUpdate, kRemove };
  Kind kind = Kind::kCreate;
  std::string name;
  std::int64_t id = 0;  // kUpdate, kRemove
  // kCreate: all of it; kUpdate: what differs (empty optionals otherwise).
  std::optional<crypto::PublicKey> public_key;
  std::optional<AddressRequest> ipv4;
  std::optional<std::vector<IpPrefix>> extra_allowed_ips;
  std::optional<bool> enabled;
  std::string reason;   // "new device", "key changed, ip 10.42.42.7 -> 10.42.44.7", "no longer listed"
};

struct FleetPlan {
  // Peers whose address must be released before the updates run, because another device is
  // to get it (two devices swapping addresses): their ipv4 is cleared first.
  std::vector<std::int64_t> release_first;
  std::vector<FleetChange> changes;  // removals, then updates, then creations
  std::size_t unchanged = 0;
  bool empty() const { return release_first.empty() && changes.empty(); }
};

// The plan for `devices` (checked by parse_registry) against `current`. Fails, changing
// nothing, when a device's address cannot be placed (see device_address) or two devices end up
// with the same address after renumbering.
Result<FleetPlan> plan_fleet(std::span<const RegistryDevice> devices, std::span<const FleetPeer> current,
                             const TunnelSubnet& subnet);

// The PeerUpdate / NewPeer a change stands for (managed_by and description for creations).
PeerUpdate to_update(const FleetChange& c);
NewPeer to_new_peer(const FleetChange& c, std::string_view managed_by, std::string_view factory);

}  // namespace wgd::serve::fleet
