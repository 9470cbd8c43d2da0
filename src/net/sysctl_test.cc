#include "net/sysctl.h"

#include <gtest/gtest.h>

#include "net/net_test_fixture.h"

namespace wgd::net {
namespace {

class NetSysctlTest : public NetnsTest {};

// The value as sysctl(8) sees it inside the test's namespace.
std::string sysctl_in(wgd::testing::TestNetns& ns, const std::string& key) {
  auto r = ns.exec({"sysctl", "-n", key});
  EXPECT_TRUE(r && r->exit_status == 0) << (r ? r->err : r.error().message);
  std::string v = r ? r->out : "";
  while (!v.empty() && v.back() == '\n') v.pop_back();
  return v;
}

TEST(NetSysctlHost, ReadsWhatSysctlReads) {
  // Reading is harmless on the host; this thread never entered a namespace.
  for (const char* key : {"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"}) {
    auto ours = sysctl_read(key);
    ASSERT_TRUE(ours) << ours.error().message;
    auto theirs = wgd::testing::run_checked({"sysctl", "-n", key});
    ASSERT_TRUE(theirs) << theirs.error().message;
    EXPECT_EQ(*ours + "\n", *theirs) << key;
  }
}

TEST(NetSysctlNetns, WritesStayInsideTheNamespace) {
  const std::vector<std::string> keys = {"net.ipv4.ip_forward", "net.ipv4.conf.all.src_valid_mark",
                                         "net.ipv6.conf.all.forwarding"};
  // The host's values, read before this thread enters the namespace (threads it starts later
  // would start inside it too).
  std::vector<std::string> host;
  for (const auto& key : keys) host.push_back(sysctl_read(key).value_or("?"));

  auto ns = wgd::testing::TestNetns::create("wgdnet");
  ASSERT_TRUE(ns) << ns.error().message;
  {
    auto entry = ns->enter();
    ASSERT_TRUE(entry) << entry.error().message;
    for (const auto& key : keys) {
      SCOPED_TRACE(key);
      for (const char* value : {"1", "0", "1"}) {
        ASSERT_TRUE(sysctl_write(key, value));
        EXPECT_EQ(sysctl_read(key).value_or("?"), value);
        EXPECT_EQ(sysctl_in(*ns, key), value);
      }
    }
    // Slash form, with an interface name.
    ASSERT_TRUE(ns->ip({"link", "add", "wgdn0", "type", "veth", "peer", "name", "wgdn1"}));
    ASSERT_TRUE(sysctl_write("net/ipv4/conf/wgdn0/rp_filter", "2"));
    EXPECT_EQ(sysctl_read("net.ipv4.conf.wgdn0.rp_filter").value_or("?"), "2");
    EXPECT_EQ(sysctl_in(*ns, "net.ipv4.conf.wgdn0.rp_filter"), "2");
  }
  // Back outside: the host never saw any of it.
  for (std::size_t i = 0; i < keys.size(); ++i)
    EXPECT_EQ(sysctl_read(keys[i]).value_or("?"), host[i]) << keys[i];
}

TEST_F(NetSysctlTest, ErrorsNameTheKey) {
  auto missing = sysctl_read("net.ipv4.no_such_knob");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_EQ(missing.error().message, "sysctl net.ipv4.no_such_knob: No such file or directory");

  auto bad_value = sysctl_write("net.ipv4.ip_forward", "yes please");
  ASSERT_FALSE(bad_value);
  EXPECT_EQ(bad_value.error().code, EINVAL);
  EXPECT_NE(bad_value.error().message.find("net.ipv4.ip_forward=yes please"), std::string::npos)
      << bad_value.error().message;

  auto no_iface = sysctl_write("net.ipv4.conf.wgdnope0.rp_filter", "1");
  ASSERT_FALSE(no_iface);
  EXPECT_NE(no_iface.error().message.find("wgdnope0"), std::string::npos);
}

}  // namespace
}  // namespace wgd::net
