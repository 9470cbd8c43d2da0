// Hand-made states against showconf.c's rules; text_formats_netns_test compares with the real
// `wg showconf` byte for byte.
#include "uapi/showconf.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <net/if.h>

#include "uapi/text_formats_test_support.h"

namespace wgd::uapi {
namespace {

constexpr std::string_view kPriv = "qAuVUEbmcI3ofLsjJmQ6+RtEejoNX+WHs7QOsIccn0Y=";
constexpr std::string_view kPsk = "FIOSD2ErZISlHwFsBRK5RVyd7ENhvJ4x3W101BoewqQ=";
constexpr std::string_view kPeerA = "RfGgIjkPJC9U6b0OE8UHdnJwAA4hCV1FfQOX1/FaIzo=";
constexpr std::string_view kPeerB = "Bj7G2pqXZRjrcBTwOWDrkjcy3PzhhJd3cX8QvBTaRDI=";

TEST(Showconf, EveryField) {
  wg::DeviceStatus s;
  s.private_key = test::secret_key(kPriv);
  s.listen_port = 51820;
  s.fwmark = 0xca6c;
  wg::PeerStatus a;
  a.public_key = test::public_key(kPeerA);
  a.preshared_key = test::secret_key(kPsk);
  a.endpoint = Endpoint::parse("192.0.2.1:51820");
  a.allowed_ips = {*IpPrefix::parse("10.0.0.0/24"), *IpPrefix::parse("2001:db8:0:0:1::/80")};
  a.persistent_keepalive = 25;
  a.last_handshake_sec = 1700000000;  // runtime state: not in showconf
  a.rx_bytes = 10;
  s.peers.push_back(std::move(a));
  wg::PeerStatus b;
  b.public_key = test::public_key(kPeerB);
  b.preshared_key = crypto::PresharedKey();  // all zero = none
  b.endpoint = Endpoint{*IpAddress::parse("fe80::1"), 4500, if_nametoindex("lo")};
  s.peers.push_back(std::move(b));

  EXPECT_EQ(render_showconf(s), fmt::format(R"([Interface]
ListenPort = 51820
FwMark = 0xca6c
PrivateKey = {}

[Peer]
PublicKey = {}
PresharedKey = {}
AllowedIPs = 10.0.0.0/24, 2001:db8:0:0:1::/80
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 25

[Peer]
PublicKey = {}
Endpoint = [fe80::1%lo]:4500
)",
                                            kPriv, kPeerA, kPsk, kPeerB));
}

TEST(Showconf, EmptyDeviceKeepsTheBlankLine) {
  // showconf.c prints "\n" after the interface section whether or not peers follow.
  EXPECT_EQ(render_showconf(wg::DeviceStatus{}), "[Interface]\n\n");
  wg::DeviceStatus s;
  s.private_key = crypto::PrivateKey();  // all zero: wg treats it as no key
  s.listen_port = 1;
  EXPECT_EQ(render_showconf(s), "[Interface]\nListenPort = 1\n\n");
}

TEST(Showconf, EndpointText) {
  EXPECT_EQ(format_endpoint(*Endpoint::parse("[2001:db8::1]:1")), "[2001:db8::1]:1");
  // A scope that names no interface prints as a number, and one on a global address too.
  EXPECT_EQ(format_endpoint(Endpoint{*IpAddress::parse("fe80::1"), 2, 999999}),
            "[fe80::1%999999]:2");
  EXPECT_EQ(format_prefix(*IpPrefix::parse("::ffff:192.0.2.1/128")), "::ffff:192.0.2.1/128");
  EXPECT_EQ(format_prefix(*IpPrefix::parse("0.0.0.0/0")), "0.0.0.0/0");
}

}  // namespace
}  // namespace wgd::uapi
