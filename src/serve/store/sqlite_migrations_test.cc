#include "serve/store/sqlite_migrations.h"

#include <gtest/gtest.h>

#include "serve/store/sqlite_file.h"
#include "serve/store/sqlite_store.h"
#include "serve/store/store_test_support.h"

namespace wgd::serve::sqlite {
namespace {

using testing::named;
using testing::TempDir;
using testing::test_pool;

std::unique_ptr<Connection> connect(const std::string& path) {
  auto f = prepare_database_file(path);
  EXPECT_TRUE(f) << f.error().message;
  auto c = Connection::open(f->path, 5000);
  EXPECT_TRUE(c) << c.error().message;
  return std::move(*c);
}

std::int64_t scalar(Connection& c, const std::string& sql) {
  auto q = c.prepare(sql);
  EXPECT_TRUE(q) << q.error().message;
  auto row = q->step();
  EXPECT_TRUE(row && *row) << sql;
  return q->int64(0);
}

constexpr Migration kV1{1, "notes",
                        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"};
constexpr Migration kV2{2, "note sizes",
                        "ALTER TABLE notes ADD COLUMN size INTEGER NOT NULL DEFAULT 0;"
                        "UPDATE notes SET size = length(body)"};

TEST(SqliteMigrations, OldDatabaseIsMigratedAndKeepsItsData) {
  TempDir dir;
  {
    auto c = connect(dir.file("m.db"));
    EXPECT_EQ(*schema_version(*c), 0);
    const Migration v1[] = {kV1};
    EXPECT_EQ(*migrate(*c, v1), 1);
    ASSERT_TRUE(c->exec("INSERT INTO notes (body) VALUES ('hello'), ('wireguard')"));
  }
  auto c = connect(dir.file("m.db"));
  const Migration v2[] = {kV1, kV2};
  auto v = migrate(*c, v2);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(scalar(*c, "SELECT COUNT(*) FROM notes"), 2);
  EXPECT_EQ(scalar(*c, "SELECT size FROM notes WHERE body = 'wireguard'"), 9);
  EXPECT_EQ(scalar(*c, "SELECT COUNT(*) FROM schema_migrations"), 2);
  EXPECT_EQ(*migrate(*c, v2), 2);  // nothing left to do
  EXPECT_EQ(scalar(*c, "SELECT COUNT(*) FROM schema_migrations"), 2);
}

TEST(SqliteMigrations, FailingStepIsRolledBackWhole) {
  TempDir dir;
  auto c = connect(dir.file("m.db"));
  constexpr Migration kBad{2, "broken",
                           "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1)"};
  const Migration steps[] = {kV1, kBad};
  auto v = migrate(*c, steps);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("schema migration 2 (broken)"), std::string::npos)
      << v.error().message;
  EXPECT_EQ(*schema_version(*c), 1);
  EXPECT_EQ(scalar(*c, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'"), 0);
}

TEST(SqliteMigrations, NewerDatabaseIsRefused) {
  TempDir dir;
  {
    auto c = connect(dir.file("m.db"));
    const Migration v2[] = {kV1, kV2};
    ASSERT_TRUE(migrate(*c, v2));
  }
  auto c = connect(dir.file("m.db"));
  const Migration v1[] = {kV1};
  auto v = migrate(*c, v1);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("schema version 2, but this wgd knows versions up to 1"),
            std::string::npos)
      << v.error().message;
  EXPECT_EQ(*schema_version(*c), 2);
}

// The real store from every older version of its own schema (today: an empty file, version 0).
TEST(SqliteMigrations, StoreOpensEveryOlderSchemaVersion) {
  auto steps = store_migrations();
  ASSERT_FALSE(steps.empty());
  for (std::size_t k = 0; k < steps.size(); ++k) {
    TempDir dir;
    {
      auto c = connect(dir.file("wgd.db"));
      ASSERT_TRUE(migrate(*c, steps.first(k)));
      EXPECT_EQ(*schema_version(*c), k ? steps[k - 1].version : 0);
    }
    auto s = SqliteStore::open(dir.file("wgd.db"));
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ((*s)->schema_version(), steps.back().version);
    ASSERT_TRUE((*s)->create(named("after-migration"), test_pool()));
  }
}

TEST(SqliteMigrations, StoreRefusesNewerSchemaAndLeavesItAlone) {
  TempDir dir;
  {
    auto s = SqliteStore::open(dir.file("wgd.db"));
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->create(named("keep-me"), test_pool()));
  }
  {
    auto c = connect(dir.file("wgd.db"));
    ASSERT_TRUE(c->exec("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)"));
  }
  auto s = SqliteStore::open(dir.file("wgd.db"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("schema version 99"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("newer wgd"), std::string::npos);
  auto c = connect(dir.file("wgd.db"));
  EXPECT_EQ(*schema_version(*c), 99);
  EXPECT_EQ(scalar(*c, "SELECT COUNT(*) FROM peers"), 1);
}

}  // namespace
}  // namespace wgd::serve::sqlite
