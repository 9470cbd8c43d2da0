#include "doctor/interface_checks.h"

#include <fmt/format.h>

namespace wgd::doctor {
namespace {

// IPv6 is switched off on a link whose MTU is below this (RFC 8200 minimum link MTU).
constexpr std::uint32_t kIpv6MinimumMtu = 1280;

}  // namespace

std::vector<Finding> check_interface(const InterfaceFacts& facts, const wg::DeviceStatus& status) {
  std::vector<Finding> out;
  const std::string& name = facts.name;
  if (!facts.exists) {
    // The UAPI socket lives in the file system, which every network namespace shares; the
    // interface lives in one namespace only.
    out.push_back(failure(
        fmt::format("no interface {} in this network namespace ({}): its UAPI socket answers, so "
                    "it runs elsewhere; run doctor where it lives (ip netns exec NS wgd doctor {})",
                    name, facts.lookup_error, name),
        "ip link show " + name));
  } else if (!facts.up) {
    out.push_back(failure(
        fmt::format("{} is down: nothing is sent or received (ip link set {} up)", name, name),
        "ip link show " + name));
  } else {
    bool has_v6 = false;
    std::string addresses;
    for (const auto& a : facts.addresses) {
      has_v6 = has_v6 || a.address.is_v6();
      if (a.address.is_v6() && a.address.bytes()[0] == 0xfe &&
          (a.address.bytes()[1] & 0xc0) == 0x80)
        continue;  // link-local: not what peers use
      addresses += (addresses.empty() ? "" : ", ") + a.to_string();
    }
    if (has_v6 && facts.mtu < kIpv6MinimumMtu)
      out.push_back(warn(fmt::format("{} has MTU {}: below {} the kernel disables IPv6 on it", name,
                                     facts.mtu, kIpv6MinimumMtu),
                         "ip link show " + name));
    if (addresses.empty())
      out.push_back(
          warn(fmt::format("{} is up (MTU {}) but has no addresses: nothing inside the "
                           "tunnel can reach this host (ip address add ADDRESS/24 dev {})",
                           name, facts.mtu, name),
               "ip address show " + name));
    else
      out.push_back(ok(fmt::format("{} is up, MTU {}, addresses {}", name, facts.mtu, addresses)));
  }

  if (!status.public_key)
    out.push_back(failure(fmt::format("{} has no private key: it cannot take part in any handshake "
                                      "(wg set {} private-key FILE)",
                                      name, name),
                          "wg show " + name));

  if (status.listen_port == 0) {
    out.push_back(failure(fmt::format("{} listens on no UDP port", name), "wg show " + name));
  } else if (facts.exists && !facts.udp4_bound && !facts.udp6_bound) {
    out.push_back(failure(
        fmt::format("{} reports UDP port {} but no socket in this network namespace is bound to it",
                    name, status.listen_port),
        fmt::format("ss -uanp 'sport = :{}'", status.listen_port)));
  } else if (facts.exists) {
    std::string families = facts.udp4_bound && facts.udp6_bound ? "IPv4 and IPv6"
                           : facts.udp4_bound                   ? "IPv4"
                                                                : "IPv6";
    out.push_back(ok(fmt::format("listening on UDP {} ({})", status.listen_port, families)));
  }

  if (status.peers.empty())
    out.push_back(
        warn(fmt::format("{} has no peers: nobody can connect", name), "wg show " + name));
  return out;
}

}  // namespace wgd::doctor
