// The reconciler's plan as pure logic: exact adds, updates and removes, never replace_peers.
#include "serve/reconcile_plan.h"

#include <gtest/gtest.h>

#include "crypto/random.h"
#include "crypto/x25519.h"

namespace wgd::serve {
namespace {

crypto::PublicKey random_key() {
  return crypto::x25519_public(crypto::x25519_generate());
}

crypto::PresharedKey psk(std::uint8_t fill) {
  crypto::PresharedKey k;
  std::fill(k.data(), k.data() + k.size(), fill);
  return k;
}

PeerIntent intent(std::int64_t id, std::string name, std::string ip) {
  PeerIntent p;
  p.id = id;
  p.name = std::move(name);
  p.public_key = random_key();
  p.allowed_ips = {*IpPrefix::parse(ip)};
  return p;
}

wg::PeerStatus status_of(const PeerIntent& p) {
  wg::PeerStatus s;
  s.public_key = p.public_key;
  if (p.preshared_key) s.preshared_key = p.preshared_key->clone();
  s.persistent_keepalive = p.persistent_keepalive;
  s.allowed_ips = p.allowed_ips;
  return s;
}

constexpr std::int64_t kNow = 1'700'000'000;
const crypto::PublicKey kServer = random_key();

TEST(ReconcilePlan, EqualStatesNeedNothing) {
  std::vector<PeerIntent> peers;
  peers.push_back(intent(1, "a", "10.8.0.2/32"));
  peers.push_back(intent(2, "b", "10.8.0.3/32"));
  peers[1].preshared_key = psk(7);
  peers[1].persistent_keepalive = 25;
  peers[1].allowed_ips.push_back(*IpPrefix::parse("192.168.1.0/24"));
  wg::DeviceStatus actual;
  actual.peers.push_back(status_of(peers[1]));  // another order, and allowed IPs reversed
  actual.peers.push_back(status_of(peers[0]));
  std::reverse(actual.peers[0].allowed_ips.begin(), actual.peers[0].allowed_ips.end());
  auto plan = plan_reconcile(peers, actual, kNow, kServer);
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(plan.change.peers.empty());
}

TEST(ReconcilePlan, AddsUpdatesRemovesInThatOrderWithoutReplacePeers) {
  std::vector<PeerIntent> peers;
  peers.push_back(intent(1, "new", "10.8.0.2/32"));
  peers.push_back(intent(2, "changed", "10.8.0.3/32"));
  peers.push_back(intent(3, "disabled", "10.8.0.4/32"));
  peers[2].enabled = false;
  wg::DeviceStatus actual;
  actual.peers.push_back(status_of(peers[1]));
  actual.peers.back().allowed_ips = {*IpPrefix::parse("10.8.0.99/32")};  // `wg set` by hand
  actual.peers.push_back(status_of(peers[2]));
  wg::PeerStatus stranger;
  stranger.public_key = random_key();
  actual.peers.push_back(std::move(stranger));

  auto plan = plan_reconcile(peers, actual, kNow, kServer);
  EXPECT_FALSE(plan.change.replace_peers);
  ASSERT_EQ(plan.actions.size(), 4u);
  ASSERT_EQ(plan.change.peers.size(), 4u);
  // Removes first (disabled, unknown), then the update, then the add.
  EXPECT_EQ(plan.actions[0].kind, PlannedAction::Kind::kRemove);
  EXPECT_EQ(plan.actions[1].kind, PlannedAction::Kind::kRemove);
  EXPECT_EQ(plan.actions[2].kind, PlannedAction::Kind::kUpdate);
  EXPECT_EQ(plan.actions[3].kind, PlannedAction::Kind::kAdd);
  EXPECT_EQ(plan.actions[0].reason, "disabled");
  EXPECT_EQ(plan.actions[1].reason, "not in the store");
  EXPECT_EQ(plan.actions[1].peer, nullptr);
  EXPECT_EQ(plan.actions[2].reason, "allowed IPs differs");
  EXPECT_EQ(plan.actions[3].peer->name, "new");
  EXPECT_TRUE(plan.change.peers[0].remove);
  EXPECT_TRUE(plan.change.peers[1].remove);

  const wg::PeerChange& update = plan.change.peers[2];
  EXPECT_FALSE(update.remove);
  EXPECT_TRUE(update.update_only);  // never re-creates a peer removed meanwhile
  EXPECT_TRUE(update.replace_allowed_ips);
  EXPECT_EQ(update.allowed_ips, peers[1].allowed_ips);
  EXPECT_EQ(update.public_key, peers[1].public_key);

  const wg::PeerChange& add = plan.change.peers[3];
  EXPECT_FALSE(add.update_only);
  EXPECT_TRUE(add.replace_allowed_ips);
  EXPECT_EQ(add.public_key, peers[0].public_key);
  EXPECT_EQ(add.allowed_ips, peers[0].allowed_ips);
  EXPECT_FALSE(add.endpoint);  // the client's roaming endpoint is never overwritten
}

TEST(ReconcilePlan, PresharedKeyAndKeepaliveDifferences) {
  std::vector<PeerIntent> peers;
  peers.push_back(intent(1, "psk", "10.8.0.2/32"));
  peers[0].preshared_key = psk(1);
  peers.push_back(intent(2, "nopsk", "10.8.0.3/32"));
  peers.push_back(intent(3, "ka", "10.8.0.4/32"));
  peers[2].persistent_keepalive = 25;
  wg::DeviceStatus actual;
  actual.peers.push_back(status_of(peers[0]));
  actual.peers.back().preshared_key = psk(2);  // a different key
  actual.peers.push_back(status_of(peers[1]));
  actual.peers.back().preshared_key = psk(3);  // one the store does not have
  actual.peers.push_back(status_of(peers[2]));
  actual.peers.back().persistent_keepalive = 0;

  auto plan = plan_reconcile(peers, actual, kNow, kServer);
  ASSERT_EQ(plan.actions.size(), 3u);
  for (const auto& a : plan.actions) EXPECT_EQ(a.kind, PlannedAction::Kind::kUpdate);
  EXPECT_EQ(plan.actions[0].reason, "preshared key differs");
  ASSERT_TRUE(plan.change.peers[0].preshared_key);
  EXPECT_EQ(std::memcmp(plan.change.peers[0].preshared_key->data(), psk(1).data(), 32), 0);
  // Removing a preshared key is an all-zero key.
  ASSERT_TRUE(plan.change.peers[1].preshared_key);
  EXPECT_TRUE(plan.change.peers[1].preshared_key->is_zero());
  EXPECT_EQ(plan.actions[2].reason, "persistent keepalive differs");
  EXPECT_EQ(plan.change.peers[2].persistent_keepalive, 25);
}

TEST(ReconcilePlan, ExpiryAndTheServersOwnKey) {
  std::vector<PeerIntent> peers;
  peers.push_back(intent(1, "expired", "10.8.0.2/32"));
  peers[0].expires_at = kNow;  // expires at the second it reaches
  peers.push_back(intent(2, "later", "10.8.0.3/32"));
  peers[1].expires_at = kNow + 60;
  peers.push_back(intent(3, "self", "10.8.0.4/32"));
  peers[2].public_key = kServer;
  peers.push_back(intent(4, "disabled-expired", "10.8.0.5/32"));
  peers[3].enabled = false;
  peers[3].expires_at = kNow - 10;
  wg::DeviceStatus actual;
  actual.peers.push_back(status_of(peers[0]));

  auto plan = plan_reconcile(peers, actual, kNow, kServer);
  ASSERT_EQ(plan.actions.size(), 2u);
  EXPECT_EQ(plan.actions[0].kind, PlannedAction::Kind::kRemove);
  EXPECT_EQ(plan.actions[0].reason, "expired");
  EXPECT_EQ(plan.actions[1].kind, PlannedAction::Kind::kAdd);
  EXPECT_EQ(plan.actions[1].peer->name, "later");
  // The earliest future expiry of an enabled peer is when the next pass must run.
  EXPECT_EQ(next_expiry(peers, kNow), kNow + 60);
  EXPECT_EQ(next_expiry(peers, kNow + 60), std::nullopt);
  // A minute later "later" goes too.
  plan = plan_reconcile(peers, actual, kNow + 60, kServer);
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].reason, "expired");
}

TEST(ReconcilePlan, RoutesOfActivePeersOnly) {
  std::vector<PeerIntent> peers;
  peers.push_back(intent(1, "site-a", "10.8.0.2/32"));
  peers[0].extra_allowed_ips = {*IpPrefix::parse("192.168.20.0/24"), *IpPrefix::parse("192.168.10.0/24")};
  peers.push_back(intent(2, "site-b", "10.8.0.3/32"));
  peers[1].extra_allowed_ips = {*IpPrefix::parse("172.16.0.0/16")};
  peers[1].enabled = false;
  auto routes = wanted_routes(peers, kNow, kServer);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].to_string(), "192.168.10.0/24");
  EXPECT_EQ(routes[1].to_string(), "192.168.20.0/24");
}

TEST(ReconcilePlan, ThousandsOfPeersFromScratch) {
  std::vector<PeerIntent> peers;
  for (int i = 0; i < 5000; ++i)
    peers.push_back(intent(i + 1, "p" + std::to_string(i),
                           IpAddress::v4(0x0a080000u + 2 + static_cast<std::uint32_t>(i)).to_string() + "/32"));
  auto plan = plan_reconcile(peers, wg::DeviceStatus{}, kNow, kServer);
  EXPECT_EQ(plan.actions.size(), 5000u);
  wg::DeviceStatus all;
  for (const auto& p : peers) all.peers.push_back(status_of(p));
  EXPECT_TRUE(plan_reconcile(peers, all, kNow, kServer).empty());
}

}  // namespace
}  // namespace wgd::serve
