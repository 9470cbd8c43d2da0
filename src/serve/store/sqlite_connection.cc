#include "serve/store/sqlite_connection.h"

#include <cerrno>
#include <random>
#include <thread>

namespace wgd::serve::sqlite {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  int code = EIO;
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) code = EBUSY;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) code = EEXIST;
  const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{fmt::format("{}: {}", what, msg), code};
}

Statement::~Statement() {
  if (s_) {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
}

// SQLITE_TRANSIENT: SQLite copies the value, so the caller's buffer (maybe a key) can be
// wiped right after binding.
Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Statement& Statement::bind(int i, std::string_view text) {
  sqlite3_bind_text(s_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int i, ByteSpan blob) {
  sqlite3_bind_blob(s_, i, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The SQL text (never the bound values, which may be keys) says which statement failed.
  std::string_view sql = sqlite3_sql(s_);
  if (sql.size() > 60) sql = sql.substr(0, 60);
  return std::unexpected(sqlite_error(sqlite3_db_handle(s_), rc, sql));
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
           : std::string();
}

ByteSpan Statement::blob(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  return {static_cast<const std::uint8_t*>(p),
          static_cast<std::size_t>(sqlite3_column_bytes(s_, col))};
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  // No SQLITE_OPEN_CREATE: the file was created (0600) before; NOFOLLOW because `path` is
  // already resolved. NOMUTEX: a connection is used by one thread at a time.
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) return std::unexpected(sqlite_error(raw, rc, path));
  sqlite3_extended_result_codes(raw, 1);
  auto c = std::make_unique<Connection>(std::move(db), path, busy_timeout_ms);
  sqlite3_busy_handler(raw, &Connection::on_busy, c.get());  // c's address is stable

  // WAL: readers never block the writer, and a commit is one append + fsync. The setting is
  // stored in the file; asking again is a no-op.
  // Switching a new file to WAL needs an exclusive lock. When several processes open a fresh
  // file at once, SQLite answers SQLITE_BUSY at once instead of calling the busy handler (a
  // reader upgrading its lock would deadlock), so the switch is retried here until the
  // busy timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (int attempt = 0;; ++attempt) {
    auto mode = c->prepare("PRAGMA journal_mode=WAL");
    if (!mode) return std::unexpected(mode.error().context(path));
    auto row = mode->step();
    if (!row) {
      if (row.error().code == EBUSY && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::microseconds(500 + 250 * (attempt % 8)));
        continue;
      }
      return std::unexpected(row.error().context(path));
    }
    std::string got = *row ? mode->text(0) : "unknown";
    if (got != "wal")
      return fail(fmt::format("{}: the database refused WAL mode (journal_mode is {})", path, got),
                  EIO);
    break;
  }  // the statement is reset here: foreign_keys below is ignored while one is active
  // synchronous=FULL: in WAL mode every COMMIT fsyncs the log, so an acknowledged write
  // survives power loss, not only a crash. secure_delete: deleted rows (private keys of removed
  // peers) are overwritten in the file, not left in free pages.
  if (auto ok = c->exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                        "PRAGMA secure_delete=ON; PRAGMA trusted_schema=OFF");
      !ok)
    return std::unexpected(ok.error().context(path));
  return c;
}

// SQLite's own busy timeout sleeps up to 100 ms between attempts, so a waiting writer keeps
// missing the short gap between another process's back-to-back transactions and can starve
// for seconds. Polling every 0.25-2 ms (with jitter, so waiters do not move in step) catches
// the gap; a lock attempt costs one fcntl().
int Connection::on_busy(void* self, int count) {
  auto* c = static_cast<Connection*>(self);
  auto now = std::chrono::steady_clock::now();
  if (count == 0) c->busy_since_ = now;
  if (now - c->busy_since_ >= std::chrono::milliseconds(c->busy_timeout_ms_)) return 0;
  thread_local std::minstd_rand rng{std::random_device{}()};
  int max_us = count < 8 ? 250 << (count / 2) : 2000;  // 250 us, growing to 2 ms
  std::this_thread::sleep_for(
      std::chrono::microseconds(std::uniform_int_distribution<int>(max_us / 2, max_us)(rng)));
  return 1;
}

Result<Statement> Connection::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    StmtHandle stmt(raw);
    if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db_.get(), rc, "prepare"));
    it = cache_.emplace(std::move(key), std::move(stmt)).first;
  }
  return Statement(it->second.get());
}

Result<void> Connection::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return {};
  sqlite3_free(err);  // the same text is available from sqlite3_errmsg
  std::string_view what = sql;
  if (what.size() > 60) what = what.substr(0, 60);
  return std::unexpected(sqlite_error(db_.get(), rc, what));
}

Result<Transaction> Transaction::begin(Connection& c, Kind kind) {
  if (auto ok = c.exec(kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"); !ok)
    return std::unexpected(ok.error());
  return Transaction(&c);
}

Result<void> Transaction::commit() {
  if (auto ok = c_->exec("COMMIT"); !ok) return ok;  // still open: the destructor rolls back
  c_ = nullptr;
  return {};
}

Transaction::~Transaction() {
  // Some errors (I/O, full disk) make SQLite roll back on its own; then there is nothing to do.
  if (c_ && !sqlite3_get_autocommit(c_->raw())) (void)c_->exec("ROLLBACK");
}

}  // namespace wgd::serve::sqlite
