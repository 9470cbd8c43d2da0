// The /config tree: atomic writes only when bytes or mode change, 0700 directories, 0600
// files, the wg0.conf link, and PUID/PGID ownership (the chown part needs root).
#include "serve/provision/config_tree.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "serve/store/store_test_support.h"

namespace wgd::serve::provision {
namespace {

namespace fs = std::filesystem;

struct stat stat_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}

TEST(ConfigTree, WritesOnlyWhatChanged) {
  testing::TempDir dir;
  ConfigTree tree(dir.file("config"), std::nullopt, std::nullopt);
  ASSERT_TRUE(tree.prepare_root());
  EXPECT_EQ(stat_of(tree.root()).st_mode & 07777, 0700u);
  ASSERT_TRUE(tree.ensure_dir("peer_a"));
  EXPECT_EQ(stat_of(tree.path("peer_a")).st_mode & 07777, 0700u);

  auto w = tree.write("peer_a/peer_a.conf", "one\n", 0600);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_TRUE(*w);
  const ino_t first = stat_of(tree.path("peer_a/peer_a.conf")).st_ino;
  EXPECT_FALSE(*tree.write("peer_a/peer_a.conf", "one\n", 0600));
  EXPECT_EQ(stat_of(tree.path("peer_a/peer_a.conf")).st_ino, first);  // untouched
  EXPECT_TRUE(*tree.write("peer_a/peer_a.conf", "two\n", 0600));
  EXPECT_EQ(**tree.read("peer_a/peer_a.conf"), "two\n");
  // A looser mode left by someone else is fixed even when the bytes are right.
  ASSERT_EQ(::chmod(tree.path("peer_a/peer_a.conf").c_str(), 0644), 0);
  EXPECT_TRUE(*tree.write("peer_a/peer_a.conf", "two\n", 0600));
  EXPECT_EQ(stat_of(tree.path("peer_a/peer_a.conf")).st_mode & 07777, 0600u);
  EXPECT_FALSE(*tree.read("peer_a/missing"));
}

TEST(ConfigTree, AnExistingRootKeepsItsMode) {
  testing::TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("volume").c_str(), 0755), 0);
  ConfigTree tree(dir.file("volume"), std::nullopt, std::nullopt);
  ASSERT_TRUE(tree.prepare_root());
  EXPECT_EQ(stat_of(tree.root()).st_mode & 07777, 0755u);
  // A file where a directory belongs is an error, not a silent replacement.
  ASSERT_TRUE(tree.write("server", "x", 0600));
  EXPECT_FALSE(tree.ensure_dir("server"));
}

TEST(ConfigTree, LinksReplaceAFileButNotADirectory) {
  testing::TempDir dir;
  ConfigTree tree(dir.file("config"), std::nullopt, std::nullopt);
  ASSERT_TRUE(tree.prepare_root());
  ASSERT_TRUE(tree.write("wg0.conf", "an old container's wg0.conf\n", 0600));
  auto l = tree.link("wg0.conf", "wg_confs/wg0.conf");
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_TRUE(*l);
  EXPECT_EQ(fs::read_symlink(tree.path("wg0.conf")), "wg_confs/wg0.conf");
  EXPECT_FALSE(*tree.link("wg0.conf", "wg_confs/wg0.conf"));
  ASSERT_TRUE(tree.ensure_dir("d"));
  EXPECT_FALSE(tree.link("d", "x"));
}

TEST(ConfigTree, HandsEverythingToPuidAndPgid) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  testing::TempDir dir;
  ConfigTree tree(dir.file("config"), uid_t{4242}, gid_t{4343});
  ASSERT_TRUE(tree.prepare_root());
  ASSERT_TRUE(tree.ensure_dir("server"));
  ASSERT_TRUE(tree.write("server/privatekey-server", "k\n", 0600));
  ASSERT_TRUE(tree.link("wg0.conf", "wg_confs/wg0.conf"));
  for (const char* p : {"", "server", "server/privatekey-server", "wg0.conf"}) {
    const auto st = stat_of(tree.path(p));
    EXPECT_EQ(st.st_uid, 4242u) << p;
    EXPECT_EQ(st.st_gid, 4343u) << p;
  }
  // Only the group: the owner stays.
  ConfigTree group_only(dir.file("other"), std::nullopt, gid_t{4343});
  ASSERT_TRUE(group_only.prepare_root());
  EXPECT_EQ(stat_of(group_only.root()).st_uid, ::geteuid());
  EXPECT_EQ(stat_of(group_only.root()).st_gid, 4343u);
}

}  // namespace
}  // namespace wgd::serve::provision
