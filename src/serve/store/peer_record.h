// A peer as the store keeps it: the desired state the reconciler pushes to the interface and
// the client config is rendered from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/types.h"
#include "util/ip.h"

namespace wgd::serve {

inline constexpr std::string_view kDefaultManagedBy = "api";

// Move-only because it may hold the peer's private key; clone() copies on purpose.
struct PeerRecord {
  std::int64_t id = 0;             // assigned by the store, never reused
  std::string name;                // unique (case-insensitively); see validate_peer_name
  crypto::PublicKey public_key{};  // unique
  std::optional<crypto::PrivateKey> private_key;  // only when the server generated the keys
  std::optional<crypto::PresharedKey> preshared_key;
  std::optional<IpAddress> ipv4, ipv6;       // tunnel addresses (unique per family)
  std::vector<IpPrefix> extra_allowed_ips;   // subnets routed behind the peer (site-to-site)
  std::vector<IpPrefix> client_allowed_ips;  // what the client routes (empty = server default)
  std::vector<std::string> dns;              // for the client config (empty = server default)
  std::optional<std::uint16_t> persistent_keepalive;  // client config and server side
  std::string description;
  bool enabled = true;
  std::optional<std::int64_t> expires_at;     // Unix seconds
  std::string managed_by{kDefaultManagedBy};  // each writer (api, provisioning, fleet) owns its own
  std::int64_t created_at = 0, updated_at = 0;  // Unix seconds (set by the store)
  std::int64_t revision = 0;  // bumped on every change to the row (optimistic concurrency)

  PeerRecord() = default;
  PeerRecord(PeerRecord&&) = default;
  PeerRecord& operator=(PeerRecord&&) = default;
  PeerRecord clone() const;

  // Whether the interface should carry this peer at `now`: enabled and not expired.
  // (An expired peer stays in the store; only the interface drops it.)
  bool active_at(std::int64_t now) const { return enabled && !(expires_at && *expires_at <= now); }
  // The server-side AllowedIPs: the tunnel addresses as host routes, then the extra routes.
  std::vector<IpPrefix> server_allowed_ips() const;
};

}  // namespace wgd::serve
