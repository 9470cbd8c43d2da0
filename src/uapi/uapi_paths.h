// Where UAPI sockets live: /var/run/wireguard/IFNAME.sock, the path `wg` and wg-quick look up
// for a userspace interface (wireguard.com/xplatform).
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace wgd::uapi {

inline constexpr std::string_view kDefaultSocketDir = "/var/run/wireguard";

// The rules Linux applies to interface names (dev_valid_name): 1 to 15 bytes, not "." or "..",
// no '/', ':' or whitespace. `wg` refuses names with '/', so they could never be reached anyway.
Result<void> validate_interface_name(std::string_view ifname);

// DIR/IFNAME.sock, for a name that passed validate_interface_name.
std::string socket_path(std::string_view ifname, std::string_view dir = kDefaultSocketDir);

// What the client calls accept: an interface name (looked up in kDefaultSocketDir) or, when it
// contains a '/', the path of a socket.
Result<std::string> resolve_socket_path(std::string_view ifname_or_path);

}  // namespace wgd::uapi
