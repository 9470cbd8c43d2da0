#include "quick/firewall.h"

#include <sstream>

#include "quick/process.h"

namespace wgd::quick {
namespace {

std::string_view nft_family(IpAddress::Family f) {
  return f == IpAddress::Family::kV4 ? "ip" : "ip6";
}

std::string_view iptables_name(IpAddress::Family f) {
  return f == IpAddress::Family::kV4 ? "iptables" : "ip6tables";
}

Result<void> run_script(const StepLog& log, std::vector<std::string> argv, std::string script,
                        std::string shown) {
  log.step(shown);
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.stdin_text = std::move(script);
  auto r = run_process(spec);
  if (!r) return std::unexpected(r.error());
  if (r->exit_status != 0) return failf("`{}' {}", shown, describe_exit(r->exit_status));
  return {};
}

}  // namespace

Result<FirewallPlan> plan_firewall() {
  if (find_in_path("nft")) return FirewallPlan{FirewallPlan::Tool::kNft};
  if (find_in_path("iptables-restore") && find_in_path("ip6tables-restore"))
    return FirewallPlan{FirewallPlan::Tool::kIptables};
  return fail(
      "a default route (AllowedIPs = 0.0.0.0/0 or ::/0) needs firewall rules, and neither nft "
      "nor iptables-restore/ip6tables-restore was found: install nftables or iptables");
}

std::string iptables_marker(std::string_view interface) {
  return fmt::format("-m comment --comment \"wg-quick(8) rule for {}\"", interface);
}

std::string nft_default_route_script(std::string_view interface, IpAddress::Family family,
                                     std::uint32_t table, std::span<const IpAddress> addresses) {
  const std::string_view pf = nft_family(family);
  const std::string nftable = fmt::format("wg-quick-{}", interface);
  std::string s;
  s += fmt::format("add table {} {}\n", pf, nftable);
  s += fmt::format("add chain {} {} preraw {{ type filter hook prerouting priority -300; }}\n", pf,
                   nftable);
  s += fmt::format("add chain {} {} premangle {{ type filter hook prerouting priority -150; }}\n",
                   pf, nftable);
  s += fmt::format("add chain {} {} postmangle {{ type filter hook postrouting priority -150; }}\n",
                   pf, nftable);
  for (const auto& a : addresses)
    s += fmt::format("add rule {} {} preraw iifname != \"{}\" {} daddr {} fib saddr type != local "
                     "drop\n",
                     pf, nftable, interface, pf, a.to_string());
  // The blank before each newline is wg-quick's; nft does not mind.
  s += fmt::format("add rule {} {} postmangle meta l4proto udp mark {} ct mark set mark \n", pf,
                   nftable, table);
  s += fmt::format("add rule {} {} premangle meta l4proto udp meta mark set ct mark \n", pf,
                   nftable);
  return s;
}

std::string iptables_default_route_script(std::string_view interface, std::uint32_t table,
                                          std::span<const IpAddress> addresses) {
  const std::string marker = iptables_marker(interface);
  std::string s = "*raw\n";
  for (const auto& a : addresses)
    s += fmt::format("-I PREROUTING ! -i {} -d {} -m addrtype ! --src-type LOCAL -j DROP {}\n",
                     interface, a.to_string(), marker);
  s += "COMMIT\n*mangle\n";
  s += fmt::format("-I POSTROUTING -m mark --mark {} -p udp -j CONNMARK --save-mark {}\n", table,
                   marker);
  s += fmt::format("-I PREROUTING -p udp -j CONNMARK --restore-mark {}\n", marker);
  s += "COMMIT\n";
  return s;
}

Result<void> add_default_route_firewall(const FirewallPlan& plan, std::string_view interface,
                                        IpAddress::Family family, std::uint32_t table,
                                        std::span<const IpAddress> addresses, const StepLog& log) {
  if (plan.tool == FirewallPlan::Tool::kNft)
    return run_script(log, {"nft", "-f", "/dev/stdin"},
                      nft_default_route_script(interface, family, table, addresses),
                      "nft -f /dev/stdin");
  std::string restore = fmt::format("{}-restore", iptables_name(family));
  return run_script(log, {restore, "-n"},
                    iptables_default_route_script(interface, table, addresses), restore + " -n");
}

std::string iptables_removal_script(std::string_view save_output, std::string_view interface) {
  const std::string marker = iptables_marker(interface);
  std::string restore;
  bool found = false;
  std::istringstream in{std::string(save_output)};
  std::string line;
  while (std::getline(in, line)) {
    bool ours = line.starts_with("-A ") && line.find(marker) != std::string::npos;
    if (!(line.starts_with("*") || line == "COMMIT" || ours)) continue;
    if (ours) {
      found = true;
      line.replace(0, 2, "-D");
    }
    restore += line + "\n";
  }
  return found ? restore : std::string();
}

Result<void> remove_firewall(std::string_view interface, const StepLog& log) {
  Result<void> outcome;
  auto note = [&](Result<void> r) {
    if (!r && outcome) outcome = std::move(r);
  };
  if (find_in_path("nft")) {
    ProcessSpec list;
    list.argv = {"nft", "list", "tables"};
    list.capture_stdout = true;
    list.capture_stderr = true;
    auto tables = run_process(list);
    std::string script;
    if (tables && tables->exit_status == 0) {
      const std::string suffix = fmt::format(" wg-quick-{}", interface);
      std::istringstream in(tables->out);
      std::string line;
      while (std::getline(in, line))
        if (line.ends_with(suffix)) script += "delete " + line + "\n";
    }
    if (!script.empty()) note(run_script(log, {"nft", "-f", "/dev/stdin"}, script, "nft -f /dev/stdin"));
  }
  if (find_in_path("iptables")) {
    for (auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6}) {
      const std::string tool(iptables_name(family));
      ProcessSpec save;
      save.argv = {tool + "-save"};
      save.capture_stdout = true;
      save.capture_stderr = true;
      auto saved = run_process(save);
      if (!saved || saved->exit_status != 0) continue;
      std::string script = iptables_removal_script(saved->out, interface);
      if (!script.empty())
        note(run_script(log, {tool + "-restore", "-n"}, script, tool + "-restore -n"));
    }
  }
  return outcome;
}

}  // namespace wgd::quick
