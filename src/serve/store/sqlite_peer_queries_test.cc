// The database's own guards, below the friendly pre-checks: what a UNIQUE violation from SQLite
// turns into, and what a writer does when another one holds the lock too long.
#include "serve/store/sqlite_peer_queries.h"

#include <gtest/gtest.h>

#include "serve/store/peer_validation.h"
#include "serve/store/sqlite_store.h"
#include "serve/store/store_test_support.h"

namespace wgd::serve::sqlite {
namespace {

using testing::named;
using testing::TempDir;
using testing::test_pool;

class PeerQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::open(dir_.file("wgd.db"));  // creates and migrates
    ASSERT_TRUE(s) << s.error().message;
    path_ = (*s)->path();
    auto c = Connection::open(path_, 1000);
    ASSERT_TRUE(c) << c.error().message;
    c_ = std::move(*c);
    ASSERT_TRUE(c_->exec("BEGIN IMMEDIATE"));
  }
  void TearDown() override {
    if (c_) (void)c_->exec("ROLLBACK");
  }

  PeerRecord record(std::string name, std::string_view v4) {
    auto d = draft_peer(named(std::move(name)), test_pool());
    EXPECT_TRUE(d);
    d->ipv4 = IpAddress::parse(v4);
    d->created_at = d->updated_at = 1;
    d->revision = 1;
    return std::move(*d);
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Connection> c_;
};

TEST_F(PeerQueriesTest, UniqueViolationsNameTheirField) {
  PeerRecord a = record("alice", "10.8.0.2");
  ASSERT_TRUE(insert_peer(*c_, a));

  // Same address, inserted without the pre-checks, as a racing writer on another server would.
  auto dup = insert_peer(*c_, record("bob", "10.8.0.2"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, EEXIST) << dup.error().message;
  EXPECT_EQ(constraint_error(dup.error(), true, true).code, kLostRace);  // auto: retry
  Error e = constraint_error(dup.error(), false, false);                 // explicit: conflict
  EXPECT_EQ(store_error_kind(e), StoreErrorKind::kConflict);
  EXPECT_EQ(e.message, "ipv4: the address is already taken");

  auto name = insert_peer(*c_, record("ALICE", "10.8.0.3"));
  ASSERT_FALSE(name);
  EXPECT_EQ(constraint_error(name.error(), true, true).message, "name: already taken");

  PeerRecord same_key = record("carol", "10.8.0.4");
  same_key.public_key = a.public_key;
  auto key = insert_peer(*c_, same_key);
  ASSERT_FALSE(key);
  EXPECT_EQ(constraint_error(key.error(), true, true).message,
            "public_key: already used by another peer");

  auto id = insert_peer(*c_, record("dave", "10.8.0.5"));
  ASSERT_TRUE(id);
  ASSERT_TRUE(write_routes(*c_, *id, {*IpPrefix::parse("192.168.1.0/24")}, false));
  // A route of a peer that does not exist: the foreign key (foreign_keys=ON) refuses it.
  auto orphan = write_routes(*c_, *id + 100, {*IpPrefix::parse("192.168.2.0/24")}, false);
  ASSERT_FALSE(orphan);
  EXPECT_NE(orphan.error().message.find("FOREIGN KEY"), std::string::npos)
      << orphan.error().message;
  auto route2 = write_routes(*c_, *id, {*IpPrefix::parse("192.168.1.0/24")}, false);
  ASSERT_FALSE(route2);
  EXPECT_EQ(constraint_error(route2.error(), false, false).message,
            "extra_allowed_ips: a prefix is already routed to another peer");
}

TEST(SqliteBusy, WriterHeldOffBeyondTheTimeoutGetsAClearIoErrorThenSucceeds) {
  TempDir dir;
  auto s = SqliteStore::open(dir.file("wgd.db"), {.busy_timeout_ms = 100, .max_attempts = 2});
  ASSERT_TRUE(s);
  auto blocker = Connection::open((*s)->path(), 1000);
  ASSERT_TRUE(blocker);
  ASSERT_TRUE((*blocker)->exec("BEGIN IMMEDIATE"));  // another process's long write
  auto r = (*s)->create(named("waits"), test_pool());
  ASSERT_FALSE(r);
  EXPECT_EQ(store_error_kind(r.error()), StoreErrorKind::kIo);
  EXPECT_NE(r.error().message.find("database is busy"), std::string::npos) << r.error().message;
  // Readers are not blocked by a writer in WAL mode.
  EXPECT_TRUE((*s)->list({}));
  ASSERT_TRUE((*blocker)->exec("COMMIT"));
  EXPECT_TRUE((*s)->create(named("waits"), test_pool()));
}

}  // namespace
}  // namespace wgd::serve::sqlite
