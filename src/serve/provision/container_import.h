// Taking over a /config directory that linuxserver/wireguard (or an earlier wgd whose store is
// gone) left behind, so that switching to wgd does not invalidate a single QR code: the server
// key, each peer's key pair and preshared key, and the address in its peer_NAME.conf are kept.
#pragma once

#include <optional>
#include <string>

#include "crypto/types.h"
#include "serve/provision/config_tree.h"
#include "serve/provision/provision_settings.h"
#include "serve/settings.h"
#include "serve/store/store.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::serve::provision {

struct ContainerPeerFiles {
  std::optional<crypto::PrivateKey> private_key;      // privatekey-PEER_ID
  std::optional<crypto::PresharedKey> preshared_key;  // presharedkey-PEER_ID
  std::optional<IpAddress> address;                   // the IPv4 `Address` of PEER_ID.conf
};

// What the peer's directory holds. A key file that exists but holds no valid key is an error
// (naming the file, never its contents): replacing it would silently break that client.
Result<ContainerPeerFiles> read_container_peer(const ConfigTree& tree, const ProvisionedName& peer);

// server/privatekey-server, if the file exists.
Result<std::optional<crypto::PrivateKey>> read_container_server_key(const ConfigTree& tree);

// Before the server identity is loaded: when provisioning is on, no key is stored yet and
// WGD_PRIVATE_KEY is not given, the key in server/privatekey-server becomes the server's key
// (so clients configured by the container keep working). Returns whether it did.
Result<bool> adopt_container_server_key(const ServerSettings& settings, Store& store);

// The first IPv4 address on the `Address` line of a wg-quick file (prefix length dropped), as
// the container's `grep Address | awk '{print $NF}'` reads it back.
std::optional<IpAddress> address_of_conf(std::string_view conf_text);

}  // namespace wgd::serve::provision
