// The one configuration change set. Every front end produces it (UAPI set=1, wg-quick files,
// the REST API, the CLI) and the interface applies it in one place, all or nothing.
// Its fields mirror the keys of the UAPI `set=1` operation (wireguard.com/xplatform).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "crypto/types.h"
#include "util/ip.h"

namespace wgd::wg {

struct PeerChange {
  crypto::PublicKey public_key{};
  bool remove = false;       // remove the peer (other fields ignored)
  bool update_only = false;  // change the peer only if it exists; never create it
  std::optional<crypto::PresharedKey> preshared_key;  // all-zero key removes it
  std::optional<Endpoint> endpoint;
  std::optional<std::uint16_t> persistent_keepalive;  // seconds; 0 turns it off
  bool replace_allowed_ips = false;  // drop the peer's allowed IPs before adding `allowed_ips`
  std::vector<IpPrefix> allowed_ips;
};

struct DeviceChange {
  std::optional<crypto::PrivateKey> private_key;  // all-zero key removes it
  std::optional<std::uint16_t> listen_port;       // 0 picks a free port
  std::optional<std::uint32_t> fwmark;            // 0 turns it off
  bool replace_peers = false;                     // remove every peer first (listed ones start afresh)
  std::vector<PeerChange> peers;                  // applied in order
};

// What `get=1` reports for a peer.
struct PeerStatus {
  crypto::PublicKey public_key{};
  std::optional<crypto::PresharedKey> preshared_key;
  std::optional<Endpoint> endpoint;
  std::uint16_t persistent_keepalive = 0;
  std::vector<IpPrefix> allowed_ips;  // canonical, in insertion order
  std::int64_t last_handshake_sec = 0;  // wall clock (Unix time); 0 = never
  std::int64_t last_handshake_nsec = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  int protocol_version = 1;

  PeerStatus clone() const;
};

// What `get=1` reports for the interface.
struct DeviceStatus {
  std::optional<crypto::PrivateKey> private_key;
  std::optional<crypto::PublicKey> public_key;  // derived from private_key
  std::uint16_t listen_port = 0;
  std::uint32_t fwmark = 0;
  std::vector<PeerStatus> peers;
};

inline PeerStatus PeerStatus::clone() const {
  PeerStatus s;
  s.public_key = public_key;
  if (preshared_key) s.preshared_key = preshared_key->clone();
  s.endpoint = endpoint;
  s.persistent_keepalive = persistent_keepalive;
  s.allowed_ips = allowed_ips;
  s.last_handshake_sec = last_handshake_sec;
  s.last_handshake_nsec = last_handshake_nsec;
  s.rx_bytes = rx_bytes;
  s.tx_bytes = tx_bytes;
  s.protocol_version = protocol_version;
  return s;
}

}  // namespace wgd::wg
