// Hand-made expectations from show.c's formatting rules, including the non-zero handshakes and
// transfer counters a fresh device never has; text_formats_netns_test compares with the real
// `wg show` byte for byte.
#include "uapi/wg_show.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <limits>
#include <vector>

#include "uapi/text_formats_test_support.h"
#include "util/unique_fd.h"

namespace wgd::uapi {
namespace {

constexpr std::string_view kPriv = "qAuVUEbmcI3ofLsjJmQ6+RtEejoNX+WHs7QOsIccn0Y=";
constexpr std::string_view kPub = "iJT+CW4QoWNDIDo763CPx1TZ3x9bSNTN5t0uQbzo5jo=";  // of kPriv
constexpr std::string_view kPsk = "FIOSD2ErZISlHwFsBRK5RVyd7ENhvJ4x3W101BoewqQ=";
constexpr std::string_view kP0 = "RfGgIjkPJC9U6b0OE8UHdnJwAA4hCV1FfQOX1/FaIzo=";
constexpr std::string_view kP1 = "Bj7G2pqXZRjrcBTwOWDrkjcy3PzhhJd3cX8QvBTaRDI=";
constexpr std::string_view kP2 = "5SAd89dXTesrxFZpNaRvwL/M11WjuevHJH/7Cv5LI3c=";
constexpr std::string_view kP3 = "xFXzNIDQ5NJkY0Pgg5hG1fZg0RAD51nnu5MMBbhlpCg=";
constexpr std::int64_t kNow = 1700000000;

wg::PeerStatus peer(std::string_view key) {
  wg::PeerStatus p;
  p.public_key = test::public_key(key);
  return p;
}

// Device order P0..P3; by handshake the pretty form shows P3, P2, P1, P0.
wg::DeviceStatus device() {
  wg::DeviceStatus s;
  s.private_key = test::secret_key(kPriv);  // public key left for the renderer to derive
  s.listen_port = 51820;
  s.fwmark = 0xca6c;

  s.peers.push_back(peer(kP0));  // never handshaked, nothing configured

  auto p1 = peer(kP1);
  p1.preshared_key = test::secret_key(kPsk);
  p1.endpoint = Endpoint::parse("192.0.2.1:51820");
  p1.allowed_ips = {*IpPrefix::parse("10.0.0.2/32"), *IpPrefix::parse("fd00::2/128")};
  p1.last_handshake_sec = kNow - 65;
  p1.rx_bytes = 1260;
  p1.tx_bytes = 4781506;
  p1.persistent_keepalive = 25;
  s.peers.push_back(std::move(p1));

  auto p2 = peer(kP2);
  p2.endpoint = Endpoint::parse("[2001:db8::1]:4500");
  p2.last_handshake_sec = kNow - 3;
  p2.last_handshake_nsec = 500;
  p2.tx_bytes = 100;
  p2.persistent_keepalive = 65535;
  s.peers.push_back(std::move(p2));

  auto p3 = peer(kP3);
  p3.allowed_ips = {*IpPrefix::parse("10.0.3.0/24")};
  p3.last_handshake_sec = kNow - 3;
  p3.last_handshake_nsec = 900;  // same second as P2, later nanoseconds: shown first
  p3.rx_bytes = 1024;
  p3.tx_bytes = 7ull << 30;
  s.peers.push_back(std::move(p3));
  return s;
}

ShowStyle plain() {
  return ShowStyle{false, true, kNow};
}

TEST(WgShowPretty, SortedPeersHiddenKeysNoColour) {
  EXPECT_EQ(render_show_pretty("wg0", device(), plain()), fmt::format(R"(interface: wg0
  public key: {}
  private key: (hidden)
  listening port: 51820
  fwmark: 0xca6c

peer: {}
  allowed ips: 10.0.3.0/24
  latest handshake: 3 seconds ago
  transfer: 1.00 KiB received, 7.00 GiB sent

peer: {}
  endpoint: [2001:db8::1]:4500
  allowed ips: (none)
  latest handshake: 3 seconds ago
  transfer: 0 B received, 100 B sent
  persistent keepalive: every 18 hours, 12 minutes, 15 seconds

peer: {}
  preshared key: (hidden)
  endpoint: 192.0.2.1:51820
  allowed ips: 10.0.0.2/32, fd00::2/128
  latest handshake: 1 minute, 5 seconds ago
  transfer: 1.23 KiB received, 4.56 MiB sent
  persistent keepalive: every 25 seconds

peer: {}
  allowed ips: (none)
)",
                                                                      kPub, kP3, kP2, kP1, kP0));
}

TEST(WgShowPretty, KeysShownWhenAsked) {
  auto s = device();
  s.peers.resize(2);
  ShowStyle style = plain();
  style.hide_keys = false;
  auto out = render_show_pretty("wg0", s, style);
  EXPECT_NE(out.find(fmt::format("  private key: {}\n", kPriv)), std::string::npos) << out;
  EXPECT_NE(out.find(fmt::format("  preshared key: {}\n", kPsk)), std::string::npos) << out;
  EXPECT_EQ(out.find("(hidden)"), std::string::npos) << out;
}

TEST(WgShowPretty, Colour) {
  auto s = device();
  s.peers.erase(s.peers.begin());
  s.peers.resize(1);  // P1 only
  ShowStyle style = plain();
  style.color = true;
  const std::string R = "\x1b[0m", B = "\x1b[1m", G = "\x1b[32m", Y = "\x1b[33m", C = "\x1b[36m";
  std::string expected;
  expected += R + G + B + "interface" + R + ": " + G + "wg0" + R + "\n";
  expected += "  " + B + "public key" + R + ": " + std::string(kPub) + "\n";
  expected += "  " + B + "private key" + R + ": (hidden)\n";
  expected += "  " + B + "listening port" + R + ": 51820\n";
  expected += "  " + B + "fwmark" + R + ": 0xca6c\n\n";
  expected += Y + B + "peer" + R + ": " + Y + std::string(kP1) + R + "\n";
  expected += "  " + B + "preshared key" + R + ": (hidden)\n";
  expected += "  " + B + "endpoint" + R + ": 192.0.2.1:51820\n";
  expected += "  " + B + "allowed ips" + R + ": 10.0.0.2" + C + "/" + R + "32, fd00::2" + C + "/" +
              R + "128\n";
  expected += "  " + B + "latest handshake" + R + ": 1 " + C + "minute" + R + ", 5 " + C +
              "seconds" + R + " ago\n";
  expected += "  " + B + "transfer" + R + ": 1.23 " + C + "KiB" + R + " received, 4.56 " + C +
              "MiB" + R + " sent\n";
  expected += "  " + B + "persistent keepalive" + R + ": every 25 " + C + "seconds" + R + "\n";
  EXPECT_EQ(render_show_pretty("wg0", s, style), expected);
}

TEST(WgShowPretty, DeviceWithoutKeyOrPeers) {
  wg::DeviceStatus s;
  EXPECT_EQ(render_show_pretty("wg1", s, plain()), "interface: wg1\n");
  s.private_key = crypto::PrivateKey();  // all zero counts as none
  s.listen_port = 4242;
  EXPECT_EQ(render_show_pretty("wg1", s, plain()), "interface: wg1\n  listening port: 4242\n");
}

TEST(WgShowPieces, Durations) {
  EXPECT_EQ(pretty_duration(0, false), "");
  EXPECT_EQ(pretty_duration(1, false), "1 second");
  EXPECT_EQ(pretty_duration(60, false), "1 minute");
  EXPECT_EQ(pretty_duration(65, false), "1 minute, 5 seconds");
  EXPECT_EQ(pretty_duration(7200, false), "2 hours");
  EXPECT_EQ(pretty_duration(365ull * 86400 + 2 * 86400 + 3661, false),
            "1 year, 2 days, 1 hour, 1 minute, 1 second");
  EXPECT_EQ(pretty_duration(2 * 365ull * 86400 + 86400, false), "2 years, 1 day");
  EXPECT_EQ(pretty_duration(3661, true),
            "1 \x1b[36mhour\x1b[0m, 1 \x1b[36mminute\x1b[0m, 1 \x1b[36msecond\x1b[0m");
}

TEST(WgShowPieces, Ago) {
  EXPECT_EQ(pretty_ago(kNow, kNow, false), "Now");
  EXPECT_EQ(pretty_ago(kNow - 1, kNow, false), "1 second ago");
  EXPECT_EQ(pretty_ago(kNow - 90061, kNow, false), "1 day, 1 hour, 1 minute, 1 second ago");
  EXPECT_EQ(pretty_ago(kNow + 5, kNow, false),
            "(System clock wound backward; connection problems may ensue.)");
  EXPECT_EQ(pretty_ago(kNow + 5, kNow, true),
            "(\x1b[31mSystem clock wound backward; connection problems may ensue.\x1b[0m)");
}

TEST(WgShowPieces, Bytes) {
  EXPECT_EQ(pretty_bytes(0, false), "0 B");
  EXPECT_EQ(pretty_bytes(1023, false), "1023 B");
  EXPECT_EQ(pretty_bytes(1024, false), "1.00 KiB");
  EXPECT_EQ(pretty_bytes(1152, false), "1.12 KiB");  // 1.125: printf rounds the tie to even
  EXPECT_EQ(pretty_bytes(1260, false), "1.23 KiB");
  EXPECT_EQ(pretty_bytes(1048575, false), "1024.00 KiB");  // wg's own quirk at the boundary
  EXPECT_EQ(pretty_bytes(1048576, false), "1.00 MiB");
  EXPECT_EQ(pretty_bytes(4781506, false), "4.56 MiB");
  EXPECT_EQ(pretty_bytes(3ull << 30, false), "3.00 GiB");
  EXPECT_EQ(pretty_bytes(1ull << 40, false), "1.00 TiB");
  EXPECT_EQ(pretty_bytes(3ull << 39, false), "1.50 TiB");
  EXPECT_EQ(pretty_bytes(std::numeric_limits<std::uint64_t>::max(), false), "16777216.00 TiB");
  EXPECT_EQ(pretty_bytes(512, true), "512 \x1b[36mB\x1b[0m");
}

TEST(WgShowFields, EachFieldInDeviceOrder) {
  const auto s = device();
  auto f = [&](ShowField field) { return render_show_field("wg0", s, field); };
  EXPECT_EQ(f(ShowField::kPublicKey), fmt::format("{}\n", kPub));
  EXPECT_EQ(f(ShowField::kPrivateKey), fmt::format("{}\n", kPriv));
  EXPECT_EQ(f(ShowField::kListenPort), "51820\n");
  EXPECT_EQ(f(ShowField::kFwmark), "0xca6c\n");
  EXPECT_EQ(f(ShowField::kPeers), fmt::format("{}\n{}\n{}\n{}\n", kP0, kP1, kP2, kP3));
  EXPECT_EQ(f(ShowField::kPresharedKeys),
            fmt::format("{}\t(none)\n{}\t{}\n{}\t(none)\n{}\t(none)\n", kP0, kP1, kPsk, kP2, kP3));
  EXPECT_EQ(f(ShowField::kEndpoints),
            fmt::format("{}\t(none)\n{}\t192.0.2.1:51820\n{}\t[2001:db8::1]:4500\n{}\t(none)\n",
                        kP0, kP1, kP2, kP3));
  EXPECT_EQ(f(ShowField::kAllowedIps),
            fmt::format("{}\t(none)\n{}\t10.0.0.2/32 fd00::2/128\n{}\t(none)\n{}\t10.0.3.0/24\n",
                        kP0, kP1, kP2, kP3));
  EXPECT_EQ(
      f(ShowField::kLatestHandshakes),
      fmt::format("{}\t0\n{}\t1699999935\n{}\t1699999997\n{}\t1699999997\n", kP0, kP1, kP2, kP3));
  EXPECT_EQ(f(ShowField::kTransfer),
            fmt::format("{}\t0\t0\n{}\t1260\t4781506\n{}\t0\t100\n{}\t1024\t7516192768\n", kP0, kP1,
                        kP2, kP3));
  EXPECT_EQ(f(ShowField::kPersistentKeepalive),
            fmt::format("{}\toff\n{}\t25\n{}\t65535\n{}\toff\n", kP0, kP1, kP2, kP3));
  EXPECT_EQ(f(ShowField::kDump),
            fmt::format(
                "{}\t{}\t51820\t0xca6c\n"
                "{}\t(none)\t(none)\t(none)\t0\t0\t0\toff\n"
                "{}\t{}\t192.0.2.1:51820\t10.0.0.2/32,fd00::2/128\t1699999935\t1260\t4781506\t25\n"
                "{}\t(none)\t[2001:db8::1]:4500\t(none)\t1699999997\t0\t100\t65535\n"
                "{}\t(none)\t(none)\t10.0.3.0/24\t1699999997\t1024\t7516192768\toff\n",
                kPriv, kPub, kP0, kP1, kPsk, kP2, kP3));
}

TEST(WgShowFields, AllPrefixesEveryLineWithTheInterface) {
  const auto s0 = device();
  const wg::DeviceStatus s1;  // no key, no port, no peers
  const NamedDevice devices[] = {{"wg0", &s0}, {"wg1", &s1}};
  EXPECT_EQ(render_show_all_field(devices, ShowField::kListenPort), "wg0\t51820\nwg1\t0\n");
  EXPECT_EQ(render_show_all_field(devices, ShowField::kFwmark), "wg0\t0xca6c\nwg1\toff\n");
  EXPECT_EQ(render_show_all_field(devices, ShowField::kPublicKey),
            fmt::format("wg0\t{}\nwg1\t(none)\n", kPub));
  EXPECT_EQ(render_show_all_field(devices, ShowField::kPrivateKey),
            fmt::format("wg0\t{}\nwg1\t(none)\n", kPriv));
  EXPECT_EQ(render_show_all_field(devices, ShowField::kEndpoints),
            fmt::format("wg0\t{}\t(none)\nwg0\t{}\t192.0.2.1:51820\nwg0\t{}\t[2001:db8::1]:4500\n"
                        "wg0\t{}\t(none)\n",
                        kP0, kP1, kP2, kP3));
  EXPECT_EQ(
      render_show_all_field(devices, ShowField::kPersistentKeepalive),
      fmt::format("wg0\t{}\toff\nwg0\t{}\t25\nwg0\t{}\t65535\nwg0\t{}\toff\n", kP0, kP1, kP2, kP3));
  auto dump = render_show_all_field(devices, ShowField::kDump);
  EXPECT_EQ(dump.substr(dump.rfind('\n', dump.size() - 2) + 1), "wg1\t(none)\t(none)\t0\toff\n");
  EXPECT_EQ(dump.rfind("wg0\t", 0), 0u);
  EXPECT_EQ(std::count(dump.begin(), dump.end(), '\n'), 6);

  const wg::DeviceStatus s2;
  const NamedDevice two_empty[] = {{"wg1", &s1}, {"wg2", &s2}};
  EXPECT_EQ(render_show_all_pretty(two_empty, plain()), "interface: wg1\n\ninterface: wg2\n");
  EXPECT_EQ(render_show_all_pretty({}, plain()), "");
}

TEST(WgShowFields, Interfaces) {
  const std::string_view names[] = {"wg0", "wg1", "tun-x"};
  EXPECT_EQ(render_show_interfaces(names), "wg0 wg1 tun-x\n");
  EXPECT_EQ(render_show_interfaces({}), "");
}

TEST(WgShowArgs, Grammar) {
  using T = ShowRequest::Target;
  auto parse = [](std::vector<std::string_view> args) { return parse_show_args(args); };
  EXPECT_EQ(parse({})->target, T::kAll);
  EXPECT_FALSE(parse({})->field);
  EXPECT_EQ(parse({"all"})->target, T::kAll);
  EXPECT_EQ(parse({"all", "dump"})->field, ShowField::kDump);
  EXPECT_EQ(parse({"interfaces"})->target, T::kInterfaces);
  EXPECT_FALSE(parse({"interfaces", "dump"}));
  EXPECT_EQ(parse({"help"})->target, T::kHelp);
  EXPECT_EQ(parse({"--help"})->target, T::kHelp);
  auto one = parse({"wg0", "latest-handshakes"});
  ASSERT_TRUE(one);
  EXPECT_EQ(one->target, T::kOne);
  EXPECT_EQ(one->interface, "wg0");
  EXPECT_EQ(one->field, ShowField::kLatestHandshakes);
  auto bad = parse({"wg0", "handshakes"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "Invalid parameter: `handshakes'");
  EXPECT_FALSE(parse({"wg0", "dump", "extra"}));
  for (auto f : {ShowField::kPublicKey, ShowField::kPrivateKey, ShowField::kListenPort,
                 ShowField::kFwmark, ShowField::kPeers, ShowField::kPresharedKeys,
                 ShowField::kEndpoints, ShowField::kAllowedIps, ShowField::kLatestHandshakes,
                 ShowField::kTransfer, ShowField::kPersistentKeepalive, ShowField::kDump})
    EXPECT_EQ(parse_show_field(show_field_name(f)), f);
  EXPECT_EQ(show_usage("wg"),
            "Usage: wg show { <interface> | all | interfaces } [public-key | private-key | "
            "listen-port | fwmark | peers | preshared-keys | endpoints | allowed-ips | "
            "latest-handshakes | transfer | persistent-keepalive | dump]\n");
}

TEST(WgShowStyle, FromEnvironmentAndTerminal) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  UniqueFd r(fds[0]), w(fds[1]);
  UniqueFd master(posix_openpt(O_RDWR | O_NOCTTY));
  ASSERT_TRUE(master);
  ASSERT_EQ(grantpt(master.get()), 0);
  ASSERT_EQ(unlockpt(master.get()), 0);
  UniqueFd tty(open(ptsname(master.get()), O_RDWR | O_NOCTTY));
  ASSERT_TRUE(tty);

  ::unsetenv("WG_COLOR_MODE");
  ::unsetenv("WG_HIDE_KEYS");
  EXPECT_FALSE(show_style_from_environment(w.get(), kNow).color);
  EXPECT_TRUE(show_style_from_environment(tty.get(), kNow).color);
  EXPECT_TRUE(show_style_from_environment(tty.get(), kNow).hide_keys);
  EXPECT_EQ(show_style_from_environment(tty.get(), kNow).now, kNow);
  ::setenv("WG_COLOR_MODE", "always", 1);
  EXPECT_TRUE(show_style_from_environment(w.get(), kNow).color);
  ::setenv("WG_COLOR_MODE", "never", 1);
  EXPECT_FALSE(show_style_from_environment(tty.get(), kNow).color);
  ::setenv("WG_HIDE_KEYS", "never", 1);
  EXPECT_FALSE(show_style_from_environment(w.get(), kNow).hide_keys);
  ::setenv("WG_HIDE_KEYS", "always", 1);
  EXPECT_TRUE(show_style_from_environment(w.get(), kNow).hide_keys);
  ::unsetenv("WG_COLOR_MODE");
  ::unsetenv("WG_HIDE_KEYS");
}

}  // namespace
}  // namespace wgd::uapi
