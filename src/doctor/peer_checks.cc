#include "doctor/peer_checks.h"

#include <fmt/format.h>

#include <algorithm>

#include "crypto/key_codec.h"
#include "uapi/wg_show.h"

namespace wgd::doctor {
namespace {

// Outer IPv4/IPv6 header + UDP header + WireGuard's transport header and tag.
constexpr std::uint32_t kOverheadV4 = 20 + 8 + 32;
constexpr std::uint32_t kOverheadV6 = 40 + 8 + 32;

std::string bytes(std::uint64_t n) {
  return uapi::pretty_bytes(n, false);
}

std::string transfer(const wg::PeerStatus& p) {
  return fmt::format("received {}, sent {}", bytes(p.rx_bytes), bytes(p.tx_bytes));
}

std::uint64_t grew(std::uint64_t now, std::uint64_t before) {
  return now > before ? now - before : 0;
}

std::string key_text(const wg::PeerStatus& p) {
  return crypto::key_to_base64(p.public_key);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

}  // namespace

std::string short_key(const wg::PeerStatus& peer) {
  return key_text(peer).substr(0, 8) + "...";
}

std::string peer_heading(const wg::PeerStatus& peer) {
  std::string heading = "peer " + key_text(peer);
  if (peer.endpoint) heading += " (endpoint " + peer.endpoint->to_string() + ")";
  return heading;
}

Finding diagnose_peer_connection(const PeerReading& reading, const PeerContext& ctx) {
  const wg::PeerStatus& p = *reading.current;
  const wg::PeerStatus* before = reading.earlier;
  const std::uint64_t sent_now = before ? grew(p.tx_bytes, before->tx_bytes) : 0;
  const std::uint64_t received_now = before ? grew(p.rx_bytes, before->rx_bytes) : 0;
  std::string activity;
  if (before && reading.sample_seconds > 0)
    activity = fmt::format(" (in the last {:.0f} s: sent {}, received {})", reading.sample_seconds,
                           bytes(sent_now), bytes(received_now));
  const std::string endpoint = p.endpoint ? p.endpoint->to_string() : std::string("its endpoint");
  const std::string port = p.endpoint ? std::to_string(p.endpoint->port) : std::string("?");
  const std::string show = "wg show " + ctx.interface;
  const std::string probe_more =
      p.endpoint
          ? fmt::format("wgd doctor probe {} (with `wgd doctor listen --port {}` running there)",
                        endpoint, port)
          : show;

  if (p.last_handshake_sec == 0) {
    if (p.rx_bytes > 0)
      return failure(
          fmt::format("no handshake yet although {} arrived from the peer ({}){}: its handshakes "
                      "arrive but no session starts: our answers do not reach it (a firewall or "
                      "NAT on its side drops them) or the preshared keys differ",
                      bytes(p.rx_bytes), transfer(p), activity),
          show);
    if (p.tx_bytes > 0) {
      if (ctx.outbound_block)
        return failure(fmt::format("no handshake; {}{}: we send but nothing leaves this host: {} "
                                   "drops UDP to {}",
                                   transfer(p), activity, *ctx.outbound_block, endpoint),
                       "iptables-save; nft list ruleset");
      return failure(
          fmt::format("no handshake; {}{}: we send but nothing arrives: a firewall is likely "
                      "blocking UDP {} on the way to {}, or the peer's key is wrong (it must "
                      "list this interface's public key, and we its)",
                      transfer(p), activity, port, endpoint),
          probe_more);
    }
    if (!p.endpoint)
      return warn(
          fmt::format("no handshake yet and no endpoint: waiting for the peer to connect (only it "
                      "can start). If it says it is sending, its packets do not arrive: check "
                      "that UDP {} reaches this host",
                      ctx.listen_port),
          fmt::format("wgd doctor listen here (a spare port while {} holds {}), then wgd doctor "
                      "probe THIS-HOST:PORT from the peer's network (docs/doctor.md)",
                      ctx.interface, ctx.listen_port));
    return warn(fmt::format("no handshake yet: nothing has been sent to {} (traffic to its allowed "
                            "IPs starts a handshake; persistent-keepalive starts one at once)",
                            endpoint),
                show);
  }

  const std::int64_t age = ctx.now - p.last_handshake_sec;
  const std::string when =
      age == 0 ? std::string("just now") : uapi::pretty_ago(p.last_handshake_sec, ctx.now, false);
  if (age < 0)
    return warn(fmt::format("the latest handshake lies {} s in the future: this host's clock was "
                            "set back; {}",
                            -age, transfer(p)),
                show);
  if (age <= kStaleHandshakeSeconds)
    return ok(fmt::format("connected: latest handshake {}; {}{}", when, transfer(p), activity));

  const bool sending = sent_now > 0;
  if (sending || p.persistent_keepalive > 0) {
    std::string why =
        sending ? fmt::format("we sent {} in the last {:.0f} s", bytes(sent_now),
                              reading.sample_seconds)
                : fmt::format("persistent keepalive sends every {} s", p.persistent_keepalive);
    if (ctx.outbound_block)
      return failure(fmt::format("stale session: latest handshake {} although {}: {} drops UDP "
                                 "to {} on this host",
                                 when, why, *ctx.outbound_block, endpoint),
                     "iptables-save; nft list ruleset");
    return failure(
        fmt::format("stale session: latest handshake {} although {}: the peer no longer answers: "
                    "it is offline, its address changed, or a firewall now blocks UDP {} on the "
                    "way to {}",
                    when, why, port, endpoint),
        probe_more);
  }
  return ok(
      fmt::format("idle: latest handshake {}; {}; no traffic now (the next packet starts a "
                  "new handshake)",
                  when, transfer(p)));
}

std::vector<Finding> check_peer_allowed_ips(const wg::PeerStatus& peer,
                                            const InterfaceFacts& facts) {
  std::vector<Finding> out;
  if (peer.allowed_ips.empty()) {
    out.push_back(
        warn("no allowed IPs: nothing is sent to this peer and everything it sends is "
             "dropped",
             fmt::format("wg set {} peer {} allowed-ips ADDRESS/32", facts.name, key_text(peer))));
    return out;
  }
  std::vector<std::string> routed;
  for (const auto& prefix : peer.allowed_ips) {
    const IpPrefix canon = prefix.canonical();
    auto it = facts.allowed_ip_routes.find(canon);
    if (it == facts.allowed_ip_routes.end()) continue;
    const AllowedIpRoute& r = it->second;
    const std::string more = "ip route get " + r.probe_address.to_string();
    if (!r.routed_via_interface) {
      out.push_back(warn(fmt::format("no route sends {} into {}: traffic for it goes elsewhere "
                                     "(add one: ip route add {} dev {})",
                                     canon.to_string(), facts.name, canon.to_string(), facts.name),
                         more));
    } else if (!r.kernel_error.empty()) {
      out.push_back(warn(
          fmt::format("{} has a route into {}, but `ip route get {}` fails: {}", canon.to_string(),
                      facts.name, r.probe_address.to_string(), r.kernel_error),
          more));
    } else if (r.kernel_interface && *r.kernel_interface != facts.name) {
      out.push_back(warn(fmt::format("{} has a route into {}, but the kernel sends {} via {}: a "
                                     "more specific route or a policy rule wins",
                                     canon.to_string(), facts.name, r.probe_address.to_string(),
                                     *r.kernel_interface),
                         more + "; ip rule"));
    } else {
      routed.push_back(canon.to_string());
    }
  }
  if (out.empty() && !routed.empty())
    out.push_back(
        ok(fmt::format("allowed IPs {} are routed into {}", join(routed, ", "), facts.name)));
  return out;
}

std::vector<Finding> check_peer_endpoint_route(const wg::PeerStatus& peer,
                                               const InterfaceFacts& facts) {
  std::vector<Finding> out;
  if (!peer.endpoint) return out;
  auto it = facts.endpoint_routes.find(*peer.endpoint);
  if (it == facts.endpoint_routes.end()) return out;
  const EndpointRoute& r = it->second;
  const std::string address = peer.endpoint->address.to_string();
  const std::string more = "ip route get " + address;
  if (!r.error.empty()) {
    out.push_back(failure(fmt::format("no route to the endpoint {}: {}", address, r.error), more));
    return out;
  }
  if (r.interface && *r.interface == facts.name) {
    out.push_back(failure(
        fmt::format("routing loop: the route to the endpoint {} goes into {} itself, so the "
                    "tunnel's own packets would have to travel through the tunnel (exclude the "
                    "endpoint: a fwmark with a policy rule, as wg-quick does, or a more specific "
                    "route via the real gateway)",
                    address, facts.name),
        more));
    return out;
  }
  const std::uint32_t overhead = peer.endpoint->address.is_v4() ? kOverheadV4 : kOverheadV6;
  if (facts.mtu > 0 && r.mtu > 0 && facts.mtu + overhead > r.mtu) {
    out.push_back(warn(
        fmt::format("MTU {} of {} plus {} bytes of WireGuard overhead exceeds the "
                    "MTU {} of {} on the way to {}: large packets get fragmented "
                    "or lost (set MTU {} or less)",
                    facts.mtu, facts.name, overhead, r.mtu, r.interface.value_or("?"), address,
                    r.mtu > overhead ? r.mtu - overhead : 0),
        fmt::format("ip link set {} mtu {}", facts.name, r.mtu > overhead ? r.mtu - overhead : 0)));
    return out;
  }
  out.push_back(ok(fmt::format("endpoint {} is reached via {} (MTU {})", peer.endpoint->to_string(),
                               r.interface.value_or("?"), r.mtu)));
  return out;
}

std::vector<Finding> check_allowed_ip_overlaps(const wg::DeviceStatus& status, std::size_t limit) {
  struct Item {
    IpPrefix prefix;
    std::size_t peer;
  };
  std::vector<Item> items;
  for (std::size_t i = 0; i < status.peers.size(); ++i)
    for (const auto& p : status.peers[i].allowed_ips) items.push_back({p.canonical(), i});
  // Prefixes either nest or are disjoint. Sorted by address then length, every prefix that
  // contains an item comes before it and is still on the stack when the item is reached.
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.prefix.address != b.prefix.address) return a.prefix.address < b.prefix.address;
    return a.prefix.length < b.prefix.length;
  });
  std::vector<Finding> out;
  std::vector<const Item*> open;
  for (const auto& item : items) {
    while (!open.empty() && (open.back()->prefix.address.family() != item.prefix.address.family() ||
                             !open.back()->prefix.contains(item.prefix.address)))
      open.pop_back();
    for (const Item* outer : open) {
      if (outer->peer == item.peer || out.size() >= limit) continue;
      const auto& a = status.peers[outer->peer];
      const auto& b = status.peers[item.peer];
      out.push_back(
          warn(fmt::format("allowed IPs {} of peer {} overlap {} of peer {}: traffic to "
                           "{} goes to {} (the longer prefix wins)",
                           outer->prefix.to_string(), short_key(a), item.prefix.to_string(),
                           short_key(b), item.prefix.to_string(), short_key(b)),
               "wg show"));
    }
    open.push_back(&item);
  }
  return out;
}

}  // namespace wgd::doctor
