// The diagnosis from hand-made DeviceStatus/PeerStatus values and facts: seed 000's two
// `wg show` outputs, connected, stale and idle peers, routes, MTU, overlaps, the interface, and
// forwarding/NAT for peers that route through the server.
#include <gtest/gtest.h>

#include "crypto/key_codec.h"
#include "doctor/forwarding_checks.h"
#include "doctor/interface_checks.h"
#include "doctor/iptables_parse.h"
#include "doctor/nft_parse.h"
#include "doctor/peer_checks.h"

namespace wgd::doctor {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

crypto::PublicKey key(std::string_view b64) {
  return *crypto::key_from_base64(b64);
}

// Seed 000, `wg show` on the device: 0 B received, 18.36 KiB sent, no handshake.
wg::PeerStatus seed_device_peer() {
  wg::PeerStatus p;
  p.public_key = key("hn2eMQZNLn56UVnHK8GZGvGD1dSLky0hk7sevZ4piB4=");
  p.endpoint = Endpoint::parse("192.168.0.111:5555");
  p.allowed_ips = {*IpPrefix::parse("10.42.42.1/32")};
  p.rx_bytes = 0;
  p.tx_bytes = 18800;  // 18.36 KiB
  p.persistent_keepalive = 25;
  return p;
}

// Seed 000, `wg show` on the server: the peer line and nothing else.
wg::PeerStatus seed_server_peer() {
  wg::PeerStatus p;
  p.public_key = key("sn4oAhIsJXRdTToO0ofRJRhuC7ObPOJYU+s5n8bPPSA=");
  p.allowed_ips = {*IpPrefix::parse("10.42.42.2/32")};
  return p;
}

PeerContext context(std::uint16_t port = 56213) {
  return PeerContext{"factory-vpn0", port, kNow, std::nullopt};
}

TEST(PeerDiagnosis, Seed000DeviceSendsButNothingArrives) {
  wg::PeerStatus p = seed_device_peer();
  Finding f = diagnose_peer_connection({&p}, context());
  EXPECT_EQ(f.severity, Severity::kFail);
  EXPECT_TRUE(contains(f.text, "we send but nothing arrives")) << f.text;
  EXPECT_TRUE(
      contains(f.text, "a firewall is likely blocking UDP 5555 on the way to 192.168.0.111:5555"))
      << f.text;
  EXPECT_TRUE(contains(f.text, "the peer's key is wrong")) << f.text;
  EXPECT_TRUE(contains(f.text, "received 0 B, sent 18.36 KiB")) << f.text;
  EXPECT_TRUE(contains(f.more, "wgd doctor probe 192.168.0.111:5555")) << f.more;
}

TEST(PeerDiagnosis, StillSendingShowsInTheText) {
  wg::PeerStatus before = seed_device_peer();
  wg::PeerStatus now = seed_device_peer();
  now.tx_bytes += 148;
  Finding f = diagnose_peer_connection({&now, &before, 2}, context());
  EXPECT_EQ(f.severity, Severity::kFail);
  EXPECT_TRUE(contains(f.text, "in the last 2 s: sent 148 B, received 0 B")) << f.text;
}

TEST(PeerDiagnosis, LocalFirewallDropIsNamedInstead) {
  wg::PeerStatus p = seed_device_peer();
  PeerContext ctx = context();
  ctx.outbound_block = "rule \"-A OUTPUT -p udp -j DROP\" (iptables -t filter, chain OUTPUT)";
  Finding f = diagnose_peer_connection({&p}, ctx);
  EXPECT_EQ(f.severity, Severity::kFail);
  EXPECT_TRUE(contains(f.text, "nothing leaves this host")) << f.text;
  EXPECT_TRUE(contains(f.text, "-A OUTPUT -p udp -j DROP")) << f.text;
}

TEST(PeerDiagnosis, Seed000ServerWaitsForThePeer) {
  wg::PeerStatus p = seed_server_peer();
  Finding f = diagnose_peer_connection({&p}, context(5555));
  EXPECT_EQ(f.severity, Severity::kWarn);
  EXPECT_TRUE(contains(f.text, "waiting for the peer to connect")) << f.text;
  EXPECT_TRUE(contains(f.text, "check that UDP 5555 reaches this host")) << f.text;
}

TEST(PeerDiagnosis, EndpointButNothingSentYet) {
  wg::PeerStatus p = seed_device_peer();
  p.tx_bytes = 0;
  Finding f = diagnose_peer_connection({&p}, context());
  EXPECT_EQ(f.severity, Severity::kWarn);
  EXPECT_TRUE(contains(f.text, "nothing has been sent to 192.168.0.111:5555")) << f.text;
}

TEST(PeerDiagnosis, HandshakesArriveButNoSession) {
  wg::PeerStatus p = seed_server_peer();
  p.endpoint = Endpoint::parse("198.51.100.4:40000");
  p.rx_bytes = 148 * 3;
  p.tx_bytes = 92 * 3;
  Finding f = diagnose_peer_connection({&p}, context(5555));
  EXPECT_EQ(f.severity, Severity::kFail);
  EXPECT_TRUE(contains(f.text, "our answers do not reach it")) << f.text;
  EXPECT_TRUE(contains(f.text, "preshared keys differ")) << f.text;
}

TEST(PeerDiagnosis, Connected) {
  wg::PeerStatus p = seed_device_peer();
  p.rx_bytes = 5000;
  p.last_handshake_sec = kNow - 42;
  Finding f = diagnose_peer_connection({&p}, context());
  EXPECT_EQ(f.severity, Severity::kOk);
  EXPECT_TRUE(contains(f.text, "latest handshake 42 seconds ago")) << f.text;
  EXPECT_TRUE(contains(f.text, "received 4.88 KiB, sent 18.36 KiB")) << f.text;
}

TEST(PeerDiagnosis, StaleWithKeepaliveFails) {
  wg::PeerStatus p = seed_device_peer();
  p.rx_bytes = 5000;
  p.last_handshake_sec = kNow - 600;
  Finding f = diagnose_peer_connection({&p}, context());
  EXPECT_EQ(f.severity, Severity::kFail);
  EXPECT_TRUE(contains(f.text, "stale session: latest handshake 10 minutes ago")) << f.text;
  EXPECT_TRUE(contains(f.text, "persistent keepalive sends every 25 s")) << f.text;
}

TEST(PeerDiagnosis, StaleWhileSendingFailsAndIdleIsFine) {
  wg::PeerStatus before = seed_device_peer();
  before.persistent_keepalive = 0;
  before.rx_bytes = 5000;
  before.last_handshake_sec = kNow - 400;
  wg::PeerStatus now = before.clone();
  Finding idle = diagnose_peer_connection({&now, &before, 2}, context());
  EXPECT_EQ(idle.severity, Severity::kOk);
  EXPECT_TRUE(contains(idle.text, "idle")) << idle.text;
  now.tx_bytes += 296;
  Finding stale = diagnose_peer_connection({&now, &before, 2}, context());
  EXPECT_EQ(stale.severity, Severity::kFail);
  EXPECT_TRUE(contains(stale.text, "we sent 296 B in the last 2 s")) << stale.text;
  EXPECT_TRUE(contains(stale.text, "blocks UDP 5555")) << stale.text;
}

TEST(PeerDiagnosis, ClockSetBack) {
  wg::PeerStatus p = seed_device_peer();
  p.last_handshake_sec = kNow + 100;
  EXPECT_EQ(diagnose_peer_connection({&p}, context()).severity, Severity::kWarn);
}

InterfaceFacts facts_wg0() {
  InterfaceFacts f;
  f.name = "wg0";
  f.exists = true;
  f.up = true;
  f.mtu = 1420;
  f.addresses = {*IpPrefix::parse("10.8.0.1/24")};
  f.udp4_bound = f.udp6_bound = true;
  return f;
}

TEST(AllowedIpRoutes, RoutedMissingAndOverridden) {
  InterfaceFacts f = facts_wg0();
  wg::PeerStatus p = seed_server_peer();
  p.allowed_ips = {*IpPrefix::parse("10.8.0.2/32"), *IpPrefix::parse("192.168.50.0/24"),
                   *IpPrefix::parse("172.16.0.0/16")};
  f.allowed_ip_routes[*IpPrefix::parse("10.8.0.2/32")] = {true, "wg0", "",
                                                          *IpAddress::parse("10.8.0.2")};
  f.allowed_ip_routes[*IpPrefix::parse("192.168.50.0/24")] = {false, "eth0", "",
                                                              *IpAddress::parse("192.168.50.1")};
  f.allowed_ip_routes[*IpPrefix::parse("172.16.0.0/16")] = {true, "docker0", "",
                                                            *IpAddress::parse("172.16.0.1")};
  auto out = check_peer_allowed_ips(p, f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].severity, Severity::kWarn);
  EXPECT_TRUE(contains(out[0].text, "no route sends 192.168.50.0/24 into wg0")) << out[0].text;
  EXPECT_EQ(out[0].more, "ip route get 192.168.50.1");
  EXPECT_TRUE(contains(out[1].text, "the kernel sends 172.16.0.1 via docker0")) << out[1].text;

  p.allowed_ips = {*IpPrefix::parse("10.8.0.2/32")};
  out = check_peer_allowed_ips(p, f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, Severity::kOk);
  p.allowed_ips.clear();
  out = check_peer_allowed_ips(p, f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(contains(out[0].text, "no allowed IPs"));
}

TEST(EndpointRoute, LoopMtuAndUnreachable) {
  InterfaceFacts f = facts_wg0();
  wg::PeerStatus p = seed_device_peer();
  f.endpoint_routes[*p.endpoint] = {std::string("wg0"), 1420, ""};
  auto out = check_peer_endpoint_route(p, f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, Severity::kFail);
  EXPECT_TRUE(contains(out[0].text, "routing loop")) << out[0].text;

  f.endpoint_routes[*p.endpoint] = {std::string("eth0"), 1450, ""};
  out = check_peer_endpoint_route(p, f);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, Severity::kWarn);
  EXPECT_TRUE(contains(out[0].text, "set MTU 1390 or less")) << out[0].text;

  f.endpoint_routes[*p.endpoint] = {std::string("eth0"), 1500, ""};
  out = check_peer_endpoint_route(p, f);
  EXPECT_EQ(out.at(0).severity, Severity::kOk);

  f.endpoint_routes[*p.endpoint] = {std::nullopt, 0, "Network is unreachable"};
  out = check_peer_endpoint_route(p, f);
  EXPECT_EQ(out.at(0).severity, Severity::kFail);
  EXPECT_TRUE(contains(out[0].text, "no route to the endpoint 192.168.0.111"));
}

TEST(Overlaps, NestedPrefixesOfDifferentPeers) {
  wg::DeviceStatus s;
  s.peers.push_back(seed_server_peer());
  s.peers.push_back(seed_device_peer());
  s.peers[0].allowed_ips = {*IpPrefix::parse("10.42.0.0/16"), *IpPrefix::parse("fd00::/64")};
  s.peers[1].allowed_ips = {*IpPrefix::parse("10.42.42.1/32"), *IpPrefix::parse("10.43.0.1/32"),
                            *IpPrefix::parse("fd00::1/128")};
  auto out = check_allowed_ip_overlaps(s);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(contains(
      out[0].text, "10.42.0.0/16 of peer sn4oAhIs... overlap 10.42.42.1/32 of peer hn2eMQZN..."))
      << out[0].text;
  EXPECT_TRUE(contains(out[1].text, "fd00::/64")) << out[1].text;
  s.peers[1].allowed_ips = {*IpPrefix::parse("10.43.0.1/32")};
  EXPECT_TRUE(check_allowed_ip_overlaps(s).empty());
}

TEST(InterfaceChecks, HealthyDownMissingAndUnbound) {
  wg::DeviceStatus s;
  s.public_key = crypto::PublicKey{};
  s.listen_port = 51820;
  s.peers.push_back(seed_server_peer());
  InterfaceFacts f = facts_wg0();
  auto out = check_interface(f, s);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "wg0 is up, MTU 1420, addresses 10.8.0.1/24");
  EXPECT_EQ(out[1].text, "listening on UDP 51820 (IPv4 and IPv6)");

  f.up = false;
  EXPECT_EQ(check_interface(f, s)[0].severity, Severity::kFail);
  f.exists = false;
  f.lookup_error = "No such device";
  auto missing = check_interface(f, s);
  EXPECT_TRUE(contains(missing[0].text, "no interface wg0 in this network namespace"));
  f = facts_wg0();
  f.udp4_bound = f.udp6_bound = false;
  auto unbound = check_interface(f, s);
  EXPECT_EQ(unbound[1].severity, Severity::kFail);
  EXPECT_TRUE(contains(unbound[1].text, "no socket in this network namespace"));
  s.public_key.reset();
  s.peers.clear();
  auto bare = check_interface(facts_wg0(), s);
  ASSERT_EQ(bare.size(), 4u);
  EXPECT_TRUE(contains(bare[1].text, "no private key"));
  EXPECT_TRUE(contains(bare[3].text, "no peers"));
}

// A server's firewall for the forwarding checks.
Ruleset rules_from(std::string_view iptables_save) {
  Ruleset r;
  r.tables = parse_iptables_save(iptables_save, IpAddress::Family::kV4, "iptables").tables;
  r.sources.push_back("iptables-save");
  return r;
}

wg::DeviceStatus server_status() {
  wg::DeviceStatus s;
  s.listen_port = 51820;
  wg::PeerStatus p = seed_server_peer();
  p.allowed_ips = {*IpPrefix::parse("10.8.0.2/32")};
  s.peers.push_back(std::move(p));
  return s;
}

int count(const std::vector<Finding>& fs, Severity s) {
  int n = 0;
  for (const auto& f : fs) n += f.severity == s;
  return n;
}

std::string all_text(const std::vector<Finding>& fs) {
  std::string t;
  for (const auto& f : fs) t += std::string(severity_tag(f.severity)) + " " + f.text + "\n";
  return t;
}

TEST(Forwarding, NothingSaysPeersRouteThrough) {
  HostFacts host{false, false, "eth0", std::nullopt};
  auto out = check_forwarding(server_status(), facts_wg0(), host, rules_from(""), {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, Severity::kOk);
  EXPECT_TRUE(contains(out[0].text, "IPv4 off")) << out[0].text;
}

TEST(Forwarding, AllowedIpsSettingWithoutForwardingOrNat) {
  HostFacts host{false, false, "eth0", std::nullopt};
  GatewaySettings g{false, {{"ALLOWEDIPS", "0.0.0.0/0"}}};
  auto out = check_forwarding(server_status(), facts_wg0(), host, rules_from(""), g);
  EXPECT_EQ(count(out, Severity::kFail), 2) << all_text(out);
  EXPECT_TRUE(contains(all_text(out),
                       "IPv4 forwarding is off (net.ipv4.ip_forward=0) but ALLOWEDIPS=0.0.0.0/0"))
      << all_text(out);
  EXPECT_TRUE(contains(all_text(out), "no MASQUERADE or SNAT rule for 10.8.0.0/24"))
      << all_text(out);
  EXPECT_TRUE(contains(all_text(out),
                       "iptables -t nat -A POSTROUTING -s 10.8.0.0/24 -o eth0 -j MASQUERADE"))
      << all_text(out);
}

TEST(Forwarding, ForwardingAndMasqueradeInPlace) {
  HostFacts host{true, false, "eth0", std::nullopt};
  Ruleset r = rules_from(
      "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.8.0.0/24 -o eth0 -j "
      "MASQUERADE\nCOMMIT\n");
  auto out = check_forwarding(server_status(), facts_wg0(), host, r, {true, {}});
  EXPECT_EQ(count(out, Severity::kFail), 0) << all_text(out);
  EXPECT_EQ(count(out, Severity::kWarn), 0) << all_text(out);
  EXPECT_TRUE(
      contains(all_text(out),
               "source-NATed by rule \"-A POSTROUTING -s 10.8.0.0/24 -o eth0 -j MASQUERADE\""))
      << all_text(out);
}

TEST(Forwarding, DockerStyleForwardDropPolicy) {
  HostFacts host{true, false, "eth0", std::nullopt};
  Ruleset r = rules_from(
      "*filter\n:FORWARD DROP [0:0]\n:DOCKER-USER - [0:0]\n"
      "-A FORWARD -j DOCKER-USER\n"
      "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
      "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n"
      "-A DOCKER-USER -j RETURN\nCOMMIT\n"
      "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.8.0.0/24 -j MASQUERADE\nCOMMIT\n");
  auto out = check_forwarding(server_status(), facts_wg0(), host, r, {true, {}});
  EXPECT_EQ(count(out, Severity::kFail), 1) << all_text(out);
  EXPECT_TRUE(contains(all_text(out), "traffic forwarded from wg0 is blocked by the drop policy"))
      << all_text(out);
  // Accepting wg0's traffic and its replies clears it.
  Ruleset fixed = rules_from(
      "*filter\n:FORWARD DROP [0:0]\n"
      "-A FORWARD -i wg0 -j ACCEPT\n"
      "-A FORWARD -o wg0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n"
      "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.8.0.0/24 -j MASQUERADE\nCOMMIT\n");
  out = check_forwarding(server_status(), facts_wg0(), host, fixed, {true, {}});
  EXPECT_EQ(count(out, Severity::kFail), 0) << all_text(out);
}

TEST(Forwarding, PeersReachingEachOtherNeedForwardingNotNat) {
  HostFacts host{false, false, "eth0", std::nullopt};
  GatewaySettings g{false, {{"WGD_CLIENT_ALLOWED_IPS", "10.8.0.0/24"}}};
  auto out = check_forwarding(server_status(), facts_wg0(), host, rules_from(""), g);
  EXPECT_EQ(count(out, Severity::kFail), 1) << all_text(out);
  EXPECT_TRUE(contains(all_text(out), "has peers reach each other through this host"));
  EXPECT_FALSE(contains(all_text(out), "MASQUERADE"));
}

TEST(Forwarding, GlobalIpv6NeedsNoNatButUlaWarns) {
  HostFacts host{true, true, "eth0", "eth0"};
  InterfaceFacts f = facts_wg0();
  f.addresses = {*IpPrefix::parse("2001:db8:1::1/64")};
  auto out = check_forwarding(server_status(), f, host, rules_from(""), {true, {}});
  EXPECT_EQ(count(out, Severity::kFail), 0) << all_text(out);
  EXPECT_TRUE(contains(all_text(out), "global IPv6 prefix")) << all_text(out);
  f.addresses = {*IpPrefix::parse("fd42::1/64")};
  out = check_forwarding(server_status(), f, host, rules_from(""), {true, {}});
  EXPECT_EQ(count(out, Severity::kWarn), 1) << all_text(out);
}

}  // namespace
}  // namespace wgd::doctor
