// "HOST:PORT" as users type it — a name (the seeds use dynamic DNS names), an IPv4 address, or
// an IPv6 address in brackets — and its resolution to one UDP endpoint.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/error.h"
#include "util/ip.h"

namespace wgd::doctor {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// "vpn.example.org:51820", "192.0.2.1:51820", "[2001:db8::1]:51820"; without ":PORT" the
// default port. A bare IPv6 address ("2001:db8::1") is taken whole, with the default port.
Result<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port);

// getaddrinfo: numeric addresses as they are, names through the system's resolver; the first
// address it returns.
Result<Endpoint> resolve_host_port(const HostPort& target);

}  // namespace wgd::doctor
