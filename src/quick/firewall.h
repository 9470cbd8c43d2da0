// The firewall rules wg-quick adds with a default route (add_default), and their removal
// (remove_firewall), text for text.
//
// For each address of the interface, packets to it that arrive on another interface and do not
// come from a local address are dropped (so nothing outside can reach the tunnel's address over
// the LAN), and the fwmark of WireGuard's own UDP packets is copied to the connection and back, so
// replies to them are routed by the main table like the packets themselves (with
// net.ipv4.conf.all.src_valid_mark=1 for reverse-path filtering).
//
// With nft: one table `ip|ip6 wg-quick-IF`, removed whole. Without: iptables-restore /
// ip6tables-restore -n with every rule marked `-m comment --comment "wg-quick(8) rule for IF"`;
// removal deletes exactly the rules carrying that mark, so other rules are never touched.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "quick/step_log.h"
#include "util/error.h"
#include "util/ip.h"

namespace wgd::quick {

struct FirewallPlan {
  enum class Tool : std::uint8_t { kNft, kIptables };
  Tool tool = Tool::kNft;
};

// What wg-quick would use: nft when it is in PATH, else iptables-restore/ip6tables-restore.
// Fails, naming what to install, when neither is there.
Result<FirewallPlan> plan_firewall();

// The nft -f script wg-quick builds for one family (trailing blanks and all).
std::string nft_default_route_script(std::string_view interface, IpAddress::Family family,
                                     std::uint32_t table, std::span<const IpAddress> addresses);
// The iptables-restore -n input wg-quick builds for one family.
std::string iptables_default_route_script(std::string_view interface, std::uint32_t table,
                                          std::span<const IpAddress> addresses);
// `-m comment --comment "wg-quick(8) rule for IF"`.
std::string iptables_marker(std::string_view interface);

// add_default's firewall part for one family; `addresses` are the interface's of that family.
Result<void> add_default_route_firewall(const FirewallPlan& plan, std::string_view interface,
                                        IpAddress::Family family, std::uint32_t table,
                                        std::span<const IpAddress> addresses, const StepLog& log);

// remove_firewall: the nft tables named wg-quick-IF, and every iptables/ip6tables rule carrying
// IF's marker, with whichever of the tools are installed. Nothing to remove is not an error.
Result<void> remove_firewall(std::string_view interface, const StepLog& log);

// From `iptables-save` output, the iptables-restore -n input that deletes IF's marked rules
// (the table headers and COMMIT lines kept, "-A" turned into "-D"); empty when none is marked.
std::string iptables_removal_script(std::string_view save_output, std::string_view interface);

}  // namespace wgd::quick
