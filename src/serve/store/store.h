// The peer registry: the desired state of `wgd serve`. A reconciler keeps the interface equal
// to it. Implementations: SqliteStore (one gateway) and, next, a PostgreSQL store shared by
// several gateways; nothing above this interface may assume which one it talks to.
//
// Contract for every implementation:
// - A call that returns success has been made durable (it survives kill -9 and power loss
//   as far as the database's own guarantee goes).
// - Uniqueness (name case-insensitively, public key, each tunnel address, each extra route) is
//   enforced by the database itself, so two servers writing at once can never both win;
//   automatic allocation retries when it loses such a race.
// - Errors carry a StoreErrorKind (store_error.h) and name the offending field; they never
//   contain a private or preshared key.
// - Objects are safe to use from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "serve/store/address_allocator.h"
#include "serve/store/peer_record.h"
#include "serve/store/peer_spec.h"
#include "serve/store/store_error.h"
#include "util/error.h"

namespace wgd::serve {

class Store {
 public:
  virtual ~Store() = default;

  // Creates a peer, allocating its tunnel addresses from `pool` as `spec` asks.
  virtual Result<PeerRecord> create(const NewPeer& spec, const AddressPool& pool) = 0;
  // Creates all peers in one transaction, or none (bulk import, provisioning). An error names
  // the index of the failing entry: "peers[12]: name: 'x' is already taken".
  virtual Result<std::vector<PeerRecord>> create_many(std::span<const NewPeer> specs,
                                                      const AddressPool& pool) = 0;

  virtual Result<PeerRecord> get(std::int64_t id) = 0;
  virtual Result<PeerRecord> get_by_name(std::string_view name) = 0;  // case-insensitive
  virtual Result<PeerRecord> get_by_public_key(const crypto::PublicKey& key) = 0;
  // One consistent snapshot: the page and the total come from the same state.
  virtual Result<PeerPage> list(const PeerFilter& filter) = 0;

  // Changes the given fields; bumps the row's revision and updated_at. With
  // update.expected_revision set, fails with kConflict if the row has changed since.
  virtual Result<PeerRecord> update(std::int64_t id, const PeerUpdate& update,
                                    const AddressPool& pool) = 0;
  // Removes a peer for good (its addresses become free). kNotFound if there is none;
  // kConflict if expected_revision is given and stale.
  virtual Result<void> remove(std::int64_t id, std::optional<std::int64_t> expected_revision) = 0;
  Result<void> remove(std::int64_t id) { return remove(id, std::nullopt); }

  // Settings: small key -> value pairs shared by every gateway on this store (server key,
  // listen port, ...). Values may be secrets and are never echoed in errors.
  virtual Result<std::optional<std::string>> get_setting(std::string_view key) = 0;
  virtual Result<void> set_setting(std::string_view key, std::string_view value) = 0;
  // Stores `value` unless the key has one already; returns whichever value is stored now. Two
  // gateways starting at once both get the same answer (e.g. one server private key).
  virtual Result<std::string> put_setting_if_absent(std::string_view key,
                                                    std::string_view value) = 0;

  // A counter every write (by any process or gateway sharing the store) increases. Cheap, so a
  // reconciler can poll it and re-read peers only when it moved.
  virtual Result<std::int64_t> store_revision() = 0;
};

}  // namespace wgd::serve
