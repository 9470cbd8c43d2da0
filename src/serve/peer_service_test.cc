// PeerService over a real SQLite file in a temporary directory, the real reconciler, and an
// in-memory interface: every operation, what reaches the interface, live status, refusals.
#include "serve/peer_service_impl.h"

#include <gtest/gtest.h>

#include "crypto/key_codec.h"
#include "crypto/x25519.h"
#include "serve/fake_device.h"
#include "serve/serve_test_support.h"
#include "serve/store/store_error.h"

namespace wgd::serve {
namespace {

using namespace std::chrono_literals;
using testing::FakeDevice;

class PeerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::open_test_store(dir_);
    server_private_ = crypto::x25519_generate();
    ReconcilerOptions ro;
    ro.server_public_key = crypto::x25519_public(server_private_);
    ro.clock = clock_.function();
    ro.interval = 60s;
    ro.revision_poll = 60s;
    reconciler_ = std::make_unique<Reconciler>(*store_, device_, std::move(ro));
    ASSERT_TRUE(reconciler_->run_once());
    reconciler_->start();

    PeerServiceConfig c;
    c.info.public_key = crypto::x25519_public(server_private_);
    c.info.interface = "wgtest";
    c.info.listen_port = 51820;
    c.info.endpoint = "vpn.example.com:51820";
    c.info.ipv4_address = IpPrefix::parse("10.8.0.1/24");
    c.info.ipv6_address = IpPrefix::parse("fd00:8::1/64");
    c.pool = pool_;
    c.client.server_public_key = c.info.public_key;
    c.client.endpoint = c.info.endpoint;
    c.client.allowed_ips = {*IpPrefix::parse("0.0.0.0/0"), *IpPrefix::parse("::/0")};
    c.client.dns = {"10.8.0.1"};
    c.clock = clock_.function();
    c.status_ttl = 1h;  // tests decide when the cache is stale (invalidate_status)
    service_ = std::make_unique<PeerServiceImpl>(*store_, device_, *reconciler_, std::move(c));
  }
  void TearDown() override { reconciler_->stop(); }

  PeerView create(std::string name) {
    auto v = service_->create(testing::named(std::move(name)));
    EXPECT_TRUE(v) << v.error().message;
    return std::move(*v);
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  AddressPool pool_ = testing::test_pool();
  FakeDevice device_;
  testing::FakeClock clock_;
  crypto::PrivateKey server_private_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<PeerServiceImpl> service_;
};

TEST_F(PeerServiceTest, CreateReturnsOnceTheInterfaceCarriesThePeer) {
  auto v = create("alice");
  EXPECT_EQ(v.record.name, "alice");
  EXPECT_EQ(v.record.ipv4->to_string(), "10.8.0.2");
  EXPECT_EQ(v.record.ipv6->to_string(), "fd00:8::2");
  EXPECT_TRUE(v.record.private_key);
  EXPECT_TRUE(v.live.on_interface);  // no polling needed: create waited for the reconciler
  auto on = device_.peer(v.record.public_key);
  ASSERT_TRUE(on);
  EXPECT_EQ(on->allowed_ips, v.record.server_allowed_ips());
  EXPECT_EQ(device_.replace_peers_count(), 0);
}

TEST_F(PeerServiceTest, GetByIdNameAndKeyAndDigitNames) {
  auto a = create("alice");
  auto digits = create("42");
  for (PeerRef ref : {PeerRef(a.record.id), PeerRef(std::string("ALICE")), PeerRef(a.record.public_key)}) {
    auto v = service_->get(ref);
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->record.id, a.record.id);
  }
  // An id that names no peer is tried as a name.
  auto by_digits = service_->get(PeerRef(std::int64_t{42}));
  ASSERT_TRUE(by_digits);
  EXPECT_EQ(by_digits->record.id, digits.record.id);
  // Digits that are one peer's id and another's name: refused, not guessed.
  auto named_one = create(std::to_string(a.record.id));
  auto ambiguous = service_->get(PeerRef(a.record.id));
  ASSERT_FALSE(ambiguous);
  EXPECT_EQ(store_error_kind(ambiguous.error()), StoreErrorKind::kConflict);
  EXPECT_NE(ambiguous.error().message.find("public key"), std::string::npos) << ambiguous.error().message;
  auto by_key = service_->get(PeerRef(named_one.record.public_key));
  ASSERT_TRUE(by_key);
  EXPECT_EQ(by_key->record.id, named_one.record.id);
  for (PeerRef ref : {PeerRef(std::int64_t{999}), PeerRef(std::string("nobody")),
                      PeerRef(crypto::x25519_public(crypto::x25519_generate()))}) {
    auto v = service_->get(ref);
    ASSERT_FALSE(v);
    EXPECT_EQ(store_error_kind(v.error()), StoreErrorKind::kNotFound) << v.error().message;
  }
}

TEST_F(PeerServiceTest, UpdateReachesTheInterface) {
  auto a = create("alice");
  PeerUpdate u;
  u.name = "alice2";
  u.ipv4 = AddressRequest::exactly(*IpAddress::parse("10.8.0.50"));
  u.persistent_keepalive = std::optional<std::uint16_t>(15);
  auto v = service_->update(std::string("alice"), u);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->record.name, "alice2");
  EXPECT_EQ(v->record.ipv4->to_string(), "10.8.0.50");
  auto on = device_.peer(a.record.public_key);
  ASSERT_TRUE(on);
  EXPECT_EQ(on->allowed_ips, v->record.server_allowed_ips());
  EXPECT_EQ(on->persistent_keepalive, 15);
  // A stale revision is refused and changes nothing.
  PeerUpdate stale;
  stale.expected_revision = a.record.revision;
  stale.description = "too late";
  auto r = service_->update(a.record.id, stale);
  ASSERT_FALSE(r);
  EXPECT_EQ(store_error_kind(r.error()), StoreErrorKind::kConflict);
  EXPECT_EQ(service_->get(a.record.id)->record.description, "");
}

TEST_F(PeerServiceTest, DisableEnableDelete) {
  auto a = create("alice");
  auto off = service_->set_enabled(a.record.id, false);
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->record.enabled);
  EXPECT_FALSE(off->live.on_interface);
  EXPECT_FALSE(device_.peer(a.record.public_key));
  auto again = service_->set_enabled(a.record.id, false);  // idempotent
  ASSERT_TRUE(again);
  EXPECT_EQ(again->record.revision, off->record.revision);
  auto on = service_->set_enabled(std::string("alice"), true);
  ASSERT_TRUE(on);
  EXPECT_TRUE(on->live.on_interface);
  ASSERT_TRUE(service_->remove(a.record.public_key));
  EXPECT_FALSE(device_.peer(a.record.public_key));
  EXPECT_EQ(store_error_kind(service_->get(a.record.id).error()), StoreErrorKind::kNotFound);
  auto gone = service_->remove(a.record.id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(store_error_kind(gone.error()), StoreErrorKind::kNotFound);
}

TEST_F(PeerServiceTest, ClientConfigOnlyWithThePrivateKey) {
  auto a = create("alice");
  auto conf = service_->client_config(a.record.id);
  ASSERT_TRUE(conf) << conf.error().message;
  EXPECT_NE(conf->find("PrivateKey = " + crypto::key_to_base64(a.record.private_key->span())), std::string::npos);
  EXPECT_NE(conf->find("Address = 10.8.0.2/32, fd00:8::2/128"), std::string::npos) << *conf;
  EXPECT_NE(conf->find("PublicKey = " + crypto::key_to_base64(crypto::x25519_public(server_private_))),
            std::string::npos);
  EXPECT_NE(conf->find("Endpoint = vpn.example.com:51820"), std::string::npos);
  EXPECT_NE(conf->find("DNS = 10.8.0.1"), std::string::npos);

  NewPeer own = testing::named("byo");
  own.keys.public_key = crypto::x25519_public(crypto::x25519_generate());
  auto b = service_->create(std::move(own));
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->record.private_key);
  auto none = service_->client_config(b->record.id);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, kNoPrivateKeyErrno);
}

TEST_F(PeerServiceTest, TheServersOwnKeyIsRefused) {
  NewPeer p = testing::named("mirror");
  p.keys.public_key = crypto::x25519_public(server_private_);
  auto r = service_->create(std::move(p));
  ASSERT_FALSE(r);
  EXPECT_EQ(store_error_kind(r.error()), StoreErrorKind::kConflict);
  EXPECT_EQ(r.error().message.rfind("public_key: ", 0), 0u);
  NewPeer q = testing::named("mirror2");
  q.keys.private_key = server_private_.clone();
  r = service_->create(std::move(q));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("private_key: ", 0), 0u);
  // The message never carries the key.
  EXPECT_EQ(r.error().message.find(crypto::key_to_base64(server_private_.span())), std::string::npos);
  EXPECT_EQ(store_->list({})->total, 0);
}

TEST_F(PeerServiceTest, RefusedCreatesChangeNothing) {
  create("alice");
  NewPeer clash = testing::named("Alice");
  EXPECT_FALSE(service_->create(std::move(clash)));
  NewPeer taken = testing::named("bob");
  taken.ipv4 = AddressRequest::exactly(*IpAddress::parse("10.8.0.2"));
  auto r = service_->create(std::move(taken));
  ASSERT_FALSE(r);
  EXPECT_EQ(store_error_kind(r.error()), StoreErrorKind::kConflict);
  NewPeer outside = testing::named("carol");
  outside.ipv4 = AddressRequest::exactly(*IpAddress::parse("10.9.0.2"));
  r = service_->create(std::move(outside));
  ASSERT_FALSE(r);
  EXPECT_EQ(store_error_kind(r.error()), StoreErrorKind::kInvalid);
  EXPECT_EQ(store_->list({})->total, 1);
  EXPECT_EQ(device_.peer_count(), 1u);
}

TEST_F(PeerServiceTest, ListAndStatusMergeTheInterface) {
  auto a = create("alice");
  auto b = create("bob");
  NewPeer soon = testing::named("soon");
  soon.expires_at = clock_.now + 10;
  ASSERT_TRUE(service_->create(std::move(soon)));
  NewPeer off = testing::named("off");
  off.enabled = false;
  ASSERT_TRUE(service_->create(std::move(off)));
  device_.edit([&](wg::DeviceStatus& s) {
    for (auto& p : s.peers)
      if (p.public_key == a.record.public_key) {
        p.last_handshake_sec = clock_.now - 5;
        p.rx_bytes = 1000;
        p.tx_bytes = 2000;
        p.endpoint = Endpoint::parse("198.51.100.9:4444");
      }
  });
  service_->invalidate_status();
  auto list = service_->list(PeerFilter{});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->total, 4);
  EXPECT_TRUE(list->peers[0].live.on_interface);
  EXPECT_TRUE(list->peers[0].live.connected(clock_.now));
  EXPECT_EQ(list->peers[0].live.rx_bytes, 1000u);
  EXPECT_EQ(list->peers[0].live.endpoint->to_string(), "198.51.100.9:4444");
  EXPECT_FALSE(list->peers[1].live.connected(clock_.now));
  EXPECT_FALSE(list->peers[3].live.on_interface);

  clock_.now += 10;  // "soon" has expired; the reconciler's pass at that moment:
  ASSERT_TRUE(reconciler_->run_once());
  auto st = service_->status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->peers_total, 4);
  EXPECT_EQ(st->peers_enabled, 3);
  EXPECT_EQ(st->peers_active, 2);
  EXPECT_EQ(st->peers_connected, 1);
  EXPECT_TRUE(st->interface_up);
  EXPECT_EQ(st->rx_bytes, 1000u);
  EXPECT_EQ(st->tx_bytes, 2000u);
  EXPECT_EQ(st->server.interface, "wgtest");

  auto paged = service_->list(PeerFilter{.limit = 2, .offset = 1});
  ASSERT_TRUE(paged);
  EXPECT_EQ(paged->total, 4);
  ASSERT_EQ(paged->peers.size(), 2u);
  EXPECT_EQ(paged->peers[0].record.id, b.record.id);
}

TEST_F(PeerServiceTest, ReadsShareOneInterfaceSnapshot) {
  create("alice");
  service_->invalidate_status();
  device_.clear_counters();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(service_->list(PeerFilter{}));
  EXPECT_EQ(device_.gets(), 1);
}

TEST_F(PeerServiceTest, InterfaceStatusNeverCarriesThePrivateKey) {
  create("alice");
  auto st = service_->interface_status();
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->private_key);
  EXPECT_EQ(st->peers.size(), 1u);
  device_.set_fail_get(true);
  service_->invalidate_status();
  EXPECT_FALSE(service_->interface_status());
  auto status = service_->status();
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->interface_up);
}

}  // namespace
}  // namespace wgd::serve
