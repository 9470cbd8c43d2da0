// Figures for the acceptance: start-up with 10,000 stored peers, bytes per peer and
// durable creates per second. Printed as "[ figures ]" lines; the only bound asserted is the
// acceptance criterion itself (open + list of 10,000 peers under one second).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <chrono>

#include "crypto/random.h"
#include "serve/store/sqlite_store.h"
#include "serve/store/store_test_support.h"

namespace wgd::serve {
namespace {

using testing::named;
using testing::TempDir;
using testing::test_pool;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

long long file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : 0;
}

// A typical server-managed peer: generated key pair (private key stored), preshared key, one
// address per family, DNS and keepalive; every tenth one a site with two extra routes.
NewPeer typical_peer(int i) {
  NewPeer p = named(fmt::format("user-{:05}.laptop", i));
  p.preshared_key = crypto::PresharedKey{};
  crypto::random_bytes(p.preshared_key->span());
  p.dns = {"10.0.0.1"};
  p.persistent_keepalive = 25;
  p.description = "issued by the scale test";
  if (i % 10 == 0)
    p.extra_allowed_ips = {
        *IpPrefix::parse(fmt::format("172.{}.{}.0/24", 16 + i / 2560, i / 10 % 256)),
        *IpPrefix::parse(fmt::format("2001:db8:{:x}::/48", i))};
  return p;
}

TEST(SqliteScale, TenThousandPeersStartUpAndSize) {
  TempDir dir;
  const std::string db = dir.file("wgd.db");
  const AddressPool pool = test_pool("10.0.0.1/16", "fd00:10::1/64");
  constexpr int kPeers = 10'000, kBatch = 1'000;
  {
    auto s = SqliteStore::open(db);
    ASSERT_TRUE(s) << s.error().message;
    auto t = Clock::now();
    for (int b = 0; b < kPeers / kBatch; ++b) {
      std::vector<NewPeer> batch;
      for (int i = b * kBatch; i < (b + 1) * kBatch; ++i) batch.push_back(typical_peer(i));
      auto r = (*s)->create_many(batch, pool);
      ASSERT_TRUE(r) << r.error().message;
    }
    std::printf(
        "[ figures ] bulk import: %d peers in %.0f ms (batches of %d, key generation "
        "included)\n",
        kPeers, ms_since(t), kBatch);
  }  // closing the last connection checkpoints the WAL into the database file

  auto t = Clock::now();
  auto s = SqliteStore::open(db);
  ASSERT_TRUE(s) << s.error().message;
  double open_ms = ms_since(t);
  auto all = (*s)->list({});
  ASSERT_TRUE(all) << all.error().message;
  double startup_ms = ms_since(t);
  ASSERT_EQ(all->peers.size(), static_cast<std::size_t>(kPeers));
  EXPECT_EQ(all->peers[kPeers - 1].ipv4, IpAddress::parse("10.0.39.17"));  // .2 + 9,999
  EXPECT_EQ(all->peers[10].extra_allowed_ips.size(), 2u);
  std::printf("[ figures ] start-up with %d peers: open %.1f ms, open + list all %.1f ms\n", kPeers,
              open_ms, startup_ms);
  EXPECT_LT(startup_ms, 1000.0) << "acceptance: start-up with 10,000 peers under 1 s";

  // Durable creates with 10,000 peers present (each allocation reads the used addresses).
  constexpr int kMore = 100;
  t = Clock::now();
  for (int i = 0; i < kMore; ++i) ASSERT_TRUE((*s)->create(named(fmt::format("more-{}", i)), pool));
  std::printf("[ figures ] %d durable creates with %d peers present: %.2f ms each\n", kMore, kPeers,
              ms_since(t) / kMore);
  s->reset();
  long long bytes = file_size(db);
  std::printf(
      "[ figures ] database file %lld bytes = %.0f bytes per peer (WAL checkpointed: "
      "%lld bytes left)\n",
      bytes, static_cast<double>(bytes) / (kPeers + kMore), file_size(db + "-wal"));
}

TEST(SqliteScale, DurableCreatesPerSecond) {
  TempDir dir;
  const std::string db = dir.file("wgd.db");
  struct statfs fs;
  ASSERT_EQ(::statfs(dir.path().c_str(), &fs), 0);
  auto s = SqliteStore::open(db);
  ASSERT_TRUE(s);
  constexpr int kCreates = 200;
  auto t = Clock::now();
  for (int i = 0; i < kCreates; ++i)
    ASSERT_TRUE((*s)->create(typical_peer(i), test_pool("10.0.0.1/16", "fd00:10::1/64")));
  double ms = ms_since(t);
  std::printf(
      "[ figures ] %d sequential creates, each committed with fsync (synchronous=FULL): "
      "%.0f ms = %.0f creates/s (%.2f ms each) on %s (filesystem magic 0x%lx)\n",
      kCreates, ms, kCreates * 1000.0 / ms, ms / kCreates, dir.path().c_str(),
      static_cast<unsigned long>(fs.f_type));
}

}  // namespace
}  // namespace wgd::serve
