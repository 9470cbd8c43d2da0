// The Store over one SQLite file (WAL, synchronous=FULL). Safe for several threads on one
// object, several objects in one process and several processes on one file: every write
// runs inside BEGIN IMMEDIATE (SQLite's file lock serialises writers across processes) and the
// unique indexes are the final guard.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "serve/store/sqlite_connection.h"
#include "serve/store/store.h"

namespace wgd::serve {

struct SqliteStoreOptions {
  // How long a writer waits for another writer's lock before it retries.
  int busy_timeout_ms = 5000;
  // Attempts for one operation when the lock stays busy or an automatic allocation loses a race
  // on the unique index; after that the caller gets kIo ("database is busy"). So a write waits
  // at most about max_attempts * busy_timeout_ms for a lock held by another process.
  int max_attempts = 4;
};

class SqliteStore final : public Store {
 public:
  // Creates the file (0600) or repairs the mode of an existing one and its -wal/-shm/-journal
  // files (logged as a warning), opens it and applies pending schema migrations. Refuses a
  // database whose schema is newer than this build knows.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   SqliteStoreOptions options = {});

  Result<PeerRecord> create(const NewPeer& spec, const AddressPool& pool) override;
  Result<std::vector<PeerRecord>> create_many(std::span<const NewPeer> specs,
                                              const AddressPool& pool) override;
  Result<PeerRecord> get(std::int64_t id) override;
  Result<PeerRecord> get_by_name(std::string_view name) override;
  Result<PeerRecord> get_by_public_key(const crypto::PublicKey& key) override;
  Result<PeerPage> list(const PeerFilter& filter) override;
  Result<PeerRecord> update(std::int64_t id, const PeerUpdate& update,
                            const AddressPool& pool) override;
  Result<void> remove(std::int64_t id, std::optional<std::int64_t> expected_revision) override;
  using Store::remove;
  Result<std::optional<std::string>> get_setting(std::string_view key) override;
  Result<void> set_setting(std::string_view key, std::string_view value) override;
  Result<std::string> put_setting_if_absent(std::string_view key, std::string_view value) override;
  Result<std::int64_t> store_revision() override;

  const std::string& path() const { return path_; }  // resolved
  int schema_version() const { return schema_version_; }

  // Use open(); public only so std::make_unique can reach it.
  SqliteStore(std::string path, SqliteStoreOptions options, int schema_version);

 private:
  // A connection borrowed from the pool for one operation, returned on destruction.
  class Lease {
   public:
    Lease(SqliteStore* owner, std::unique_ptr<sqlite::Connection> c)
        : owner_(owner), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease();
    sqlite::Connection& operator*() { return *c_; }

   private:
    SqliteStore* owner_;
    std::unique_ptr<sqlite::Connection> c_;
  };

  Result<Lease> acquire();
  // Runs `body(connection)` in a transaction, retrying on a busy lock or (EAGAIN) a lost
  // allocation race. Write transactions also bump the store revision before committing.
  template <class Body>
  auto in_transaction(sqlite::Transaction::Kind kind, Body&& body)
      -> decltype(body(std::declval<sqlite::Connection&>()));

  std::string path_;
  SqliteStoreOptions options_;
  int schema_version_;
  // Shared by every SqliteStore on this file in this process. Writers queue here instead of
  // polling SQLite's lock against each other: only fairness and throughput, never
  // correctness, which comes from SQLite's file lock (other processes do not see this mutex).
  std::shared_ptr<std::mutex> writer_gate_;
  std::mutex pool_mu_;  // guards idle_ only; SQLite's own locks serialise the writes
  std::vector<std::unique_ptr<sqlite::Connection>> idle_;
};

}  // namespace wgd::serve
