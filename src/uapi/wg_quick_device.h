// Between a wg-quick file and a device: the change `wg setconf` would make, endpoint name
// resolution as `wg` does it, and the file that describes a running device (SaveConfig).
#pragma once

#include <netdb.h>

#include <chrono>
#include <functional>
#include <string_view>

#include "uapi/wg_quick_config.h"
#include "util/error.h"
#include "util/ip.h"
#include "wg/config_change.h"

namespace wgd::uapi {

// Turns "host:port" into an address. Injectable so callers and tests decide how names resolve.
using Resolver = std::function<Result<Endpoint>(std::string_view host_port)>;

struct ResolveOptions {
  // Transient failures (anything but "no such name") are retried this many times; negative
  // retries forever. `wg` reads WG_ENDPOINT_RESOLUTION_RETRIES, default 15.
  int retries = 15;
  // The wait before the first retry; each further wait is 6/5 of the previous, at most max_delay.
  std::chrono::microseconds first_delay{1'000'000};
  std::chrono::microseconds max_delay{20'000'000};
  // System seams, replaced in tests to inject failures without touching the network.
  std::function<int(const char*, const char*, const addrinfo*, addrinfo**)> getaddrinfo =
      ::getaddrinfo;
  std::function<void(std::chrono::microseconds)> sleep;  // default: std::this_thread::sleep_for
  // Told about each transient failure before the wait (`wg` prints "Trying again in 1.00 seconds").
  std::function<void(const Error&, std::chrono::microseconds)> on_retry;
};

// ResolveOptions with `retries` from WG_ENDPOINT_RESOLUTION_RETRIES ("infinity" or a number).
Result<ResolveOptions> resolve_options_from_environment();

// "192.0.2.1:51820", "[2001:db8::1]:51820", "[fe80::1%eth0]:51820" are taken as they are; names go
// to getaddrinfo(AF_UNSPEC, SOCK_DGRAM) and the first answer wins, exactly as `wg setconf`
// does: the system's address ordering (RFC 6724, /etc/gai.conf) decides between IPv4 and IPv6.
Result<Endpoint> resolve_endpoint(std::string_view host_port, const ResolveOptions& options = {});

// The change `wg setconf` makes from this file: private key, listen port and fwmark always set
// (absent ones reset to none/0/off), replace_peers, and every peer with replace_allowed_ips.
// Endpoints go through `resolve`; the first failure names the peer.
Result<wg::DeviceChange> to_device_change(const WgQuickConfig& config, const Resolver& resolve);

// What `wg showconf` would say about a device, as a model: the setconf part of a file (for
// SaveConfig, which then adds Address, DNS, MTU, Table and the hooks).
WgQuickConfig wg_quick_from_status(const wg::DeviceStatus& status);

}  // namespace wgd::uapi
