// Fleet sync against a registry served over real HTTP on 127.0.0.1 (cpp-httplib in the test),
// the real store, PeerService and reconciler, and a hosts file in a temporary directory:
// following the registry, answers that must change nothing, tokens, the polling thread, and a
// server move.
#include "serve/fleet/fleet_sync.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "serve/provision/service_under_test.h"

namespace wgd::serve::fleet {
namespace {

using namespace std::chrono_literals;

// A stand-in for api.foundries.io's /ota/factories/<f>/wireguard-ips/.
class TestRegistry {
 public:
  TestRegistry() {
    server_.Get("/ota/factories/acme/wireguard-ips/", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++requests_;
      last_auth_ = req.get_header_value("Authorization");
      last_osf_ = req.get_header_value("OSF-TOKEN");
      if (!token_.empty() && last_auth_ != "Bearer " + token_ && last_osf_ != token_) {
        res.status = 401;
        res.set_content(R"({"detail":"bad token"})", "application/json");
        return;
      }
      res.status = status_;
      res.set_content(body_, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~TestRegistry() { stop(); }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/ota/factories/acme/wireguard-ips/"; }
  void answer(std::string body, int status = 200) {
    std::lock_guard lock(mu_);
    body_ = std::move(body);
    status_ = status;
  }
  void require_token(std::string t) {
    std::lock_guard lock(mu_);
    token_ = std::move(t);
  }
  int requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string last_auth() const {
    std::lock_guard lock(mu_);
    return last_auth_;
  }
  std::string last_osf() const {
    std::lock_guard lock(mu_);
    return last_osf_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::string body_ = "[]";
  int status_ = 200;
  std::string token_;
  std::string last_auth_, last_osf_;
  int requests_ = 0;
};

struct Device {
  std::string name;
  crypto::PrivateKey key = crypto::x25519_generate();
  std::string ip;  // "" = none
  bool enabled = true;
  std::string pubkey() const { return crypto::key_to_base64(crypto::x25519_public(key)); }
};

std::string registry_json(const std::vector<const Device*>& devices) {
  std::string out = "[";
  for (const Device* d : devices) {
    if (out.size() > 1) out += ",";
    out += R"({"name":")" + d->name + R"(","pubkey":")" + d->pubkey() + R"(","ip":)" +
           (d->ip.empty() ? std::string("null") : "\"" + d->ip + "\"") + R"(,"enabled":)" +
           (d->enabled ? "true" : "false") + "}";
  }
  return out + "]";
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class FleetSyncTest : public ::testing::Test {
 protected:
  FleetSyncTest() : sut_("10.42.42.1/24"), hosts_(sut_.dir().file("hosts")) {
    std::ofstream(hosts_) << "127.0.0.1 localhost\n";
    settings_.registry = registry_.url();
    settings_.name = "acme";
    settings_.interval = 1s;
  }

  std::unique_ptr<FleetSync> make(const std::string& server_address = "10.42.42.1/24") {
    FleetServer server{sut_.public_key(), *IpPrefix::parse(server_address), "203.0.113.5:5555"};
    return std::make_unique<FleetSync>(sut_.service(), settings_, server, hosts_,
                                       FetchOptions{std::chrono::seconds(2), std::chrono::seconds(2)});
  }

  // Every peer as "name ip enabled key[0..8] routes", for before/after comparisons.
  std::string peers() {
    auto all = sut_.service().list(PeerFilter{});
    EXPECT_TRUE(all);
    std::string out;
    for (const auto& v : all->peers) {
      const PeerRecord& r = v.record;
      out += r.name + " " + (r.ipv4 ? r.ipv4->to_string() : "-") + " " + (r.enabled ? "on" : "off") + " " +
             crypto::key_to_base64(r.public_key).substr(0, 8) + " " + r.managed_by;
      for (const auto& e : r.extra_allowed_ips) out += " +" + e.to_string();
      out += "\n";
    }
    return out;
  }
  PeerRecord peer(const std::string& name) {
    auto v = sut_.service().get(PeerRef(name));
    EXPECT_TRUE(v) << name;
    return v ? std::move(v->record) : PeerRecord{};
  }
  std::string hosts_block() {
    const std::string text = slurp(hosts_);
    const auto b = text.find("## Factory(acme) VPN Lookups\n");
    const auto e = text.find("## END Factory(acme) VPN Lookups\n");
    if (b == std::string::npos || e == std::string::npos) return "(no block)";
    const auto start = b + std::string("## Factory(acme) VPN Lookups\n").size();
    return text.substr(start, e - start);
  }

  testing::ServiceUnderTest sut_;
  std::string hosts_;
  TestRegistry registry_;
  FleetSettings settings_;
};

TEST_F(FleetSyncTest, FollowsTheRegistry) {
  NewPeer mine;
  mine.name = "laptop";  // managed by the API: never touched by the fleet
  ASSERT_TRUE(sut_.service().create(std::move(mine)));

  Device a{"gateway-1"}, b{"gateway-2"}, c{"sensor-3"};
  a.ip = "10.42.42.10";
  b.ip = "10.42.42.11";
  registry_.answer(registry_json({&a, &b, &c}));
  auto sync = make();
  auto r = sync->sync_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->created, 3u);
  EXPECT_TRUE(r->errors.empty());
  const PeerRecord pa = peer("gateway-1");
  EXPECT_EQ(pa.managed_by, "fleet:acme");
  EXPECT_EQ(pa.ipv4->to_string(), "10.42.42.10");
  EXPECT_FALSE(pa.private_key);  // the device holds it
  EXPECT_FALSE(pa.ipv6);
  EXPECT_EQ(crypto::key_to_base64(pa.public_key), a.pubkey());
  EXPECT_EQ(peer("sensor-3").ipv4->to_string(), "10.42.42.3");  // no ip listed: the lowest free one
  EXPECT_TRUE(sut_.device().peer(pa.public_key));
  EXPECT_EQ(hosts_block(), "10.42.42.10 gateway-1\n10.42.42.11 gateway-2\n10.42.42.3 sensor-3\n");
  EXPECT_TRUE(slurp(hosts_).starts_with("127.0.0.1 localhost\n"));

  // Re-keyed, moved, disabled, removed.
  a.key = crypto::x25519_generate();
  b.ip = "10.42.42.20";
  c.enabled = false;
  Device d{"gateway-4"};
  registry_.answer(registry_json({&a, &b, &c}));
  r = sync->sync_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->updated, 3u);
  EXPECT_EQ(crypto::key_to_base64(peer("gateway-1").public_key), a.pubkey());
  EXPECT_FALSE(sut_.device().peer(pa.public_key));  // the old key is off the interface
  EXPECT_EQ(peer("gateway-2").ipv4->to_string(), "10.42.42.20");
  EXPECT_FALSE(peer("sensor-3").enabled);
  EXPECT_EQ(hosts_block(), "10.42.42.10 gateway-1\n10.42.42.20 gateway-2\n");

  registry_.answer(registry_json({&b}));
  r = sync->sync_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->removed, 2u);
  EXPECT_FALSE(sut_.service().get(PeerRef(std::string("gateway-1"))));
  EXPECT_EQ(peer("laptop").managed_by, "api");  // untouched throughout
  EXPECT_EQ(hosts_block(), "10.42.42.20 gateway-2\n");
  // Nothing new: nothing written, nothing changed.
  r = sync->sync_once();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->unchanged, 1u);
  EXPECT_EQ(r->created + r->updated + r->removed, 0u);
  const FleetStatus st = sync->status();
  EXPECT_EQ(st.polls, 4u);
  EXPECT_EQ(st.failures, 0u);
  EXPECT_TRUE(st.last_success);
}

TEST_F(FleetSyncTest, BrokenAnswersChangeNothing) {
  Device a{"gateway-1"}, b{"gateway-2"};
  a.ip = "10.42.42.10";
  registry_.answer(registry_json({&a, &b}));
  auto sync = make();
  ASSERT_TRUE(sync->sync_once());
  const std::string before = peers();
  const std::string hosts_before = slurp(hosts_);

  const auto rejected = [&](const std::string& why) {
    auto r = sync->sync_once();
    EXPECT_FALSE(r) << why;
    if (!r) {
      EXPECT_TRUE(is_registry_failure(r.error())) << why << ": the API would not answer 502";
    }
    EXPECT_EQ(peers(), before) << why;
    EXPECT_EQ(slurp(hosts_), hosts_before) << why;
    const FleetStatus st = sync->status();
    EXPECT_TRUE(st.last_error) << why;
    return st.last_error.value_or("");
  };
  registry_.answer("[]", 500);
  EXPECT_NE(rejected("HTTP 500").find("HTTP 500"), std::string::npos);
  registry_.answer("<html>oops</html>");
  EXPECT_NE(rejected("garbage").find("not JSON"), std::string::npos);
  registry_.answer(R"([{"name":"gateway-1","pubkey":"not-a-key","ip":"10.42.42.10"}])");
  EXPECT_NE(rejected("a bad key").find("devices[0].pubkey (gateway-1)"), std::string::npos);
  registry_.answer(R"([{"name":"gateway-1","pubkey":")" + a.pubkey() + R"(","ip":"10.42.42.255"}])");
  EXPECT_NE(rejected("a broadcast address").find("10.42.42.255"), std::string::npos);
  registry_.answer(R"({"truncated":)");
  rejected("truncated");
  registry_.require_token("right");
  settings_.token = "wrong-token-value";
  auto with_token = make();
  auto r = with_token->sync_once();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("HTTP 401"), std::string::npos);
  EXPECT_EQ(r.error().message.find("wrong-token-value"), std::string::npos);
  EXPECT_EQ(peers(), before);
  registry_.stop();
  EXPECT_NE(rejected("registry down").find("cannot connect"), std::string::npos);
  const FleetStatus st = sync->status();
  EXPECT_EQ(st.consecutive_failures, 6u);
  EXPECT_EQ(st.failures, 6u);
  EXPECT_TRUE(st.last_success);
}

TEST(FleetSyncFailure, OnlyTheStoresOwnErrorsAreNotTheRegistrysFault) {
  EXPECT_TRUE(is_registry_failure(Error{"https://registry.example/devices: HTTP 500", 0}));
  EXPECT_FALSE(is_registry_failure(Error{"reading this factory's peers from the store: disk I/O error", EIO}));
}

TEST_F(FleetSyncTest, TokensGoInTheChosenHeaderAndFilesAreReadAtEachPoll) {
  Device a{"gateway-1"};
  registry_.answer(registry_json({&a}));
  registry_.require_token("tok-1");
  settings_.token = "tok-1";
  ASSERT_TRUE(make()->sync_once());
  EXPECT_EQ(registry_.last_auth(), "Bearer tok-1");

  settings_.token_header = "OSF-TOKEN";  // a Foundries API token
  ASSERT_TRUE(make()->sync_once());
  EXPECT_EQ(registry_.last_osf(), "tok-1");
  EXPECT_EQ(registry_.last_auth(), "");

  settings_.token.reset();
  settings_.token_header = "Authorization";
  settings_.token_file = sut_.dir().file("token");
  std::ofstream(settings_.token_file) << "tok-1\n";
  auto sync = make();
  ASSERT_TRUE(sync->sync_once());
  registry_.require_token("tok-2");
  EXPECT_FALSE(sync->sync_once());
  std::ofstream(settings_.token_file) << "tok-2\n";  // rotated: no restart needed
  ASSERT_TRUE(sync->sync_once());
  EXPECT_EQ(registry_.last_auth(), "Bearer tok-2");
}

TEST_F(FleetSyncTest, AFileRegistry) {
  Device a{"gateway-1"};
  a.ip = "10.42.42.33";
  settings_.registry = sut_.dir().file("devices.json");
  auto sync = make();
  auto r = sync->sync_once();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("devices.json"), std::string::npos);
  std::ofstream(settings_.registry) << registry_json({&a});
  r = sync->sync_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(peer("gateway-1").ipv4->to_string(), "10.42.42.33");
}

// An HTTPS registry with a private CA (WGD_FLEET_CA_FILE), as a self-hosted registry would
// be; without the CA the certificate is refused and nothing changes.
TEST_F(FleetSyncTest, AnHttpsRegistryWithItsOwnCa) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs the openssl tool";
  const std::string key = sut_.dir().file("registry.key"), cert = sut_.dir().file("registry.crt");
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                          "-addext subjectAltName=IP:127.0.0.1 -keyout '" + key + "' -out '" + cert +
                          "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  httplib::SSLServer https(cert.c_str(), key.c_str());
  ASSERT_TRUE(https.is_valid());
  Device a{"gateway-1"};
  a.ip = "10.42.42.44";
  const std::string body = registry_json({&a});
  https.Get("/devices", [&](const httplib::Request& req, httplib::Response& res) {
    res.status = req.get_header_value("Authorization") == "Bearer tls-token" ? 200 : 401;
    res.set_content(body, "application/json");
  });
  const int port = https.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { https.listen_after_bind(); });
  struct Stop {  // also when an assertion ends the test early
    httplib::SSLServer& server;
    std::thread& thread;
    ~Stop() {
      server.stop();
      thread.join();
    }
  } stop{https, serving};
  while (!https.is_running()) std::this_thread::sleep_for(1ms);

  settings_.registry = "https://127.0.0.1:" + std::to_string(port) + "/devices";
  settings_.token = "tls-token";
  auto untrusted = make()->sync_once();
  ASSERT_FALSE(untrusted);
  EXPECT_NE(untrusted.error().message.find("not trusted"), std::string::npos) << untrusted.error().message;
  EXPECT_FALSE(sut_.service().get(PeerRef(std::string("gateway-1"))));
  settings_.ca_file = cert;
  auto trusted = make()->sync_once();
  EXPECT_TRUE(trusted) << trusted.error().message;
  EXPECT_EQ(peer("gateway-1").ipv4->to_string(), "10.42.42.44");
}

TEST_F(FleetSyncTest, TheThreadFollowsWithinOneInterval) {
  Device a{"gateway-1"}, b{"gateway-2"};
  registry_.answer(registry_json({&a}));
  auto sync = make();
  sync->start();
  const auto until = [&](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 2500ms;  // one 1 s interval, with slack
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return done();
  };
  EXPECT_TRUE(until([&] { return sut_.service().get(PeerRef(std::string("gateway-1"))).has_value(); }));
  registry_.answer(registry_json({&b}));
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_TRUE(until([&] {
    return sut_.service().get(PeerRef(std::string("gateway-2"))).has_value() &&
           !sut_.service().get(PeerRef(std::string("gateway-1"))).has_value();
  }));
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2500ms);
  // poke() polls at once.
  registry_.answer(registry_json({&a, &b}));
  sync->poke();
  EXPECT_TRUE(until([&] { return sut_.service().get(PeerRef(std::string("gateway-1"))).has_value(); }));
  sync->stop();
}

TEST_F(FleetSyncTest, AServerMoveRenumbersDevicesAndKeepsTheOldAddressesWorking) {
  Device a{"gateway-1"}, b{"gateway-2"};
  a.ip = "10.42.42.2";
  b.ip = "10.42.42.3";
  registry_.answer(registry_json({&a, &b}));
  ASSERT_TRUE(make()->sync_once());

  // `--vpnaddr 10.42.44.1`: the server restarts in the new subnet; the registry still lists
  // the devices' old addresses (nobody edited wireguard-client by hand).
  sut_.restart("10.42.44.1/24");
  auto moved = make("10.42.44.1/24");
  auto r = moved->sync_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->updated, 2u);
  const PeerRecord pa = peer("gateway-1");
  EXPECT_EQ(pa.ipv4->to_string(), "10.42.44.2");
  EXPECT_EQ(pa.public_key, crypto::x25519_public(a.key));
  ASSERT_EQ(pa.extra_allowed_ips.size(), 1u);
  EXPECT_EQ(pa.extra_allowed_ips[0].to_string(), "10.42.42.2/32");
  // The interface accepts both the old and the new address from the device.
  auto on = sut_.device().peer(pa.public_key);
  ASSERT_TRUE(on);
  EXPECT_EQ(on->allowed_ips.size(), 2u);
  // Devices are reachable by name at the address their config still has.
  EXPECT_EQ(hosts_block(), "10.42.42.2 gateway-1\n10.42.42.3 gateway-2\n");

  // The device picked up its new wireguard-client; the registry reports it.
  a.ip = "10.42.44.2";
  registry_.answer(registry_json({&a, &b}));
  ASSERT_TRUE(moved->sync_once());
  EXPECT_TRUE(peer("gateway-1").extra_allowed_ips.empty());
  EXPECT_EQ(hosts_block(), "10.42.44.2 gateway-1\n10.42.42.3 gateway-2\n");
}

TEST_F(FleetSyncTest, ADeviceWhoseNameIsTakenFailsAloneAndIsReported) {
  NewPeer mine;
  mine.name = "gateway-2";
  ASSERT_TRUE(sut_.service().create(std::move(mine)));
  Device a{"gateway-1"}, b{"gateway-2"};
  registry_.answer(registry_json({&a, &b}));
  auto sync = make();
  auto r = sync->sync_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->created, 1u);
  ASSERT_EQ(r->errors.size(), 1u);
  EXPECT_NE(r->errors[0].find("gateway-2"), std::string::npos);
  EXPECT_EQ(peer("gateway-2").managed_by, "api");
  EXPECT_EQ(sync->status().last_result->errors.size(), 1u);
}

}  // namespace
}  // namespace wgd::serve::fleet
