#include "doctor/firewall_checks.h"

#include <fmt/format.h>

namespace wgd::doctor {
namespace {

PacketQuery inbound(IpAddress::Family family, std::uint16_t port) {
  PacketQuery q;
  q.family = family;
  q.path = Path::kInput;
  q.protocol = "udp";
  q.dport = port;
  return q;
}

std::string family_name(IpAddress::Family f) {
  return f == IpAddress::Family::kV4 ? "IPv4" : "IPv6";
}

std::string list_decisions(const std::vector<Decision>& decisions, std::size_t limit = 3) {
  std::string out;
  for (std::size_t i = 0; i < decisions.size() && i < limit; ++i)
    out += (i ? "; " : "") + decisions[i].describe();
  if (decisions.size() > limit) out += fmt::format("; and {} more", decisions.size() - limit);
  return out;
}

std::size_t rule_count(const Ruleset& rules) {
  std::size_t n = 0;
  for (const auto& t : rules.tables)
    for (const auto& c : t.chains) n += c.rules.size();
  return n;
}

// The outcome, reduced to what decides whether two ports are treated alike.
std::string signature(const FilterOutcome& o) {
  std::string s = o.block ? o.block->describe() : "open";
  for (const auto& d : o.partial_blocks) s += "|" + d.describe();
  return s;
}

}  // namespace

std::string firewall_commands(const Ruleset& rules) {
  std::string out;
  for (const auto& s : rules.sources) out += (out.empty() ? "" : "; ") + s;
  return out;
}

std::string describe_inbound(const FilterOutcome& o) {
  if (o.block) {
    std::string text = "blocked by " + o.block->describe();
    if (!o.exceptions.empty())
      text += " (except what is let through earlier by " + list_decisions(o.exceptions) + ")";
    return text;
  }
  if (!o.partial_blocks.empty())
    return "blocked for some sources by " + list_decisions(o.partial_blocks);
  return "let in";
}

std::vector<Finding> check_inbound_udp(const Ruleset& rules, std::uint16_t port,
                                       PortFamilies families) {
  std::vector<Finding> out;
  const std::string more = firewall_commands(rules);
  for (const auto& note : rules.notes)
    out.push_back(warn("firewall not fully examined: " + note, more));
  std::vector<std::string> open;
  for (auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6}) {
    if ((family == IpAddress::Family::kV4 && !families.v4) ||
        (family == IpAddress::Family::kV6 && !families.v6))
      continue;
    FilterOutcome o = check_filter(rules, inbound(family, port));
    if (o.block) {
      std::string fix =
          o.block->rule
              ? "remove or change that rule"
              : fmt::format("add an accept rule, e.g. {} -I INPUT -p udp --dport {} -j ACCEPT",
                            family == IpAddress::Family::kV4 ? "iptables" : "ip6tables", port);
      out.push_back(failure(fmt::format("the firewall blocks UDP {} ({}): {}; peers cannot reach "
                                        "this interface ({})",
                                        port, family_name(family), describe_inbound(o), fix),
                            more));
    } else if (!o.partial_blocks.empty()) {
      out.push_back(warn(fmt::format("the firewall blocks UDP {} ({}) from some sources or "
                                     "interfaces: {}",
                                     port, family_name(family), list_decisions(o.partial_blocks)),
                         more));
    } else {
      open.push_back(family_name(family));
    }
  }
  if (!open.empty() && !rules.sources.empty()) {
    std::string fams = open.size() == 2 ? "IPv4 and IPv6" : open[0];
    const std::size_t n = rule_count(rules);
    out.push_back(ok(fmt::format("this host's firewall lets UDP {} in ({}; {} rule{} read)", port,
                                 fams, n, n == 1 ? "" : "s"),
                     more));
  }
  return out;
}

std::optional<std::string> outbound_udp_block(const Ruleset& rules, const Endpoint& endpoint,
                                              const std::optional<std::string>& out_interface) {
  PacketQuery q;
  const IpAddress address = endpoint.address.unmapped();
  q.family = address.family();
  q.path = Path::kOutput;
  q.protocol = "udp";
  q.dport = endpoint.port;
  q.destination = IpPrefix{address, address.bit_length()};
  q.out_interface = out_interface;
  FilterOutcome o = check_filter(rules, q);
  if (!o.block) return std::nullopt;
  return o.block->describe();
}

Finding compare_inbound_ports(const Ruleset& rules, std::uint16_t real, std::uint16_t tested) {
  if (rules.sources.empty()) {
    std::string why;
    for (const auto& n : rules.notes) why += (why.empty() ? "" : "; ") + n;
    return warn(fmt::format("cannot tell whether the firewall treats UDP {} and {} alike: {}", real,
                            tested, why.empty() ? "no firewall tool could be read" : why));
  }
  std::string differences;
  for (auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6}) {
    FilterOutcome a = check_filter(rules, inbound(family, real));
    FilterOutcome b = check_filter(rules, inbound(family, tested));
    if (signature(a) == signature(b)) continue;
    differences +=
        fmt::format("{}{}: UDP {} is {}, UDP {} is {}", differences.empty() ? "" : "; ",
                    family_name(family), real, describe_inbound(a), tested, describe_inbound(b));
  }
  if (differences.empty())
    return ok(fmt::format("this host's firewall treats UDP {} and UDP {} alike, so a probe to {} "
                          "tells about {} too",
                          real, tested, tested, real),
              firewall_commands(rules));
  return warn(fmt::format("this host's firewall treats UDP {} and {} differently ({}): a probe to "
                          "{} says nothing about {}",
                          real, tested, differences, tested, real),
              firewall_commands(rules));
}

}  // namespace wgd::doctor
