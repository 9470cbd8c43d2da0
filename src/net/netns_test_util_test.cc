#include "net/netns_test_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace wgd::testing {
namespace {

ino_t netns_inode(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0 ? st.st_ino : 0;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

TEST(NetnsTestUtilRunCommand, CapturesOutputErrorAndStatus) {
  auto r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_status, 3);
  auto checked = run_checked({"sh", "-c", "echo bad >&2; exit 1"});
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("bad"), std::string::npos);
  EXPECT_FALSE(run_command({"/nonexistent/program"}));
}

TEST(NetnsTestUtil, CreateEnterLeaveDelete) {
  std::string path;
  ino_t host = netns_inode("/proc/thread-self/ns/net");
  {
    auto ns = TestNetns::create("wgdnet");
    ASSERT_TRUE(ns) << ns.error().message;
    path = ns->path();
    EXPECT_TRUE(exists(path));
    ino_t inside = netns_inode(path.c_str());
    EXPECT_NE(inside, host);
    {
      auto entry = ns->enter();
      ASSERT_TRUE(entry) << entry.error().message;
      EXPECT_EQ(netns_inode("/proc/thread-self/ns/net"), inside);
      // Commands started from this thread run inside too.
      auto links = run_checked({"ip", "-o", "link", "show"});
      ASSERT_TRUE(links);
      EXPECT_NE(links->find("lo:"), std::string::npos);
      EXPECT_EQ(links->find("\n2:"), std::string::npos) << *links;  // only lo
    }
    EXPECT_EQ(netns_inode("/proc/thread-self/ns/net"), host);

    // lo is up, so loopback traffic works inside.
    auto lo = ns->ip_json({"link", "show", "lo"});
    ASSERT_TRUE(lo);
    EXPECT_EQ((*lo)[0]["operstate"], "UNKNOWN");
    auto ping = ns->exec({"ip", "route", "get", "127.0.0.1"});
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->exit_status, 0) << ping->err;

    ino_t seen = 0;
    ASSERT_TRUE(ns->run_inside([&] { seen = netns_inode("/proc/thread-self/ns/net"); }));
    EXPECT_EQ(seen, inside);
    EXPECT_EQ(netns_inode("/proc/thread-self/ns/net"), host);
  }
  EXPECT_FALSE(exists(path));  // the destructor deleted it
}

TEST(NetnsTestUtil, NamesAreUniqueAndStaleOnesAreRemoved) {
  auto a = TestNetns::create("wgdnet");
  auto b = TestNetns::create("wgdnet");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->name(), b->name());

  // A namespace left behind by a process that no longer exists...
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  std::string stale = "wgdnetstale-" + std::to_string(child) + "-0";
  ASSERT_TRUE(run_checked({"ip", "netns", "add", stale}));
  // ...and one of a live process (ours) with the same prefix.
  std::string live = "wgdnetstale-" + std::to_string(::getpid()) + "-99";
  ASSERT_TRUE(run_checked({"ip", "netns", "add", live}));
  {
    auto c = TestNetns::create("wgdnetstale");
    ASSERT_TRUE(c);
    EXPECT_FALSE(exists("/run/netns/" + stale));
    EXPECT_TRUE(exists("/run/netns/" + live));
  }
  ASSERT_TRUE(run_checked({"ip", "netns", "del", live}));
}

TEST(NetnsTestUtil, IpErrorsCarryStderr) {
  auto ns = TestNetns::create("wgdnet");
  ASSERT_TRUE(ns);
  auto r = ns->ip({"link", "show", "dev", "wgdnope0"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("wgdnope0"), std::string::npos) << r.error().message;
  auto empty = ns->ip_json({"-4", "route", "show", "table", "main"});  // lo routes are in local
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->is_array());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace wgd::testing
