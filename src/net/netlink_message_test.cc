#include "net/netlink_message.h"

#include <gtest/gtest.h>
#include <linux/rtnetlink.h>

#include <cstring>

namespace wgd::net {
namespace {

TEST(NetlinkMessage, AttributesRoundTrip) {
  NetlinkMessage msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  auto& rtm = msg.put_header<rtmsg>();
  rtm.rtm_family = AF_INET6;
  rtm.rtm_dst_len = 48;
  msg.put_u32(RTA_TABLE, 51820);
  msg.put_address(RTA_DST, *IpAddress::parse("2001:db8:1::"));
  msg.put_string(RTA_UNSPEC + 100, "ignored");  // above RTA_MAX: must not break parsing
  msg.put_u8(RTA_PREF, 1);
  ASSERT_FALSE(msg.overflowed());

  const nlmsghdr& h = *msg.header();
  EXPECT_EQ(h.nlmsg_type, RTM_NEWROUTE);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
  const auto* parsed = message_header<rtmsg>(h);
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(parsed->rtm_dst_len, 48);

  AttributeTable t(h, sizeof(rtmsg), RTA_MAX);
  EXPECT_EQ(t.u32(RTA_TABLE), 51820u);
  EXPECT_EQ(t.address(RTA_DST, IpAddress::Family::kV6)->to_string(), "2001:db8:1::");
  // The wrong family's length does not decode as an address.
  EXPECT_FALSE(t.address(RTA_DST, IpAddress::Family::kV4));
  EXPECT_EQ(t.u8(RTA_PREF), 1);
  EXPECT_FALSE(t.has(RTA_OIF));
  EXPECT_FALSE(t.u32(RTA_OIF));
  EXPECT_EQ(t.get(RTA_UNSPEC + 100), nullptr);
}

TEST(NetlinkMessage, ShortAttributesAreRejected) {
  NetlinkMessage msg(RTM_NEWLINK, 0);
  msg.put_header<ifinfomsg>();
  msg.put_u8(IFLA_MTU, 7);  // a u32 attribute carrying one byte
  AttributeTable t(*msg.header(), sizeof(ifinfomsg), IFLA_MAX);
  EXPECT_TRUE(t.has(IFLA_MTU));
  EXPECT_FALSE(t.u32(IFLA_MTU));
  EXPECT_EQ(t.u8(IFLA_MTU), 7);
}

TEST(NetlinkMessage, StringsStopAtTheAttributeEnd) {
  NetlinkMessage msg(RTM_NEWLINK, 0);
  msg.put_header<ifinfomsg>();
  msg.put_string(IFLA_IFNAME, "wg0");
  // An attribute whose payload has no NUL must not be read past its end.
  const char raw[4] = {'a', 'b', 'c', 'd'};
  mnl_attr_put(msg.header(), IFLA_QDISC, sizeof raw, raw);
  AttributeTable t(*msg.header(), sizeof(ifinfomsg), IFLA_MAX);
  EXPECT_EQ(t.string(IFLA_IFNAME), "wg0");
  EXPECT_EQ(t.string(IFLA_QDISC), "abcd");
}

TEST(NetlinkMessage, OverflowIsRecordedNotWritten) {
  NetlinkMessage msg(RTM_NEWLINK, 0);
  msg.put_header<ifinfomsg>();
  std::string big(2000, 'x');
  msg.put_string(IFLA_IFALIAS, big);
  EXPECT_TRUE(msg.overflowed());
  EXPECT_LT(msg.header()->nlmsg_len, 1024u);
}

TEST(NetlinkMessage, TruncatedMessagesHaveNoHeaderOrAttributes) {
  NetlinkMessage msg(RTM_NEWADDR, 0);  // no fixed header put
  EXPECT_EQ(message_header<ifaddrmsg>(*msg.header()), nullptr);
  AttributeTable t(*msg.header(), sizeof(ifaddrmsg), IFA_MAX);
  EXPECT_FALSE(t.has(IFA_ADDRESS));
}

TEST(NetlinkMessage, Families) {
  EXPECT_EQ(address_family(IpAddress::Family::kV4), AF_INET);
  EXPECT_EQ(address_family(IpAddress::Family::kV6), AF_INET6);
  EXPECT_EQ(family_from_af(AF_INET6), IpAddress::Family::kV6);
  EXPECT_FALSE(family_from_af(AF_BRIDGE));
}

}  // namespace
}  // namespace wgd::net
