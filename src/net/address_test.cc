#include "net/address.h"

#include <gtest/gtest.h>
#include <linux/if_addr.h>

#include "net/net_test_fixture.h"

namespace wgd::net {
namespace {

using NetAddressTest = NetnsTest;

IpPrefix prefix(std::string_view text) {
  return *IpPrefix::parse(text);
}

// The addr_info entries `ip -j address show dev DEV` lists for `local`, as JSON objects.
std::vector<nlohmann::json> shown(const nlohmann::json& links, const std::string& local) {
  std::vector<nlohmann::json> found;
  for (const auto& link : links)
    for (const auto& a : link["addr_info"])
      if (a["local"] == local) found.push_back(a);
  return found;
}

class NetAddressOnVeth : public NetAddressTest {
 protected:
  void SetUp() override {
    NetAddressTest::SetUp();
    if (HasFatalFailure()) return;
    index_ = add_veth("wgdn0", "wgdn1");
    ASSERT_GT(index_, 0);
  }
  nlohmann::json addresses() { return ip_json({"address", "show", "dev", "wgdn0"}); }
  int index_ = 0;
};

TEST_F(NetAddressOnVeth, AddIpv4AndIpv6AsIpShowsThem) {
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("192.0.2.1/24")));
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("10.7.0.1")));  // bare address: /32 as in wg-quick
  ASSERT_TRUE(address_add(nl(), index_, prefix("2001:db8:7::1/64")));

  auto links = addresses();
  auto v4 = shown(links, "192.0.2.1");
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0]["family"], "inet");
  EXPECT_EQ(v4[0]["prefixlen"], 24);
  EXPECT_EQ(v4[0]["label"], "wgdn0");
  auto host = shown(links, "10.7.0.1");
  ASSERT_EQ(host.size(), 1u);
  EXPECT_EQ(host[0]["prefixlen"], 32);

  auto v6 = shown(links, "2001:db8:7::1");
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0]["family"], "inet6");
  EXPECT_EQ(v6[0]["prefixlen"], 64);
  // NODAD: usable at once, never tentative, even on a device that does DAD.
  EXPECT_TRUE(v6[0].value("nodad", false));
  EXPECT_FALSE(v6[0].value("tentative", false));

  // The prefix routes the kernel derives from the addresses, which wg-quick relies on.
  auto routes = ip_json({"route", "show", "dev", "wgdn0"});
  bool have_prefix_route = false;
  for (const auto& r : routes) have_prefix_route |= r["dst"] == "192.0.2.0/24";
  EXPECT_TRUE(have_prefix_route);
}

TEST_F(NetAddressOnVeth, WithoutSkipDadTheKernelRunsDad) {
  // The option is real: left to the kernel, a veth (not IFF_NOARP) starts DAD and the address is
  // tentative for about a second.
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("2001:db8:8::1/64"), {.skip_dad = false}));
  auto v6 = shown(addresses(), "2001:db8:8::1");
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_FALSE(v6[0].value("nodad", false));
  EXPECT_TRUE(v6[0].value("tentative", false));
  auto ours = address_list(nl(), {.link = "wgdn0", .family = IpAddress::Family::kV6});
  ASSERT_TRUE(ours);
  bool found = false;
  for (const auto& a : *ours)
    if (a.prefix == prefix("2001:db8:8::1/64")) {
      found = true;
      EXPECT_TRUE(a.tentative());
    }
  EXPECT_TRUE(found);
}

TEST_F(NetAddressOnVeth, DuplicateIsReportedAsAlreadyExists) {
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("192.0.2.1/24")));
  auto again = address_add(nl(), "wgdn0", prefix("192.0.2.1/24"));
  ASSERT_FALSE(again);
  EXPECT_TRUE(is_already_exists(again.error()));
  EXPECT_NE(again.error().message.find("192.0.2.1/24"), std::string::npos);

  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("2001:db8:7::1/64")));
  auto again6 = address_add(nl(), "wgdn0", prefix("2001:db8:7::1/64"));
  ASSERT_FALSE(again6);
  EXPECT_TRUE(is_already_exists(again6.error()));
  // Still exactly one of each.
  EXPECT_EQ(shown(addresses(), "192.0.2.1").size(), 1u);
  EXPECT_EQ(shown(addresses(), "2001:db8:7::1").size(), 1u);
}

TEST_F(NetAddressOnVeth, DeleteRemovesExactlyThatAddress) {
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("192.0.2.1/24")));
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("198.51.100.2/24")));
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("2001:db8:7::1/64")));
  ASSERT_TRUE(address_delete(nl(), "wgdn0", prefix("192.0.2.1/24")));
  ASSERT_TRUE(address_delete(nl(), "wgdn0", prefix("2001:db8:7::1/64")));
  auto links = addresses();
  EXPECT_TRUE(shown(links, "192.0.2.1").empty());
  EXPECT_TRUE(shown(links, "2001:db8:7::1").empty());
  EXPECT_EQ(shown(links, "198.51.100.2").size(), 1u);

  auto missing = address_delete(nl(), "wgdn0", prefix("192.0.2.1/24"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, EADDRNOTAVAIL);
  EXPECT_NE(missing.error().message.find("delete address 192.0.2.1/24 from wgdn0"),
            std::string::npos)
      << missing.error().message;
}

TEST_F(NetAddressOnVeth, DeletingAPrimaryAddressTakesItsSecondariesAlong) {
  // Kernel behaviour worth knowing (see address.h): without promote_secondaries, removing the
  // first IPv4 address of a subnet removes the later ones of the same subnet too.
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("192.0.2.1/24")));
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("192.0.2.2/24")));
  ASSERT_TRUE(address_delete(nl(), "wgdn0", prefix("192.0.2.1/24")));
  EXPECT_TRUE(shown(addresses(), "192.0.2.2").empty());
}

TEST_F(NetAddressOnVeth, ListMatchesIp) {
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("192.0.2.1/24")));
  ASSERT_TRUE(address_add(nl(), "wgdn0", prefix("2001:db8:7::1/64")));
  ASSERT_TRUE(address_add(nl(), "wgdn1", prefix("198.51.100.1/24")));

  auto ours = address_list(nl(), {.link = "wgdn0"});
  ASSERT_TRUE(ours) << ours.error().message;
  std::set<std::string> mine, theirs;
  for (const auto& a : *ours) {
    EXPECT_EQ(a.ifindex, index_);
    mine.insert(a.prefix.to_string());
  }
  for (const auto& link : addresses())
    for (const auto& a : link["addr_info"])
      theirs.insert(a["local"].get<std::string>() + "/" +
                    std::to_string(a["prefixlen"].get<int>()));
  EXPECT_EQ(mine, theirs);  // includes the kernel's fe80:: link-local address
  EXPECT_TRUE(mine.contains("192.0.2.1/24"));
  EXPECT_FALSE(mine.contains("198.51.100.1/24"));

  auto v4_all = address_list(nl(), {.family = IpAddress::Family::kV4});
  ASSERT_TRUE(v4_all);
  std::set<std::string> v4;
  for (const auto& a : *v4_all) {
    EXPECT_TRUE(a.prefix.address.is_v4());
    v4.insert(a.prefix.to_string());
  }
  EXPECT_EQ(v4, (std::set<std::string>{"127.0.0.1/8", "192.0.2.1/24", "198.51.100.1/24"}));
}

TEST_F(NetAddressTest, MissingInterfaceIsNamed) {
  auto r = address_add(nl(), "wgdnope9", prefix("192.0.2.1/24"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENODEV);
  EXPECT_EQ(r.error().message, "add address 192.0.2.1/24 to wgdnope9: No such device");
  auto by_index = address_add(nl(), 4242, prefix("192.0.2.1/24"));
  ASSERT_FALSE(by_index);
  EXPECT_EQ(by_index.error().code, ENODEV);
  EXPECT_NE(by_index.error().message.find("ifindex 4242"), std::string::npos);
  auto list = address_list(nl(), {.link = "wgdnope9"});
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().message.find("wgdnope9"), std::string::npos);
}

}  // namespace
}  // namespace wgd::net
