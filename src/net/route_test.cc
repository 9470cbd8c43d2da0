#include "net/route.h"

#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include "net/address.h"
#include "net/net_test_fixture.h"

namespace wgd::net {
namespace {

IpPrefix prefix(std::string_view text) {
  return *IpPrefix::parse(text);
}
IpAddress addr(std::string_view text) {
  return *IpAddress::parse(text);
}

// (destination, oif, table, metric or -1) — the fields both sides report for a route.
using RouteKey = std::tuple<std::string, int, std::uint32_t, long>;

class NetRouteTest : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (HasFatalFailure()) return;
    a_ = add_veth("wgdna0", "wgdna1");
    b_ = add_veth("wgdnb0", "wgdnb1");
    ASSERT_GT(a_, 0);
    ASSERT_GT(b_, 0);
    ASSERT_TRUE(address_add(nl(), a_, prefix("192.0.2.1/24")));
    ASSERT_TRUE(address_add(nl(), b_, prefix("198.51.100.1/24")));
    ASSERT_TRUE(address_add(nl(), a_, prefix("2001:db8:a::1/64")));
    ASSERT_TRUE(address_add(nl(), b_, prefix("2001:db8:b::1/64")));
  }

  // `ip -j [-6] route show table all` as RouteKeys, normalized to our notation.
  std::set<RouteKey> ip_routes(bool v6) {
    std::vector<std::string> args;
    args.push_back(v6 ? "-6" : "-4");
    for (const char* a : {"route", "show", "table", "all"}) args.emplace_back(a);
    std::set<RouteKey> out;
    for (const auto& r : ip_json(args)) {
      std::string dst = r["dst"].get<std::string>();
      if (dst == "default") dst = v6 ? "::/0" : "0.0.0.0/0";
      if (dst.find('/') == std::string::npos) dst += v6 ? "/128" : "/32";
      int oif = r.contains("dev") ? ifindex_of(r["dev"].get<std::string>()) : 0;
      std::string table = r.value("table", "main");
      std::uint32_t t = table == "main"    ? kTableMain
                        : table == "local" ? kTableLocal
                                           : static_cast<std::uint32_t>(std::stoul(table));
      out.emplace(dst, oif, t, r.contains("metric") ? r["metric"].get<long>() : -1);
    }
    return out;
  }

  static std::set<RouteKey> keys(const std::vector<RouteInfo>& routes) {
    std::set<RouteKey> out;
    for (const auto& r : routes)
      out.emplace(r.destination.to_string(), r.oif, r.table, r.metric ? long(*r.metric) : -1);
    return out;
  }

  int a_ = 0, b_ = 0;
};

TEST_F(NetRouteTest, AddToMainAndCustomTableAsIpShowsThem) {
  ASSERT_TRUE(route_add(nl(), {.destination = prefix("203.0.113.0/24"), .oif = a_}));
  ASSERT_TRUE(route_add(
      nl(), {.destination = prefix("10.9.0.0/16"), .oif = b_, .table = 51820, .metric = 7}));
  ASSERT_TRUE(route_add(nl(), {.destination = prefix("0.0.0.0/0"), .oif = b_, .table = 51820}));
  ASSERT_TRUE(route_add(nl(), {.destination = prefix("2001:db8:100::/48"), .oif = a_}));
  ASSERT_TRUE(route_add(nl(), {.destination = prefix("::/0"), .oif = b_, .table = 51820}));

  auto main4 = ip_json({"-d", "route", "show", "table", "main", "203.0.113.0/24"});
  ASSERT_EQ(main4.size(), 1u);
  EXPECT_EQ(main4[0]["dev"], "wgdna0");
  EXPECT_EQ(main4[0]["scope"], "link");  // on-link, like `ip route add ... dev`
  EXPECT_EQ(main4[0]["protocol"], "boot");

  auto custom4 = ip_json({"route", "show", "table", "51820"});
  ASSERT_EQ(custom4.size(), 2u);
  auto custom6 = ip_json({"-6", "route", "show", "table", "51820"});
  ASSERT_EQ(custom6.size(), 1u);
  EXPECT_EQ(custom6[0]["dst"], "default");
  EXPECT_EQ(custom6[0]["dev"], "wgdnb0");

  // Everything we list is what ip lists, across all tables and both families.
  for (bool v6 : {false, true}) {
    auto ours = route_list(nl(), {.family = v6 ? IpAddress::Family::kV6 : IpAddress::Family::kV4});
    ASSERT_TRUE(ours) << ours.error().message;
    EXPECT_EQ(keys(*ours), ip_routes(v6)) << (v6 ? "IPv6" : "IPv4");
  }
  EXPECT_TRUE(ip_routes(false).contains(RouteKey{"10.9.0.0/16", b_, 51820, 7}));
}

TEST_F(NetRouteTest, ListFiltersByTableOifAndFamily) {
  ASSERT_TRUE(route_add(nl(), {.destination = prefix("10.9.0.0/16"), .oif = b_, .table = 51820}));
  ASSERT_TRUE(route_add(nl(), {.destination = prefix("10.8.0.0/16"), .oif = a_, .table = 51820}));
  ASSERT_TRUE(route_add(nl(), {.destination = prefix("fd00:9::/32"), .oif = b_, .table = 51820}));
  auto t = route_list(nl(), {.table = 51820});
  ASSERT_TRUE(t);
  EXPECT_EQ(keys(*t), (std::set<RouteKey>{{"10.9.0.0/16", b_, 51820, -1},
                                          {"10.8.0.0/16", a_, 51820, -1},
                                          {"fd00:9::/32", b_, 51820, 1024}}));
  auto tb = route_list(nl(), {.family = IpAddress::Family::kV4, .table = 51820, .oif = b_});
  ASSERT_TRUE(tb);
  EXPECT_EQ(keys(*tb), (std::set<RouteKey>{{"10.9.0.0/16", b_, 51820, -1}}));
}

TEST_F(NetRouteTest, HostBitsAreClearedDuplicatesAndMissingRoutesReported) {
  ASSERT_TRUE(route_add(nl(), {.destination = prefix("203.0.113.77/24"), .oif = a_}));
  EXPECT_EQ(ip_json({"route", "show", "203.0.113.0/24"}).size(), 1u);

  auto dup = route_add(nl(), {.destination = prefix("203.0.113.0/24"), .oif = a_});
  ASSERT_FALSE(dup);
  EXPECT_TRUE(is_already_exists(dup.error()));
  EXPECT_NE(dup.error().message.find("203.0.113.0/24"), std::string::npos);

  ASSERT_TRUE(route_delete(nl(), {.destination = prefix("203.0.113.0/24"), .oif = a_}));
  EXPECT_TRUE(ip_json({"route", "show", "203.0.113.0/24"}).empty());
  auto gone = route_delete(nl(), {.destination = prefix("203.0.113.0/24"), .oif = a_});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ESRCH);

  ASSERT_TRUE(
      route_add(nl(), {.destination = prefix("2001:db8:100::/48"), .oif = b_, .table = 51820}));
  ASSERT_TRUE(
      route_delete(nl(), {.destination = prefix("2001:db8:100::/48"), .oif = b_, .table = 51820}));
  EXPECT_TRUE(ip_json({"-6", "route", "show", "table", "51820"}).empty());
}

TEST_F(NetRouteTest, AddOnADownInterfaceFailsWithContext) {
  ip({"link", "set", "wgdna0", "down"});
  auto r = route_add(nl(), {.destination = prefix("203.0.113.0/24"), .oif = a_});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENETDOWN);
  EXPECT_NE(r.error().message.find("add route 203.0.113.0/24 dev ifindex"), std::string::npos)
      << r.error().message;
  auto bad_oif = route_add(nl(), {.destination = prefix("203.0.113.0/24"), .oif = 0});
  ASSERT_FALSE(bad_oif);
  EXPECT_EQ(bad_oif.error().code, EINVAL);
}

TEST_F(NetRouteTest, GetChoosesTheRightInterfaceAsIpRouteGetDoes) {
  ip({"route", "add", "203.0.113.0/24", "via", "198.51.100.254"});
  ip({"route", "add", "2001:db8:cc::/48", "via", "2001:db8:a::fe"});
  struct Case {
    const char* dst;
    int oif;
    const char* gateway;
  } cases[] = {
      {"192.0.2.55", a_, nullptr},           {"198.51.100.9", b_, nullptr},
      {"203.0.113.5", b_, "198.51.100.254"}, {"2001:db8:a::77", a_, nullptr},
      {"2001:db8:b::77", b_, nullptr},       {"2001:db8:cc::1", a_, "2001:db8:a::fe"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.dst);
    auto r = route_get(nl(), addr(c.dst));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->oif, c.oif);
    auto theirs = ip_json({"route", "get", c.dst})[0];
    EXPECT_EQ(r->oif, ifindex_of(theirs["dev"].get<std::string>()));
    if (c.gateway) {
      ASSERT_TRUE(r->gateway);
      EXPECT_EQ(r->gateway->to_string(), c.gateway);
      EXPECT_EQ(theirs["gateway"], c.gateway);
    } else {
      EXPECT_FALSE(r->gateway);
    }
    ASSERT_TRUE(r->prefsrc);
    EXPECT_EQ(r->prefsrc->to_string(), theirs["prefsrc"].get<std::string>());
    EXPECT_EQ(r->table, kTableMain);
  }
}

TEST_F(NetRouteTest, GetHonoursFwmarkThroughPolicyRules) {
  ip({"rule", "add", "fwmark", "0x1234", "table", "51820"});
  ip({"route", "add", "default", "dev", "wgdnb0", "table", "51820"});
  ip({"route", "add", "default", "dev", "wgdna0"});
  auto plain = route_get(nl(), addr("203.0.113.5"));
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->oif, a_);
  EXPECT_EQ(plain->table, kTableMain);
  auto marked = route_get(nl(), addr("203.0.113.5"), 0x1234);
  ASSERT_TRUE(marked) << marked.error().message;
  EXPECT_EQ(marked->oif, b_);
  EXPECT_EQ(marked->table, 51820u);
  auto theirs = ip_json({"route", "get", "203.0.113.5", "mark", "0x1234"})[0];
  EXPECT_EQ(theirs["dev"], "wgdnb0");
  EXPECT_EQ(theirs["table"], "51820");
}

TEST_F(NetRouteTest, GetReportsTheRouteMtu) {
  // wg-quick's automatic MTU takes the endpoint route's mtu when it has one.
  ip({"route", "add", "203.0.113.0/24", "dev", "wgdna0", "mtu", "1400"});
  auto r = route_get(nl(), addr("203.0.113.9"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->mtu, 1400u);
  auto plain = route_get(nl(), addr("192.0.2.9"));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->mtu);
}

TEST_F(NetRouteTest, GetWithoutARouteFails) {
  auto r = route_get(nl(), addr("203.0.113.5"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENETUNREACH);
  EXPECT_NE(r.error().message.find("203.0.113.5"), std::string::npos);
  auto r6 = route_get(nl(), addr("2001:db8:ff::1"), 7);
  ASSERT_FALSE(r6);
  EXPECT_NE(r6.error().message.find("2001:db8:ff::1 with fwmark 0x7"), std::string::npos)
      << r6.error().message;
}

TEST_F(NetRouteTest, CoveringRouteMatchesIpRouteShowMatch) {
  // wg-quick: [[ -n $(ip route show dev IF match PREFIX) ]] || ip route add PREFIX dev IF
  ASSERT_TRUE(route_add(nl(), {.destination = prefix("10.9.0.0/16"), .oif = a_, .table = 51820}));
  struct Case {
    const char* prefix;
    int oif;
    std::uint32_t table;
    bool covered;
  } cases[] = {
      {"192.0.2.7/32", a_, kTableMain, true},   // inside the address's prefix route
      {"192.0.2.0/24", a_, kTableMain, true},   // the same prefix
      {"192.0.2.0/23", a_, kTableMain, false},  // wider than any route
      {"192.0.2.7/32", b_, kTableMain, false},  // another interface
      {"192.0.3.0/24", a_, kTableMain, false},  // elsewhere
      {"10.9.1.0/24", a_, 51820, true},         // a custom table
      {"10.9.1.0/24", a_, kTableMain, false},   // ... not the main one
      {"2001:db8:a::5/128", a_, kTableMain, true},
      {"2001:db8:b::5/128", a_, kTableMain, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.prefix);
    auto covered = has_route_covering(nl(), prefix(c.prefix), c.oif, c.table);
    ASSERT_TRUE(covered) << covered.error().message;
    EXPECT_EQ(*covered, c.covered);
    auto dev = c.oif == a_ ? "wgdna0" : "wgdnb0";
    std::string family = prefix(c.prefix).address.is_v4() ? "-4" : "-6";
    auto shown = ip(
        {family, "route", "show", "table", std::to_string(c.table), "dev", dev, "match", c.prefix});
    EXPECT_EQ(!shown.empty(), c.covered) << shown;
  }
}

}  // namespace
}  // namespace wgd::net
