// Client configs: what a client imports, parsed back with the same wg-quick parser `wgd up`
// uses, so the file is known to be valid and complete.
#include "serve/client_config.h"

#include <gtest/gtest.h>

#include "crypto/key_codec.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "uapi/wg_quick_config.h"

namespace wgd::serve {
namespace {

PeerRecord peer_with_keys() {
  PeerRecord r;
  r.id = 7;
  r.name = "alice";
  r.private_key = crypto::x25519_generate();
  r.public_key = crypto::x25519_public(*r.private_key);
  crypto::PresharedKey psk;
  crypto::random_bytes(psk.span());
  r.preshared_key = std::move(psk);
  r.ipv4 = IpAddress::parse("10.8.0.2");
  r.ipv6 = IpAddress::parse("fd00:8::2");
  r.persistent_keepalive = 25;
  return r;
}

ClientConfigDefaults defaults() {
  ClientConfigDefaults d;
  d.server_public_key = crypto::x25519_public(crypto::x25519_generate());
  d.endpoint = format_endpoint("vpn.example.com", 51820);
  d.allowed_ips = {*IpPrefix::parse("0.0.0.0/0"), *IpPrefix::parse("::/0")};
  d.dns = {"10.8.0.1", "home.arpa"};
  return d;
}

TEST(ClientConfig, EveryFieldReadsBack) {
  const PeerRecord r = peer_with_keys();
  const ClientConfigDefaults d = defaults();
  auto text = render_client_config(r, d);
  ASSERT_TRUE(text) << text.error().message;
  auto parsed = uapi::parse_wg_quick(*text, "alice.conf");
  ASSERT_TRUE(parsed) << parsed.error().message << "\n" << *text;
  const auto& i = parsed->interface;
  ASSERT_TRUE(i.private_key);
  EXPECT_EQ(crypto::x25519_public(*i.private_key), r.public_key);
  ASSERT_EQ(i.addresses.size(), 2u);
  EXPECT_EQ(i.addresses[0].to_string(), "10.8.0.2/32");
  EXPECT_EQ(i.addresses[1].to_string(), "fd00:8::2/128");
  ASSERT_EQ(i.dns_servers.size(), 1u);
  EXPECT_EQ(i.dns_servers[0].to_string(), "10.8.0.1");
  EXPECT_EQ(i.dns_search, std::vector<std::string>{"home.arpa"});
  EXPECT_FALSE(i.mtu);
  ASSERT_EQ(parsed->peers.size(), 1u);
  const auto& s = parsed->peers[0];
  EXPECT_EQ(s.public_key, d.server_public_key);
  ASSERT_TRUE(s.preshared_key);
  EXPECT_EQ(std::memcmp(s.preshared_key->data(), r.preshared_key->data(), 32), 0);
  EXPECT_EQ(s.allowed_ips, d.allowed_ips);
  EXPECT_EQ(s.endpoint, "vpn.example.com:51820");
  EXPECT_EQ(s.persistent_keepalive, 25);
  EXPECT_NE(text->find("# alice (wgd peer 7)"), std::string::npos) << *text;
}

TEST(ClientConfig, PeerSettingsOverrideDefaultsAndOptionalPartsDisappear) {
  PeerRecord r = peer_with_keys();
  r.ipv6.reset();
  r.preshared_key.reset();
  r.persistent_keepalive.reset();
  r.dns = {"192.0.2.53"};
  r.client_allowed_ips = {*IpPrefix::parse("10.8.0.0/24"), *IpPrefix::parse("192.168.1.0/24")};
  ClientConfigDefaults d = defaults();
  d.endpoint = format_endpoint("2001:db8::1", 443);
  d.mtu = 1380;
  auto text = render_client_config(r, d);
  ASSERT_TRUE(text);
  auto parsed = uapi::parse_wg_quick(*text, "x.conf");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->interface.addresses.size(), 1u);
  EXPECT_EQ(parsed->interface.dns_servers.size(), 1u);
  EXPECT_TRUE(parsed->interface.dns_search.empty());
  EXPECT_EQ(parsed->interface.mtu, 1380u);
  EXPECT_FALSE(parsed->peers[0].preshared_key);
  EXPECT_FALSE(parsed->peers[0].persistent_keepalive);
  EXPECT_EQ(parsed->peers[0].allowed_ips, r.client_allowed_ips);
  EXPECT_EQ(parsed->peers[0].endpoint, "[2001:db8::1]:443");
  // No endpoint known: no Endpoint line, still a valid file.
  d.endpoint.clear();
  text = render_client_config(r, d);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->find("Endpoint"), std::string::npos);
}

TEST(ClientConfig, NoPrivateKeyNoConfig) {
  PeerRecord r = peer_with_keys();
  r.private_key.reset();
  auto text = render_client_config(r, defaults());
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ENOKEY);
  EXPECT_NE(text.error().message.find("alice"), std::string::npos);
}

}  // namespace
}  // namespace wgd::serve
