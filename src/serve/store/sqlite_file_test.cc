// The database and its companions are 0600: created so, and repaired when found otherwise.
#include "serve/store/sqlite_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "serve/store/sqlite_store.h"
#include "serve/store/store_test_support.h"
#include "util/unique_fd.h"

namespace wgd::serve {
namespace {

using testing::file_mode;
using testing::named;
using testing::TempDir;
using testing::test_pool;

// Sets the process umask for one test and restores it.
class Umask {
 public:
  explicit Umask(mode_t m) : old_(::umask(m)) {}
  ~Umask() { ::umask(old_); }

 private:
  mode_t old_;
};

void make_file(const std::string& path, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd);
  ASSERT_EQ(::fchmod(fd.get(), mode), 0);
}

TEST(SqliteFileModes, NewDatabaseAndItsWalAndShmAre0600) {
  Umask lax(022);  // the usual umask, which would give SQLite's own files 0644
  TempDir dir;
  const std::string db = dir.file("wgd.db");
  auto s = SqliteStore::open(db);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE((*s)->create(named("a"), test_pool()));
  EXPECT_EQ(file_mode(db), 0600u);
  EXPECT_EQ(file_mode(db + "-wal"), 0600u);  // exists while a connection is open
  EXPECT_EQ(file_mode(db + "-shm"), 0600u);
}

TEST(SqliteFileModes, ExistingFilesWithLaxModesAreRepaired) {
  TempDir dir;
  const std::string db = dir.file("wgd.db");
  {
    auto s = SqliteStore::open(db);
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->create(named("a"), test_pool()));
  }
  ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
  // Companions left behind by an earlier run (empty ones are valid for SQLite).
  make_file(db + "-wal", 0666);
  make_file(db + "-shm", 0644);
  auto f = sqlite::prepare_database_file(db);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_FALSE(f->created);
  EXPECT_EQ(f->repaired, (std::vector<std::string>{f->path, f->path + "-wal", f->path + "-shm"}));
  EXPECT_EQ(file_mode(db), 0600u);
  EXPECT_EQ(file_mode(db + "-wal"), 0600u);
  EXPECT_EQ(file_mode(db + "-shm"), 0600u);
  auto s = SqliteStore::open(db);  // and the data is all there
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE((*s)->get_by_name("a"));
}

TEST(SqliteFileModes, SymlinkedCompanionAndNonFilesAreRefused) {
  TempDir dir;
  const std::string db = dir.file("wgd.db");
  ASSERT_TRUE(SqliteStore::open(db));
  make_file(dir.file("elsewhere"), 0644);
  ASSERT_EQ(::symlink(dir.file("elsewhere").c_str(), (db + "-wal").c_str()), 0);
  auto s = SqliteStore::open(db);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("-wal"), std::string::npos) << s.error().message;
  EXPECT_EQ(file_mode(dir.file("elsewhere")), 0644u);  // not touched through the link

  auto d = SqliteStore::open(dir.path());
  ASSERT_FALSE(d);
}

// What makes an acknowledged write durable: WAL with a sync on every commit.
TEST(SqliteConnection, EveryConnectionIsWalSynchronousFullWithForeignKeys) {
  TempDir dir;
  auto f = sqlite::prepare_database_file(dir.file("wgd.db"));
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->created);
  auto c = sqlite::Connection::open(f->path, 1000);
  ASSERT_TRUE(c) << c.error().message;
  auto pragma = [&](const char* sql) {
    auto q = (*c)->prepare(sql);
    EXPECT_TRUE(q && *q->step());
    return q->text(0);
  };
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma("PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(pragma("PRAGMA foreign_keys"), "1");
  EXPECT_EQ(pragma("PRAGMA secure_delete"), "1");
}

TEST(SqliteFileModes, SymlinkedDatabaseIsFollowedToItsTarget) {
  TempDir dir;
  ASSERT_TRUE(SqliteStore::open(dir.file("real.db")));
  ASSERT_EQ(::symlink(dir.file("real.db").c_str(), dir.file("link.db").c_str()), 0);
  auto s = SqliteStore::open(dir.file("link.db"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)->path(), std::filesystem::canonical(dir.file("real.db")).string());
}

}  // namespace
}  // namespace wgd::serve
