#include <gtest/gtest.h>

#include "net/sysctl.h"

namespace wgd::net {
namespace {

TEST(SysctlPath, DottedAndSlashedKeys) {
  EXPECT_EQ(sysctl_path("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(sysctl_path("net.ipv6.conf.all.forwarding"), "/proc/sys/net/ipv6/conf/all/forwarding");
  // A VLAN interface name keeps its dot when the key is written with slashes, as in sysctl(8).
  EXPECT_EQ(sysctl_path("net/ipv4/conf/eth0.10/rp_filter"),
            "/proc/sys/net/ipv4/conf/eth0.10/rp_filter");
}

TEST(SysctlPath, KeysThatCouldEscapeAreRefused) {
  EXPECT_FALSE(sysctl_path(""));
  EXPECT_FALSE(sysctl_path("net..ipv4"));
  EXPECT_FALSE(sysctl_path(".net.ipv4"));
  EXPECT_FALSE(sysctl_path("net.ipv4."));
  EXPECT_FALSE(sysctl_path("net/../../etc/shadow"));
  EXPECT_FALSE(sysctl_path("/net/ipv4/ip_forward"));
  EXPECT_FALSE(sysctl_path("net/./ipv4"));
  EXPECT_FALSE(sysctl_path(std::string_view("net.ip\0v4", 9)));
}

TEST(SysctlKey, ErrorsNameTheKey) {
  auto bad = sysctl_read("net..x");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("net..x"), std::string::npos);
  EXPECT_EQ(bad.error().code, EINVAL);
}

}  // namespace
}  // namespace wgd::net
