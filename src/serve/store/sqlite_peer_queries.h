// The SQL behind the SQLite store's peer operations. Each function runs inside a transaction
// its caller opened (SqliteStore::in_transaction); none commits.
#pragma once

#include <cerrno>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "serve/store/address_allocator.h"
#include "serve/store/peer_record.h"
#include "serve/store/peer_spec.h"
#include "serve/store/sqlite_connection.h"
#include "serve/store/sqlite_peer_rows.h"
#include "serve/store/store_error.h"

namespace wgd::serve::sqlite {

// Internal code for "an automatic allocation lost a race on the unique index": the
// transaction is retried, and the caller never sees this code.
inline constexpr int kLostRace = EAGAIN;

// The addresses in use inside one subnet per family, read once per write transaction from the
// unique index (in address order) and kept current as the transaction assigns addresses.
class UsedAddresses {
 public:
  // The used addresses of `s`, ascending (read from the database on first use).
  Result<std::span<const IpAddress>> in(Connection& c, const TunnelSubnet& s);
  // Records an address this transaction has just assigned.
  void add(const std::optional<IpAddress>& a);

 private:
  struct Loaded {
    IpPrefix subnet;
    std::vector<IpAddress> sorted;
  };
  std::optional<Loaded>& slot_for(IpAddress::Family f) {
    return f == IpAddress::Family::kV4 ? v4_ : v6_;
  }
  std::optional<Loaded> v4_, v6_;
};

// The tunnel address of one family for a new or changed peer. `current` is the peer's address
// before an update (none on create); `self_id` excludes the peer itself from "taken by".
Result<std::optional<IpAddress>> resolve_address(Connection& c, UsedAddresses& used,
                                                 IpAddress::Family f, const AddressRequest& req,
                                                 const AddressPool& pool,
                                                 const std::optional<IpAddress>& current,
                                                 std::int64_t self_id);

// Friendly conflict messages ("name: 'x' is already taken"), checked under the write lock
// before writing. The unique indexes still decide if anything slips past (constraint_error).
Result<void> check_unique(Connection& c, const PeerRecord& p, std::int64_t self_id, bool check_name,
                          bool check_key, bool check_routes);

// A UNIQUE violation reported by the database, as the field it concerns. For an address that
// was allocated automatically it means another writer took it first: kLostRace (retry).
Error constraint_error(const Error& e, bool auto_v4, bool auto_v6);

// INSERT of a new row (returning its id) / UPDATE of every column but id and created_at.
Result<std::int64_t> insert_peer(Connection& c, const PeerRecord& p);
Result<void> update_peer_row(Connection& c, const PeerRecord& p);
// Writes the extra routes of peer `id`, replacing its old ones when `replace`.
Result<void> write_routes(Connection& c, std::int64_t id, const std::vector<IpPrefix>& routes,
                          bool replace);
// Fills extra_allowed_ips of `peers` (ascending ids) with one range query.
Result<void> load_routes(Connection& c, std::span<PeerRecord> peers);
Result<void> bump_store_revision(Connection& c);

// One peer with its routes, `where` selecting it by `key`; kNotFound names it as `what`.
template <class Key>
Result<PeerRecord> load_peer(Connection& c, std::string_view where, const Key& key,
                             std::string_view what) {
  PeerRecord r;
  {
    auto q = c.prepare(fmt::format("SELECT {} FROM peers WHERE {}", kPeerColumns, where));
    if (!q) return error_of(q);
    q->bind(1, key);
    auto row = q->step();
    if (!row) return error_of(row);
    if (!*row) return store_failf(StoreErrorKind::kNotFound, "{} not found", what);
    auto decoded = decode_peer(*q);
    if (!decoded) return decoded;
    r = std::move(*decoded);
  }  // (the statement is reset before the next one runs)
  if (auto ok = load_routes(c, std::span(&r, 1)); !ok) return error_of(ok);
  return r;
}

}  // namespace wgd::serve::sqlite
