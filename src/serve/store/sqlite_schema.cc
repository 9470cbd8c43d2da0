// The SQLite store's schema, as migration steps. Append new steps; never edit a released one.
//
// Kept close to standard SQL so the PostgreSQL store can mirror it; the differences are noted
// where they occur (PG: ...).
#include "serve/store/sqlite_migrations.h"

namespace wgd::serve::sqlite {
namespace {

constexpr std::string_view kV1 = R"sql(
-- One row; every write transaction increments `revision`, so a reconciler on any gateway can
-- poll a single integer to learn that the registry changed.
CREATE TABLE store_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision BIGINT NOT NULL
);
INSERT INTO store_state (id, revision) VALUES (1, 0);

-- Shared server settings (may hold the server's private key: the file is 0600).
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE peers (
  -- AUTOINCREMENT: ids are never reused, so a client holding the id of a deleted peer cannot
  -- change or delete a newer one by mistake. (PG: BIGINT GENERATED ALWAYS AS IDENTITY.)
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  public_key TEXT NOT NULL,            -- base64, as wg prints it
  private_key TEXT,                    -- base64; only when the server generated the keys
  preshared_key TEXT,                  -- base64
  -- Tunnel addresses as network-order bytes (PG: BYTEA): byte order is numeric order, so the
  -- allocator reads the used addresses of a subnet as one ordered range scan of the unique index.
  ipv4 BLOB CHECK (ipv4 IS NULL OR length(ipv4) = 4),     -- PG: octet_length
  ipv6 BLOB CHECK (ipv6 IS NULL OR length(ipv6) = 16),
  client_allowed_ips TEXT NOT NULL,    -- canonical prefixes, comma-separated ('' = default)
  dns TEXT NOT NULL,                   -- addresses / search domains, comma-separated
  persistent_keepalive INTEGER CHECK (persistent_keepalive BETWEEN 1 AND 65535),
  description TEXT NOT NULL,
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),     -- PG: SMALLINT (or BOOLEAN)
  expires_at BIGINT,                   -- Unix seconds
  managed_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  revision BIGINT NOT NULL
);
-- The guards that make concurrent writers safe: whatever the application checked first, two
-- peers can never share a name (ignoring case: names become host names), a key or an address.
-- NULL addresses do not collide (standard SQL; PG alike).
CREATE UNIQUE INDEX peers_name_key ON peers (lower(name));
CREATE UNIQUE INDEX peers_public_key_key ON peers (public_key);
CREATE UNIQUE INDEX peers_ipv4_key ON peers (ipv4);
CREATE UNIQUE INDEX peers_ipv6_key ON peers (ipv6);
CREATE INDEX peers_managed_by ON peers (managed_by);

-- Extra AllowedIPs routed behind a peer (site-to-site). A child table so the database can
-- refuse the same prefix on two peers (WireGuard would silently move the route).
CREATE TABLE peer_routes (
  peer_id INTEGER NOT NULL REFERENCES peers (id) ON DELETE CASCADE,   -- PG: BIGINT
  position INTEGER NOT NULL,
  prefix TEXT NOT NULL,                -- canonical, e.g. 192.168.10.0/24
  PRIMARY KEY (peer_id, position)
);
CREATE UNIQUE INDEX peer_routes_prefix_key ON peer_routes (prefix);
)sql";

constexpr Migration kSteps[] = {
    {1, "peers, routes, settings, store revision", kV1},
};

}  // namespace

std::span<const Migration> store_migrations() {
  return kSteps;
}

}  // namespace wgd::serve::sqlite
