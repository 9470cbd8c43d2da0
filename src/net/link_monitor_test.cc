#include "net/link_monitor.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>

#include "net/net_test_fixture.h"

namespace wgd::net {
namespace {

using NetLinkMonitorTest = NetnsTest;
using Clock = std::chrono::steady_clock;

// Waits up to `budget` for the monitor to report the interface gone, the way an event loop
// would: poll the fd, then ask. Returns how long it took, or nullopt if it never did.
std::optional<Clock::duration> wait_gone(LinkMonitor& m, std::chrono::milliseconds budget) {
  auto start = Clock::now();
  while (Clock::now() - start < budget) {
    pollfd p{m.fd(), POLLIN, 0};
    auto left =
        budget - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (::poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 0))) <= 0) continue;
    auto gone = m.interface_gone();
    EXPECT_TRUE(gone) << gone.error().message;
    if (gone && *gone) return Clock::now() - start;
  }
  return std::nullopt;
}

TEST_F(NetLinkMonitorTest, DeletionIsSeenWithinASecond) {
  int index = add_veth("wgdn0", "wgdn1");
  auto m = LinkMonitor::watch(index);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->ifindex(), index);
  EXPECT_FALSE(m->interface_gone().value_or(true));

  // Changes that are not a deletion of this interface: MTU, down, the peer's flags.
  ip({"link", "set", "wgdn0", "mtu", "1400"});
  ip({"link", "set", "wgdn0", "down"});
  ip({"link", "set", "wgdn0", "up"});
  EXPECT_FALSE(wait_gone(*m, std::chrono::milliseconds(200)));

  ip({"link", "del", "wgdn0"});
  auto took = wait_gone(*m, std::chrono::milliseconds(1000));
  ASSERT_TRUE(took) << "deletion not reported within a second";
  EXPECT_LT(*took, std::chrono::seconds(1));
  EXPECT_TRUE(m->interface_gone().value_or(false));  // and it stays gone
}

TEST_F(NetLinkMonitorTest, OtherInterfacesAndBridgePortEventsAreIgnored) {
  int index = add_veth("wgdn0", "wgdn1");
  ip({"tuntap", "add", "mode", "tun", "name", "wgdt0"});
  ip({"link", "add", "wgdbr0", "type", "bridge"});
  auto m = LinkMonitor::watch(index);
  ASSERT_TRUE(m) << m.error().message;
  ip({"link", "del", "wgdt0"});
  // Leaving a bridge sends RTM_DELLINK for the port itself, in the AF_BRIDGE family.
  ip({"link", "set", "wgdn0", "master", "wgdbr0"});
  ip({"link", "set", "wgdn0", "nomaster"});
  EXPECT_FALSE(wait_gone(*m, std::chrono::milliseconds(300)));
  EXPECT_GT(ifindex_of("wgdn0"), 0);
}

TEST_F(NetLinkMonitorTest, DeletingTheVethPeerOrMovingTheInterfaceCounts) {
  int a = add_veth("wgdn0", "wgdn1");
  int b = add_veth("wgdn2", "wgdn3");
  auto ma = LinkMonitor::watch(a);
  auto mb = LinkMonitor::watch(b);
  ASSERT_TRUE(ma && mb);
  ip({"link", "del", "wgdn1"});  // takes its peer wgdn0 with it
  EXPECT_TRUE(wait_gone(*ma, std::chrono::milliseconds(1000)));

  auto elsewhere = wgd::testing::TestNetns::create("wgdnet");
  ASSERT_TRUE(elsewhere) << elsewhere.error().message;
  ip({"link", "set", "wgdn2", "netns", elsewhere->name()});
  EXPECT_TRUE(wait_gone(*mb, std::chrono::milliseconds(1000)));
}

TEST_F(NetLinkMonitorTest, LostNotificationsFallBackToAskingTheKernel) {
  int index = add_veth("wgdn0", "wgdn1");
  auto m = LinkMonitor::watch(index);
  ASSERT_TRUE(m) << m.error().message;
  // A tiny receive buffer makes the kernel drop notifications (ENOBUFS on the next read).
  int tiny = 1;
  ASSERT_EQ(::setsockopt(m->fd(), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny), 0);
  for (int mtu = 1300; mtu < 1320; ++mtu) ip({"link", "set", "wgdn0", "mtu", std::to_string(mtu)});
  auto still = m->interface_gone();
  ASSERT_TRUE(still) << still.error().message;
  EXPECT_FALSE(*still);
  // Now flood again and delete: the DELLINK itself may be among the dropped messages.
  for (int mtu = 1300; mtu < 1320; ++mtu) ip({"link", "set", "wgdn0", "mtu", std::to_string(mtu)});
  ip({"link", "del", "wgdn0"});
  EXPECT_TRUE(wait_gone(*m, std::chrono::milliseconds(1000)));
}

TEST_F(NetLinkMonitorTest, AnInterfaceAlreadyGoneIsReportedAtOnce) {
  int index = add_veth("wgdn0", "wgdn1");
  ip({"link", "del", "wgdn0"});
  auto m = LinkMonitor::watch(index);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->interface_gone().value_or(false));
}

}  // namespace
}  // namespace wgd::net
