// The device registry's answer, as factory-wireguard-server reads Foundries'
// /ota/factories/<factory>/wireguard-ips/:
//
//   [{"name": "gateway-17", "pubkey": "<base64>", "ip": "10.42.42.17", "enabled": true}, ...]
//
// Checked as a whole before anything is changed: one bad entry (a key that is not a key, an
// address that is not one, a name used twice) rejects the whole answer, because a registry
// that returns garbage must change nothing (a half-applied answer could remove devices the
// registry never meant to remove).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/types.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::serve::fleet {

struct RegistryDevice {
  std::string name;              // a peer name (validate_peer_name)
  crypto::PublicKey public_key{};
  std::optional<IpAddress> ip;   // IPv4; absent, null or "": wgd assigns one
  bool enabled = true;           // absent: true (a hand-written registry need not say it)
};

// At most this many bytes are read from a registry (a fleet of 100,000 devices is ~15 MB).
inline constexpr std::size_t kMaxRegistryBytes = 32u << 20;

// Parses and checks a registry answer. Errors name the entry and field ("devices[3].pubkey:
// not a WireGuard public key (44 characters of base64)"), never quote a key, and are at most
// a few hundred characters even for a huge answer. Unknown fields are ignored (the registry
// may say more than we need). `server_key`: no device may carry the server's own key.
Result<std::vector<RegistryDevice>> parse_registry(std::string_view body,
                                                   const crypto::PublicKey& server_key);

}  // namespace wgd::serve::fleet
