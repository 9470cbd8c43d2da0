#include "quick/policy_rules.h"

#include <algorithm>
#include <functional>

#include "net/route.h"
#include "net/rule.h"

namespace wgd::quick {
namespace {

// wg-quick stops each loop when `ip rule show` no longer contains the text; a kernel that kept
// reporting the rule after deleting it would make that loop forever, so we stop after this many.
constexpr int kMaxRounds = 1024;

Result<void> delete_while(net::NetlinkSocket& nl, IpAddress::Family family,
                          const std::function<bool(const net::Rule&)>& present,
                          const net::Rule& selector, const std::string& shown,
                          const StepLog& log) {
  for (int round = 0; round < kMaxRounds; ++round) {
    auto rules = net::rule_list(nl, family);
    if (!rules) return std::unexpected(rules.error());
    if (std::none_of(rules->begin(), rules->end(), present)) return {};
    log.step(shown);
    if (auto r = net::rule_delete(nl, selector); !r && r.error().code != ENOENT) return r;
  }
  return failf("`{}': rules still present after {} deletions", shown, kMaxRounds);
}

}  // namespace

std::string_view family_flag(IpAddress::Family family) {
  return family == IpAddress::Family::kV4 ? "-4" : "-6";
}

Result<void> add_default_route_rules(net::NetlinkSocket& nl, IpAddress::Family family,
                                     std::uint32_t table, const StepLog& log) {
  log.step(fmt::format("ip {} rule add not fwmark {} table {}", family_flag(family), table, table));
  if (auto r = net::rule_add(nl, net::wg_quick_fwmark_rule(family, table)); !r) return r;
  log.step(fmt::format("ip {} rule add table main suppress_prefixlength 0", family_flag(family)));
  return net::rule_add(nl, net::wg_quick_suppress_rule(family));
}

Result<void> remove_default_route_rules(net::NetlinkSocket& nl, std::uint32_t table,
                                        const StepLog& log) {
  for (auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6}) {
    const auto flag = family_flag(family);
    net::Rule by_table;
    by_table.family = family;
    by_table.table = table;
    auto looks_up_table = [&](const net::Rule& r) { return r.table == table; };
    if (auto r = delete_while(nl, family, looks_up_table, by_table,
                              fmt::format("ip {} rule delete table {}", flag, table), log);
        !r)
      return r;
    const net::Rule suppress = net::wg_quick_suppress_rule(family);
    auto is_suppress = [&](const net::Rule& r) {
      return r.table == net::kTableMain && r.suppress_prefixlength == 0u && !r.fwmark &&
             !r.invert && !r.other_selectors;
    };
    if (auto r = delete_while(nl, family, is_suppress, suppress,
                              fmt::format("ip {} rule delete table main suppress_prefixlength 0",
                                          flag),
                              log);
        !r)
      return r;
  }
  return {};
}

}  // namespace wgd::quick
