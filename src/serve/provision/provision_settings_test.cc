// The container's variables as `wgd serve` settings: resolved through settings.cc like every
// other setting (environment, config file, flags), with the container's defaults and errors
// that name the variable and where it came from.
#include "serve/provision/provision_settings.h"

#include <gtest/gtest.h>

#include <fstream>

#include "serve/settings.h"
#include "serve/store/store_test_support.h"

namespace wgd::serve::provision {
namespace {

using Inputs = std::vector<SettingsInput>;

class ProvisionSettingsTest : public ::testing::Test {
 protected:
  Result<ResolvedSettings> resolve(const Inputs& env, const Inputs& flags = {}) {
    return resolve_settings(env, flags, dir_.file("absent.conf"));
  }
  std::string error(const Inputs& env) {
    auto r = resolve(env);
    return r ? std::string("(resolved)") : r.error().message;
  }
  testing::TempDir dir_;
};

SettingsInput env(std::string name, std::string value) { return {std::move(name), std::move(value), "env"}; }

TEST_F(ProvisionSettingsTest, OffWithoutPeersAndTheServerDefaultsStay) {
  auto r = resolve({});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->settings.provision.enabled());
  EXPECT_EQ(r->settings.ipv4_address->to_string(), "10.8.0.1/24");
  for (const auto& line : describe_settings(*r)) EXPECT_FALSE(line.starts_with("PEERS=")) << line;
}

TEST_F(ProvisionSettingsTest, Seed001Variables) {
  auto r = resolve({env("SERVERURL", "downunda.duckdns.org"), env("SERVERPORT", "51620"),
                    env("PEERS", "jill-macbook,jack-chromebook,alex-nokia-g10"), env("PEERDNS", "auto"),
                    env("ALLOWEDIPS", "0.0.0.0/0")});
  ASSERT_TRUE(r) << r.error().message;
  const ServerSettings& s = r->settings;
  ASSERT_EQ(s.provision.peers.size(), 3u);
  EXPECT_EQ(s.provision.peers[0].peer_id, "peer_jill-macbook");
  EXPECT_EQ(s.provision.peers[0].name, "jill-macbook");
  EXPECT_EQ(s.provision.peers[2].peer_id, "peer_alex-nokia-g10");
  EXPECT_EQ(s.provision.config_dir, "/config");
  EXPECT_EQ(s.provision.peer_dns, "auto");
  EXPECT_EQ(s.provision.allowed_ips_text, "0.0.0.0/0");
  EXPECT_TRUE(s.provision.log_confs);
  // The container's subnet, and what SERVERURL/SERVERPORT already mean to wgd serve.
  EXPECT_EQ(s.ipv4_address->to_string(), "10.13.13.1/24");
  EXPECT_EQ(s.endpoint_host, "downunda.duckdns.org");
  EXPECT_EQ(s.endpoint_port, 51620);
  bool shown = false;
  for (const auto& line : describe_settings(*r)) shown |= line == "PEERS=jill-macbook,jack-chromebook,alex-nokia-g10 (env)";
  EXPECT_TRUE(shown);
}

TEST_F(ProvisionSettingsTest, ANumberAndTheContainersNames) {
  auto r = resolve({env("PEERS", "3")});
  ASSERT_TRUE(r) << r.error().message;
  const auto& p = r->settings.provision.peers;
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].entry, "1");
  EXPECT_EQ(p[0].peer_id, "peer1");
  EXPECT_EQ(p[0].name, "peer1");
  EXPECT_EQ(p[2].peer_id, "peer3");
  // Digits in a list name a peer the same way; blanks and empty items are dropped.
  r = resolve({env("PEERS", " 5 , phone,,")});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->settings.provision.peers.size(), 2u);
  EXPECT_EQ(r->settings.provision.peers[0].peer_id, "peer5");
  EXPECT_EQ(r->settings.provision.peers[1].peer_id, "peer_phone");
}

TEST_F(ProvisionSettingsTest, InternalSubnetPlacesTheServerOnDotOne) {
  auto r = resolve({env("PEERS", "a"), env("INTERNAL_SUBNET", "10.14.2.0")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->settings.ipv4_address->to_string(), "10.14.2.1/24");
  r = resolve({env("PEERS", "a"), env("INTERNAL_SUBNET", "172.20.0.0/16")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->settings.ipv4_address->to_string(), "172.20.0.1/16");
  // WGD_IPV4_ADDRESS alone works; both must agree.
  r = resolve({env("PEERS", "a"), env("WGD_IPV4_ADDRESS", "10.9.0.1/24")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->settings.ipv4_address->to_string(), "10.9.0.1/24");
  EXPECT_NE(error({env("PEERS", "a"), env("WGD_IPV4_ADDRESS", "10.9.0.1/24"), env("INTERNAL_SUBNET", "10.13.13.0")})
                .find("INTERNAL_SUBNET (env) puts the server on 10.13.13.1/24, but WGD_IPV4_ADDRESS (env) says 10.9.0.1/24"),
            std::string::npos);
  EXPECT_NE(error({env("PEERS", "a"), env("INTERNAL_SUBNET", "10.13.13")}).find("INTERNAL_SUBNET (env): '10.13.13' is not an IPv4 subnet"),
            std::string::npos);
}

TEST_F(ProvisionSettingsTest, ErrorsNameTheVariable) {
  EXPECT_NE(error({env("PEERS", "jill macbook")}).find("PEERS (env): 'jill macbook' cannot name a peer"), std::string::npos);
  EXPECT_NE(error({env("PEERS", "phone,Phone")}).find("'Phone' is listed twice"), std::string::npos);
  EXPECT_NE(error({env("PEERS", "0")}).find("PEERS (env)"), std::string::npos);
  EXPECT_NE(error({env("PEERS", "a"), env("PEERDNS", "not a server")}).find("PEERDNS (env)"), std::string::npos);
  EXPECT_NE(error({env("PEERS", "a"), env("ALLOWEDIPS", "0.0.0.0/0, nope")}).find("ALLOWEDIPS (env): 'nope'"), std::string::npos);
  EXPECT_NE(error({env("PEERS", "a"), env("LOG_CONFS", "maybe")}).find("LOG_CONFS (env)"), std::string::npos);
  EXPECT_NE(error({env("PEERS", "a"), env("PERSISTENTKEEPALIVE_PEERS", "b")}).find("'b' is not in PEERS"), std::string::npos);
  EXPECT_NE(error({env("PEERS", "a"), env("SERVER_ALLOWEDIPS_PEER_b", "192.168.1.0/24")}).find("SERVER_ALLOWEDIPS_PEER_b (env): 'b' is not in PEERS"),
            std::string::npos);
  EXPECT_NE(error({env("PEERS", "a"), env("SERVER_ALLOWEDIPS_PEER_a", "10.13.13.0/25")}).find("overlaps the tunnel subnet"),
            std::string::npos);
  EXPECT_NE(error({env("PEERS", "a"), env("WGD_CONFIG_DIR", "relative/dir")}).find("WGD_CONFIG_DIR (env)"), std::string::npos);
  EXPECT_NE(error({env("PEERS", "a"), env("PUID", "abc")}).find("PUID (env)"), std::string::npos);
  EXPECT_NE(error({env("PEERS", "a"), env("WGD_IPV4_ADDRESS", "none")}).find("need an IPv4 tunnel subnet"), std::string::npos);
}

TEST_F(ProvisionSettingsTest, KeepaliveListsAndAll) {
  auto r = resolve({env("PEERS", "a,b,c"), env("PERSISTENTKEEPALIVE_PEERS", "a, c")});
  ASSERT_TRUE(r) << r.error().message;
  const auto& p = r->settings.provision;
  EXPECT_TRUE(p.keepalive_for(p.peers[0]));
  EXPECT_FALSE(p.keepalive_for(p.peers[1]));
  EXPECT_TRUE(p.keepalive_for(p.peers[2]));
  r = resolve({env("PEERS", "a,b"), env("PERSISTENTKEEPALIVE_PEERS", "all")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->settings.provision.keepalive_for(r->settings.provision.peers[1]));
}

TEST_F(ProvisionSettingsTest, WorkInTheConfigFileAndAsFlagsToo) {
  const std::string path = dir_.file("wgd.conf");
  std::ofstream(path) << "PEERS=laptop,phone\nPEERDNS=9.9.9.9\nSERVER_ALLOWEDIPS_PEER_phone=192.168.7.0/24\n";
  auto r = resolve({env("WGD_CONFIG", path), env("PEERDNS", "1.1.1.1")},
                   {{"LOG_CONFS", "false", "flag --set"}});
  ASSERT_TRUE(r) << r.error().message;
  const auto& p = r->settings.provision;
  EXPECT_EQ(p.peers.size(), 2u);
  EXPECT_EQ(p.peer_dns, "1.1.1.1");  // the environment beats the file
  EXPECT_FALSE(p.log_confs);
  EXPECT_EQ(p.server_allowed_ips.at("phone").at(0).to_string(), "192.168.7.0/24");
  EXPECT_EQ(p.origins.at("PEERS"), "file:" + path + ":1");
  // settings_from_environment picks them (and the prefixed names) out of environ.
  std::string a = "PEERS=x", b = "SERVER_ALLOWEDIPS_PEER_x=192.168.9.0/24", c = "UNRELATED=1";
  char* envp[] = {a.data(), b.data(), c.data(), nullptr};
  EXPECT_EQ(settings_from_environment(envp).size(), 2u);
}

}  // namespace
}  // namespace wgd::serve::provision
