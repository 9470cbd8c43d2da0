#include "util/ip.h"

#include <gtest/gtest.h>

namespace wgd {
namespace {

TEST(IpAddress, ParseAndFormat) {
  EXPECT_EQ(IpAddress::parse("192.0.2.1")->to_string(), "192.0.2.1");
  EXPECT_EQ(IpAddress::parse("2001:DB8::1")->to_string(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::parse("192.0.2.256"));
  EXPECT_FALSE(IpAddress::parse("192.0.2"));
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_FALSE(IpAddress::parse("example.com"));
  EXPECT_EQ(IpAddress::parse("::ffff:192.0.2.7")->unmapped(), *IpAddress::parse("192.0.2.7"));
}

TEST(IpPrefix, ParseMaskContains) {
  auto p = IpPrefix::parse("10.1.2.3/16");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->to_string(), "10.1.2.3/16");
  EXPECT_EQ(p->canonical().to_string(), "10.1.0.0/16");
  EXPECT_TRUE(p->contains(*IpAddress::parse("10.1.255.1")));
  EXPECT_FALSE(p->contains(*IpAddress::parse("10.2.0.1")));
  EXPECT_FALSE(p->contains(*IpAddress::parse("::1")));
  EXPECT_EQ(IpPrefix::parse("fd00::1")->length, 128);
  EXPECT_EQ(IpPrefix::parse("1.2.3.4")->length, 32);
  EXPECT_EQ(IpPrefix::parse("fd00:1:2:3::/61")->canonical().to_string(), "fd00:1:2::/61");
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/33"));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/"));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/-1"));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/8x"));
  EXPECT_TRUE(IpPrefix::parse("0.0.0.0/0")->overlaps(*IpPrefix::parse("8.8.8.8/32")));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/9")->overlaps(*IpPrefix::parse("10.128.0.0/9")));
}

TEST(Endpoint, ParseFormatSockaddr) {
  auto e = Endpoint::parse("192.0.2.1:51820");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->to_string(), "192.0.2.1:51820");
  auto e6 = Endpoint::parse("[2001:db8::1]:443");
  ASSERT_TRUE(e6);
  EXPECT_EQ(e6->to_string(), "[2001:db8::1]:443");
  EXPECT_FALSE(Endpoint::parse("2001:db8::1:443"));
  EXPECT_FALSE(Endpoint::parse("192.0.2.1:65536"));
  EXPECT_FALSE(Endpoint::parse("192.0.2.1:"));
  EXPECT_FALSE(Endpoint::parse("192.0.2.1"));
  EXPECT_FALSE(Endpoint::parse("[fe80::1%nosuchif0]:1"));

  sockaddr_storage ss;
  socklen_t len = e6->to_sockaddr(ss);
  EXPECT_EQ(Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len), e6);
  sockaddr_in6 mapped;
  len = e->to_sockaddr_v6(mapped);
  EXPECT_EQ(Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&mapped), len), e);
}

}  // namespace
}  // namespace wgd
