#include "net/free_table.h"

#include <gtest/gtest.h>

#include "net/net_test_fixture.h"
#include "net/route.h"
#include "net/rule.h"

namespace wgd::net {
namespace {

using NetFreeTableTest = NetnsTest;

TEST_F(NetFreeTableTest, SkipsTablesWithRoutesOrRules) {
  int dev = add_veth("wgdn0", "wgdn1");
  auto t = find_free_table(nl());
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(*t, 51820u);

  ip({"-4", "route", "add", "10.1.0.0/16", "dev", "wgdn0", "table", "51820"});
  EXPECT_EQ(find_free_table(nl()).value_or(0), 51821u);
  ip({"-6", "route", "add", "fd00:1::/32", "dev", "wgdn0", "table", "51821"});
  EXPECT_EQ(find_free_table(nl()).value_or(0), 51822u);
  ip({"-6", "rule", "add", "fwmark", "0x99", "table", "51822"});
  EXPECT_EQ(find_free_table(nl()).value_or(0), 51823u);
  ip({"-4", "route", "add", "10.2.0.0/16", "dev", "wgdn0", "table", "51824"});
  EXPECT_EQ(find_free_table(nl()).value_or(0), 51823u);  // the first gap, not after the last

  // Freed again when the route goes.
  ASSERT_TRUE(route_delete(
      nl(), {.destination = *IpPrefix::parse("10.1.0.0/16"), .oif = dev, .table = 51820}));
  EXPECT_EQ(find_free_table(nl()).value_or(0), 51820u);
  EXPECT_EQ(find_free_table(nl(), 100).value_or(0), 100u);
  EXPECT_EQ(find_free_table(nl(), kTableMain).value_or(0), 256u);  // main, local in use
}

}  // namespace
}  // namespace wgd::net
