// The plan a registry answer gives against this factory's peers: creations, updates (matched
// by name), removals, renumbering after a server move, and swaps.
#include "serve/fleet/fleet_plan.h"

#include <gtest/gtest.h>

namespace wgd::serve::fleet {
namespace {

crypto::PublicKey key(std::uint8_t fill) {
  crypto::PublicKey k{};
  k.fill(fill);
  return k;
}
RegistryDevice device(std::string name, std::uint8_t k, std::optional<std::string> ip = std::nullopt, bool enabled = true) {
  RegistryDevice d;
  d.name = std::move(name);
  d.public_key = key(k);
  if (ip) d.ip = *IpAddress::parse(*ip);
  d.enabled = enabled;
  return d;
}
FleetPeer peer(std::int64_t id, std::string name, std::uint8_t k, std::optional<std::string> ip,
               std::vector<IpPrefix> extra = {}, bool enabled = true) {
  FleetPeer p;
  p.id = id;
  p.name = std::move(name);
  p.public_key = key(k);
  if (ip) p.ipv4 = *IpAddress::parse(*ip);
  p.extra_allowed_ips = std::move(extra);
  p.enabled = enabled;
  return p;
}
const TunnelSubnet kSubnet = TunnelSubnet::from_interface_address(*IpPrefix::parse("10.42.42.1/24"));
const TunnelSubnet kMoved = TunnelSubnet::from_interface_address(*IpPrefix::parse("10.42.44.1/24"));

FleetPlan plan(std::vector<RegistryDevice> d, std::vector<FleetPeer> p, const TunnelSubnet& s = kSubnet) {
  auto r = plan_fleet(d, p, s);
  EXPECT_TRUE(r) << r.error().message;
  return r ? std::move(*r) : FleetPlan{};
}

TEST(FleetPlan, CreatesUpdatesAndRemoves) {
  auto p = plan({device("keep", 1, "10.42.42.2"), device("rekeyed", 9, "10.42.42.3"),
                 device("moved", 3, "10.42.42.40"), device("off", 4, "10.42.42.5", false),
                 device("new", 5, "10.42.42.6"), device("auto", 6)},
                {peer(1, "keep", 1, "10.42.42.2"), peer(2, "rekeyed", 2, "10.42.42.3"),
                 peer(3, "moved", 3, "10.42.42.4"), peer(4, "off", 4, "10.42.42.5"),
                 peer(7, "gone", 7, "10.42.42.7")});
  EXPECT_EQ(p.unchanged, 1u);
  EXPECT_TRUE(p.release_first.empty());
  ASSERT_EQ(p.changes.size(), 6u);
  // Removals first, then updates, then creations.
  EXPECT_EQ(p.changes[0].kind, FleetChange::Kind::kRemove);
  EXPECT_EQ(p.changes[0].id, 7);
  EXPECT_EQ(p.changes[1].kind, FleetChange::Kind::kUpdate);
  EXPECT_EQ(p.changes[1].name, "rekeyed");
  EXPECT_EQ(p.changes[1].public_key, key(9));
  EXPECT_FALSE(p.changes[1].ipv4);
  EXPECT_EQ(p.changes[2].name, "moved");
  EXPECT_EQ(p.changes[2].ipv4->address.to_string(), "10.42.42.40");
  EXPECT_EQ(p.changes[2].reason, "ip 10.42.42.4 -> 10.42.42.40");
  EXPECT_EQ(p.changes[3].name, "off");
  EXPECT_EQ(p.changes[3].enabled, false);
  EXPECT_EQ(p.changes[4].kind, FleetChange::Kind::kCreate);
  EXPECT_EQ(p.changes[4].ipv4->mode, AddressRequest::Mode::kExplicit);
  EXPECT_EQ(p.changes[5].name, "auto");
  EXPECT_EQ(p.changes[5].ipv4->mode, AddressRequest::Mode::kAuto);

  const NewPeer n = to_new_peer(p.changes[4], "fleet:acme", "acme");
  EXPECT_EQ(n.managed_by, "fleet:acme");
  EXPECT_EQ(n.keys.public_key, key(5));
  EXPECT_FALSE(n.keys.private_key);  // the device keeps its key
  EXPECT_EQ(n.ipv6.mode, AddressRequest::Mode::kNone);
  const PeerUpdate u = to_update(p.changes[1]);
  EXPECT_EQ(u.keys->public_key, key(9));
  EXPECT_FALSE(u.ipv4);
  EXPECT_FALSE(u.enabled);
}

TEST(FleetPlan, NothingToDo) {
  auto p = plan({device("a", 1, "10.42.42.2"), device("b", 2)},
                {peer(1, "a", 1, "10.42.42.2"), peer(2, "B", 2, "10.42.42.3")});
  // "b" vs "B": the same device (names ignore case), renamed to the registry's spelling.
  ASSERT_EQ(p.changes.size(), 1u);
  EXPECT_EQ(p.changes[0].reason, "name B -> b");
  p = plan({device("a", 1, "10.42.42.2")}, {peer(1, "a", 1, "10.42.42.2")});
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.unchanged, 1u);
}

TEST(FleetPlan, AServerMoveRenumbersAndKeepsTheOldAddressRouted) {
  // The registry still lists the addresses of before `--vpnaddr 10.42.44.1`.
  auto p = plan({device("a", 1, "10.42.42.2"), device("b", 2, "10.42.42.3"), device("c", 3)},
                {peer(1, "a", 1, "10.42.42.2"), peer(2, "b", 2, "10.42.44.3", {*IpPrefix::parse("10.42.42.3/32")}),
                 peer(3, "c", 3, "10.42.42.9")},
                kMoved);
  ASSERT_EQ(p.changes.size(), 2u);
  EXPECT_EQ(p.changes[0].name, "a");
  EXPECT_EQ(p.changes[0].ipv4->address.to_string(), "10.42.44.2");
  EXPECT_EQ(*p.changes[0].extra_allowed_ips, std::vector<IpPrefix>{*IpPrefix::parse("10.42.42.2/32")});
  EXPECT_EQ(p.changes[1].name, "c");  // no registry address: its own moves the same way
  EXPECT_EQ(p.changes[1].ipv4->address.to_string(), "10.42.44.9");
  EXPECT_EQ(p.unchanged, 1u);         // b is there already

  // Once the registry reports the new address, the old one is no longer routed.
  p = plan({device("b", 2, "10.42.44.3")}, {peer(2, "b", 2, "10.42.44.3", {*IpPrefix::parse("10.42.42.3/32")})}, kMoved);
  ASSERT_EQ(p.changes.size(), 1u);
  EXPECT_EQ(p.changes[0].extra_allowed_ips->size(), 0u);
  EXPECT_EQ(p.changes[0].reason, "old address no longer routed");

  // A new device listed with an old address.
  p = plan({device("d", 4, "10.42.42.77")}, {}, kMoved);
  ASSERT_EQ(p.changes.size(), 1u);
  EXPECT_EQ(p.changes[0].ipv4->address.to_string(), "10.42.44.77");
  EXPECT_EQ(p.changes[0].extra_allowed_ips->at(0).to_string(), "10.42.42.77/32");
}

TEST(FleetPlan, SwapsReleaseFirst) {
  auto p = plan({device("a", 1, "10.42.42.3"), device("b", 2, "10.42.42.2")},
                {peer(1, "a", 1, "10.42.42.2"), peer(2, "b", 2, "10.42.42.3")});
  EXPECT_EQ(p.release_first.size(), 2u);
  ASSERT_EQ(p.changes.size(), 2u);
  // Taking a removed device's address needs no release: removals run first.
  p = plan({device("b", 2, "10.42.42.2")}, {peer(1, "a", 1, "10.42.42.2"), peer(2, "b", 2, "10.42.42.3")});
  EXPECT_TRUE(p.release_first.empty());
}

TEST(FleetPlan, RejectsAddressesThatCannotBePlaced) {
  const auto error = [](std::vector<RegistryDevice> d, const TunnelSubnet& s) {
    auto r = plan_fleet(d, std::vector<FleetPeer>{}, s);
    return r ? std::string("(planned)") : r.error().message;
  };
  EXPECT_NE(error({device("a", 1, "10.42.42.1")}, kSubnet).find("device a: 10.42.42.1 is not an address a device may have"),
            std::string::npos);
  EXPECT_NE(error({device("a", 1, "10.42.42.1")}, kMoved).find("lies outside the tunnel subnet 10.42.44.0/24"),
            std::string::npos);
  EXPECT_NE(error({device("a", 1, "10.42.42.5"), device("b", 2, "10.42.44.5")}, kMoved).find("devices a and b both get 10.42.44.5"),
            std::string::npos);
}

}  // namespace
}  // namespace wgd::serve::fleet
