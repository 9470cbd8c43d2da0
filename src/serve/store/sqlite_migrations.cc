#include "serve/store/sqlite_migrations.h"

#include <cerrno>
#include <chrono>
#include <string>

namespace wgd::serve::sqlite {
namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<bool> has_migrations_table(Connection& c) {
  auto q =
      c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!q) return std::unexpected(q.error());
  return q->step();
}

Result<void> refuse_if_newer(const Connection& c, int version, std::span<const Migration> steps) {
  int known = steps.empty() ? 0 : steps.back().version;
  if (version > known)
    return fail(fmt::format("{}: the database has schema version {}, but this wgd knows versions "
                            "up to {} only; it was written by a newer wgd (run that, or restore "
                            "a backup taken before the upgrade)",
                            c.path(), version, known),
                EIO);
  return {};
}

}  // namespace

Result<int> schema_version(Connection& c) {
  auto exists = has_migrations_table(c);
  if (!exists) return std::unexpected(exists.error());
  if (!*exists) return 0;
  auto q = c.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!q) return std::unexpected(q.error());
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  return static_cast<int>(q->int64(0));
}

Result<int> migrate(Connection& c, std::span<const Migration> steps) {
  for (std::size_t i = 1; i < steps.size(); ++i)
    if (steps[i].version <= steps[i - 1].version)
      return fail("schema migrations are out of order (a bug in wgd)", EIO);

  // Fast path without the write lock: the usual start-up finds nothing to do.
  auto current = schema_version(c);
  if (!current) return current;
  if (auto ok = refuse_if_newer(c, *current, steps); !ok) return std::unexpected(ok.error());
  if (steps.empty() || *current == steps.back().version) return *current;

  for (const Migration& step : steps) {
    auto txn = Transaction::begin(c, Transaction::Kind::kWrite);
    if (!txn) return std::unexpected(txn.error().context("schema migration"));
    if (auto ok = c.exec(std::string(kCreateTable)); !ok) return std::unexpected(ok.error());
    // Re-read under the lock: another process may have migrated meanwhile.
    current = schema_version(c);
    if (!current) return current;
    if (auto ok = refuse_if_newer(c, *current, steps); !ok) return std::unexpected(ok.error());
    if (*current >= step.version) continue;  // already applied (the transaction rolls back)
    if (auto ok = c.exec(std::string(step.sql)); !ok)
      return std::unexpected(
          ok.error().context(fmt::format("schema migration {} ({})", step.version, step.name)));
    auto record =
        c.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    if (!record) return std::unexpected(record.error());
    if (auto ok = record->bind_all(std::int64_t{step.version}, step.name, unix_now()).run(); !ok)
      return std::unexpected(ok.error());
    if (auto ok = txn->commit(); !ok)
      return std::unexpected(ok.error().context(fmt::format("schema migration {}", step.version)));
  }
  return schema_version(c);
}

}  // namespace wgd::serve::sqlite
