// `nft list ruleset` output, read into the firewall model (firewall_model.h).
//
//   table inet fw {
//     chain input {
//       type filter hook input priority filter; policy drop;
//       ct state established,related accept
//       udp dport { 51820, 51821 } counter packets 0 bytes 0 accept
//     }
//   }
//
// Base chains ("type ... hook ...") carry their hook, type and policy; named sets, maps,
// flowtables and other objects are skipped; statements doctor does not interpret make the rule
// conditional. Tables of the arp, bridge and netdev families are left out: they do not see the
// IP layer's input/forward/output paths that decide whether WireGuard's UDP gets through.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "doctor/firewall_model.h"

namespace wgd::doctor {

std::vector<FirewallTable> parse_nft_ruleset(std::string_view text);

// One rule line (the text inside a chain), for tests and for the reader above.
FirewallRule parse_nft_rule(std::string_view line, std::optional<IpAddress::Family> table_family);

}  // namespace wgd::doctor
