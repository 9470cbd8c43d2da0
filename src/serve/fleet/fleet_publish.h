// What devices (or the tooling that configures them) fetch from `wgd serve`, in the forms
// Foundries' fioconfig files use (seed 000):
//
//   wireguard-server (factory-wide)        wireguard-client (one per device)
//     endpoint=vpn.example.com:5555          address=10.42.44.2
//     server_address=10.42.44.1              pubkey=<the device's public key>
//     pubkey=<the server's public key>
//
// and the request bodies `fioctl config set --raw` / `fioctl devices config set --raw` take to
// put them on the devices. After a server move, these already carry the new addresses: that is
// the edit seed 000 has the operator write by hand.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "crypto/types.h"
#include "util/ip.h"

namespace wgd::serve::fleet {

// The file factory-wireguard.py registers as the factory's "wireguard-server" (no final newline).
std::string wireguard_server_text(std::string_view endpoint, const IpAddress& server_address,
                                  const crypto::PublicKey& server_key);

// A device's "wireguard-client" file, as seed 000 shows it (no final newline).
std::string wireguard_client_text(const IpAddress& address, const crypto::PublicKey& device_key);

// {"reason", "files": [{"name": "wireguard-server", "value", "unencrypted": true,
//   "on-changed": ["/usr/share/fioconfig/handlers/factory-config-vpn"]}]}
nlohmann::json factory_config_body(std::string_view server_text);
// {"reason", "files": [{"name": "wireguard-client", "value", "unencrypted": true}]}
nlohmann::json device_config_body(std::string_view client_text);

}  // namespace wgd::serve::fleet
