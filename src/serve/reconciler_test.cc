// The reconciler against a real SQLite store and an in-memory interface: it adds, updates and
// removes exactly what differs, repairs changes made by hand, follows writes by another store
// object (another process or gateway), drops expired peers from the interface only, and never
// uses replace_peers.
#include "serve/reconciler.h"

#include <gtest/gtest.h>

#include <ctime>
#include <thread>

#include "crypto/x25519.h"
#include "serve/fake_device.h"
#include "serve/serve_test_support.h"

namespace wgd::serve {
namespace {

using namespace std::chrono_literals;
using testing::FakeDevice;

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = 3s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::open_test_store(dir_); }

  ReconcilerOptions options() {
    ReconcilerOptions o;
    o.interval = 60s;          // tests that want the periodic check shorten it
    o.revision_poll = 60s;
    o.server_public_key = server_key_;
    o.interface_name = "wgtest";
    return o;
  }
  PeerRecord create(std::string name, bool enabled = true) {
    NewPeer p = testing::named(std::move(name));
    p.enabled = enabled;
    auto r = store_->create(p, pool_);
    EXPECT_TRUE(r) << r.error().message;
    return std::move(*r);
  }
  std::vector<IpPrefix> prefixes(std::initializer_list<const char*> list) {
    std::vector<IpPrefix> v;
    for (auto s : list) v.push_back(*IpPrefix::parse(s));
    return v;
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  AddressPool pool_ = testing::test_pool();
  crypto::PublicKey server_key_ = crypto::x25519_public(crypto::x25519_generate());
  FakeDevice device_;
};

TEST_F(ReconcilerTest, FirstPassPutsActivePeersOnTheInterface) {
  auto a = create("alice");
  auto b = create("bob", /*enabled=*/false);
  auto c = create("carol");
  Reconciler r(*store_, device_, options());
  auto result = r.run_once();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->added, 2u);
  EXPECT_EQ(result->on_interface, 2u);
  EXPECT_TRUE(result->reloaded);
  EXPECT_EQ(device_.peer_count(), 2u);
  auto on = device_.peer(a.public_key);
  ASSERT_TRUE(on);
  EXPECT_EQ(on->allowed_ips, a.server_allowed_ips());
  EXPECT_EQ(on->persistent_keepalive, 0);
  EXPECT_FALSE(device_.peer(b.public_key));
  EXPECT_TRUE(device_.peer(c.public_key));
  // A second pass finds nothing to do and does not write.
  device_.clear_counters();
  result = r.run_once();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->added + result->updated + result->removed, 0u);
  EXPECT_EQ(device_.sets(), 0);
  EXPECT_EQ(device_.replace_peers_count(), 0);
}

TEST_F(ReconcilerTest, RequestedPassesFollowEveryChange) {
  Reconciler r(*store_, device_, options());
  ASSERT_TRUE(r.run_once());
  r.start();
  auto a = create("alice");
  ASSERT_TRUE(r.wait(r.request(), 2s));
  ASSERT_TRUE(device_.peer(a.public_key));

  // Update: new address and routes, a keepalive; applied as one update-only change.
  device_.clear_counters();
  PeerUpdate u;
  u.ipv4 = AddressRequest::exactly(*IpAddress::parse("10.8.0.77"));
  u.extra_allowed_ips = prefixes({"192.168.5.0/24"});
  u.persistent_keepalive = std::optional<std::uint16_t>(25);
  auto updated = store_->update(a.id, u, pool_);
  ASSERT_TRUE(updated) << updated.error().message;
  ASSERT_TRUE(r.wait(r.request(), 2s));
  auto on = device_.peer(a.public_key);
  ASSERT_TRUE(on);
  EXPECT_EQ(on->allowed_ips, updated->server_allowed_ips());
  EXPECT_EQ(on->persistent_keepalive, 25);
  EXPECT_EQ(device_.peer_changes(), "u");
  EXPECT_EQ(device_.routes(), prefixes({"192.168.5.0/24"}));

  // Disable, enable, delete.
  PeerUpdate off;
  off.enabled = false;
  ASSERT_TRUE(store_->update(a.id, off, pool_));
  ASSERT_TRUE(r.wait(r.request(), 2s));
  EXPECT_FALSE(device_.peer(a.public_key));
  EXPECT_TRUE(device_.routes().empty());
  PeerUpdate on_again;
  on_again.enabled = true;
  ASSERT_TRUE(store_->update(a.id, on_again, pool_));
  ASSERT_TRUE(r.wait(r.request(), 2s));
  EXPECT_TRUE(device_.peer(a.public_key));
  ASSERT_TRUE(store_->remove(a.id));
  ASSERT_TRUE(r.wait(r.request(), 2s));
  EXPECT_EQ(device_.peer_count(), 0u);
  EXPECT_EQ(device_.replace_peers_count(), 0);
}

TEST_F(ReconcilerTest, ReEnabledPeerGetsItsEndpointBack) {
  auto a = create("alice");
  Reconciler r(*store_, device_, options());
  ASSERT_TRUE(r.run_once());
  const auto roamed = Endpoint::parse("198.51.100.20:40000");
  device_.edit([&](wg::DeviceStatus& s) { s.peers[0].endpoint = roamed; });  // learned from traffic
  PeerUpdate off;
  off.enabled = false;
  ASSERT_TRUE(store_->update(a.id, off, pool_));
  ASSERT_TRUE(r.run_once());
  ASSERT_FALSE(device_.peer(a.public_key));
  PeerUpdate on;
  on.enabled = true;
  ASSERT_TRUE(store_->update(a.id, on, pool_));
  ASSERT_TRUE(r.run_once());
  auto back = device_.peer(a.public_key);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->endpoint, roamed);
  // Only once: a peer removed and added again later starts without it.
  device_.edit([&](wg::DeviceStatus& s) { s.peers.clear(); });
  ASSERT_TRUE(r.run_once());
  EXPECT_FALSE(device_.peer(a.public_key)->endpoint);
}

TEST_F(ReconcilerTest, NamedPeerRequestsReadOnlyThatPeerAndThePollCatchesTheRest) {
  auto o = options();
  o.revision_poll = 100ms;
  Reconciler r(*store_, device_, std::move(o));
  ASSERT_TRUE(r.run_once());
  r.start();
  auto a = create("alice");
  ASSERT_TRUE(r.wait(r.request(a.id), 2s));
  EXPECT_TRUE(device_.peer(a.public_key));
  PeerUpdate rekey;
  rekey.keys = KeyMaterial{};  // new key pair: the old key must leave the interface
  auto b = store_->update(a.id, rekey, pool_);
  ASSERT_TRUE(b);
  ASSERT_TRUE(r.wait(r.request(a.id), 2s));
  EXPECT_FALSE(device_.peer(a.public_key));
  EXPECT_TRUE(device_.peer(b->public_key));
  // A write nobody announced (another gateway) while a named request is served.
  auto other = testing::open_test_store(dir_);
  auto x = other->create(testing::named("remote"), pool_);
  ASSERT_TRUE(x);
  ASSERT_TRUE(store_->remove(b->id));
  ASSERT_TRUE(r.wait(r.request(b->id), 2s));
  EXPECT_FALSE(device_.peer(b->public_key));
  EXPECT_TRUE(eventually([&] { return device_.peer(x->public_key).has_value(); }));
  EXPECT_EQ(device_.peer_count(), 1u);
}

TEST_F(ReconcilerTest, RepairsDriftMadeByHand) {
  auto a = create("alice");
  auto b = create("bob");
  auto o = options();
  o.interval = 100ms;
  Reconciler r(*store_, device_, std::move(o));
  ASSERT_TRUE(r.run_once());
  r.start();
  const crypto::PublicKey stranger = crypto::x25519_public(crypto::x25519_generate());
  // What `wg set wg0 peer A allowed-ips ...; wg set wg0 peer B remove; wg set wg0 peer X ...` does.
  device_.edit([&](wg::DeviceStatus& s) {
    for (auto& p : s.peers)
      if (p.public_key == a.public_key) {
        p.allowed_ips = {*IpPrefix::parse("10.99.0.1/32")};
        p.persistent_keepalive = 5;
      }
    std::erase_if(s.peers, [&](const wg::PeerStatus& p) { return p.public_key == b.public_key; });
    wg::PeerStatus x;
    x.public_key = stranger;
    x.allowed_ips = {*IpPrefix::parse("10.8.0.200/32")};
    s.peers.push_back(std::move(x));
  });
  EXPECT_TRUE(eventually([&] {
    auto pa = device_.peer(a.public_key);
    return pa && pa->allowed_ips == a.server_allowed_ips() && pa->persistent_keepalive == 0 &&
           device_.peer(b.public_key) && !device_.peer(stranger);
  }));
  EXPECT_EQ(device_.peer_count(), 2u);
  EXPECT_GE(r.stats().drift_repairs, 3u);
  EXPECT_EQ(device_.replace_peers_count(), 0);
}

TEST_F(ReconcilerTest, PutsBackListenPortAndPrivateKeyChangedByHand) {
  auto key = crypto::x25519_generate();
  auto o = options();
  o.server_public_key = crypto::x25519_public(key);
  o.listen_port = 51820;
  o.private_key = key.clone();
  Reconciler r(*store_, device_, std::move(o));
  ASSERT_TRUE(r.run_once());
  EXPECT_EQ(device_.get()->listen_port, 51820);
  EXPECT_EQ(device_.get()->public_key, crypto::x25519_public(key));
  // `wg set wg0 listen-port 4000 private-key other.key`
  device_.edit([&](wg::DeviceStatus& s) {
    s.listen_port = 4000;
    s.public_key = crypto::x25519_public(crypto::x25519_generate());
  });
  ASSERT_TRUE(r.run_once());
  EXPECT_EQ(device_.get()->listen_port, 51820);
  EXPECT_EQ(device_.get()->public_key, crypto::x25519_public(key));
  EXPECT_GE(r.stats().drift_repairs, 2u);
}

TEST_F(ReconcilerTest, ExpiredPeerLeavesTheInterfaceNotTheStore) {
  testing::FakeClock clock;
  NewPeer p = testing::named("temp");
  p.expires_at = clock.now + 30;
  auto temp = store_->create(p, pool_);
  ASSERT_TRUE(temp);
  auto o = options();
  o.clock = clock.function();
  Reconciler r(*store_, device_, std::move(o));
  ASSERT_TRUE(r.run_once());
  EXPECT_TRUE(device_.peer(temp->public_key));
  clock.now += 30;
  auto result = r.run_once();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->removed, 1u);
  EXPECT_FALSE(device_.peer(temp->public_key));
  EXPECT_TRUE(store_->get(temp->id));  // still stored
  // Extending the expiry brings it back.
  PeerUpdate u;
  u.expires_at = std::optional<std::int64_t>(clock.now + 3600);
  ASSERT_TRUE(store_->update(temp->id, u, pool_));
  ASSERT_TRUE(r.run_once());
  EXPECT_TRUE(device_.peer(temp->public_key));
}

TEST_F(ReconcilerTest, WakesUpAtTheEarliestExpiry) {
  NewPeer p = testing::named("brief");
  p.expires_at = static_cast<std::int64_t>(std::time(nullptr)) + 1;
  auto brief = store_->create(p, pool_);
  ASSERT_TRUE(brief);
  Reconciler r(*store_, device_, options());  // interval and polls: a minute away
  ASSERT_TRUE(r.run_once());
  ASSERT_TRUE(device_.peer(brief->public_key));
  r.start();
  EXPECT_TRUE(eventually([&] { return !device_.peer(brief->public_key); }, 4s));
}

TEST_F(ReconcilerTest, FollowsWritesOfAnotherStoreObject) {
  auto o = options();
  o.revision_poll = 50ms;
  Reconciler r(*store_, device_, std::move(o));
  ASSERT_TRUE(r.run_once());
  r.start();
  // Another gateway (here: another connection pool on the same file) adds a peer; nobody
  // calls request().
  auto other = testing::open_test_store(dir_);
  auto x = other->create(testing::named("remote"), pool_);
  ASSERT_TRUE(x);
  EXPECT_TRUE(eventually([&] { return device_.peer(x->public_key).has_value(); }));
}

TEST_F(ReconcilerTest, ConcurrentRequestsCoalesceAndEachWaiterSeesItsChange) {
  Reconciler r(*store_, device_, options());
  ASSERT_TRUE(r.run_once());
  r.start();
  device_.clear_counters();
  constexpr int kThreads = 8, kEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> missing{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto p = store_->create(testing::named(fmt::format("t{}-{}", t, i)), pool_);
        if (!p || !r.wait(r.request(), 5s) || !device_.peer(p->public_key)) ++missing;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(missing.load(), 0);
  EXPECT_EQ(device_.peer_count(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_LE(device_.sets(), kThreads * kEach);
  EXPECT_EQ(device_.replace_peers_count(), 0);
}

TEST_F(ReconcilerTest, OneRefusedPeerDoesNotKeepTheOthersOut) {
  auto a = create("alice");
  auto bad = create("refused");
  auto c = create("carol");
  device_.set_refuse([&](const wg::PeerChange& p) { return p.public_key == bad.public_key; });
  Reconciler r(*store_, device_, options());
  auto result = r.run_once();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->added, 2u);
  EXPECT_EQ(result->failed, 1u);
  EXPECT_TRUE(device_.peer(a.public_key));
  EXPECT_TRUE(device_.peer(c.public_key));
  EXPECT_FALSE(device_.peer(bad.public_key));
}

TEST_F(ReconcilerTest, TheServersOwnKeyIsNeverAPeer) {
  NewPeer self = testing::named("self");
  self.keys.public_key = server_key_;
  ASSERT_TRUE(store_->create(self, pool_));
  Reconciler r(*store_, device_, options());
  auto result = r.run_once();
  ASSERT_TRUE(result);
  EXPECT_EQ(device_.peer_count(), 0u);
  EXPECT_EQ(result->on_interface, 0u);
}

TEST_F(ReconcilerTest, AnUnreadableInterfaceFailsThePassAndRecovers) {
  auto a = create("alice");
  device_.set_fail_get(true);
  auto o = options();
  o.interval = 50ms;
  Reconciler r(*store_, device_, std::move(o));
  auto first = r.run_once();
  ASSERT_FALSE(first);
  EXPECT_NE(first.error().message.find("fake interface"), std::string::npos) << first.error().message;
  r.start();
  device_.set_fail_get(false);
  EXPECT_TRUE(eventually([&] { return device_.peer(a.public_key).has_value(); }));
  EXPECT_GE(r.stats().failures, 1u);
}

TEST_F(ReconcilerTest, StopReleasesWaiters) {
  Reconciler r(*store_, device_, options());
  r.start();
  r.stop();
  EXPECT_TRUE(r.wait(r.request(), 1s));
}

}  // namespace
}  // namespace wgd::serve
