#include "doctor/firewall_read.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "doctor/iptables_parse.h"
#include "doctor/nft_parse.h"
#include "quick/process.h"

namespace wgd::doctor {
namespace {

struct ToolOutput {
  bool installed = false;
  bool ok = false;
  std::string text;
  std::string problem;  // for the notes
};

ToolOutput run_tool(const std::vector<std::string>& argv) {
  ToolOutput out;
  if (!quick::find_in_path(argv[0])) return out;
  out.installed = true;
  quick::ProcessSpec spec;
  spec.argv = argv;
  spec.stdin_text = "";
  spec.capture_stdout = true;
  spec.capture_stderr = true;
  auto r = quick::run_process(spec);
  if (!r) {
    out.problem = fmt::format("{}: {}", argv[0], r.error().message);
    return out;
  }
  if (r->exit_status != 0) {
    std::string err = r->err.substr(0, r->err.find('\n'));
    out.problem = fmt::format("`{}` {}{}{}", fmt::join(argv, " "),
                              quick::describe_exit(r->exit_status), err.empty() ? "" : ": ", err);
    return out;
  }
  out.ok = true;
  out.text = std::move(r->out);
  return out;
}

bool has_rules(const std::vector<FirewallTable>& tables) {
  for (const auto& t : tables)
    for (const auto& c : t.chains)
      if (!c.rules.empty() || (c.hook && c.policy != Verdict::kAccept)) return true;
  return false;
}

void add_iptables(Ruleset& rules, std::string_view text, IpAddress::Family family,
                  std::string_view origin,
                  std::set<std::pair<std::string, std::string>>& nft_shared, bool skip_when_empty) {
  IptablesSave save = parse_iptables_save(text, family, origin);
  if (skip_when_empty && !has_rules(save.tables)) return;
  if (save.nf_tables_backend)
    for (const auto& t : save.tables) nft_shared.emplace(t.family_name, t.name);
  for (auto& t : save.tables) rules.tables.push_back(std::move(t));
}

}  // namespace

Ruleset merge_firewall_texts(std::string_view iptables_save, std::string_view ip6tables_save,
                             std::string_view legacy_save, std::string_view legacy6_save,
                             std::string_view nft_ruleset) {
  Ruleset rules;
  std::set<std::pair<std::string, std::string>> nft_shared;  // (family, table) iptables-nft owns
  add_iptables(rules, iptables_save, IpAddress::Family::kV4, "iptables", nft_shared, false);
  add_iptables(rules, ip6tables_save, IpAddress::Family::kV6, "ip6tables", nft_shared, false);
  add_iptables(rules, legacy_save, IpAddress::Family::kV4, "iptables-legacy", nft_shared, true);
  add_iptables(rules, legacy6_save, IpAddress::Family::kV6, "ip6tables-legacy", nft_shared, true);
  for (auto& t : parse_nft_ruleset(nft_ruleset)) {
    if (nft_shared.contains({t.family_name, t.name})) continue;
    rules.tables.push_back(std::move(t));
  }
  return rules;
}

Ruleset read_firewall() {
  ToolOutput v4 = run_tool({"iptables-save"});
  ToolOutput v6 = run_tool({"ip6tables-save"});
  ToolOutput legacy4 = run_tool({"iptables-legacy-save"});
  ToolOutput legacy6 = run_tool({"ip6tables-legacy-save"});
  ToolOutput nft = run_tool({"nft", "list", "ruleset"});
  // iptables-legacy-save is the same program as iptables-save when legacy is the default.
  if (v4.ok && v4.text.find("(nf_tables)") == std::string::npos) legacy4 = {}, legacy6 = {};

  Ruleset rules = merge_firewall_texts(v4.text, v6.text, legacy4.text, legacy6.text, nft.text);
  if (v4.ok) rules.sources.push_back("iptables-save");
  if (v6.ok) rules.sources.push_back("ip6tables-save");
  if (legacy4.ok && !legacy4.text.empty()) rules.sources.push_back("iptables-legacy-save");
  if (nft.ok) rules.sources.push_back("nft list ruleset");
  for (const ToolOutput* t : {&v4, &v6, &nft})
    if (t->installed && !t->ok) rules.notes.push_back(t->problem);
  if (!v4.installed && !nft.installed)
    rules.notes.push_back(
        "neither iptables-save nor nft is installed, so the firewall could not "
        "be read (Debian: apt install iptables nftables)");
  else if (!nft.installed)
    rules.notes.push_back(
        "nft is not installed: rules added with nft directly (not through "
        "iptables) were not read (Debian: apt install nftables)");
  return rules;
}

}  // namespace wgd::doctor
