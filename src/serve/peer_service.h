// The operations of `wgd serve` on peers and on the server, in one place: the REST API, the
// seed-003 compatibility paths, the `wgd peer` CLI (through the API), linuxserver-style
// provisioning and fleet sync all call these, so validation, defaults, logging ("one clear line
// per change") and the reconciler hand-off happen once.
//
// Every mutation returns after the store has committed it durably; the reconciler is then
// asked to bring the interface in line (asynchronously, within milliseconds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "serve/store/peer_record.h"
#include "serve/store/peer_spec.h"
#include "util/error.h"
#include "util/ip.h"
#include "wg/config_change.h"

namespace wgd::serve {

// A peer named by id, by name, or by public key.
using PeerRef = std::variant<std::int64_t, std::string, crypto::PublicKey>;

// What the interface says about a peer right now.
struct PeerLiveStatus {
  bool on_interface = false;
  std::optional<Endpoint> endpoint;
  std::int64_t latest_handshake = 0;  // Unix seconds; 0 = never
  std::uint64_t rx_bytes = 0, tx_bytes = 0;
  bool connected(std::int64_t now) const {
    return latest_handshake != 0 && now - latest_handshake < 180;
  }
};

struct PeerView {
  PeerRecord record;  // may hold the private key: never serialise it except into a client config
  PeerLiveStatus live;
};

struct PeerListView {
  std::vector<PeerView> peers;
  std::int64_t total = 0;
};

struct ServerInfo {
  crypto::PublicKey public_key{};
  std::string interface;
  std::uint16_t listen_port = 0;
  std::string endpoint;  // "host:port" as client configs carry it
  std::optional<IpPrefix> ipv4_address, ipv6_address;  // server's tunnel address + subnet length
  std::vector<IpPrefix> client_allowed_ips;
  std::vector<std::string> client_dns;
  std::optional<std::uint16_t> client_persistent_keepalive;
  std::uint32_t mtu = 0;
  std::string version;
};

struct ServerStatus {
  ServerInfo server;
  std::int64_t peers_total = 0, peers_enabled = 0, peers_active = 0, peers_connected = 0;
  bool interface_up = false;
  std::uint64_t rx_bytes = 0, tx_bytes = 0;  // summed over peers
};

class PeerService {
 public:
  virtual ~PeerService() = default;

  virtual Result<PeerView> create(NewPeer spec) = 0;
  virtual Result<PeerListView> list(const PeerFilter& filter) = 0;
  virtual Result<PeerView> get(const PeerRef& ref) = 0;
  virtual Result<PeerView> update(const PeerRef& ref, const PeerUpdate& update) = 0;
  virtual Result<void> remove(const PeerRef& ref) = 0;
  virtual Result<PeerView> set_enabled(const PeerRef& ref, bool enabled) = 0;

  // The peer's wg-quick file (fails with kConflict/no_private_key when the client holds it).
  virtual Result<std::string> client_config(const PeerRef& ref) = 0;

  virtual ServerInfo server_info() = 0;
  virtual Result<ServerStatus> status() = 0;
  // The interface as the stock tools show it (for the seed-003 /info and /info/conf paths).
  virtual Result<wg::DeviceStatus> interface_status() = 0;
};

}  // namespace wgd::serve
