// Policy-routing rules — what `ip rule` does — and the two wg-quick adds for a default route:
//
//   ip -4 rule add not fwmark T table T                 (T = the table and the interface's fwmark)
//   ip -4 rule add table main suppress_prefixlength 0
//
// (and the same for IPv6). Packets WireGuard itself sends carry fwmark T and use the main table;
// everything else looks up table T, which holds the default route via the tunnel. The second rule
// lets more specific routes of the main table (the LAN, the endpoint's own subnet) still win.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/netlink_socket.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::net {

// FR_ACT_* from linux/fib_rules.h: what a matching rule does.
inline constexpr std::uint8_t kRuleActionLookup = 1;  // FR_ACT_TO_TBL, "lookup TABLE"

struct Rule {
  IpAddress::Family family = IpAddress::Family::kV4;
  std::uint8_t action = kRuleActionLookup;
  std::uint32_t table = 0;
  std::optional<std::uint32_t> fwmark;
  std::optional<std::uint32_t> fwmask;  // the kernel assumes 0xffffffff when a mark is given
  bool invert = false;                  // "not": the rule applies to packets it does NOT match
  std::optional<std::uint32_t> suppress_prefixlength;
  std::optional<std::uint32_t> priority;  // chosen by the kernel on add when unset
  // Set by rule_list when the rule also selects on something not modelled here (from/to prefix,
  // iif/oif, tos, uid range, ports...), so such a rule never compares equal to one built here.
  bool other_selectors = false;

  // The rule as `ip rule show` prints it, without the "PRIO:" column:
  // "not from all fwmark 0xca6c lookup 51820", "from all lookup main suppress_prefixlength 0".
  std::string to_string() const;

  friend bool operator==(const Rule&, const Rule&) = default;
};

// wg-quick's two rules for a default route through table `table` (see the top of this file).
Rule wg_quick_fwmark_rule(IpAddress::Family family, std::uint32_t table);
Rule wg_quick_suppress_rule(IpAddress::Family family);

// Adds the rule. Only a rule identical *including its priority* fails with EEXIST: without a
// priority the kernel picks a fresh one (one below the lowest non-zero), so adding twice makes
// two rules — which is why wg-quick's down loops on delete, and why rule_add_if_missing exists.
Result<void> rule_add(NetlinkSocket& nl, const Rule& rule);
// Adds the rule unless an equal one (ignoring priority when `rule.priority` is unset) is already
// there; true if it added one. For bringing an interface up twice without stacking rules.
Result<bool> rule_add_if_missing(NetlinkSocket& nl, const Rule& rule);
// Deletes the first rule that matches every field set in `rule` (the kernel's matching: e.g. a
// Rule with only `table` set deletes one rule pointing at that table, as `ip rule del table T`).
// Fails with code ENOENT when none matches.
Result<void> rule_delete(NetlinkSocket& nl, const Rule& rule);
// rule_delete until nothing matches; the number of rules deleted (wg-quick's del_if loop).
Result<int> rule_delete_all(NetlinkSocket& nl, const Rule& rule);
Result<std::vector<Rule>> rule_list(NetlinkSocket& nl, IpAddress::Family family);

}  // namespace wgd::net
