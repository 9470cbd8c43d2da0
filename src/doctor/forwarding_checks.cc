#include "doctor/forwarding_checks.h"

#include <fmt/format.h>

#include <cstdlib>

#include "doctor/firewall_checks.h"
#include "doctor/firewall_eval.h"
#include "doctor/rule_values.h"

namespace wgd::doctor {
namespace {

using Family = IpAddress::Family;

bool link_local(const IpAddress& a) {
  return a.is_v6() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80;
}

bool unique_local(const IpAddress& a) {
  return a.is_v6() && (a.bytes()[0] & 0xfe) == 0xfc;  // fc00::/7
}

bool inside_any(const IpPrefix& p, const std::vector<IpPrefix>& subnets) {
  for (const auto& s : subnets)
    if (s.address.family() == p.address.family() && s.length <= p.length && s.contains(p.address))
      return true;
  return false;
}

struct FamilyNeeds {
  std::vector<std::string> forward_reasons;  // why peers' packets pass through this host
  bool nat = false;                          // ...towards networks outside the tunnel
};

std::string_view sysctl_name(Family f) {
  return f == Family::kV4 ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding";
}
std::string_view tool(Family f) {
  return f == Family::kV4 ? "iptables" : "ip6tables";
}
std::string_view family_name(Family f) {
  return f == Family::kV4 ? "IPv4" : "IPv6";
}

void check_family(Family f, const FamilyNeeds& needs, const std::vector<IpPrefix>& subnets,
                  const InterfaceFacts& facts, const HostFacts& host, const Ruleset& rules,
                  std::vector<Finding>& out) {
  const std::string reason = needs.forward_reasons.front();
  const std::optional<bool> forwarding =
      f == Family::kV4 ? host.ipv4_forwarding : host.ipv6_forwarding;
  if (!forwarding) {
    out.push_back(warn(fmt::format("{} could not be read; {}", sysctl_name(f), reason),
                       fmt::format("sysctl {}", sysctl_name(f))));
  } else if (!*forwarding) {
    out.push_back(failure(
        fmt::format("{} forwarding is off ({}=0) but {}: their packets stop at this host (sysctl "
                    "-w {}=1; in a container: sysctls: {}=1)",
                    family_name(f), sysctl_name(f), reason, sysctl_name(f), sysctl_name(f)),
        fmt::format("sysctl {}", sysctl_name(f))));
  } else {
    out.push_back(
        ok(fmt::format("{} forwarding is on ({}=1): {}", family_name(f), sysctl_name(f), reason)));
  }

  const std::string more = firewall_commands(rules);
  const IpPrefix& subnet = subnets.front();
  PacketQuery from_tunnel;
  from_tunnel.family = f;
  from_tunnel.path = Path::kForward;
  from_tunnel.in_interface = facts.name;
  from_tunnel.source = subnet;
  FilterOutcome in = check_filter(rules, from_tunnel);
  PacketQuery replies;
  replies.family = f;
  replies.path = Path::kForward;
  replies.out_interface = facts.name;
  replies.destination = subnet;
  replies.ct_state = "established";
  FilterOutcome back = check_filter(rules, replies);
  if (in.block) {
    out.push_back(
        failure(fmt::format("{} traffic forwarded from {} is {}: peers reach this host "
                            "but nothing beyond ({} -I FORWARD -i {} -j ACCEPT)",
                            family_name(f), facts.name, describe_inbound(in), tool(f), facts.name),
                more));
  } else if (back.block) {
    out.push_back(failure(
        fmt::format("{} replies forwarded into {} are {} ({} -I FORWARD -o {} -m conntrack "
                    "--ctstate RELATED,ESTABLISHED -j ACCEPT)",
                    family_name(f), facts.name, describe_inbound(back), tool(f), facts.name),
        more));
  } else if (!in.partial_blocks.empty() || !back.partial_blocks.empty()) {
    out.push_back(
        warn(fmt::format("{} forwarding through {} is partly blocked: {}; {}", family_name(f),
                         facts.name, describe_inbound(in), describe_inbound(back)),
             more));
  } else if (!rules.sources.empty()) {
    out.push_back(ok(fmt::format("the firewall forwards {} traffic from {} and its replies",
                                 family_name(f), facts.name)));
  }

  if (!needs.nat) return;
  const std::optional<std::string>& uplink =
      f == Family::kV4 ? host.default_route_v4 : host.default_route_v6;
  if (!uplink)
    out.push_back(warn(fmt::format("no {} default route: peers' traffic for other networks has "
                                   "nowhere to go",
                                   family_name(f)),
                       f == Family::kV4 ? "ip -4 route" : "ip -6 route"));
  for (const auto& s : subnets) {
    PacketQuery leaving;
    leaving.family = f;
    leaving.path = Path::kOutput;
    leaving.source = s;
    leaving.out_interface = uplink;
    NatOutcome nat = check_source_nat(rules, leaving);
    const std::string via = uplink ? " via " + *uplink : std::string();
    if (nat.nat) {
      out.push_back(ok(fmt::format("traffic from {} leaving{} is source-NATed by {}", s.to_string(),
                                   via, nat.nat->describe())));
    } else if (!nat.partial_nat.empty()) {
      out.push_back(warn(fmt::format("traffic from {} leaving{} is source-NATed only under "
                                     "conditions: {}",
                                     s.to_string(), via, nat.partial_nat.front().describe()),
                         more));
    } else if (f == Family::kV6 && !unique_local(s.address)) {
      out.push_back(
          ok(fmt::format("{} is a global IPv6 prefix: routed without NAT (the upstream "
                         "network must route it to this host)",
                         s.to_string())));
    } else {
      Finding fnd = failure(
          fmt::format("no MASQUERADE or SNAT rule for {}: peers' packets leave{} with their tunnel "
                      "addresses and the answers never find their way back ({} -t nat -A "
                      "POSTROUTING -s {} -o {} -j MASQUERADE)",
                      s.to_string(), via, tool(f), s.to_string(), uplink.value_or("UPLINK")),
          more.empty() ? std::string(tool(f)) + "-save -t nat" : more);
      if (f == Family::kV6) fnd.severity = Severity::kWarn;  // IPv6 NAT is a choice, not a must
      out.push_back(std::move(fnd));
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> client_allowed_ips_from_environment() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* name : {"WGD_CLIENT_ALLOWED_IPS", "PEER_ALLOWED_IPS", "ALLOWEDIPS"})
    if (const char* v = std::getenv(name); v && *v) out.emplace_back(name, v);
  return out;
}

std::vector<Finding> check_forwarding(const wg::DeviceStatus& status, const InterfaceFacts& facts,
                                      const HostFacts& host, const Ruleset& rules,
                                      const GatewaySettings& gateway) {
  std::vector<Finding> out;
  std::vector<IpPrefix> subnets;
  for (const auto& a : facts.addresses)
    if (!link_local(a.address)) subnets.push_back(a.canonical());

  FamilyNeeds needs[2];  // [0] IPv4, [1] IPv6
  auto index = [](Family f) { return f == Family::kV4 ? 0 : 1; };
  if (gateway.flag)
    for (auto& n : needs) {
      n.forward_reasons.push_back("--gateway says peers route other traffic through this host");
      n.nat = true;
    }
  // The only setting worth a reason per value: the first one that `wgd serve` would use.
  if (!gateway.client_allowed_ips.empty()) {
    const auto& [name, value] = gateway.client_allowed_ips.front();
    for (const auto& word : split_commas(value)) {
      auto p = IpPrefix::parse(word);
      if (!p) continue;
      FamilyNeeds& n = needs[index(p->address.family())];
      if (!inside_any(*p, subnets)) {
        n.forward_reasons.push_back(
            fmt::format("{}={} sends peers' traffic for {} through this host", name, value,
                        p->canonical().to_string()));
        n.nat = true;
      } else if (p->length < p->address.bit_length()) {
        n.forward_reasons.push_back(
            fmt::format("{}={} has peers reach each other through this host", name, value));
      }
    }
  }
  // Networks behind peers (site-to-site): reachable from this host itself; others routing
  // through this host need forwarding, which only the user can know they want.
  std::vector<std::string> behind_peers;
  for (const auto& peer : status.peers)
    for (const auto& p : peer.allowed_ips)
      if (p.length > 0 && !inside_any(p, subnets))
        behind_peers.push_back(p.canonical().to_string());

  bool any = false;
  for (Family f : {Family::kV4, Family::kV6}) {
    const FamilyNeeds& n = needs[index(f)];
    if (n.forward_reasons.empty()) continue;
    std::vector<IpPrefix> fam_subnets;
    for (const auto& s : subnets)
      if (s.address.family() == f) fam_subnets.push_back(s);
    if (fam_subnets.empty()) {
      if (!gateway.flag)  // a setting for a family the interface does not carry
        out.push_back(warn(fmt::format("{}, but {} has no {} address", n.forward_reasons.front(),
                                       facts.name, family_name(f)),
                           "ip address show " + facts.name));
      continue;
    }
    any = true;
    check_family(f, n, fam_subnets, facts, host, rules, out);
  }
  if (!any) {
    auto state = [](const std::optional<bool>& v) { return v ? (*v ? "on" : "off") : "unknown"; };
    std::string lan;
    if (!behind_peers.empty()) {
      lan = " and the networks behind its peers (";
      for (std::size_t i = 0; i < behind_peers.size() && i < 3; ++i)
        lan += (i ? ", " : "") + behind_peers[i];
      if (behind_peers.size() > 3) lan += ", ...";
      lan += ")";
    }
    out.push_back(
        ok(fmt::format("nothing says peers route through this host: it reaches its "
                       "peers{}, forwarding (IPv4 {}, IPv6 {}) and NAT are not needed "
                       "for that (use --gateway, or set ALLOWEDIPS, when peers should "
                       "reach further)",
                       lan, state(host.ipv4_forwarding), state(host.ipv6_forwarding))));
  }
  return out;
}

}  // namespace wgd::doctor
