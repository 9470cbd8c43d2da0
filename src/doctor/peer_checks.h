// Per-peer diagnosis from what `wg show` reports — handshake age, transfer counters, endpoint —
// read once or twice a few seconds apart, plus the routes of its allowed IPs and endpoint.
// Pure functions: the tests feed hand-made PeerStatus values.
//
// The reasoning is the one seed 000 does by hand: a device that has sent 18 KiB and received
// nothing, with no handshake, is talking to a server that never hears it — a firewall blocking
// the UDP port on the way, or keys that do not match (WireGuard drops unauthenticated packets
// silently, so the two look the same from the sending side).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "doctor/facts.h"
#include "doctor/finding.h"
#include "wg/config_change.h"

namespace wgd::doctor {

// A handshake older than this means the session has expired (REJECT_AFTER_TIME): with traffic
// flowing, WireGuard renews it every two minutes.
inline constexpr std::int64_t kStaleHandshakeSeconds = 180;

struct PeerReading {
  const wg::PeerStatus* current = nullptr;
  const wg::PeerStatus* earlier = nullptr;  // the same peer `sample_seconds` before; may be null
  double sample_seconds = 0;
};

struct PeerContext {
  std::string interface;          // "wg0", for the commands in "more:"
  std::uint16_t listen_port = 0;  // ours
  std::int64_t now = 0;           // Unix time, for the handshake's age
  // This host's own firewall drops our UDP to the peer's endpoint: the rule, described.
  std::optional<std::string> outbound_block;
};

// The peer's heading: "peer KEY (endpoint 192.0.2.2:51820)".
std::string peer_heading(const wg::PeerStatus& peer);

// Handshake age, transfer and the diagnosis: one finding, [ok] when the peer is connected.
Finding diagnose_peer_connection(const PeerReading& reading, const PeerContext& context);

// Its allowed IPs: none at all, or ones the kernel does not route into the interface.
std::vector<Finding> check_peer_allowed_ips(const wg::PeerStatus& peer,
                                            const InterfaceFacts& facts);

// Its endpoint: no route, a route through the tunnel itself (a loop), an MTU that does not fit.
std::vector<Finding> check_peer_endpoint_route(const wg::PeerStatus& peer,
                                               const InterfaceFacts& facts);

// Allowed IPs of different peers that overlap (10.0.0.0/24 and 10.0.0.5/32): legal, but the
// longer prefix wins, which surprises. At most `limit` findings.
std::vector<Finding> check_allowed_ip_overlaps(const wg::DeviceStatus& status,
                                               std::size_t limit = 10);

// The first 8 characters of the peer's key and "...", for texts naming another peer.
std::string short_key(const wg::PeerStatus& peer);

}  // namespace wgd::doctor
