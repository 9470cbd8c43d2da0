// CRUD, conflicts, allocation, settings and the store revision over real SQLite files.
#include "serve/store/sqlite_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "crypto/key_codec.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "serve/store/store_factory.h"
#include "serve/store/store_test_support.h"

namespace wgd::serve {
namespace {

using testing::named;
using testing::TempDir;
using testing::test_pool;

IpAddress ip(std::string_view s) {
  return *IpAddress::parse(s);
}
IpPrefix prefix(std::string_view s) {
  return *IpPrefix::parse(s);
}
std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::open(dir_.file("wgd.db"));
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }

  PeerRecord create(NewPeer spec, const AddressPool& pool = test_pool()) {
    auto r = store_->create(spec, pool);
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : PeerRecord{};
  }
  // The error of a call that must fail, checked for its kind.
  template <class T>
  Error failure(const Result<T>& r, StoreErrorKind kind) {
    EXPECT_FALSE(r);
    if (r) return {};
    EXPECT_EQ(store_error_kind(r.error()), kind) << r.error().message;
    return r.error();
  }
  std::int64_t count() { return store_->list({})->total; }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

void expect_same(const PeerRecord& a, const PeerRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.public_key, b.public_key);
  ASSERT_EQ(a.private_key.has_value(), b.private_key.has_value());
  if (a.private_key) {
    EXPECT_EQ(std::memcmp(a.private_key->data(), b.private_key->data(), 32), 0);
  }
  ASSERT_EQ(a.preshared_key.has_value(), b.preshared_key.has_value());
  if (a.preshared_key) {
    EXPECT_EQ(std::memcmp(a.preshared_key->data(), b.preshared_key->data(), 32), 0);
  }
  EXPECT_EQ(a.ipv4, b.ipv4);
  EXPECT_EQ(a.ipv6, b.ipv6);
  EXPECT_EQ(a.extra_allowed_ips, b.extra_allowed_ips);
  EXPECT_EQ(a.client_allowed_ips, b.client_allowed_ips);
  EXPECT_EQ(a.dns, b.dns);
  EXPECT_EQ(a.persistent_keepalive, b.persistent_keepalive);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.enabled, b.enabled);
  EXPECT_EQ(a.expires_at, b.expires_at);
  EXPECT_EQ(a.managed_by, b.managed_by);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.revision, b.revision);
}

TEST_F(SqliteStoreTest, CreateStoresEveryFieldAndReadsItBackThreeWays) {
  NewPeer spec = named("Site-A");
  spec.preshared_key = crypto::PresharedKey{};
  crypto::random_bytes(spec.preshared_key->span());
  spec.extra_allowed_ips = {prefix("192.168.10.0/24"), prefix("2001:db8:10::/48")};
  spec.client_allowed_ips = {prefix("10.8.0.0/24"), prefix("192.168.0.0/16")};
  spec.dns = {"10.8.0.1", "corp.example"};
  spec.persistent_keepalive = 25;
  spec.description = "branch office router";
  spec.enabled = false;
  spec.expires_at = 2'000'000'000;
  spec.managed_by = "provisioning";
  std::int64_t before = now();
  PeerRecord r = create(std::move(spec));
  EXPECT_GT(r.id, 0);
  EXPECT_EQ(r.ipv4, ip("10.8.0.2"));
  EXPECT_EQ(r.ipv6, ip("fd00:8::2"));
  EXPECT_TRUE(r.private_key);  // server-generated
  EXPECT_EQ(r.revision, 1);
  EXPECT_GE(r.created_at, before);
  EXPECT_LE(r.created_at, now());
  EXPECT_EQ(r.updated_at, r.created_at);

  auto by_id = store_->get(r.id);
  ASSERT_TRUE(by_id) << by_id.error().message;
  expect_same(*by_id, r);
  auto by_name = store_->get_by_name("site-a");  // names are case-insensitive
  ASSERT_TRUE(by_name);
  expect_same(*by_name, r);
  auto by_key = store_->get_by_public_key(r.public_key);
  ASSERT_TRUE(by_key);
  expect_same(*by_key, r);

  // And from a second store object (a new connection), after the first is gone.
  store_.reset();
  auto again = SqliteStore::open(dir_.file("wgd.db"));
  ASSERT_TRUE(again);
  expect_same(*(*again)->get(r.id), r);
}

TEST_F(SqliteStoreTest, ClientSuppliedKeyMeansNoPrivateKeyStored) {
  NewPeer spec = named("phone");
  spec.keys.public_key = crypto::x25519_public(crypto::x25519_generate());
  PeerRecord r = create(std::move(spec));
  EXPECT_FALSE(store_->get(r.id)->private_key);
}

TEST_F(SqliteStoreTest, NotFound) {
  EXPECT_EQ(failure(store_->get(42), StoreErrorKind::kNotFound).message, "peer 42 not found");
  failure(store_->get_by_name("nobody"), StoreErrorKind::kNotFound);
  failure(store_->get_by_public_key(crypto::PublicKey{}), StoreErrorKind::kNotFound);
  failure(store_->update(42, {}, test_pool()), StoreErrorKind::kNotFound);
  failure(store_->remove(42), StoreErrorKind::kNotFound);
}

TEST_F(SqliteStoreTest, EveryConflictIsRefusedAndNothingIsStored) {
  crypto::PrivateKey alice_key = crypto::x25519_generate();
  NewPeer alice = named("alice");
  alice.keys.private_key = alice_key.clone();
  alice.extra_allowed_ips = {prefix("192.168.50.0/24")};
  PeerRecord a = create(std::move(alice));
  ASSERT_EQ(a.ipv4, ip("10.8.0.2"));

  EXPECT_EQ(failure(store_->create(named("alice"), test_pool()), StoreErrorKind::kConflict).message,
            "name: 'alice' is already taken");
  EXPECT_EQ(failure(store_->create(named("ALICE"), test_pool()), StoreErrorKind::kConflict).message,
            "name: 'ALICE' is already taken (by 'alice')");

  NewPeer same_key = named("bob");
  same_key.keys.private_key = alice_key.clone();
  Error e = failure(store_->create(same_key, test_pool()), StoreErrorKind::kConflict);
  EXPECT_EQ(e.message, "public_key: already used by peer alice");
  // No secret ever appears in an error.
  EXPECT_EQ(e.message.find(crypto::key_to_base64(alice_key.span())), std::string::npos);

  auto with_v4 = [](std::string_view address) {
    NewPeer p = named("bob");
    p.ipv4 = AddressRequest::exactly(ip(address));
    return p;
  };
  EXPECT_EQ(
      failure(store_->create(with_v4("10.8.0.2"), test_pool()), StoreErrorKind::kConflict).message,
      "ipv4: 10.8.0.2 is already taken by peer alice");
  EXPECT_EQ(
      failure(store_->create(with_v4("10.8.0.1"), test_pool()), StoreErrorKind::kConflict).message,
      "ipv4: 10.8.0.1 is the server's address");
  EXPECT_EQ(
      failure(store_->create(with_v4("10.9.0.5"), test_pool()), StoreErrorKind::kInvalid).message,
      "ipv4: 10.9.0.5 is outside 10.8.0.0/24");
  EXPECT_EQ(
      failure(store_->create(with_v4("10.8.0.0"), test_pool()), StoreErrorKind::kInvalid).message,
      "ipv4: 10.8.0.0 is the network address of 10.8.0.0/24");
  EXPECT_EQ(
      failure(store_->create(with_v4("10.8.0.255"), test_pool()), StoreErrorKind::kInvalid).message,
      "ipv4: 10.8.0.255 is the broadcast address of 10.8.0.0/24");
  EXPECT_EQ(
      failure(store_->create(with_v4("fd00:8::9"), test_pool()), StoreErrorKind::kInvalid).message,
      "ipv4: fd00:8::9 is not an IPv4 address");

  NewPeer v6 = named("bob");
  v6.ipv6 = AddressRequest::exactly(ip("fd00:8::2"));
  EXPECT_EQ(failure(store_->create(v6, test_pool()), StoreErrorKind::kConflict).message,
            "ipv6: fd00:8::2 is already taken by peer alice");

  NewPeer route = named("bob");
  route.extra_allowed_ips = {prefix("192.168.50.0/24")};
  EXPECT_EQ(failure(store_->create(route, test_pool()), StoreErrorKind::kConflict).message,
            "extra_allowed_ips: 192.168.50.0/24 is already routed to peer alice");

  failure(store_->create(named("bad name"), test_pool()), StoreErrorKind::kInvalid);
  EXPECT_EQ(count(), 1);

  // The explicit address that was refused above is fine once free and inside the subnet.
  PeerRecord b = create(with_v4("10.8.0.200"));
  EXPECT_EQ(b.ipv4, ip("10.8.0.200"));
}

TEST_F(SqliteStoreTest, SlashTwentyNineFillsUpWithExactlyFivePeersThenSubnetFull) {
  AddressPool pool = test_pool("10.8.0.1/29", "");
  std::set<IpAddress> got;
  for (int i = 0; i < 5; ++i) {
    PeerRecord r = create(named("p" + std::to_string(i)), pool);
    ASSERT_TRUE(r.ipv4);
    EXPECT_FALSE(r.ipv6);  // no IPv6 subnet: "auto" gives none
    got.insert(*r.ipv4);
  }
  EXPECT_EQ(got, (std::set<IpAddress>{ip("10.8.0.2"), ip("10.8.0.3"), ip("10.8.0.4"),
                                      ip("10.8.0.5"), ip("10.8.0.6")}));
  Error e = failure(store_->create(named("p5"), pool), StoreErrorKind::kSubnetFull);
  EXPECT_EQ(e.message, "ipv4: no free address left in 10.8.0.0/29");
  EXPECT_EQ(count(), 5);
  // Freeing one makes exactly that address available again.
  auto p2 = store_->get_by_name("p2");
  ASSERT_TRUE(store_->remove(p2->id));
  EXPECT_EQ(create(named("p6"), pool).ipv4, ip("10.8.0.4"));
}

TEST_F(SqliteStoreTest, Ipv6AllocationAndSingleFamilyPeers) {
  PeerRecord a = create(named("a"));
  PeerRecord b = create(named("b"));
  EXPECT_EQ(a.ipv6, ip("fd00:8::2"));
  EXPECT_EQ(b.ipv6, ip("fd00:8::3"));
  NewPeer only6 = named("only6");
  only6.ipv4 = AddressRequest::none();
  PeerRecord c = create(std::move(only6));
  EXPECT_FALSE(c.ipv4);
  EXPECT_EQ(c.ipv6, ip("fd00:8::4"));
  NewPeer explicit6 = named("explicit6");
  explicit6.ipv6 = AddressRequest::exactly(ip("fd00:8::abcd"));
  EXPECT_EQ(create(std::move(explicit6)).ipv6, ip("fd00:8::abcd"));
  NewPeer anycast = named("anycast");
  anycast.ipv6 = AddressRequest::exactly(ip("fd00:8::"));
  failure(store_->create(anycast, test_pool()), StoreErrorKind::kInvalid);
  NewPeer no_subnet = named("nosubnet");
  no_subnet.ipv6 = AddressRequest::exactly(ip("fd00:8::77"));
  EXPECT_EQ(
      failure(store_->create(no_subnet, test_pool("10.8.0.1/24", "")), StoreErrorKind::kInvalid)
          .message,
      "ipv6: the server has no IPv6 tunnel subnet");
}

TEST_F(SqliteStoreTest, UpdateIsPartialBumpsRevisionAndChecksConflicts) {
  PeerRecord a = create(named("alice"));
  PeerRecord b = create(named("bob"));
  PeerUpdate u;
  u.description = "laptop";
  u.enabled = false;
  u.dns = std::vector<std::string>{"9.9.9.9"};
  u.expected_revision = a.revision;
  auto r = store_->update(a.id, u, test_pool());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->revision, a.revision + 1);
  EXPECT_EQ(r->description, "laptop");
  EXPECT_FALSE(r->enabled);
  EXPECT_EQ(r->ipv4, a.ipv4);  // untouched
  EXPECT_EQ(r->public_key, a.public_key);
  expect_same(*store_->get(a.id), *r);

  // The same expected revision again is stale now.
  EXPECT_EQ(failure(store_->update(a.id, u, test_pool()), StoreErrorKind::kConflict).message,
            "revision: peer alice is at revision 2, not 1 (changed meanwhile)");
  failure(store_->remove(a.id, 1), StoreErrorKind::kConflict);

  PeerUpdate rename;
  rename.name = "Bob";
  failure(store_->update(a.id, rename, test_pool()), StoreErrorKind::kConflict);
  rename.name = "Alice";  // its own name in another case is fine
  EXPECT_EQ(store_->update(a.id, rename, test_pool())->name, "Alice");

  PeerUpdate move;
  move.ipv4 = AddressRequest::exactly(*b.ipv4);
  EXPECT_EQ(failure(store_->update(a.id, move, test_pool()), StoreErrorKind::kConflict).message,
            "ipv4: 10.8.0.3 is already taken by peer bob");
  move.ipv4 = AddressRequest::exactly(ip("10.8.0.100"));
  move.ipv6 = AddressRequest::none();
  r = store_->update(a.id, move, test_pool());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->ipv4, ip("10.8.0.100"));
  EXPECT_FALSE(r->ipv6);
  // The freed addresses go to the next peer; "auto" gives alice a new IPv6 address.
  PeerRecord carol = create(named("carol"));
  EXPECT_EQ(carol.ipv4, a.ipv4);
  EXPECT_EQ(carol.ipv6, a.ipv6);
  PeerUpdate again6;
  again6.ipv6 = AddressRequest::automatic();
  again6.ipv4 = AddressRequest::automatic();  // keeps 10.8.0.100
  r = store_->update(a.id, again6, test_pool());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ipv4, ip("10.8.0.100"));
  EXPECT_EQ(r->ipv6, ip("fd00:8::4"));

  PeerUpdate rekey;
  rekey.keys = KeyMaterial{};
  r = store_->update(a.id, rekey, test_pool());
  ASSERT_TRUE(r);
  EXPECT_NE(r->public_key, a.public_key);
  EXPECT_EQ(r->public_key, crypto::x25519_public(*r->private_key));
  PeerUpdate steal_key;
  steal_key.keys = KeyMaterial{b.public_key, std::nullopt};
  EXPECT_EQ(
      failure(store_->update(a.id, steal_key, test_pool()), StoreErrorKind::kConflict).message,
      "public_key: already used by peer bob");

  PeerUpdate routes;
  routes.extra_allowed_ips = std::vector<IpPrefix>{prefix("192.168.7.0/24")};
  ASSERT_TRUE(store_->update(b.id, routes, test_pool()));
  failure(store_->update(a.id, routes, test_pool()), StoreErrorKind::kConflict);
  routes.extra_allowed_ips = std::vector<IpPrefix>{};
  ASSERT_TRUE(store_->update(b.id, routes, test_pool()));
  EXPECT_TRUE(store_->update(
      a.id, PeerUpdate{.extra_allowed_ips = std::vector<IpPrefix>{prefix("192.168.7.0/24")}},
      test_pool()));
  EXPECT_EQ(store_->get(a.id)->extra_allowed_ips, std::vector<IpPrefix>{prefix("192.168.7.0/24")});
  EXPECT_TRUE(store_->get(b.id)->extra_allowed_ips.empty());
}

TEST_F(SqliteStoreTest, RemoveFreesNameAddressAndRoutes) {
  NewPeer spec = named("gone");
  spec.extra_allowed_ips = {prefix("192.168.9.0/24")};
  PeerRecord g = create(std::move(spec));
  ASSERT_TRUE(store_->remove(g.id, g.revision));
  failure(store_->get(g.id), StoreErrorKind::kNotFound);
  failure(store_->remove(g.id), StoreErrorKind::kNotFound);
  NewPeer again = named("gone");
  again.extra_allowed_ips = {prefix("192.168.9.0/24")};
  PeerRecord h = create(std::move(again));
  EXPECT_EQ(h.ipv4, g.ipv4);
  EXPECT_GT(h.id, g.id);  // ids are never reused
}

TEST_F(SqliteStoreTest, ExpiredPeerStaysInTheStore) {
  NewPeer spec = named("temp");
  spec.expires_at = now() - 10;
  PeerRecord t = create(std::move(spec));
  auto r = store_->get(t.id);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->active_at(now()));
  EXPECT_EQ(count(), 1);
}

TEST_F(SqliteStoreTest, ListFiltersAndPages) {
  for (int i = 0; i < 30; ++i) {
    NewPeer p = named(fmt::format("{}_{:02}", i % 2 ? "laptop" : "phone", i));
    p.enabled = i % 3 != 0;
    p.managed_by = i < 10 ? "provisioning" : "api";
    create(std::move(p));
  }
  create(named("laptopXbad"));  // '_' in the filter must match literally, not any character
  auto all = store_->list({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->total, 31);
  EXPECT_EQ(all->peers.size(), 31u);
  EXPECT_TRUE(std::is_sorted(all->peers.begin(), all->peers.end(),
                             [](auto& a, auto& b) { return a.id < b.id; }));

  auto laptops = store_->list({.name_contains = "LAPTOP_"});
  EXPECT_EQ(laptops->total, 15);
  auto disabled = store_->list({.enabled = false});
  EXPECT_EQ(disabled->total, 10);
  auto prov = store_->list({.enabled = true, .managed_by = "provisioning"});
  EXPECT_EQ(prov->total, 6);  // i in 1..9 with i % 3 != 0
  for (auto& p : prov->peers) EXPECT_EQ(p.managed_by, "provisioning");

  auto page = store_->list({.name_contains = "phone", .limit = 4, .offset = 12});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 15);
  ASSERT_EQ(page->peers.size(), 3u);  // 15 phones, the last page holds 3
  EXPECT_EQ(page->peers[0].name, "phone_24");
  auto offset_only = store_->list({.offset = 29});
  EXPECT_EQ(offset_only->peers.size(), 2u);
}

TEST_F(SqliteStoreTest, ListCarriesRoutesOfEachPeer) {
  for (int i = 0; i < 5; ++i) {
    NewPeer p = named("site" + std::to_string(i));
    if (i % 2 == 0)
      p.extra_allowed_ips = {prefix(fmt::format("192.168.{}.0/24", i)),
                             prefix(fmt::format("172.16.{}.0/24", i))};
    create(std::move(p));
  }
  auto odd_filtered = store_->list({.name_contains = "site"});
  ASSERT_TRUE(odd_filtered);
  for (const PeerRecord& p : odd_filtered->peers) {
    int i = p.name.back() - '0';
    if (i % 2 == 0) {
      ASSERT_EQ(p.extra_allowed_ips.size(), 2u) << p.name;
      EXPECT_EQ(p.extra_allowed_ips[0], prefix(fmt::format("192.168.{}.0/24", i)));
    } else {
      EXPECT_TRUE(p.extra_allowed_ips.empty()) << p.name;
    }
  }
}

TEST_F(SqliteStoreTest, CreateManyIsAllOrNothing) {
  std::vector<NewPeer> batch;
  batch.push_back(named("one"));
  batch.push_back(named("two"));
  batch.push_back(named("one"));  // duplicate inside the batch
  auto r = store_->create_many(batch, test_pool());
  EXPECT_EQ(failure(r, StoreErrorKind::kConflict).message,
            "peers[2]: name: 'one' is already taken");
  EXPECT_EQ(count(), 0);
  batch.pop_back();
  batch.push_back(named("three"));
  auto ok = store_->create_many(batch, test_pool());
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(ok->size(), 3u);
  EXPECT_EQ((*ok)[0].ipv4, ip("10.8.0.2"));
  EXPECT_EQ((*ok)[2].ipv4, ip("10.8.0.4"));
}

TEST_F(SqliteStoreTest, SettingsAndPutIfAbsent) {
  EXPECT_FALSE(*store_->get_setting("server.private_key"));
  ASSERT_TRUE(store_->set_setting("listen_port", "51820"));
  EXPECT_EQ(**store_->get_setting("listen_port"), "51820");
  ASSERT_TRUE(store_->set_setting("listen_port", "51821"));
  EXPECT_EQ(**store_->get_setting("listen_port"), "51821");
  EXPECT_EQ(*store_->put_setting_if_absent("server.key", "first"), "first");
  EXPECT_EQ(*store_->put_setting_if_absent("server.key", "second"), "first");
  failure(store_->set_setting("bad key", "x"), StoreErrorKind::kInvalid);
  failure(store_->set_setting("big", std::string(64 * 1024 + 1, 'x')), StoreErrorKind::kInvalid);
}

TEST_F(SqliteStoreTest, TwoGatewaysStartingAtOnceAgreeOnOneValue) {
  constexpr int kGateways = 8;
  std::vector<std::string> winners(kGateways);
  std::vector<std::thread> threads;
  for (int g = 0; g < kGateways; ++g)
    threads.emplace_back([&, g] {
      auto s = SqliteStore::open(dir_.file("wgd.db"));
      ASSERT_TRUE(s);
      auto w =
          (*s)->put_setting_if_absent("server.private_key", "key-of-gateway-" + std::to_string(g));
      ASSERT_TRUE(w) << w.error().message;
      winners[g] = *w;
    });
  for (auto& t : threads) t.join();
  for (const std::string& w : winners) EXPECT_EQ(w, winners[0]);
  EXPECT_EQ(**store_->get_setting("server.private_key"), winners[0]);
}

TEST_F(SqliteStoreTest, StoreRevisionMovesOnEveryWriteSeenByOtherObjects) {
  auto other = SqliteStore::open(dir_.file("wgd.db"));
  ASSERT_TRUE(other);
  std::int64_t r0 = *(*other)->store_revision();
  PeerRecord p = create(named("x"));
  std::int64_t r1 = *(*other)->store_revision();
  EXPECT_GT(r1, r0);
  ASSERT_TRUE(store_->get(p.id));
  ASSERT_TRUE(store_->list({}));
  EXPECT_EQ(*(*other)->store_revision(), r1);  // reads do not count
  ASSERT_TRUE(store_->update(p.id, PeerUpdate{.description = "d"}, test_pool()));
  std::int64_t r2 = *(*other)->store_revision();
  EXPECT_GT(r2, r1);
  ASSERT_TRUE(store_->set_setting("k", "v"));
  std::int64_t r3 = *(*other)->store_revision();
  EXPECT_GT(r3, r2);
  ASSERT_TRUE(store_->remove(p.id));
  EXPECT_GT(*(*other)->store_revision(), r3);
  // A refused write changes nothing.
  std::int64_t r4 = *(*other)->store_revision();
  failure(store_->remove(p.id), StoreErrorKind::kNotFound);
  EXPECT_EQ(*(*other)->store_revision(), r4);
}

TEST(StoreFactory, OpensSqliteUrlsAndRefusesOthers) {
  TempDir dir;
  auto a = open_store("sqlite://" + dir.file("a.db"));
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE((*a)->create(named("x"), test_pool()));
  auto b = open_store(dir.file("a.db"));  // a plain path, the same file
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)->get_by_name("x")->name, "x");

  auto pg = open_store("postgres://wgd@db.example/wgd");
  ASSERT_FALSE(pg);
  EXPECT_EQ(store_error_kind(pg.error()), StoreErrorKind::kInvalid);
  EXPECT_NE(pg.error().message.find("PostgreSQL is not built"), std::string::npos);
  auto odd = open_store("mysql://x/y");
  ASSERT_FALSE(odd);
  EXPECT_NE(odd.error().message.find("unknown URL scheme in 'mysql'"), std::string::npos);
  auto missing_dir = open_store(dir.file("no/such/dir/x.db"));
  ASSERT_FALSE(missing_dir);
  EXPECT_NE(missing_dir.error().message.find("no/such/dir/x.db"), std::string::npos);
}

}  // namespace
}  // namespace wgd::serve
