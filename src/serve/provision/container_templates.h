// The text of the files linuxserver/wireguard writes, from its default templates
// (/defaults/peer.conf, /defaults/server.conf and the [Peer] blocks its init script appends to
// wg0.conf), so that wgd's files read exactly like the container's: users' scripts, the
// container itself (if they go back to it: it reads `Address` out of peer_NAME.conf) and
// the QR codes all see the same bytes.
//
//   peer_laptop.conf                         wg0.conf
//   [Interface]                              [Interface]
//   Address = 10.13.13.2                     Address = 10.13.13.1
//   PrivateKey = ...                         ListenPort = 51820
//   ListenPort = 51820                       PrivateKey = ...
//   DNS = 10.13.13.1                         PostUp = iptables ...
//                                            PostDown = iptables ...
//   [Peer]
//   PublicKey = (server)                     [Peer]
//   PresharedKey = ...                       # peer_laptop
//   Endpoint = vpn.example.com:51820         PublicKey = ...
//   AllowedIPs = 0.0.0.0/0, ::/0             PresharedKey = ...
//                                            AllowedIPs = 10.13.13.2/32
//
// Users' own templates in /config/templates are not evaluated (the container runs them
// through the shell); see docs/provisioning.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/types.h"
#include "util/ip.h"

namespace wgd::serve::provision {

struct PeerConfFields {
  IpAddress address;                          // Address = (no prefix length, as the container)
  const crypto::PrivateKey* private_key = nullptr;
  std::string dns;                            // DNS = PEERDNS as written (auto resolved)
  crypto::PublicKey server_public_key{};
  const crypto::PresharedKey* preshared_key = nullptr;  // none: no PresharedKey line
  std::string endpoint;                       // "host:port"; empty: no Endpoint line
  std::string allowed_ips;                    // AllowedIPs = ALLOWEDIPS as written
};

// peer_NAME.conf, ending in one newline.
std::string render_peer_conf(const PeerConfFields& f);

struct ServerConfPeer {
  std::string peer_id;                         // "# peer_laptop"
  crypto::PublicKey public_key{};
  const crypto::PresharedKey* preshared_key = nullptr;
  IpAddress address;                           // AllowedIPs = ADDRESS/32
  std::string extra_allowed_ips;               // SERVER_ALLOWEDIPS_PEER_<name> as written
  bool keepalive = false;                      // PersistentKeepalive = 25
};

// wg_confs/wg0.conf: the [Interface] of the server template, then one [Peer] block each.
std::string render_server_conf(const IpAddress& server_address, std::uint16_t listen_port,
                               const crypto::PrivateKey& server_private_key,
                               const std::vector<ServerConfPeer>& peers);

// What `wg genkey | tee privatekey-X`, `wg pubkey > publickey-X` and `wg genpsk > ...` leave
// in the key files: the base64 key and a newline.
std::string key_file_text(std::span<const std::uint8_t, crypto::kKeySize> key);

}  // namespace wgd::serve::provision
