// Which routes wg-quick adds for the allowed IPs, in which order, in which table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "uapi/wg_quick_config.h"
#include "util/error.h"
#include "util/ip.h"
#include "wg/config_change.h"

namespace wgd::quick {

// The allowed IPs of every peer, in the order wg-quick walks them: `wg show IF allowed-ips |
// sort -nr -k 2 -t /` — longest prefix first; among equal lengths, the reverse byte order of the
// text (sort's last-resort comparison, reversed by -r, in the C locale).
std::vector<IpPrefix> allowed_ips_in_route_order(const wg::DeviceStatus& status);

// True when any peer routes a whole family (/0): with Table = auto that is a default route.
bool has_default_route(const std::vector<IpPrefix>& prefixes);

// Where iproute2 keeps table names, in the order it reads them (the rt_tables file, then the
// *.conf files of rt_tables.d), under /etc/iproute2 and, for iproute2 6.x, /usr/share/iproute2.
inline const std::vector<std::string> kRtTablesDirs = {"/etc/iproute2", "/usr/share/iproute2"};
std::string read_rt_tables(const std::vector<std::string>& dirs = kRtTablesDirs);

// What `Table =` means for the route commands: nothing for auto/off (the caller handles those),
// the table id for a number or a name. An unknown name fails naming the key.
Result<std::uint32_t> table_id(const uapi::RouteTable& table,
                               const std::vector<std::string>& rt_tables_dirs = kRtTablesDirs);

}  // namespace wgd::quick
