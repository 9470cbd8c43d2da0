// Firewall findings: does this host let UDP to the listening port in, does it let our UDP to a
// peer's endpoint out, and do two ports get the same treatment (so that a probe to a spare port
// says something about the interface's own port). Pure functions over a read Ruleset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "doctor/finding.h"
#include "doctor/firewall_eval.h"
#include "doctor/firewall_model.h"

namespace wgd::doctor {

struct PortFamilies {
  bool v4 = true;
  bool v6 = true;
};

// New UDP datagrams from other hosts to `port`: blocked (the rule or policy is named), blocked
// for some sources/interfaces, or let in. Notes about what could not be read become warnings.
std::vector<Finding> check_inbound_udp(const Ruleset& rules, std::uint16_t port,
                                       PortFamilies families);

// The rule (described) that drops our UDP to `endpoint` on its way out of this host, if any.
std::optional<std::string> outbound_udp_block(const Ruleset& rules, const Endpoint& endpoint,
                                              const std::optional<std::string>& out_interface);

// Whether the firewall treats inbound UDP to `tested` as it treats `real`: [ok] when alike,
// [warn] naming the difference when not.
Finding compare_inbound_ports(const Ruleset& rules, std::uint16_t real, std::uint16_t tested);

// "blocked by rule ...", "let in", "some blocked by rule ..." for one port and family.
std::string describe_inbound(const FilterOutcome& outcome);

// "iptables-save; nft list ruleset": the commands that show what was read.
std::string firewall_commands(const Ruleset& rules);

}  // namespace wgd::doctor
