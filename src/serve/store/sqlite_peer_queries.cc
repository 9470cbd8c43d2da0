#include "serve/store/sqlite_peer_queries.h"

#include <algorithm>

#include "crypto/key_codec.h"

namespace wgd::serve::sqlite {
namespace {

using Family = IpAddress::Family;

std::string_view column_of(Family f) {
  return f == Family::kV4 ? "ipv4" : "ipv6";
}

// Binds the columns shared by INSERT and UPDATE (name .. managed_by) from index `first`.
void bind_peer_fields(Statement& s, int first, const PeerRecord& p,
                      const std::optional<SecretText>& priv, const std::optional<SecretText>& psk) {
  int i = first;
  s.bind(i++, p.name);
  s.bind(i++, crypto::key_to_base64(p.public_key));
  priv ? s.bind(i++, priv->view()) : s.bind_null(i++);
  psk ? s.bind(i++, psk->view()) : s.bind_null(i++);
  s.bind(i++, address_bytes(p.ipv4));
  s.bind(i++, address_bytes(p.ipv6));
  s.bind(i++, join_list(p.client_allowed_ips));
  s.bind(i++, join_list(p.dns));
  s.bind(i++, p.persistent_keepalive ? std::optional<std::int64_t>(*p.persistent_keepalive)
                                     : std::nullopt);
  s.bind(i++, p.description);
  s.bind(i++, std::int64_t{p.enabled ? 1 : 0});
  s.bind(i++, p.expires_at);
  s.bind(i++, p.managed_by);
}

}  // namespace

Result<std::span<const IpAddress>> UsedAddresses::in(Connection& c, const TunnelSubnet& s) {
  auto& slot = slot_for(s.subnet.address.family());
  if (slot && slot->subnet == s.subnet.canonical()) return std::span<const IpAddress>(slot->sorted);
  auto [lo, hi] = subnet_bounds(s.subnet);
  // A range scan of the unique index: byte order of the BLOBs is numeric order.
  auto q = c.prepare(fmt::format("SELECT {0} FROM peers WHERE {0} >= ? AND {0} <= ? ORDER BY {0}",
                                 column_of(lo.family())));
  if (!q) return error_of(q);
  q->bind_all(address_bytes(lo), address_bytes(hi));
  Loaded loaded{s.subnet.canonical(), {}};
  for (;;) {
    auto row = q->step();
    if (!row) return error_of(row);
    if (!*row) break;
    ByteSpan b = q->blob(0);
    if (b.size() != lo.byte_length())
      return fail("peers: a stored address has the wrong length", EIO);
    loaded.sorted.push_back(IpAddress::from_bytes(lo.family(), b.data()));
  }
  slot = std::move(loaded);
  return std::span<const IpAddress>(slot->sorted);
}

void UsedAddresses::add(const std::optional<IpAddress>& a) {
  if (!a) return;
  auto& slot = slot_for(a->family());
  if (!slot || !slot->subnet.contains(*a)) return;
  slot->sorted.insert(std::lower_bound(slot->sorted.begin(), slot->sorted.end(), *a), *a);
}

// The tunnel address of one family for a new or changed peer. `current` is the peer's address
// before an update (none on create); `self_id` excludes the peer itself from "taken by".
Result<std::optional<IpAddress>> resolve_address(Connection& c, UsedAddresses& used, Family f,
                                                 const AddressRequest& req, const AddressPool& pool,
                                                 const std::optional<IpAddress>& current,
                                                 std::int64_t self_id) {
  const std::string_view field = column_of(f);
  const auto& subnet = pool.for_family(f);
  switch (req.mode) {
    case AddressRequest::Mode::kNone:
      return std::nullopt;
    case AddressRequest::Mode::kAuto: {
      if (current) return current;
      if (!subnet) return std::nullopt;
      auto in_use = used.in(c, *subnet);
      if (!in_use) return error_of(in_use);
      auto a = allocate_address(*subnet, *in_use);
      if (!a) return std::unexpected(a.error().context(field));
      return std::optional(*a);
    }
    case AddressRequest::Mode::kExplicit: {
      if (req.address.family() != f)
        return store_failf(StoreErrorKind::kInvalid, "{}: {} is not an IPv{} address", field,
                           req.address.to_string(), f == Family::kV4 ? 4 : 6);
      if (current && *current == req.address) return current;  // unchanged
      if (!subnet)
        return store_failf(StoreErrorKind::kInvalid, "{}: the server has no IPv{} tunnel subnet",
                           field, f == Family::kV4 ? 4 : 6);
      auto q = c.prepare(fmt::format("SELECT name FROM peers WHERE {} = ? AND id <> ?", field));
      if (!q) return error_of(q);
      q->bind_all(address_bytes(req.address), self_id);
      auto row = q->step();
      if (!row) return error_of(row);
      std::optional<std::string> taken_by;
      if (*row) taken_by = q->text(0);
      if (auto ok = validate_requested(req.address, *subnet, taken_by); !ok)
        return std::unexpected(ok.error().context(field));
      return std::optional(req.address);
    }
  }
  return std::nullopt;
}

// Friendly conflict messages, checked under the write lock before writing. The unique indexes
// still decide (see constraint_error) if anything slips past.
Result<void> check_unique(Connection& c, const PeerRecord& p, std::int64_t self_id, bool check_name,
                          bool check_key, bool check_routes) {
  if (check_name) {
    auto q = c.prepare("SELECT name FROM peers WHERE lower(name) = lower(?) AND id <> ?");
    if (!q) return error_of(q);
    q->bind_all(p.name, self_id);
    auto row = q->step();
    if (!row) return error_of(row);
    if (*row)
      return store_failf(StoreErrorKind::kConflict, "name: '{}' is already taken{}", p.name,
                         q->text(0) == p.name ? "" : fmt::format(" (by '{}')", q->text(0)));
  }
  if (check_key) {
    auto q = c.prepare("SELECT name FROM peers WHERE public_key = ? AND id <> ?");
    if (!q) return error_of(q);
    q->bind_all(crypto::key_to_base64(p.public_key), self_id);
    auto row = q->step();
    if (!row) return error_of(row);
    if (*row)
      return store_failf(StoreErrorKind::kConflict, "public_key: already used by peer {}",
                         q->text(0));
  }
  if (check_routes) {
    for (const IpPrefix& r : p.extra_allowed_ips) {
      auto q = c.prepare(
          "SELECT p.name FROM peer_routes r JOIN peers p ON p.id = r.peer_id "
          "WHERE r.prefix = ? AND r.peer_id <> ?");
      if (!q) return error_of(q);
      q->bind_all(r.to_string(), self_id);
      auto row = q->step();
      if (!row) return error_of(row);
      if (*row)
        return store_failf(StoreErrorKind::kConflict,
                           "extra_allowed_ips: {} is already routed to peer {}", r.to_string(),
                           q->text(0));
    }
  }
  return {};
}

// A UNIQUE violation reported by the database, as the field it concerns. For an address that
// was allocated automatically it means another writer took it first: retry (kLostRace).
Error constraint_error(const Error& e, bool auto_v4, bool auto_v6) {
  if (e.code != EEXIST) return e;
  auto has = [&](std::string_view s) { return e.message.find(s) != std::string::npos; };
  auto conflict = [](std::string m) {
    return Error{std::move(m), to_errno(StoreErrorKind::kConflict)};
  };
  if (has("peers_name_key") || has("peers.name")) return conflict("name: already taken");
  if (has("peers.public_key")) return conflict("public_key: already used by another peer");
  if (has("peers.ipv4"))
    return auto_v4 ? Error{"ipv4: lost an allocation race", kLostRace}
                   : conflict("ipv4: the address is already taken");
  if (has("peers.ipv6"))
    return auto_v6 ? Error{"ipv6: lost an allocation race", kLostRace}
                   : conflict("ipv6: the address is already taken");
  if (has("peer_routes.prefix"))
    return conflict("extra_allowed_ips: a prefix is already routed to another peer");
  return conflict(e.message);
}

Result<void> write_routes(Connection& c, std::int64_t id, const std::vector<IpPrefix>& routes,
                          bool replace) {
  if (replace) {
    auto del = c.prepare("DELETE FROM peer_routes WHERE peer_id = ?");
    if (!del) return error_of(del);
    if (auto ok = del->bind_all(id).run(); !ok) return ok;
  }
  for (std::size_t i = 0; i < routes.size(); ++i) {
    auto ins = c.prepare("INSERT INTO peer_routes (peer_id, position, prefix) VALUES (?, ?, ?)");
    if (!ins) return error_of(ins);
    if (auto ok = ins->bind_all(id, static_cast<std::int64_t>(i), routes[i].to_string()).run(); !ok)
      return ok;
  }
  return {};
}

Result<std::int64_t> insert_peer(Connection& c, const PeerRecord& p) {
  auto q = c.prepare(
      "INSERT INTO peers (name, public_key, private_key, preshared_key, ipv4, ipv6, "
      "client_allowed_ips, dns, persistent_keepalive, description, enabled, expires_at, "
      "managed_by, created_at, updated_at, revision) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
  if (!q) return error_of(q);
  auto priv = secret_text(p.private_key);
  auto psk = secret_text(p.preshared_key);
  bind_peer_fields(*q, 1, p, priv, psk);
  q->bind(14, p.created_at).bind(15, p.updated_at).bind(16, p.revision);
  auto row = q->step();
  if (!row) return error_of(row);
  if (!*row) return fail("INSERT INTO peers returned no id", EIO);
  return q->int64(0);
}

Result<void> update_peer_row(Connection& c, const PeerRecord& p) {
  auto q = c.prepare(
      "UPDATE peers SET name = ?, public_key = ?, private_key = ?, preshared_key = ?, ipv4 = ?, "
      "ipv6 = ?, client_allowed_ips = ?, dns = ?, persistent_keepalive = ?, description = ?, "
      "enabled = ?, expires_at = ?, managed_by = ?, updated_at = ?, revision = ? WHERE id = ?");
  if (!q) return error_of(q);
  auto priv = secret_text(p.private_key);
  auto psk = secret_text(p.preshared_key);
  bind_peer_fields(*q, 1, p, priv, psk);
  q->bind(14, p.updated_at).bind(15, p.revision).bind(16, p.id);
  return q->run();
}

// Fills extra_allowed_ips of `peers` (ascending ids) in one range query.
Result<void> load_routes(Connection& c, std::span<PeerRecord> peers) {
  if (peers.empty()) return {};
  auto q = c.prepare(
      "SELECT peer_id, prefix FROM peer_routes WHERE peer_id BETWEEN ? AND ? "
      "ORDER BY peer_id, position");
  if (!q) return error_of(q);
  q->bind_all(peers.front().id, peers.back().id);
  std::size_t at = 0;
  for (;;) {
    auto row = q->step();
    if (!row) return error_of(row);
    if (!*row) return {};
    std::int64_t id = q->int64(0);
    while (at < peers.size() && peers[at].id < id) ++at;
    if (at == peers.size()) return {};
    if (peers[at].id != id) continue;  // a peer between the ends that the filter left out
    auto prefix = IpPrefix::parse(q->text(1));
    if (!prefix)
      return fail(fmt::format("peer {}: a stored extra_allowed_ips prefix is not valid", id), EIO);
    peers[at].extra_allowed_ips.push_back(*prefix);
  }
}

Result<void> bump_store_revision(Connection& c) {
  auto q = c.prepare("UPDATE store_state SET revision = revision + 1 WHERE id = 1");
  if (!q) return error_of(q);
  return q->run();
}

}  // namespace wgd::serve::sqlite
