#include "serve/store/sqlite_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <random>
#include <thread>
#include <unordered_map>

#include "crypto/key_codec.h"
#include "serve/store/peer_validation.h"
#include "serve/store/sqlite_file.h"
#include "serve/store/sqlite_migrations.h"
#include "serve/store/sqlite_peer_queries.h"

namespace wgd::serve {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;
using Family = IpAddress::Family;
// The peer queries (sqlite_peer_queries.h).
using sqlite::bump_store_revision;
using sqlite::check_unique;
using sqlite::constraint_error;
using sqlite::insert_peer;
using sqlite::load_peer;
using sqlite::load_routes;
using sqlite::resolve_address;
using sqlite::update_peer_row;
using sqlite::UsedAddresses;
using sqlite::write_routes;

namespace {

constexpr std::size_t kMaxIdleConnections = 8;
constexpr std::size_t kMaxSettingBytes = 64 * 1024;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool retryable(const Error& e) {
  return e.code == EBUSY || e.code == sqlite::kLostRace;
}

void backoff(int attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  int base_ms = 1 << std::min(attempt, 6);
  std::uniform_int_distribution<int> jitter(base_ms / 2, base_ms * 3 / 2 + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
}

Result<void> check_pool(const AddressPool& pool) {
  if (pool.v4 && !pool.v4->subnet.address.is_v4())
    return store_fail(StoreErrorKind::kInvalid, "address pool: the IPv4 subnet is not IPv4");
  if (pool.v6 && !pool.v6->subnet.address.is_v6())
    return store_fail(StoreErrorKind::kInvalid, "address pool: the IPv6 subnet is not IPv6");
  return {};
}

bool is_auto(const AddressRequest& r) {
  return r.mode == AddressRequest::Mode::kAuto;
}

// LIKE pattern for a case-insensitive substring match; '_' and '%' in names match literally.
std::string like_pattern(std::string_view needle) {
  std::string p = "%";
  for (char ch : needle) {
    if (ch == '%' || ch == '_' || ch == '\\') p += '\\';
    p += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return p + "%";
}

// One writer gate per database file per process (see SqliteStore::writer_gate_).
std::shared_ptr<std::mutex> writer_gate_for(const std::string& resolved_path) {
  static std::mutex registry_mu;
  static std::unordered_map<std::string, std::weak_ptr<std::mutex>> registry;
  std::lock_guard lock(registry_mu);
  std::erase_if(registry, [](const auto& kv) { return kv.second.expired(); });
  auto& slot = registry[resolved_path];
  auto gate = slot.lock();
  if (!gate) {
    gate = std::make_shared<std::mutex>();
    slot = gate;
  }
  return gate;
}

}  // namespace

SqliteStore::SqliteStore(std::string path, SqliteStoreOptions options, int schema_version)
    : path_(std::move(path)),
      options_(options),
      schema_version_(schema_version),
      writer_gate_(writer_gate_for(path_)) {}

SqliteStore::Lease::~Lease() {
  if (!c_) return;
  std::lock_guard lock(owner_->pool_mu_);
  if (owner_->idle_.size() < kMaxIdleConnections) owner_->idle_.push_back(std::move(c_));
}

Result<SqliteStore::Lease> SqliteStore::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  auto c = Connection::open(path_, options_.busy_timeout_ms);
  if (!c) return std::unexpected(c.error());
  return Lease(this, std::move(*c));
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       SqliteStoreOptions options) {
  auto file = sqlite::prepare_database_file(path);
  if (!file) return std::unexpected(file.error());
  for (const std::string& f : file->repaired)
    spdlog::warn("{}: mode was not 0600; set it to 0600 (the database may hold private keys)", f);
  auto conn = Connection::open(file->path, options.busy_timeout_ms);
  if (!conn) return std::unexpected(conn.error());
  auto version = sqlite::migrate(**conn, sqlite::store_migrations());
  if (!version) return std::unexpected(version.error());
  auto store = std::make_unique<SqliteStore>(file->path, options, *version);
  store->idle_.push_back(std::move(*conn));
  return store;
}

template <class Body>
auto SqliteStore::in_transaction(Transaction::Kind kind, Body&& body)
    -> decltype(body(std::declval<Connection&>())) {
  Error last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) backoff(attempt);
    // Declared first so it is released last, after the commit or rollback.
    std::unique_lock<std::mutex> gate;
    if (kind == Transaction::Kind::kWrite) gate = std::unique_lock(*writer_gate_);
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    auto txn = Transaction::begin(**lease, kind);
    if (!txn) {
      if (retryable(txn.error())) {
        last = txn.error();
        continue;
      }
      return std::unexpected(txn.error());
    }
    auto result = body(**lease);
    if (!result) {
      if (retryable(result.error())) {
        last = result.error();
        continue;
      }
      return result;
    }
    if (kind == Transaction::Kind::kWrite) {
      if (auto ok = bump_store_revision(**lease); !ok) {
        if (retryable(ok.error())) {
          last = ok.error();
          continue;
        }
        return std::unexpected(ok.error());
      }
    }
    if (auto ok = txn->commit(); !ok) {
      if (retryable(ok.error())) {
        last = ok.error();
        continue;
      }
      return std::unexpected(ok.error());
    }
    return result;
  }
  return store_failf(StoreErrorKind::kIo, "{}: database is busy ({}); gave up after {} attempts",
                     path_, last.message, options_.max_attempts);
}

Result<PeerRecord> SqliteStore::create(const NewPeer& spec, const AddressPool& pool) {
  auto many = create_many(std::span(&spec, 1), pool);
  if (!many) return error_of(many);
  return std::move(many->front());
}

Result<std::vector<PeerRecord>> SqliteStore::create_many(std::span<const NewPeer> specs,
                                                         const AddressPool& pool) {
  if (auto ok = check_pool(pool); !ok) return error_of(ok);
  if (specs.empty()) return std::vector<PeerRecord>{};
  const bool indexed = specs.size() != 1;
  auto at = [&](std::size_t i, const Error& e) {
    return std::unexpected(indexed ? e.context(fmt::format("peers[{}]", i)) : e);
  };
  // Validation and key generation happen once, outside the transaction that may be retried.
  std::vector<PeerRecord> drafts;
  drafts.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto d = draft_peer(specs[i], pool);
    if (!d) return at(i, d.error());
    drafts.push_back(std::move(*d));
  }
  return in_transaction(
      Transaction::Kind::kWrite, [&](Connection& c) -> Result<std::vector<PeerRecord>> {
        UsedAddresses used;
        const std::int64_t now = unix_now();
        std::vector<PeerRecord> out;
        out.reserve(specs.size());
        for (std::size_t i = 0; i < specs.size(); ++i) {
          PeerRecord r = drafts[i].clone();
          auto v4 = resolve_address(c, used, Family::kV4, specs[i].ipv4, pool, std::nullopt, 0);
          if (!v4) return at(i, v4.error());
          auto v6 = resolve_address(c, used, Family::kV6, specs[i].ipv6, pool, std::nullopt, 0);
          if (!v6) return at(i, v6.error());
          r.ipv4 = *v4;
          r.ipv6 = *v6;
          if (auto ok = check_unique(c, r, 0, true, true, true); !ok) return at(i, ok.error());
          r.created_at = r.updated_at = now;
          r.revision = 1;
          auto id = insert_peer(c, r);
          if (!id)
            return at(i,
                      constraint_error(id.error(), is_auto(specs[i].ipv4), is_auto(specs[i].ipv6)));
          r.id = *id;
          if (auto ok = write_routes(c, r.id, r.extra_allowed_ips, false); !ok)
            return at(i, constraint_error(ok.error(), false, false));
          used.add(r.ipv4);
          used.add(r.ipv6);
          out.push_back(std::move(r));
        }
        return out;
      });
}

Result<PeerRecord> SqliteStore::get(std::int64_t id) {
  return in_transaction(Transaction::Kind::kRead, [&](Connection& c) {
    return load_peer(c, "id = ?", id, fmt::format("peer {}", id));
  });
}

Result<PeerRecord> SqliteStore::get_by_name(std::string_view name) {
  return in_transaction(Transaction::Kind::kRead, [&](Connection& c) {
    return load_peer(c, "lower(name) = lower(?)", name, fmt::format("peer '{}'", name));
  });
}

Result<PeerRecord> SqliteStore::get_by_public_key(const crypto::PublicKey& key) {
  const std::string text = crypto::key_to_base64(key);
  return in_transaction(Transaction::Kind::kRead, [&](Connection& c) {
    return load_peer(c, "public_key = ?", text, fmt::format("peer with public key {}", text));
  });
}

Result<PeerPage> SqliteStore::list(const PeerFilter& filter) {
  std::string where = " WHERE 1 = 1";
  if (!filter.name_contains.empty()) where += " AND lower(name) LIKE ? ESCAPE '\\'";
  if (filter.enabled) where += " AND enabled = ?";
  if (filter.managed_by) where += " AND managed_by = ?";
  auto bind_filter = [&](Statement& s) {
    int i = 0;
    if (!filter.name_contains.empty()) s.bind(++i, like_pattern(filter.name_contains));
    if (filter.enabled) s.bind(++i, std::int64_t{*filter.enabled ? 1 : 0});
    if (filter.managed_by) s.bind(++i, *filter.managed_by);
    return i;
  };
  std::string page_sql =
      fmt::format("SELECT {} FROM peers{} ORDER BY id", sqlite::kPeerColumns, where);
  if (filter.limit || filter.offset) page_sql += " LIMIT ? OFFSET ?";  // (PG: LIMIT ALL)

  return in_transaction(Transaction::Kind::kRead, [&](Connection& c) -> Result<PeerPage> {
    PeerPage page;
    {
      auto count = c.prepare("SELECT COUNT(*) FROM peers" + where);
      if (!count) return error_of(count);
      bind_filter(*count);
      auto row = count->step();
      if (!row) return error_of(row);
      page.total = count->int64(0);
    }
    auto q = c.prepare(page_sql);
    if (!q) return error_of(q);
    int i = bind_filter(*q);
    if (filter.limit || filter.offset) {
      q->bind(++i, filter.limit ? static_cast<std::int64_t>(filter.limit) : std::int64_t{-1});
      q->bind(++i, static_cast<std::int64_t>(filter.offset));
    }
    std::size_t expected = static_cast<std::size_t>(page.total);
    page.peers.reserve(filter.limit ? std::min(filter.limit, expected) : expected);
    for (;;) {
      auto row = q->step();
      if (!row) return error_of(row);
      if (!*row) break;
      auto r = sqlite::decode_peer(*q);
      if (!r) return error_of(r);
      page.peers.push_back(std::move(*r));
    }
    if (auto ok = load_routes(c, page.peers); !ok) return error_of(ok);
    return page;
  });
}

Result<PeerRecord> SqliteStore::update(std::int64_t id, const PeerUpdate& u,
                                       const AddressPool& pool) {
  if (auto ok = check_pool(pool); !ok) return error_of(ok);
  return in_transaction(Transaction::Kind::kWrite, [&](Connection& c) -> Result<PeerRecord> {
    auto current = load_peer(c, "id = ?", id, fmt::format("peer {}", id));
    if (!current) return current;
    if (u.expected_revision && *u.expected_revision != current->revision)
      return store_failf(StoreErrorKind::kConflict,
                         "revision: peer {} is at revision {}, not {} (changed meanwhile)",
                         current->name, current->revision, *u.expected_revision);
    PeerRecord next = current->clone();
    // (A re-key generates its pair in here; if the transaction is retried, the pair nobody
    // saw is simply replaced.)
    if (auto ok = apply_update(next, u, pool); !ok) return error_of(ok);
    UsedAddresses used;
    if (u.ipv4) {
      auto a = resolve_address(c, used, Family::kV4, *u.ipv4, pool, current->ipv4, id);
      if (!a) return error_of(a);
      next.ipv4 = *a;
    }
    if (u.ipv6) {
      auto a = resolve_address(c, used, Family::kV6, *u.ipv6, pool, current->ipv6, id);
      if (!a) return error_of(a);
      next.ipv6 = *a;
    }
    const bool routes_changed = next.extra_allowed_ips != current->extra_allowed_ips;
    if (auto ok = check_unique(c, next, id, next.name != current->name,
                               next.public_key != current->public_key, routes_changed);
        !ok)
      return error_of(ok);
    next.updated_at = unix_now();
    next.revision = current->revision + 1;
    if (auto ok = update_peer_row(c, next); !ok)
      return std::unexpected(
          constraint_error(ok.error(), u.ipv4 && is_auto(*u.ipv4), u.ipv6 && is_auto(*u.ipv6)));
    if (routes_changed)
      if (auto ok = write_routes(c, id, next.extra_allowed_ips, true); !ok)
        return std::unexpected(constraint_error(ok.error(), false, false));
    return next;
  });
}

Result<void> SqliteStore::remove(std::int64_t id, std::optional<std::int64_t> expected_revision) {
  return in_transaction(Transaction::Kind::kWrite, [&](Connection& c) -> Result<void> {
    auto q = c.prepare("SELECT name, revision FROM peers WHERE id = ?");
    if (!q) return error_of(q);
    q->bind(1, id);
    auto row = q->step();
    if (!row) return error_of(row);
    if (!*row) return store_failf(StoreErrorKind::kNotFound, "peer {} not found", id);
    if (expected_revision && *expected_revision != q->int64(1))
      return store_failf(StoreErrorKind::kConflict,
                         "revision: peer {} is at revision {}, not {} (changed meanwhile)",
                         q->text(0), q->int64(1), *expected_revision);
    // Routes go by ON DELETE CASCADE too; deleting them first keeps that an extra safety.
    for (const char* sql :
         {"DELETE FROM peer_routes WHERE peer_id = ?", "DELETE FROM peers WHERE id = ?"}) {
      auto del = c.prepare(sql);
      if (!del) return error_of(del);
      if (auto ok = del->bind_all(id).run(); !ok) return ok;
    }
    return {};
  });
}

Result<std::optional<std::string>> SqliteStore::get_setting(std::string_view key) {
  if (auto ok = validate_setting_key(key); !ok) return error_of(ok);
  return in_transaction(Transaction::Kind::kRead,
                        [&](Connection& c) -> Result<std::optional<std::string>> {
                          auto q = c.prepare("SELECT value FROM settings WHERE key = ?");
                          if (!q) return error_of(q);
                          q->bind(1, key);
                          auto row = q->step();
                          if (!row) return error_of(row);
                          if (!*row) return std::nullopt;
                          return q->text(0);
                        });
}

Result<void> SqliteStore::set_setting(std::string_view key, std::string_view value) {
  if (auto ok = validate_setting_key(key); !ok) return error_of(ok);
  if (value.size() > kMaxSettingBytes)
    return store_failf(StoreErrorKind::kInvalid, "setting {}: value longer than {} bytes", key,
                       kMaxSettingBytes);
  return in_transaction(Transaction::Kind::kWrite, [&](Connection& c) -> Result<void> {
    // Same syntax in PostgreSQL (9.5+).
    auto q = c.prepare(
        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at");
    if (!q) return error_of(q);
    return q->bind_all(key, value, unix_now()).run();
  });
}

Result<std::string> SqliteStore::put_setting_if_absent(std::string_view key,
                                                       std::string_view value) {
  if (auto ok = validate_setting_key(key); !ok) return error_of(ok);
  if (value.size() > kMaxSettingBytes)
    return store_failf(StoreErrorKind::kInvalid, "setting {}: value longer than {} bytes", key,
                       kMaxSettingBytes);
  return in_transaction(Transaction::Kind::kWrite, [&](Connection& c) -> Result<std::string> {
    {
      auto ins = c.prepare(
          "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
          "ON CONFLICT (key) DO NOTHING");
      if (!ins) return error_of(ins);
      if (auto ok = ins->bind_all(key, value, unix_now()).run(); !ok) return error_of(ok);
    }
    auto q = c.prepare("SELECT value FROM settings WHERE key = ?");
    if (!q) return error_of(q);
    q->bind(1, key);
    auto row = q->step();
    if (!row) return error_of(row);
    if (!*row) return fail(fmt::format("setting {} vanished inside its transaction", key), EIO);
    return q->text(0);
  });
}

Result<std::int64_t> SqliteStore::store_revision() {
  return in_transaction(Transaction::Kind::kRead, [&](Connection& c) -> Result<std::int64_t> {
    auto q = c.prepare("SELECT revision FROM store_state WHERE id = 1");
    if (!q) return error_of(q);
    auto row = q->step();
    if (!row) return error_of(row);
    if (!*row) return fail("store_state has no row (database damaged)", EIO);
    return q->int64(0);
  });
}

}  // namespace wgd::serve
