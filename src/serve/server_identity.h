// The server's own key pair and IPv6 tunnel subnet. Both are kept as store settings, so they
// survive restarts and every gateway sharing one store agrees on them (put_setting_if_absent:
// of two gateways starting at once, one value wins and both use it).
#pragma once

#include <optional>
#include <string>

#include "crypto/types.h"
#include "serve/settings.h"
#include "serve/store/store.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::serve {

inline constexpr std::string_view kPrivateKeySetting = "server.private_key";
inline constexpr std::string_view kIpv6AddressSetting = "server.ipv6_address";

struct ServerIdentity {
  crypto::PrivateKey private_key;
  crypto::PublicKey public_key{};
  std::string key_origin;  // "WGD_PRIVATE_KEY", "stored", "generated"
  std::optional<IpPrefix> ipv4_address;  // as configured
  std::optional<IpPrefix> ipv6_address;  // configured, or the stored/generated random ULA /64
  std::string ipv6_origin;               // "configured", "stored", "generated", "disabled"
};

// Loads the identity, creating what is missing: a private key (unless WGD_PRIVATE_KEY gives
// one, which then replaces a different stored key, with a warning) and the random ULA /64.
Result<ServerIdentity> load_server_identity(Store& store, const ServerSettings& settings);

// fdXX:XXXX:XXXX:XXXX::1/64: RFC 4193's "fd" prefix with a random 40-bit global ID and a
// random 16-bit subnet ID; the server takes ::1.
IpPrefix random_ula_prefix();

}  // namespace wgd::serve
