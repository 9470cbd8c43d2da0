// A host's public endpoint as the inventory writes it: "dolores.example.net",
// "dolores.example.net:55867", "203.0.113.54", "[2001:db8::1]:55867", or a bare IPv6 address.
// Without a port the host's listen port is meant (the usual case: one port, as in seed 002).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"
#include "util/ip.h"

namespace wgd::mesh {

struct EndpointSpec {
  std::string host;                   // a DNS name (lower case) or an IP address, no brackets
  std::optional<std::uint16_t> port;  // absent: the host's listen port

  // The host as an address when it is numeric.
  std::optional<IpAddress> address() const { return IpAddress::parse(host); }
  // The text of a wg-quick Endpoint line: "host:port", "[v6]:port".
  std::string with_port(std::uint16_t port) const;

  friend bool operator==(const EndpointSpec&, const EndpointSpec&) = default;
};

// Errors say what is wrong without location (the caller adds file, line and key).
Result<EndpointSpec> parse_endpoint_spec(std::string_view text);

// A DNS host name: dot-separated labels of letters, digits and '-' (not first or last),
// 1-63 characters each, 253 in all, and a last label that is not all digits (so a mistyped
// IPv4 address such as 203.0.113.256 is not taken for a name).
bool valid_dns_name(std::string_view name);

}  // namespace wgd::mesh
