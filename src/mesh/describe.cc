#include "mesh/describe.h"

#include <fmt/format.h>

#include <algorithm>

#include "crypto/key_codec.h"

namespace wgd::mesh {
namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : std::string(sep)) + i;
  return out;
}

std::string new_mark(bool is_new) { return is_new ? "*" : ""; }

}  // namespace

std::string describe_plan(const MeshPlan& plan, const std::filesystem::path& output_dir) {
  const Inventory& inv = plan.inventory;
  std::string out;
  bool any_new = plan.new_ipv6_prefix || plan.new_mesh_port;
  out += fmt::format("Mesh{}: {} hosts, from {}\n", inv.name.empty() ? "" : " " + inv.name,
                     plan.hosts.size(), inv.file_name);
  out += fmt::format("  IPv4 subnet   {}\n", inv.ipv4_subnet.to_string());
  switch (inv.ipv6_mode) {
    case Ipv6Mode::kOff: out += "  IPv6 prefix   off\n"; break;
    case Ipv6Mode::kFixed:
      out += fmt::format("  IPv6 prefix   {}\n", plan.ipv6_prefix->to_string());
      break;
    case Ipv6Mode::kAuto:
      out += fmt::format("  IPv6 prefix   {}{} (auto: random RFC 4193 ULA)\n",
                         plan.ipv6_prefix->to_string(), new_mark(plan.new_ipv6_prefix));
      break;
  }
  out += fmt::format("  Listen port   {}{}{}\n", plan.mesh_port, new_mark(plan.new_mesh_port),
                     inv.listen_port ? "" : " (random, 49152-65535)");
  out += fmt::format("  Output        {}/HOST/{}.conf\n\n", output_dir.string(), inv.interface);

  struct Row {
    std::string cells[6];
  };
  std::vector<Row> rows;
  rows.push_back({{"HOST", "VPN IPv4", "VPN IPv6", "PORT", "ENDPOINT", "SUBNETS"}});
  for (const auto& h : plan.hosts) {
    std::vector<std::string> subnets;
    for (const auto& s : h.inventory.subnets) subnets.push_back(s.to_string());
    any_new = any_new || h.new_ipv4 || h.new_ipv6 || h.new_key;
    rows.push_back({{h.inventory.name,
                     h.ipv4.to_string() + new_mark(h.new_ipv4),
                     h.ipv6 ? h.ipv6->to_string() + new_mark(h.new_ipv6) : "-",
                     std::to_string(h.listen_port),
                     h.endpoint ? *h.endpoint : "none (waits)",
                     subnets.empty() ? "-" : join(subnets)}});
  }
  std::size_t width[6] = {};
  for (const auto& r : rows)
    for (int c = 0; c < 6; ++c) width[c] = std::max(width[c], r.cells[c].size());
  for (const auto& r : rows) {
    std::string line;
    for (int c = 0; c < 6; ++c)
      line += c == 5 ? r.cells[c] : fmt::format("{:<{}}  ", r.cells[c], width[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }

  std::vector<std::string> reachable, waiting;
  for (const auto& h : plan.hosts) (h.endpoint ? reachable : waiting).push_back(h.inventory.name);
  out += "\nWho connects to whom:\n";
  if (reachable.size() > 1)
    out += fmt::format("  {}: have endpoints; each reaches the others directly.\n", join(reachable));
  for (const auto& name : waiting) {
    out += fmt::format("  {}: no endpoint; {} wait{} for it to connect", name,
                       reachable.empty() ? "nobody can" : join(reachable),
                       reachable.size() == 1 ? "s" : "");
    out += inv.persistent_keepalive
               ? fmt::format(", and it sends a keepalive every {} s to stay reachable.\n",
                             inv.persistent_keepalive)
               : " (no keepalive: reachable only after it sends).\n";
  }
  if (!plan.removed_hosts.empty()) {
    out += fmt::format("\nRemoved from the inventory (keys and files go on generate): {}\n",
                       join(plan.removed_hosts));
  }

  out += "\nPublic keys:\n";
  for (const auto& h : plan.hosts) {
    out += fmt::format("  {:<{}}  {}\n", h.inventory.name, width[0],
                       h.new_key ? "(new key on generate)" : crypto::key_to_base64(h.public_key));
  }
  if (any_new) {
    out += "\n* chosen by the next `wgd mesh generate` (allocated or drawn; drawn values will "
           "differ)\n";
  }
  for (const auto& w : plan.warnings) out += fmt::format("\nwarning: {}", w);
  if (!plan.warnings.empty()) out += "\n";
  return out;
}

}  // namespace wgd::mesh
