// The native REST API over real HTTP (loopback TCP and a unix socket), against the real stack
// below it: PeerServiceImpl, the reconciler, a SQLite file in a temporary directory; only the
// interface is in memory. Every endpoint, every refusal class with its status, code and field,
// and that a refused request changes nothing.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <set>
#include <thread>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "serve/api/api_server.h"
#include "serve/api/json_codec.h"
#include "serve/fake_device.h"
#include "serve/peer_service_impl.h"
#include "serve/serve_test_support.h"

namespace wgd::serve::api {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

class NativeRoutes : public ::testing::Test {
 protected:
  void SetUp() override { start("127.0.0.1:0", serve::testing::test_pool()); }
  void TearDown() override { stop(); }

  void start(const std::string& listen, AddressPool pool) {
    pool_ = pool;
    store_ = serve::testing::open_test_store(dir_);
    server_private_ = crypto::x25519_generate();
    ReconcilerOptions ro;
    ro.server_public_key = crypto::x25519_public(server_private_);
    reconciler_ = std::make_unique<Reconciler>(*store_, device_, std::move(ro));
    ASSERT_TRUE(reconciler_->run_once());
    reconciler_->start();
    PeerServiceConfig c;
    c.info.public_key = crypto::x25519_public(server_private_);
    c.info.interface = "wgtest";
    c.info.listen_port = 51820;
    c.info.endpoint = "vpn.example.com:51820";
    c.info.ipv4_address = IpPrefix::parse("10.8.0.1/24");
    c.info.client_allowed_ips = {*IpPrefix::parse("0.0.0.0/0")};
    c.info.client_persistent_keepalive = 25;
    c.info.mtu = 1420;
    c.info.version = "test";
    c.pool = pool_;
    c.client.server_public_key = c.info.public_key;
    c.client.endpoint = c.info.endpoint;
    c.client.allowed_ips = c.info.client_allowed_ips;
    service_ = std::make_unique<PeerServiceImpl>(*store_, device_, *reconciler_, std::move(c));
    auto token = ApiToken::open(dir_.file("api-token"));
    ASSERT_TRUE(token);
    token_ = std::move(*token);
    settings_.api_listen = listen;
    auto address = parse_listen_address(listen);
    ASSERT_TRUE(address);
    auto api = ApiServer::create(*service_, settings_, *token_, {.listen = *address, .max_body_bytes = 64 * 1024});
    ASSERT_TRUE(api) << api.error().message;
    api_ = std::move(*api);
    api_->start();
    if (address->kind == ListenAddress::Kind::kTcp) {
      client_ = std::make_unique<httplib::Client>("127.0.0.1", api_->address().port);
      client_->set_default_headers({{"Authorization", "Bearer " + current_token()}});
    }
  }
  void stop() {
    client_.reset();
    if (api_) api_->stop();
    if (reconciler_) reconciler_->stop();
  }
  std::string current_token() {
    std::ifstream f(dir_.file("api-token"));
    std::string t;
    std::getline(f, t);
    return t;
  }

  httplib::Result post(const std::string& path, const json& body) {
    return client_->Post(path, body.dump(), "application/json");
  }
  httplib::Result patch(const std::string& path, const json& body) {
    return client_->Patch(path, body.dump(), "application/json");
  }
  json create(const json& body) {
    auto r = post("/api/v1/peers", body);
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 201) << r->body;
    return json::parse(r->body);
  }
  // Status, error code and field of a refused request; and that nothing changed.
  void expect_error(const httplib::Result& r, int status, std::string_view code, std::string_view field) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    json j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r->body;
    EXPECT_EQ(j["error"]["code"], code) << r->body;
    if (field.empty())
      EXPECT_FALSE(j["error"].contains("field")) << r->body;
    else
      EXPECT_EQ(j["error"]["field"], field) << r->body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  }
  std::int64_t revision() { return *store_->store_revision(); }

  serve::testing::TempDir dir_;
  AddressPool pool_;
  std::unique_ptr<SqliteStore> store_;
  serve::testing::FakeDevice device_;
  crypto::PrivateKey server_private_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<PeerServiceImpl> service_;
  std::unique_ptr<ApiToken> token_;
  ServerSettings settings_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(NativeRoutes, HealthzNeedsNoToken) {
  httplib::Client anonymous("127.0.0.1", api_->address().port);
  auto r = anonymous.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json({{"status", "ok"}}));
}

TEST_F(NativeRoutes, EveryApiPathNeedsTheToken) {
  const json peer = create({{"name", "alice"}});
  const std::string id = std::to_string(peer["id"].get<int>());
  httplib::Client anonymous("127.0.0.1", api_->address().port);
  httplib::Client wrong("127.0.0.1", api_->address().port);
  wrong.set_default_headers({{"Authorization", "Bearer " + ApiToken::generate()}});
  const std::int64_t before = revision();
  for (auto* c : {&anonymous, &wrong}) {
    std::vector<httplib::Result> results;
    results.push_back(c->Get("/api/v1/server"));
    results.push_back(c->Get("/api/v1/status"));
    results.push_back(c->Get("/api/v1/peers"));
    results.push_back(c->Post("/api/v1/peers", R"({"name":"mallory"})", "application/json"));
    results.push_back(c->Get("/api/v1/peers/" + id));
    results.push_back(c->Patch("/api/v1/peers/" + id, R"({"description":"x"})", "application/json"));
    results.push_back(c->Delete("/api/v1/peers/" + id));
    results.push_back(c->Post("/api/v1/peers/" + id + "/disable", "", "application/json"));
    results.push_back(c->Post("/api/v1/peers/" + id + "/enable", "", "application/json"));
    results.push_back(c->Get("/api/v1/peers/" + id + "/config"));
    results.push_back(c->Get("/api/v1/peers/" + id + "/qr.png"));
    results.push_back(c->Get("/api/v1/peers/" + id + "/qr.svg"));
    results.push_back(c->Post("/api/v1/keys", "", "application/json"));
    results.push_back(c->Post("/api/v1/token/rotate", "", "application/json"));
    for (const auto& r : results) {
      expect_error(r, 401, "unauthorized", "");
      EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"wgd\"");
      EXPECT_EQ(r->body.find(peer["public_key"].get<std::string>()), std::string::npos);
    }
  }
  EXPECT_EQ(revision(), before);
  EXPECT_GE(api_->counters().auth_failures.load(), 28u);
  // The scheme is case-insensitive (RFC 7235).
  httplib::Client lower("127.0.0.1", api_->address().port);
  lower.set_default_headers({{"Authorization", "bearer " + current_token()}});
  EXPECT_EQ(lower.Get("/api/v1/server")->status, 200);
}

TEST_F(NativeRoutes, PeerLifecycle) {
  json a = create({{"name", "alice"}, {"dns", {"10.8.0.1"}}, {"description", "laptop"}});
  EXPECT_EQ(a["name"], "alice");
  EXPECT_EQ(a["ipv4"], "10.8.0.2");
  EXPECT_EQ(a["ipv6"], "fd00:8::2");
  EXPECT_TRUE(a["has_private_key"].get<bool>());
  EXPECT_TRUE(a["has_preshared_key"].get<bool>());  // generated by default
  EXPECT_EQ(a["persistent_keepalive"], 25);          // the server's default
  EXPECT_TRUE(a["status"]["on_interface"].get<bool>());
  EXPECT_EQ(a["managed_by"], "api");
  const int id = a["id"];
  const std::string key = a["public_key"];
  ASSERT_TRUE(device_.peer(*crypto::key_from_base64(key)));

  // GET by id, by name, by URL-encoded public key (base64 has '/', '+' and '=').
  for (const std::string& ref : {std::to_string(id), std::string("alice"), url_encode(key)}) {
    auto r = client_->Get("/api/v1/peers/" + ref);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << ref << " " << r->body;
    EXPECT_EQ(json::parse(r->body)["id"], id);
  }

  auto r = patch("/api/v1/peers/alice", {{"ipv4", "10.8.0.40"}, {"allowed_ips", {"192.168.7.0/24"}},
                                        {"persistent_keepalive", nullptr}, {"revision", a["revision"]}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json u = json::parse(r->body);
  EXPECT_EQ(u["ipv4"], "10.8.0.40");
  EXPECT_EQ(u["allowed_ips"], json({"10.8.0.40/32", "fd00:8::2/128", "192.168.7.0/24"}));
  EXPECT_TRUE(u["persistent_keepalive"].is_null());
  EXPECT_GT(u["revision"].get<int>(), a["revision"].get<int>());
  EXPECT_EQ(device_.peer(*crypto::key_from_base64(key))->allowed_ips,
            (std::vector<IpPrefix>{*IpPrefix::parse("10.8.0.40/32"), *IpPrefix::parse("fd00:8::2/128"),
                                   *IpPrefix::parse("192.168.7.0/24")}));
  // The same revision again is stale now.
  expect_error(patch("/api/v1/peers/alice", {{"description", "x"}, {"revision", a["revision"]}}), 409,
               "conflict", "revision");

  r = client_->Post("/api/v1/peers/" + std::to_string(id) + "/disable", "", "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_FALSE(json::parse(r->body)["enabled"].get<bool>());
  EXPECT_FALSE(json::parse(r->body)["status"]["on_interface"].get<bool>());
  EXPECT_FALSE(device_.peer(*crypto::key_from_base64(key)));
  r = client_->Post("/api/v1/peers/" + std::to_string(id) + "/enable", "", "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_TRUE(device_.peer(*crypto::key_from_base64(key)));

  r = client_->Delete("/api/v1/peers/" + url_encode(key));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_TRUE(r->body.empty());
  EXPECT_FALSE(device_.peer(*crypto::key_from_base64(key)));
  expect_error(client_->Get("/api/v1/peers/" + std::to_string(id)), 404, "not_found", "");
  expect_error(client_->Delete("/api/v1/peers/alice"), 404, "not_found", "");
}

TEST_F(NativeRoutes, ListFiltersAndPages) {
  for (int i = 0; i < 5; ++i) create({{"name", fmt::format("dev{}", i)}, {"managed_by", i < 2 ? "fleet" : "api"}});
  create({{"name", "other"}, {"enabled", false}});
  auto page = [&](const std::string& q) {
    auto r = client_->Get("/api/v1/peers" + q);
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body);
  };
  json all = page("");
  EXPECT_EQ(all["total"], 6);
  EXPECT_EQ(all["limit"], 100);
  EXPECT_EQ(all["offset"], 0);
  EXPECT_EQ(all["peers"].size(), 6u);
  json p = page("?limit=2&offset=1");
  EXPECT_EQ(p["total"], 6);
  ASSERT_EQ(p["peers"].size(), 2u);
  EXPECT_EQ(p["peers"][0]["name"], "dev1");
  EXPECT_EQ(page("?name=DEV")["total"], 5);
  EXPECT_EQ(page("?enabled=false")["total"], 1);
  EXPECT_EQ(page("?managed_by=fleet")["total"], 2);
  EXPECT_EQ(page("?name=dev&enabled=true&managed_by=api&limit=1")["peers"][0]["name"], "dev2");
  expect_error(client_->Get("/api/v1/peers?limit=0"), 400, "invalid_field", "limit");
  expect_error(client_->Get("/api/v1/peers?limit=1001"), 400, "invalid_field", "limit");
  expect_error(client_->Get("/api/v1/peers?offset=-1"), 400, "invalid_field", "offset");
  expect_error(client_->Get("/api/v1/peers?enabled=maybe"), 400, "invalid_field", "enabled");
}

TEST_F(NativeRoutes, ConfigAndQrCodes) {
  json a = create({{"name", "alice"}});
  auto r = client_->Get("/api/v1/peers/alice/config");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r->get_header_value("Content-Disposition"), "attachment; filename=\"alice.conf\"");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  EXPECT_NE(r->body.find("[Interface]\nPrivateKey = "), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("Address = 10.8.0.2/32"), std::string::npos);
  EXPECT_NE(r->body.find("Endpoint = vpn.example.com:51820"), std::string::npos);
  EXPECT_NE(r->body.find("PublicKey = " + crypto::key_to_base64(crypto::x25519_public(server_private_))),
            std::string::npos);

  r = client_->Get("/api/v1/peers/alice/qr.png");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(r->body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  r = client_->Get("/api/v1/peers/" + std::to_string(a["id"].get<int>()) + "/qr.svg");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_NE(r->body.find("<svg"), std::string::npos);

  // A peer whose private key only the client has.
  json b = create({{"name", "byo"}, {"public_key", crypto::key_to_base64(crypto::x25519_public(crypto::x25519_generate()))}});
  EXPECT_FALSE(b["has_private_key"].get<bool>());
  expect_error(client_->Get("/api/v1/peers/byo/config"), 409, "no_private_key", "");
  expect_error(client_->Get("/api/v1/peers/byo/qr.png"), 409, "no_private_key", "");
  expect_error(client_->Get("/api/v1/peers/nobody/config"), 404, "not_found", "");
}

TEST_F(NativeRoutes, ServerStatusAndKeysNeverShowTheServerPrivateKey) {
  create({{"name", "alice"}});
  const std::string secret = crypto::key_to_base64(server_private_.span());
  auto info = client_->Get("/api/v1/server");
  ASSERT_EQ(info->status, 200);
  json i = json::parse(info->body);
  EXPECT_EQ(i["public_key"], crypto::key_to_base64(crypto::x25519_public(server_private_)));
  EXPECT_EQ(i["interface"], "wgtest");
  EXPECT_EQ(i["listen_port"], 51820);
  EXPECT_EQ(i["ipv4_address"], "10.8.0.1/24");
  EXPECT_EQ(i["endpoint"], "vpn.example.com:51820");
  auto status = client_->Get("/api/v1/status");
  ASSERT_EQ(status->status, 200);
  json s = json::parse(status->body);
  EXPECT_EQ(s["peers"]["total"], 1);
  EXPECT_EQ(s["peers"]["active"], 1);
  EXPECT_TRUE(s["interface"]["up"].get<bool>());
  auto list = client_->Get("/api/v1/peers");
  for (const auto* body : {&info->body, &status->body, &list->body}) EXPECT_EQ(body->find(secret), std::string::npos);

  auto keys = client_->Post("/api/v1/keys", "", "application/json");
  ASSERT_EQ(keys->status, 200);
  json k = json::parse(keys->body);
  auto priv = crypto::secret_key_from_base64(k["private_key"].get<std::string>());
  ASSERT_TRUE(priv);
  EXPECT_EQ(crypto::key_to_base64(crypto::x25519_public(*priv)), k["public_key"]);
  EXPECT_TRUE(crypto::key_from_base64(k["preshared_key"].get<std::string>()));
  EXPECT_EQ(keys->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(store_->list({})->total, 1);  // nothing stored
}

TEST_F(NativeRoutes, EveryInvalidInputIsA4xxAndChangesNothing) {
  json a = create({{"name", "alice"}});
  json b = create({{"name", "bob"}});
  const std::string key_a = a["public_key"];
  const std::string server_key = crypto::key_to_base64(crypto::x25519_public(server_private_));
  const std::int64_t before = revision();
  const std::size_t on_interface = device_.peer_count();
  struct Case {
    std::string body;
    int status;
    std::string code, field;
  };
  const Case creates[] = {
      {"{not json", 400, "invalid_json", ""},
      {"", 400, "invalid_json", ""},
      {"[1,2,3]", 400, "invalid_json", ""},
      {R"({"description":"no name"})", 400, "invalid_field", "name"},
      {R"({"name":"carol","colour":"red"})", 400, "invalid_field", "colour"},
      {R"({"name":"bad name!"})", 400, "invalid_field", "name"},
      {R"({"name":"carol","public_key":"AAAA"})", 400, "invalid_field", "public_key"},
      {R"({"name":"carol","private_key":"bm90LWEta2V5"})", 400, "invalid_field", "private_key"},
      {R"({"name":"carol","allowed_ips":["10.0.0.0/40"]})", 400, "invalid_field", "allowed_ips"},
      {R"({"name":"carol","allowed_ips":["10.8.0.0/25"]})", 400, "invalid_field", "allowed_ips"},
      {R"({"name":"carol","client_allowed_ips":["x"]})", 400, "invalid_field", "client_allowed_ips"},
      {R"({"name":"carol","dns":["not a name"]})", 400, "invalid_field", "dns"},
      {R"({"name":"carol","ipv4":"10.9.0.5"})", 400, "invalid_field", "ipv4"},
      {R"({"name":"carol","ipv4":"10.8.0.0"})", 400, "invalid_field", "ipv4"},
      {R"({"name":"carol","ipv4":"10.8.0.255"})", 400, "invalid_field", "ipv4"},
      {R"({"name":"carol","ipv4":"10.8.0.1"})", 409, "conflict", "ipv4"},
      {R"({"name":"carol","ipv4":"10.8.0.2"})", 409, "conflict", "ipv4"},
      {R"({"name":"ALICE"})", 409, "conflict", "name"},
      {R"({"name":"carol","public_key":")" + key_a + R"("})", 409, "conflict", "public_key"},
      {R"({"name":"carol","public_key":")" + server_key + R"("})", 409, "conflict", "public_key"},
      {R"({"name":"carol","persistent_keepalive":"often"})", 400, "invalid_field", "persistent_keepalive"},
      {R"({"name":"carol","expires_at":"soon"})", 400, "invalid_field", "expires_at"},
  };
  for (const auto& c : creates) {
    SCOPED_TRACE("POST " + c.body);
    expect_error(client_->Post("/api/v1/peers", c.body, "application/json"), c.status, c.code, c.field);
  }
  const Case updates[] = {
      {"{not json", 400, "invalid_json", ""},
      {R"({"colour":"red"})", 400, "invalid_field", "colour"},
      {R"({"name":"bad name!"})", 400, "invalid_field", "name"},
      {R"({"name":"BOB"})", 409, "conflict", "name"},
      {R"({"public_key":"AAAA"})", 400, "invalid_field", "public_key"},
      {R"({"public_key":")" + server_key + R"("})", 409, "conflict", "public_key"},
      {R"({"ipv4":"10.9.0.5"})", 400, "invalid_field", "ipv4"},
      {R"({"ipv4":"10.8.0.3"})", 409, "conflict", "ipv4"},  // bob's
      {R"({"allowed_ips":["10.0.0.0/40"]})", 400, "invalid_field", "allowed_ips"},
      {R"({"revision":999})", 409, "conflict", "revision"},
      {R"({"persistent_keepalive":"often"})", 400, "invalid_field", "persistent_keepalive"},
  };
  for (const auto& c : updates) {
    SCOPED_TRACE("PATCH " + c.body);
    expect_error(client_->Patch("/api/v1/peers/alice", c.body, "application/json"), c.status, c.code, c.field);
  }
  expect_error(patch("/api/v1/peers/nobody", {{"description", "x"}}), 404, "not_found", "");
  expect_error(client_->Post("/api/v1/peers/nobody/enable", "", "application/json"), 404, "not_found", "");
  expect_error(client_->Get("/api/v1/no/such/path"), 404, "not_found", "");
  EXPECT_EQ(revision(), before);
  EXPECT_EQ(store_->list({})->total, 2);
  EXPECT_EQ(device_.peer_count(), on_interface);
  EXPECT_EQ(json::parse(client_->Get("/api/v1/peers/alice")->body)["revision"], a["revision"]);
  (void)b;
}

TEST_F(NativeRoutes, OversizedBodyIs413) {
  const std::string big = R"({"name":"x","description":")" + std::string(100 * 1024, 'a') + "\"}";
  auto r = client_->Post("/api/v1/peers", big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(store_->list({})->total, 0);
}

TEST_F(NativeRoutes, TokenRotation) {
  const std::string old = current_token();
  auto r = client_->Post("/api/v1/token/rotate", "", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const std::string fresh = json::parse(r->body)["token"];
  EXPECT_NE(fresh, old);
  EXPECT_EQ(current_token(), fresh);
  expect_error(client_->Get("/api/v1/server"), 401, "unauthorized", "");
  client_->set_default_headers({{"Authorization", "Bearer " + fresh}});
  EXPECT_EQ(client_->Get("/api/v1/server")->status, 200);
}

TEST_F(NativeRoutes, ConcurrentCreatesNeverShareAnAddress) {
  constexpr int kClients = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<std::string> addresses;
  std::atomic<int> failures{0};
  const std::string token = current_token();
  for (int t = 0; t < kClients; ++t)
    threads.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", api_->address().port);
      c.set_default_headers({{"Authorization", "Bearer " + token}});
      for (int i = 0; i < kEach; ++i) {
        auto r = c.Post("/api/v1/peers", json{{"name", fmt::format("c{}-{}", t, i)}}.dump(), "application/json");
        if (!r || r->status != 201) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mu);
        addresses.push_back(json::parse(r->body)["ipv4"]);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(addresses.size(), static_cast<std::size_t>(kClients * kEach));
  EXPECT_EQ(std::set<std::string>(addresses.begin(), addresses.end()).size(), addresses.size());
  EXPECT_EQ(store_->list({})->total, kClients * kEach);
  EXPECT_EQ(device_.peer_count(), static_cast<std::size_t>(kClients * kEach));
  EXPECT_EQ(device_.replace_peers_count(), 0);
}

// `curl -X POST URL` sends neither a body nor Content-Length: such a request has no body and
// must be answered at once, on a connection that stays open.
TEST_F(NativeRoutes, PostWithoutLengthHasNoBody) {
  json a = create({{"name", "alice"}});
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage ss{};
  const socklen_t len = Endpoint{*IpAddress::parse("127.0.0.1"), api_->address().port}.to_sockaddr(ss);
  ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len), 0);
  timeval tv{3, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req = "POST /api/v1/peers/alice/disable HTTP/1.1\r\nHost: wgd\r\nAuthorization: Bearer " +
                          current_token() + "\r\n\r\n";
  ASSERT_EQ(::write(fd.get(), req.data(), req.size()), static_cast<ssize_t>(req.size()));
  const auto t0 = std::chrono::steady_clock::now();
  char buf[4096];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf);
  ASSERT_GT(n, 0) << "no answer within 3 s";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)).rfind("HTTP/1.1 200", 0), 0u) << std::string(buf, n);
  EXPECT_FALSE(service_->get(std::string("alice"))->record.enabled);
}

class NativeRoutesSmallSubnet : public NativeRoutes {
 protected:
  void SetUp() override { start("127.0.0.1:0", serve::testing::test_pool("10.8.0.1/29", "")); }
};

TEST_F(NativeRoutesSmallSubnet, FullSubnetIs409) {
  for (int i = 0; i < 5; ++i) create({{"name", fmt::format("p{}", i)}});  // .2 - .6
  const std::int64_t before = revision();
  expect_error(post("/api/v1/peers", {{"name", "onemore"}}), 409, "subnet_full", "ipv4");
  EXPECT_EQ(revision(), before);
  EXPECT_EQ(store_->list({})->total, 5);
}

class NativeRoutesUnix : public NativeRoutes {
 protected:
  void SetUp() override { start("unix:" + dir_.file("api.sock"), serve::testing::test_pool()); }
};

// A whole HTTP/1.1 exchange over the unix socket (httplib's client cannot dial one).
std::string unix_request(const std::string& path, const std::string& request) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return "connect failed";
  if (::write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) return "write failed";
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

TEST_F(NativeRoutesUnix, ServesOnAUnixSocketAndRemovesIt) {
  const std::string sock = dir_.file("api.sock");
  EXPECT_EQ(api_->address().to_string(), "unix:" + sock);
  std::string reply = unix_request(sock, "GET /healthz HTTP/1.1\r\nHost: wgd\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  const std::string body = R"({"name":"alice"})";
  reply = unix_request(sock, "POST /api/v1/peers HTTP/1.1\r\nHost: wgd\r\nConnection: close\r\nAuthorization: Bearer " +
                                 current_token() + "\r\nContent-Type: application/json\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(reply.rfind("HTTP/1.1 201", 0), 0u) << reply;
  reply = unix_request(sock, "GET /api/v1/server HTTP/1.1\r\nHost: wgd\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 401", 0), 0u) << reply;
  // A second server on the same path is refused and leaves the first one's socket alone.
  auto address = parse_listen_address("unix:" + sock);
  auto second = ApiServer::create(*service_, settings_, *token_, {.listen = *address});
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("another server"), std::string::npos) << second.error().message;
  EXPECT_TRUE(std::filesystem::exists(sock));
  api_->stop();
  EXPECT_FALSE(std::filesystem::exists(sock));
}

}  // namespace
}  // namespace wgd::serve::api
