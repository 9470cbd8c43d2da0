// What the reconciler changes, as pure logic: the store's peers (desired) against the
// interface's (actual) give the exact peer adds, updates and removes, never `replace_peers`
// (that would drop every session). The interface belongs to wgd: peers the store does not
// know are removed.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/types.h"
#include "serve/store/peer_record.h"
#include "util/ip.h"
#include "wg/config_change.h"

namespace wgd::serve {

struct PublicKeyHash {
  std::size_t operator()(const crypto::PublicKey& k) const noexcept {
    std::size_t h;
    std::memcpy(&h, k.data(), sizeof h);  // keys are uniformly random
    return h;
  }
};

// The part of a stored peer the interface carries (the reconciler keeps these, not records
// with private keys, between passes).
struct PeerIntent {
  std::int64_t id = 0;
  std::string name;
  crypto::PublicKey public_key{};
  std::optional<crypto::PresharedKey> preshared_key;
  std::uint16_t persistent_keepalive = 0;  // 0 = off
  std::vector<IpPrefix> allowed_ips;       // server side: tunnel addresses, then extra routes
  std::vector<IpPrefix> extra_allowed_ips; // the routes behind the peer (site-to-site)
  std::optional<IpAddress> ipv4, ipv6;     // tunnel addresses (for the hosts file)
  bool enabled = true;
  std::optional<std::int64_t> expires_at;
  std::string managed_by;  // issue 6: fleet devices are named in their factory's hosts block

  static PeerIntent from_record(const PeerRecord& r);
  bool active_at(std::int64_t now) const { return enabled && !(expires_at && *expires_at <= now); }
  bool expired_at(std::int64_t now) const { return enabled && expires_at && *expires_at <= now; }
  PeerIntent clone() const;
};

struct PlannedAction {
  enum class Kind : std::uint8_t { kAdd, kUpdate, kRemove };
  Kind kind = Kind::kAdd;
  crypto::PublicKey public_key{};
  const PeerIntent* peer = nullptr;  // the store's peer; null for a peer unknown to the store
  std::string reason;                // "allowed IPs differ", "disabled", "expired", "not in the store"
  std::optional<Endpoint> endpoint;  // kRemove: where the peer was (to put it back on re-enable)
};

// Endpoints of peers the reconciler took off the interface (disabled, expired). Adding such a
// peer again with its endpoint lets the server start the handshake (its persistent keepalive
// fires at once), so re-enabling restores the tunnel in a round trip instead of after the
// client's own 15-second retry.
using EndpointMemory = std::unordered_map<crypto::PublicKey, Endpoint, PublicKeyHash>;

struct ReconcilePlan {
  wg::DeviceChange change;  // removes first, then updates, then adds; index i = actions[i]
  std::vector<PlannedAction> actions;
  bool empty() const { return actions.empty(); }
};

// `intents` are every stored peer (active or not); the ones active at `now` are wanted on the
// interface, except one carrying the server's own key (an interface cannot have itself as
// peer). Pointers in the plan refer into `intents`.
ReconcilePlan plan_reconcile(std::span<const PeerIntent> intents, const wg::DeviceStatus& actual,
                             std::int64_t now, const crypto::PublicKey& server_key,
                             const EndpointMemory* endpoints = nullptr);

// The earliest expires_at after `now` among enabled peers: when the next pass must run.
std::optional<std::int64_t> next_expiry(std::span<const PeerIntent> intents, std::int64_t now);

// The routes to subnets behind active peers (extra_allowed_ips), sorted.
std::vector<IpPrefix> wanted_routes(std::span<const PeerIntent> intents, std::int64_t now,
                                    const crypto::PublicKey& server_key);

// "alice (id 7)", or "Ya0PenRj..." (the start of its key) for a peer the store does not know.
std::string describe_action_peer(const PlannedAction& a);

}  // namespace wgd::serve
