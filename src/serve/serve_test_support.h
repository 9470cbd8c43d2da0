// Tests of serve/: a SQLite store in a temporary directory, and a fake clock.
#pragma once

#include <atomic>
#include <memory>

#include "serve/store/sqlite_store.h"
#include "serve/store/store_test_support.h"

namespace wgd::serve::testing {

inline std::unique_ptr<SqliteStore> open_test_store(const TempDir& dir) {
  auto s = SqliteStore::open(dir.file("wgd.db"));
  if (!s) std::abort();
  return std::move(*s);
}

// Unix seconds the test sets.
struct FakeClock {
  std::atomic<std::int64_t> now{1'700'000'000};
  std::function<std::int64_t()> function() {
    return [this] { return now.load(); };
  }
};

}  // namespace wgd::serve::testing
