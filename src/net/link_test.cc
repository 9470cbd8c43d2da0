#include "net/link.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "net/net_test_fixture.h"

namespace wgd::net {
namespace {

using NetLinkTest = NetnsTest;

bool has_flag(const nlohmann::json& link, const std::string& flag) {
  const auto& flags = link["flags"];
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

TEST_F(NetLinkTest, GetByNameAndByIndexAgreesWithIp) {
  int index = add_veth("wgdn0", "wgdn1");
  ASSERT_GT(index, 0);
  auto by_name = link_get(nl(), "wgdn0");
  ASSERT_TRUE(by_name) << by_name.error().message;
  auto shown = ip_json({"-d", "link", "show", "dev", "wgdn0"})[0];
  EXPECT_EQ(by_name->index, shown["ifindex"].get<int>());
  EXPECT_EQ(by_name->name, "wgdn0");
  EXPECT_EQ(by_name->mtu, shown["mtu"].get<std::uint32_t>());
  EXPECT_EQ(by_name->kind, shown["linkinfo"]["info_kind"].get<std::string>());
  EXPECT_EQ(by_name->kind, "veth");
  EXPECT_TRUE(by_name->up);
  EXPECT_TRUE(by_name->running);

  auto by_index = link_get(nl(), index);
  ASSERT_TRUE(by_index) << by_index.error().message;
  EXPECT_EQ(by_index->name, "wgdn0");

  auto idx = link_index(nl(), "wgdn1");
  ASSERT_TRUE(idx);
  EXPECT_EQ(*idx, ifindex_of("wgdn1"));
}

TEST_F(NetLinkTest, TunInterfaceReportsItsKindAndNoCarrier) {
  ip({"tuntap", "add", "mode", "tun", "name", "wgdt0"});
  ASSERT_TRUE(link_set_up(nl(), "wgdt0", true));
  auto info = link_get(nl(), "wgdt0");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->kind, "tun");
  EXPECT_TRUE(info->up);
  EXPECT_FALSE(info->running);  // nobody has the TUN open, so no carrier
}

TEST_F(NetLinkTest, MissingInterfaceIsNamedInTheError) {
  auto info = link_get(nl(), "wgdnope0");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ENODEV);
  EXPECT_NE(info.error().message.find("wgdnope0"), std::string::npos) << info.error().message;

  auto idx = link_index(nl(), "wgdnope0");
  ASSERT_FALSE(idx);
  EXPECT_EQ(idx.error().code, ENODEV);

  auto by_index = link_get(nl(), 4242);
  ASSERT_FALSE(by_index);
  EXPECT_NE(by_index.error().message.find("ifindex 4242"), std::string::npos);

  auto too_long = link_get(nl(), "a-name-far-too-long-for-linux");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, EINVAL);
  EXPECT_NE(too_long.error().message.find("a-name-far-too-long-for-linux"), std::string::npos);
}

TEST_F(NetLinkTest, SetUpAndDownAsIpSeesIt) {
  ip({"link", "add", "wgdn0", "type", "veth", "peer", "name", "wgdn1"});
  auto before = ip_json({"link", "show", "dev", "wgdn0"})[0];
  EXPECT_FALSE(has_flag(before, "UP"));

  ASSERT_TRUE(link_set_up(nl(), "wgdn0", true));
  EXPECT_TRUE(has_flag(ip_json({"link", "show", "dev", "wgdn0"})[0], "UP"));
  EXPECT_TRUE(link_get(nl(), "wgdn0")->up);

  int index = ifindex_of("wgdn0");
  ASSERT_TRUE(link_set_up(nl(), index, false));  // by index this time
  EXPECT_FALSE(has_flag(ip_json({"link", "show", "dev", "wgdn0"})[0], "UP"));
  EXPECT_FALSE(link_get(nl(), "wgdn0")->up);

  auto missing = link_set_up(nl(), "wgdnope0", true);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("wgdnope0"), std::string::npos);
}

TEST_F(NetLinkTest, SetMtuAndRejectBadMtu) {
  add_veth("wgdn0", "wgdn1");
  ASSERT_TRUE(link_set_mtu(nl(), "wgdn0", 1420));
  EXPECT_EQ(ip_json({"link", "show", "dev", "wgdn0"})[0]["mtu"].get<int>(), 1420);
  EXPECT_EQ(link_get(nl(), "wgdn0")->mtu, 1420u);

  auto too_small = link_set_mtu(nl(), "wgdn0", 10);
  ASSERT_FALSE(too_small);
  EXPECT_EQ(too_small.error().code, EINVAL);
  // The kernel's extended ACK says why, after the errno text (wording of kernels since 4.19).
  EXPECT_TRUE(too_small.error().message.starts_with("set MTU 10 on wgdn0: Invalid argument ("))
      << too_small.error().message;
  EXPECT_NE(too_small.error().message.find("minimum"), std::string::npos);
  auto too_big = link_set_mtu(nl(), "wgdn0", 70000);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, EINVAL);
  // The failed attempts left the MTU alone.
  EXPECT_EQ(ip_json({"link", "show", "dev", "wgdn0"})[0]["mtu"].get<int>(), 1420);
}

TEST_F(NetLinkTest, ListMatchesIp) {
  add_veth("wgdn0", "wgdn1");
  ip({"tuntap", "add", "mode", "tun", "name", "wgdt0"});
  auto links = link_list(nl());
  ASSERT_TRUE(links) << links.error().message;
  std::set<std::tuple<int, std::string, std::uint32_t>> ours, theirs;
  for (const auto& l : *links) ours.emplace(l.index, l.name, l.mtu);
  for (const auto& l : ip_json({"link", "show"}))
    theirs.emplace(l["ifindex"].get<int>(), l["ifname"].get<std::string>(),
                   l["mtu"].get<std::uint32_t>());
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(ours.size(), 4u);  // lo, the veth pair, the tun
}

TEST_F(NetLinkTest, DeleteByNameAndByIndex) {
  ip({"tuntap", "add", "mode", "tun", "name", "wgdt0"});
  ip({"tuntap", "add", "mode", "tun", "name", "wgdt1"});
  ASSERT_TRUE(link_delete(nl(), "wgdt0"));
  EXPECT_EQ(ifindex_of("wgdt0"), -1);
  ASSERT_TRUE(link_delete(nl(), ifindex_of("wgdt1")));
  EXPECT_EQ(ifindex_of("wgdt1"), -1);

  auto again = link_delete(nl(), "wgdt0");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ENODEV);
  EXPECT_NE(again.error().message.find("delete interface wgdt0"), std::string::npos);
}

}  // namespace
}  // namespace wgd::net
