// The files read exactly as linuxserver/wireguard's templates render them (its
// /defaults/peer.conf and server.conf, and the [Peer] blocks its init script appends), and
// wg-quick's parser reads them.
#include "serve/provision/container_templates.h"

#include <gtest/gtest.h>

#include "crypto/key_codec.h"
#include "serve/provision/container_import.h"
#include "uapi/wg_quick_config.h"

namespace wgd::serve::provision {
namespace {

crypto::PrivateKey key_of(std::uint8_t fill) {
  crypto::PrivateKey k;
  for (auto& b : k.span()) b = fill;
  return k;
}

TEST(ContainerTemplates, PeerConfIsTheContainersTemplate) {
  const crypto::PrivateKey priv = key_of(1);
  const crypto::PresharedKey psk = key_of(2);
  crypto::PublicKey server{};
  server.fill(3);
  PeerConfFields f;
  f.address = *IpAddress::parse("10.13.13.2");
  f.private_key = &priv;
  f.dns = "10.13.13.1";
  f.server_public_key = server;
  f.preshared_key = &psk;
  f.endpoint = "downunda.duckdns.org:51820";
  f.allowed_ips = "0.0.0.0/0, ::/0";
  const std::string expected =
      "[Interface]\n"
      "Address = 10.13.13.2\n"
      "PrivateKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
      "ListenPort = 51820\n"
      "DNS = 10.13.13.1\n"
      "\n"
      "[Peer]\n"
      "PublicKey = AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=\n"
      "PresharedKey = AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n"
      "Endpoint = downunda.duckdns.org:51820\n"
      "AllowedIPs = 0.0.0.0/0, ::/0\n";
  const std::string conf = render_peer_conf(f);
  EXPECT_EQ(conf, expected);
  auto parsed = uapi::parse_wg_quick(conf, "peer_laptop.conf");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->peers.at(0).endpoint, "downunda.duckdns.org:51820");
  // What the container reads back out of it to keep a peer's address.
  EXPECT_EQ(address_of_conf(conf), IpAddress::parse("10.13.13.2"));

  // Keys from before the container made preshared keys: no such line (its backwards mode).
  f.preshared_key = nullptr;
  EXPECT_EQ(render_peer_conf(f).find("PresharedKey"), std::string::npos);
}

TEST(ContainerTemplates, ServerConfAppendsOnePeerBlockEach) {
  const crypto::PrivateKey server = key_of(4);
  const crypto::PresharedKey psk = key_of(5);
  std::vector<ServerConfPeer> peers(2);
  peers[0].peer_id = "peer_laptop";
  peers[0].public_key.fill(6);
  peers[0].preshared_key = &psk;
  peers[0].address = *IpAddress::parse("10.13.13.2");
  peers[1].peer_id = "peer2";
  peers[1].public_key.fill(7);
  peers[1].address = *IpAddress::parse("10.13.13.3");
  peers[1].extra_allowed_ips = "192.168.1.0/24";
  peers[1].keepalive = true;
  const std::string expected =
      "[Interface]\n"
      "Address = 10.13.13.1\n"
      "ListenPort = 51820\n"
      "PrivateKey = BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=\n"
      "PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -A FORWARD -o %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth+ -j MASQUERADE\n"
      "PostDown = iptables -D FORWARD -i %i -j ACCEPT; iptables -D FORWARD -o %i -j ACCEPT; iptables -t nat -D POSTROUTING -o eth+ -j MASQUERADE\n"
      "\n"
      "[Peer]\n"
      "# peer_laptop\n"
      "PublicKey = BgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgY=\n"
      "PresharedKey = BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=\n"
      "AllowedIPs = 10.13.13.2/32\n"
      "\n"
      "[Peer]\n"
      "# peer2\n"
      "PublicKey = BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n"
      "AllowedIPs = 10.13.13.3/32,192.168.1.0/24\n"
      "PersistentKeepalive = 25\n"
      "\n";
  const std::string conf = render_server_conf(*IpAddress::parse("10.13.13.1"), 51820, server, peers);
  EXPECT_EQ(conf, expected);
  auto parsed = uapi::parse_wg_quick(conf, "wg0.conf");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->peers.size(), 2u);
  EXPECT_EQ(parsed->peers[1].allowed_ips.size(), 2u);
}

TEST(ContainerTemplates, KeyFilesAreWhatWgGenkeyWrites) {
  EXPECT_EQ(key_file_text(key_of(1).span()), "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n");
}

TEST(ContainerTemplates, AddressOfConfReadsTheWaysItIsWritten) {
  EXPECT_EQ(address_of_conf("[Interface]\n  address=10.1.2.3/32, fd00::3/128\n"), IpAddress::parse("10.1.2.3"));
  EXPECT_EQ(address_of_conf("[Interface]\nAddress = fd00::3/128,10.1.2.4\n"), IpAddress::parse("10.1.2.4"));
  EXPECT_FALSE(address_of_conf("[Interface]\nAddressX = 10.1.2.3\n"));
  EXPECT_FALSE(address_of_conf("[Interface]\nPrivateKey = x\n"));
}

}  // namespace
}  // namespace wgd::serve::provision
