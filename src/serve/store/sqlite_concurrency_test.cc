// Many writers on one file: threads with their own Store objects, threads sharing one object,
// separate processes, and processes killed with SIGKILL in the middle of a burst of creates.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "serve/store/sqlite_connection.h"
#include "serve/store/sqlite_store.h"
#include "serve/store/store_test_support.h"
#include "util/unique_fd.h"

extern char** environ;

namespace wgd::serve {
namespace {

using testing::named;
using testing::TempDir;
using testing::test_pool;

// Checks the invariants of a store after concurrent creates: every acknowledged id present,
// tunnel addresses unique and inside the subnets, never the server's.
void expect_consistent(const std::string& db, const std::vector<std::int64_t>& acked,
                       std::size_t expected_total, const AddressPool& pool) {
  auto s = SqliteStore::open(db);
  ASSERT_TRUE(s) << s.error().message;
  auto all = (*s)->list({});
  ASSERT_TRUE(all) << all.error().message;
  std::set<std::int64_t> ids;
  std::set<IpAddress> v4, v6;
  for (const PeerRecord& p : all->peers) {
    ids.insert(p.id);
    ASSERT_TRUE(p.ipv4 && p.ipv6) << p.name;
    EXPECT_TRUE(pool.v4->subnet.contains(*p.ipv4));
    EXPECT_TRUE(pool.v6->subnet.contains(*p.ipv6));
    EXPECT_NE(*p.ipv4, pool.v4->reserved[0]);
    EXPECT_NE(*p.ipv6, pool.v6->reserved[0]);
    EXPECT_TRUE(v4.insert(*p.ipv4).second) << "ipv4 handed out twice: " << p.ipv4->to_string();
    EXPECT_TRUE(v6.insert(*p.ipv6).second) << "ipv6 handed out twice: " << p.ipv6->to_string();
  }
  for (std::int64_t id : acked) EXPECT_TRUE(ids.count(id)) << "acknowledged peer " << id << " lost";
  EXPECT_EQ(std::set<std::int64_t>(acked.begin(), acked.end()).size(), acked.size());
  if (expected_total) {
    EXPECT_EQ(all->total, static_cast<std::int64_t>(expected_total));
  }
  EXPECT_GE(all->total, static_cast<std::int64_t>(acked.size()));
}

std::string integrity_check(const std::string& db) {
  auto c = sqlite::Connection::open(db, 5000);
  if (!c) return c.error().message;
  auto q = (*c)->prepare("PRAGMA integrity_check");
  if (!q) return q.error().message;
  auto row = q->step();
  if (!row || !*row) return "no answer";
  return q->text(0);
}

TEST(SqliteConcurrency, EightThreadsWithOwnStoreObjectsOnANewFile) {
  TempDir dir;
  const std::string db = dir.file("wgd.db");
  constexpr int kThreads = 8, kPerThread = 25;
  const AddressPool pool = test_pool();  // 10.8.0.0/24: 200 of its 253 addresses
  std::vector<std::vector<std::int64_t>> acked(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      // Every thread opens the not-yet-existing file at once: creation and migration race too.
      auto s = SqliteStore::open(db);
      ASSERT_TRUE(s) << s.error().message;
      for (int i = 0; i < kPerThread; ++i) {
        auto r = (*s)->create(named(fmt::format("t{}-{}", t, i)), pool);
        ASSERT_TRUE(r) << r.error().message;
        acked[t].push_back(r->id);
      }
    });
  for (auto& t : threads) t.join();
  std::vector<std::int64_t> all;
  for (auto& a : acked) all.insert(all.end(), a.begin(), a.end());
  ASSERT_EQ(all.size(), 200u);
  expect_consistent(db, all, 200, pool);
}

TEST(SqliteConcurrency, EightThreadsSharingOneStoreObject) {
  TempDir dir;
  auto s = SqliteStore::open(dir.file("wgd.db"));
  ASSERT_TRUE(s);
  const AddressPool pool = test_pool();
  std::vector<std::vector<std::int64_t>> acked(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto r = (*s)->create(named(fmt::format("t{}-{}", t, i)), pool);
        ASSERT_TRUE(r) << r.error().message;
        acked[t].push_back(r->id);
        ASSERT_TRUE((*s)->list({.limit = 5}));  // readers interleaved with the writers
      }
    });
  for (auto& t : threads) t.join();
  std::vector<std::int64_t> all;
  for (auto& a : acked) all.insert(all.end(), a.begin(), a.end());
  expect_consistent(dir.file("wgd.db"), all, 200, pool);
}

// A worker process with its stdout on a pipe.
class Worker {
 public:
  explicit Worker(std::vector<std::string> args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
    out_.reset(fds[0]);
    UniqueFd write_end(fds[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    args.insert(args.begin(), WGD_STORE_TEST_WORKER);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  Worker(Worker&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)),
        out_(std::move(o.out_)),
        buffer_(std::move(o.buffer_)),
        ids_(std::move(o.ids_)) {}
  ~Worker() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }

  // Reads acknowledged ids until at least `n` arrived (or end of output); returns how many.
  std::size_t read_until(std::size_t n) {
    char buf[4096];
    while (ids_.size() < n) {
      ssize_t got = ::read(out_.get(), buf, sizeof buf);
      if (got <= 0) break;
      buffer_.append(buf, static_cast<std::size_t>(got));
      std::size_t nl;
      while ((nl = buffer_.find('\n')) != std::string::npos) {
        ids_.push_back(std::stoll(buffer_.substr(0, nl)));
        buffer_.erase(0, nl + 1);
      }
    }
    return ids_.size();
  }
  void kill9() { ::kill(pid_, SIGKILL); }
  // Waits for the exit; returns the raw wait status.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  const std::vector<std::int64_t>& ids() const { return ids_; }

 private:
  pid_t pid_ = -1;
  UniqueFd out_;
  std::string buffer_;
  std::vector<std::int64_t> ids_;
};

TEST(SqliteConcurrency, FourProcessesOnOneFile) {
  TempDir dir;
  const std::string db = dir.file("wgd.db");
  std::vector<Worker> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back(std::vector<std::string>{db, "create", "50", "proc" + std::to_string(w)});
    ASSERT_TRUE(workers.back().started());
  }
  std::vector<std::int64_t> all;
  for (Worker& w : workers) {
    w.read_until(SIZE_MAX);
    int status = w.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "worker status " << status;
    EXPECT_EQ(w.ids().size(), 50u);
    all.insert(all.end(), w.ids().begin(), w.ids().end());
  }
  expect_consistent(db, all, 200, test_pool("10.8.0.1/16"));
}

TEST(SqliteConcurrency, KillNineDuringABurstLosesNoAcknowledgedCreate) {
  TempDir dir;
  const std::string db = dir.file("wgd.db");
  std::vector<std::int64_t> acked;
  for (int round = 0; round < 3; ++round) {
    std::vector<Worker> workers;
    for (int w = 0; w < 2; ++w) {
      workers.emplace_back(
          std::vector<std::string>{db, "create-forever", fmt::format("r{}w{}", round, w)});
      ASSERT_TRUE(workers.back().started());
    }
    // Let them run into the middle of the burst, then kill both without warning.
    std::size_t target = 20 + 15 * static_cast<std::size_t>(round);
    for (Worker& w : workers) ASSERT_GE(w.read_until(target), target);
    for (Worker& w : workers) w.kill9();
    for (Worker& w : workers) {
      w.read_until(SIZE_MAX);  // ids written before the kill are still in the pipe
      int status = w.wait();
      EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
      acked.insert(acked.end(), w.ids().begin(), w.ids().end());
    }
    // Reopening recovers the WAL the dead writers left behind.
    EXPECT_EQ(integrity_check(db), "ok");
    expect_consistent(db, acked, 0, test_pool("10.8.0.1/16"));
    std::printf("[ figures ] kill -9 round %d: %zu acknowledged creates so far, all present\n",
                round, acked.size());
  }
}

}  // namespace
}  // namespace wgd::serve
