// Reading this network namespace's firewall with the tools Debian ships (package iptables:
// iptables-save, ip6tables-save, iptables-legacy-save; package nftables: nft). Each one that is
// installed is run read-only; one that is missing or fails becomes a note in the Ruleset instead
// of an error, since doctor must still report everything else.
//
// With iptables' nf_tables backend (Debian's default), the tables iptables-save shows are also
// nft tables (`table ip filter`): they are read once, from iptables-save, whose text is what the
// user wrote. Rules in the legacy x_tables backend apply alongside and are read too.
#pragma once

#include "doctor/firewall_model.h"

namespace wgd::doctor {

Ruleset read_firewall();

// The merge, for tests: iptables-save (IPv4, IPv6) and `nft list ruleset` texts; empty text means
// "not available".
Ruleset merge_firewall_texts(std::string_view iptables_save, std::string_view ip6tables_save,
                             std::string_view legacy_save, std::string_view legacy6_save,
                             std::string_view nft_ruleset);

}  // namespace wgd::doctor
