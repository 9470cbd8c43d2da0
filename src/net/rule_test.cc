#include "net/rule.h"

#include <gtest/gtest.h>

#include "net/address.h"
#include "net/net_test_fixture.h"
#include "net/route.h"

namespace wgd::net {
namespace {

using NetRuleTest = NetnsTest;
constexpr auto kV4 = IpAddress::Family::kV4;
constexpr auto kV6 = IpAddress::Family::kV6;

// `ip [-6] rule show` lines without the "PRIO:\t" column.
std::vector<std::string> rule_lines(NetnsTest& t, bool v6) {
  std::vector<std::string> out;
  std::string text = t.ns().ip({v6 ? "-6" : "-4", "rule", "show"}).value_or("");
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    auto tab = line.find('\t');
    if (tab != std::string::npos) line = line.substr(tab + 1);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (!line.empty()) out.push_back(line);
    pos = end + 1;
  }
  return out;
}

TEST_F(NetRuleTest, WgQuickRulesLookExactlyAsIpShowsWgQuicks) {
  for (auto f : {kV4, kV6}) {
    ASSERT_TRUE(rule_add(nl(), wg_quick_fwmark_rule(f, 51820)));
    ASSERT_TRUE(rule_add(nl(), wg_quick_suppress_rule(f)));
  }
  const std::vector<std::string> expected = {
      "from all lookup local",
      "from all lookup main suppress_prefixlength 0",
      "not from all fwmark 0xca6c lookup 51820",
      "from all lookup main",
  };
  auto v4 = rule_lines(*this, false);
  auto v6 = rule_lines(*this, true);
  EXPECT_EQ(std::vector<std::string>(v4.begin(), v4.begin() + 4), expected);
  EXPECT_EQ(v4.back(), "from all lookup default");
  EXPECT_EQ(v6, expected);
  EXPECT_EQ(wg_quick_fwmark_rule(kV4, 51820).to_string(),
            "not from all fwmark 0xca6c lookup 51820");
  EXPECT_EQ(wg_quick_suppress_rule(kV6).to_string(),
            "from all lookup main suppress_prefixlength 0");

  // And byte for byte what wg-quick's own commands produce, in a namespace of their own.
  auto other = wgd::testing::TestNetns::create("wgdnet");
  ASSERT_TRUE(other) << other.error().message;
  for (const char* fam : {"-4", "-6"}) {
    ASSERT_TRUE(other->ip({fam, "rule", "add", "not", "fwmark", "51820", "table", "51820"}));
    ASSERT_TRUE(other->ip({fam, "rule", "add", "table", "main", "suppress_prefixlength", "0"}));
    auto theirs = other->ip_json({fam, "rule", "show"});
    auto ours = ns().ip_json({fam, "rule", "show"});
    ASSERT_TRUE(theirs && ours);
    EXPECT_EQ(*ours, *theirs) << fam;
  }
}

TEST_F(NetRuleTest, ListReadsRulesBack) {
  ASSERT_TRUE(rule_add(nl(), wg_quick_fwmark_rule(kV4, 51820)));
  ASSERT_TRUE(rule_add(nl(), wg_quick_suppress_rule(kV4)));
  Rule masked{.family = kV6, .table = 100, .fwmark = 0x10, .fwmask = 0xff, .priority = 1000};
  ASSERT_TRUE(rule_add(nl(), masked));

  auto v4 = rule_list(nl(), kV4);
  ASSERT_TRUE(v4) << v4.error().message;
  auto theirs = ip_json({"-4", "rule", "show"});
  ASSERT_EQ(v4->size(), theirs.size());
  for (std::size_t i = 0; i < v4->size(); ++i) {
    EXPECT_EQ((*v4)[i].priority, theirs[i]["priority"].get<std::uint32_t>());
    EXPECT_FALSE((*v4)[i].other_selectors);
  }
  Rule fwmark = wg_quick_fwmark_rule(kV4, 51820);
  fwmark.priority = 32765;
  Rule suppress = wg_quick_suppress_rule(kV4);
  suppress.priority = 32764;
  EXPECT_EQ((*v4)[1], suppress);
  EXPECT_EQ((*v4)[2], fwmark);

  auto v6 = rule_list(nl(), kV6);
  ASSERT_TRUE(v6);
  auto it = std::find_if(v6->begin(), v6->end(), [](const Rule& r) { return r.table == 100; });
  ASSERT_NE(it, v6->end());
  EXPECT_EQ(*it, masked);
  EXPECT_EQ(it->to_string(), "from all fwmark 0x10/0xff lookup 100");
  auto lines = rule_lines(*this, true);
  EXPECT_NE(std::find(lines.begin(), lines.end(), it->to_string()), lines.end());
}

TEST_F(NetRuleTest, RulesWithOtherSelectorsAreMarked) {
  ip({"rule", "add", "from", "192.0.2.0/24", "table", "51820"});
  auto v4 = rule_list(nl(), kV4);
  ASSERT_TRUE(v4);
  auto it = std::find_if(v4->begin(), v4->end(), [](const Rule& r) { return r.table == 51820; });
  ASSERT_NE(it, v4->end());
  EXPECT_TRUE(it->other_selectors);
  // So "ensure" does not take it for the plain rule.
  auto added = rule_add_if_missing(nl(), Rule{.family = kV4, .table = 51820});
  ASSERT_TRUE(added);
  EXPECT_TRUE(*added);
}

TEST_F(NetRuleTest, DuplicatesEexistAndDeleteAll) {
  // Without a priority the kernel takes a new one each time: two identical rules.
  ASSERT_TRUE(rule_add(nl(), wg_quick_fwmark_rule(kV4, 51820)));
  ASSERT_TRUE(rule_add(nl(), wg_quick_fwmark_rule(kV4, 51820)));
  EXPECT_EQ(rule_lines(*this, false).size(), 5u);
  // rule_add_if_missing sees the existing one and adds nothing.
  auto added = rule_add_if_missing(nl(), wg_quick_fwmark_rule(kV4, 51820));
  ASSERT_TRUE(added);
  EXPECT_FALSE(*added);
  EXPECT_EQ(rule_lines(*this, false).size(), 5u);
  // wg-quick's down: delete every rule of the table.
  auto deleted = rule_delete_all(nl(), Rule{.family = kV4, .table = 51820});
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(rule_lines(*this, false).size(), 3u);

  // With a priority, an identical rule is refused.
  Rule pinned = wg_quick_suppress_rule(kV6);
  pinned.priority = 100;
  ASSERT_TRUE(rule_add(nl(), pinned));
  auto again = rule_add(nl(), pinned);
  ASSERT_FALSE(again);
  EXPECT_TRUE(is_already_exists(again.error()));
  EXPECT_NE(again.error().message.find("add rule -6 from all lookup main suppress_prefixlength 0"),
            std::string::npos)
      << again.error().message;

  // The suppress rule deleted by its selectors, as wg-quick does.
  ASSERT_TRUE(rule_delete(nl(), wg_quick_suppress_rule(kV6)));
  EXPECT_EQ(rule_lines(*this, true).size(), 2u);
  auto missing = rule_delete(nl(), wg_quick_suppress_rule(kV6));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  auto none = rule_delete_all(nl(), wg_quick_suppress_rule(kV6));
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
}

TEST_F(NetRuleTest, WgQuickRulesRouteEverythingButMarkedTrafficThroughTheTable) {
  // The effect the two rules exist for: the tunnel's own (marked) packets follow main, the rest
  // follows the default route in table 51820, and the main table's specific routes still win.
  int tunnel = add_veth("wgdnt0", "wgdnt1");
  int uplink = add_veth("wgdnu0", "wgdnu1");
  ASSERT_TRUE(address_add(nl(), uplink, *IpPrefix::parse("192.0.2.1/24")));
  ASSERT_TRUE(address_add(nl(), tunnel, *IpPrefix::parse("10.7.0.2/32")));
  ip({"route", "add", "default", "via", "192.0.2.254"});
  ASSERT_TRUE(route_add(
      nl(), {.destination = *IpPrefix::parse("0.0.0.0/0"), .oif = tunnel, .table = 51820}));
  ASSERT_TRUE(rule_add(nl(), wg_quick_fwmark_rule(kV4, 51820)));
  ASSERT_TRUE(rule_add(nl(), wg_quick_suppress_rule(kV4)));

  auto internet = route_get(nl(), *IpAddress::parse("203.0.113.5"));
  ASSERT_TRUE(internet) << internet.error().message;
  EXPECT_EQ(internet->oif, tunnel);
  EXPECT_EQ(internet->table, 51820u);
  auto endpoint = route_get(nl(), *IpAddress::parse("203.0.113.5"), 51820);
  ASSERT_TRUE(endpoint) << endpoint.error().message;
  EXPECT_EQ(endpoint->oif, uplink);
  auto lan = route_get(nl(), *IpAddress::parse("192.0.2.9"));
  ASSERT_TRUE(lan);
  EXPECT_EQ(lan->oif, uplink);  // suppress_prefixlength 0 keeps the /24 in main
}

}  // namespace
}  // namespace wgd::net
