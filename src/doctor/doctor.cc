#include "doctor/doctor.h"

#include <dirent.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <thread>

#include "doctor/facts_read.h"
#include "doctor/firewall_checks.h"
#include "doctor/firewall_read.h"
#include "doctor/interface_checks.h"
#include "doctor/peer_checks.h"
#include "net/netlink_socket.h"
#include "uapi/uapi_client.h"

namespace wgd::doctor {
namespace {

constexpr std::chrono::milliseconds kUapiTimeout{3000};

struct Interface {
  std::string name;
  std::string socket;
  Result<wg::DeviceStatus> first = std::unexpected(Error{});
  std::optional<wg::DeviceStatus> second;
};

Finding socket_finding(const Interface& itf) {
  if (itf.first) return ok(fmt::format("UAPI socket {} answers", itf.socket));
  const Error& e = itf.first.error();
  switch (e.code) {
    case ENOENT:
      return failure(fmt::format("no UAPI socket {}: no userspace interface {} runs (start it: wgd "
                                 "tunnel {} or wgd up {}; kernel WireGuard interfaces are not "
                                 "examined, see wg show)",
                                 itf.socket, itf.name, itf.name, itf.name),
                     "ls /var/run/wireguard");
    case ECONNREFUSED:
      return failure(fmt::format("stale UAPI socket {}: nobody serves it any more (the process "
                                 "that ran {} ended without removing it); restart the interface",
                                 itf.socket, itf.name),
                     "ls -l " + itf.socket);
    default:
      return failure(fmt::format("UAPI socket {} does not answer: {}", itf.socket, e.message),
                     "wg show " + itf.name);
  }
}

// A second reading helps only a peer that is not plainly connected: is it still sending?
bool needs_sample(const wg::DeviceStatus& s, std::int64_t now) {
  return std::any_of(s.peers.begin(), s.peers.end(), [&](const wg::PeerStatus& p) {
    if (p.last_handshake_sec == 0) return p.endpoint.has_value();
    return now - p.last_handshake_sec > kStaleHandshakeSeconds;
  });
}

const wg::PeerStatus* find_peer(const wg::DeviceStatus* s, const crypto::PublicKey& key) {
  if (!s) return nullptr;
  for (const auto& p : s->peers)
    if (p.public_key == key) return &p;
  return nullptr;
}

}  // namespace

std::vector<std::string> socket_interfaces(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n.size() > 5 && n.ends_with(".sock")) names.emplace_back(n.substr(0, n.size() - 5));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Report run_doctor(const DoctorOptions& options) {
  Report report;
  std::vector<std::string> names = options.interfaces;
  if (names.empty()) names = socket_interfaces(options.socket_dir);
  if (names.empty()) {
    report.sections.push_back(
        {"wgd doctor",
         {failure(fmt::format("no WireGuard interface has a UAPI socket in {} (start one: wgd up "
                              "NAME or wgd tunnel NAME; kernel WireGuard interfaces are not "
                              "examined, see wg show)",
                              options.socket_dir),
                  "ls " + options.socket_dir)}});
    return report;
  }

  std::vector<Interface> itfs;
  bool sample = false;
  const std::int64_t first_now = std::time(nullptr);
  for (const auto& name : names) {
    Interface itf;
    itf.name = name;
    itf.socket = options.socket_dir + "/" + name + ".sock";
    itf.first = uapi::get(itf.socket, kUapiTimeout);
    if (itf.first) sample = sample || needs_sample(*itf.first, first_now);
    itfs.push_back(std::move(itf));
  }
  double sampled = 0;
  if (sample && options.sample_seconds > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(options.sample_seconds));
    sampled = options.sample_seconds;
    for (auto& itf : itfs) {
      if (!itf.first) continue;
      if (auto again = uapi::get(itf.socket, kUapiTimeout)) itf.second = std::move(*again);
    }
  }
  const std::int64_t now = std::time(nullptr);

  const Ruleset rules = read_firewall();
  auto nl = net::NetlinkSocket::open();
  const HostFacts host = nl ? read_host_facts(*nl) : HostFacts{};

  for (auto& itf : itfs) {
    Section main{"interface " + itf.name, {socket_finding(itf)}};
    if (!itf.first) {
      report.sections.push_back(std::move(main));
      continue;
    }
    // The freshest reading is the one judged; the first one is "before".
    const wg::DeviceStatus& status = itf.second ? *itf.second : *itf.first;
    InterfaceFacts facts;
    facts.name = itf.name;
    if (nl) {
      facts = read_interface_facts(*nl, itf.name, status);
    } else {
      facts.lookup_error = nl.error().message;
    }
    if (!facts.exists && options.interfaces.empty()) {
      // Found by scanning the socket directory, which all network namespaces share: an
      // interface of another namespace, not a problem of this one.
      main.findings.push_back(warn(fmt::format("{} runs in another network namespace ({}): "
                                               "skipped; check it there (ip netns exec NS wgd "
                                               "doctor {})",
                                               itf.name, facts.lookup_error, itf.name),
                                   "ip -all netns exec ip link show " + itf.name));
      report.sections.push_back(std::move(main));
      continue;
    }
    for (auto& f : check_interface(facts, status)) main.findings.push_back(std::move(f));
    if (facts.exists && status.listen_port) {
      PortFamilies fams{facts.udp4_bound || !facts.udp6_bound,
                        facts.udp6_bound || !facts.udp4_bound};
      for (auto& f : check_inbound_udp(rules, status.listen_port, fams))
        main.findings.push_back(std::move(f));
    }
    for (auto& f : check_allowed_ip_overlaps(status)) main.findings.push_back(std::move(f));
    report.sections.push_back(std::move(main));

    std::vector<const wg::PeerStatus*> peers;
    for (const auto& p : status.peers) peers.push_back(&p);
    for (const wg::PeerStatus* p : peers) {
      Section sec{peer_heading(*p), {}};
      PeerReading reading{p, itf.second ? find_peer(&*itf.first, p->public_key) : nullptr, sampled};
      PeerContext ctx{itf.name, status.listen_port, now, std::nullopt};
      if (p->endpoint) {
        auto route = facts.endpoint_routes.find(*p->endpoint);
        std::optional<std::string> out_if;
        if (route != facts.endpoint_routes.end()) out_if = route->second.interface;
        ctx.outbound_block = outbound_udp_block(rules, *p->endpoint, out_if);
      }
      sec.findings.push_back(diagnose_peer_connection(reading, ctx));
      if (facts.exists) {
        for (auto& f : check_peer_endpoint_route(*p, facts)) sec.findings.push_back(std::move(f));
        for (auto& f : check_peer_allowed_ips(*p, facts)) sec.findings.push_back(std::move(f));
      }
      report.sections.push_back(std::move(sec));
    }
    if (facts.exists)
      report.sections.push_back({"forwarding and NAT for " + itf.name,
                                 check_forwarding(status, facts, host, rules, options.gateway)});
  }
  return report;
}

}  // namespace wgd::doctor
