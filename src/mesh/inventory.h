// The mesh inventory: one file that describes every host of a full-mesh VPN (seed 002's servers
// joined to each other), from which `wgd mesh generate` writes each host's keys and wg-quick file.
//
//   [mesh]
//   name        = example                  # optional, named in the generated files' comments
//   ipv4        = 10.195.171.0/24          # required: the VPN's IPv4 subnet
//   ipv6        = auto                     # auto (a random RFC 4193 ULA /64), a prefix, or off
//   listen_port = random                   # random (one port drawn from 49152-65535) or a number
//   domain      = example.net              # optional: comments say "dolores.example.net"
//   interface   = wg0                      # the file name: OUT/HOST/wg0.conf
//   persistent_keepalive = 25              # what hosts without an endpoint send; 0 = off
//   output      = wgd-mesh                 # relative to this file's directory
//
//   [host dolores]
//   endpoint    = 203.0.113.54             # host[:port]; leave out (or "dynamic") for none
//   comment     = Hetzner, San Francisco
//   ipv4        = 10.195.171.142           # optional fixed VPN addresses
//   ipv6        = fdc1:d89e:b128:6a04::7de4
//   listen_port = 55867                    # optional
//   subnets     = 172.27.88.0/24, fdc1:d89e:b128:13a6::/64   # routed to this host; repeatable
//
// parse_inventory checks everything that can be checked without the state: syntax, values, and
// the rules between hosts (names, addresses, subnets, endpoints); see inventory_checks.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mesh/endpoint_spec.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::mesh {

inline constexpr std::uint16_t kRandomPortLow = 49152;  // IANA dynamic/private ports
inline constexpr std::uint16_t kRandomPortHigh = 65535;
inline constexpr std::uint16_t kDefaultKeepalive = 25;  // seconds; what wg(8) suggests for NAT

enum class Ipv6Mode : std::uint8_t {
  kAuto,   // a random ULA /64, drawn once and kept in the state
  kFixed,  // the inventory's prefix
  kOff,    // IPv4 only
};

struct InventoryHost {
  std::string name;  // a DNS label, lower case; also the output directory's name
  int line = 0;      // of the [host NAME] header
  std::optional<EndpointSpec> endpoint;  // none: the host waits for the others to reach it
  std::optional<IpAddress> ipv4;         // fixed VPN addresses; else allocated
  std::optional<IpAddress> ipv6;
  std::optional<std::uint16_t> listen_port;
  std::vector<IpPrefix> subnets;  // canonical; routed to this host by every other host
  std::string comment;            // "Hetzner, San Francisco"
  std::map<std::string, int, std::less<>> key_lines;  // where each key was written

  // The line of `key` if written, else the header's, for error messages.
  int line_of(std::string_view key) const;
};

struct Inventory {
  std::string file_name;  // as given; labels errors
  std::string name;
  IpPrefix ipv4_subnet;   // canonical
  Ipv6Mode ipv6_mode = Ipv6Mode::kAuto;
  std::optional<IpPrefix> ipv6_prefix;       // kFixed only; canonical
  std::optional<std::uint16_t> listen_port;  // absent: random
  std::string domain;
  std::string interface = "wg0";
  std::uint16_t persistent_keepalive = kDefaultKeepalive;
  std::optional<std::string> output;  // as written
  int mesh_line = 0;                  // of the [mesh] header
  std::map<std::string, int, std::less<>> key_lines;  // of the [mesh] keys
  std::vector<InventoryHost> hosts;   // in file order

  int line_of(std::string_view key) const;
  const InventoryHost* find_host(std::string_view name) const;
  // "dolores.example.net" with a domain, else "dolores".
  std::string public_name(const InventoryHost& host) const;
};

// Parses and checks a whole inventory; the error lists every problem, one "FILE:LINE: [section]
// key: what" per line. `file_name` only labels errors.
Result<Inventory> parse_inventory(std::string_view text, std::string_view file_name);

}  // namespace wgd::mesh
