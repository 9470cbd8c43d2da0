// RAII over the sqlite3 C API: one connection with its cache of prepared statements, a
// borrowed statement that resets itself, and transactions that roll back unless committed.
// A Connection is used by one thread at a time (SqliteStore hands them out from a pool).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/bytes.h"
#include "util/error.h"

namespace wgd::serve::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// "what: <sqlite's message>" with Error::code set from the result code: EBUSY when the database
// stayed locked beyond the busy timeout (callers may retry), EEXIST for a UNIQUE violation
// (the message holds SQLite's "UNIQUE constraint failed: peers.ipv4" for the caller to map),
// EIO for everything else.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

// A prepared statement borrowed from a Connection's cache, reset and unbound when it goes out
// of scope so the next user starts clean. Bind indexes start at 1, columns at 0.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* s) : s_(s) {}
  Statement(Statement&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, std::string_view text);
  Statement& bind(int i, const char* text) { return bind(i, std::string_view(text)); }
  Statement& bind(int i, ByteSpan blob);
  Statement& bind_null(int i);
  template <class T>
  Statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  // Binds every argument in order from index 1.
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  Result<bool> step();  // true: a row is ready to read
  Result<void> run();   // runs a statement that returns no rows (or ignores them)

  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const;
  ByteSpan blob(int col) const;
  std::optional<std::int64_t> optional_int64(int col) const {
    return is_null(col) ? std::nullopt : std::optional(int64(col));
  }

 private:
  sqlite3_stmt* s_;
};

class Connection {
 public:
  // Opens an existing file (the caller created it with the right mode) read-write, with WAL,
  // synchronous=FULL, foreign keys and the busy timeout.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, int busy_timeout_ms);

  // A cached prepared statement for `sql` (one statement).
  Result<Statement> prepare(std::string_view sql);
  // Runs one or more statements without results (DDL, PRAGMA, BEGIN/COMMIT).
  Result<void> exec(const std::string& sql);

  // Use open(); this only takes ownership of the handle.
  Connection(DbHandle db, std::string path, int busy_timeout_ms)
      : db_(std::move(db)), path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* raw() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  // Called by SQLite while another connection holds the lock we need; `count` restarts at 0
  // for each new wait. Returns 0 to give up (SQLITE_BUSY) once busy_timeout_ms_ has passed.
  static int on_busy(void* self, int count);

  // Members are destroyed in reverse order: the statements (cache_) are finalised before the
  // connection (db_) closes.
  DbHandle db_;
  std::string path_;
  int busy_timeout_ms_;
  std::chrono::steady_clock::time_point busy_since_;
  std::unordered_map<std::string, StmtHandle> cache_;
};

// BEGIN ... COMMIT, rolled back on destruction unless committed.
class Transaction {
 public:
  enum class Kind {
    kRead,   // BEGIN: a consistent snapshot for several SELECTs
    kWrite,  // BEGIN IMMEDIATE: takes the write lock now, so read-then-write logic (allocation)
             // cannot interleave with another writer in any process
  };
  static Result<Transaction> begin(Connection& c, Kind kind);
  Transaction(Transaction&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Result<void> commit();

 private:
  explicit Transaction(Connection* c) : c_(c) {}
  Connection* c_;  // null once committed or rolled back
};

}  // namespace wgd::serve::sqlite
