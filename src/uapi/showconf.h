// `wg showconf IF`: the device's configuration as a file `wg setconf` reads back, byte for byte
// what wireguard-tools prints for the same state. Also the text forms of addresses and endpoints
// that `wg show` shares.
#pragma once

#include <optional>
#include <string>

#include "util/ip.h"
#include "wg/config_change.h"

namespace wgd::uapi {

std::string render_showconf(const wg::DeviceStatus& status);

// "192.0.2.1:51820", "[2001:db8::1]:51820", "[fe80::1%eth0]:51820": getnameinfo(NI_NUMERICHOST)
// as `wg` calls it, so scopes print as interface names when the index exists. Nothing when
// getnameinfo fails (showconf then leaves the line out).
std::optional<std::string> format_endpoint(const Endpoint& endpoint);
// getnameinfo's error text for an endpoint it cannot print (what `wg show` prints instead).
std::string endpoint_error_text(const Endpoint& endpoint);

// "10.0.0.0/24", "fd00::/64": inet_ntop and the length, as wg prints allowed IPs.
std::string format_prefix(const IpPrefix& prefix);

// `wg`'s notion of "has a private key" / "has a preshared key": present and not all zero
// (wg's UAPI reader drops all-zero keys).
bool has_private_key(const wg::DeviceStatus& status);
bool has_preshared_key(const wg::PeerStatus& peer);

}  // namespace wgd::uapi
