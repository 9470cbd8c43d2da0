#include "net/free_table.h"

#include <algorithm>
#include <set>

#include "net/route.h"
#include "net/rule.h"

namespace wgd::net {

Result<std::uint32_t> find_free_table(NetlinkSocket& nl, std::uint32_t start) {
  // One dump of each kind, then a search in memory: cheaper than a dump per candidate number.
  std::set<std::uint32_t> used;
  auto routes = route_list(nl);
  if (!routes) return std::unexpected(routes.error().context("find a free routing table"));
  for (const RouteInfo& r : *routes) used.insert(r.table);
  for (auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6}) {
    auto rules = rule_list(nl, family);
    if (!rules) return std::unexpected(rules.error().context("find a free routing table"));
    for (const Rule& r : *rules) used.insert(r.table);
  }
  for (std::uint64_t t = std::max<std::uint32_t>(start, 1);  // table 0 means "unspecified"
       t <= 0xffffffffu; ++t)
    if (!used.contains(static_cast<std::uint32_t>(t))) return static_cast<std::uint32_t>(t);
  return fail(fmt::format("find a free routing table: every table from {} up is in use", start),
              ENOSPC);
}

}  // namespace wgd::net
