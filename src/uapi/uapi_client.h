// The client side of the UAPI: drives an interface served by any implementation of the
// cross-platform protocol (wgd tunnel, wireguard-go, boringtun), as wg(8) does. One
// connection per call; blocking, with a timeout on every read and write.
#pragma once

#include <chrono>
#include <string_view>

#include "util/error.h"
#include "wg/config_change.h"

namespace wgd::uapi {

inline constexpr std::chrono::milliseconds kDefaultClientTimeout{10'000};

// `ifname_or_path` is an interface name (its socket in /var/run/wireguard) or a socket path
// (anything with a '/'). Errors carry an errno in `code`: ENOENT when there is no such socket,
// ECONNREFUSED when nobody serves it, ETIMEDOUT, EPROTO for a reply that does not parse, and
// otherwise the errno the server answered with (e.g. EINVAL, EADDRINUSE).
Result<wg::DeviceStatus> get(std::string_view ifname_or_path,
                             std::chrono::milliseconds timeout = kDefaultClientTimeout);
Result<void> set(std::string_view ifname_or_path, const wg::DeviceChange& change,
                 std::chrono::milliseconds timeout = kDefaultClientTimeout);

}  // namespace wgd::uapi
