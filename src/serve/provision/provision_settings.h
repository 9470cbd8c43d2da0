// The settings of linuxserver/wireguard-style provisioning (issue 6, seeds 001 and 004), under
// the container's own environment variable names so a docker-compose file carries over:
//
//   PEERS=laptop,phone,tablet | PEERS=3     the peers to provision (turns provisioning on)
//   PEERDNS=auto | 192.168.203.65,1.1.1.1   DNS line of every peer config (auto = server .1)
//   INTERNAL_SUBNET=10.13.13.0              server .1, peers .2, .3, ... (sets WGD_IPV4_ADDRESS)
//   ALLOWEDIPS=0.0.0.0/0, ::/0              AllowedIPs line of every peer config
//   PERSISTENTKEEPALIVE_PEERS=phone | all   server-side keepalive 25 s for those peers
//   LOG_CONFS=true                          QR code of each new or changed config on stdout
//   SERVER_ALLOWEDIPS_PEER_<name>=192.168.1.0/24   subnets behind that peer (site-to-site)
//   WGD_CONFIG_DIR=/config                  where the container's file tree is written
//   PUID=1000 PGID=1000                     owner of that tree, as the container's chown
//
// SERVERURL and SERVERPORT are settings of `wgd serve` itself (aliases of WGD_ENDPOINT and
// WGD_ENDPOINT_PORT in settings.cc): they are what every client config says anyway.
//
// settings.cc hands every name this module claims to apply_provision_setting(), so these
// names work in the config file, the environment and `--set` like every other setting.
// This header depends on nothing of serve/ (settings.h includes it).
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/ip.h"

namespace wgd::serve {
struct ServerSettings;  // settings.h
}

namespace wgd::serve::provision {

// One entry of PEERS as the container names it.
struct ProvisionedName {
  std::string entry;    // as listed: "laptop", or "2" (number mode and digit-only names)
  std::string peer_id;  // the container's PEER_ID: "peer_laptop", "peer2" (directory, file names)
  std::string name;     // the peer's name in wgd's store: "laptop", "peer2"
};

// PEER_ID and store name for one PEERS entry: digits give "peerN" for both (as the container
// names them); anything else gives "peer_NAME" and the name itself.
ProvisionedName provisioned_name(std::string_view entry);

struct ProvisionSettings {
  std::string config_dir = "/config";  // WGD_CONFIG_DIR
  std::string peers_text;              // PEERS as given (for the summary); empty: provisioning off
  std::vector<ProvisionedName> peers;  // PEERS, a number expanded to 1..N
  std::optional<IpPrefix> internal_subnet;  // INTERNAL_SUBNET, as the server's address (x.y.z.1/24)
  std::string peer_dns = "auto";       // PEERDNS, as written into DNS = (auto: server's address)
  std::string allowed_ips_text = "0.0.0.0/0, ::/0";  // ALLOWEDIPS, as written into AllowedIPs =
  std::vector<IpPrefix> allowed_ips = {*IpPrefix::parse("0.0.0.0/0"), *IpPrefix::parse("::/0")};
  bool keepalive_all = false;                 // PERSISTENTKEEPALIVE_PEERS=all
  std::vector<std::string> keepalive_peers;   // PERSISTENTKEEPALIVE_PEERS=a,b (PEERS entries)
  bool log_confs = true;                      // LOG_CONFS (the container's default is true)
  // SERVER_ALLOWEDIPS_PEER_<entry>: the text as written into wg0.conf, and parsed.
  std::map<std::string, std::string, std::less<>> server_allowed_ips_text;
  std::map<std::string, std::vector<IpPrefix>, std::less<>> server_allowed_ips;
  std::optional<uid_t> puid;  // PUID
  std::optional<gid_t> pgid;  // PGID

  // Where each value came from ("env", "file:/etc/wgd/wgd.conf:3", ...), by variable name.
  std::map<std::string, std::string, std::less<>> origins;

  bool enabled() const { return !peers.empty(); }
  bool keepalive_for(const ProvisionedName& p) const;
};

// Whether `name` is one of the variables above (SERVER_ALLOWEDIPS_PEER_* by its prefix).
bool is_provision_setting(std::string_view name);
// Parses one NAME=VALUE into `s`. Errors say what is wrong with the value, never which
// setting (the caller prefixes "NAME (ORIGIN): ").
Result<void> apply_provision_setting(ProvisionSettings& s, std::string_view name,
                                     std::string_view value, std::string_view origin);
// Rules across settings, after every layer is applied: INTERNAL_SUBNET gives the server's
// IPv4 address (x.y.z.1/24) unless WGD_IPV4_ADDRESS says otherwise (both: they must agree),
// and when PEERS is set without INTERNAL_SUBNET or WGD_IPV4_ADDRESS the container's
// 10.13.13.1/24 is used. `ipv4_origin` is where WGD_IPV4_ADDRESS came from ("default" if
// nowhere). PERSISTENTKEEPALIVE_PEERS and SERVER_ALLOWEDIPS_PEER_* must name PEERS entries.
Result<void> finish_provision_settings(ServerSettings& s, std::string_view ipv4_origin);
// "PEERS=laptop,phone (env)" lines for the start-up summary; nothing when provisioning is off
// and no provisioning variable was given.
std::vector<std::string> describe_provision_settings(const ProvisionSettings& s);
// The names, for --help texts (SERVER_ALLOWEDIPS_PEER_<name> as written).
std::vector<std::string> provision_setting_names();

}  // namespace wgd::serve::provision
