// Picking a routing table for a default route, as wg-quick does: the first number from 51820 up
// that nothing uses yet. The same number becomes the interface's fwmark (see rule.h).
#pragma once

#include <cstdint>

#include "net/netlink_socket.h"
#include "util/error.h"

namespace wgd::net {

inline constexpr std::uint32_t kFirstWgQuickTable = 51820;

// The first table number >= `start` with no IPv4 or IPv6 route in it and no rule (of either
// family) pointing at it. wg-quick checks routes only; a leftover rule of a table whose routes
// are gone would still send traffic there, so we treat the table as taken.
Result<std::uint32_t> find_free_table(NetlinkSocket& nl, std::uint32_t start = kFirstWgQuickTable);

}  // namespace wgd::net
