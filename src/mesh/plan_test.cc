#include "mesh/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/key_codec.h"
#include "mesh/mesh_test_support.h"
#include "mesh/render.h"

namespace wgd::mesh {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using test::kSeedInventory;
using test::must_parse;
using test::no_random;
using test::ScriptedRandom;

MeshPlan must_plan(const Inventory& inv, const MeshState& state, const MeshRandom& random) {
  auto plan = plan_mesh(inv, state, random);
  if (!plan) {
    ADD_FAILURE() << plan.error().message;
    return {};
  }
  return std::move(*plan);
}

// The state a run leaves behind, through its JSON text as the next run reads it.
MeshState next_state(const MeshPlan& plan) {
  auto s = parse_state(render_state(plan.state), "state");
  EXPECT_TRUE(s);
  return s ? std::move(*s) : MeshState{};
}

std::string key_of(const PlannedHost& h) { return crypto::key_to_base64(h.public_key); }

TEST(Plan, FirstRunAllocatesAroundFixedAddresses) {
  ScriptedRandom r;
  MeshPlan plan = must_plan(must_parse(kSeedInventory), {}, r.random());
  ASSERT_EQ(plan.hosts.size(), 4u);
  EXPECT_EQ(*r.calls, 4);  // four keys; port and prefix are fixed in this inventory
  const auto& d = *plan.find("dolores");
  EXPECT_EQ(d.ipv4.to_string(), "10.195.171.142");  // fixed: kept as written
  EXPECT_EQ(d.ipv6->to_string(), "fdc1:d89e:b128:6a04::7de4");
  EXPECT_FALSE(d.new_ipv4);
  EXPECT_TRUE(d.new_key);
  EXPECT_EQ(plan.find("maeve")->ipv4.to_string(), "10.195.171.1");
  EXPECT_EQ(plan.find("bernard")->ipv4.to_string(), "10.195.171.2");
  EXPECT_EQ(plan.find("charlotte")->ipv4.to_string(), "10.195.171.3");
  EXPECT_EQ(plan.find("charlotte")->ipv6->to_string(), "fdc1:d89e:b128:6a04::3");
  EXPECT_TRUE(plan.find("charlotte")->new_ipv4);
  // Endpoints with the listen port when they name none; none for charlotte.
  EXPECT_EQ(d.endpoint, "203.0.113.54:55867");
  EXPECT_EQ(plan.find("bernard")->endpoint, "192.0.2.14:55867");
  EXPECT_FALSE(plan.find("charlotte")->endpoint);
  for (const auto& h : plan.hosts) EXPECT_EQ(h.listen_port, 55867);
  EXPECT_TRUE(plan.warnings.empty());
}

TEST(Plan, DeterministicGivenAState) {
  ScriptedRandom r;
  const Inventory inv = must_parse(kSeedInventory);
  const MeshState state = next_state(must_plan(inv, {}, r.random()));
  MeshPlan a = must_plan(inv, state, no_random());
  MeshPlan b = must_plan(inv, state, no_random());
  for (std::size_t i = 0; i < a.hosts.size(); ++i) {
    auto ta = render_host_config(a, i);
    auto tb = render_host_config(b, i);
    ASSERT_TRUE(ta && tb);
    EXPECT_EQ(*ta, *tb);
    EXPECT_FALSE(a.hosts[i].new_key || a.hosts[i].new_ipv4 || a.hosts[i].new_ipv6);
  }
  EXPECT_EQ(render_state(a.state), render_state(b.state));
}

TEST(Plan, ReRunKeepsKeysAddressesAndDrawnValues) {
  ScriptedRandom r;
  const Inventory inv = must_parse(
      "[mesh]\nipv4 = 10.1.0.0/24\n"
      "[host a]\nendpoint = 192.0.2.1\n[host b]\nendpoint = 192.0.2.2\n[host c]\n");
  MeshPlan first = must_plan(inv, {}, r.random());
  EXPECT_TRUE(first.new_ipv6_prefix);
  EXPECT_TRUE(first.new_mesh_port);
  EXPECT_EQ(first.ipv6_prefix->to_string(), "fd00:1::/64");  // drawn first
  EXPECT_EQ(first.mesh_port, 50002);
  MeshPlan second = must_plan(inv, next_state(first), no_random());
  EXPECT_FALSE(second.new_ipv6_prefix || second.new_mesh_port);
  EXPECT_EQ(second.ipv6_prefix, first.ipv6_prefix);
  EXPECT_EQ(second.mesh_port, first.mesh_port);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(key_of(second.hosts[i]), key_of(first.hosts[i]));
    EXPECT_EQ(second.hosts[i].ipv4, first.hosts[i].ipv4);
    EXPECT_EQ(second.hosts[i].ipv6, first.hosts[i].ipv6);
    EXPECT_EQ(second.hosts[i].listen_port, first.mesh_port);
  }
}

TEST(Plan, AddingAHostMovesNobody) {
  ScriptedRandom r;
  const std::string base =
      "[mesh]\nipv4 = 10.1.0.0/24\nipv6 = fd00:1::/64\nlisten_port = 51820\n"
      "[host a]\nendpoint = 192.0.2.1\n[host c]\nendpoint = 192.0.2.3\n";
  MeshPlan first = must_plan(must_parse(base), {}, r.random());
  // A new host listed first in the file still gets the next free address, not a's.
  MeshPlan second = must_plan(
      must_parse("[mesh]\nipv4 = 10.1.0.0/24\nipv6 = fd00:1::/64\nlisten_port = 51820\n"
                 "[host b]\nendpoint = 192.0.2.2\n"
                 "[host a]\nendpoint = 192.0.2.1\n[host c]\nendpoint = 192.0.2.3\n"),
      next_state(first), r.random());
  EXPECT_EQ(second.find("a")->ipv4, first.find("a")->ipv4);
  EXPECT_EQ(second.find("c")->ipv4, first.find("c")->ipv4);
  EXPECT_EQ(key_of(*second.find("a")), key_of(*first.find("a")));
  EXPECT_EQ(second.find("b")->ipv4.to_string(), "10.1.0.3");
  EXPECT_EQ(second.find("b")->ipv6->to_string(), "fd00:1::3");
  EXPECT_TRUE(second.find("b")->new_key);
  EXPECT_FALSE(second.find("a")->new_key);
}

TEST(Plan, RemovingAHostFreesItsAddressAndKey) {
  ScriptedRandom r;
  MeshPlan first = must_plan(
      must_parse("[mesh]\nipv4 = 10.1.0.0/24\n"
                 "[host a]\nendpoint = 192.0.2.1\n[host b]\nendpoint = 192.0.2.2\n"
                 "[host c]\nendpoint = 192.0.2.3\n"),
      {}, r.random());
  const std::string c_before = first.find("c")->ipv4.to_string();
  MeshPlan second = must_plan(
      must_parse("[mesh]\nipv4 = 10.1.0.0/24\n"
                 "[host a]\nendpoint = 192.0.2.1\n[host c]\nendpoint = 192.0.2.3\n"),
      next_state(first), no_random());
  EXPECT_THAT(second.removed_hosts, ElementsAre("b"));
  EXPECT_FALSE(second.state.hosts.contains("b"));
  EXPECT_EQ(second.find("c")->ipv4.to_string(), c_before);
  // b's address is free again; b itself comes back as a new host with a new key.
  MeshPlan third = must_plan(
      must_parse("[mesh]\nipv4 = 10.1.0.0/24\n"
                 "[host a]\nendpoint = 192.0.2.1\n[host c]\nendpoint = 192.0.2.3\n"
                 "[host d]\nendpoint = 192.0.2.4\n"),
      next_state(second), r.random());
  EXPECT_EQ(third.find("d")->ipv4, first.find("b")->ipv4);
  EXPECT_NE(key_of(*third.find("d")), key_of(*first.find("b")));
}

TEST(Plan, AFixedAddressWinsOverAKeptOne) {
  ScriptedRandom r;
  MeshPlan first = must_plan(
      must_parse("[mesh]\nipv4 = 10.1.0.0/24\n"
                 "[host a]\nendpoint = 192.0.2.1\n[host b]\nendpoint = 192.0.2.2\n"),
      {}, r.random());
  ASSERT_EQ(first.find("a")->ipv4.to_string(), "10.1.0.1");
  MeshPlan second = must_plan(
      must_parse("[mesh]\nipv4 = 10.1.0.0/24\n"
                 "[host a]\nendpoint = 192.0.2.1\n[host b]\nendpoint = 192.0.2.2\n"
                 "ipv4 = 10.1.0.1\n"),
      next_state(first), no_random());
  EXPECT_EQ(second.find("b")->ipv4.to_string(), "10.1.0.1");
  // a loses 10.1.0.1 to b's fixed address and gets the lowest free one: b's old address.
  EXPECT_EQ(second.find("a")->ipv4.to_string(), "10.1.0.2");
  EXPECT_TRUE(second.find("a")->new_ipv4);
  EXPECT_FALSE(second.find("b")->new_ipv4);
}

TEST(Plan, ANewSubnetReallocatesEveryone) {
  ScriptedRandom r;
  MeshPlan first = must_plan(
      must_parse("[mesh]\nipv4 = 10.1.0.0/24\n"
                 "[host a]\nendpoint = 192.0.2.1\n[host b]\nendpoint = 192.0.2.2\n"),
      {}, r.random());
  MeshPlan second = must_plan(
      must_parse("[mesh]\nipv4 = 10.2.0.0/24\n"
                 "[host a]\nendpoint = 192.0.2.1\n[host b]\nendpoint = 192.0.2.2\n"),
      next_state(first), no_random());
  EXPECT_EQ(second.find("a")->ipv4.to_string(), "10.2.0.1");
  EXPECT_EQ(second.find("b")->ipv4.to_string(), "10.2.0.2");
  EXPECT_EQ(key_of(*second.find("a")), key_of(*first.find("a")));
}

TEST(Plan, NoRoomIsAnError) {
  ScriptedRandom r;
  auto plan = plan_mesh(
      must_parse("[mesh]\nipv4 = 10.1.0.0/30\nipv6 = fd00::/126\n"
                 "[host a]\nendpoint = 192.0.2.1\n[host b]\nendpoint = 192.0.2.2\n"
                 "[host c]\nendpoint = 192.0.2.3\n[host d]\nendpoint = 192.0.2.4\n"),
      {}, r.random());
  ASSERT_FALSE(plan);
  EXPECT_THAT(plan.error().message,
              HasSubstr("mesh.ini:2: [mesh] ipv4: 10.1.0.0/30 has room for 2 hosts, the "
                        "inventory has 4"));
  EXPECT_THAT(plan.error().message,
              HasSubstr("mesh.ini:3: [mesh] ipv6: fd00::/126 has room for 3 hosts"));
}

TEST(Plan, ListenPorts) {
  ScriptedRandom r;
  MeshPlan plan = must_plan(
      must_parse("[mesh]\nipv4 = 10.1.0.0/24\nlisten_port = 51820\n"
                 "[host a]\nendpoint = a.example.net:40000\n"
                 "[host b]\nendpoint = [2001:db8::2]\nlisten_port = 41000\n"
                 "[host c]\nendpoint = c.example.net:42000\nlisten_port = 43000\n"
                 "[host d]\n"),
      {}, r.random());
  EXPECT_EQ(plan.find("a")->listen_port, 40000);  // the endpoint's port
  EXPECT_EQ(plan.find("a")->endpoint, "a.example.net:40000");
  EXPECT_EQ(plan.find("b")->listen_port, 41000);
  EXPECT_EQ(plan.find("b")->endpoint, "[2001:db8::2]:41000");
  EXPECT_EQ(plan.find("c")->listen_port, 43000);  // port forwarding: 42000 outside
  EXPECT_EQ(plan.find("c")->endpoint, "c.example.net:42000");
  EXPECT_EQ(plan.find("d")->listen_port, 51820);
}

TEST(Plan, RandomPortIsFromTheDynamicRange) {
  const MeshRandom random = system_random();
  for (int i = 0; i < 1000; ++i) {
    const std::uint16_t p = random.listen_port();
    ASSERT_GE(p, kRandomPortLow);
    ASSERT_LE(p, kRandomPortHigh);
  }
  const IpPrefix ula = random.ula_prefix();
  EXPECT_EQ(ula.length, 64);
  EXPECT_EQ(ula.address.bytes()[0], 0xfd);
  EXPECT_EQ(ula.canonical(), ula);
  EXPECT_NE(random.ula_prefix(), ula);  // 56 random bits
}

TEST(Plan, DrawnPrefixOverlappingASubnetIsAnError) {
  ScriptedRandom r;  // draws fd00:1::/64 first
  auto plan = plan_mesh(must_parse("[mesh]\nipv4 = 10.1.0.0/24\n"
                                   "[host a]\nendpoint = 192.0.2.1\nsubnets = fd00::/16\n"
                                   "[host b]\nendpoint = 192.0.2.2\n"),
                        {}, r.random());
  ASSERT_FALSE(plan);
  EXPECT_THAT(plan.error().message,
              HasSubstr("mesh.ini:5: [host a] subnets: fd00::/16 overlaps the mesh's IPv6 "
                        "prefix (auto) fd00:1::/64"));
}

TEST(Plan, Ipv6OffAndWarnings) {
  ScriptedRandom r;
  MeshPlan plan = must_plan(
      must_parse("[mesh]\nipv4 = 10.1.0.0/24\nipv6 = off\npersistent_keepalive = 0\n"
                 "[host a]\nendpoint = 192.0.2.1\n[host b]\n[host c]\n"),
      {}, r.random());
  EXPECT_FALSE(plan.ipv6_prefix);
  for (const auto& h : plan.hosts) EXPECT_FALSE(h.ipv6);
  ASSERT_EQ(plan.warnings.size(), 2u);
  EXPECT_THAT(plan.warnings[0], HasSubstr("b and c both have no endpoint"));
  EXPECT_THAT(plan.warnings[1], HasSubstr("persistent_keepalive = off"));
}

}  // namespace
}  // namespace wgd::mesh
