#include "qr/atomic_file.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "qr/test_support.h"

namespace wgd::qr {
namespace {

mode_t file_mode(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(AtomicFile, WritesBytesWithExactModeDespiteUmask) {
  test::TempDir dir;
  const std::string bytes("secret\0bytes\xff", 13);
  const mode_t old_umask = ::umask(0077);
  auto a = write_file_atomically(dir / "a", bytes, 0640);  // the umask would give 0600
  ::umask(0);
  auto b = write_file_atomically(dir / "b", bytes, 0600);  // the umask would give 0666-ish
  ::umask(old_umask);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(file_mode(dir / "a"), 0640u);
  EXPECT_EQ(file_mode(dir / "b"), 0600u);
  EXPECT_EQ(test::read_file(dir / "a"), bytes);
  EXPECT_EQ(test::read_file(dir / "b"), bytes);
}

TEST(AtomicFile, ReplacesAnExistingFileWhole) {
  test::TempDir dir;
  test::write_file(dir / "f", std::string(10000, 'o'));
  ASSERT_TRUE(write_file_atomically(dir / "f", "new", 0600));
  EXPECT_EQ(test::read_file(dir / "f"), "new");
  ASSERT_TRUE(write_file_atomically(dir / "f", "", 0600));
  EXPECT_EQ(test::read_file(dir / "f"), "");
}

// When the last step (rename) fails the target is untouched and the temporary file is gone.
TEST(AtomicFile, FailedRenameLeavesNoTemporaryFile) {
  test::TempDir dir;
  std::filesystem::create_directory(dir / "target");
  test::write_file(dir / "target" / "keep", "x");  // a non-empty directory cannot be replaced
  auto written = write_file_atomically(dir / "target", "bytes", 0600);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("rename"), std::string::npos) << written.error().message;
  EXPECT_NE(written.error().code, 0);
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"target"});
  EXPECT_EQ(test::read_file(dir / "target" / "keep"), "x");
}

TEST(AtomicFile, RejectsAPathWithoutFileName) {
  test::TempDir dir;
  EXPECT_FALSE(write_file_atomically(dir.path() / "", "x", 0600));
}

}  // namespace
}  // namespace wgd::qr
