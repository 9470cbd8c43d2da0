// Forwarding and NAT, for peers that route through this host: the linuxserver container users'
// ALLOWEDIPS=0.0.0.0/0 (seed 001/004) send everything through the server, which then needs
// net.ipv4.ip_forward=1, a FORWARD path open for the interface, and a MASQUERADE/SNAT rule for
// the tunnel subnet (private addresses cannot go out as they are).
//
// What can be known from this host: its own --gateway flag, the server setting that tells peers
// what to route here (WGD_CLIENT_ALLOWED_IPS / PEER_ALLOWED_IPS / ALLOWEDIPS, as `wgd serve`
// reads it from the environment), and peers' allowed IPs outside the interface's subnets (networks
// behind a peer). Peers' own AllowedIPs are in *their* configuration and cannot be seen here.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "doctor/facts.h"
#include "doctor/finding.h"
#include "doctor/firewall_model.h"
#include "wg/config_change.h"

namespace wgd::doctor {

struct GatewaySettings {
  bool flag = false;  // wgd doctor --gateway: peers route other traffic through this host
  // NAME=VALUE settings that list what peers route here: {"ALLOWEDIPS", "0.0.0.0/0"}.
  std::vector<std::pair<std::string, std::string>> client_allowed_ips;
};

// The environment variables `wgd serve` reads for the peers' AllowedIPs, in its order.
std::vector<std::pair<std::string, std::string>> client_allowed_ips_from_environment();

std::vector<Finding> check_forwarding(const wg::DeviceStatus& status, const InterfaceFacts& facts,
                                      const HostFacts& host, const Ruleset& rules,
                                      const GatewaySettings& gateway);

}  // namespace wgd::doctor
