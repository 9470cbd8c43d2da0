// The compatibility, metrics and OpenAPI route groups over real HTTP (cpp-httplib on
// loopback), with an in-memory PeerService, so their contract is checked apart from the rest
// of the server: the seed-003 payloads, statuses and error bodies, auth on every path that
// needs it, and that a refused request changes nothing. The acceptance suite (tests/serve/)
// runs the same paths against a real `wgd serve`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "crypto/key_codec.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "serve/api/api_context.h"
#include "serve/api/openapi_document.h"
#include "serve/store/address_allocator.h"
#include "serve/store/store_error.h"

namespace wgd::serve::api {
namespace {

using json = nlohmann::json;
constexpr const char* kToken = "test-token-123";

// Peers in memory, with the store's error kinds and the store's allocator.
class MemoryPeers : public PeerService {
 public:
  explicit MemoryPeers(std::string subnet) {
    pool_.v4 = TunnelSubnet::from_interface_address(*IpPrefix::parse(subnet));
    server_key_ = crypto::x25519_generate();
  }

  std::mutex mu;
  std::map<std::int64_t, PeerRecord> peers;
  int creates = 0;

  Result<PeerView> create(NewPeer spec) override {
    std::lock_guard lock(mu);
    ++creates;
    for (const auto& [id, p] : peers) {
      if (p.name == spec.name) return store_failf(StoreErrorKind::kConflict, "name: '{}' is already taken", p.name);
      if (spec.keys.public_key && p.public_key == *spec.keys.public_key)
        return store_failf(StoreErrorKind::kConflict, "public_key: already used by peer {}", p.name);
    }
    std::vector<IpAddress> used;
    for (const auto& [id, p] : peers)
      if (p.ipv4) used.push_back(*p.ipv4);
    std::sort(used.begin(), used.end());
    auto addr = allocate_address(*pool_.v4, used);
    if (!addr) return std::unexpected(addr.error());
    PeerRecord r;
    r.id = next_id_++;
    r.name = spec.name;
    r.public_key = *spec.keys.public_key;
    r.preshared_key = std::move(spec.preshared_key);
    r.ipv4 = *addr;
    if (spec.ipv6.mode != AddressRequest::Mode::kNone) r.ipv6 = IpAddress::parse("fd00::99");
    r.persistent_keepalive = spec.persistent_keepalive;
    r.managed_by = spec.managed_by;
    r.description = spec.description;
    r.enabled = spec.enabled;
    PeerView v{r.clone(), {}};
    peers.emplace(r.id, std::move(r));
    return v;
  }
  Result<PeerListView> list(const PeerFilter&) override {
    std::lock_guard lock(mu);
    PeerListView out;
    for (const auto& [id, p] : peers) out.peers.push_back(PeerView{p.clone(), {}});
    out.total = static_cast<std::int64_t>(out.peers.size());
    return out;
  }
  Result<PeerView> get(const PeerRef& ref) override {
    std::lock_guard lock(mu);
    auto* p = find(ref);
    if (!p) return store_fail(StoreErrorKind::kNotFound, "peer not found");
    return PeerView{p->clone(), {}};
  }
  Result<PeerView> update(const PeerRef&, const PeerUpdate&) override { return failf("unused"); }
  Result<void> remove(const PeerRef& ref) override {
    std::lock_guard lock(mu);
    auto* p = find(ref);
    if (!p) return store_fail(StoreErrorKind::kNotFound, "peer not found");
    peers.erase(p->id);
    return {};
  }
  Result<PeerView> set_enabled(const PeerRef& ref, bool enabled) override {
    std::lock_guard lock(mu);
    auto* p = find(ref);
    if (!p) return store_fail(StoreErrorKind::kNotFound, "peer not found");
    p->enabled = enabled;
    return PeerView{p->clone(), {}};
  }
  Result<std::string> client_config(const PeerRef&) override { return failf("unused"); }
  ServerInfo server_info() override {
    ServerInfo s;
    s.public_key = crypto::x25519_public(server_key_);
    s.interface = "wg0";
    s.listen_port = 51820;
    s.endpoint = "192.168.1.67:51820";
    s.ipv4_address = pool_.v4 ? std::optional(pool_.v4->subnet) : std::nullopt;
    s.client_allowed_ips = {*IpPrefix::parse("0.0.0.0/0"), *IpPrefix::parse("::/0")};
    s.version = "test";
    return s;
  }
  Result<ServerStatus> status() override {
    ServerStatus s;
    s.server = server_info();
    std::lock_guard lock(mu);
    s.peers_total = static_cast<std::int64_t>(peers.size());
    return s;
  }
  // What the interface carries: the enabled peers, as the reconciler would have put them.
  Result<wg::DeviceStatus> interface_status() override {
    std::lock_guard lock(mu);
    wg::DeviceStatus d;
    d.private_key = server_key_.clone();
    d.public_key = crypto::x25519_public(server_key_);
    d.listen_port = 51820;
    for (const auto& [id, p] : peers) {
      if (!p.enabled) continue;
      wg::PeerStatus ps;
      ps.public_key = p.public_key;
      if (p.preshared_key) ps.preshared_key = p.preshared_key->clone();
      ps.allowed_ips = p.server_allowed_ips();
      ps.persistent_keepalive = p.persistent_keepalive.value_or(0);
      d.peers.push_back(std::move(ps));
    }
    return d;
  }

  std::string server_private_base64() const { return crypto::key_to_base64(server_key_.span()); }
  std::string server_public_base64() const {
    return crypto::key_to_base64(crypto::x25519_public(server_key_));
  }

 private:
  PeerRecord* find(const PeerRef& ref) {
    for (auto& [id, p] : peers) {
      if (const auto* key = std::get_if<crypto::PublicKey>(&ref); key && p.public_key == *key) return &p;
      if (const auto* name = std::get_if<std::string>(&ref); name && p.name == *name) return &p;
      if (const auto* n = std::get_if<std::int64_t>(&ref); n && p.id == *n) return &p;
    }
    return nullptr;
  }

  AddressPool pool_;
  crypto::PrivateKey server_key_;
  std::int64_t next_id_ = 1;
};

class RouteGroups : public ::testing::Test {
 protected:
  void SetUp() override { start("192.168.2.1/24"); }
  void TearDown() override { stop(); }

  void start(const std::string& subnet) {
    peers_ = std::make_unique<MemoryPeers>(subnet);
    http_ = std::make_unique<httplib::Server>();
    ctx_ = std::make_unique<ApiContext>(ApiContext{
        *http_, *peers_, settings_, counters_,
        [this](const httplib::Request& req, httplib::Response& res, std::string_view group) {
          groups_seen_.push_back(std::string(group));
          if (req.get_header_value("Authorization") == std::string("Bearer ") + kToken) return true;
          ++counters_.auth_failures;
          res.status = 401;
          res.set_header("WWW-Authenticate", "Bearer");
          res.set_content(R"({"error":{"code":"unauthorized","message":"missing or wrong token"}})",
                          "application/json");
          return false;
        },
        [](httplib::Response& res, int status, std::string_view code, std::string_view message,
           std::string_view) {
          res.status = status;
          res.set_content(json{{"error", {{"code", code}, {"message", message}}}}.dump(),
                          "application/json");
        }});
    register_compat_routes(*ctx_);
    register_metrics_routes(*ctx_);
    register_openapi_routes(*ctx_);
    // The context goes away before the first request: the handlers must not need it.
    ctx_.reset();
    port_ = http_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { http_->listen_after_bind(); });
    // stop() before the loop runs would be lost and join() would wait forever.
    for (int i = 0; i < 500 && !http_->is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_TRUE(http_->is_running());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    auth_ = {{"Authorization", std::string("Bearer ") + kToken}};
  }
  void stop() {
    http_->stop();
    if (thread_.joinable()) thread_.join();
  }

  static json body(const httplib::Result& r) { return json::parse(r->body); }
  json fresh_keys() {
    auto r = client_->Get("/keys", auth_);
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    return body(r);
  }
  httplib::Result post_client(const json& payload) {
    return client_->Post("/client", auth_, payload.dump(), "application/json");
  }
  void expect_message(const httplib::Result& r, int status, std::string_view contains) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    auto j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("message") && j["message"].is_string()) << r->body;
    EXPECT_NE(j["message"].get<std::string>().find(contains), std::string::npos) << r->body;
  }

  ServerSettings settings_;
  ApiCounters counters_;
  std::unique_ptr<MemoryPeers> peers_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<ApiContext> ctx_;
  std::vector<std::string> groups_seen_;
  int port_ = 0;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
  httplib::Headers auth_;
};

TEST_F(RouteGroups, KeysAreFreshAndMatch) {
  json a = fresh_keys(), b = fresh_keys();
  for (const char* f : {"public", "private", "preshared"}) {
    ASSERT_TRUE(a[f].is_string()) << f;
    EXPECT_TRUE(crypto::key_from_base64(a[f].get<std::string>())) << f;
  }
  EXPECT_NE(a["private"], b["private"]);
  EXPECT_NE(a["preshared"], b["preshared"]);
  auto priv = crypto::secret_key_from_base64(a["private"].get<std::string>());
  ASSERT_TRUE(priv);
  EXPECT_EQ(crypto::key_to_base64(crypto::x25519_public(*priv)), a["public"]);
  EXPECT_TRUE(peers_->peers.empty()) << "GET /keys stores nothing";
}

TEST_F(RouteGroups, CreateClientAnswersLikeTheEnabler) {
  json keys = fresh_keys();
  auto r = post_client({{"publicKey", keys["public"]}, {"presharedKey", keys["preshared"]}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = body(r);
  EXPECT_EQ(j["serverPublicKey"], peers_->server_public_base64());
  EXPECT_EQ(j["serverIP"], "192.168.1.67");
  EXPECT_EQ(j["serverPort"], "51820");
  EXPECT_EQ(j["clientIP"], "192.168.2.2/32");
  EXPECT_EQ(j["allowedIPs"], "0.0.0.0/0,::/0");
  EXPECT_EQ(j["message"], "Peer added successfully");
  EXPECT_EQ(j.size(), 6u) << j.dump();

  ASSERT_EQ(peers_->peers.size(), 1u);
  const PeerRecord& p = peers_->peers.begin()->second;
  EXPECT_EQ(p.managed_by, "compat");
  EXPECT_EQ(p.persistent_keepalive, std::optional<std::uint16_t>(25));
  EXPECT_FALSE(p.ipv6) << "a seed-003 client is told one IPv4 /32 and gets nothing else";
  ASSERT_TRUE(p.preshared_key);
  EXPECT_EQ(crypto::key_to_base64(p.preshared_key->span()), keys["preshared"]);
  std::string prefix = keys["public"].get<std::string>().substr(0, 8);
  std::replace(prefix.begin(), prefix.end(), '+', '-');
  std::replace(prefix.begin(), prefix.end(), '/', '-');
  EXPECT_EQ(p.name, "client-" + prefix);

  // The next client gets the next address.
  json k2 = fresh_keys();
  auto r2 = post_client({{"publicKey", k2["public"]}, {"presharedKey", k2["preshared"]}});
  ASSERT_EQ(r2->status, 200);
  EXPECT_EQ(body(r2)["clientIP"], "192.168.2.3/32");
}

TEST_F(RouteGroups, CreateClientErrorsAre400WithMessageAndChangeNothing) {
  json keys = fresh_keys();
  const json good = {{"publicKey", keys["public"]}, {"presharedKey", keys["preshared"]}};
  ASSERT_EQ(post_client(good)->status, 200);
  const int creates_before = peers_->creates;

  expect_message(post_client(good), 400, "already exists");
  expect_message(post_client({{"publicKey", keys["public"]}}), 400, "presharedKey is required");
  expect_message(post_client({{"presharedKey", keys["preshared"]}}), 400, "publicKey is required");
  expect_message(post_client({{"publicKey", "not-a-key"}, {"presharedKey", keys["preshared"]}}), 400,
                 "publicKey is not a WireGuard key");
  expect_message(post_client({{"publicKey", 42}, {"presharedKey", keys["preshared"]}}), 400,
                 "must be a string");
  expect_message(client_->Post("/client", auth_, "{\"publicKey\": ", "application/json"), 400,
                 "not valid JSON");
  expect_message(client_->Post("/client", auth_, "[1,2]", "application/json"), 400, "JSON object");
  EXPECT_EQ(peers_->peers.size(), 1u);
  EXPECT_EQ(peers_->creates, creates_before) << "refused before reaching the service";
}

TEST_F(RouteGroups, FullSubnetIs400) {
  stop();
  start("192.168.2.1/29");  // .2 to .6: five clients
  for (int i = 0; i < 5; ++i) {
    json k = fresh_keys();
    ASSERT_EQ(post_client({{"publicKey", k["public"]}, {"presharedKey", k["preshared"]}})->status, 200);
  }
  json k = fresh_keys();
  expect_message(post_client({{"publicKey", k["public"]}, {"presharedKey", k["preshared"]}}), 400,
                 "no free address");
  EXPECT_EQ(peers_->peers.size(), 5u);
}

TEST_F(RouteGroups, NameClashTakesASuffix) {
  json keys = fresh_keys();
  std::string prefix = keys["public"].get<std::string>().substr(0, 8);
  std::replace(prefix.begin(), prefix.end(), '+', '-');
  std::replace(prefix.begin(), prefix.end(), '/', '-');
  // Another peer already has the name this key would get.
  NewPeer other;
  other.name = "client-" + prefix;
  crypto::PublicKey other_key;
  crypto::random_bytes(other_key);
  other.keys.public_key = other_key;
  ASSERT_TRUE(peers_->create(std::move(other)));
  auto r = post_client({{"publicKey", keys["public"]}, {"presharedKey", keys["preshared"]}});
  ASSERT_EQ(r->status, 200) << r->body;
  auto created = peers_->get(PeerRef{*crypto::key_from_base64(keys["public"].get<std::string>())});
  ASSERT_TRUE(created);
  EXPECT_EQ(created->record.name, "client-" + prefix + "-2");
}

TEST_F(RouteGroups, EnableDisableDelete) {
  json keys = fresh_keys();
  ASSERT_EQ(post_client({{"publicKey", keys["public"]}, {"presharedKey", keys["preshared"]}})->status, 200);
  const json key_body = {{"publicKey", keys["public"]}};
  auto d = client_->Put("/client/disable", auth_, key_body.dump(), "application/json");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 204);
  EXPECT_TRUE(d->body.empty());
  EXPECT_FALSE(peers_->peers.begin()->second.enabled);
  EXPECT_EQ(peers_->peers.size(), 1u) << "disabled, not removed";
  auto e = client_->Put("/client/enable", auth_, key_body.dump(), "application/json");
  EXPECT_EQ(e->status, 204);
  EXPECT_TRUE(peers_->peers.begin()->second.enabled);

  json unknown = fresh_keys();
  const json unknown_body = {{"publicKey", unknown["public"]}};
  expect_message(client_->Put("/client/enable", auth_, unknown_body.dump(), "application/json"), 400,
                 "no client");
  expect_message(client_->Put("/client/disable", auth_, "{}", "application/json"), 400,
                 "publicKey is required");
  expect_message(client_->Delete("/client", auth_, unknown_body.dump(), "application/json"), 400,
                 "no client");
  EXPECT_EQ(peers_->peers.size(), 1u);

  auto del = client_->Delete("/client", auth_, key_body.dump(), "application/json");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
  EXPECT_TRUE(body(del)["message"].is_string());
  EXPECT_TRUE(peers_->peers.empty());
}

TEST_F(RouteGroups, InfoIsWgShowAndInfoConfHasNoPrivateKey) {
  json keys = fresh_keys();
  ASSERT_EQ(post_client({{"publicKey", keys["public"]}, {"presharedKey", keys["preshared"]}})->status, 200);
  auto info = client_->Get("/info", auth_);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, 200);
  EXPECT_EQ(info->get_header_value("Content-Type").rfind("text/plain", 0), 0u);
  EXPECT_EQ(info->body.rfind("interface: wg0\n", 0), 0u) << info->body;
  EXPECT_NE(info->body.find("private key: (hidden)"), std::string::npos) << info->body;
  EXPECT_NE(info->body.find("peer: " + keys["public"].get<std::string>()), std::string::npos);
  EXPECT_EQ(info->body.find(peers_->server_private_base64()), std::string::npos);

  auto conf = client_->Get("/info/conf", auth_);
  ASSERT_TRUE(conf);
  EXPECT_EQ(conf->status, 200);
  EXPECT_EQ(conf->body.rfind("[Interface]\nListenPort = 51820\n", 0), 0u) << conf->body;
  EXPECT_EQ(conf->body.find("PrivateKey"), std::string::npos) << conf->body;
  EXPECT_EQ(conf->body.find(peers_->server_private_base64()), std::string::npos);
  EXPECT_NE(conf->body.find("PublicKey = " + keys["public"].get<std::string>()), std::string::npos);
  EXPECT_NE(conf->body.find("AllowedIPs = 192.168.2.2/32"), std::string::npos) << conf->body;
}

TEST_F(RouteGroups, EveryCompatAndMetricsPathNeedsTheToken) {
  json keys = fresh_keys();
  const std::string payload = json{{"publicKey", keys["public"]}, {"presharedKey", keys["preshared"]}}.dump();
  const httplib::Headers wrong = {{"Authorization", "Bearer wrong"}};
  for (const auto& headers : {httplib::Headers{}, wrong}) {
    std::vector<httplib::Result> results;
    results.push_back(client_->Get("/info", headers));
    results.push_back(client_->Get("/info/conf", headers));
    results.push_back(client_->Get("/keys", headers));
    results.push_back(client_->Post("/client", headers, payload, "application/json"));
    results.push_back(client_->Delete("/client", headers, payload, "application/json"));
    results.push_back(client_->Put("/client/enable", headers, payload, "application/json"));
    results.push_back(client_->Put("/client/disable", headers, payload, "application/json"));
    results.push_back(client_->Get("/metrics", headers));
    for (auto& r : results) {
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 401);
      EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer");
    }
  }
  EXPECT_TRUE(peers_->peers.empty());
  EXPECT_EQ(counters_.auth_failures.load(), 16u);
  // The groups the routes ask about, so the server can switch auth off per group.
  EXPECT_NE(std::find(groups_seen_.begin(), groups_seen_.end(), "compat"), groups_seen_.end());
  EXPECT_NE(std::find(groups_seen_.begin(), groups_seen_.end(), "metrics"), groups_seen_.end());
}

TEST_F(RouteGroups, MetricsRoute) {
  auto r = client_->Get("/metrics", auth_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("wgd_peers{state=\"total\"} 0\n"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("wgd_build_info{version=\"test\"} 1\n"), std::string::npos) << r->body;
}

TEST_F(RouteGroups, OpenApiIsServedWithoutTokenAndIsTheRepositoryFile) {
  auto r = client_->Get("/openapi.yaml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/yaml");
  // docs/openapi.yaml of the source tree this test was compiled from.
  const auto yaml = std::filesystem::path(__FILE__).parent_path() / "../../../docs/openapi.yaml";
  std::ifstream f(yaml, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  ASSERT_FALSE(s.str().empty());
  EXPECT_EQ(r->body, s.str());
  EXPECT_EQ(openapi_document(), s.str());
  EXPECT_EQ(r->body.rfind("openapi: 3.0.3\n", 0), 0u);
}

}  // namespace
}  // namespace wgd::serve::api
