// linuxserver/wireguard-style provisioning (issue 6 item 1): the peers PEERS lists are kept in
// wgd's store (managed_by "provision") and the container's file tree is written for them.
//
// Unlike the container, nothing ever needs a "clean slate" (seed 001):
// - a name new in PEERS gets a peer (keys generated, the lowest free address from .2 on), or
//   takes over the keys and address the container left in its directory;
// - a name gone from PEERS is disabled, not deleted: its keys, address and files stay, and
//   listing it again brings it back as it was;
// - SERVERURL, SERVERPORT, PEERDNS, ALLOWEDIPS, PERSISTENTKEEPALIVE_PEERS and
//   SERVER_ALLOWEDIPS_PEER_* only re-render the files (same keys, same addresses);
// - INTERNAL_SUBNET renumbers the peers into the new subnet, keeping each one's host part
//   (the container does the same with its text substitution).
//
// Everything goes through PeerService (one log line per change, the reconciler puts it on the
// interface live). Files are rewritten only when their bytes change; with LOG_CONFS the QR
// code of each new or changed config is printed, as the container prints them whenever it
// (re)generates configs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/types.h"
#include "serve/peer_service.h"
#include "serve/provision/provision_settings.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::serve::provision {

inline constexpr std::string_view kManagedBy = "provision";

// What the files need to know about the server.
struct ProvisionServer {
  crypto::PublicKey public_key{};
  const crypto::PrivateKey* private_key = nullptr;  // for server/privatekey-server and wg0.conf
  IpPrefix ipv4_address;      // the server's tunnel address and the subnet's length
  std::uint16_t listen_port = 51820;
  std::string endpoint;       // "host:port" (SERVERURL:SERVERPORT); empty: no Endpoint line
};

struct ProvisionReport {
  int created = 0;    // new peers (keys generated or taken over)
  int adopted = 0;    // of those, with keys taken over from files already there
  int updated = 0;    // peers whose settings or address changed (same keys)
  int enabled = 0;    // listed again after having been removed from PEERS
  int disabled = 0;   // no longer in PEERS
  int unchanged = 0;
  int configs_written = 0;  // peer configs new or changed (and so printed with LOG_CONFS)
  int files_written = 0;
  std::vector<std::string> errors;  // one per peer that could not be provisioned; no keys
};

// Text printed for LOG_CONFS (the QR codes); the server passes stdout.
using ConfPrinter = std::function<void(std::string_view)>;

// Reconciles PEERS with the store and writes the tree. Fails only when the tree itself cannot
// be written (the directory, the server files); a peer that cannot be provisioned is reported
// in `errors` and the others go on.
Result<ProvisionReport> provision_peers(PeerService& service, const ProvisionSettings& settings,
                                        const ProvisionServer& server, const ConfPrinter& print);

}  // namespace wgd::serve::provision
