// The policy rules wg-quick adds for a default route (see net/rule.h for what they do) and its
// way of removing them in del_if: for both families, "ip rule delete table T" while any rule looks
// up table T, then "ip rule delete table main suppress_prefixlength 0" while such a rule exists.
// Like wg-quick, the second loop also removes a suppress rule another default-route tunnel added;
// that tunnel keeps working only as long as the main table has no default route of its own.
#pragma once

#include <cstdint>

#include "net/netlink_socket.h"
#include "quick/step_log.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::quick {

std::string_view family_flag(IpAddress::Family family);  // "-4" / "-6"

// `ip -4 rule add not fwmark T table T` and `ip -4 rule add table main suppress_prefixlength 0`.
Result<void> add_default_route_rules(net::NetlinkSocket& nl, IpAddress::Family family,
                                     std::uint32_t table, const StepLog& log);

// del_if's loops, for IPv4 and IPv6, printing one "[#] ip -4 rule delete ..." per rule removed.
Result<void> remove_default_route_rules(net::NetlinkSocket& nl, std::uint32_t table,
                                        const StepLog& log);

}  // namespace wgd::quick
