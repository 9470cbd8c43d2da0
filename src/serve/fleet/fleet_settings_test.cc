// The WGD_FLEET_* settings through settings.cc: defaults, validation, rules across them, and
// that a token never shows in the summary or an error.
#include "serve/fleet/fleet_settings.h"

#include <gtest/gtest.h>

#include "serve/settings.h"
#include "serve/store/store_test_support.h"

namespace wgd::serve::fleet {
namespace {

SettingsInput env(std::string name, std::string value) { return {std::move(name), std::move(value), "env"}; }

class FleetSettingsTest : public ::testing::Test {
 protected:
  Result<ResolvedSettings> resolve(const std::vector<SettingsInput>& e) {
    return resolve_settings(e, {}, dir_.file("absent.conf"));
  }
  std::string error(const std::vector<SettingsInput>& e) {
    auto r = resolve(e);
    return r ? std::string("(resolved)") : r.error().message;
  }
  testing::TempDir dir_;
};

TEST_F(FleetSettingsTest, Defaults) {
  auto r = resolve({env("WGD_FLEET_REGISTRY", "https://api.foundries.io/ota/factories/acme/wireguard-ips/"),
                    env("WGD_FLEET_NAME", "acme"), env("WGD_FLEET_TOKEN", "s3cret-token")});
  ASSERT_TRUE(r) << r.error().message;
  const FleetSettings& f = r->settings.fleet;
  EXPECT_TRUE(f.enabled());
  EXPECT_TRUE(f.registry_is_url());
  EXPECT_EQ(f.interval.count(), 300);
  EXPECT_EQ(f.token_header, "Authorization");
  EXPECT_TRUE(f.publish_auth);
  EXPECT_EQ(f.managed_by(), "fleet:acme");
  bool token_line = false;
  for (const auto& line : describe_settings(*r)) {
    EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
    token_line |= line == "WGD_FLEET_TOKEN=(set) (env)";
  }
  EXPECT_TRUE(token_line);
}

TEST_F(FleetSettingsTest, FileRegistriesAndIntervals) {
  auto r = resolve({env("WGD_FLEET_REGISTRY", "file:///srv/devices.json"), env("WGD_FLEET_NAME", "lab"),
                    env("WGD_FLEET_INTERVAL", "5m")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->settings.fleet.registry_is_url());
  EXPECT_EQ(r->settings.fleet.registry_path(), "/srv/devices.json");
  EXPECT_EQ(r->settings.fleet.interval.count(), 300);
  r = resolve({env("WGD_FLEET_REGISTRY", "/srv/devices.json"), env("WGD_FLEET_NAME", "lab"), env("WGD_FLEET_INTERVAL", "1")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->settings.fleet.registry_path(), "/srv/devices.json");
  EXPECT_EQ(r->settings.fleet.interval.count(), 1);
}

TEST(FleetSettingsShown, CredentialsInTheUrlAreHidden) {
  FleetSettings s;
  s.registry = "https://ci:s3cret@registry.example/api/devices?x=a@b";
  EXPECT_EQ(s.registry_shown(), "https://***@registry.example/api/devices?x=a@b");
  s.registry = "https://registry.example/a@b";
  EXPECT_EQ(s.registry_shown(), s.registry);  // an @ in the path is not a user name
  s.registry = "/srv/devices.json";
  EXPECT_EQ(s.registry_shown(), s.registry);
}

TEST_F(FleetSettingsTest, Errors) {
  EXPECT_NE(error({env("WGD_FLEET_REGISTRY", "ftp://x")}).find("WGD_FLEET_REGISTRY (env): 'ftp://x' is neither"), std::string::npos);
  EXPECT_NE(error({env("WGD_FLEET_REGISTRY", "/x.json")}).find("needs WGD_FLEET_NAME"), std::string::npos);
  EXPECT_NE(error({env("WGD_FLEET_NAME", "acme")}).find("WGD_FLEET_NAME (env): given without WGD_FLEET_REGISTRY"), std::string::npos);
  EXPECT_NE(error({env("WGD_FLEET_REGISTRY", "/x.json"), env("WGD_FLEET_NAME", "a b")}).find("is not a factory name"), std::string::npos);
  EXPECT_NE(error({env("WGD_FLEET_REGISTRY", "/x.json"), env("WGD_FLEET_NAME", "a"), env("WGD_FLEET_TOKEN", "t")})
                .find("only for an http(s):// registry"),
            std::string::npos);
  EXPECT_NE(error({env("WGD_FLEET_REGISTRY", "http://h/x"), env("WGD_FLEET_NAME", "a"), env("WGD_FLEET_TOKEN", "t"),
                   env("WGD_FLEET_TOKEN_FILE", "/t")})
                .find("give one of them"),
            std::string::npos);
  EXPECT_NE(error({env("WGD_FLEET_REGISTRY", "/x.json"), env("WGD_FLEET_NAME", "a"), env("WGD_FLEET_INTERVAL", "0")})
                .find("WGD_FLEET_INTERVAL (env)"),
            std::string::npos);
  EXPECT_NE(error({env("WGD_FLEET_REGISTRY", "/x.json"), env("WGD_FLEET_NAME", "a"), env("WGD_FLEET_PUBLISH_AUTH", "maybe")})
                .find("WGD_FLEET_PUBLISH_AUTH (env)"),
            std::string::npos);
  EXPECT_NE(error({env("WGD_FLEET_TOKEN_HEADER", "Bad Header")}).find("WGD_FLEET_TOKEN_HEADER (env)"), std::string::npos);
  const std::string e = error({env("WGD_FLEET_REGISTRY", "http://h/x"), env("WGD_FLEET_NAME", "a"),
                               env("WGD_FLEET_TOKEN", std::string("line\nbreak-s3cret"))});
  EXPECT_NE(e.find("WGD_FLEET_TOKEN (env)"), std::string::npos);
  EXPECT_EQ(e.find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace wgd::serve::fleet
