#include "serve/hosts_file.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace wgd::serve {
namespace {

namespace fs = std::filesystem;

class HostsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/wgd-hosts-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ / "hosts";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void write(const fs::path& p, std::string_view text) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << text;
  }
  std::string read(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  struct stat stat_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st;
  }
  // Files in the directory other than the hosts file: no temporary may be left behind.
  std::vector<std::string> strays() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().filename() != "hosts" && e.path().filename() != "target") out.push_back(e.path().filename());
    return out;
  }

  fs::path dir_, path_;
  const HostsBlockMarkers wg0_ = HostsBlockMarkers::for_interface("wg0");
};

const std::vector<std::string> kTwo = {"10.8.0.2 alice alice.wg", "10.8.0.3 bob bob.wg"};

TEST_F(HostsFileTest, MarkersForInterfaceAndFactory) {
  EXPECT_EQ(wg0_.begin, "# BEGIN wgd (interface wg0)");
  EXPECT_EQ(wg0_.end, "# END wgd (interface wg0)");
  auto f = HostsBlockMarkers::for_factory("acme");
  EXPECT_EQ(f.begin, "## Factory(acme) VPN Lookups");
  EXPECT_EQ(f.end, "## END Factory(acme) VPN Lookups");
}

TEST_F(HostsFileTest, InsertsABlockAfterTheExistingLines) {
  const std::string original = "127.0.0.1\tlocalhost\n# a comment\n::1 localhost ip6-localhost\n";
  write(path_, original);
  auto r = write_hosts_block(path_, wg0_, kTwo);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, HostsWriteOutcome::kReplaced);
  EXPECT_EQ(read(path_), original +
                             "# BEGIN wgd (interface wg0)\n"
                             "10.8.0.2 alice alice.wg\n"
                             "10.8.0.3 bob bob.wg\n"
                             "# END wgd (interface wg0)\n");
  EXPECT_TRUE(strays().empty());
}

TEST_F(HostsFileTest, ReplacesTheBlockInPlaceAndKeepsLinesAroundIt) {
  const std::string before = "127.0.0.1 localhost\n\n# keep me\n";
  const std::string after = "192.0.2.10 printer # the office printer\n\n# trailing comment\n";
  write(path_, before + "# BEGIN wgd (interface wg0)\n10.8.0.9 old old.wg\n# END wgd (interface wg0)\n" + after);
  auto r = write_hosts_block(path_, wg0_, kTwo);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, HostsWriteOutcome::kReplaced);
  EXPECT_EQ(read(path_), before +
                             "# BEGIN wgd (interface wg0)\n"
                             "10.8.0.2 alice alice.wg\n"
                             "10.8.0.3 bob bob.wg\n"
                             "# END wgd (interface wg0)\n" +
                             after);
}

TEST_F(HostsFileTest, AnotherInterfacesBlockIsLeftAlone) {
  const std::string other =
      "# BEGIN wgd (interface wg1)\n10.9.0.2 carol carol.wg\n# END wgd (interface wg1)\n";
  write(path_, "127.0.0.1 localhost\n" + other);
  ASSERT_TRUE(write_hosts_block(path_, wg0_, kTwo));
  ASSERT_TRUE(write_hosts_block(path_, wg0_, {}));
  EXPECT_EQ(read(path_), "127.0.0.1 localhost\n" + other);
}

TEST_F(HostsFileTest, RemovingEveryPeerRemovesTheBlock) {
  const std::string original = "127.0.0.1 localhost\n# comment\n";
  write(path_, original);
  ASSERT_TRUE(write_hosts_block(path_, wg0_, kTwo));
  auto r = write_hosts_block(path_, wg0_, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, HostsWriteOutcome::kReplaced);
  EXPECT_EQ(read(path_), original);
  // And with nothing to remove, nothing is written.
  auto again = write_hosts_block(path_, wg0_, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, HostsWriteOutcome::kUnchanged);
}

TEST_F(HostsFileTest, FileWithoutFinalNewline) {
  write(path_, "127.0.0.1 localhost\n192.0.2.1 last-line-no-newline");
  ASSERT_TRUE(write_hosts_block(path_, wg0_, kTwo));
  EXPECT_EQ(read(path_),
            "127.0.0.1 localhost\n192.0.2.1 last-line-no-newline\n"
            "# BEGIN wgd (interface wg0)\n10.8.0.2 alice alice.wg\n10.8.0.3 bob bob.wg\n"
            "# END wgd (interface wg0)\n");

  // A block in the middle, and the administrator's last line after it without a newline: the
  // last line stays unterminated, byte for byte.
  write(path_, "a\n# BEGIN wgd (interface wg0)\n# END wgd (interface wg0)\nz-no-newline");
  ASSERT_TRUE(write_hosts_block(path_, wg0_, kTwo));
  EXPECT_EQ(read(path_),
            "a\n# BEGIN wgd (interface wg0)\n10.8.0.2 alice alice.wg\n10.8.0.3 bob bob.wg\n"
            "# END wgd (interface wg0)\nz-no-newline");

  // The block is the end of the file and its END line has no newline: replacing keeps that.
  write(path_, "a\n# BEGIN wgd (interface wg0)\n10.8.0.2 alice alice.wg\n# END wgd (interface wg0)");
  ASSERT_TRUE(write_hosts_block(path_, wg0_, kTwo));
  EXPECT_EQ(read(path_),
            "a\n# BEGIN wgd (interface wg0)\n10.8.0.2 alice alice.wg\n10.8.0.3 bob bob.wg\n"
            "# END wgd (interface wg0)");
  auto same = write_hosts_block(path_, wg0_, kTwo);
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, HostsWriteOutcome::kUnchanged);
}

TEST_F(HostsFileTest, ModeAndOwnerAreKept) {
  write(path_, "127.0.0.1 localhost\n");
  ASSERT_EQ(::chmod(path_.c_str(), 0640), 0);
  const bool root = ::geteuid() == 0;
  if (root) {
    ASSERT_EQ(::chown(path_.c_str(), 4242, 4343), 0);
  }
  const ino_t old_inode = stat_of(path_).st_ino;

  auto r = write_hosts_block(path_, wg0_, kTwo);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, HostsWriteOutcome::kReplaced);
  struct stat st = stat_of(path_);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_NE(st.st_ino, old_inode) << "an atomic replacement is a new inode";
  if (root) {
    EXPECT_EQ(st.st_uid, 4242u);
    EXPECT_EQ(st.st_gid, 4343u);
  }
}

TEST_F(HostsFileTest, IdempotentNoWriteWhenNothingChanged) {
  write(path_, "127.0.0.1 localhost\n");
  ASSERT_TRUE(write_hosts_block(path_, wg0_, kTwo));
  const struct stat first = stat_of(path_);
  auto r = write_hosts_block(path_, wg0_, kTwo);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, HostsWriteOutcome::kUnchanged);
  const struct stat second = stat_of(path_);
  EXPECT_EQ(first.st_ino, second.st_ino);
  EXPECT_EQ(first.st_mtim.tv_sec, second.st_mtim.tv_sec);
  EXPECT_EQ(first.st_mtim.tv_nsec, second.st_mtim.tv_nsec);
  EXPECT_TRUE(strays().empty());
}

TEST_F(HostsFileTest, MalformedMarkersChangeNothing) {
  const std::vector<std::string> broken = {
      // BEGIN without END: the block's extent is unknown.
      "127.0.0.1 localhost\n# BEGIN wgd (interface wg0)\n10.8.0.2 alice\n192.0.2.7 mine\n",
      // END before BEGIN.
      "# END wgd (interface wg0)\n# BEGIN wgd (interface wg0)\n",
      // Two blocks.
      "# BEGIN wgd (interface wg0)\n# END wgd (interface wg0)\n"
      "# BEGIN wgd (interface wg0)\n# END wgd (interface wg0)\n",
  };
  for (const auto& text : broken) {
    write(path_, text);
    auto r = write_hosts_block(path_, wg0_, kTwo);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find("wgd (interface wg0)"), std::string::npos) << r.error().message;
    EXPECT_EQ(read(path_), text);
  }
}

TEST_F(HostsFileTest, MarkersMatchDespiteTrailingSpaceOrCarriageReturn) {
  write(path_, "x\n# BEGIN wgd (interface wg0) \r\n1.2.3.4 old\n# END wgd (interface wg0)\r\ny\n");
  ASSERT_TRUE(write_hosts_block(path_, wg0_, kTwo));
  EXPECT_EQ(read(path_),
            "x\n# BEGIN wgd (interface wg0)\n10.8.0.2 alice alice.wg\n10.8.0.3 bob bob.wg\n"
            "# END wgd (interface wg0)\ny\n");
}

TEST_F(HostsFileTest, MissingFileIsCreated) {
  auto r = write_hosts_block(path_, wg0_, kTwo);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(read(path_),
            "# BEGIN wgd (interface wg0)\n10.8.0.2 alice alice.wg\n10.8.0.3 bob bob.wg\n"
            "# END wgd (interface wg0)\n");
  EXPECT_EQ(stat_of(path_).st_mode & 07777, 0644u);
  // No peers and no file: nothing to do, and no empty file appears.
  fs::path other = dir_ / "other";
  auto none = write_hosts_block(other, wg0_, {});
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, HostsWriteOutcome::kUnchanged);
  EXPECT_FALSE(fs::exists(other));
}

TEST_F(HostsFileTest, SymbolicLinkIsFollowed) {
  fs::path target = dir_ / "target";
  write(target, "127.0.0.1 localhost\n");
  fs::create_symlink(target, path_);
  ASSERT_TRUE(write_hosts_block(path_, wg0_, kTwo));
  EXPECT_TRUE(fs::is_symlink(path_));
  EXPECT_NE(read(target).find("10.8.0.2 alice alice.wg"), std::string::npos);
}

TEST_F(HostsFileTest, RenderSortsNamesAndFamiliesAndSkipsBadNames) {
  std::vector<HostsPeer> peers = {
      {"zed", {*IpAddress::parse("fd00::5"), *IpAddress::parse("10.8.0.5")}},
      {"alice", {*IpAddress::parse("10.8.0.2")}},
      {"under_score", {*IpAddress::parse("10.8.0.3")}},
      {"-dash", {*IpAddress::parse("10.8.0.4")}},
      {"no-address", {}},
      {"site.b", {*IpAddress::parse("10.8.0.6")}},
  };
  auto r = render_hosts_lines(peers, "wg");
  EXPECT_EQ(r.lines, (std::vector<std::string>{
                         "10.8.0.2 alice alice.wg",
                         "10.8.0.6 site.b site.b.wg",
                         "10.8.0.5 zed zed.wg",
                         "fd00::5 zed zed.wg",
                     }));
  EXPECT_EQ(r.skipped, (std::vector<std::string>{"under_score", "-dash"}));
  auto bare = render_hosts_lines(std::span(peers).subspan(1, 1), "");
  EXPECT_EQ(bare.lines, std::vector<std::string>{"10.8.0.2 alice"});
}

TEST_F(HostsFileTest, HostnameRules) {
  EXPECT_TRUE(is_valid_hostname("alice"));
  EXPECT_TRUE(is_valid_hostname("a1-b2"));
  EXPECT_TRUE(is_valid_hostname("laptop.home"));
  EXPECT_TRUE(is_valid_hostname("123abc"));
  EXPECT_TRUE(is_valid_hostname(std::string(63, 'a')));
  EXPECT_FALSE(is_valid_hostname(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_hostname(""));
  EXPECT_FALSE(is_valid_hostname("a_b"));
  EXPECT_FALSE(is_valid_hostname("a-"));
  EXPECT_FALSE(is_valid_hostname("a..b"));
  EXPECT_FALSE(is_valid_hostname("a."));
  EXPECT_FALSE(is_valid_hostname(".a"));
  EXPECT_FALSE(is_valid_hostname("10.8.0.1"));
  EXPECT_FALSE(is_valid_hostname("fd00::1"));
}

TEST_F(HostsFileTest, DecideHostsFile) {
  EXPECT_FALSE(decide_hosts_file("none").enabled);
  EXPECT_FALSE(decide_hosts_file("").enabled);
  write(path_, "127.0.0.1 localhost\n");
  auto on = decide_hosts_file(path_.string());
  EXPECT_TRUE(on.enabled) << on.reason;
  auto missing = decide_hosts_file((dir_ / "new-hosts").string());
  EXPECT_TRUE(missing.enabled) << missing.reason;
  auto no_dir = decide_hosts_file((dir_ / "no-such-dir" / "hosts").string());
  EXPECT_FALSE(no_dir.enabled);
  EXPECT_NE(no_dir.reason.find("not writable"), std::string::npos) << no_dir.reason;
  auto is_dir = decide_hosts_file(dir_.string());
  EXPECT_FALSE(is_dir.enabled);
  EXPECT_NE(is_dir.reason.find("not a regular file"), std::string::npos) << is_dir.reason;
  if (::geteuid() != 0) {
    ASSERT_EQ(::chmod(path_.c_str(), 0444), 0);
    auto ro = decide_hosts_file(path_.string());
    EXPECT_FALSE(ro.enabled);
    EXPECT_NE(ro.reason.find("not writable"), std::string::npos) << ro.reason;
  }
}

TEST_F(HostsFileTest, HostsFileClassUpdatesAndValidatesTheDomain) {
  EXPECT_FALSE(HostsFile::create(path_, wg0_, "bad_domain"));
  EXPECT_FALSE(HostsFile::create(path_, {"x", "x"}, "wg"));
  auto hf = HostsFile::create(path_, HostsBlockMarkers::for_factory("acme"), "vpn");
  ASSERT_TRUE(hf) << hf.error().message;
  write(path_, "127.0.0.1 localhost\n");
  std::vector<HostsPeer> peers = {{"dev1", {*IpAddress::parse("10.42.42.2")}},
                                  {"bad name", {*IpAddress::parse("10.42.42.3")}}};
  auto r = hf->update(peers);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, HostsWriteOutcome::kReplaced);
  EXPECT_EQ(read(path_),
            "127.0.0.1 localhost\n## Factory(acme) VPN Lookups\n10.42.42.2 dev1 dev1.vpn\n"
            "## END Factory(acme) VPN Lookups\n");
  auto again = hf->update(peers);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, HostsWriteOutcome::kUnchanged);
}

// A container's /etc/hosts is a bind mount: rename() over it fails with EBUSY, so the block is
// written into the same inode instead. Needs root (a private mount namespace in a child).
TEST_F(HostsFileTest, BindMountedFileIsRewrittenInPlace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
  fs::path source = dir_ / "source";
  write(source, "127.0.0.1 localhost\n");
  write(path_, "placeholder\n");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Exit codes: 10+ setup failures, 20+ wrong outcome.
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
    if (::mount(source.c_str(), path_.c_str(), nullptr, MS_BIND, nullptr) != 0) ::_exit(12);
    std::string note;
    auto r = write_hosts_block(path_, wg0_, kTwo, &note);
    if (!r) ::_exit(20);
    if (*r != HostsWriteOutcome::kRewrittenInPlace) ::_exit(21);
    if (note.find("rename") == std::string::npos) ::_exit(22);
    auto again = write_hosts_block(path_, wg0_, kTwo, &note);
    if (!again || *again != HostsWriteOutcome::kUnchanged) ::_exit(23);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) >= 10 && WEXITSTATUS(status) < 20)
    GTEST_SKIP() << "cannot make a bind mount here (step " << WEXITSTATUS(status) << ")";
  ASSERT_EQ(WEXITSTATUS(status), 0);
  // The write went to the bind mount's source, i.e. the same inode.
  EXPECT_EQ(read(source),
            "127.0.0.1 localhost\n# BEGIN wgd (interface wg0)\n10.8.0.2 alice alice.wg\n"
            "10.8.0.3 bob bob.wg\n# END wgd (interface wg0)\n");
  EXPECT_EQ(read(path_), "placeholder\n");
  EXPECT_TRUE(strays().size() == 1 && strays()[0] == "source");
}

}  // namespace
}  // namespace wgd::serve
