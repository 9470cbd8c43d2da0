#include "mesh/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/x25519.h"
#include "mesh/mesh_test_support.h"

namespace wgd::mesh {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using test::kSeedInventory;
using test::must_parse;
using test::ScriptedRandom;

class Render : public ::testing::Test {
 protected:
  void SetUp() override {
    auto plan = plan_mesh(must_parse(kSeedInventory), {}, ScriptedRandom{}.random());
    ASSERT_TRUE(plan) << plan.error().message;
    plan_ = std::move(*plan);
    for (std::size_t i = 0; i < plan_.hosts.size(); ++i) {
      auto text = render_host_config(plan_, i);
      ASSERT_TRUE(text) << text.error().message;
      texts_.push_back(*text);
      auto parsed = uapi::parse_wg_quick(*text, plan_.hosts[i].inventory.name + "/wg0.conf");
      ASSERT_TRUE(parsed) << parsed.error().message << "\n" << *text;
      parsed_.push_back(std::move(*parsed));
    }
  }

  std::size_t index(std::string_view name) const {
    for (std::size_t i = 0; i < plan_.hosts.size(); ++i)
      if (plan_.hosts[i].inventory.name == name) return i;
    ADD_FAILURE() << "no host " << name;
    return 0;
  }
  // The peer for host `peer` in host `of`'s parsed file.
  const uapi::WgQuickPeer* peer(std::string_view of, std::string_view peer_name) const {
    for (const auto& p : parsed_[index(of)].peers)
      if (p.public_key == plan_.hosts[index(peer_name)].public_key) return &p;
    return nullptr;
  }

  MeshPlan plan_;
  std::vector<std::string> texts_;
  std::vector<uapi::WgQuickConfig> parsed_;
};

TEST_F(Render, EveryOtherHostIsAPeerAndNoHostListsItself) {
  for (std::size_t i = 0; i < plan_.hosts.size(); ++i) {
    const auto& cfg = parsed_[i];
    ASSERT_TRUE(cfg.interface.private_key);
    // The file's key is the host's own: its public key is the one the others list.
    EXPECT_EQ(crypto::x25519_public(*cfg.interface.private_key), plan_.hosts[i].public_key);
    ASSERT_EQ(cfg.peers.size(), plan_.hosts.size() - 1);
    for (const auto& p : cfg.peers) EXPECT_NE(p.public_key, plan_.hosts[i].public_key);
    for (std::size_t j = 0; j < plan_.hosts.size(); ++j) {
      if (j == i) continue;
      EXPECT_TRUE(peer(plan_.hosts[i].inventory.name, plan_.hosts[j].inventory.name))
          << plan_.hosts[i].inventory.name << " lacks " << plan_.hosts[j].inventory.name;
    }
  }
}

TEST_F(Render, InterfaceSection) {
  const auto& d = parsed_[index("dolores")].interface;
  EXPECT_EQ(d.listen_port, 55867);
  ASSERT_EQ(d.addresses.size(), 2u);
  EXPECT_EQ(d.addresses[0].to_string(), "10.195.171.142/24");
  EXPECT_EQ(d.addresses[1].to_string(), "fdc1:d89e:b128:6a04::7de4/64");
  EXPECT_EQ(d.comments.at(0), "WireGuard configuration for dolores.example.net");
  EXPECT_EQ(d.comments.at(1), "Hetzner, San Francisco");
  EXPECT_THAT(texts_[index("dolores")],
              HasSubstr("# WireGuard configuration for dolores.example.net\n"
                        "# Hetzner, San Francisco\n"));
}

TEST_F(Render, SeedStylePeerComments) {
  EXPECT_THAT(texts_[index("maeve")],
              HasSubstr("# dolores.example.net, Hetzner, San Francisco\n[Peer]\n"));
  EXPECT_THAT(texts_[index("dolores")],
              HasSubstr("# charlotte.example.net, Home, Frankfurt\n"
                        "# No public endpoint: we wait for charlotte to connect.\n[Peer]\n"));
}

TEST_F(Render, HostsWithoutEndpointAreWaitedForAndKeepTheirNatOpen) {
  for (const char* other : {"dolores", "maeve", "bernard"}) {
    const auto* p = peer(other, "charlotte");
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->endpoint) << other;             // nobody knows where charlotte is
    EXPECT_FALSE(p->persistent_keepalive) << other;  // and they need no keepalive
    const auto* back = peer("charlotte", other);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->endpoint);
    EXPECT_EQ(back->persistent_keepalive, 25) << "charlotte -> " << other;
  }
  EXPECT_EQ(peer("maeve", "dolores")->endpoint, "203.0.113.54:55867");
  EXPECT_FALSE(peer("maeve", "dolores")->persistent_keepalive);
  EXPECT_THAT(texts_[index("dolores")], Not(HasSubstr("charlotte.example.net:")));
}

TEST_F(Render, SubnetsOnlyInTheOtherHostsAllowedIpsForTheirHost) {
  const IpPrefix home = *IpPrefix::parse("172.27.88.0/24");
  const IpPrefix home6 = *IpPrefix::parse("fdc1:d89e:b128:13a6::/64");
  for (std::size_t i = 0; i < parsed_.size(); ++i) {
    const std::string& name = plan_.hosts[i].inventory.name;
    for (const auto& p : parsed_[i].peers) {
      const bool is_charlotte = p.public_key == plan_.hosts[index("charlotte")].public_key;
      const bool has_home =
          std::find(p.allowed_ips.begin(), p.allowed_ips.end(), home) != p.allowed_ips.end();
      const bool has_home6 =
          std::find(p.allowed_ips.begin(), p.allowed_ips.end(), home6) != p.allowed_ips.end();
      EXPECT_EQ(has_home, is_charlotte) << "in " << name;
      EXPECT_EQ(has_home6, is_charlotte) << "in " << name;
    }
    for (const auto& a : parsed_[i].interface.addresses) EXPECT_FALSE(a.overlaps(home));
  }
  const auto* c = peer("bernard", "charlotte");
  ASSERT_TRUE(c);
  std::vector<std::string> allowed;
  for (const auto& a : c->allowed_ips) allowed.push_back(a.to_string());
  const auto& ch = plan_.hosts[index("charlotte")];
  EXPECT_THAT(allowed, ::testing::ElementsAre(ch.ipv4.to_string() + "/32",
                                              ch.ipv6->to_string() + "/128", "172.27.88.0/24",
                                              "fdc1:d89e:b128:13a6::/64"));
}

TEST(RenderOptions, NoKeepaliveWhenOffAndNoIpv6WhenOff) {
  auto plan = plan_mesh(must_parse("[mesh]\nipv4 = 10.1.0.0/24\nipv6 = off\n"
                                   "persistent_keepalive = off\n"
                                   "[host a]\nendpoint = 192.0.2.1\n[host b]\n"),
                        {}, ScriptedRandom{}.random());
  ASSERT_TRUE(plan);
  auto cfg = uapi::parse_wg_quick(*render_host_config(*plan, 1), "b.conf");
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_EQ(cfg->peers.size(), 1u);
  EXPECT_FALSE(cfg->peers[0].persistent_keepalive);
  ASSERT_EQ(cfg->interface.addresses.size(), 1u);
  EXPECT_EQ(cfg->interface.addresses[0].to_string(), "10.1.0.2/24");
  ASSERT_EQ(cfg->peers[0].allowed_ips.size(), 1u);
  EXPECT_EQ(cfg->peers[0].allowed_ips[0].to_string(), "10.1.0.1/32");
}

}  // namespace
}  // namespace wgd::mesh
