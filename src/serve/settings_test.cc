// Settings resolution: defaults < file < environment < flags, the seed users' aliases, and
// errors that name the setting and where its value came from (never a key's value).
#include "serve/settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "serve/store/store_test_support.h"

namespace wgd::serve {
namespace {

using Inputs = std::vector<SettingsInput>;

SettingsInput env(std::string name, std::string value) { return {std::move(name), std::move(value), "env"}; }
SettingsInput flag(std::string name, std::string value) { return {std::move(name), std::move(value), "flag"}; }

class Settings : public ::testing::Test {
 protected:
  std::string write_file(const std::string& text) {
    const std::string path = dir_.file("wgd.conf");
    std::ofstream(path) << text;
    return path;
  }
  // No default config file, whatever the machine has in /etc/wgd.
  Result<ResolvedSettings> resolve(const Inputs& e, const Inputs& f = {}) {
    return resolve_settings(e, f, dir_.file("absent.conf"));
  }
  std::string origin(const ResolvedSettings& r, std::string_view name) {
    for (const auto& s : r.sources)
      if (s.name == name) return s.origin;
    return "(missing)";
  }

  testing::TempDir dir_;
};

TEST_F(Settings, DefaultsMakeABareServeWork) {
  auto r = resolve({});
  ASSERT_TRUE(r) << r.error().message;
  const ServerSettings& s = r->settings;
  EXPECT_EQ(s.interface, "wg0");
  EXPECT_EQ(s.listen_port, 51820);
  EXPECT_EQ(s.ipv4_address->to_string(), "10.8.0.1/24");
  EXPECT_TRUE(s.ipv6_enabled);
  EXPECT_FALSE(s.ipv6_address);  // chosen at first start
  EXPECT_EQ(s.api_listen, "127.0.0.1:8080");
  EXPECT_TRUE(s.api_auth);
  EXPECT_EQ(s.data_dir, "/var/lib/wgd");
  EXPECT_EQ(s.database_url(), "sqlite:///var/lib/wgd/wgd.db");
  EXPECT_EQ(s.device, "inprocess");
  EXPECT_EQ(s.config_file, "");
  for (const auto& src : r->sources) EXPECT_EQ(src.origin, "default") << src.name;
}

TEST_F(Settings, FileThenEnvironmentThenFlags) {
  const std::string path = write_file("# comment\n\nWGD_LISTEN_PORT=1000\nWGD_INTERFACE=wgfile\n");
  auto r = resolve({env("WGD_CONFIG", path), env("WGD_LISTEN_PORT", "2000")},
                   {flag("WGD_LISTEN_PORT", "3000")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->settings.listen_port, 3000);
  EXPECT_EQ(origin(*r, "WGD_LISTEN_PORT"), "flag");
  EXPECT_EQ(r->settings.interface, "wgfile");
  EXPECT_EQ(origin(*r, "WGD_INTERFACE"), "file:" + path + ":4");
  EXPECT_EQ(r->settings.config_file, path);

  r = resolve({env("WGD_CONFIG", path), env("WGD_LISTEN_PORT", "2000")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->settings.listen_port, 2000);
  EXPECT_EQ(origin(*r, "WGD_LISTEN_PORT"), "env");

  r = resolve({env("WGD_CONFIG", path)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->settings.listen_port, 1000);
  EXPECT_EQ(origin(*r, "WGD_LISTEN_PORT"), "file:" + path + ":3");
}

TEST_F(Settings, ConfigFlagBeatsConfigEnvironmentAndDefaultFileIsUsedWhenPresent) {
  const std::string a = write_file("WGD_LISTEN_PORT=1111\n");
  const std::string b = dir_.file("other.conf");
  std::ofstream(b) << "WGD_LISTEN_PORT=2222\n";
  auto r = resolve({env("WGD_CONFIG", a)}, {flag("WGD_CONFIG", b)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->settings.listen_port, 2222);

  auto d = resolve_settings({}, {}, a);  // a stands in for /etc/wgd/wgd.conf
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->settings.listen_port, 1111);
  EXPECT_EQ(d->settings.config_file, a);
}

TEST_F(Settings, MissingExplicitConfigFileIsAnErrorNamingIt) {
  auto r = resolve({env("WGD_CONFIG", dir_.file("nope.conf"))});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("WGD_CONFIG (env)"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("nope.conf"), std::string::npos) << r.error().message;
}

TEST_F(Settings, FileSyntaxQuotesCommentsExport) {
  const std::string path = write_file(
      "export WGD_INTERFACE=wgq\n"
      "WGD_CLIENT_DNS = \"1.1.1.1, 9.9.9.9\"  # resolvers\n"
      "WGD_HOSTS_DOMAIN='vpn.example'\n"
      "WGD_ENDPOINT=vpn.example.com # trailing comment\n");
  auto r = resolve({env("WGD_CONFIG", path)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->settings.interface, "wgq");
  EXPECT_EQ(r->settings.client_dns, (std::vector<std::string>{"1.1.1.1", "9.9.9.9"}));
  EXPECT_EQ(r->settings.hosts_domain, "vpn.example");
  EXPECT_EQ(r->settings.endpoint_host, "vpn.example.com");
}

TEST_F(Settings, FileErrorsNameFileAndLine) {
  auto path = write_file("WGD_LISTEN_PORT=1\nWGD_LISTENPORT=2\n");
  auto r = resolve({env("WGD_CONFIG", path)});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(path + ":2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("WGD_LISTENPORT"), std::string::npos) << r.error().message;

  path = write_file("WGD_LISTEN_PORT\n");
  r = resolve({env("WGD_CONFIG", path)});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(":1: expected NAME=VALUE"), std::string::npos) << r.error().message;

  path = write_file("WGD_CONFIG=/etc/other.conf\n");
  r = resolve({env("WGD_CONFIG", path)});
  ASSERT_FALSE(r);

  path = write_file("WGD_MTU=abc\n");
  r = resolve({env("WGD_CONFIG", path)});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("WGD_MTU (file:" + path + ":1)"), std::string::npos) << r.error().message;
}

TEST_F(Settings, BadValuesNameTheSettingAndItsOrigin) {
  struct Case {
    std::string name, value;
  } cases[] = {
      {"WGD_LISTEN_PORT", "abc"},      {"WGD_LISTEN_PORT", "0"},         {"WGD_LISTEN_PORT", "65536"},
      {"WG_PORT", "-1"},               {"WGD_IPV4_ADDRESS", "10.8.0.1"}, {"WGD_IPV4_ADDRESS", "fd00::1/64"},
      {"WGD_IPV4_ADDRESS", "10.8.0.255/24"}, {"WGD_IPV4_ADDRESS", "10.8.0.1/31"},
      {"WG_SUBNET", "300.1.1.1/24"},   {"WGD_IPV6_ADDRESS", "10.0.0.1/24"},
      {"WGD_API_LISTEN", "8080"},      {"WGD_API_LISTEN", "unix:relative.sock"},
      {"WGD_API_LISTEN", "example.com:80"}, {"API_PORT", "http"},
      {"WGD_API_AUTH", "maybe"},       {"WGD_ENDPOINT", "bad host!"},    {"WGD_ENDPOINT", "host:99999"},
      {"WGD_CLIENT_ALLOWED_IPS", "10.0.0.0/33"}, {"WGD_CLIENT_DNS", "not a name"},
      {"WGD_CLIENT_KEEPALIVE", "1e3"}, {"WGD_MTU", "100"},
      {"WGD_DEVICE", "kernel"},        {"WGD_RECONCILE_INTERVAL", "0"},  {"WGD_RECONCILE_INTERVAL", "2d"},
      {"WGD_INTERFACE", "a-name-longer-than-15"}, {"WGD_INTERFACE", "wg/0"},
      {"WGD_HOSTS_FILE", "relative/hosts"}, {"WGD_VERBOSE", "sometimes"},
  };
  for (const auto& c : cases) {
    auto r = resolve({env(c.name, c.value)});
    ASSERT_FALSE(r) << c.name << "=" << c.value << " was accepted";
    EXPECT_EQ(r.error().message.rfind(c.name + " (env): ", 0), 0u) << r.error().message;
    auto f = resolve({}, {flag(c.name, c.value)});
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().message.rfind(c.name + " (flag): ", 0), 0u) << f.error().message;
  }
}

TEST_F(Settings, PrivateKeyIsValidatedButNeverPrinted) {
  const std::string bad = "thisIsNotAKeyButCouldBeASecretPassword123456";
  auto r = resolve({env("WGD_PRIVATE_KEY", bad)});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("WGD_PRIVATE_KEY (env)"), std::string::npos);
  EXPECT_EQ(r.error().message.find(bad), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("thisIsNot"), std::string::npos) << r.error().message;

  const std::string good = crypto::key_to_base64(crypto::x25519_generate().span());
  r = resolve({env("WG_PRIVATE_KEY", good)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->settings.private_key_text, good);
  EXPECT_EQ(origin(*r, "WGD_PRIVATE_KEY"), "env as WG_PRIVATE_KEY");
  for (const auto& line : describe_settings(*r)) EXPECT_EQ(line.find(good), std::string::npos) << line;
  bool shown = false;
  for (const auto& line : describe_settings(*r)) shown |= line == "WGD_PRIVATE_KEY=(set) (env as WG_PRIVATE_KEY)";
  EXPECT_TRUE(shown);
}

TEST_F(Settings, SeedAliases) {
  auto r = resolve({env("WG_PORT", "51999"), env("API_PORT", "9000"), env("SERVER_IP", "198.51.100.7"),
                    env("WG_SUBNET", "192.168.2.1/24"), env("PEER_ALLOWED_IPS", "10.0.0.0/8, 192.168.0.0/16"),
                    env("SERVERPORT", "443")});
  ASSERT_TRUE(r) << r.error().message;
  const ServerSettings& s = r->settings;
  EXPECT_EQ(s.listen_port, 51999);
  EXPECT_EQ(s.api_listen, "0.0.0.0:9000");
  EXPECT_EQ(s.endpoint_host, "198.51.100.7");
  EXPECT_EQ(*s.endpoint_port, 443);
  EXPECT_EQ(s.ipv4_address->to_string(), "192.168.2.1/24");
  ASSERT_EQ(s.client_allowed_ips.size(), 2u);
  EXPECT_EQ(s.client_allowed_ips[1].to_string(), "192.168.0.0/16");
  EXPECT_EQ(origin(*r, "WGD_LISTEN_PORT"), "env as WG_PORT");
  EXPECT_EQ(origin(*r, "WGD_API_LISTEN"), "env as API_PORT");

  r = resolve({env("SERVERURL", "vpn.example.org")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->settings.endpoint_host, "vpn.example.org");
}

TEST_F(Settings, WgdNameBeatsAliasInTheSameLayerWhateverTheOrder) {
  for (bool alias_first : {true, false}) {
    Inputs in = {env("WG_PORT", "1111"), env("WGD_LISTEN_PORT", "2222")};
    if (!alias_first) std::swap(in[0], in[1]);
    auto r = resolve(in);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->settings.listen_port, 2222);
    EXPECT_EQ(origin(*r, "WGD_LISTEN_PORT"), "env");
  }
  // An alias in a higher layer still beats the WGD_ name in a lower one.
  const std::string path = write_file("WGD_LISTEN_PORT=1000\n");
  auto r = resolve({env("WGD_CONFIG", path), env("WG_PORT", "3000")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->settings.listen_port, 3000);
}

TEST_F(Settings, ValueForms) {
  auto r = resolve({env("WGD_IPV4_ADDRESS", "10.9.0.0/24"), env("WGD_IPV6_ADDRESS", "fd00:9::/64"),
                    env("WGD_ENDPOINT", "vpn.example.com:443"), env("WGD_API_AUTH", "none"),
                    env("WGD_RECONCILE_INTERVAL", "5m"), env("WGD_CLIENT_KEEPALIVE", "0"),
                    env("WGD_DEVICE", "uapi:/run/other/wg0.sock"), env("WGD_API_LISTEN", "[::1]:8443")});
  ASSERT_TRUE(r) << r.error().message;
  const ServerSettings& s = r->settings;
  EXPECT_EQ(s.ipv4_address->to_string(), "10.9.0.1/24");  // the network address stands for the subnet
  EXPECT_EQ(s.ipv6_address->to_string(), "fd00:9::1/64");
  EXPECT_EQ(s.endpoint_host, "vpn.example.com");
  EXPECT_EQ(*s.endpoint_port, 443);
  EXPECT_EQ(origin(*r, "WGD_ENDPOINT_PORT"), "env");
  EXPECT_FALSE(s.api_auth);
  EXPECT_EQ(s.reconcile_interval, std::chrono::seconds(300));
  EXPECT_FALSE(s.client_persistent_keepalive);
  EXPECT_EQ(s.device, "uapi:/run/other/wg0.sock");
  EXPECT_EQ(s.api_listen, "[::1]:8443");

  r = resolve({env("WGD_ENDPOINT", "[2001:db8::1]:51821")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->settings.endpoint_host, "2001:db8::1");
  EXPECT_EQ(*r->settings.endpoint_port, 51821);
  r = resolve({env("WGD_ENDPOINT", "2001:db8::2")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->settings.endpoint_host, "2001:db8::2");
  EXPECT_FALSE(r->settings.endpoint_port);

  r = resolve({env("WGD_IPV6_ADDRESS", "none")});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->settings.ipv6_enabled);
  r = resolve({env("WGD_API_LISTEN", "unix:/run/wgd/api.sock")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->settings.api_listen, "unix:/run/wgd/api.sock");
}

TEST_F(Settings, BothSubnetsOffIsAnError) {
  auto r = resolve({env("WGD_IPV4_ADDRESS", "none")}, {flag("WGD_IPV6_ADDRESS", "none")});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("WGD_IPV4_ADDRESS (env)"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("WGD_IPV6_ADDRESS (flag)"), std::string::npos) << r.error().message;
}

TEST_F(Settings, EmptyValueMeansNotSet) {
  const std::string path = write_file("WGD_LISTEN_PORT=1234\n");
  auto r = resolve({env("WGD_CONFIG", path), env("WGD_LISTEN_PORT", "")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->settings.listen_port, 1234);
}

TEST_F(Settings, UnknownFlagNameIsAnError) {
  auto r = resolve({}, {flag("WGD_NO_SUCH_THING", "1")});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("WGD_NO_SUCH_THING (flag): unknown setting"), std::string::npos);
}

TEST_F(Settings, RelativeDataDirBecomesAbsolute) {
  auto r = resolve({env("WGD_DATA_DIR", "state/wgd/")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->settings.data_dir, (std::filesystem::current_path() / "state/wgd").string());
  EXPECT_EQ(r->settings.database_url(), "sqlite://" + r->settings.data_dir + "/wgd.db");
}

TEST_F(Settings, EnvironmentPicksOnlySettings) {
  std::string a = "WGD_INTERFACE=wg7", b = "PATH=/usr/bin", c = "WG_PORT=1", d = "WGD_TEST_TIMER_SCALE=4";
  char* envp[] = {a.data(), b.data(), c.data(), d.data(), nullptr};
  auto in = settings_from_environment(envp);
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].name, "WGD_INTERFACE");
  EXPECT_EQ(in[0].value, "wg7");
  EXPECT_EQ(in[0].origin, "env");
  EXPECT_EQ(in[1].name, "WG_PORT");
}

TEST_F(Settings, SummaryListsEverySettingWithOrigin) {
  auto r = resolve({env("WGD_LISTEN_PORT", "5000")});
  ASSERT_TRUE(r);
  auto lines = describe_settings(*r);
  EXPECT_EQ(lines.size(), r->sources.size());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "WGD_LISTEN_PORT=5000 (env)"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "WGD_INTERFACE=wg0 (default)"), lines.end());
  const auto names = known_setting_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "WG_SUBNET"), names.end());
}

}  // namespace
}  // namespace wgd::serve
