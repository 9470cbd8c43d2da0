// A peer's wg-quick file, as the client imports it (file or QR code):
//   [Interface] PrivateKey, Address (IPv4/32, IPv6/128), DNS, MTU
//   [Peer]      PublicKey (the server), PresharedKey, AllowedIPs, Endpoint, PersistentKeepalive
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/types.h"
#include "serve/store/peer_record.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::serve {

// What the server puts into every client config unless the peer has its own.
struct ClientConfigDefaults {
  crypto::PublicKey server_public_key{};
  std::string endpoint;                  // "host:port" / "[v6]:port"; empty: no Endpoint line
  std::vector<IpPrefix> allowed_ips;     // what the client routes through the tunnel
  std::vector<std::string> dns;
  std::optional<std::uint32_t> mtu;      // only when configured; else the client computes it
};

// Fails (errno ENOKEY) when the server does not hold the peer's private key.
Result<std::string> render_client_config(const PeerRecord& peer, const ClientConfigDefaults& defaults);

// "host:port", with brackets around an IPv6 literal.
std::string format_endpoint(const std::string& host, std::uint16_t port);

}  // namespace wgd::serve
