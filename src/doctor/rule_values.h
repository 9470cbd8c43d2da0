// Values inside firewall rules, shared by the iptables and nft readers: ports and port ranges,
// protocol names, address prefixes and connection states.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doctor/firewall_model.h"

namespace wgd::doctor {

// "51820" or "4500:4600" (iptables) / "4500-4600" (nft), separator given; nullopt for anything
// else (service names are not resolved: both tools print numbers by default).
std::optional<PortRange> parse_port_range(std::string_view text, char range_separator);

// "17" -> "udp", "6" -> "tcp", names lowercased; "all"/"0" -> nullopt (no protocol condition).
std::optional<std::string> normalize_protocol(std::string_view text);

// Comma-separated list ("a,b,c") into words, empty words dropped.
std::vector<std::string> split_commas(std::string_view text);

// Lowercase copy.
std::string lowercase(std::string_view text);

// "0.0.0.0/0" and "::/0": a condition on them is no condition at all.
bool is_any_prefix(const IpPrefix& p);

}  // namespace wgd::doctor
